"""The build: read everything, then merge, group, render, and write. No stage logic here."""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import group, merge, reader, themes
from .cache import (
    BasisStore,
    BuildCache,
    CountStore,
    NeighbourStore,
    VectorStore,
    analyzer,
    diagnostics_from_json,
    digest_of,
    dump_from_json,
    dump_to_json,
)
from .config import SiteConfig, check_url, load_config
from .errors import Diagnostics, SitegenError, display_path
from .models import Dump, Site
from .output import render_site
from .pages import read_pages
from .reuse import PageReuse, read_keys, uses_own_templates
from .safe import inside
from .search import keeping_counts
from .stages import Stages, default_jobs, fewer_collections
from .themes.carry import keeping_vectors
from .themes.model import keeping_bases
from .themes.related import keeping_neighbours
from .themes.terms import reusing
from .writer import SiteWriter, read_record


@dataclass(slots=True)
class BuildResult:
    config: SiteConfig
    site: Site
    #: By site-relative name (``writer.SiteFiles``: a page kept from the previous site is read
    #: from the site when asked for).
    files: Mapping[str, bytes]
    diagnostics: Diagnostics
    seconds: float
    stages: Stages = field(default_factory=Stages)
    #: Whether the build was published in its output folder.
    written: bool = False
    #: Pages read back from the previous site rather than rendered (``reuse.py``), and how
    #: many pages had a page key (could have been).
    reused: list[str] = field(default_factory=list)
    reusable: int = 0

    def summary(self, out: Path | None, seconds: float | None = None) -> str:
        s = self.site
        warnings = len(self.diagnostics)
        pages = sum(1 for name in self.files if name.endswith(".html"))
        where = f" -> {out}" if out else ""
        return (
            f"{s.dump_count} dumps, {s.block_count} paper blocks, {len(s.papers)} distinct papers, "
            f"{len(s.editions)} editions, {warnings} warning{'s' if warnings != 1 else ''}, "
            f"{pages} pages written in {seconds if seconds is not None else self.seconds:.2f} s{where}"
        )


def read_dumps(
    content: Path, config: SiteConfig, diags: Diagnostics, cache: BuildCache | None = None
) -> list[Dump]:
    """Read every ``*.txt`` of ``content/dumps`` in name order; with ``cache``, a dump whose bytes,
    name and date settings were read before is taken from it (with the warnings it gave)."""
    folder = content / "dumps"
    dumps: list[Dump] = []
    if not folder.is_dir():
        diags.warn(display_path(folder), None, "no dumps folder; the site has no papers")
        return dumps
    if not _inside_content(folder, content, diags):
        return dumps
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".txt" and p.is_file())
    if not paths:
        diags.warn(display_path(folder), None, "no dump (*.txt) in this folder; the site has no papers")
    seen: dict[tuple, str] = {}
    for path in paths:
        if not _inside_content(path, content, diags):
            continue
        dump = _read_dump(path, config, diags, cache)
        if dump is None:
            continue
        # The same page saved twice would be a second edition of the very same papers.
        key = _dump_key(dump)
        if dump.entries and key in seen:
            diags.warn(dump.path, None, f"the same page as {seen[key]} (saved twice?); skipped")
            continue
        seen.setdefault(key, dump.path)
        dumps.append(dump)
    unknown = set(config.editions) - {p.name for p in folder.iterdir()}
    for name in sorted(unknown):
        diags.warn(display_path(content / "site.yaml"), None, f"editions: no dump named {name!r}")
    return dumps


def _read_dump(path: Path, config: SiteConfig, diags: Diagnostics, cache: BuildCache | None) -> Dump | None:
    shown = display_path(path)
    configured = config.editions.get(path.name)
    if cache is None:
        return reader.read_dump(
            path, diags, display=shown, configured_date=configured, default_year=config.default_year
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        diags.warn(shown, None, f"cannot read: {exc.strerror or exc}")
        return None
    key = cache.key(
        "dumps",
        hashlib.sha256(raw).hexdigest(),
        shown,
        path.name,
        configured.isoformat() if configured else None,
        config.default_year,
    )
    found = cache.get_json("dumps", key)
    if found is not None:
        try:
            dump = None if found["dump"] is None else dump_from_json(found["dump"])
            said = diagnostics_from_json(found["diagnostics"])
        except (ValueError, TypeError, KeyError) as exc:
            cache.reject("dumps", key, f"not a parsed dump ({exc})")
        else:
            for where, line, message, error in said:
                (diags.error if error else diags.warn)(where, line, message)
            return dump
    own = Diagnostics()
    text = reader.decode(raw, shown, own)
    dump = (
        reader.parse_dump(
            text, shown, path.name, own, configured_date=configured, default_year=config.default_year
        )
        if text is not None
        else None
    )
    for d in own:
        (diags.error if d.error else diags.warn)(d.path, d.line, d.message)
    cache.put_json(
        "dumps",
        key,
        {
            "dump": dump_to_json(dump) if dump is not None else None,
            "diagnostics": [[d.path, d.line, d.message, d.error] for d in own],
        },
    )
    return dump


def _dump_key(dump: Dump) -> tuple:
    """What makes two dumps the same page: the page date and every paper block, in order."""
    return (
        dump.page_date,
        tuple(
            (e.title, e.abstract, e.organization.id if e.organization else None, e.authors, e.comments)
            for e in dump.entries
        ),
    )


def _inside_content(path: Path, content: Path, diags: Diagnostics) -> bool:
    """Whether ``path`` may be read: its real path (symlinks resolved) is inside ``content``. A
    link out of it could publish any file the user can read (``/etc/passwd``, ``.git/config``)."""
    if inside(path, content):
        return True
    diags.warn(display_path(path), None, "a link to outside the content folder; not read")
    return False


def gather(
    content: Path,
    diags: Diagnostics,
    base_url: str | None = None,
    stages: Stages | None = None,
    jobs: int = 1,
    cache: BuildCache | None = None,
    reset_themes: bool = False,
) -> tuple[SiteConfig, Site]:
    """Read and organize all content; nothing is written. ``jobs``: processes the themes of a
    large site may use; ``cache``: where parsed dumps, term counts and the carried themes are
    kept between builds; ``reset_themes``: choose the themes afresh (no seed)."""
    stages = stages if stages is not None else Stages()
    with stages("read"):
        config, dumps = _read(content, diags, base_url, cache)
        # The previous build's themes: the seed of these, and who had which permalink (kept
        # even when the themes are chosen afresh: a URL, once given, does not move).
        stored = _seed(content, diags, cache)
    with stages("merge"):
        editions = merge.build_editions(dumps, diags)
        papers = merge.merge_papers(editions, diags, themes.permalink_owners(stored))
        archive, undated = group.group_by_month(papers)
        site = Site(
            papers=papers,
            editions=list(reversed(editions)),
            organizations=group.group_by_organization(papers),
            archive=archive,
            undated=undated,
            pages=read_pages(content / "pages", diags, content=content),
            block_count=sum(len(d.entries) for d in dumps),
            dump_count=len(dumps),
        )
    stored = [] if reset_themes else stored
    pins_path = content / "themes.yaml"
    pins = (
        themes.read_pins(pins_path, diags, display=display_path(pins_path))
        if not pins_path.exists() or _inside_content(pins_path, content, diags)
        else {}
    )
    if cache is None:
        themes.assign_themes(
            site, n_themes=config.themes, stored=stored, stages=stages, jobs=jobs, pins=pins, diags=diags
        )
    else:
        with (
            reusing(analyzer(cache)),
            keeping_bases(BasisStore(cache)),
            keeping_neighbours(NeighbourStore(cache)),
            keeping_vectors(VectorStore(cache)),
        ):
            themes.assign_themes(
                site, n_themes=config.themes, stored=stored, stages=stages, jobs=jobs, pins=pins, diags=diags
            )
    return config, site


def _seed(content: Path, diags: Diagnostics, cache: BuildCache | None) -> list[themes.StoredTheme]:
    """The themes the build starts from: the previous build's (carried in the cache), unless
    ``content/themes.json`` changed since that build (added, edited or removed: then it is what
    the user wants, and a removed file means afresh). The bytes it started from are
    ``cache.seed`` (what a build from scratch must be given to build the same site; with
    ``--reset-themes`` too, for the permalinks it carries)."""
    path = content / "themes.json"
    shown = display_path(path)
    present = path.exists() and _inside_content(path, content, diags)
    raw = None
    if present and path.is_file():
        try:
            raw = path.read_bytes()
        except OSError:
            raw = None
    if cache is None:
        return themes.read_stored(path, diags, display=shown) if present else []
    cache.content_seed, cache.seed = digest_of(raw), None
    carried = cache.read_state()
    if carried is not None and carried[1] == cache.content_seed:
        own = Diagnostics()
        stored = themes.read_stored(carried[0], own, display=str(carried[0]))
        if not own:
            cache.seed = carried[0].read_bytes()
            return stored
        cache.note(f"{carried[0]}: the carried themes are not valid ({own.items[0].message}); not used")
    if not present:
        return []
    stored = themes.read_stored(path, diags, display=shown)
    cache.seed = raw if stored else None
    return stored


def _read(
    content: Path, diags: Diagnostics, base_url: str | None, cache: BuildCache | None = None
) -> tuple[SiteConfig, list[Dump]]:
    path = content / "site.yaml"
    if path.exists() and not _inside_content(path, content, diags):
        config = SiteConfig()
    else:
        config = load_config(path, diags, display=display_path(path))
    if base_url:
        try:
            config.base_url = check_url(base_url)
        except ValueError as exc:
            raise SitegenError(f"--base-url: {exc}") from None
    return config, read_dumps(content, config, diags, cache)


@fewer_collections()
def build(
    content: Path,
    out: Path | None,
    *,
    templates: Path | None = None,
    base_url: str | None = None,
    diags: Diagnostics | None = None,
    jobs: int | None = None,
    cache: BuildCache | None = None,
    reset_themes: bool = False,
    accept: Callable[[BuildResult], bool] | None = None,
) -> BuildResult:
    """Build the site from ``content``; write it to ``out`` unless None. ``jobs``: processes
    that cluster the themes and render the pages of a large site (None: one per core);
    ``cache`` (opened): what earlier builds computed, and the themes they carry forward (see
    ``cache.py``); ``reset_themes``: choose the themes afresh; ``accept``: asked, once all is
    rendered, whether to publish the build in ``out`` (``BuildResult.written`` tells; else the
    site there stays as it was).

    The files are written as they are rendered (into a temporary folder beside ``out``, swapped
    in at the end): the kernel creates folders and files while the rest is rendered."""
    start = time.perf_counter()
    diags = diags if diags is not None else Diagnostics()
    stages = Stages()
    jobs = default_jobs() if jobs is None else jobs
    template_dirs = [templates] if templates else []
    if out is None:
        config, site = gather(content, diags, base_url, stages, jobs, cache, reset_themes)
        files = render_site(config, site, template_dirs, stages, jobs)
        result = BuildResult(config, site, files, diags, 0.0, stages)
    else:
        with opened_beside(out, [content, *template_dirs], cache) as opening:
            config, site = gather(content, diags, base_url, stages, jobs, cache, reset_themes)
            writer = opening()
            reuse = page_reuse(cache, writer, template_dirs)
            with keeping_counts(counts) if (counts := count_store(cache)) else contextlib.nullcontext():
                files = render_site(config, site, template_dirs, stages, jobs, sink=writer.add, reuse=reuse)
            if counts is not None:
                counts.keep()
            result = BuildResult(config, site, files, diags, 0.0, stages)
            if reuse is not None:
                result.reused, result.reusable = sorted(reuse.read_back), len(reuse.keys_now)
            if accept is None or accept(result):
                with stages("write"):
                    finish(result, writer, cache, reuse)
    result.seconds = time.perf_counter() - start
    return result


@contextlib.contextmanager
def opened_beside(
    out: Path, protect: list[Path], cache: BuildCache | None = None
) -> Iterator[Callable[[], SiteWriter]]:
    """The writer of ``out`` (``site_writer``), entered in a thread while the caller gathers the
    content: reading the record of the site there and listing its files (22,000 of them at 20,000
    papers) wait on the disk, and took 0.65 s of a 13 s warm build. Gives a function that waits
    for the writer (and raises what opening it raised); call it before forking any process. The
    writer is left (``__exit__``) with the block."""
    opened: list[SiteWriter] = []
    failed: list[BaseException] = []

    def open_writer() -> None:
        try:
            writer = site_writer(out, protect, cache)
            writer.__enter__()
            opened.append(writer)
        except BaseException as exc:  # raised in the caller's thread by wait()
            failed.append(exc)

    thread = threading.Thread(target=open_writer, name="sitegen-open-site", daemon=True)
    _OPENING.append(thread)
    thread.start()

    def wait() -> SiteWriter:
        thread.join()
        if failed:
            raise failed[0]
        return opened[0]

    try:
        yield wait
    finally:
        thread.join()
        _OPENING.remove(thread)
        if opened:
            opened[0].__exit__(None, None, None)


#: Threads opening a site writer (``opened_beside``). A process must not fork while one runs (the
#: themes of a large site are clustered in forked workers as the content is gathered): the fork
#: waits for them.
_OPENING: list[threading.Thread] = []


def _before_fork() -> None:
    for thread in list(_OPENING):
        if thread is not threading.current_thread():
            thread.join()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork)


def count_store(cache: BuildCache | None) -> CountStore | None:
    """Where the search index's term counts are kept (``search.keeping_counts``), with a cache."""
    return CountStore(cache) if cache is not None and cache.enabled else None


def site_writer(out: Path, protect: list[Path], cache: BuildCache | None = None) -> SiteWriter:
    """The writer of a build into ``out``, writing as files come: with ``cache``, given the
    record of what was written there last time (the site is then updated in place: unchanged
    files are not written again)."""
    previous = None
    if cache is not None:
        previous = read_record(_site_entry(cache, out).get("files"))
    return SiteWriter(out, protect, previous=previous, background=True)


def _site_entry(cache: BuildCache, out: Path) -> dict:
    """What the cache knows of the site in ``out``: ``files`` (the writer's record) and ``keys``
    (the page keys, ``reuse.py``), stored together by ``finish`` so that they always describe
    the same build."""
    entry = cache.get_json("site", _site_key(cache, out))
    return entry if isinstance(entry, dict) else {}


def page_reuse(cache: BuildCache | None, writer: SiteWriter, template_dirs: list[Path]) -> PageReuse | None:
    """What the pages of the site in the writer's folder were rendered from (``reuse.py``), with
    the cache and the built-in templates only; None otherwise (every page is rendered)."""
    if cache is None or not cache.enabled or uses_own_templates(template_dirs):
        return None
    keys = read_keys(_site_entry(cache, writer.out).get("keys")) if writer.present else {}
    return PageReuse(writer.out, writer.previous or {}, writer.present or {}, keys, cache.salt)


def finish(
    result: BuildResult, writer: SiteWriter, cache: BuildCache | None = None, reuse: PageReuse | None = None
) -> None:
    """Swap the written site in, then carry its themes to the next build (``cache``): only a
    site that was written seeds the next one; and what its pages were rendered from."""
    record = writer.commit()
    result.written = True
    if cache is not None:
        keys = reuse.keys_now if reuse is not None else {}
        cache.put_json("site", _site_key(cache, writer.out), {"files": record, "keys": keys})
        cache.write_state(result.files["data/themes.json"], cache.content_seed)


def _site_key(cache: BuildCache, out: Path) -> str:
    return cache.key("site", str(out.resolve()))
