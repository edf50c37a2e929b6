"""Reading untrusted files safely: YAML without aliases, and paths that stay inside a folder.

Front matter and ``site.yaml`` are small hand-written mappings; a YAML alias there is never needed,
and nine nested aliases of nine items (a few hundred bytes) expand to hundreds of millions of
values. Symlinks in ``content/`` could make a build publish any file the user can read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError


class _NoAliasLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses aliases (``*name``, and so ``<<: *name`` merges)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise ComposerError(
                None, None, "aliases (*name) are not allowed here; write the value out", event.start_mark
            )
        return super().compose_node(parent, index)


def load_yaml(text: str) -> Any:
    """``yaml.safe_load`` without aliases and without unbounded nesting.

    Raises ``yaml.YAMLError`` (with ``problem_mark`` where the problem is) for an alias and for
    nesting too deep to compose, and ``ValueError`` as PyYAML does for dates like 2025-02-30."""
    loader = _NoAliasLoader(text)
    try:
        return loader.get_single_data()
    except RecursionError:
        # "[[[[…" thousands deep: PyYAML's composer recurses once per level.
        raise yaml.YAMLError("nesting too deep") from None
    finally:
        loader.dispose()


def inside(path: Path, folder: Path) -> bool:
    """Whether ``path``, with every symlink resolved, is ``folder`` (resolved) or inside it."""
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        return False
