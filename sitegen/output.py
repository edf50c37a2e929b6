"""Turn the gathered ``Site`` into output files: pages, data, static assets."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from .config import SiteConfig
from .feeds import render_feeds
from .models import Paper, Site
from .render import Renderer, builtin_templates, dump_json, paginate, paper_record
from .search import search_files
from .sitemap import robots_txt, sitemap_files
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
    config: SiteConfig,
    site: Site,
    template_dirs: list[Path],
    stages: Stages | None = None,
    jobs: int = 1,
    sink: Callable[[dict[str, bytes]], None] | None = None,
) -> dict[str, bytes]:
    """Every file of the site, by site-relative path. ``jobs``: processes that render paper pages;
    ``sink``: given each batch of files as soon as it is rendered (a ``SiteWriter`` writes them
    while the rest is rendered).

    In a large site, forked processes build the search index and render the paper pages (most
    of the pages) while this one renders the other pages and the feeds (the site is read only
    by then)."""
    stages = stages if stages is not None else Stages()
    r = Renderer(config, site, template_dirs)
    files: dict[str, bytes] = {}

    def emit(part: dict[str, bytes]) -> None:
        files.update(part)
        if sink is not None and part:
            sink(part)

    with Offloaded(r, site.papers, jobs, search=True) as work:
        with stages("render"):
            emit(_pages(config, site, template_dirs, r))
        emit(work.ready())
        with stages("feeds"):
            emit(render_feeds(config, site))
        emit(work.ready())
        with stages("search"):
            emit(work.search_files())
        with stages("render"):
            emit(work.rest())
    return files


def _pages(config: SiteConfig, site: Site, template_dirs: list[Path], r: Renderer) -> dict[str, bytes]:
    """The HTML pages but for the paper pages (``Offloaded``; the sitemap lists them), static
    assets, sitemap and data files."""
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

    def listing(url: str, template: str, items: list, title: str, **context) -> None:
        # A long listing is split into numbered pages; page 1 keeps the listing's URL.
        for pagination in paginate(url, items):
            suffix = f" (page {pagination.number} of {pagination.count})" if pagination.number > 1 else ""
            page(pagination.url, template, pagination=pagination, title=title + suffix, **context)

    for theme in site.themes:
        listing(theme.url, "theme.html", theme.papers, theme.label, theme=theme)
    page("archive/", "archive.html", archive=site.archive, undated=site.undated, title="Archive")
    for year in site.archive:
        for month in year.months:
            listing(month.url, "month.html", month.papers, month.label, month=month)
    if site.undated:
        page("archive/undated/", "undated.html", papers=site.undated, title="Papers without a date")
    page("orgs/", "orgs.html", organizations=site.organizations, title="Organizations")
    for org in site.organizations:
        listing(org.url, "org.html", org.papers, org.organization.name, group=org)
    for md_page in site.pages:
        page(md_page.url, "page.html", page=md_page, title=md_page.title)
    page("search/", "search.html", title="Search")
    files["404.html"] = r.render("404.html", "404.html", absolute_root=True, title="Page not found")
    pages = [
        name[: -len("index.html")]
        for name in files
        if name.endswith("index.html") and name != "search/index.html"
    ] + [paper.url for paper in site.papers]
    files.update(sitemap_files(config, site, pages))
    files["robots.txt"] = robots_txt(config)
    files["data/papers.json"] = dump_json([paper_record(p) for p in site.papers])
    files["data/themes.json"] = dump_json(themes_record(site))
    return files


#: Below this many papers, one process renders every page (starting workers costs more).
PARALLEL_MIN = 1000
_WORK: tuple[Renderer, list[Paper]] | None = None


def paper_pages(
    r: Renderer, papers: list[Paper], jobs: int = 1, minimum: int = PARALLEL_MIN
) -> dict[str, bytes]:
    """One page per paper. With ``jobs`` > 1 and ``minimum`` papers or more, forked processes
    render them in chunks (a page depends only on the gathered site, so the bytes are the same)."""
    with Offloaded(r, papers, jobs, minimum) as pages:
        return pages.rest()


class Offloaded:
    """The paper pages, and with ``search`` the search index, being built: in ``jobs`` forked
    processes from ``minimum`` papers on (they start on entering the ``with`` block, and this
    process goes on meanwhile), else in this one when asked for (``rest``, ``search_files``).
    The processes stop on leaving the block."""

    def __init__(
        self,
        r: Renderer,
        papers: list[Paper],
        jobs: int = 1,
        minimum: int = PARALLEL_MIN,
        search: bool = False,
    ) -> None:
        self.r, self.papers = r, papers
        self.parallel = (
            jobs > 1 and len(papers) >= minimum and "fork" in multiprocessing.get_all_start_methods()
        )
        self.jobs = jobs
        self.search = search
        self.pool: ProcessPoolExecutor | None = None
        self.pending: list[Future[dict[str, bytes]]] | None = None
        self.index: Future[dict[str, bytes]] | None = None

    def __enter__(self) -> Offloaded:
        if self.parallel:
            global _WORK
            _WORK = (self.r, self.papers)
            # The workers fork now, with the site as it is: nothing changes it after gathering.
            self.pool = ProcessPoolExecutor(self.jobs, mp_context=multiprocessing.get_context("fork"))
            # The index first: it is the longest task, and the page chunks fill the other workers.
            if self.search:
                self.index = self.pool.submit(_search_task)
            self.pending = [
                self.pool.submit(_render_chunk, bounds) for bounds in _chunks(len(self.papers), self.jobs * 4)
            ]
        return self

    def search_files(self) -> dict[str, bytes]:
        """The search index's files (``search.search_files``), waiting for them."""
        if self.index is None:
            return search_files(self.papers)
        return self.index.result()

    def ready(self) -> dict[str, bytes]:
        """The pages of the chunks done since the last call (in chunk order; none when they
        are rendered in this process, which happens in ``rest``)."""
        return self._take(wait=False)

    def rest(self) -> dict[str, bytes]:
        """Every page not given by ``ready`` yet, waiting for them."""
        if self.pending is None:
            return _render_papers(self.r, self.papers)
        return self._take(wait=True)

    def _take(self, wait: bool) -> dict[str, bytes]:
        files: dict[str, bytes] = {}
        while self.pending and (wait or self.pending[0].done()):
            files.update(self.pending.pop(0).result())
        return files

    def __exit__(self, *exc: object) -> None:
        global _WORK
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None
        _WORK = None


def _chunks(n: int, parts: int) -> list[tuple[int, int]]:
    size = max(1, -(-n // parts))
    return [(lo, min(lo + size, n)) for lo in range(0, n, size)]


def _search_task() -> dict[str, bytes]:
    assert _WORK is not None  # set before the pool forks
    return search_files(_WORK[1])


def _render_chunk(bounds: tuple[int, int]) -> dict[str, bytes]:
    assert _WORK is not None  # set before the pool forks
    r, papers = _WORK
    return _render_papers(r, papers[bounds[0] : bounds[1]])


def _render_papers(r: Renderer, papers: list[Paper]) -> dict[str, bytes]:
    return {p.url + "index.html": r.render("paper.html", p.url, paper=p, title=p.title) for p in papers}
