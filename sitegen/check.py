"""``sitegen check``: read every dump, page and the config the way the build does, write nothing.

Meant for the moment before committing a dump: every problem is reported as ``path:line:
message`` (by the build's own readers, through ``build.gather``), then a summary says what the
build would make of the content: papers, merges, each edition's date and how its year was decided.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from .build import gather
from .config import SiteConfig
from .errors import Diagnostics
from .models import Site

#: How the reader decided an edition's date (``Dump.date_source``), in words.
DATE_SOURCES = {
    "file name": "date from the file name",
    "site.yaml": "date from editions: in site.yaml",
    "page": "year printed on the page",
    "inferred": "year inferred from the papers' dates",
    "default": "year is default_year: could not be inferred",
    "none": "no date",
}


@dataclass(slots=True, frozen=True)
class EditionLine:
    """One edition as the check lists it."""

    date: dt.date | None
    path: str
    papers: int
    source: str
    """``Dump.date_source``: file name, site.yaml, page, inferred, default or none."""

    def __str__(self) -> str:
        date = self.date.isoformat() if self.date else "(no date)"
        count = _count(self.papers, "paper")
        return f"  {date:<10}  {self.path}  {count}  {DATE_SOURCES.get(self.source, self.source)}"


@dataclass(slots=True)
class CheckReport:
    """What the build would make of the content, and every problem found on the way."""

    config: SiteConfig
    site: Site
    diagnostics: Diagnostics

    @property
    def duplicates_merged(self) -> int:
        """Paper blocks that were merged into a paper already read from another block."""
        return sum(len(p.sources) for p in self.site.papers) - len(self.site.papers)

    @property
    def papers_in_several_editions(self) -> int:
        return sum(1 for p in self.site.papers if len(p.editions) > 1)

    @property
    def editions(self) -> list[EditionLine]:
        """Newest first, as the site lists them."""
        return [
            EditionLine(e.date, e.dump.path, len(e.papers), e.dump.date_source) for e in self.site.editions
        ]

    @property
    def year_inferences(self) -> dict[str, int]:
        """Editions whose year was not given (file name, site.yaml or page) but decided by sitegen."""
        counts = {"inferred": 0, "default": 0}
        for edition in self.site.editions:
            if edition.dump.date_source in counts:
                counts[edition.dump.date_source] += 1
        return counts

    def lines(self) -> list[str]:
        """The summary, one line per item; deterministic for the same content."""
        s = self.site
        warnings = len(self.diagnostics.warnings)
        errors = len(self.diagnostics.errors)
        out = [
            f"{s.dump_count} dumps, {s.block_count} paper blocks, {len(s.papers)} distinct papers, "
            f"{_count(self.duplicates_merged, 'duplicate')} merged "
            f"({_count(self.papers_in_several_editions, 'paper')} in several editions), "
            f"{_count(len(s.pages), 'Markdown page')}",
            f"{len(s.editions)} editions, newest first:",
            *(str(line) for line in self.editions),
        ]
        years = self.year_inferences
        out.append(
            f"year inferences: {years['inferred']} from the papers' dates, {years['default']} fell back "
            f"to default_year {self.config.default_year}"
        )
        problems = ([_count(errors, "error")] if errors else []) + (
            [_count(warnings, "warning")] if warnings else []
        )
        out.append(
            f"{', '.join(problems)}; nothing written" if problems else "no problems found; nothing written"
        )
        return out


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def check(content: Path, diags: Diagnostics | None = None) -> CheckReport:
    """Read all of ``content`` as ``sitegen build`` would, without rendering or writing.

    Raises ``SitegenError`` on errors that stop a build (an invalid ``site.yaml``)."""
    diags = diags if diags is not None else Diagnostics()
    config, site = gather(content, diags)
    return CheckReport(config, site, diags)
