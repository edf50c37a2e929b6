"""Pages the previous build rendered from the same data: kept instead of rendered again.

An incremental build (see ``cache.py``) knows, for the site in its output folder, what every file
held (``writer.Record``: hash, size, mtime, inode) and from what each paper page, edition page and
page of a theme's, month's or organization's listing was rendered (its *page key*: a digest of
everything the page shows). A page whose key is the one recorded, and whose file in the site is
still the file recorded (same size, mtime and inode: what the writer trusts of an unchanged file),
would be rendered to those very bytes: the file is kept where it is (``writer.Kept``), neither
rendered, nor read, nor written again; the build's ``files`` read it when asked for. Any doubt
renders.

**What a key covers.** A paper page shows the paper's own fields, its theme's name, its
organization, its editions, its related papers (their titles, URLs and themes' names), the
navigation (the Markdown pages' titles) and the settings (``site.yaml``); the key digests exactly
that (``paper_view``), the page's URL, the code digest of the cache (sitegen's version, code and
built-in templates) and what else the built-in templates read. A listing's page shows its own data
(a theme's name, terms and size ...), its page numbers and its papers' cards (``card_view``).
Templates of the user's could read anything the site holds: with any of them in use, no page is
read back.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .config import SiteConfig
from .models import Edition, Paper, Site, Theme
from .writer import Kept

#: Names of template files; a user's template folder holding any disables reuse (its static/
#: files are copied, not rendered, and do not).
TEMPLATE_SUFFIXES = (".html", ".xml", ".txt", ".j2", ".jinja")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _theme(theme: Theme | None) -> list[Any] | None:
    if theme is None:
        return None
    return [theme.slug, theme.url, theme.label, list(theme.terms), theme.area_label, theme.area_anchor]


def paper_view(paper: Paper) -> list[Any]:
    """Everything the page of ``paper`` shows, as JSON-able data (not its ``sources``: where
    in the dumps it was read is not shown)."""
    org = paper.organization
    return [
        paper.id,
        paper.key,
        paper.url,
        paper.title,
        paper.abstract,
        [org.id, org.name, org.slug] if org else None,
        paper.authors,
        _iso(paper.published),
        paper.comments,
        paper.arxiv_id,
        list(paper.links),
        [[e.slug, _iso(e.date), e.url, e.label] for e in paper.editions],
        _theme(paper.theme),
        [[o.url, o.title, o.theme.label if o.theme else None] for o in paper.related],
    ]


#: What a card shows of the abstract: its first 260 characters cut at a word (``snippet(260)``
#: in ``_macros.html``) and whether there is more; so the first 261 characters tell it all.
CARD_ABSTRACT = 261


def card_view(paper: Paper) -> list[Any]:
    """What a paper's card in a listing shows (``_macros.html``: ``card``). A card is on four
    listings of every paper and each one's digest is taken every build: of the abstract it
    holds only what the card shows (``CARD_ABSTRACT``), not the whole."""
    org = paper.organization
    return [
        paper.url,
        paper.title,
        paper.abstract[:CARD_ABSTRACT],
        [org.id, org.name, org.slug] if org else None,
        _theme(paper.theme),
        _iso(paper.published),
        _iso(paper.first_seen),
        paper.authors,
        paper.comments,
        list(paper.links),
    ]


def theme_view(theme: Theme) -> list[Any]:
    """A theme's page shows its name, terms, area, size (and links its feed)."""
    return [_theme(theme), len(theme.papers)]


def uses_own_templates(template_dirs: Sequence[Path]) -> bool:
    """Whether a user's template folder holds a template (not only ``static/`` files)."""
    for folder in template_dirs:
        if folder.is_dir():
            for path in folder.rglob("*"):
                rel = path.relative_to(folder)
                if rel.parts[0] != "static" and path.is_file() and path.name.endswith(TEMPLATE_SUFFIXES):
                    return True
    return False


@dataclasses.dataclass
class PageReuse:
    """The previous build's pages in ``out``: ``record`` (the writer's, of the site there),
    ``present`` (the regular files found there, reached without following a symlink: size, mtime,
    inode; ``SiteWriter.present``) and ``keys`` (page name -> page key, of that build); ``salt``
    is the cache's code digest. ``keys_now`` collects this build's keys, for the next one."""

    out: Path
    record: dict[str, list]
    present: dict[str, tuple[int, int, int]]
    keys: dict[str, str]
    salt: str
    base: str = ""
    keys_now: dict[str, str] = dataclasses.field(default_factory=dict)
    read_back: list[str] = dataclasses.field(default_factory=list)
    """The pages of this build read back rather than rendered."""
    _cards: dict[str, str] = dataclasses.field(default_factory=dict)

    def prepare(self, config: SiteConfig, site: Site) -> None:
        """The part of every key that is the same for all pages (settings, navigation)."""
        shared = [
            self.salt,
            dataclasses.asdict(config),
            [[p.slug, p.url, p.title] for p in site.pages],
        ]
        text = json.dumps(shared, sort_keys=True, ensure_ascii=False, default=str)
        self.base = hashlib.sha256(text.encode("utf-8")).hexdigest()

    def key(self, name: str, paper: Paper) -> str:
        """The key of the page of ``paper`` (``paper.html``) at ``name``."""
        return self._digest(["paper.html", name, paper_view(paper)])

    def listing_key(self, name: str, template: str, title: str, what: list[Any], pagination: Any) -> str:
        """The key of one page of a listing (a theme's, a month's, an organization's): ``what``
        is the listing's own data (``theme_view`` ...), then its page numbers and its cards."""
        numbers = [pagination.base, pagination.number, pagination.count, pagination.total]
        return self._digest([template, name, title, what, numbers, self.cards(pagination.items)])

    def edition_key(
        self, name: str, title: str, edition: Edition, themes: list[tuple[Theme, list[Paper]]]
    ) -> str:
        """The key of an edition's page: its date and neighbours, its theme chips, its cards."""
        near = [[e.url, e.label] if e else None for e in (edition.previous, edition.next)]
        what = [edition.slug, _iso(edition.date), edition.url, edition.label, near]
        chips = [[_theme(t), len(papers)] for t, papers in themes]
        return self._digest(["edition.html", name, title, what, chips, self.cards(edition.papers)])

    def feed_key(
        self,
        name: str,
        channel: dict[str, Any],
        items: Sequence[Paper],
        ranks: dict[tuple[int, int], int],
        fallback: Any,
    ) -> str:
        """The key of a theme's feed: its channel (title, description, page, date), and each
        item's card, whole abstract (an item holds it all; a card only its start), arXiv id (its
        link to Hugging Face), editions' dates and place in each (the items' times); the site's
        date only where an item has no dated edition (then it is the item's date)."""
        times = [
            [p.abstract, p.arxiv_id, [[_iso(e.date), ranks.get((id(e), id(p)))] for e in p.editions]]
            for p in items
        ]
        undated = any(not any(e.date for e in p.editions) for p in items)
        what = [channel["title"], channel["description"], channel["page"], _iso(channel["when"])]
        return self._digest(
            ["feed", name, what, self.cards(items), times, _iso(fallback) if undated else None]
        )

    def cards(self, papers: Sequence[Paper]) -> list[str]:
        """A digest of each paper's card (``card_view``), each computed once a build: a paper's
        card is on several listings."""
        out = []
        for paper in papers:
            digest = self._cards.get(paper.url)
            if digest is None:
                text = json.dumps(card_view(paper), ensure_ascii=False)
                digest = self._cards[paper.url] = hashlib.sha256(
                    text.encode("utf-8", "surrogatepass")
                ).hexdigest()
            out.append(digest)
        return out

    def _digest(self, data: list[Any]) -> str:
        text = json.dumps([self.base, *data], ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    def previous(self, name: str, key: str) -> Kept | None:
        """The file ``name`` of the previous site, kept as it is (``writer.Kept``), when it was
        rendered from ``key`` and is still the very file recorded (same size, mtime and inode,
        as the writer trusts an unchanged file); else None (render it). Nothing is read."""
        recorded = self.record.get(name)
        if not recorded or self.keys.get(name) != key or self.present.get(name) != tuple(recorded[1:]):
            return None
        return Kept(self.out / name, recorded[0], recorded[1])


def read_keys(value: object) -> dict[str, str]:
    """Page keys as stored (JSON in the build cache); empty unless they have exactly that shape."""
    if isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) and len(v) == 64 for k, v in value.items()
    ):
        return value
    return {}
