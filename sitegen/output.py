"""Turn the gathered ``Site`` into output files: pages, data, static assets."""

from __future__ import annotations

from pathlib import Path

from .config import SiteConfig
from .feeds import render_feeds
from .models import Site
from .render import Renderer, builtin_templates, dump_json, paper_record
from .search import search_files
from .sitemap import robots_txt, sitemap_xml
from .stages import Stages
from .themes import themes_in, themes_record


def static_files(template_dirs: list[Path]) -> dict[str, bytes]:
    """``static/`` of the built-in templates, overlaid by the user's ``static/``."""
    files: dict[str, bytes] = {}
    for folder in [builtin_templates(), *template_dirs]:
        static = folder / "static"
        if not static.is_dir():
            continue
        for path in sorted(static.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                files["static/" + path.relative_to(static).as_posix()] = path.read_bytes()
    return files


def render_site(
    config: SiteConfig, site: Site, template_dirs: list[Path], stages: Stages | None = None
) -> dict[str, bytes]:
    """Every file of the site, by site-relative path."""
    stages = stages if stages is not None else Stages()
    with stages("render"):
        files = render_pages(config, site, template_dirs)
    with stages("search"):
        files.update(search_files(site.papers))
    with stages("feeds"):
        files.update(render_feeds(config, site))
    return files


def render_pages(config: SiteConfig, site: Site, template_dirs: list[Path]) -> dict[str, bytes]:
    """The HTML pages, static assets, sitemap and data files."""
    r = Renderer(config, site, template_dirs)
    files: dict[str, bytes] = static_files(template_dirs)

    def page(url: str, template: str, **context) -> None:
        files[url + "index.html"] = r.render(template, url, **context)

    latest = site.editions[0] if site.editions else None
    page(
        "",
        "index.html",
        edition=latest,
        earlier=site.editions[1:],
        edition_themes=themes_in(latest.papers) if latest else [],
        title=None,
    )
    page("editions/", "editions.html", editions=site.editions, title="Editions")
    for edition in site.editions:
        page(
            edition.url,
            "edition.html",
            edition=edition,
            edition_themes=themes_in(edition.papers),
            title=f"Edition of {edition.slug}",
        )
    page("themes/", "themes.html", themes=site.themes, title="Themes")
    for theme in site.themes:
        page(theme.url, "theme.html", theme=theme, title=theme.label)
    page("archive/", "archive.html", archive=site.archive, undated=site.undated, title="Archive")
    for year in site.archive:
        for month in year.months:
            page(month.url, "month.html", month=month, title=month.label)
    if site.undated:
        page("archive/undated/", "undated.html", papers=site.undated, title="Papers without a date")
    for paper in site.papers:
        page(paper.url, "paper.html", paper=paper, title=paper.title)
    page("orgs/", "orgs.html", organizations=site.organizations, title="Organizations")
    for org in site.organizations:
        page(org.url, "org.html", group=org, title=org.organization.name)
    for md_page in site.pages:
        page(md_page.url, "page.html", page=md_page, title=md_page.title)
    page("search/", "search.html", title="Search")
    files["404.html"] = r.render("404.html", "404.html", absolute_root=True, title="Page not found")
    pages = [
        name[: -len("index.html")]
        for name in files
        if name.endswith("index.html") and name != "search/index.html"
    ]
    files["sitemap.xml"] = sitemap_xml(config, site, pages)
    files["robots.txt"] = robots_txt(config)
    files["data/papers.json"] = dump_json([paper_record(p) for p in site.papers])
    files["data/themes.json"] = dump_json(themes_record(site))
    return files
