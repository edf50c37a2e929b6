"""End-to-end: build the sample content and check what a reader and a script would see."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import CONTENT, content_without_edition_dates
from linkcheck import broken_links

from sitegen.build import build
from sitegen.errors import Diagnostics
from sitegen.text import title_key

SEEDS = sorted((CONTENT / "dumps").glob("*.txt"))


def _papers(out: Path) -> list[dict]:
    return json.loads((out / "data" / "papers.json").read_text(encoding="utf-8"))


def test_summary_counts(sample_build):
    result, _ = sample_build
    # The format notes: the four samples hold 296 paper blocks, 270 distinct titles.
    assert (result.site.dump_count, result.site.block_count, len(result.site.papers)) == (4, 296, 270)
    assert len(result.site.editions) == 4


def test_sample_content_builds_without_warning(sample_build):
    result, _ = sample_build
    assert [str(d) for d in result.diagnostics] == []


def test_without_its_configured_date_the_metadata_less_dump_warns(tmp_path):
    """004 has no dated metadata: without `editions:` its year falls back to default_year, with a warning."""
    content = content_without_edition_dates(tmp_path)
    diags = Diagnostics()
    result = build(content, None, diags=diags)
    assert [str(d) for d in diags] == [
        f"{content}/dumps/004_45889c18e00e42e1.txt:9: cannot infer the edition's year (no paper date has a year); "
        "using default_year 2025 (set 'editions: {004_45889c18e00e42e1.txt: YYYY-MM-DD}' in site.yaml to fix)"
    ]
    assert result.site.editions[-1].date.isoformat() == "2025-03-11"


def test_papers_json_one_entry_per_distinct_title_each_with_a_page(sample_build):
    _, out = sample_build
    papers = _papers(out)
    keys = [title_key(p["title"]) for p in papers]
    assert len(keys) == len(set(keys)) == 270
    for paper in papers:
        assert (out / paper["url"] / "index.html").is_file(), paper["url"]
        assert set(paper) >= {
            "id",
            "url",
            "title",
            "abstract",
            "published",
            "comments",
            "authors",
            "organization",
            "editions",
            "links",
        }
        assert paper["url"] == f"papers/{paper['id']}/"
        assert re.fullmatch(r"[a-z0-9-]+", paper["id"])


def _independent_titles() -> set[str]:
    """Titles counted without the reader: the non-blank line before each abstract-sized line."""
    titles = set()
    for seed in SEEDS:
        lines = [line.strip() for line in seed.read_text(encoding="utf-8").splitlines() if line.strip()]
        for before, line in zip(lines, lines[1:], strict=False):
            if len(line) > 400 and len(before) < 400:
                titles.add(title_key(before))
    return titles


def test_titles_match_an_independent_count(sample_build):
    _, out = sample_build
    assert {title_key(p["title"]) for p in _papers(out)} == _independent_titles()


def test_fields_match_the_dumps(sample_build):
    _, out = sample_build
    by_title = {p["title"]: p for p in _papers(out)}
    phased = by_title[
        "Phased DMD: Few-step Distribution Matching Distillation via Score Matching within Subintervals"
    ]
    assert phased["organization"] == {"id": "sensenova", "name": "SenseNova"}
    assert (phased["published"], phased["comments"], phased["authors"]) == ("2025-10-31", 1, None)
    assert phased["editions"] == ["2025-12-24"]
    str2str = by_title["Str2Str: A Score-based Framework for Zero-shot Protein Conformation Sampling"]
    assert (str2str["published"], str2str["comments"], str2str["authors"]) == ("2023-06-05", 0, 4)
    assert str2str["links"] == ["https://github.com/lujiarui/Str2Str"]
    vacancy = by_title[
        "VacancySBERT: the approach for representation of titles and skills for semantic similarity search in the recruitment domain"
    ]
    # In the metadata-less 004 dump (2025-03-11) and in 000 (2025-12-24) with metadata.
    assert vacancy["editions"] == ["2025-03-11", "2025-12-24"]
    assert (vacancy["published"], vacancy["authors"]) == ("2023-07-31", 3)
    # Papers seen in several dumps: 20 in two, 3 in three.
    counts = sorted(len(p["editions"]) for p in _papers(out))
    assert counts.count(2) == 20 and counts.count(3) == 3


def test_editions_pages_and_order(sample_build):
    result, out = sample_build
    assert [e.slug for e in result.site.editions] == ["2025-12-24", "2025-11-19", "2025-10-23", "2025-03-11"]
    home = (out / "index.html").read_text(encoding="utf-8")
    assert "Dec 24, 2025" in home and 'href="editions/2025-03-11/"' in home
    edition = (out / "editions/2025-11-19/index.html").read_text(encoding="utf-8")
    assert 'rel="prev" href="../../editions/2025-10-23/"' in edition
    assert 'rel="next" href="../../editions/2025-12-24/"' in edition
    first = result.site.editions[1].papers[0]
    assert first.title == "Thinkless: LLM Learns When to Think"
    assert edition.index("Thinkless") < edition.index(result.site.editions[1].papers[1].title)


def test_every_page_type_exists(sample_build):
    _, out = sample_build
    for path in [
        "index.html",
        "404.html",
        "editions/index.html",
        "archive/index.html",
        "archive/2025/10/index.html",
        "orgs/index.html",
        "orgs/sensenova/index.html",
        "about/index.html",
        "data/papers.json",
        "static/style.css",
    ]:
        assert (out / path).is_file(), path
    about = (out / "about/index.html").read_text(encoding="utf-8")
    assert "<h2>How it is made</h2>" in about


def test_paper_page_shows_everything(sample_build):
    _, out = sample_build
    paper = next(p for p in _papers(out) if p["title"].startswith("Str2Str"))
    html = (out / paper["url"] / "index.html").read_text(encoding="utf-8")
    assert "<code>https://github.com/lujiarui/Str2Str</code>" in html
    assert "https://huggingface.co/papers?q=Str2Str%3A%20A%20Score-based" in html
    assert "Jun 5, 2023" in html and "editions/2025-12-24/" in html


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:8000/", "https://example.org/digest/"])
def test_internal_links_resolve(tmp_path, base_url):
    """Served at a domain root and under a sub-path (404.html links absolutely to the base path)."""
    out = tmp_path / "site"
    build(CONTENT, out, base_url=base_url, diags=Diagnostics())
    base_path = urlsplit(base_url).path
    assert broken_links(out, base_path) == []
    not_found = (out / "404.html").read_text(encoding="utf-8")
    assert f'href="{base_path}static/style.css"' in not_found


def test_same_input_same_bytes(sample_build, tmp_path):
    _, out = sample_build
    again = tmp_path / "again"
    build(CONTENT, again, diags=Diagnostics())
    first = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    second = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []
