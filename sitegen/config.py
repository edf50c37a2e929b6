"""Site configuration (``content/site.yaml``): a declared schema, every key checked.

Unknown keys are warned about; every invalid value is collected, then one ``SitegenError``
lists them all (as MkDocs does).
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import yaml

from .errors import Diagnostics, SitegenError
from .safe import load_yaml


@dataclass(slots=True)
class SiteConfig:
    """What a site owner sets. Field docstrings double as the README's table."""

    title: str = "Daily Papers Digest"
    description: str = "A digest of the Hugging Face Daily Papers."
    base_url: str = "http://localhost:8000/"
    """Absolute URL the site is published at; its path may be a sub-path (GitHub Pages)."""
    language: str = "en"
    author: str = ""
    default_year: int = field(default_factory=lambda: _build_date().year)
    """Year of an edition whose year cannot be decided otherwise (a warning says so). Unset, it is
    the year of ``SOURCE_DATE_EPOCH`` if set (reproducible builds), else the current year."""
    editions: dict[str, dt.date] = field(default_factory=dict)
    """Explicit edition date per dump file name."""
    feed_size: int = 50
    """Number of papers in the main feed."""
    themes: int | None = None
    """Number of themes; None chooses it from the data."""
    source_url: str = ""
    """Where the site's source (or sitegen's) is published; the footer links it when set."""

    @property
    def base_path(self) -> str:
        """Path part of ``base_url``, always starting and ending with '/'."""
        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"

    def absolute(self, url: str) -> str:
        """Absolute URL of a site-relative path such as ``papers/x/``; a path in another script
        (a paper whose title has no ASCII word) is percent-encoded as UTF-8, as sitemaps and
        feeds require."""
        return self.base_url.rstrip("/") + "/" + quote(url.lstrip("/"), safe="/:@!$&'()*+,;=~%?#")


def _build_date() -> dt.date:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    return dt.date.today()


def check_url(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a URL such as https://example.org/digest/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"expected an absolute http(s) URL, got {value!r}")
    return value if value.endswith("/") else value + "/"


def _check_link(value: Any) -> str:
    """An absolute http(s) URL, kept as written (a repository URL has no trailing slash)."""
    check_url(value)
    return value


def _check_dates(value: Any) -> dict[str, dt.date]:
    if not isinstance(value, dict):
        raise ValueError("expected a mapping of dump file name to YYYY-MM-DD")
    out: dict[str, dt.date] = {}
    for name, date in value.items():
        if isinstance(date, str):
            try:
                date = dt.date.fromisoformat(date)
            except ValueError:
                raise ValueError(f"{name}: {date!r} is not a YYYY-MM-DD date") from None
        if not isinstance(date, dt.date):
            raise ValueError(f"{name}: expected a YYYY-MM-DD date")
        out[str(name)] = date
    return out


def _check_int(low: int, high: int, optional: bool = False):
    def check(value: Any) -> int | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"expected a whole number from {low} to {high}")
        return value

    return check


def _check_str(value: Any) -> str:
    if not isinstance(value, (str, int, float)):
        raise ValueError("expected text")
    return str(value)


_CHECKS = {
    "title": _check_str,
    "description": _check_str,
    "base_url": check_url,
    "language": _check_str,
    "author": _check_str,
    "default_year": _check_int(1990, 2200),
    "editions": _check_dates,
    "feed_size": _check_int(1, 10_000),
    "themes": _check_int(1, 200, optional=True),
    "source_url": lambda value: "" if value in (None, "") else _check_link(value),
}
assert set(_CHECKS) == {f.name for f in fields(SiteConfig)}


def load_config(path: Path, diags: Diagnostics, display: str | None = None) -> SiteConfig:
    """Load and validate ``site.yaml``; a missing file gives the defaults."""
    shown = display or str(path)
    if not path.exists():
        diags.warn(shown, None, "no site.yaml; using the defaults")
        return SiteConfig()
    try:
        data = load_yaml(path.read_text(encoding="utf-8-sig")) or {}
    except (OSError, UnicodeDecodeError) as exc:
        raise SitegenError(f"{shown}: cannot read: {exc}") from None
    except (yaml.YAMLError, ValueError) as exc:  # PyYAML raises ValueError for dates like 2025-02-30
        mark = getattr(exc, "problem_mark", None)
        where = f"{shown}:{mark.line + 1}" if mark else shown
        raise SitegenError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise SitegenError(f"{shown}: expected a mapping of settings at the top level")
    lines = _key_lines(path)
    values: dict[str, Any] = {}
    errors: list[str] = []
    for key, value in data.items():
        check = _CHECKS.get(str(key))
        where = f"{shown}:{lines[str(key)]}" if str(key) in lines else shown
        if check is None:
            close = difflib.get_close_matches(str(key), _CHECKS, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f" (known settings: {', '.join(_CHECKS)})"
            diags.warn(where, None, f"unknown setting {key!r} ignored{hint}")
            continue
        try:
            values[str(key)] = check(value)
        except ValueError as exc:
            errors.append(f"{where}: {key}: {exc}")
    if errors:
        raise SitegenError("invalid configuration:\n  " + "\n  ".join(errors))
    return SiteConfig(**values)


def _key_lines(path: Path) -> dict[str, int]:
    """Line of each top-level key of a YAML file, for messages. Composing builds the node tree
    without constructing values (aliases stay references), so it costs what parsing costs."""
    try:
        node = yaml.compose(path.read_text(encoding="utf-8-sig"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {
        str(key.value): key.start_mark.line + 1 for key, _ in node.value if isinstance(key, yaml.ScalarNode)
    }
