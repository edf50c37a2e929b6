"""Typed records passed between the stages of the pipeline.

read (``reader``) -> merge (``merge``) -> group (``group``) -> render (``render``) -> write (``writer``).
Everything that came from a file keeps its path and line, so every message can point at it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(slots=True, frozen=True)
class Organization:
    """A Hugging Face organization as a dump names it."""

    id: str
    """Hub id, e.g. ``ServiceNow-AI``."""
    name: str
    """Display name, e.g. ``ServiceNow-AI`` or ``Google DeepMind``."""
    slug: str
    """Path segment of the organization's page."""


@dataclass(slots=True)
class PaperEntry:
    """One paper block of one dump, as read."""

    title: str
    abstract: str
    line: int
    """Line of the title in the dump (1-based)."""
    organization: Organization | None = None
    authors: int | None = None
    published: dt.date | None = None
    comments: int | None = None
    """Comment count; 0 when the block has a date but no count, None when it has no metadata."""
    arxiv_id: str | None = None
    """Only in renderings that keep links (``huggingface.co/papers/<id>``)."""


@dataclass(slots=True)
class Dump:
    """One dump file: one edition of the digest."""

    path: str
    """Path as shown in messages."""
    name: str
    """File name."""
    page_date: tuple[int, int] | None
    """Month and day of the listing page, as printed (no year)."""
    date: dt.date | None
    """The edition's full date, when it could be decided."""
    date_source: str
    """How the year was decided: file name, config, inferred, default."""
    entries: list[PaperEntry] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Edition:
    """An edition of the digest: the papers of one dump, in dump order."""

    slug: str
    date: dt.date | None
    dump: Dump = field(repr=False)
    papers: list[Paper] = field(default_factory=list, repr=False)
    previous: Edition | None = field(default=None, repr=False)
    next: Edition | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"editions/{self.slug}/"

    @property
    def label(self) -> str:
        """How the edition is named to readers: its date, or its slug when it has none."""
        return self.date.strftime("%b %-d, %Y") if self.date else self.slug


@dataclass(slots=True, eq=False)
class Paper:
    """A distinct paper, merged over every dump it appears in."""

    id: str
    """Permalink slug: readable title words plus a hash of the normalized title."""
    key: str
    """Normalized title, the merge key."""
    title: str
    abstract: str
    organization: Organization | None = None
    authors: int | None = None
    published: dt.date | None = None
    comments: int | None = None
    arxiv_id: str | None = None
    editions: list[Edition] = field(default_factory=list, repr=False)
    """Editions the paper appeared in, oldest first. (Not in repr: editions point back at papers.)"""
    links: list[str] = field(default_factory=list)
    """URLs found in the abstract, in order."""
    sources: list[tuple[str, int]] = field(default_factory=list)
    """(path, line) of every block this paper was merged from."""
    theme: Theme | None = field(default=None, repr=False)
    """Set by the themes stage."""
    related: list[Paper] = field(default_factory=list, repr=False)
    """Most similar papers by text, most similar first; set by the themes stage."""

    @property
    def url(self) -> str:
        return f"papers/{self.id}/"

    @property
    def first_seen(self) -> dt.date | None:
        dates = [e.date for e in self.editions if e.date]
        return min(dates) if dates else None


@dataclass(slots=True, eq=False)
class Theme:
    """A group of papers about one subject, found by clustering (``themes/``)."""

    slug: str
    """Path segment of the theme's page; survives rebuilds where the theme does."""
    label: str
    """Its name: 2-3 distinctive terms joined by ' · ', carried from the stored themes while the
    theme keeps most of its papers, or pinned in ``content/themes.yaml``."""
    terms: list[str] = field(default_factory=list)
    papers: list[Paper] = field(default_factory=list, repr=False)
    """Most central first."""
    area: int = 0
    """The group of neighbouring themes it is clustered with (0 on a site of one area)."""
    area_label: str = ""
    """The area's name; empty on a site of one area."""
    area_anchor: str = ""
    """The id of the area's section on the themes page; empty on a site of one area."""
    joined: list[str] = field(default_factory=list, repr=False)
    """Ids of the papers that joined the theme after it was fitted (``themes/carry.py``)."""
    subject: bool = True
    """False for a group of papers left over between subjects (``Site.leftover``): no theme."""

    @property
    def url(self) -> str:
        return f"themes/{self.slug}/"

    @property
    def more_terms(self) -> list[str]:
        """Its terms that its name does not show (the themes page lists them after its size): a
        name shows two or three of them, or none where it is pinned."""
        shown = {part.strip().casefold() for part in self.label.split("·")}
        return [term for term in self.terms if term.casefold() not in shown]


@dataclass(slots=True, eq=False)
class Area:
    """A group of neighbouring themes (only on a large site: see ``themes/areas.py``)."""

    label: str
    """2 terms that set it apart from the other areas, joined by ' · '."""
    anchor: str
    """Its section's id on the themes page."""
    themes: list[Theme] = field(default_factory=list, repr=False)
    """Most papers first."""
    papers: int = 0
    """How many papers its themes hold."""


@dataclass(slots=True)
class Page:
    """A Markdown page from ``content/pages``."""

    slug: str
    title: str
    html: str
    description: str
    path: str
    meta: dict[str, object] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"{self.slug}/"


@dataclass(slots=True)
class OrgGroup:
    organization: Organization
    papers: list[Paper]

    @property
    def url(self) -> str:
        return f"orgs/{self.organization.slug}/"


@dataclass(slots=True)
class MonthGroup:
    year: int
    month: int
    papers: list[Paper]

    @property
    def url(self) -> str:
        return f"archive/{self.year:04d}/{self.month:02d}/"

    @property
    def label(self) -> str:
        return dt.date(self.year, self.month, 1).strftime("%B %Y")


@dataclass(slots=True)
class YearGroup:
    year: int
    months: list[MonthGroup]

    @property
    def count(self) -> int:
        return sum(len(m.papers) for m in self.months)


@dataclass(slots=True)
class Site:
    """Everything the renderers need, gathered before anything is written."""

    papers: list[Paper]
    """All papers, newest first seen first, then by dump order."""
    editions: list[Edition]
    """Newest first."""
    organizations: list[OrgGroup]
    archive: list[YearGroup]
    undated: list[Paper]
    pages: list[Page]
    block_count: int
    dump_count: int
    themes: list[Theme] = field(default_factory=list)
    """Largest first; set by the themes stage."""
    areas: list[Area] = field(default_factory=list)
    """Groups of themes, most papers first; empty on a site of one area; set by the themes stage."""
    leftover: list[Theme] = field(default_factory=list)
    """The groups the clustering found whose papers share no subject (``Theme.subject`` False):
    shown as no theme (their papers' ``theme`` is None), stored to seed the next build."""

    @property
    def unthemed(self) -> list[Paper]:
        """The papers of no theme (of ``leftover``), in the site's order."""
        return [p for p in self.papers if p.theme is None] if self.leftover else []
