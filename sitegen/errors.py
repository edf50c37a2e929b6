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
    error: bool = False
    """An error: the build goes on reading (to report everything) but fails, exit 1, nothing written."""

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

    def error(self, path: str, line: int | None, message: str) -> None:
        """Report input the build must refuse (not a dump): the build fails after reading it all."""
        diag = Diagnostic(path, line, message, error=True)
        self.items.append(diag)
        if self.echo:
            print(diag, file=sys.stderr)

    @property
    def errors(self) -> list[Diagnostic]:
        """The errors among the diagnostics."""
        return [d for d in self.items if d.error]

    @property
    def warnings(self) -> list[Diagnostic]:
        """The diagnostics that are not errors."""
        return [d for d in self.items if not d.error]

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
