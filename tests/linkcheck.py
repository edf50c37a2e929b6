"""Collect the internal links of a built site and resolve them as a static host would."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.links.append(value)


def links_of(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def page_url(site: Path, file: Path, base_path: str) -> str:
    rel = file.relative_to(site).as_posix()
    if rel.endswith("index.html"):
        rel = rel[: -len("index.html")]
    return "http://host" + base_path + rel


def resolve(site: Path, url: str, base_path: str) -> Path | None:
    """The file a static host serves for ``url``, or None."""
    path = unquote(urlsplit(url).path)
    if not path.startswith(base_path):
        return None
    target = site / path[len(base_path) :]
    if path.endswith("/"):
        target = target / "index.html"
    return target if target.is_file() else None


def broken_links(site: Path, base_path: str = "/") -> list[str]:
    """``page: link`` for every internal link (same host) that does not resolve."""
    broken = []
    for file in sorted(site.rglob("*.html")):
        base = page_url(site, file, base_path)
        for link in links_of(file.read_text(encoding="utf-8")):
            absolute = urljoin(base, link)
            if urlsplit(absolute).netloc != "host":
                continue
            if resolve(site, absolute, base_path) is None:
                broken.append(f"{file.relative_to(site)}: {link}")
    return broken
