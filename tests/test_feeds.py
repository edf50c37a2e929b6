"""Feeds, read back with a real feed reader (feedparser) and checked against the build.

Every feed of the sample site parses cleanly, holds what the site holds, links only to pages that
exist, and keeps its bytes and GUIDs across rebuilds; hostile text survives; pages announce them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import html
import shutil
from dataclasses import replace
from html.parser import HTMLParser

import feedparser
import pytest
from conftest import CONTENT, serve
from linkcheck import links_of, resolve
from lxml import etree

from sitegen.build import build, gather
from sitegen.errors import Diagnostics
from sitegen.feeds import ATOM_FEED, EDITIONS_FEED, MAIN_FEED, render_feeds, theme_feed
from sitegen.models import Paper, Site, Theme
from sitegen.output import render_site
from sitegen.render import paginate
from sitegen.writer import write_site

RSS_FEEDS = (MAIN_FEED, EDITIONS_FEED)


def parse(data: bytes) -> feedparser.FeedParserDict:
    """feedparser's reading of a feed; fails the test when it is not well-formed."""
    feed = feedparser.parse(data)
    assert not feed.bozo, f"feedparser: {feed.get('bozo_exception')!r}"
    return feed


def feed_paths(site: Site) -> list[str]:
    return [MAIN_FEED, ATOM_FEED, EDITIONS_FEED, *(theme_feed(t) for t in site.themes)]


def day(parsed) -> dt.date:
    """The UTC date of a feedparser ``*_parsed`` struct."""
    return dt.datetime.fromtimestamp(calendar.timegm(parsed), tz=dt.UTC).date()


def assert_papers(entries, papers: list[Paper], config, *, atom: bool = False) -> None:
    """Entries are exactly ``papers`` in order: title, link, GUID, abstract, date, org, theme."""
    assert [e.title for e in entries] == [p.title for p in papers]
    permalinks = [config.absolute(p.url) for p in papers]
    assert [e.link for e in entries] == permalinks
    assert [e.id for e in entries] == permalinks
    for entry, paper in zip(entries, papers, strict=True):
        if not atom:
            # An RSS description is HTML: the plain-text abstract, escaped once more.
            assert entry.summary_detail.type == "text/html"
            assert html.unescape(entry.summary) == paper.abstract
        elif paper.abstract:
            assert entry.summary_detail.type == "text/plain"
            assert entry.summary == paper.abstract
        if paper.first_seen:
            assert day(entry.published_parsed) == paper.first_seen
            assert entry.published_parsed.tm_hour == 0
        if paper.organization:
            assert entry.author == paper.organization.name
        else:
            assert "author" not in entry or atom  # Atom entries inherit the feed's author
        terms = [t.get("label") or t.term for t in entry.get("tags", [])]
        assert terms == ([paper.theme.label] if paper.theme else [])


# --- the sample site ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def feeds(sample_build) -> dict[str, feedparser.FeedParserDict]:
    result, out = sample_build
    return {path: parse((out / path).read_bytes()) for path in feed_paths(result.site)}


def test_every_feed_is_well_formed_xml_of_its_kind(sample_build, feeds):
    result, out = sample_build
    for path, feed in feeds.items():
        etree.fromstring((out / path).read_bytes())  # strict XML, not only feedparser's leniency
        assert feed.version == ("atom10" if path == ATOM_FEED else "rss20"), path
    written = {p.relative_to(out).as_posix() for p in out.rglob("*.xml")} - {"sitemap.xml"}
    assert written == set(feed_paths(result.site))


def test_main_feed_has_the_newest_papers_newest_edition_first(sample_build, feeds):
    result, _ = sample_build
    site, config = result.site, result.config
    entries = feeds[MAIN_FEED].entries
    assert config.feed_size == 50 and len(site.papers) == 270
    assert len(entries) == 50
    assert_papers(entries, site.papers[:50], config)
    guids = etree.fromstring((sample_build[1] / MAIN_FEED).read_bytes()).findall("channel/item/guid")
    assert [(g.text, g.get("isPermaLink")) for g in guids] == [(e.id, "true") for e in entries]
    dates = [day(e.published_parsed) for e in entries]
    assert dates == sorted(dates, reverse=True)
    assert dates[0] == site.editions[0].date
    # Papers with an organization carry it (the sample has both kinds among the first 50).
    assert any("author" in e for e in entries) and not all("author" in e for e in entries)


def test_atom_feed_mirrors_the_main_feed(sample_build, feeds):
    result, _ = sample_build
    entries = feeds[ATOM_FEED].entries
    assert len(entries) == 50
    assert_papers(entries, result.site.papers[:50], result.config, atom=True)
    assert [e.id for e in entries] == [e.id for e in feeds[MAIN_FEED].entries]
    assert all(e.updated_parsed for e in entries)


def test_channels_are_complete_and_dated_by_the_content(sample_build, feeds):
    result, _ = sample_build
    config, site = result.config, result.site
    newest = site.editions[0].date
    pages = {MAIN_FEED: "", ATOM_FEED: "", EDITIONS_FEED: "editions/"}
    pages.update({theme_feed(t): t.url for t in site.themes})
    # A theme's feed is dated by the newest edition with one of its papers: when it last changed.
    dated = {path: newest for path in pages}
    dated.update({theme_feed(t): max(e.date for p in t.papers for e in p.editions) for t in site.themes})
    for path, feed in feeds.items():
        channel = feed.feed
        assert channel.title.startswith(config.title), path
        assert channel.get("subtitle"), path  # RSS description / Atom subtitle
        assert channel.language == config.language, path
        assert channel.generator == "sitegen", path  # no version: a release does not churn the bytes
        assert day(channel.updated_parsed) == dated[path], path
        self_links = [link.href for link in channel.links if link.rel == "self"]
        assert self_links == [config.absolute(path)], path
        alternate = [link.href for link in channel.links if link.rel == "alternate"]
        assert alternate == [config.absolute(pages[path])], path
    raw = (sample_build[1] / MAIN_FEED).read_text(encoding="utf-8")
    assert "<lastBuildDate>Wed, 24 Dec 2025 00:00:00 +0000</lastBuildDate>" in raw


def test_editions_feed_one_item_per_edition_listing_its_papers(sample_build, feeds):
    result, _ = sample_build
    config, site = result.config, result.site
    entries = feeds[EDITIONS_FEED].entries
    assert len(entries) == len(site.editions) == 4
    assert [e.link for e in entries] == [config.absolute(e.url) for e in site.editions]
    assert [e.id for e in entries] == [e.link for e in entries]
    for entry, edition in zip(entries, site.editions, strict=True):
        assert f"{len(edition.papers)} papers" in entry.title
        assert day(entry.published_parsed) == edition.date
        assert entry.summary_detail.type == "text/html"
        anchors = _anchors(entry.summary)
        assert anchors == [(config.absolute(p.url), p.title) for p in edition.papers]


class _AnchorText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href, self._text = dict(attrs)["href"], []

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.anchors.append((self._href, "".join(self._text)))
            self._href = None


def _anchors(fragment: str) -> list[tuple[str, str]]:
    parser = _AnchorText()
    parser.feed(fragment)
    return parser.anchors


def test_every_link_of_every_feed_resolves_to_a_built_page(sample_build, feeds):
    result, out = sample_build
    base = result.config.base_path
    checked = 0
    for path, feed in feeds.items():
        urls = [link.href for link in feed.feed.links]
        for entry in feed.entries:
            urls.append(entry.link)
            urls.extend(links_of(entry.get("summary", "")) if path == EDITIONS_FEED else [])
        for url in urls:
            assert resolve(out, url, base) is not None, f"{path}: {url}"
            checked += 1
    assert checked > 50 + 50 + 4 + 270  # items of both paper feeds, editions, and their paper links


def test_theme_feeds_exist_exactly_for_the_themes_of_the_site(sample_build, feeds):
    result, out = sample_build
    site = result.site
    written = sorted(p.relative_to(out).as_posix() for p in out.glob("themes/*/feed.xml"))
    assert written == sorted(theme_feed(t) for t in site.themes)
    for theme in site.themes:
        entries = feeds[theme_feed(theme)].entries
        assert len(entries) == min(len(theme.papers), result.config.feed_size) > 0
        assert {e.title for e in entries} <= {p.title for p in theme.papers}
    if site.themes:  # once themes are built, main feed items carry them as categories
        themed = [e for e in feeds[MAIN_FEED].entries if e.get("tags")]
        assert themed


@pytest.fixture(scope="module")
def themed_site(tmp_path_factory):
    """The sample content with three themes set by hand (whatever the themes stage decided), so
    the per-theme feeds are exercised with known contents, hostile labels included."""
    config, site = gather(CONTENT, Diagnostics())
    for paper in site.papers:
        paper.theme = None
    labels = ["graphs · p<0.05 & x", "vision · video", "language · reasoning"]
    themes = [
        Theme(slug=f"hand-{i}", label=label, terms=label.split(" · ")) for i, label in enumerate(labels)
    ]
    # Round-robin over a reversed list, so a theme's papers are not already in feed order.
    for i, paper in enumerate(reversed(site.papers)):
        theme = themes[i % 3]
        theme.papers.append(paper)
        paper.theme = theme
    site.themes = themes
    out = tmp_path_factory.mktemp("themed") / "_site"
    write_site(render_site(config, site, []), out)
    return config, site, out


def test_every_theme_gets_a_feed_of_its_newest_papers(themed_site):
    config, site, out = themed_site
    rank = {id(p): i for i, p in enumerate(site.papers)}
    for theme in site.themes:
        feed = parse((out / theme_feed(theme)).read_bytes())
        newest = sorted(theme.papers, key=lambda p: rank[id(p)])[: config.feed_size]
        assert len(feed.entries) == min(90, config.feed_size) == 50
        assert_papers(feed.entries, newest, config)
        assert feed.feed.title == f"{config.title}: {theme.label}"
        assert [link.href for link in feed.feed.links if link.rel == "self"] == [
            config.absolute(theme_feed(theme))
        ]
        for entry in feed.entries:
            assert resolve(out, entry.link, config.base_path) is not None, entry.link


def test_main_feed_categories_are_the_theme_labels(themed_site):
    config, site, out = themed_site
    entries = parse((out / MAIN_FEED).read_bytes()).entries
    assert_papers(entries, site.papers[:50], config)  # compares each category with paper.theme.label
    atom = parse((out / ATOM_FEED).read_bytes()).entries
    # Issue #16 item 10: one meaning in RSS and Atom, the theme's label (was the slug in Atom).
    assert [(t.term, t.label) for e in atom[:3] for t in e.tags] == [
        (p.theme.label, p.theme.label) for p in site.papers[:3]
    ]


def test_feed_size_is_configurable(sample_build):
    result, _ = sample_build
    config = replace(result.config, feed_size=7)
    files = render_feeds(config, result.site)
    assert len(parse(files[MAIN_FEED]).entries) == 7
    assert len(parse(files[ATOM_FEED]).entries) == 7
    assert [e.title for e in parse(files[MAIN_FEED]).entries] == [p.title for p in result.site.papers[:7]]


# --- stability ------------------------------------------------------------------------------


def test_rebuild_leaves_every_feed_byte_identical(sample_build, tmp_path):
    result, out = sample_build
    again = build(CONTENT, tmp_path / "again", diags=Diagnostics())
    for path in feed_paths(result.site):
        assert (tmp_path / "again" / path).read_bytes() == (out / path).read_bytes(), path
        assert again.files[path] == result.files[path]


def test_adding_a_dump_puts_its_papers_on_top_and_keeps_every_guid(sample_build, tmp_path):
    result, _ = sample_build
    full = result.site
    newest = full.editions[0]
    content = tmp_path / "content"
    (content / "dumps").mkdir(parents=True)
    shutil.copy(CONTENT / "site.yaml", content / "site.yaml")
    for dump in sorted((CONTENT / "dumps").glob("*.txt")):
        if dump.name != newest.dump.name:
            shutil.copy(dump, content / "dumps" / dump.name)
    before = build(content, None, diags=Diagnostics())
    assert [e.date for e in before.site.editions] == [e.date for e in full.editions[1:]]

    old = parse(before.files[MAIN_FEED]).entries
    new = parse(result.files[MAIN_FEED]).entries
    old_ids = {e.title: e.id for e in old}
    new_ids = {e.title: e.id for e in new}
    shared = old_ids.keys() & new_ids.keys()
    assert shared
    assert all(old_ids[t] == new_ids[t] for t in shared)
    # Every paper of the smaller site keeps its permalink (hence GUID) in the bigger one.
    permalinks = {p.key: p.url for p in full.papers}
    assert all(permalinks[p.key] == p.url for p in before.site.papers)

    added = [p for p in full.papers if p.first_seen == newest.date]
    assert 0 < len(added) < 50
    assert [e.title for e in new[: len(added)]] == [p.title for p in added]
    assert {e.id for e in new[: len(added)]}.isdisjoint(e.id for e in old)
    # Below the new papers, the old feed continues in its order.
    assert [e.id for e in new[len(added) :]] == [e.id for e in old[: 50 - len(added)]]
    old_editions = [e.id for e in parse(before.files[EDITIONS_FEED]).entries]
    assert [e.id for e in parse(result.files[EDITIONS_FEED]).entries] == [
        result.config.absolute(newest.url),
        *old_editions,
    ]


# --- hostile text ---------------------------------------------------------------------------

HOSTILE_DUMP = """Daily Papers

Jan 5

Con\x01trol\x0b characters\x1b: p<0.05 & x

We find p<0.05 & x in \x07<script>alert(1)</script> and "quotes" & 'apostrophes' \x08 at https://github.com/x/y.

  \u2022 2 authors
\u00b7
Dec 30 3

A clean second paper

Nothing special & nothing \x0c hidden.

  \u2022 3 authors
\u00b7
Nov 2, 2023
"""


def test_control_characters_and_markup_survive_a_full_build(tmp_path):
    content = tmp_path / "content"
    (content / "dumps").mkdir(parents=True)
    (content / "site.yaml").write_text(
        "title: 'Q&A <digest>'\nbase_url: https://example.org/d/\ndefault_year: 2024\n", encoding="utf-8"
    )
    (content / "dumps" / "2024-01-05.txt").write_text(HOSTILE_DUMP, encoding="utf-8")
    out = tmp_path / "_site"
    result = build(content, out)
    assert len(result.site.papers) == 2
    for path in feed_paths(result.site):
        data = (out / path).read_bytes()
        assert not any(ch in data for ch in b"\x01\x07\x08\x0b\x0c\x1b"), path
        etree.fromstring(data)
    entries = parse((out / MAIN_FEED).read_bytes()).entries
    assert entries[0].title == "Control characters: p<0.05 & x"
    abstract = html.unescape(entries[0].summary)
    assert "p<0.05 & x in <script>alert(1)</script> and \"quotes\" & 'apostrophes'" in abstract
    assert "<script>" not in entries[0].summary  # text, never markup
    atom = parse((out / ATOM_FEED).read_bytes())
    assert atom.feed.title == "Q&A <digest>"
    assert atom.entries[0].summary == result.site.papers[0].abstract
    assert "p<0.05 & x in <script>" in atom.entries[0].summary
    editions = parse((out / EDITIONS_FEED).read_bytes()).entries
    assert [t for _, t in _anchors(editions[0].summary)] == [p.title for p in result.site.papers]


def test_control_characters_past_the_reader_are_stripped_not_fatal(sample_build):
    """Text that reached the Site with controls (another reader, a plugin) still makes feeds."""
    result, _ = sample_build
    config, site = gather(CONTENT, Diagnostics())
    paper = site.papers[0]
    paper.title = "Bell\x07 and \x1bescape: p<0.05 & x\ufffe"
    paper.abstract = "Form\x0cfeed & vertical\x0btab; p<0.05 \x00end"
    theme = Theme(slug="t", label="nul\x00 · bell\x07", papers=[paper])
    paper.theme = theme
    site.themes = [theme]
    hostile_config = replace(config, title="Site\x01 title", description="Desc\x02ription")
    files = render_feeds(hostile_config, site)
    main = parse(files[MAIN_FEED])
    assert main.feed.title == "Site title"
    assert main.entries[0].title == "Bell and escape: p<0.05 & x"
    assert html.unescape(main.entries[0].summary) == "Formfeed & verticaltab; p<0.05 end"
    assert [t.term for t in main.entries[0].tags] == ["nul · bell"]  # RSS: the label is the text
    assert parse(files[theme_feed(theme)]).feed.title == "Site title: nul · bell"
    for data in files.values():
        etree.fromstring(data)


# --- discovery ------------------------------------------------------------------------------


class _HeadLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.in_head = True
        self.feeds: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.in_head = False
        elif tag == "link" and self.in_head and a.get("rel") == "alternate":
            self.feeds.append((a["type"], a["href"]))


def test_every_page_announces_the_feeds_in_its_head(sample_build):
    from urllib.parse import urljoin

    from linkcheck import page_url

    result, out = sample_build
    base = result.config.base_path
    # (every page of a theme: 50 papers to a page)
    theme_pages = {
        out / p.url / "index.html": t for t in result.site.themes for p in paginate(t.url, t.papers)
    }
    pages = sorted(out.rglob("*.html"))
    assert len(pages) > 270
    for file in pages:
        parser = _HeadLinks()
        parser.feed(file.read_text(encoding="utf-8"))
        page = page_url(out, file, base)
        targets = [(kind, resolve(out, urljoin(page, href), base)) for kind, href in parser.feeds]
        assert all(target is not None for _, target in targets), file
        rel = [(kind, target.relative_to(out).as_posix()) for kind, target in targets]
        assert ("application/rss+xml", MAIN_FEED) in rel, file
        assert ("application/atom+xml", ATOM_FEED) in rel, file
        if file in theme_pages:
            assert rel[0] == ("application/rss+xml", theme_feed(theme_pages[file])), file
        else:
            assert rel[0] == ("application/rss+xml", MAIN_FEED), file


def test_theme_page_template_context_announces_the_theme_feed(themed_site):
    """base.html lists a theme's feed first on any page rendered with ``theme`` in its context."""
    from sitegen.render import Renderer

    config, site, _ = themed_site
    theme = site.themes[0]
    html_bytes = Renderer(config, site, []).render(
        "page.html", theme.url, page=site.pages[0], theme=theme, title=theme.label
    )
    parser = _HeadLinks()
    parser.feed(html_bytes.decode("utf-8"))
    assert parser.feeds[0] == ("application/rss+xml", f"../../{theme.url}feed.xml")
    assert ("application/rss+xml", "../../feed.xml") in parser.feeds


@pytest.mark.browser
def test_chromium_finds_the_discovery_link_and_the_feed_behind_it(sample_build, page):
    result, out = sample_build
    paper = result.site.papers[0]
    with serve(out, result.config.base_path) as base:
        page.goto(base + paper.url)
        hrefs = page.eval_on_selector_all(
            'head link[rel="alternate"][type="application/rss+xml"]', "links => links.map(l => l.href)"
        )
        assert hrefs[0] == base + MAIN_FEED
        atom = page.eval_on_selector_all(
            'head link[rel="alternate"][type="application/atom+xml"]', "links => links.map(l => l.href)"
        )
        assert atom == [base + ATOM_FEED]
        nav = page.locator("header nav a", has_text="RSS")
        assert nav.is_visible()
        assert nav.evaluate("a => a.href") == base + MAIN_FEED
        assert page.locator("footer a", has_text="RSS").is_visible()
        response = page.request.get(hrefs[0])
        assert response.status == 200
        feed = parse(response.body())
        assert len(feed.entries) == 50
        assert page.js_errors == []


def test_a_site_without_papers_still_has_valid_feeds(sample_build):
    config = sample_build[0].config
    empty = Site(
        papers=[],
        editions=[],
        organizations=[],
        archive=[],
        undated=[],
        pages=[],
        block_count=0,
        dump_count=0,
    )
    files = render_feeds(config, empty)
    assert sorted(files) == sorted([MAIN_FEED, ATOM_FEED, EDITIONS_FEED])
    for data in files.values():
        feed = parse(data)
        assert feed.entries == []
        # No content, no clock: the epoch, so two empty builds are still identical.
        assert day(feed.feed.updated_parsed) == dt.date(1970, 1, 1)
    assert render_feeds(config, empty) == files


def test_a_theme_feed_changes_only_when_its_newest_papers_do(tmp_path):
    """A new edition with a few papers: the main feeds are dated by it, a theme's feed by the
    newest edition with one of its papers, and the feed of a theme with no new paper keeps its
    bytes (a subscriber's reader sees nothing new; an incremental build reads it back)."""
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    before = build(content, tmp_path / "before", diags=Diagnostics())
    # Three papers about what the largest theme's three most typical papers are about.
    theme = before.site.themes[0]
    blocks = [f"Revisiting {p.title}\n\n{p.abstract}\n\n• 3 authors\n\n·\n\nDec 30" for p in theme.papers[:3]]
    (content / "dumps" / "2025-12-31.txt").write_text(
        "Daily Papers\n\nDec 31\n\n" + "\n\n".join(blocks) + "\n", encoding="utf-8"
    )
    after = build(content, tmp_path / "after", diags=Diagnostics())
    assert after.site.editions[0].date == dt.date(2025, 12, 31)
    touched = {p.theme.slug for p in after.site.editions[0].papers}
    assert theme.slug in touched and len(touched) < len(after.site.themes)
    for path in (MAIN_FEED, ATOM_FEED, EDITIONS_FEED):
        assert day(parse((tmp_path / "after" / path).read_bytes()).feed.updated_parsed) == dt.date(
            2025, 12, 31
        )
    for t in after.site.themes:
        path = theme_feed(t)
        feed = parse((tmp_path / "after" / path).read_bytes())
        if t.slug in touched:
            assert day(feed.feed.updated_parsed) == dt.date(2025, 12, 31), path
        else:
            assert day(feed.feed.updated_parsed) < dt.date(2025, 12, 31), path
            assert (tmp_path / "after" / path).read_bytes() == (tmp_path / "before" / path).read_bytes(), path
