"""Turn the gathered ``Site`` into output files: pages, data, static assets."""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from .config import SiteConfig
from .feeds import render_feeds
from .models import Edition, Paper, Site
from .render import Renderer, builtin_templates, dump_json, paginate, paper_record
from .reuse import PageReuse, theme_view
from .search import index_files, search_files, store_files
from .sitemap import robots_txt, sitemap_files
from .stages import Stages, frozen_heap
from .themes import OTHER, themes_in, themes_record
from .writer import FileData, Kept, SiteFiles


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
    sink: Callable[[dict[str, FileData]], None] | None = None,
    reuse: PageReuse | None = None,
) -> SiteFiles:
    """Every file of the site, by site-relative path (a page kept from the previous site is read
    from it when asked for: ``writer.SiteFiles``). ``jobs``: processes that render paper pages;
    ``sink``: given each batch of files as soon as it is rendered (a ``SiteWriter`` writes them
    while the rest is rendered); it must be thread-safe (batches rendered in other processes
    are given from a thread of this one); ``reuse``: the previous build's pages, kept where they
    were rendered from the same data (``reuse.keys_now`` gets this build's keys).

    In a large site, forked processes build the search index and take the other tasks (the paper
    pages, the editions' pages and listings, the feeds and data files, in chunks) while this one
    renders the index pages and the sitemap, then takes the tasks no worker has started (the site
    is read only by then)."""
    stages = stages if stages is not None else Stages()
    r = Renderer(config, site, template_dirs)
    if reuse is not None:
        reuse.prepare(config, site)
        r.reuse = reuse
    r.load_all()  # (before the workers fork: they inherit the compiled templates)
    files = SiteFiles()

    def emit(part: dict[str, FileData]) -> None:
        files.update_from(part)
        if sink is not None and part:
            sink(part)

    # The offloaded work gives its files to the sink itself, as each task ends.
    # The feeds and the data files are tasks too (any process may take them).
    tasks = [
        (
            functools.partial(_feeds, config, site),
            sum(len(t.papers[: config.feed_size]) for t in site.themes),
        ),
        (functools.partial(_data, site), len(site.papers) // 2),
        *listings(site),
    ]
    with Offloaded(r, site.papers, jobs, search=True, sink=sink, listings=tasks) as work:
        with stages("render"):
            emit(_pages(config, site, template_dirs, r))
            files.update_from(work.rest())
        with stages("search"):
            files.update_from(work.search_files())
    return files


def _pages(config: SiteConfig, site: Site, template_dirs: list[Path], r: Renderer) -> dict[str, FileData]:
    """The HTML pages but for the paper pages, the editions' pages and the listings (``listings``,
    rendered with the paper pages: ``Offloaded``; the sitemap lists them all), static assets,
    sitemap and robots.txt. (The feeds and data files are tasks of ``Offloaded`` too.)"""
    files: dict[str, FileData] = dict(static_files(template_dirs))
    #: Every page, in the site's order (each listing after its index page), for the sitemap.
    names: list[str] = []

    def page(url: str, template: str, **context) -> None:
        files[url + "index.html"] = r.render(template, url, **context)
        names.append(url + "index.html")

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
    names += [edition.url + "index.html" for edition in site.editions]
    page("themes/", "themes.html", themes=site.themes, title="Themes")
    names += [name for theme in site.themes for name in listing_names(theme.url, theme.papers)]
    names += listing_names(OTHER_URL, site.unthemed)
    page("archive/", "archive.html", archive=site.archive, undated=site.undated, title="Archive")
    for year in site.archive:
        names += [name for month in year.months for name in listing_names(month.url, month.papers)]
    if site.undated:
        page("archive/undated/", "undated.html", papers=site.undated, title="Papers without a date")
    page("orgs/", "orgs.html", organizations=site.organizations, title="Organizations")
    names += [name for org in site.organizations for name in listing_names(org.url, org.papers)]
    for md_page in site.pages:
        page(md_page.url, "page.html", page=md_page, title=md_page.title)
    page("search/", "search.html", title="Search")
    files["404.html"] = r.render("404.html", "404.html", absolute_root=True, title="Page not found")
    pages = [name[: -len("index.html")] for name in names if name != "search/index.html"]
    files.update(sitemap_files(config, site, pages + [paper.url for paper in site.papers]))
    files["robots.txt"] = robots_txt(config)
    return files


def _data(site: Site, r: Renderer) -> Rendered:
    """The data files: every paper, and the themes (what the next build is seeded with)."""
    papers = dump_json([paper_record(p) for p in site.papers])
    return {"data/papers.json": papers, "data/themes.json": dump_json(themes_record(site))}, {}


def _feeds(config: SiteConfig, site: Site, r: Renderer) -> Rendered:
    """The feeds (``feeds.render_feeds``), with the keys of the theme feeds."""
    keys: dict[str, str] = {}
    return render_feeds(config, site, r.reuse, keys), keys


#: The page of the papers of no theme (``Site.unthemed``).
OTHER_URL = f"themes/{OTHER}/"
OTHER_TITLE = "Papers of no theme"


def listing_names(url: str, items: Sequence[Any]) -> list[str]:
    """The pages of a listing at ``url`` (``paginate``)."""
    return [pagination.url + "index.html" for pagination in paginate(url, items)]


#: Pages rendered together (an edition's page, or the numbered pages of a theme's, a month's or
#: an organization's listing; the feeds; the data files): given the renderer, their files and page
#: keys (as ``_render_papers``). The number is about their cost (the papers they show).
Listing = tuple[Callable[[Renderer], "Rendered"], int]


def listings(site: Site) -> list[Listing]:
    """The editions' pages and every listing, in the site's order."""
    out: list[Listing] = [
        (functools.partial(_edition_page, edition), len(edition.papers)) for edition in site.editions
    ]
    for theme in site.themes:
        out.append(
            (
                functools.partial(
                    _listing_pages,
                    theme.url,
                    "theme.html",
                    theme.papers,
                    theme.label,
                    theme_view(theme),
                    theme=theme,
                ),
                len(theme.papers),
            )
        )
    unthemed = site.unthemed
    if unthemed:
        what = ["unthemed", len(unthemed), len(site.themes)]
        out.append(
            (
                functools.partial(_listing_pages, OTHER_URL, "other.html", unthemed, OTHER_TITLE, what),
                len(unthemed),
            )
        )
    for year in site.archive:
        for month in year.months:
            what = [month.year, month.month, month.label, len(month.papers)]
            out.append(
                (
                    functools.partial(
                        _listing_pages, month.url, "month.html", month.papers, month.label, what, month=month
                    ),
                    len(month.papers),
                )
            )
    for org in site.organizations:
        o = org.organization
        what = [o.id, o.name, o.slug, len(org.papers)]
        out.append(
            (
                functools.partial(_listing_pages, org.url, "org.html", org.papers, o.name, what, group=org),
                len(org.papers),
            )
        )
    return out


def _edition_page(edition: Edition, r: Renderer) -> Rendered:
    chips, title = themes_in(edition.papers), f"Edition of {edition.slug}"
    name = edition.url + "index.html"
    keys: dict[str, str] = {}
    if r.reuse is not None:
        keys[name] = key = r.reuse.edition_key(name, title, edition, chips)
        kept = r.reuse.previous(name, key)
        if kept is not None:
            return {name: kept}, keys
    data = r.render("edition.html", edition.url, edition=edition, edition_themes=chips, title=title)
    return {name: data}, keys


def _listing_pages(
    url: str, template: str, items: list[Paper], title: str, what: list[Any], r: Renderer, **context: Any
) -> Rendered:
    """A listing's numbered pages (page 1 keeps the listing's URL); each kept (``reuse.py``)
    where the previous build rendered it from the same data."""
    reuse = r.reuse
    files: dict[str, FileData] = {}
    keys: dict[str, str] = {}
    for pagination in paginate(url, items):
        suffix = f" (page {pagination.number} of {pagination.count})" if pagination.number > 1 else ""
        name = pagination.url + "index.html"
        if reuse is not None:
            keys[name] = key = reuse.listing_key(name, template, title + suffix, what, pagination)
            kept = reuse.previous(name, key)
            if kept is not None:
                files[name] = kept
                continue
        files[name] = r.render(
            template, pagination.url, pagination=pagination, title=title + suffix, **context
        )
    return files, keys


#: Below this many papers, one process renders every page (starting workers costs more).
PARALLEL_MIN = 1000
_WORK: tuple[Renderer, list[Paper], list[Listing]] | None = None


def paper_pages(
    r: Renderer, papers: list[Paper], jobs: int = 1, minimum: int = PARALLEL_MIN
) -> dict[str, FileData]:
    """One page per paper. With ``jobs`` > 1 and ``minimum`` papers or more, forked processes
    render them in chunks (a page depends only on the gathered site, so the bytes are the same)."""
    with Offloaded(r, papers, jobs, minimum) as pages:
        return pages.rest()


class Offloaded:
    """The paper pages, the ``listings`` (``Listing``: pages, feeds, data files), and with
    ``search`` the search index and store, being built: in ``jobs`` forked processes from
    ``minimum`` papers on (they start on entering the ``with`` block, and this process goes on
    meanwhile, then takes the tasks no worker has started: ``rest``), else in this one when
    asked for (``rest``, ``search_files``).
    ``sink`` (thread-safe) is given the files of each task as soon as it ends, once; what
    ``rest`` and ``search_files`` return has been given to it. The processes stop on leaving
    the block."""

    def __init__(
        self,
        r: Renderer,
        papers: list[Paper],
        jobs: int = 1,
        minimum: int = PARALLEL_MIN,
        search: bool = False,
        sink: Callable[[dict[str, FileData]], None] | None = None,
        listings: Sequence[Listing] = (),
    ) -> None:
        self.r, self.papers = r, papers
        self.listings = list(listings)
        self.parallel = (
            jobs > 1 and len(papers) >= minimum and "fork" in multiprocessing.get_all_start_methods()
        )
        self.jobs = jobs
        self.search = search
        self.sink = sink
        self.pool: ProcessPoolExecutor | None = None
        self.pending: list[Future[Rendered]] | None = None
        self.tasks: list[tuple[Callable[[tuple[int, int]], Rendered], tuple[int, int]]] = []
        self.index: Future[dict[str, bytes]] | None = None
        self.store: Future[dict[str, bytes]] | None = None
        self._given: dict[Future, threading.Event] = {}
        self._failed: BaseException | None = None
        self._frozen: contextlib.AbstractContextManager | None = None

    def __enter__(self) -> Offloaded:
        if self.parallel:
            global _WORK
            _WORK = (self.r, self.papers, self.listings)
            # The workers fork now, with the site as it is: nothing changes it after gathering.
            self._frozen = frozen_heap()
            self._frozen.__enter__()
            self.pool = ProcessPoolExecutor(self.jobs, mp_context=multiprocessing.get_context("fork"))
            # The index first: it is the longest task, and the page chunks fill the other workers.
            if self.search:
                self.index = self._forwarded(self.pool.submit(_search_task))
                self.store = self._forwarded(self.pool.submit(_store_task))
            self.tasks = [
                (_render_listings, bounds)
                for bounds in _weighed_chunks([cost for _, cost in self.listings], self.jobs * 4)
            ] + [(_render_chunk, bounds) for bounds in _chunks(len(self.papers), self.jobs * 4)]
            self.pending = [self._forwarded(self.pool.submit(fn, bounds)) for fn, bounds in self.tasks]
        return self

    def search_files(self) -> dict[str, bytes]:
        """The search index's files (``search.search_files``), waiting for them."""
        if self.index is None or self.store is None:
            return self._give(search_files(self.papers))
        return {**self._result(self.index), **self._result(self.store)}

    def rest(self) -> dict[str, FileData]:
        """Every paper page, waiting for them."""
        if self.pending is None:
            files: dict[str, FileData] = {}
            for part, keys in [
                *(job(self.r) for job, _ in self.listings),
                _render_papers(self.r, self.papers),
            ]:
                files.update(part)
                self._keep(part, keys)
            return self._give(files)
        # The tasks no worker has started yet are done here, the last first (the workers take
        # them from the first): this process would only wait otherwise.
        done: dict[int, Rendered] = {}
        for n in reversed(range(len(self.pending))):
            if self.pending[n].cancel():
                fn, bounds = self.tasks[n]
                done[n] = fn(bounds)
                self._give(done[n][0])
        files = {}
        for n, future in enumerate(self.pending):
            part, keys = done[n] if n in done else self._result(future)
            files.update(part)
            self._keep(part, keys)
        return files

    def _keep(self, files: dict[str, FileData], keys: dict[str, str]) -> None:
        """This build's page keys, and the pages kept rather than rendered, for ``reuse``."""
        if self.r.reuse is not None:
            self.r.reuse.keys_now.update(keys)
            self.r.reuse.read_back += [name for name, data in files.items() if type(data) is Kept]

    def _forwarded(self, future: Future[Any]) -> Future[Any]:
        if self.sink is not None:
            self._given[future] = threading.Event()
            future.add_done_callback(self._forward)
        return future

    def _forward(self, future: Future[Any]) -> None:
        # In the pool's thread, as the task ends. A task that failed raises in ``_result``.
        try:
            if self.sink is not None and not future.cancelled() and future.exception() is None:
                result = future.result()
                self.sink(result[0] if isinstance(result, tuple) else result)
        except BaseException as exc:  # raised in the caller's thread by ``_result``
            self._failed = self._failed or exc
        finally:
            self._given[future].set()

    def _result(self, future: Future[Any]) -> Any:
        files = future.result()
        # The callback may still be running after ``result`` returns: wait until it gave them.
        if future in self._given:
            self._given[future].wait()
        if self._failed is not None:
            raise self._failed
        return files

    def _give(self, files: dict[str, FileData]) -> dict[str, FileData]:
        if self.sink is not None and files:
            self.sink(files)
        return files

    def __exit__(self, *exc: object) -> None:
        global _WORK
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None
        if self._frozen is not None:
            self._frozen.__exit__(None, None, None)
            self._frozen = None
        _WORK = None


def _chunks(n: int, parts: int) -> list[tuple[int, int]]:
    size = max(1, -(-n // parts))
    return [(lo, min(lo + size, n)) for lo in range(0, n, size)]


def _weighed_chunks(costs: list[int], parts: int) -> list[tuple[int, int]]:
    """``costs`` cut into about ``parts`` runs of about the same total (each item costs 1 more)."""
    total = sum(costs) + len(costs)
    out: list[tuple[int, int]] = []
    start, run = 0, 0
    for i, cost in enumerate(costs):
        run += cost + 1
        if run * parts >= total:
            out.append((start, i + 1))
            start, run = i + 1, 0
    if start < len(costs):
        out.append((start, len(costs)))
    return out


def _search_task() -> dict[str, bytes]:
    assert _WORK is not None  # set before the pool forks
    return index_files(_WORK[1])


def _store_task() -> dict[str, bytes]:
    assert _WORK is not None  # set before the pool forks
    return store_files(_WORK[1])


def _render_chunk(bounds: tuple[int, int]) -> Rendered:
    assert _WORK is not None  # set before the pool forks
    r, papers, _ = _WORK
    return _render_papers(r, papers[bounds[0] : bounds[1]])


def _render_listings(bounds: tuple[int, int]) -> Rendered:
    assert _WORK is not None  # set before the pool forks
    r, _, jobs = _WORK
    files: dict[str, FileData] = {}
    keys: dict[str, str] = {}
    for job, _ in jobs[bounds[0] : bounds[1]]:
        part, part_keys = job(r)
        files.update(part)
        keys.update(part_keys)
    return files, keys


#: Pages rendered or kept (``writer.Kept``): their files and their page keys (``reuse``).
Rendered = tuple[dict[str, FileData], dict[str, str]]


def _render_papers(r: Renderer, papers: list[Paper]) -> Rendered:
    reuse = r.reuse
    files: dict[str, FileData] = {}
    keys: dict[str, str] = {}
    for p in papers:
        name = p.url + "index.html"
        data = None
        if reuse is not None:
            keys[name] = key = reuse.key(name, p)
            data = reuse.previous(name, key)
        files[name] = data if data is not None else r.render("paper.html", p.url, paper=p, title=p.title)
    return files, keys
