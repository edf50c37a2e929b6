"""Feed items as a feed reader shows them (issue #16, item 10), read back with feedparser: an order
that matches the edition's, one meaning for categories, and content with the paper's facts."""

from __future__ import annotations

import calendar
import html
from html.parser import HTMLParser

import feedparser
from lxml import etree

from sitegen.build import build
from sitegen.feeds import ATOM_FEED, MAIN_FEED, theme_feed

HOSTILE_DUMP = """Daily Papers

Jan 5

Tags <b>bold</b> & co

We find p<0.05 & x in <script>alert(1)</script> at https://github.com/x/y and more.

evil <i>Org</i> & Co
\u00b7
Dec 30 3

A clean second paper

Nothing special & nothing hidden here, just text.

  \u2022 1 authors
\u00b7
Nov 2, 2023 1
"""


def _parse(data: bytes) -> feedparser.FeedParserDict:
    feed = feedparser.parse(data)
    assert not feed.bozo, repr(feed.get("bozo_exception"))
    return feed


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "a":
            self.hrefs.append(dict(attrs)["href"])


def test_items_of_an_edition_are_dated_in_the_order_of_its_page(sample_build):
    result, out = sample_build
    newest = result.site.editions[0]
    for path in (MAIN_FEED, ATOM_FEED):
        entries = _parse((out / path).read_bytes()).entries
        first_seen_here = {p.title for p in newest.papers if p.first_seen == newest.date}
        items = [e for e in entries if e.title in first_seen_here]
        assert len(items) > 10
        times = [calendar.timegm(e.published_parsed) for e in items]
        assert len(set(times)) == len(times), f"{path}: items share a date"
        # A reader sorting by date, newest first, gets the edition's order.
        by_date = [e.title for e in sorted(items, key=lambda e: -calendar.timegm(e.published_parsed))]
        assert by_date == [p.title for p in newest.papers if p.title in first_seen_here]
        # Still the edition's day: the order is in seconds after its midnight.
        assert {e.published_parsed[:3] for e in items} == {newest.date.timetuple()[:3]}


def test_rss_and_atom_categories_mean_the_same(sample_build):
    result, out = sample_build
    rss = _parse((out / MAIN_FEED).read_bytes()).entries
    atom = _parse((out / ATOM_FEED).read_bytes()).entries
    themed = [p for p in result.site.papers[:50] if p.theme]
    assert themed
    for paper, r, a in zip(result.site.papers[:50], rss, atom, strict=True):
        expected = [paper.theme.label] if paper.theme else []
        assert [t.term for t in r.get("tags", [])] == expected
        assert [t.term for t in a.get("tags", [])] == expected
        assert [t.scheme for t in r.get("tags", [])] == [t.scheme for t in a.get("tags", [])]


def test_item_content_gives_date_organization_comments_and_code(sample_build):
    result, out = sample_build
    config = result.config
    for path in (MAIN_FEED, ATOM_FEED):
        entries = _parse((out / path).read_bytes()).entries
        by_title = {e.title: e for e in entries}
        paper = next(p for p in result.site.papers[:50] if p.title.startswith("Str2Str"))
        content = by_title[paper.title].content[0]
        assert content.type == "text/html"
        assert "Published Jun 5, 2023" in content.value
        assert "4 authors" in content.value and "0 comments" in content.value
        links = _Anchors()
        links.feed(content.value)
        assert "https://github.com/lujiarui/Str2Str" in links.hrefs
        assert config.absolute(paper.url) in links.hrefs
        with_org = next(p for p in result.site.papers[:50] if p.organization and p.comments)
        value = by_title[with_org.title].content[0].value
        assert html.escape(with_org.organization.name) in value
        assert f"{with_org.comments} comment" in value
        assert config.absolute(f"orgs/{with_org.organization.slug}/") in value
        # The description stays the bare abstract for readers that show only that.
        assert html.unescape(by_title[paper.title].summary) == paper.abstract


def test_item_content_escapes_text_from_the_dump(tmp_path):
    content = tmp_path / "content"
    (content / "dumps").mkdir(parents=True)
    (content / "site.yaml").write_text(
        "title: 'Q&A <d>'\nbase_url: https://example.org/d/\n", encoding="utf-8"
    )
    (content / "dumps" / "2024-01-05.txt").write_text(HOSTILE_DUMP, encoding="utf-8")
    result = build(content, None)
    for path in (MAIN_FEED, ATOM_FEED, *(theme_feed(t) for t in result.site.themes)):
        data = result.files[path]
        etree.fromstring(data)
        for entry in _parse(data).entries:
            tags = _Anchors()
            tags.feed(entry.content[0].value)
            assert set(tags.tags) <= {"p", "a"}, (path, tags.tags)
    # By the title a reader shows: a title with markup-like text is sent as escaped HTML (#17).
    entries = {
        html.unescape(e.title) if e.title_detail.type == "text/html" else e.title: e
        for e in _parse(result.files[MAIN_FEED]).entries
    }
    value = entries["Tags <b>bold</b> & co"].content[0].value
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in value
    assert "&lt;i&gt;Org&lt;/i&gt; &amp; Co</a>" in value
    assert "1 author" in entries["A clean second paper"].content[0].value
    assert "1 authors" not in entries["A clean second paper"].content[0].value
