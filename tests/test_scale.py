"""What keeps a large site's build about linear: themes by areas past ``max_full`` papers, related
papers in blocks, terms counted once, numbered pages, a sitemap index, pages rendered in several
processes. Small corpora that still take the large-site paths (thresholds lowered, or a bench
corpus just past them); nothing here is timed but the hostile-input bound."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from typing import Any
from xml.etree import ElementTree

import numpy as np
import pytest
from conftest import CONTENT
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics import adjusted_rand_score

from bench import synth
from sitegen.build import build, gather
from sitegen.config import SiteConfig
from sitegen.errors import Diagnostics
from sitegen.output import paper_pages
from sitegen.render import PAGE_SIZE, Renderer, paginate
from sitegen.sitemap import sitemap_files
from sitegen.stages import forked_map
from sitegen.themes import ThemeModel, analyze, carry, document, related
from sitegen.themes.model import keeping_bases
from sitegen.themes.related import nearest
from sitegen.themes.terms import analyze_all

# Past max_full on the 270 sample papers: areas of about 4 themes each.
SCALED = {"max_full": 100, "sweep_size": 80, "themes_per_area": 4}


@pytest.fixture(scope="module")
def sample_docs() -> list[str]:
    _, site = gather(CONTENT, Diagnostics())
    return [document(p) for p in site.papers]


@pytest.fixture(scope="module")
def scaled(sample_docs) -> ThemeModel:
    return ThemeModel(**SCALED).fit(sample_docs)


# -- terms --------------------------------------------------------------------------------------


def test_terms_are_counted_as_the_vectorizer_counts_them(sample_docs):
    docs = [*sample_docs, "", "the of and", "a - b -c x-y. C++ 2025_abc 123-abc (ok) “q”", "LLMs LLM's x x y"]
    counts, vocab, _ = analyze_all(docs)
    reference = CountVectorizer(analyzer=lambda terms: terms)
    expected = reference.fit_transform([analyze(d) for d in docs])
    assert vocab == list(reference.get_feature_names_out())
    assert (counts != expected).nnz == 0


def test_long_runs_of_digits_dashes_and_underscores_analyze_in_linear_time():
    # The old token pattern's look-ahead re-scanned each run from every position: 49,999 "1"s
    # took ~20 s; 200,000 characters of each kind must now take well under a second or two.
    hostile = " ".join(["1" * 200_000, "-" * 200_000, "_" * 200_000, "a-" * 100_000, "x1_" * 60_000])
    start = time.process_time()
    counts, vocab, _ = analyze_all([hostile, "Distillation of reward models."])
    assert time.process_time() - start < 5
    assert "distillation" in vocab
    # Over-long tokens are not words.
    assert all(len(term) <= 64 * 2 + 1 for term in vocab)


# -- themes past max_full -----------------------------------------------------------------------


def test_past_max_full_the_themes_are_found_by_area(scaled, sample_docs):
    n = len(sample_docs)
    assert len(scaled.labels_) == n and set(scaled.labels_.tolist()) == set(range(scaled.n_themes_))
    # Several areas, each theme inside one of them.
    assert len(set(scaled.theme_areas_)) >= 2
    for c in range(scaled.n_themes_):
        assert len({int(a) for a in scaled.areas_[scaled.labels_ == c]}) == 1
        assert {int(a) for a in scaled.areas_[scaled.labels_ == c]} == {scaled.theme_areas_[c]}
    # The count is chosen on a sample and scaled by sqrt(n / sample): 0.6..1 x sqrt(n) or so.
    assert 0.5 * np.sqrt(n) <= scaled.n_themes_ <= 1.3 * np.sqrt(n)


def test_past_max_full_labels_still_name_what_the_papers_are_about(scaled, sample_docs):
    """Most papers of the themes are named by their label; the groups of no subject (papers of
    no theme, no terms) stay a minority (80 of these 270 papers, in areas of 4 themes; 9 % of
    20,000 bench papers)."""
    terms = [set(analyze(d)) for d in sample_docs]
    named = themed = 0
    for c in range(scaled.n_themes_):
        assert bool(scaled.terms_[c]) == scaled.subjects_[c]
        if not scaled.subjects_[c]:
            continue
        keys = {max(analyze(t), key=len) for t in scaled.terms_[c][:3] if analyze(t)}
        members = np.flatnonzero(scaled.labels_ == c)
        named += sum(bool(keys & terms[i]) for i in members)
        themed += len(members)
    assert themed >= 0.6 * len(sample_docs)
    assert named >= 0.7 * themed


def test_past_max_full_same_input_same_themes(scaled, sample_docs):
    again = ThemeModel(**SCALED).fit(sample_docs)
    assert np.array_equal(again.labels_, scaled.labels_)
    assert again.terms_ == scaled.terms_ and again.theme_areas_ == scaled.theme_areas_


def test_past_max_full_areas_clustered_in_two_processes_give_the_same_themes(scaled, sample_docs):
    parallel = ThemeModel(**SCALED, n_jobs=2).fit(sample_docs)
    # The count sweep's candidates run in the two processes too.
    assert parallel.silhouettes_ == scaled.silhouettes_ and len(scaled.silhouettes_) > 1
    assert np.array_equal(parallel.labels_, scaled.labels_)
    assert parallel.terms_ == scaled.terms_ and np.array_equal(parallel.related_, scaled.related_)


def test_past_max_full_seeding_with_its_own_themes_and_areas_changes_nothing(scaled, sample_docs):
    seeded = ThemeModel(**SCALED).fit(
        sample_docs, seed_labels=scaled.labels_.tolist(), seed_areas=dict(enumerate(scaled.theme_areas_))
    )
    assert np.array_equal(seeded.labels_, scaled.labels_)
    assert seeded.theme_areas_ == scaled.theme_areas_


def test_past_max_full_new_papers_leave_old_ones_in_place(sample_docs):
    old = sample_docs[40:]
    before = ThemeModel(**SCALED).fit(old)
    seeds = [-1] * 40 + before.labels_.tolist()
    after = ThemeModel(**SCALED).fit(
        sample_docs, seed_labels=seeds, seed_areas=dict(enumerate(before.theme_areas_))
    )
    assert adjusted_rand_score(before.labels_, after.labels_[40:]) >= 0.8
    kept = np.mean([after.seed_map_[c] == s for c, s in zip(after.labels_[40:], before.labels_, strict=True)])
    assert kept >= 0.9


# -- related ------------------------------------------------------------------------------------


def test_related_in_blocks_equals_the_dense_computation(scaled):
    x, e = scaled.tfidf_, scaled.embedding_
    one_area = np.zeros(x.shape[0], dtype=int)
    got = nearest(x, e, one_area, 5)
    sim = (x @ x.T).toarray() + 0.25 * (e @ e.T)
    np.fill_diagonal(sim, -np.inf)
    index = np.arange(x.shape[0])
    for i in range(x.shape[0]):
        expected = np.lexsort((index, -sim[i]))[:5]
        # Equal up to rounding between a block's product and the whole matrix's.
        assert np.allclose(sim[i, got[i]], sim[i, expected]), i


def test_a_pairs_similarity_is_the_same_in_any_block(scaled):
    # What lets a build reuse the last build's neighbours: the same bits whatever the matrices.
    x, e = scaled.tfidf_, scaled.embedding_
    eq, weight = related.lsa_integers(e)
    whole = (x @ x.T).toarray() + weight * (eq @ eq.T)
    rows, cols = np.arange(3, 40, 3), np.arange(100, 260, 7)
    part = (x[rows] @ x[cols].T).toarray() + weight * (eq[rows] @ eq[cols].T)
    assert np.array_equal(part, whole[np.ix_(rows, cols)])
    # 5e-6 from the float cosines at most
    assert np.abs(weight * (eq @ eq.T) - 0.25 * (e @ e.T)).max() < 1e-5


class _Store:
    """A store of one value in memory (``related.NeighbourStore``, ``carry.VectorStore``): what
    the last build put, the next one gets."""

    def __init__(self) -> None:
        self.kept: Any = None

    def get(self) -> Any:
        return self.kept

    def put(self, value: Any) -> None:
        self.kept = value


def _nearest_counting(monkeypatch, *args, **kwargs) -> tuple[np.ndarray, int]:
    calls = []
    real = related._full

    def full(*a, **kw):
        calls.append(a[0].shape[0])
        return real(*a, **kw)

    monkeypatch.setattr(related, "_full", full)
    return nearest(*args, **kwargs), len(calls)


def test_the_last_builds_neighbours_are_reused_and_give_the_same(scaled, sample_docs, monkeypatch):
    x, e, areas = scaled.tfidf_, scaled.embedding_, scaled.areas_
    keys = related.text_keys(sample_docs)
    n = x.shape[0]
    # The "new" papers: every 9th, and the 12 newest (site order is newest first).
    new = np.zeros(n, dtype=bool)
    new[::9] = True
    new[:12] = True
    old = np.flatnonzero(~new)
    store = _Store()
    with related.keeping_neighbours(store):
        before, full_runs = _nearest_counting(
            monkeypatch, x[old], e[old], areas[old], 6, keys=[keys[i] for i in old]
        )
        assert full_runs == 1 and store.kept is not None
        after, full_runs = _nearest_counting(monkeypatch, x, e, areas, 6, keys=keys)
        assert full_runs == 0  # the old papers compared with the new ones only
    assert np.array_equal(after, nearest(x, e, areas, 6))
    # An old paper's neighbours that are old papers too are its old neighbours, in order.
    for i, row in zip(old.tolist(), before.tolist(), strict=True):
        olds_now = [j for j in after[i].tolist() if j >= 0 and not new[j]]
        assert olds_now == [old[j] for j in row if j >= 0][: len(olds_now)]


@pytest.mark.parametrize("change", ["vector", "removed", "order", "area", "k", "duplicate text"])
def test_neighbours_are_found_anew_when_the_old_papers_changed(scaled, sample_docs, monkeypatch, change):
    x, e, areas = scaled.tfidf_.copy(), scaled.embedding_.copy(), scaled.areas_.copy()
    keys = related.text_keys(sample_docs)
    n, k = x.shape[0], 6
    store = _Store()
    with related.keeping_neighbours(store):
        nearest(x[10:], e[10:], areas[10:], k, keys=keys[10:])
        rows = np.arange(n)
        if change == "vector":
            e[50] = e[51]
        elif change == "removed":
            rows = np.delete(rows, 40)
        elif change == "order":
            rows[[30, 31]] = rows[[31, 30]]
        elif change == "area":
            areas[60] = areas.max() + 1
        elif change == "k":
            k = 5
        elif change == "duplicate text":
            keys = list(keys)
            keys[0] = keys[20]
        got, full_runs = _nearest_counting(
            monkeypatch, x[rows], e[rows], areas[rows], k, keys=[keys[i] for i in rows]
        )
    assert full_runs == 1
    assert np.array_equal(got, nearest(x[rows], e[rows], areas[rows], k))


def test_related_stay_within_the_area_and_exclude_the_paper(scaled):
    related = scaled.related_
    for i, row in enumerate(related):
        assert i not in row.tolist()
        assert all(scaled.areas_[j] == scaled.areas_[i] for j in row.tolist() if j >= 0)


# -- numbered pages and the sitemap index --------------------------------------------------------


def test_paginate_keeps_page_one_at_the_listing_url():
    pages = paginate("orgs/x/", list(range(2 * PAGE_SIZE + 1)))
    assert [p.url for p in pages] == ["orgs/x/", "orgs/x/page/2/", "orgs/x/page/3/"]
    assert [len(p.items) for p in pages] == [PAGE_SIZE, PAGE_SIZE, 1]
    assert pages[0].prev_url is None and pages[0].next_url == "orgs/x/page/2/"
    assert pages[2].prev_url == "orgs/x/page/2/" and pages[2].next_url is None
    assert paginate("themes/t/", [])[0].items == [] and len(paginate("t/", [])) == 1
    many = paginate("m/", list(range(20 * PAGE_SIZE)))
    assert many[9].window() == [1, None, 8, 9, 10, 11, 12, None, 20]


def test_sitemap_becomes_an_index_past_the_limit():
    _, site = gather(CONTENT, Diagnostics())
    config = SiteConfig(base_url="https://example.org/d/")
    urls = [f"papers/p{i}/" for i in range(25)]
    files = sitemap_files(config, site, urls, limit=10)
    assert sorted(files) == ["sitemap-1.xml", "sitemap-2.xml", "sitemap-3.xml", "sitemap.xml"]
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    index = ElementTree.fromstring(files["sitemap.xml"])
    assert index.tag.endswith("sitemapindex")
    assert [e.text for e in index.findall("s:sitemap/s:loc", ns)] == [
        f"https://example.org/d/sitemap-{n}.xml" for n in (1, 2, 3)
    ]
    listed = [
        e.text
        for name in ("sitemap-1.xml", "sitemap-2.xml", "sitemap-3.xml")
        for e in ElementTree.fromstring(files[name]).findall("s:url/s:loc", ns)
    ]
    assert listed == sorted(f"https://example.org/d/{u}" for u in urls)
    assert sitemap_files(config, site, urls)["sitemap.xml"].count(b"<url>") == 25


# -- a bench corpus just past the thresholds ----------------------------------------------------


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    """1,100 synthetic papers (past ``max_full`` and ``PARALLEL_MIN``), built with two processes."""
    content = tmp_path_factory.mktemp("large") / "content"
    synth.generate(1100, seed=3).write(content)
    out = content.parent / "_site"
    result = build(content, out, diags=Diagnostics(), jobs=2)
    return content, result, out


def test_a_large_site_builds_with_areas_and_no_warning(large):
    _, result, out = large
    assert len(result.diagnostics) == 0, [str(d) for d in result.diagnostics]
    assert len(result.site.papers) > 1000
    themes = json.loads((out / "data" / "themes.json").read_text(encoding="utf-8"))
    assert len({t["area"] for t in themes}) >= 2
    assert sum(len(t["papers"]) for t in themes) == len(result.site.papers)
    # (the feeds are rendered among the render stage's tasks, in whichever process takes them)
    assert {"themes", "related", "render", "search", "write"} <= set(result.stages.seconds)


def test_long_listings_get_numbered_pages(large):
    _, result, out = large
    listings = [(o.url, o.papers) for o in result.site.organizations]
    listings += [(t.url, t.papers) for t in result.site.themes]
    listings += [(m.url, m.papers) for y in result.site.archive for m in y.months]
    long = [(url, papers) for url, papers in listings if len(papers) > PAGE_SIZE]
    assert long, "the corpus should have a listing of more than one page"
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    for url, papers in long:
        count = -(-len(papers) // PAGE_SIZE)
        seen = []
        for n in range(1, count + 1):
            page_url = url if n == 1 else f"{url}page/{n}/"
            html = (out / page_url / "index.html").read_text(encoding="utf-8")
            seen += re.findall(r'<h2 class="card-title"><a href="[./]*(papers/[^"]+)"', html)
            assert ('rel="prev"' in html) == (n > 1) and ('rel="next"' in html) == (n < count), page_url
            assert f"/{page_url}</loc>" in sitemap
        assert seen == [p.url for p in papers], url
        assert not (out / url / "page" / str(count + 1)).exists()


def test_pages_rendered_in_several_processes_are_the_same_bytes(large):
    content, result, _ = large
    renderer = Renderer(result.config, result.site, [])
    papers = result.site.papers[:300]
    assert paper_pages(renderer, papers, jobs=2, minimum=1) == paper_pages(renderer, papers, jobs=1)


def test_a_large_site_builds_twice_to_the_same_bytes(large, tmp_path):
    content, result, out = large
    again = build(content, tmp_path / "again", diags=Diagnostics(), jobs=1)
    assert again.files == result.files


def test_a_large_site_is_a_fixed_point_of_its_own_stored_themes(large, tmp_path):
    content, result, out = large
    seeded = tmp_path / "content"
    shutil.copytree(content, seeded)
    shutil.copy(out / "data" / "themes.json", seeded / "themes.json")
    again = build(seeded, None, diags=Diagnostics())
    assert again.files["data/themes.json"] == result.files["data/themes.json"]


def test_jobs_must_be_positive(tmp_path):
    from sitegen.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["build", "--jobs", "0", "--out", str(tmp_path / "o")])
    assert exc.value.code == 2


def test_paper_pages_in_processes_are_each_papers_own_page():
    _, site = gather(CONTENT, Diagnostics())
    files = paper_pages(Renderer(SiteConfig(), site, []), site.papers[:5], jobs=2, minimum=1)
    assert sorted(files) == sorted(p.url + "index.html" for p in site.papers[:5])
    for paper in site.papers[:5]:
        assert paper.title.encode() in files[paper.url + "index.html"] or "&" in paper.title


def _square_with_pid(offset, task):
    return task * task + offset, os.getpid()


def test_forked_map_starts_the_costliest_tasks_first_and_returns_results_in_task_order():
    tasks = [3, 9, 1, 7, 5]
    out = forked_map(_square_with_pid, 10, tasks, jobs=2, cost=float)
    assert [r for r, _ in out] == [t * t + 10 for t in tasks]
    assert all(pid != os.getpid() for _, pid in out)  # in the forked processes
    assert forked_map(_square_with_pid, 10, tasks, jobs=1, cost=float) == [
        (t * t + 10, os.getpid()) for t in tasks
    ]


# -- carried vectors (themes/carry.py: known_vectors) -------------------------------------------


class _Bases:
    def __init__(self) -> None:
        self.kept: dict[str, np.ndarray] = {}

    def get(self, key: str) -> np.ndarray | None:
        return self.kept.get(key)

    def put(self, key: str, basis: np.ndarray) -> None:
        self.kept[key] = basis

    def keep(self, key: str) -> None:
        pass


@pytest.mark.parametrize(
    "change", [None, "a fitted paper's text", "the basis is gone", "two fitted papers swapped"]
)
def test_a_carried_fit_takes_the_known_papers_vectors_and_computes_the_same(sample_docs, monkeypatch, change):
    """With carried themes, the vectors of the papers the last build had are taken from it and the
    new papers' computed alone: the same bits as analyzing and weighing them all (and so the same
    themes, ranks and related papers); where the papers fitted on changed, all is computed."""
    docs = list(sample_docs)
    old = docs[20:]  # 20 new papers of 270: under REFIT_SHARE
    bases, vectors = _Bases(), _Store()
    with keeping_bases(bases), carry.keeping_vectors(vectors):
        first = ThemeModel().fit(old)
    assert vectors.kept is not None and len(vectors.kept.keys) == len(old)
    if change == "a fitted paper's text":
        docs[100] = docs[100] + " Revised."
    elif change == "the basis is gone":
        bases.kept.clear()
    seeds = [-1] * 20 + first.labels_.tolist()
    if change == "two fitted papers swapped":
        docs[30], docs[31] = docs[31], docs[30]
        seeds[30], seeds[31] = seeds[31], seeds[30]
    joined = [False] * len(docs)
    taken = []
    real = carry.known_vectors
    monkeypatch.setattr(carry, "known_vectors", lambda *a: taken.append(real(*a)) or taken[-1])
    with keeping_bases(bases), carry.keeping_vectors(vectors):
        warm = ThemeModel().fit(docs, seed_labels=seeds, joined=joined)
    cold = ThemeModel().fit(docs, seed_labels=seeds, joined=joined)
    assert warm.carried_ and cold.carried_ and len(taken) == 1
    assert (taken[0] is not None) == (change is None)
    assert warm.tfidf_.shape == cold.tfidf_.shape and (warm.tfidf_ != cold.tfidf_).nnz == 0
    assert np.array_equal(warm.tfidf_.indices, cold.tfidf_.indices)
    assert np.array_equal(warm.embedding_, cold.embedding_)
    for name in ("labels_", "centrality_", "related_"):
        assert np.array_equal(getattr(warm, name), getattr(cold, name)), name
    # And the next build starts from this one's.
    assert vectors.kept is not None and vectors.kept.keys == related.text_keys(docs)
