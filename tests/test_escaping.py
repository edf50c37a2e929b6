"""A dump full of markup and template syntax: every output file stays inert and valid."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from conftest import serve
from reader_cases import FIXTURES

from sitegen.build import build
from sitegen.errors import Diagnostics

HOSTILE_TITLES = [
    "</script><img src=x onerror=alert(1)>",
    '"><img src=x onerror=alert(2)>',
    "{{ config.title }} and {% raw %}{% endraw %}",
    "<script>alert(3)</script> Attention Is <b>All</b> You Need",
    "Ampersands & <Angles> & \"Quotes\" 'n' p<0.05",
]


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    content = root / "content"
    (content / "dumps").mkdir(parents=True)
    shutil.copy(FIXTURES / "hostile.txt", content / "dumps" / "2025-12-24.txt")
    shutil.copy(FIXTURES / "mixed_metadata.txt", content / "dumps" / "2025-12-23.txt")
    (content / "site.yaml").write_text("title: Hostile\nbase_url: https://example.org/h/\n", encoding="utf-8")
    out = root / "_site"
    result = build(content, out, diags=Diagnostics())
    return result, out


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.script_text: list[str] = []
        self.data_blocks: list[str] = []
        self._in_script = False
        self._data_block = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        self._data_block = tag == "script" and dict(attrs).get("type") == "application/ld+json"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            (self.data_blocks if self._data_block else self.script_text).append(data)


def test_the_hostile_papers_are_all_published(hostile_site):
    result, _ = hostile_site
    titles = {p.title for p in result.site.papers}
    assert set(HOSTILE_TITLES) <= titles


def test_no_markup_from_a_dump_in_any_html_file(hostile_site):
    _, out = hostile_site
    pages = sorted(out.rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        parser = _Tags()
        parser.feed(page.read_text(encoding="utf-8"))
        name = page.relative_to(out)
        for tag, attrs in parser.tags:
            assert tag not in ("img", "b", "iframe", "object", "embed"), f"{name}: <{tag}> from a dump"
            assert not [a for a in attrs if a.startswith("on")], f"{name}: event handler on <{tag}>"
            if tag == "script" and attrs.get("type") != "application/ld+json":
                assert attrs.get("src"), f"{name}: inline script"
            for key in ("href", "src", "action"):
                assert not (attrs.get(key) or "").strip().lower().startswith("javascript:"), f"{name}: {key}"
        assert parser.script_text == [], f"{name}: text inside a <script>"
        for block in parser.data_blocks:  # JSON-LD: data, never markup
            assert "<" not in block and ">" not in block, f"{name}: markup in JSON-LD"
            json.loads(block)


def test_titles_are_escaped_text_in_paper_pages(hostile_site):
    result, out = hostile_site
    paper = next(p for p in result.site.papers if p.title == HOSTILE_TITLES[0])
    html = (out / paper.url / "index.html").read_text(encoding="utf-8")
    assert "<h1>&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;</h1>" in html
    block = html.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert json.loads(block)["name"] == HOSTILE_TITLES[0]  # the text survives, escaped as \u003c
    template = next(p for p in result.site.papers if p.title.startswith("{{"))
    html = (out / template.url / "index.html").read_text(encoding="utf-8")
    assert "<h1>{{ config.title }} and {% raw %}{% endraw %}</h1>" in html


def test_every_json_and_xml_file_parses_and_keeps_the_text(hostile_site):
    _, out = hostile_site
    for path in sorted(out.rglob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data is not None
    papers = json.loads((out / "data/papers.json").read_text(encoding="utf-8"))
    assert set(HOSTILE_TITLES) <= {p["title"] for p in papers}
    for path in sorted(out.rglob("*.xml")) + sorted(out.rglob("*.atom")):
        ET.parse(path)  # raises on invalid XML


@pytest.mark.browser
def test_no_dialog_and_no_csp_violation_on_any_page_type(hostile_site, page):
    result, out = hostile_site
    dialogs: list[str] = []
    console: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: console.append(m.text))
    paper = next(p for p in result.site.papers if p.title == HOSTILE_TITLES[0])
    urls = [
        "",
        "editions/",
        f"editions/{result.site.editions[0].slug}/",
        "archive/",
        paper.url,
        "orgs/",
        f"{result.site.organizations[0].url}",
    ]
    urls += [t.url for t in result.site.themes[:1]] + (
        ["search/"] if (out / "search/index.html").exists() else []
    )
    with serve(out, "/h/") as base:
        for url in urls:
            page.goto(base + url)
            page.wait_for_load_state("networkidle")
        page.goto(base + paper.url)
        assert page.locator("h1").inner_text() == HOSTILE_TITLES[0]
        assert page.locator("main img").count() == 0
    assert dialogs == []
    assert [m for m in console if "Content Security Policy" in m or "Refused" in m] == []
    assert page.js_errors == []
