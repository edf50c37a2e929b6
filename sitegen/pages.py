"""Read the Markdown pages of ``content/pages`` (YAML front matter + markdown-it-py)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from markdown_it import MarkdownIt

from .errors import Diagnostics, display_path
from .models import Page
from .safe import inside, load_yaml
from .text import slugify

# [ \t]* rather than \s*: \s* also eats newlines, and "---" followed by thousands of blank lines
# and no closing "---" then backtracked quadratically (17 s for 40,000 lines).
_FRONT = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
_OPENS_FRONT = re.compile(r"\A---[ \t]*\r?\n")
RESERVED = {"papers", "editions", "archive", "orgs", "themes", "search", "data", "static", "feed"}


def _markdown() -> MarkdownIt:
    # CommonMark with tables; raw HTML is off: page text is escaped like everything else.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": True}).enable("table")


def read_pages(folder: Path, diags: Diagnostics, content: Path | None = None) -> list[Page]:
    """Every ``*.md`` file becomes a page at ``/<slug>/``; with ``content``, only files whose real
    path is inside it (a symlink out of it is reported and not read)."""
    md = _markdown()
    pages: list[Page] = []
    taken: set[str] = set()
    if not folder.is_dir():
        return pages
    for path in sorted(folder.glob("*.md")):
        shown = display_path(path)
        if content is not None and not inside(path, content):
            diags.warn(shown, None, "a link to outside the content folder; not read")
            continue
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            diags.warn(shown, None, f"cannot read: {exc}")
            continue
        meta: dict = {}
        body = text
        if match := _FRONT.match(text):
            try:
                loaded = load_yaml(match.group(1)) or {}
            except (yaml.YAMLError, ValueError) as exc:  # ValueError: dates like 2025-02-30
                mark = getattr(exc, "problem_mark", None)
                diags.warn(shown, mark.line + 2 if mark else 1, f"invalid front matter: {exc}")
                loaded = {}
            meta = loaded if isinstance(loaded, dict) else {}
            body = text[match.end() :]
        elif _OPENS_FRONT.match(text):
            # Without its closing line the whole page would be read as front matter or, as before,
            # published with the raw settings on top: neither is what the author meant.
            diags.warn(shown, 1, "front matter opened by '---' is never closed by a '---' line; page skipped")
            continue
        slug = slugify(str(meta.get("slug") or path.stem)) or "page"
        if slug in taken:
            diags.warn(shown, None, f"another page already has the slug {slug!r}; skipped")
            continue
        taken.add(slug)
        if slug in RESERVED:
            diags.warn(shown, None, f"page slug {slug!r} is reserved by the site; skipped")
            continue
        title = str(meta.get("title") or path.stem.replace("-", " ").title())
        pages.append(
            Page(
                slug=slug,
                title=title,
                html=md.render(body),
                description=str(meta.get("description") or ""),
                path=shown,
                meta=meta,
            )
        )
    return pages
