"""Stored themes: an earlier build's themes (``content/themes.json``), the seed of the next build."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Diagnostics
from ..models import Site
from ..text import LONG_HASH, permalink_owner

#: A theme's slug is a path segment of its page: bounded, whatever a stored file says.
MAX_SLUG = 80
#: An area number is an array index (an int32 will do), whatever a stored file says.
MAX_AREA = 2**31


@dataclass(slots=True)
class StoredTheme:
    """A theme of an earlier build, as saved in ``content/themes.json``."""

    slug: str
    label: str
    papers: list[str]
    """Paper ids."""
    area: int | None = None
    """The theme's area (``ThemeModel.theme_areas_``); None in a file from before areas."""
    terms: list[str] | None = None
    """The terms shown with the name; None in a file from before they were stored."""
    naming: int | None = None
    """Version of the naming rules that made ``label`` (``names.NAMING``); None: older rules, so
    the name is made afresh."""
    area_label: str | None = None
    """The name of the theme's area; None where there are no areas."""
    owners: list[str] | None = None
    """``permalink_owner`` of each paper (same order): which paper each permalink was given
    to, so that no paper added later takes it over. None in a file from before owners."""
    joined: list[str] = field(default_factory=list)
    """The papers (of ``papers``) that joined the theme after it was fitted (``carry.py``)."""
    subject: bool = True
    """False for papers left over between subjects, shown as no theme (``Site.leftover``)."""


def read_stored(path: Path, diags: Diagnostics, display: str | None = None) -> list[StoredTheme]:
    """The themes saved by an earlier build (a copy of its ``data/themes.json``); none if absent."""
    shown = display or str(path)
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        diags.warn(shown, line, f"cannot read the stored themes ({exc}); themes are chosen afresh")
        return []
    stored = []
    if isinstance(data, list):
        for item in data:
            if (
                isinstance(item, dict)
                and isinstance(item.get("slug"), str)
                and len(item["slug"]) <= MAX_SLUG
                and re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", item["slug"])
                and item["slug"] not in {s.slug for s in stored}
                and isinstance(item.get("label"), str)
                and isinstance(item.get("papers"), list)
                and all(isinstance(p, str) for p in item["papers"])
                and (item.get("area") is None or (type(item["area"]) is int and 0 <= item["area"] < MAX_AREA))
                and _optional(item, "terms", list)
                and all(isinstance(t, str) for t in item.get("terms") or [])
                and _optional(item, "naming", int)
                and _optional(item, "area_label", str)
                and _owners_ok(item)
                and _optional(item, "joined", list)
                and all(isinstance(p, str) for p in item.get("joined") or [])
                and isinstance(item.get("subject", True), bool)
            ):
                stored.append(
                    StoredTheme(
                        item["slug"],
                        item["label"],
                        list(item["papers"]),
                        item.get("area"),
                        list(item["terms"]) if item.get("terms") is not None else None,
                        item.get("naming"),
                        item.get("area_label"),
                        owners=item.get("owners"),
                        joined=list(item.get("joined") or []),
                        subject=item.get("subject", True) is not False,
                    )
                )
                continue
            diags.warn(
                shown,
                None,
                f"expected a list of {{slug, label, papers}} with distinct slugs of a-z, 0-9 and '-', "
                f"at most {MAX_SLUG} characters; "
                "themes are chosen afresh",
            )
            return []
    else:
        diags.warn(shown, None, "expected a list of {slug, label, papers}; themes are chosen afresh")
    return stored


def _optional(item: dict, key: str, kind: type) -> bool:
    """``item[key]`` is absent, null, or of ``kind`` (a bool is no int here)."""
    value = item.get(key)
    return value is None or (isinstance(value, kind) and not isinstance(value, bool))


def _owners_ok(item: dict) -> bool:
    """``owners`` is absent, or one hex string of ``LONG_HASH`` digits per paper."""
    owners = item.get("owners")
    return owners is None or (
        isinstance(owners, list)
        and len(owners) == len(item["papers"])
        and all(isinstance(o, str) and len(o) == LONG_HASH and all(c in _HEX for c in o) for o in owners)
    )


_HEX = frozenset("0123456789abcdef")


def permalink_owners(stored: list[StoredTheme]) -> dict[str, str]:
    """Permalink -> ``permalink_owner`` of the paper it was given to, from stored themes."""
    return {
        paper: owner
        for theme in stored
        if theme.owners
        for paper, owner in zip(theme.papers, theme.owners, strict=True)
    }


def themes_record(site: Site) -> list[dict]:
    """``data/themes.json`` (and, copied to ``content/themes.json``, the seed of the next build):
    each theme's slug, name (``label``) and terms, papers (most typical first), area and area name,
    the version of the naming rules that made the name (``naming``), and the papers that joined
    the theme since it was fitted (``joined``, see ``carry.py``). The groups of papers that share
    no subject (``Site.leftover``) follow, with ``subject`` false and no name."""
    from .names import NAMING  # names imports this module

    return [
        {
            "slug": t.slug,
            "label": t.label,
            "terms": list(t.terms),
            "papers": [p.id for p in t.papers],
            "area": t.area,
            "owners": [permalink_owner(p.key) for p in t.papers],
            "area_label": t.area_label or None,
            "naming": NAMING,
            "joined": list(t.joined),
            **({} if t.subject else {"subject": False}),
        }
        for t in [*site.themes, *site.leftover]
    ]
