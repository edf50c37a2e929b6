"""The project's own error type and the collector of warnings.

User mistakes never end in a traceback: the CLI prints a ``SitegenError`` as ``Error: ...`` and
exits non-zero; problems a build can go on from are ``Diagnostic`` warnings, ``path:line: message``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path


class SitegenError(Exception):
    """An error the user can act on; printed without a traceback."""


@dataclass(slots=True, frozen=True)
class Diagnostic:
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message}"


@dataclass(slots=True)
class Diagnostics:
    """Collects warnings; optionally echoes each one to a stream as it comes."""

    items: list[Diagnostic] = field(default_factory=list)
    echo: bool = False

    def warn(self, path: str, line: int | None, message: str) -> None:
        diag = Diagnostic(path, line, message)
        self.items.append(diag)
        if self.echo:
            print(diag, file=sys.stderr)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return iter(self.items)


def display_path(path: Path) -> str:
    """A path as messages show it: relative to the current folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
