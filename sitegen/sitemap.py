"""sitemap.xml and robots.txt, for search engines."""

from __future__ import annotations

import datetime as dt
import html

from .config import SiteConfig
from .models import Site


def escape(text: str) -> str:
    """``&``, ``<`` and ``>`` escaped, as ``xml.sax.saxutils.escape`` does (which imports
    ``urllib.request`` and ``ssl``: 23 ms of every build's start)."""
    return html.escape(text, quote=False)


def _lastmods(site: Site) -> dict[str, dt.date]:
    """The date a page last changed, where the content says it: a paper's or edition's latest edition."""
    dates: dict[str, dt.date] = {}
    for paper in site.papers:
        seen = [e.date for e in paper.editions if e.date]
        if seen:
            dates[paper.url] = max(seen)
    for edition in site.editions:
        if edition.date:
            dates[edition.url] = edition.date
    if site.editions and site.editions[0].date:
        dates[""] = site.editions[0].date
    return dates


#: URLs one sitemap file may list (the protocol's limit); past it, sitemap.xml is an index.
MAX_URLS = 50_000


def sitemap_files(
    config: SiteConfig, site: Site, page_urls: list[str], limit: int = MAX_URLS
) -> dict[str, bytes]:
    """``sitemap.xml``: every page, or past ``limit`` pages a sitemap index of ``sitemap-<n>.xml``
    files of at most ``limit`` pages each."""
    urls = sorted(page_urls)
    if len(urls) <= limit:
        return {"sitemap.xml": sitemap_xml(config, site, urls)}
    files = {}
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for n, start in enumerate(range(0, len(urls), limit), 1):
        name = f"sitemap-{n}.xml"
        files[name] = sitemap_xml(config, site, urls[start : start + limit])
        lines.append(f"<sitemap><loc>{escape(config.absolute(name))}</loc></sitemap>")
    lines.append("</sitemapindex>")
    files["sitemap.xml"] = ("\n".join(lines) + "\n").encode("utf-8")
    return files


def sitemap_xml(config: SiteConfig, site: Site, page_urls: list[str]) -> bytes:
    """Every page (site-relative URLs such as ``papers/x/``), sorted, with lastmod where known."""
    lastmods = _lastmods(site)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for url in sorted(page_urls):
        entry = f"<url><loc>{escape(config.absolute(url))}</loc>"
        if url in lastmods:
            entry += f"<lastmod>{lastmods[url].isoformat()}</lastmod>"
        lines.append(entry + "</url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def robots_txt(config: SiteConfig) -> bytes:
    """Allow everything and point at the sitemap (search result pages are not worth crawling)."""
    return (
        f"User-agent: *\nDisallow: {config.base_path}search/\nAllow: /\n\nSitemap: {config.absolute('sitemap.xml')}\n"
    ).encode()
