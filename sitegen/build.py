"""The build: read everything, then merge, group, render, and write. No stage logic here."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from . import group, merge, reader, themes
from .config import SiteConfig, check_url, load_config
from .errors import Diagnostics, SitegenError, display_path
from .models import Dump, Site
from .output import render_site
from .pages import read_pages
from .safe import inside
from .stages import Stages, default_jobs
from .writer import write_site


@dataclass(slots=True)
class BuildResult:
    config: SiteConfig
    site: Site
    files: dict[str, bytes]
    diagnostics: Diagnostics
    seconds: float
    stages: Stages = field(default_factory=Stages)

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


def read_dumps(content: Path, config: SiteConfig, diags: Diagnostics) -> list[Dump]:
    """Read every ``*.txt`` of ``content/dumps`` in name order."""
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
        dump = reader.read_dump(
            path,
            diags,
            display=display_path(path),
            configured_date=config.editions.get(path.name),
            default_year=config.default_year,
        )
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
) -> tuple[SiteConfig, Site]:
    """Read and organize all content; nothing is written. ``jobs``: processes the themes of a
    large site may use."""
    stages = stages if stages is not None else Stages()
    with stages("read"):
        config, dumps = _read(content, diags, base_url)
    with stages("merge"):
        editions = merge.build_editions(dumps, diags)
        papers = merge.merge_papers(editions, diags)
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
    stored_path = content / "themes.json"
    stored = (
        themes.read_stored(stored_path, diags, display=display_path(stored_path))
        if not stored_path.exists() or _inside_content(stored_path, content, diags)
        else []
    )
    pins_path = content / "themes.yaml"
    pins = (
        themes.read_pins(pins_path, diags, display=display_path(pins_path))
        if not pins_path.exists() or _inside_content(pins_path, content, diags)
        else {}
    )
    themes.assign_themes(
        site, n_themes=config.themes, stored=stored, stages=stages, jobs=jobs, pins=pins, diags=diags
    )
    return config, site


def _read(content: Path, diags: Diagnostics, base_url: str | None) -> tuple[SiteConfig, list[Dump]]:
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
    return config, read_dumps(content, config, diags)


def build(
    content: Path,
    out: Path | None,
    *,
    templates: Path | None = None,
    base_url: str | None = None,
    diags: Diagnostics | None = None,
    jobs: int | None = None,
) -> BuildResult:
    """Build the site from ``content``; write it to ``out`` unless None. ``jobs``: processes
    that cluster the themes and render the pages of a large site (None: one per core)."""
    start = time.perf_counter()
    diags = diags if diags is not None else Diagnostics()
    stages = Stages()
    jobs = default_jobs() if jobs is None else jobs
    config, site = gather(content, diags, base_url, stages, jobs)
    files = render_site(config, site, [templates] if templates else [], stages, jobs)
    if out is not None:
        with stages("write"):
            write_site(files, out, protect=[content, *([templates] if templates else [])])
    return BuildResult(config, site, files, diags, time.perf_counter() - start, stages)
