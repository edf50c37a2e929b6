"""Feeds: RSS 2.0 of the newest papers, of the editions and of every theme, plus Atom of the papers.

Made with feedgen. Every date comes from the content (edition dates at UTC midnight), never from
the clock, and the generator carries no version, so rebuilding unchanged content gives the same
bytes. Text from the dumps goes through ``strip_controls`` first: XML forbids most control
characters and lxml (under feedgen) refuses them.

Files, by site-relative path:

- ``feed.xml``: RSS, the ``feed_size`` newest papers, newest edition first;
- ``atom.xml``: the same papers as Atom;
- ``editions/feed.xml``: RSS, one item per edition (its papers as a list of links);
- ``themes/<slug>/feed.xml``: RSS, the newest papers of each theme.
"""

from __future__ import annotations

import datetime as dt
import heapq
import re
from collections.abc import Iterable
from html import escape

from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator

from .config import SiteConfig
from .models import Edition, Paper, Site, Theme
from .render import hf_search
from .reuse import PageReuse
from .text import is_code_link, strip_controls
from .writer import FileData

MAIN_FEED = "feed.xml"
ATOM_FEED = "atom.xml"
EDITIONS_FEED = "editions/feed.xml"
GENERATOR = "sitegen"
"""Fixed, without a version: a release must not change every feed's bytes."""
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def theme_feed(theme: Theme) -> str:
    """Site-relative path of a theme's feed."""
    return f"{theme.url}feed.xml"


def _clean(text: str) -> str:
    return strip_controls(text).strip()


# What makes a feed reader take an RSS title for HTML (feedparser's test, and what an HTML parser
# would read as a tag, comment or character reference).
_MARKUP = re.compile(r"<[A-Za-z/!?]|&(?:#|[A-Za-z]+;)")


def _rss_title(text: str) -> str:
    """An RSS title that every reader shows as the plain text ``text``.

    RSS does not say whether a title is text or HTML; readers guess, and a title such as
    ``<a href=javascript:…>`` is read as markup. Such a title is HTML-escaped once more (the XML
    writer escapes it again), as descriptions are; one with no markup-like ``<`` or ``&`` is left as
    it is, so that "p<0.05 & x" reads as itself where readers take titles as text."""
    text = _clean(text)
    return escape(text, quote=False) if _MARKUP.search(text) else text


def _midnight(date: dt.date) -> dt.datetime:
    """Editions have a day, not a time: UTC midnight of that day, timezone-aware."""
    return dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC)


def build_date(site: Site) -> dt.datetime:
    """The feeds' lastBuildDate/updated: the newest edition's date, so it changes only with the
    content. Without a dated edition, the newest publication date; without that, the epoch."""
    dates = [e.date for e in site.editions if e.date] or [p.published for p in site.papers if p.published]
    return _midnight(max(dates)) if dates else _EPOCH


def theme_date(papers: Iterable[Paper], fallback: dt.datetime) -> dt.datetime:
    """A theme feed's lastBuildDate/updated: the date of the newest edition with one of its
    ``papers`` (the newest ones: the feed's items), when its content last changed; else
    ``fallback`` (the site's)."""
    dates = [e.date for p in papers for e in p.editions if e.date]
    return _midnight(max(dates)) if dates else fallback


def _newest_first(papers: Iterable[Paper], rank: dict[int, int], limit: int) -> list[Paper]:
    """``papers`` in the order ``rank`` gives (``id(paper)`` -> its place in ``site.papers``:
    newest first seen first), at most ``limit``."""
    return heapq.nsmallest(limit, papers, key=lambda p: rank.get(id(p), len(rank)))


def _channel(
    config: SiteConfig,
    site: Site,
    *,
    title: str,
    description: str,
    page: str,
    path: str,
    atom: bool = False,
    when: dt.datetime | None = None,
) -> FeedGenerator:
    """A feed with its channel set: ``page`` is the site page it mirrors, ``path`` the feed
    itself, ``when`` its date (default: the site's, ``build_date``)."""
    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)
    fg.title(_clean(title) if atom else _rss_title(title))
    fg.description(_clean(description) or _clean(title))
    fg.language(_clean(config.language))
    fg.generator(GENERATOR)
    when = when if when is not None else build_date(site)
    fg.lastBuildDate(when)
    fg.updated(when)
    fg.id(config.absolute(page))
    fg.author({"name": _clean(config.author) or _clean(config.title)})
    if atom:
        # In Atom, link order is free; feedgen writes them in the order given.
        fg.link(href=config.absolute(page), rel="alternate", type="text/html")
        fg.link(href=config.absolute(path), rel="self", type="application/atom+xml")
    else:
        # feedgen writes the rel=self link as atom:link; the alternate one becomes <link>.
        fg.link(href=config.absolute(path), rel="self", type="application/rss+xml")
        fg.link(href=config.absolute(page), rel="alternate")
    return fg


def edition_ranks(site: Site) -> dict[tuple[int, int], int]:
    """Seconds after midnight that order the papers of one edition as its page does: the first
    paper of an edition of n papers gets n - 1, the last 0, so a reader sorting by date shows
    them in the page's order. Keyed by (id(edition), id(paper)); one pass over every edition."""
    return {
        (id(edition), id(paper)): min(len(edition.papers) - 1 - index, 86_399)
        for edition in site.editions
        for index, paper in enumerate(edition.papers)
    }


def _edition_time(paper: Paper, date: dt.date, ranks: dict[tuple[int, int], int]) -> dt.datetime:
    """The paper's time in its (first dated) edition of ``date``: midnight plus its rank there."""
    edition = next((e for e in paper.editions if e.date == date), None)
    offset = ranks.get((id(edition), id(paper)), 0) if edition is not None else 0
    return _midnight(date) + dt.timedelta(seconds=offset)


def paper_html(config: SiteConfig, paper: Paper) -> str:
    """A paper's item content for feed readers: its facts (date, organization, comments, theme,
    code), the abstract, and where to read more. Every text from the dumps is escaped."""
    facts = []
    if paper.published:
        facts.append(f"Published {paper.published.strftime('%b %-d, %Y')}")
    if paper.organization is not None:
        org = _clean(paper.organization.name) or _clean(paper.organization.id)
        facts.append(
            f'<a href="{escape(config.absolute(f"orgs/{paper.organization.slug}/"))}">{escape(org)}</a>'
        )
    if paper.authors is not None:
        facts.append(f"{paper.authors} author{'s' if paper.authors != 1 else ''}")
    if paper.comments is not None:
        facts.append(f"{paper.comments} comment{'s' if paper.comments != 1 else ''}")
    if paper.theme is not None:
        facts.append(
            f'theme <a href="{escape(config.absolute(paper.theme.url))}">{escape(_clean(paper.theme.label))}</a>'
        )
    code = next((link for link in paper.links if is_code_link(link)), None)
    if code:
        facts.append(f'<a href="{escape(code)}">code</a>')
    parts = [f"<p>{' · '.join(facts)}</p>"] if facts else []
    abstract = _clean(paper.abstract)
    if abstract:
        parts.append(f"<p>{escape(abstract, quote=False)}</p>")
    parts.append(
        f'<p><a href="{escape(config.absolute(paper.url))}">On {escape(_clean(config.title))}</a> · '
        f'<a href="{escape(hf_search(paper))}">On Hugging Face</a></p>'
    )
    return "\n".join(parts)


def _add_paper(
    fg: FeedGenerator,
    config: SiteConfig,
    paper: Paper,
    fallback: dt.datetime,
    atom: bool,
    ranks: dict[tuple[int, int], int] | None = None,
) -> None:
    entry: FeedEntry = fg.add_entry(order="append")
    permalink = config.absolute(paper.url)
    entry.title(_clean(paper.title) if atom else _rss_title(paper.title))
    entry.link(href=permalink, rel="alternate")
    entry.guid(permalink, permalink=True)
    abstract = _clean(paper.abstract)
    if atom:
        # Atom says what the text is: plain text, escaped once by the XML writer.
        if abstract:
            entry.summary(abstract, type="text")
    else:
        # An RSS description is HTML: escape the plain text once here (the XML writer escapes it
        # again), so "p<0.05 & x" reads back as itself and never as markup.
        entry.description(escape(abstract, quote=False) if abstract else _clean(paper.title))
    # The whole item for readers that show content (content:encoded in RSS, content in Atom); the
    # description/summary stays the plain abstract for those that show only that.
    entry.content(paper_html(config, paper), type="html" if atom else None)
    if paper.theme is not None:
        # One meaning in both formats: the theme's name (RSS shows the category's text, Atom the
        # term unless a label is given), in the site's scheme of themes.
        label = _clean(paper.theme.label)
        entry.category(term=label, label=label, scheme=config.absolute("themes/"))
    if paper.organization is not None:
        org = _clean(paper.organization.name) or _clean(paper.organization.id)
        if atom:
            entry.author({"name": org, "uri": config.absolute(f"orgs/{paper.organization.slug}/")})
        else:
            # RSS <author> must be an e-mail address; dc:creator is what readers show for a name.
            entry.dc.dc_creator(org)
    first = paper.first_seen
    dates = [e.date for e in paper.editions if e.date]
    ranks = ranks if ranks is not None else {}
    if first is not None:
        entry.published(_edition_time(paper, first, ranks))
    entry.updated(_edition_time(paper, max(dates), ranks) if dates else fallback)


def _paper_feed(
    config: SiteConfig,
    site: Site,
    papers: list[Paper],
    *,
    title: str,
    description: str,
    page: str,
    path: str,
    atom: bool = False,
    ranks: dict[tuple[int, int], int] | None = None,
    when: dt.datetime | None = None,
) -> bytes:
    fg = _channel(
        config, site, title=title, description=description, page=page, path=path, atom=atom, when=when
    )
    fallback = build_date(site)
    ranks = ranks if ranks is not None else edition_ranks(site)
    for paper in papers:
        _add_paper(fg, config, paper, fallback, atom, ranks)
    return fg.atom_str(pretty=True) if atom else fg.rss_str(pretty=True)


def edition_html(config: SiteConfig, edition: Edition) -> str:
    """An edition's digest as HTML: its papers as a list of absolute links (every text escaped)."""
    items = []
    for paper in edition.papers:
        line = f'<a href="{escape(config.absolute(paper.url))}">{escape(_clean(paper.title))}</a>'
        if paper.organization is not None:
            line += f" ({escape(_clean(paper.organization.name))})"
        items.append(f"<li>{line}</li>")
    count = len(edition.papers)
    return f"<p>{count} paper{'s' if count != 1 else ''}.</p>\n<ul>\n" + "\n".join(items) + "\n</ul>"


def _editions_feed(config: SiteConfig, site: Site) -> bytes:
    fg = _channel(
        config,
        site,
        title=f"{config.title}: editions",
        description=f"One item per edition of {config.title}: that day's papers as a list of links.",
        page="editions/",
        path=EDITIONS_FEED,
    )
    for edition in site.editions[: config.feed_size]:
        entry = fg.add_entry(order="append")
        permalink = config.absolute(edition.url)
        count = len(edition.papers)
        entry.title(_rss_title(f"Edition of {edition.label}: {count} paper{'s' if count != 1 else ''}"))
        entry.link(href=permalink, rel="alternate")
        entry.guid(permalink, permalink=True)
        entry.description(edition_html(config, edition))
        if edition.date:
            entry.published(_midnight(edition.date))
    return fg.rss_str(pretty=True)


def render_feeds(
    config: SiteConfig, site: Site, reuse: PageReuse | None = None, keys: dict[str, str] | None = None
) -> dict[str, FileData]:
    """Every feed of the site, by site-relative path. ``reuse``: the previous build's files, a
    theme's feed kept where it was made from the same data (``PageReuse.feed_key``); ``keys``
    gets the theme feeds' keys (for the next build)."""
    newest = site.papers[: config.feed_size]
    ranks = edition_ranks(site)  # once for every feed: each theme's feed would repeat the pass
    order = {id(p): i for i, p in enumerate(site.papers)}  # the same: once, not once a theme
    main = {
        "title": config.title,
        "description": config.description,
        "page": "",
        "ranks": ranks,
    }
    files: dict[str, FileData] = {
        MAIN_FEED: _paper_feed(config, site, newest, path=MAIN_FEED, **main),
        ATOM_FEED: _paper_feed(config, site, newest, path=ATOM_FEED, atom=True, **main),
        EDITIONS_FEED: _editions_feed(config, site),
    }
    fallback = build_date(site)
    for theme in site.themes:
        path, items = theme_feed(theme), _newest_first(theme.papers, order, config.feed_size)
        channel = {
            "title": f"{config.title}: {theme.label}",
            "description": f"The newest papers about {theme.label} in {config.title}.",
            "page": theme.url,
            "when": theme_date(items, fallback),
        }
        # A theme's feed changes when its newest papers do, not with every edition: else kept.
        data = None
        if reuse is not None:
            key = reuse.feed_key(path, channel, items, ranks, fallback)
            if keys is not None:
                keys[path] = key
            data = reuse.previous(path, key)
        files[path] = data or _paper_feed(config, site, items, path=path, ranks=ranks, **channel)
    return files
