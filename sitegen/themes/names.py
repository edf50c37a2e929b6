"""Names: what each theme and area is called, and why it keeps its name when dumps are added.

A theme's name is part of the state a build carries forward (``themes.json``), not recomputed
from scratch: a seeded theme that keeps at least ``KEEP_NAME`` of its stored papers keeps its
stored name (and terms) exactly, so its page, feed title and the feed categories of its papers do
not change under a subscriber. A name made by other naming rules (a stored file without
``naming``, or of another ``NAMING``) is made afresh once. An area keeps its name the same way.

A maintainer can pin a theme's name in ``content/themes.yaml`` (slug: name); a pinned name wins
over every other and, stored with the theme, survives rebuilds and new dumps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import Diagnostics
from ..safe import load_yaml
from .labels import label_of
from .stored import StoredTheme

#: Version of the naming rules: a stored name made by others is made afresh.
NAMING = 4
#: A seeded theme (or area) keeps its stored name while it keeps this share of its stored papers.
KEEP_NAME = 0.8
#: A pinned name is a label: one line, bounded.
MAX_NAME = 80


@dataclass(slots=True, frozen=True)
class Pin:
    """A theme name fixed by the maintainer in ``content/themes.yaml``."""

    name: str
    path: str
    line: int | None


def read_pins(path: Path, diags: Diagnostics, display: str | None = None) -> dict[str, Pin]:
    """The pinned names of ``content/themes.yaml`` (a mapping of theme slug to name); none if the
    file is absent. Every problem is a ``path:line`` warning and the entry is skipped."""
    shown = display or str(path)
    if not path.is_file():
        return {}
    try:
        text = path.read_text(encoding="utf-8-sig")
        data = load_yaml(text)
    except (OSError, UnicodeDecodeError) as exc:
        diags.warn(shown, None, f"cannot read the pinned theme names ({exc}); none pinned")
        return {}
    except (yaml.YAMLError, ValueError) as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or exc
        diags.warn(shown, mark.line + 1 if mark else None, f"invalid YAML: {problem}; no theme names pinned")
        return {}
    if data is None:
        return {}
    if not isinstance(data, dict):
        diags.warn(shown, 1, "expected a mapping of theme slug to name (slug: name); no theme names pinned")
        return {}
    lines = _key_lines(text)
    pins: dict[str, Pin] = {}
    for slug, name in data.items():
        line = lines.get(str(slug))
        if not isinstance(name, str) or not name.strip() or "\n" in name.strip():
            diags.warn(shown, line, f"{slug}: expected the theme's name as one line of text; not pinned")
            continue
        name = " ".join(name.split())
        if len(name) > MAX_NAME:
            diags.warn(shown, line, f"{slug}: a name of at most {MAX_NAME} characters; not pinned")
            continue
        pins[str(slug)] = Pin(name, shown, line)
    return pins


def _key_lines(text: str) -> dict[str, int]:
    """The line of each top-level key (the text has loaded without aliases, so composing it is
    safe)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(key.value): key.start_mark.line + 1 for key, _ in node.value}


def kept_share(old: set[int], now: set[int]) -> float:
    """The share of ``old`` (a stored theme's papers present now) still in ``now``."""
    return len(old & now) / len(old) if old else 0.0


def distinct_labels(terms: Sequence[list[str]], taken: Sequence[str | None], size: int = 3) -> list[str]:
    """A label for each term list where ``taken`` has none: 2-3 terms (``size`` at most); when
    two come out alike, or like a taken one, the later takes its next term."""
    labels: list[str] = [t or "" for t in taken]
    used = {t for t in taken if t}
    for c, ts in enumerate(terms):
        if taken[c]:
            continue
        label, extra = label_of(ts[:size]), size
        while label in used and extra < len(ts):
            label = " · ".join(ts[: size - 1] + [ts[extra]])
            extra += 1
        if not label or label in used:
            label = f"{label} ({c + 1})" if label else f"theme {c + 1}"
        labels[c] = label
        used.add(label)
    return labels


def stored_name(stored: StoredTheme) -> tuple[str, list[str]] | None:
    """The stored theme's name and terms, if they were made by these naming rules (or pinned)."""
    if stored.naming != NAMING or not stored.label:
        return None
    return stored.label, list(stored.terms) if stored.terms is not None else []
