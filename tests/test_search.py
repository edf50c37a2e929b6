"""Search: the lunr.py index and its store, and the search UI driven in Chromium with lunr.js."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import lunr
import pytest
from conftest import CONTENT, ROOT, serve
from lunr.index import Index

from sitegen.build import build
from sitegen.errors import Diagnostics
from sitegen.lunr_stemmer import porter_stem
from sitegen.models import Organization, Paper, Theme
from sitegen.render import dump_json
from sitegen.search import (
    FIELDS,
    FOLD_LABEL,
    STEM_LABEL,
    STORE_CHUNK,
    TRIM_LABEL,
    assemble,
    build_index,
    document,
    fold_text,
    ref,
    search_files,
    search_order,
    stem_word,
    trim_text,
)

VENDOR = ROOT / "templates" / "static" / "vendor" / "lunr"
DATA = "data/search/"

# A query, and the title that must come first for it. The first three are from the issue; the rest
# were picked from the sample titles, with partial words (prefix matching) and missing diacritics.
FIRST_RESULTS = [
    ("dice loss", "Dice Loss for Data-imbalanced NLP Tasks"),
    (
        "phased dmd",
        "Phased DMD: Few-step Distribution Matching Distillation via Score Matching within Subintervals",
    ),
    ("tulu 3", "TÜLU 3: Pushing Frontiers in Open Language Model Post-Training"),
    ("TÜLU", "TÜLU 3: Pushing Frontiers in Open Language Model Post-Training"),
    ("tül", "TÜLU 3: Pushing Frontiers in Open Language Model Post-Training"),
    (
        "phased dm",
        "Phased DMD: Few-step Distribution Matching Distillation via Score Matching within Subintervals",
    ),
    (
        "seabird monocular",
        "SeaBird: Segmentation in Bird's View with Dice Loss Improves Monocular 3D Detection"
        " of Large Objects",
    ),
    ("rewardben", "RewardBench 2: Advancing Reward Model Evaluation"),
    (
        "cosyvoice streaming speech",
        "CosyVoice 2: Scalable Streaming Speech Synthesis with Large Language Models",
    ),
    ("locally typical sampling", "Locally Typical Sampling"),
    (
        "tinystories coherent english",
        "TinyStories: How Small Can Language Models Be and Still Speak Coherent English?",
    ),
    (
        "castillo response length",
        "CASTILLO: Characterizing Response Length Distributions of Large Language Models",
    ),
    ("title:thinkless", "Thinkless: LLM Learns When to Think"),
    ("discrete diffusion survey", "Discrete Diffusion in Large Language and Multimodal Models: A Survey"),
]

# Queries for the lunr.py / lunr.js parity check: plain words, diacritics, and lunr syntax.
PARITY_QUERIES = [
    "dice loss",
    "phased dmd",
    "tulu 3",
    "TÜLU",
    "preference optimization",
    "reinforcement learning from human feedback",
    "title:loss",
    "abstract:diffusion",
    "organization:sensenova",
    "distil*",
    "+reward -human",
    "rlhf~1",
    "alignment^5 survey",
    "speech translation",
    "zero-shot",
    "survey",  # lunr.py's own stemmer makes "survei" of it, lunr.js "survey"
    "playing happily",
]

HOSTILE_TITLE = "</script><img src=x onerror=alert(1)>"
HOSTILE_DUMP = f"""Daily Papers

Dec 24

{HOSTILE_TITLE}

An abstract that tries <script>alert(2)</script> and "quotes" & <b>tags</b>, onerror too.

evilorg <img src=x onerror=alert(3)>
·
Dec 20 1

Dice Loss for Data-imbalanced NLP Tasks

Many NLP tasks such as tagging and machine reading comprehension face a severe data imbalance.

  • 4 authors
·
Dec 1
"""


def load_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def read_files(out: Path) -> dict[str, bytes]:
    """The search data files of a built site, by site-relative path."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in (out / DATA).rglob("*.json")}


def whole_index(files: dict[str, bytes]) -> dict:
    """Every shard assembled into one serialized index (what the single index is)."""
    manifest = json.loads(files[DATA + "manifest.json"])
    return assemble(manifest, [json.loads(files[DATA + name]) for _, name in manifest["shards"]], True)


def whole_store(files: dict[str, bytes]) -> dict[str, dict]:
    """Every store chunk merged: ref -> record."""
    store: dict[str, dict] = {}
    for name, data in files.items():
        if name.startswith(DATA + "store/"):
            store.update(json.loads(data))
    return store


def python_search(out: Path, query: str) -> list[str]:
    """Titles lunr.py finds for ``query`` in the index the shards make up, best first."""
    files = read_files(out)
    index = Index.load(whole_index(files))
    store = whole_store(files)
    return [store[r["ref"]]["title"] for r in index.search(query)]


# ---- the vendored lunr.js ------------------------------------------------------------------


def test_vendored_lunr_is_2_3_9_with_its_licence():
    minified = (VENDOR / "lunr.min.js").read_text(encoding="utf-8")
    assert minified.startswith("/**\n * lunr - http://lunrjs.com")
    assert " - 2.3.9\n" in minified.split("*/", 1)[0]
    assert 'e.version="2.3.9"' in minified
    licence = (VENDOR / "LICENSE").read_text(encoding="utf-8")
    assert "Oliver Nightingale" in licence and "Permission is hereby granted" in licence
    note = (VENDOR / "README.md").read_text(encoding="utf-8")
    assert "lunr@2.3.9" in note
    # lunr.py writes indexes for the lunr.js version we ship
    assert lunr.__TARGET_JS_VERSION__ == "2.3.9"


def test_lunr_ships_with_the_site(sample_build):
    result, out = sample_build
    assert (out / "static/vendor/lunr/lunr.min.js").read_bytes() == (VENDOR / "lunr.min.js").read_bytes()
    assert (out / "static/vendor/lunr/LICENSE").is_file()
    assert (out / "static/search.js").is_file()


# ---- the index and the store ----------------------------------------------------------------


def test_manifest_lists_the_shards_and_every_paper_is_in_the_store(sample_build):
    result, out = sample_build
    files = read_files(out)
    manifest = load_json(out / DATA / "manifest.json")
    assert manifest["format"] == 2 and manifest["lunr"] == "2.3.9"
    assert manifest["pipeline"] == [FOLD_LABEL, TRIM_LABEL, STEM_LABEL]
    assert manifest["fields"] == list(FIELDS)
    assert manifest["papers"] == len(result.site.papers)
    boundaries = [b for b, _ in manifest["shards"]]
    assert (
        boundaries[0] == "" and boundaries == sorted(boundaries) and len(set(boundaries)) == len(boundaries)
    )
    assert all(len(b) <= 12 for b in boundaries)
    assert len(boundaries) > 5
    store = whole_store(files)
    assert {doc["url"] for doc in store.values()} == {p.url for p in result.site.papers}
    assert len([n for n in files if n.startswith(DATA + "store/")]) == -(-len(store) // STORE_CHUNK)
    for doc in store.values():
        assert set(doc) == {"title", "url", "date", "theme", "abstract"}
        assert (out / doc["url"] / "index.html").is_file()
        assert doc["date"] is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", doc["date"])
    by_url = {p.url: p for p in result.site.papers}
    tulu = next(d for d in store.values() if d["title"].startswith("TÜLU 3"))
    assert tulu["date"] == by_url[tulu["url"]].published.isoformat()
    assert tulu["theme"] == (by_url[tulu["url"]].theme.label if by_url[tulu["url"]].theme else None)
    assert tulu["abstract"] == by_url[tulu["url"]].abstract


def test_shards_are_of_roughly_equal_size(sample_build):
    _, out = sample_build
    files = read_files(out)
    sizes = sorted(len(v) for k, v in files.items() if k.startswith(DATA + "terms/"))
    # the last shard takes what is left; the others are within a factor of two of each other
    assert max(sizes) <= 2 * sorted(sizes)[1], sizes


def test_index_fields_refs_and_pipeline(sample_build):
    _, out = sample_build
    files = read_files(out)
    index = whole_index(files)
    store = whole_store(files)
    assert index["version"] == "2.3.9"
    assert index["fields"] == list(FIELDS) == ["title", "abstract", "organization", "theme"]
    assert index["pipeline"] == [FOLD_LABEL, TRIM_LABEL, STEM_LABEL]
    refs = {field_ref.split("/", 1)[1] for field_ref, _ in index["fieldVectors"]}
    assert refs == set(store)
    terms = {term for term, _ in index["invertedIndex"]}
    assert "tulu" in terms and "tülu" not in terms  # folded at build time
    assert "llm" in terms and "llm's" not in terms  # possessives dropped


def test_the_shards_make_up_exactly_the_single_index(sample_build):
    result, _ = sample_build
    files = search_files(result.site.papers)
    single = build_index([document(p, n) for n, p in enumerate(search_order(result.site.papers))])
    assert whole_index(files) == json.loads(json.dumps(single, sort_keys=True))
    # and with many small shards, on a corpus made up here
    papers = synthetic_papers(300)
    files = search_files(papers, shard_bytes=2000)
    assert len(json.loads(files[DATA + "manifest.json"])["shards"]) > 20
    single = build_index([document(p, n) for n, p in enumerate(search_order(papers))])
    assert whole_index(files) == json.loads(json.dumps(single, sort_keys=True))


def test_postings_sorted_by_columns_equal_the_comparison_sort(sample_build):
    """The shards' postings are put in order by turning each field's matrix by columns
    (``_by_term``); a comparison sort of every posting (``_sorted``, for refs out of order) gives
    the same arrays."""
    import numpy as np

    from sitegen import search

    result, _ = sample_build
    index = search.index_scores(
        [search.document(p, n) for n, p in enumerate(search.search_order(result.site.papers))]
    )
    order = index.sorted_terms()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    positions = np.arange(len(index.refs))
    fast = search._by_term(index.scores, rank, len(index.fields), positions)
    slow = search._sorted(index.scores, rank, len(index.fields), positions)
    for a, b in zip(fast, slow, strict=True):
        assert np.array_equal(a, b)
    # Refs out of order: the postings follow the positions, not the rows.
    shuffled = np.random.default_rng(0).permutation(len(index.refs))
    index.refs = [search.ref(int(n)) for n in shuffled]
    postings = search._Postings(index, rank)
    n_fields = len(index.fields)
    starts = np.r_[True, np.diff(postings.key) != 0]
    group = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    position = np.cumsum(postings.deltas) - (np.cumsum(postings.deltas) - postings.deltas)[first][group]
    assert np.all(np.diff(postings.key) >= 0) and np.all(postings.deltas[~starts] > 0)
    got = sorted(
        zip(
            (postings.key // n_fields).tolist(),
            (postings.key % n_fields).tolist(),
            position.tolist(),
            postings.score.tolist(),
            strict=True,
        )
    )
    coo = index.scores.tocoo()
    expected = sorted(
        zip(
            rank[coo.col].tolist(),
            (coo.row % n_fields).tolist(),
            shuffled[coo.row // n_fields].tolist(),
            coo.data.tolist(),
            strict=True,
        )
    )
    assert got == expected


def test_a_short_run_between_two_very_common_terms_loses_no_term():
    # "alpha" and "gamma" are in every abstract (each a shard of its own), "beta" in one: the short
    # run "beta" joins the shard before it. That step once raised IndexError on two shards (a
    # 50,000-paper build) and, on more, overwrote the shard before with a copy of another.
    papers = [_paper(k, f"Paper {k}", f"alpha gamma filler{k % 7}.") for k in range(60)]
    papers += [_paper(60 + k, f"Other {k}", "gamma delta.") for k in range(40)]
    papers.append(_paper(100, "The Beta Paper", "beta alpha gamma."))
    files = search_files(papers, shard_bytes=400)
    single = build_index([document(p, n) for n, p in enumerate(search_order(papers))])
    assert whole_index(files) == json.loads(json.dumps(single, sort_keys=True))
    manifest = json.loads(files[DATA + "manifest.json"])
    assert len(manifest["shards"]) >= 3


@pytest.mark.parametrize(
    ("query", "title"), [c for c in FIRST_RESULTS if not c[0].endswith(("tül", "dm", "ben"))]
)
def test_lunr_py_finds_the_paper_first(sample_build, query, title):
    _, out = sample_build
    assert python_search(out, query)[0] == title


def test_title_is_boosted_over_abstract(sample_build):
    _, out = sample_build
    # "loss" is in many abstracts; the papers with it in the title come first.
    top = python_search(out, "loss")[:5]
    assert all(re.search(r"\bloss", t, re.IGNORECASE) for t in top), top


def test_organization_and_theme_are_searchable(sample_build):
    result, out = sample_build
    assert python_search(out, "organization:sensenova")[0].startswith("Phased DMD")
    themed = [p for p in result.site.papers if p.theme is not None]
    if not themed:
        pytest.skip("the sample build assigned no themes")
    paper = themed[0]
    word = next(w for w in re.findall(r"[a-z]{4,}", fold_text(paper.theme.label)))
    assert paper.title in python_search(out, f"theme:{word}")


def _paper(n: int, title: str, abstract: str, **kw) -> Paper:
    return Paper(id=f"p{n}", key=title.lower(), title=title, abstract=abstract, **kw)


SYNTHETIC_WORDS = (
    "alpha beta gamma delta epsilon zeta eta theta reinforcement reinforced reinforcing distillation"
    " distilled preference preferences generation generative generated generating alignment aligned"
    " retrieval retrieving multimodal model models modeling language languages learning learned vision"
    " video diffusion survey reasoning speech translation benchmark benchmarks agent agents LLM's"
    " model’s tokenizer tokenization scaling scaled efficient efficiency robust robustness"
).split()


def synthetic_papers(n: int) -> list[Paper]:
    """``n`` made-up papers over a small vocabulary with a few very common words (seeded, so stable)."""
    import random

    rng = random.Random(13)
    weights = [1 / (rank + 1) for rank in range(len(SYNTHETIC_WORDS))]
    orgs = [Organization(id=f"org{k}", name=f"Org {k}", slug=f"org{k}") for k in range(5)]
    themes = [Theme(slug=f"t{k}", label=f"{SYNTHETIC_WORDS[k]} · {SYNTHETIC_WORDS[k + 5]}") for k in range(4)]
    papers = []
    for k in range(n):
        title = " ".join(rng.choices(SYNTHETIC_WORDS, weights, k=rng.randint(3, 8))).capitalize()
        words = rng.choices(SYNTHETIC_WORDS, weights, k=rng.randint(20, 80)) + [f"w{rng.randint(0, 3000)}"]
        paper = _paper(k, f"{title} {k}", " ".join(words) + ".", organization=orgs[k % 5])
        paper.theme = themes[k % 4]
        papers.append(paper)
    return papers


def test_works_without_themes_and_indexes_them_when_set():
    org = Organization(id="sensenova", name="SenseNova", slug="sensenova")
    papers = [
        _paper(1, "Zebra Crossing Detection", "We detect zebra crossings.", organization=org),
        _paper(2, "Quokka Smiles", "Small marsupials and their smiles."),
    ]
    plain = search_files(papers)
    store = whole_store(plain)
    assert [d["theme"] for d in store.values()] == [None, None]
    index = Index.load(whole_index(plain))
    assert [store[r["ref"]]["title"] for r in index.search("organization:sensenova")] == [
        "Zebra Crossing Detection"
    ]
    assert index.search("theme:marsupial") == []

    papers[1].theme = Theme(slug="animals", label="marsupials · wildlife")
    themed = search_files(papers)
    store = whole_store(themed)
    index = Index.load(whole_index(themed))
    assert [store[r["ref"]]["title"] for r in index.search("theme:wildlife")] == ["Quokka Smiles"]
    assert sorted(str(d["theme"]) for d in store.values()) == ["None", "marsupials · wildlife"]


def test_refs_are_positions_oldest_first(sample_build):
    result, out = sample_build
    papers = result.site.papers
    store = whole_store(read_files(out))
    oldest_first = search_order(papers)
    assert oldest_first == list(reversed(papers))
    assert [store[ref(n)]["url"] for n in range(len(papers))] == [p.url for p in oldest_first]
    assert [ref(n) for n in (0, 9, 10, 35, 36, 1295, 1296)] == ["0", "9", "a", "z", "10", "zz", "100"]


def test_same_input_same_bytes(sample_build, tmp_path):
    result, out = sample_build
    again = build(CONTENT, tmp_path / "again", diags=Diagnostics())
    names = sorted(n for n in result.files if n.startswith(DATA))
    assert names == sorted(read_files(out))
    assert {n.split("/")[2] for n in names} == {"manifest.json", "terms", "store", "facets"}
    for name in names:
        assert (out / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name
        assert again.files[name] == result.files[name]
        text = result.files[name].decode("utf-8")
        assert (
            text
            == json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"
        )


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("TÜLU", "tulu"),
        ("Café", "cafe"),
        ("ﬁne-tuning", "fine-tuning"),
        ("Straße", "strasse"),
        ("Łódź", "lodz"),
        ("Ørsted", "orsted"),
        ("naïve", "naive"),
        ("x²", "x2"),
        ("İstanbul", "istanbul"),
    ],
)
def test_fold_text(text, folded):
    assert fold_text(text) == folded


def test_trim_text():
    assert trim_text("(DMD),") == "DMD"
    assert trim_text("bird's") == "bird's"
    assert trim_text("«Über»") == "Über"
    assert trim_text("--") == ""


# ---- the pages --------------------------------------------------------------------------------


def test_every_page_has_the_search_box_and_no_inline_script(sample_build):
    _, out = sample_build
    pages = sorted(out.rglob("*.html"))
    assert len(pages) > 100
    for path in pages:
        html = path.read_text(encoding="utf-8")
        rel = path.relative_to(out).as_posix()
        root = "/sitegen/" if rel == "404.html" else "../" * rel.count("/")
        assert f'<form class="site-search" role="search" action="{root}search/" method="get">' in html, rel
        assert re.search(r'<input id="site-search-q"[^>]* name="q"', html), rel
        assert f'<meta name="sitegen-root" content="{root}">' in html, rel
        assert f'<script src="{root}static/search.js" defer></script>' in html, rel
        for attrs, script in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.DOTALL):
            if 'type="application/ld+json"' in attrs:
                continue  # a JSON-LD data block, never run (test_escaping checks it holds no markup)
            assert script == "", f"{rel}: inline script"
        assert "data/search/" not in html, f"{rel}: search data referenced by a page"


def test_search_page_without_javascript_links_the_archive(sample_build):
    _, out = sample_build
    html = (out / "search/index.html").read_text(encoding="utf-8")
    noscript = re.search(r"<noscript>(.*?)</noscript>", html, re.DOTALL).group(1)
    assert "needs JavaScript" in noscript
    assert '<a href="../archive/">archive</a>' in noscript
    assert '<a href="../search/" aria-current="page">Search</a>' in html


# ---- in Chromium ------------------------------------------------------------------------------

RECORD_SEARCHES = """
document.addEventListener('sitegen:search', (e) => {
  (window.__searches = window.__searches || []).push(e.detail);
});
"""


@pytest.fixture
def spage(page):
    """A page that records every finished search (search.js dispatches ``sitegen:search``)."""
    page.add_init_script(RECORD_SEARCHES)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs
    return page


def wait_search(page, query: str) -> dict:
    """Wait until the results for ``query`` are shown; returns the search's detail."""
    page.wait_for_function(
        "q => (window.__searches || []).some(s => s.query === q)", arg=query.strip(), timeout=15000
    )
    return page.evaluate("q => window.__searches.filter(s => s.query === q).pop()", query.strip())


def type_query(page, query: str) -> dict:
    box = page.locator("#site-search-q")
    box.fill("")
    box.press_sequentially(query, delay=15)
    return wait_search(page, query)


def titles(page, scope: str = "") -> list[str]:
    return page.locator(f"{scope} .search-result-link".strip()).all_inner_texts()


@pytest.mark.browser
def test_typed_queries_put_the_paper_first(sample_build, spage):
    _, out = sample_build
    with serve(out) as base:
        spage.goto(base + "search/")
        for query, title in FIRST_RESULTS:
            detail = type_query(spage, query)
            assert detail["count"] > 0, query
            assert titles(spage)[0] == title, query
        assert spage.js_errors == []


@pytest.mark.browser
def test_header_box_on_any_page_shows_results_in_a_panel(sample_build, spage):
    _, out = sample_build
    with serve(out) as base:
        spage.goto(base + "archive/")
        assert spage.locator("#search-panel").is_hidden()
        type_query(spage, "dice loss")
        panel = spage.locator("#search-panel")
        assert panel.is_visible()
        assert titles(spage, "#search-panel")[0] == "Dice Loss for Data-imbalanced NLP Tasks"
        assert len(titles(spage, "#search-panel")) <= 8
        more = spage.locator("#search-panel .search-more")
        assert more.get_attribute("href") == "../search/?q=dice%20loss"
        more.click()
        spage.wait_for_url(re.compile(r"/search/\?q=dice%20loss$"))
        wait_search(spage, "dice loss")
        assert titles(spage, "#search-results")[0] == "Dice Loss for Data-imbalanced NLP Tasks"
        assert spage.js_errors == []


@pytest.mark.browser
def test_search_data_is_fetched_only_when_the_reader_starts_to_search(sample_build, spage):
    _, out = sample_build
    requested: list[str] = []
    spage.on("request", lambda r: requested.append(r.url))
    shards = len(load_json(out / DATA / "manifest.json")["shards"])
    with serve(out) as base:
        spage.goto(base + "archive/")
        spage.wait_for_load_state("networkidle")
        assert any(u.endswith("/static/search.js") for u in requested)
        assert not [u for u in requested if "/data/search/" in u or "/vendor/lunr/" in u]
        with spage.expect_request(re.compile(r"/data/search/manifest\.json$")):
            spage.locator("#site-search-q").focus()
        spage.evaluate("() => window.sitegenSearch.load().then(() => true)")  # the fetch focus started
        assert any(u.endswith("/static/vendor/lunr/lunr.min.js") for u in requested)
        assert not [u for u in requested if "/terms/" in u or "/store/" in u or "/facets/" in u]
        spage.locator("#site-search-q").fill("dice loss")  # one query (typed, each prefix fetches its own)
        wait_search(spage, "dice loss")
        terms = [u for u in requested if "/data/search/terms/" in u]
        stores = [u for u in requested if "/data/search/store/" in u]
        # only the shards of the query's words, and the text of the (at most 8) results on screen
        assert 1 <= len(terms) <= 4 < shards
        assert 1 <= len(stores) <= 8
        assert not [u for u in requested if "/facets/" in u]


@pytest.mark.browser
def test_search_url_shows_results_and_back_returns_to_the_previous_query(sample_build, spage):
    _, out = sample_build
    with serve(out) as base:
        spage.goto(base + "search/?q=dice+loss")
        wait_search(spage, "dice loss")
        assert spage.locator("#site-search-q").input_value() == "dice loss"
        assert titles(spage)[0] == "Dice Loss for Data-imbalanced NLP Tasks"
        assert "for \u201cdice loss\u201d" in spage.locator("#search-status").inner_text()

        type_query(spage, "tulu 3")
        assert titles(spage)[0].startswith("TÜLU 3")
        spage.wait_for_url(re.compile(r"\?q=tulu(\+|%20)3$"))
        spage.keyboard.press("Enter")  # commits the query: the next edit starts a new entry
        type_query(spage, "phased dmd")
        spage.wait_for_url(re.compile(r"\?q=phased(\+|%20)dmd$"))

        spage.go_back()
        spage.wait_for_url(re.compile(r"\?q=tulu(\+|%20)3$"))
        wait_search(spage, "tulu 3")
        assert spage.locator("#site-search-q").input_value() == "tulu 3"
        spage.wait_for_function(
            "() => document.querySelector('.search-result-link').textContent.startsWith('TÜLU')"
        )

        spage.go_back()
        spage.wait_for_url(re.compile(r"\?q=dice(\+|%20)loss$"))
        spage.wait_for_function(
            "() => document.querySelector('.search-result-link').textContent.startsWith('Dice Loss')"
        )

        # open a result, then come back to the same results
        spage.locator(".search-result-link").first.click()
        spage.wait_for_url(re.compile(r"/papers/dice-loss-for-data-imbalanced-nlp-tasks-[0-9a-f]+/$"))
        assert spage.locator("h1").inner_text() == "Dice Loss for Data-imbalanced NLP Tasks"
        spage.go_back()
        spage.wait_for_url(re.compile(r"\?q=dice(\+|%20)loss$"))
        spage.wait_for_function(
            "() => document.querySelector('.search-result-link')?.textContent.startsWith('Dice Loss')"
        )
        assert spage.js_errors == []


@pytest.mark.browser
def test_keyboard_slash_arrows_and_enter(sample_build, spage):
    _, out = sample_build
    with serve(out) as base:
        spage.goto(base)
        spage.keyboard.press("/")
        assert spage.evaluate("document.activeElement.id") == "site-search-q"
        spage.keyboard.type("dice loss", delay=15)
        wait_search(spage, "dice loss")
        assert spage.locator("#site-search-q").input_value() == "dice loss"  # no stray "/"
        links = spage.locator("#search-panel .search-result-link")
        spage.keyboard.press("ArrowDown")
        assert spage.evaluate("document.activeElement.textContent") == links.nth(0).inner_text()
        spage.keyboard.press("ArrowDown")
        assert spage.evaluate("document.activeElement.textContent") == links.nth(1).inner_text()
        spage.keyboard.press("ArrowUp")
        assert spage.evaluate("document.activeElement.textContent") == links.nth(0).inner_text()
        spage.keyboard.press("ArrowUp")
        assert spage.evaluate("document.activeElement.id") == "site-search-q"
        spage.keyboard.press("ArrowDown")
        spage.keyboard.press("Enter")
        spage.wait_for_url(re.compile(r"/papers/dice-loss-for-data-imbalanced-nlp-tasks-[0-9a-f]+/$"))
        # "/" typed into a field is just a character
        spage.locator("#site-search-q").focus()
        spage.keyboard.type("a/b")
        assert spage.locator("#site-search-q").input_value() == "a/b"
        assert spage.js_errors == []


@pytest.mark.browser
def test_matched_terms_are_highlighted(sample_build, spage):
    _, out = sample_build
    with serve(out) as base:
        spage.goto(base + "search/?q=tulu%203")
        wait_search(spage, "tulu 3")
        first = spage.locator(".search-result").first
        assert first.locator(".search-result-title mark").all_inner_texts() == ["TÜLU", "3"]
        spage.goto(base + "search/?q=distribution%20matching")
        wait_search(spage, "distribution matching")
        marks = spage.locator(".search-result").first.locator("mark").all_inner_texts()
        assert {m.lower() for m in marks} == {"distribution", "matching"}
        spage.goto(base + "search/?q=losses")  # stemmed: "losses" matches "loss" and "Loss"
        wait_search(spage, "losses")
        marks = spage.locator(".search-result").first.locator(".search-result-title mark").all_inner_texts()
        assert marks and {m.lower() for m in marks} == {"loss"}


@pytest.mark.browser
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("title:", "is not a query search understands"),
        ("nosuchfield:loss", "is not a query search understands"),
        ("abstract:diffusion ^", "is not a query search understands"),
        ("zzyzxqq", "No results for \u201czzyzxqq\u201d."),
    ],
)
def test_syntax_errors_and_no_results_are_messages(sample_build, spage, query, message):
    _, out = sample_build
    with serve(out) as base:
        spage.goto(base + "search/")
        detail = type_query(spage, query)
        assert detail["count"] == 0
        assert message in spage.locator("#search-status").inner_text()
        assert titles(spage) == []
        # and the page still works afterwards
        type_query(spage, "dice loss")
        assert titles(spage)[0] == "Dice Loss for Data-imbalanced NLP Tasks"
        assert spage.js_errors == []


@pytest.mark.browser
def test_syntax_error_in_the_url(sample_build, spage):
    _, out = sample_build
    with serve(out) as base:
        spage.goto(base + "search/?q=title%3A")
        detail = wait_search(spage, "title:")
        assert "expecting term" in detail["error"]
        assert "is not a query search understands" in spage.locator("#search-status").inner_text()
        assert spage.js_errors == []


@pytest.mark.browser
def test_hostile_title_shows_as_text(tmp_path, spage):
    content = tmp_path / "content"
    (content / "dumps").mkdir(parents=True)
    shutil.copy(CONTENT / "site.yaml", content / "site.yaml")
    (content / "dumps" / "2025-12-24.txt").write_text(HOSTILE_DUMP, encoding="utf-8")
    out = tmp_path / "site"
    result = build(content, out, diags=Diagnostics())
    assert HOSTILE_TITLE in [p.title for p in result.site.papers]
    with serve(out) as base:
        for start in (base, base + "search/"):
            spage.goto(start)
            type_query(spage, "onerror")
            scope = "#search-panel" if start == base else "#search-results"
            assert titles(spage, scope)[0] == HOSTILE_TITLE
            assert spage.locator(f"{scope} img, {scope} script, {scope} b").count() == 0
            snippet = spage.locator(f"{scope} .search-result-snippet").first.inner_text()
            assert "<script>alert(2)</script>" in snippet and "<b>tags</b>" in snippet
        spage.locator("#search-results .search-result-link").first.click()
        spage.wait_for_load_state()
        assert spage.locator("h1").inner_text() == HOSTILE_TITLE
        spage.wait_for_timeout(200)
        assert spage.dialogs == []
        assert spage.evaluate("document.querySelectorAll('img').length") == 0
        assert spage.js_errors == []


@pytest.mark.browser
def test_under_a_sub_path_and_from_the_404_page(tmp_path, spage):
    out = tmp_path / "site"
    build(CONTENT, out, base_url="https://example.org/digest/", diags=Diagnostics())
    with serve(out, "/digest/") as base:
        paper = next(p for p in (out / "papers").iterdir() if p.name.startswith("locally-typical-sampling"))
        spage.goto(base + f"papers/{paper.name}/")
        type_query(spage, "phased dmd")
        spage.locator("#search-panel .search-result-link").first.click()
        spage.wait_for_url(re.compile(r"/digest/papers/phased-dmd-[a-z0-9-]+/$"))
        spage.goto(base + "no/such/page/")
        type_query(spage, "tulu 3")
        assert titles(spage, "#search-panel")[0].startswith("TÜLU 3")
        spage.locator("#search-panel .search-more, #search-panel .search-result-link").first.wait_for()
        spage.locator("#site-search-q").press("Enter")
        spage.wait_for_url(re.compile(r"/digest/search/\?q=tulu(\+|%20)3$"))
        wait_search(spage, "tulu 3")
        assert titles(spage)[0].startswith("TÜLU 3")
        assert spage.js_errors == []


# Queries whose top 20 must be the same from the shards as from the single index.
RANKING_QUERIES = PARITY_QUERIES + [
    "model",
    "language model",
    "large language models reasoning",
    "+diffusion +video",
    "+language -vision",
    "-survey",
    "gen*",
    "re*",
    "title:reinforcement learning",
    "title:survey abstract:speech",
    "*tion",
    "LLM's",
]


def site_with_search_data(out: Path, tmp_path: Path, papers: list[Paper], **kw) -> Path:
    """A copy of the built site whose search data is that of ``papers``, plus the single index."""
    site = tmp_path / "site"
    shutil.copytree(out, site)
    shutil.rmtree(site / DATA)
    for name, data in search_files(papers, **kw).items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_bytes(data)
    single = build_index([document(p, n) for n, p in enumerate(search_order(papers))])
    (site / "single.json").write_bytes(dump_json(single))  # as the site wrote its single index
    return site


def compare_rankings(page, base: str, queries: list[str], empty: int = 2) -> None:
    """The top 20 of each query, from the shards it needs and from the single index, are equal."""
    page.goto(base + "search/")
    got = page.evaluate(
        """async (queries) => {
            await window.sitegenSearch.load();
            const single = lunr.Index.load(await (await fetch('../single.json')).json());
            const out = [];
            for (const q of queries) {
                const a = single.search(q).map(r => [r.ref, r.score]);
                const b = (await window.sitegenSearch.lunrSearch(q)).map(r => [r.ref, r.score]);
                out.push([q, a.length, a.slice(0, 20), b.length, b.slice(0, 20)]);
            }
            return out;
        }""",
        queries,
    )
    found = 0
    for query, n_single, single, n_sharded, sharded in got:
        assert sharded == single, query  # refs, order and scores: exactly equal
        assert n_sharded == n_single, query
        found += bool(single)
    assert found >= len(queries) - empty  # the cases find something


@pytest.mark.browser
def test_sharded_rankings_equal_the_single_index(sample_build, tmp_path, spage):
    result, out = sample_build
    site = site_with_search_data(out, tmp_path, result.site.papers)
    with serve(site) as base:
        compare_rankings(spage, base, RANKING_QUERIES)
        assert spage.js_errors == []


@pytest.mark.browser
def test_sharded_rankings_equal_the_single_index_on_many_small_shards(sample_build, tmp_path, spage):
    _, out = sample_build
    papers = synthetic_papers(400)
    site = site_with_search_data(out, tmp_path, papers, shard_bytes=1500)
    assert len(load_json(site / DATA / "manifest.json")["shards"]) > 40
    with serve(site) as base:
        synthetic = [
            "alpha beta",
            "reinforcement",
            "preferences generation",
            "gamma*",
            "gen*",
            "re*",
            "+delta -epsilon",
            "title:zeta",
            "title:video abstract:speech",
            "-alpha",
            "LLM's",
            "model\u2019s agents",
            "robust~1",
            "w12*",
        ]
        compare_rankings(spage, base, RANKING_QUERIES + synthetic, empty=len(RANKING_QUERIES))
        assert spage.js_errors == []


# Plain queries as typed: whole words, a word being typed (prefix completions), several words,
# possessives, diacritics; each is run as sitegen's clauses on the single index by lunr itself.
PLAIN_QUERIES = [
    "model",
    "mo",
    "language model",
    "language mod",
    "reinforcem",
    "large language models reasoning",
    "speech translation",
    "dice loss",
    "LLM's",
    "tül",
    "ge",
    "re",
    "preference optimization ",
    "diffusion vid",
]


def compare_page_scoring(page, base: str, queries: list[str], plain: list[str], empty: int = 3) -> None:
    """The page's own scoring equals lunr's search of the single index: every result, in order.

    Lunr syntax queries: refs, scores and matched terms of all results. Plain queries: the
    clauses sitegen makes of them run by lunr on the single index, then papers with more of the
    words first (a stable sort, as the page did it with lunr's results), against what the page shows.
    """
    page.goto(base + "search/")
    got = page.evaluate(
        """async ([queries, plain]) => {
            await window.sitegenSearch.load();
            const single = lunr.Index.load(await (await fetch('../single.json')).json());
            const terms = (r) => Object.keys(r.matchData.metadata).sort();
            const out = [];
            for (const q of queries) {
                const a = single.search(q).map(r => [r.ref, r.score, terms(r)]);
                const b = (await window.sitegenSearch.scoredSearch(q)).map(r => [r.ref, r.score, r.terms.sort()]);
                out.push([q, a, b]);
            }
            for (const q of plain) {
                const plan = await window.sitegenSearch.plainPlan(q);
                const sets = plan.groups.map(g => new Set(g));
                const a = single.query(query => {
                    plan.clauses.forEach(([term, options]) => query.term(term, Object.assign({}, options)));
                }).map(r => {
                    const hit = terms(r);
                    return [r.ref, r.score, sets.filter(s => hit.some(t => s.has(t))).length];
                });
                a.sort((x, y) => y[2] - x[2]);
                const b = (await window.sitegenSearch.search(q)).map(r => [r.ref, r.score, r.words]);
                out.push([q, a, b]);
            }
            return out;
        }""",
        [queries, plain],
    )
    found = 0
    for query, single, paged in got:
        assert len(paged) == len(single), query
        assert paged == single, query  # refs, order, scores (and matched terms or word counts): exactly equal
        found += bool(single)
    assert found >= len(got) - empty  # the cases find something


@pytest.mark.browser
def test_page_scoring_equals_lunr_on_the_single_index(sample_build, tmp_path, spage):
    result, out = sample_build
    site = site_with_search_data(out, tmp_path, result.site.papers)
    with serve(site) as base:
        compare_page_scoring(
            spage, base, RANKING_QUERIES + ["+model +languag", "title:model -abstract:model"], PLAIN_QUERIES
        )
        assert spage.js_errors == []


@pytest.mark.browser
def test_page_scoring_equals_lunr_on_many_small_shards_and_three_letter_refs(sample_build, tmp_path, spage):
    # 1,400 papers: refs of three base-36 digits, many of them all digits ("100"), which lunr's
    # postings (JavaScript objects) list before the others: the order in which ties come out.
    _, out = sample_build
    papers = synthetic_papers(1400)
    site = site_with_search_data(out, tmp_path, papers, shard_bytes=6000)
    with serve(site) as base:
        queries = RANKING_QUERIES + [
            "alpha",
            "alpha beta",
            "+gamma -delta",
            "title:alpha",
            "-alpha",
            "model*",
            "w12*",
        ]
        plain = PLAIN_QUERIES + ["alpha", "alpha bet", "gamma delta epsilon", "model’s agents", "w1"]
        # the sample's queries that find nothing in these made-up papers
        compare_page_scoring(spage, base, queries, plain, empty=20)
        assert spage.js_errors == []


@pytest.mark.browser
def test_the_best_few_are_the_first_of_the_ranked_results(sample_build, spage):
    _, out = sample_build
    with serve(out) as base:
        spage.goto(base + "search/")
        got = spage.evaluate(
            """async (queries) => {
                const out = [];
                for (const q of queries) {
                    const all = (await window.sitegenSearch.search(q)).map(r => r.ref);
                    for (const k of [1, 8, 20, 45]) {
                        const top = (await window.sitegenSearch.best(q, k)).map(r => r.ref);
                        out.push([q, k, all.length, top, all.slice(0, k)]);
                    }
                }
                return out;
            }""",
            ["model", "language mod", "+language -vision", "dice loss", "re"],
        )
    assert all(n > 45 for q, k, n, _, _ in got if q in ("model", "re"))
    for query, k, _, top, first in got:
        assert top == first, (query, k)
    assert spage.js_errors == []


@pytest.mark.browser
def test_typing_builds_no_lunr_index_and_no_match_data(sample_build, spage):
    # lunr's per-(paper, field) objects are what made a common word slow at 20,000 papers: the
    # page scores from the postings and makes neither an index nor a MatchData per keystroke.
    _, out = sample_build
    with serve(out) as base:
        spage.goto(base + "search/")
        spage.evaluate(
            """() => window.sitegenSearch.load().then(() => {
                window.__made = {index: 0, matchData: 0};
                const load = lunr.Index.load, MatchData = lunr.MatchData;
                lunr.Index.load = function () { window.__made.index++; return load.apply(this, arguments); };
                lunr.MatchData = function () { window.__made.matchData++; return MatchData.apply(this, arguments); };
                lunr.MatchData.prototype = MatchData.prototype;
            })"""
        )
        for query in ("language model", "title:loss", "+diffusion -video", "distil*"):
            assert type_query(spage, query)["count"] > 0, query
        assert spage.evaluate("window.__made") == {"index": 0, "matchData": 0}
        spage.evaluate("window.sitegenSearch.lunrSearch('dice')")  # (the spies do count)
        assert spage.evaluate("window.__made.index") == 1
        assert spage.js_errors == []


@pytest.mark.browser
def test_the_engine_is_loaded_when_the_reader_starts_to_search(sample_build, spage):
    _, out = sample_build
    requested: list[str] = []
    spage.on("request", lambda r: requested.append(r.url))
    with serve(out) as base:
        spage.goto(base + "archive/")
        spage.wait_for_load_state("networkidle")
        assert any(u.endswith("/static/search.js") for u in requested)
        assert not [u for u in requested if "search-engine" in u]
        with spage.expect_request(re.compile(r"/static/search-engine\.js$")):
            spage.keyboard.press("/")  # focuses the box
        type_query(spage, "dice loss")
        assert titles(spage, "#search-panel")[0] == "Dice Loss for Data-imbalanced NLP Tasks"
        # the search page brings the engine with it
        requested.clear()
        spage.goto(base + "search/")
        assert any(u.endswith("/static/search-engine.js") for u in requested)
        assert spage.evaluate("window.sitegenSearch.foldText('TÜLU')") == "tulu"
        assert spage.js_errors == []


@pytest.mark.browser
def test_what_was_typed_before_the_engine_came_is_searched(sample_build, spage):
    _, out = sample_build
    held = []  # the engine's request, answered only once the query is typed
    spage.route(re.compile(r"/search-engine\.js$"), lambda route: held.append(route))
    with serve(out) as base:
        spage.goto(base + "archive/")
        spage.locator("#site-search-q").press_sequentially("dice loss", delay=10)
        spage.wait_for_timeout(50)
        assert len(held) == 1
        held[0].continue_()
        wait_search(spage, "dice loss")
        assert titles(spage, "#search-panel")[0] == "Dice Loss for Data-imbalanced NLP Tasks"
        assert spage.js_errors == []


@pytest.mark.browser
def test_lunr_js_gives_the_same_results_as_lunr_py(sample_build, spage):
    _, out = sample_build
    py_index = Index.load(whole_index(read_files(out)))

    def ranked(results) -> list[tuple[float, str]]:
        # Ties may come out in either order; compare (score, ref) sorted, scores to 6 digits.
        return sorted((-round(r["score"], 6), r["ref"]) for r in results)[:15]

    with serve(out) as base:
        spage.goto(base + "search/")
        js = spage.evaluate(
            """async (queries) => {
                const index = await window.sitegenSearch.fullIndex();
                return queries.map(q => index.search(q).map(r => ({ref: r.ref, score: r.score})));
            }""",
            PARITY_QUERIES,
        )
    for query, js_results in zip(PARITY_QUERIES, js, strict=True):
        py_results = py_index.search(query)
        assert py_results, f"{query!r} finds nothing: a useless parity case"
        assert ranked(js_results) == ranked(py_results), query
        assert len(js_results) == len(py_results), query


@pytest.mark.browser
def test_fold_and_trim_are_the_same_in_python_and_javascript(sample_build, spage):
    _, out = sample_build
    samples = (
        "TÜLU Café ﬁne Straße Łódź Ørsted Æsir œuvre ıi Þór x² İstanbul (DMD), «Über» bird's"
        " -- _x_ αβγ 日本語 Ｆｕｌｌ Ångström naïve e\u0301"
    ).split()
    words = samples + [w for p in load_json(out / "data/papers.json")[:80] for w in p["title"].split()]
    with serve(out) as base:
        spage.goto(base + "search/")
        js = spage.evaluate(
            "(ws) => ws.map(w => [window.sitegenSearch.foldText(w), window.sitegenSearch.trimText(w)])", words
        )
    assert js == [[fold_text(w), trim_text(w)] for w in words]


@pytest.mark.browser
def test_stemmer_port_is_lunr_js_on_the_whole_vocabulary(sample_build, spage):
    _, out = sample_build
    words = {
        trim_text(fold_text(w))
        for p in load_json(out / "data/papers.json")
        for w in re.split(r"[\s\-]+", f"{p['title']} {p['abstract']}")
    }
    words = sorted(words - {""}) + ["survey", "say", "cry", "by", "yelling", "agreed", "hopping", "filing"]
    assert len(words) > 5000
    with serve(out) as base:
        spage.goto(base + "search/")
        spage.evaluate("() => window.sitegenSearch.load().then(() => true)")
        js = spage.evaluate("(ws) => ws.map(w => lunr.stemmer(new lunr.Token(w)).toString())", words)
    mismatches = [(w, j, porter_stem(w)) for w, j in zip(words, js, strict=True) if j != porter_stem(w)]
    assert mismatches == []


@pytest.mark.browser
def test_without_javascript_the_search_page_says_so(sample_build, browser):
    _, out = sample_build
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        with serve(out) as base:
            page.goto(base + "archive/")
            page.locator("#site-search-q").fill("dice loss")
            page.locator("#site-search-q").press("Enter")  # the plain form still gets there
            page.wait_for_url(re.compile(r"/search/\?q=dice\+loss$"))
            assert "needs JavaScript" in page.locator("main").inner_text()
            page.locator("main").get_by_role("link", name="archive").click()
            page.wait_for_url(re.compile(r"/archive/$"))
    finally:
        context.close()


# ---- words, typing, snippets, filters ------------------------------------------------------------


def test_possessives_are_their_word():
    assert stem_word("llm's") == stem_word("llm") == "llm"
    assert stem_word("model’s") == stem_word("model") == "model"
    assert stem_word("models'") != ""  # a trailing apostrophe is trimmed before, not here
    assert trim_text(fold_text("LLM’s")) == "llm’s" and stem_word("llm’s") == "llm"


def test_edge_trimming_is_linear_on_crafted_tokens():
    import time

    token = "x" + "!" * 49_000 + "x"
    start = time.perf_counter()
    assert trim_text("(" + "!" * 40 + "word" + "!" * 40 + ")") == "word"
    assert trim_text(token) == ""  # over MAX_WORD: not a word
    assert trim_text("x" + "!" * 90 + "x") == "x" + "!" * 90 + "x"  # inner punctuation stays
    for n in (10, 60, 99):
        assert trim_text("!" * n) == ""
    # a whole abstract of such tokens indexes in well under a second (it took 21 s per token before)
    abstract = " ".join("x" + "!" * (5000 + k) + "x" for k in range(10)) + " " + "!" * 49_000 + "y"
    search_files([_paper(1, "Crafted", abstract), _paper(2, "Plain", "A normal abstract.")])
    assert time.perf_counter() - start < 5


@pytest.mark.browser
def test_edge_trimming_is_linear_in_javascript(sample_build, spage):
    _, out = sample_build
    with serve(out) as base:
        spage.goto(base + "search/")
        elapsed = spage.evaluate(
            """() => {
                const t0 = performance.now();
                const s = window.sitegenSearch;
                const out = [s.trimText('x' + '!'.repeat(49000) + 'x'), s.trimText('!'.repeat(99)),
                             s.trimText('(' + '!'.repeat(40) + 'word' + '!'.repeat(40) + ')')];
                return [performance.now() - t0, out];
            }"""
        )
        assert elapsed[1] == ["", "", "word"]
        assert elapsed[0] < 2000
        spage.locator("#site-search-q").fill(
            "x" + "!" * 30000 + "x dice loss"
        )  # a crafted query is quick too
        wait_search(spage, "x" + "!" * 30000 + "x dice loss")
        assert titles(spage)[0].startswith("Dice Loss")


def typed_counts(page, word: str) -> dict[str, int]:
    """Type ``word`` letter by letter (like a person) and return the result count shown for each prefix."""
    box = page.locator("#site-search-q")
    box.fill("")
    page.evaluate("window.__searches = []")
    box.press_sequentially(word, delay=60)
    wait_search(page, word)
    page.wait_for_timeout(150)
    counts: dict[str, int] = {}
    for s in page.evaluate("window.__searches"):
        counts[s["query"]] = s["count"]
    return counts


@pytest.mark.browser
def test_typing_narrows_and_never_empties(sample_build, spage):
    _, out = sample_build
    with serve(out) as base:
        spage.goto(base + "search/")
        spage.evaluate("() => window.sitegenSearch.load().then(() => true)")
        for word in ("reinforcement", "distillation", "preference", "generation", "alignment", "multimodal"):
            counts = typed_counts(spage, word)
            seen = {q: c for q, c in counts.items() if len(q) >= 3}
            assert len(seen) >= (len(word) - 2) // 2, (word, counts)  # typed: many prefixes were shown
            assert all(c > 0 for c in seen.values()), (word, counts)
            # and every prefix from the third letter on, searched the same way one by one
            prefixes = [word[:n] for n in range(3, len(word) + 1)]
            found = spage.evaluate(
                "ps => Promise.all(ps.map(p => window.sitegenSearch.search(p).then(rs => rs.length)))",
                prefixes,
            )
            assert all(found), dict(zip(prefixes, found, strict=True))
            assert found[-1] <= found[0]  # the whole word finds no more than its first letters
        assert spage.js_errors == []


@pytest.mark.browser
def test_possessives_find_the_papers_of_their_word(sample_build, spage):
    _, out = sample_build
    with serve(out) as base:
        spage.goto(base + "search/")
        llm = type_query(spage, "llm ")["count"]
        assert llm > 50
        assert type_query(spage, "LLM's")["count"] >= llm
        assert type_query(spage, "LLM’s ")["count"] == llm
        assert type_query(spage, "model’s ")["count"] == type_query(spage, "model ")["count"]
        assert spage.js_errors == []


@pytest.mark.browser
def test_papers_with_every_word_come_first(sample_build, spage):
    _, out = sample_build
    with serve(out) as base:
        spage.goto(base + "search/")
        for query in ("speech translation", "preference optimization reward", "dice monocular"):
            words = spage.evaluate(
                "q => window.sitegenSearch.search(q).then(rs => rs.map(r => r.words))", query
            )
            assert words and words[0] == len(query.split()), query
            assert words == sorted(words, reverse=True), query
        assert spage.js_errors == []


@pytest.mark.browser
def test_snippets_show_the_matched_words(sample_build, spage):
    _, out = sample_build
    with serve(out) as base:
        spage.goto(base + "search/")
        type_query(spage, "speech")
        results = spage.locator(".search-result")
        assert results.count() >= 10
        for k in range(results.count()):
            marks = results.nth(k).locator("mark").all_inner_texts()
            theme = results.nth(k).locator(".search-result-theme").all_inner_texts()
            # highlighted in the title or snippet, or the paper matched by its theme alone
            assert any(m.lower().startswith("speech") for m in marks) or "speech" in "".join(theme), k
        snippets = spage.locator(".search-result-snippet mark")
        assert snippets.count() >= 10  # in the snippets, not only in the titles
        assert spage.js_errors == []


@pytest.mark.browser
def test_filters_by_theme_organization_and_year(sample_build, spage):
    result, out = sample_build
    requested: list[str] = []
    spage.on("request", lambda r: requested.append(r.url))
    with serve(out) as base:
        spage.goto(base + "search/?q=language")
        total = wait_search(spage, "language")["count"]
        assert not [u for u in requested if "/facets/" in u]
        spage.locator("#search-filters summary").click()
        year = spage.locator("#search-filter-year")
        year.locator("option").nth(1).wait_for(state="attached")
        assert [u for u in requested if "/facets/" in u]
        options = year.locator("option").all_inner_texts()
        counts = [int(re.search(r"\((\d+)\)$", o).group(1)) for o in options[1:]]
        assert sum(counts) <= total and counts[0] > 0
        label = year.locator("option").nth(1).get_attribute("value")
        spage.evaluate("window.__searches = []")
        year.select_option(label)
        detail = wait_search(spage, "language")
        assert detail["count"] == counts[0]
        dates = spage.locator("#search-results time").evaluate_all("ts => ts.map(t => t.dateTime)")
        assert dates and all(d.startswith(label) for d in dates)
        assert spage.locator("#search-filter-theme option").count() > 1
        year.select_option("")  # back to every year
        assert wait_search(spage, "language")["count"] == total
        # few sample papers name their organization; Phased DMD's is SenseNova
        dmd = type_query(spage, "distribution matching")["count"]
        org = spage.locator("#search-filter-organization")
        spage.wait_for_function(
            "() => document.querySelectorAll('#search-filter-organization option').length > 1"
        )
        assert "SenseNova (1)" in org.locator("option").all_inner_texts()
        spage.evaluate("window.__searches = []")
        org.select_option("SenseNova")
        assert wait_search(spage, "distribution matching")["count"] == 1 < dmd
        assert titles(spage) == [
            "Phased DMD: Few-step Distribution Matching Distillation via Score Matching within Subintervals"
        ]
        assert spage.js_errors == []


class _Counts:
    def __init__(self) -> None:
        self.kept = None

    def get(self):
        return self.kept

    def put(self, digests, counts) -> None:
        self.kept = (digests, counts)


def test_the_index_starts_from_the_last_builds_counts_and_is_the_same(sample_build, monkeypatch):
    """With a store (the build cache), the index takes the term counts of the papers the last
    build had where the papers (oldest first) begin with them, and cuts only the others into
    words: the same files as building it whole; a paper changed since is cut again, and so is
    every paper after it."""
    from sitegen import search

    result, _ = sample_build
    papers = result.site.papers  # newest first
    cut = []
    real = search.index_scores
    monkeypatch.setattr(
        search, "index_scores", lambda docs, start=None: cut.append(len(docs)) or real(docs, start)
    )
    whole = search_files(papers)  # (no store: built whole)
    cut.clear()
    store = _Counts()
    with search.keeping_counts(store):
        search_files(papers[20:])  # the last build: without the 20 newest papers
        assert cut == [len(papers) - 20]
        cut.clear()
        assert search_files(papers) == whole
        assert cut == [20]  # only the new papers cut into words
        cut.clear()
        assert search_files(papers) == whole
        assert cut == [0]
    # An old paper changed (its theme renamed): it and the papers after it are cut again.
    store.kept = None
    with search.keeping_counts(store):
        search_files(papers[20:])
        oldest_first = list(reversed(papers))
        changed = oldest_first[100]
        theme = changed.theme
        monkeypatch.setattr(
            changed, "theme", Theme(slug="renamed", label="A renamed theme", terms=[]) if theme else None
        )
        cut.clear()
        got = search_files(papers)
    assert cut == [len(papers) - 100]
    assert got == search_files(papers)
