"""bench/: the synthetic corpus reads cleanly through sitegen's reader and has the promised shape;
the benchmark script runs end to end. Nothing here is timed."""

from __future__ import annotations

import datetime as dt
import json
import statistics
import sys
from collections import Counter
from pathlib import Path

import pytest

from bench import run, synth
from sitegen.build import read_dumps
from sitegen.config import load_config
from sitegen.errors import Diagnostics
from sitegen.merge import build_editions, merge_papers
from sitegen.text import title_key

PAPERS = 250
SEED = 7


@pytest.fixture(scope="module")
def model() -> synth.SampleModel:
    return synth.SampleModel.from_dumps()


@pytest.fixture(scope="module")
def corpus(model) -> synth.Corpus:
    return synth.Generator(model, SEED).corpus(PAPERS)


@pytest.fixture(scope="module")
def content(corpus, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("synth") / "content"
    corpus.write(folder)
    return folder


def read_back(content: Path):
    """The corpus as sitegen reads and merges it, with every warning."""
    diags = Diagnostics()
    config = load_config(content / "site.yaml", diags, display="site.yaml")
    dumps = read_dumps(content, config, diags)
    editions = build_editions(dumps, diags)
    return dumps, editions, merge_papers(editions, diags), diags


def test_reads_with_zero_warnings_and_every_block_intact(corpus, content):
    dumps, editions, papers, diags = read_back(content)
    assert [str(d) for d in diags] == []
    assert len(papers) == PAPERS
    blocks = [entry for dump in dumps for entry in dump.entries]
    assert len(blocks) == corpus.stats()["blocks"]
    by_key = {title_key(p.title): p for p in corpus.papers}
    for entry in blocks:
        generated = by_key[title_key(entry.title)]
        assert (entry.title, entry.abstract) == (generated.title, generated.abstract)
        if entry.organization is not None:
            assert (entry.organization.id, entry.organization.name) == generated.organization
            assert entry.authors is None
        if entry.published is not None:
            assert entry.published == generated.published
            assert entry.comments == generated.comments
    # Every paper's date is read back as generated, a year printed or not.
    assert {p.published for p in papers if p.published} <= {p.published for p in corpus.papers}


def test_daily_editions_of_about_fifty_papers(content):
    dumps, editions, _, _ = read_back(content)
    names = sorted(p.name for p in (content / "dumps").iterdir())
    dates = [dt.date.fromisoformat(name.removesuffix(".txt")) for name in names]
    assert dates == [dates[0] + dt.timedelta(days=i) for i in range(len(dates))]
    assert [e.date for e in editions] == dates
    for dump in dumps:
        assert dump.date_source == "file name"
        assert dump.page_date == (dump.date.month, dump.date.day)
        lines = Path(content / "dumps" / dump.name).read_text(encoding="utf-8").splitlines()
        assert lines[:11] == [
            "new",
            "",
            "Get trending papers in your email inbox!",
            "",
            "Subscribe",
            "",
            "Daily Papers",
            "",
            "byAK and the research community",
            "",
            dump.date.strftime("%b ") + str(dump.date.day),
        ]
    sizes = [len(d.entries) for d in dumps[:-1]]  # the last edition stops at the requested count
    assert 40 <= statistics.mean(sizes) <= 60
    assert all(20 <= n <= 80 for n in sizes)


def test_organizations_a_third_of_papers_with_a_skewed_size_distribution(content):
    _, _, papers, _ = read_back(content)
    with_org = [p for p in papers if p.organization is not None]
    assert 0.22 <= len(with_org) / len(papers) <= 0.45
    sizes = sorted(Counter(p.organization.id for p in with_org).values(), reverse=True)
    assert sizes[0] >= 5 * statistics.median(sizes)  # a few large ones ...
    assert sum(1 for n in sizes if n == 1) >= len(sizes) / 2  # ... and many with one paper
    assert any(p.authors is not None for p in papers)


def test_some_papers_repeat_with_the_same_text(corpus, content):
    dumps, _, papers, _ = read_back(content)
    repeated = [p for p in papers if len(p.editions) > 1]
    blocks = sum(len(d.entries) for d in dumps)
    assert 0.005 <= (blocks - len(papers)) / blocks <= 0.1
    assert len(repeated) >= 2
    # Within one edition a paper is never listed twice (the reader would warn).
    assert all(len(set(map(id, e.papers))) == len(e.papers) for e in repeated[0].editions)


def test_repeats_are_shown_with_and_without_metadata(model):
    corpus = synth.Generator(model, SEED).corpus(1500)
    shown: dict[int, set[bool]] = {}
    for edition in corpus.editions:
        for index, with_meta in edition.blocks:
            shown.setdefault(index, set()).add(with_meta)
    assert any(flags == {True, False} for flags in shown.values())
    assert sum(1 for e in corpus.editions for _, meta in e.blocks if not meta) > 0


def test_titles_distinct_and_vocabulary_from_the_samples(model, corpus):
    keys = [title_key(p.title) for p in corpus.papers]
    assert len(set(keys)) == len(keys)
    sample_tokens = {t.lower() for dist in model.abstract_chain.next.values() for t in dist.items}
    sample_tokens |= set(model.abstract_chain.next)
    tokens = [t.lower() for p in corpus.papers for t in p.abstract.split()]
    known = sum(1 for t in tokens if t in sample_tokens)
    assert known / len(tokens) > 0.95  # the rest: coined method names and forced sentence ends
    lengths = [len(p.abstract.split()) for p in corpus.papers]
    assert min(model.abstract_lengths) - 60 <= statistics.mean(lengths) <= max(model.abstract_lengths)


def test_papers_cluster_by_their_latent_topic(model):
    """Each paper's nearest paper by TF-IDF cosine is mostly of its own topic: real structure."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    corpus = synth.Generator(model, SEED, topics=10).corpus(200)
    vectors = TfidfVectorizer(stop_words="english").fit_transform(
        [f"{p.title} {p.abstract}" for p in corpus.papers]
    )
    similarity = (vectors @ vectors.T).toarray()
    np.fill_diagonal(similarity, -1)
    topics = np.array([p.topic for p in corpus.papers])
    assert (topics[similarity.argmax(axis=1)] == topics).mean() > 0.6


def test_same_seed_same_bytes_other_seed_other_corpus(model, content, tmp_path):
    again = tmp_path / "again"
    synth.Generator(model, SEED).corpus(PAPERS).write(again)
    files = sorted(p.relative_to(content) for p in content.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert all((content / f).read_bytes() == (again / f).read_bytes() for f in files)
    other = synth.Generator(model, SEED + 1).corpus(PAPERS)
    assert [p.title for p in other.papers] != [
        p.title for p in synth.Generator(model, SEED).corpus(PAPERS).papers
    ]


def test_synth_command_line_refuses_to_overwrite_other_folders(tmp_path, capsys):
    out = tmp_path / "corpus"
    assert synth.main(["--papers", "60", "--out", str(out), "--seed", "3"]) == 0
    assert "60 papers" in capsys.readouterr().out
    assert (out / "site.yaml").is_file() and list((out / "dumps").glob("*.txt"))
    assert synth.main(["--papers", "60", "--out", str(out), "--seed", "3"]) == 0  # its own: replaced
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me", encoding="utf-8")
    assert synth.main(["--papers", "60", "--out", str(mine)]) == 1
    assert "not overwritten" in capsys.readouterr().err
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_pelican_sources_one_article_per_paper(content, tmp_path):
    import shutil

    copy = tmp_path / "c" / "content"
    shutil.copytree(content, copy)
    folder = run.pelican_sources(copy)
    articles = sorted((folder / "content").glob("*.md"))
    assert len(articles) == PAPERS
    _, editions, papers, _ = read_back(copy)
    paper = papers[0]
    text = (folder / "content" / f"{paper.id}.md").read_text(encoding="utf-8")
    head, _, body = text.partition("\n\n")
    meta = dict(line.split(": ", 1) for line in head.splitlines())
    assert meta["Title"] == paper.title
    assert meta["Date"] == paper.first_seen.isoformat()
    assert meta["Category"] == (paper.organization.name if paper.organization else run.FALLBACK_CATEGORY)
    assert meta["Slug"] == paper.id
    assert body.strip() == paper.abstract.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert "RELATIVE_URLS = True" in (folder / "pelicanconf.py").read_text(encoding="utf-8")
    # Pelican's pages laid out as sitegen's (a folder per page), unless asked for its default.
    conf = (folder / "pelicanconf.py").read_text(encoding="utf-8")
    assert 'ARTICLE_SAVE_AS = "papers/{slug}/index.html"' in conf
    flat = (run.pelican_sources(copy, "flat") / "pelicanconf.py").read_text(encoding="utf-8")
    assert "ARTICLE_SAVE_AS" not in flat and "RELATIVE_URLS = True" in flat


def test_exponent_and_medians():
    assert run.exponent(1000, 10.0, 2000, 20.0) == pytest.approx(1.0)
    assert run.exponent(1000, 10.0, 4000, 80.0) == pytest.approx(1.5)
    runs = [
        {"stages": {"read": 1.0, "themes": 5.0}, "wall": 9.0, "files": 10},
        {"stages": {"read": 3.0, "themes": 1.0}, "wall": 7.0, "files": 10},
        {"stages": {"read": 2.0, "themes": 3.0, "related": 1.0}, "wall": 8.0, "files": 10},
    ]
    median = run.median_run(runs)
    assert list(median["stages"]) == ["read", "themes", "related"]
    assert median["stages"] == {"read": 2.0, "themes": 3.0, "related": 0.0}
    assert (median["wall"], median["files"]) == (8.0, 10)


def test_run_end_to_end_on_a_tiny_corpus(tmp_path, capsys):
    results = tmp_path / "results.json"
    assert run.main(["--sizes", "60", "--no-pelican", "--cache", str(tmp_path), "--json", str(results)]) == 0
    out = capsys.readouterr().out
    data = json.loads(results.read_text(encoding="utf-8"))
    (size,) = data["sizes"]
    sitegen = size["sitegen"]
    assert size["papers"] == sitegen["papers"] == 60
    assert sitegen["warnings"] == 0
    assert sitegen["stages"] and all(seconds >= 0 for seconds in sitegen["stages"].values())
    assert sitegen["files"] > 60 and sitegen["bytes"] > 0 and sitegen["maxrss"] > 0
    assert sitegen["wall"] >= sum(sitegen["stages"].values())
    assert size["pelican"] is None and size["ratio"] is None
    assert "### 60 papers" in out
    for stage in sitegen["stages"]:
        assert f"| {stage} |" in out
    assert "| wall (whole process) |" in out and "### Scaling" in out
    built = run.corpus_dir(60, 0, tmp_path) / "site"
    assert (built / "index.html").is_file()


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="needs Linux /proc smaps_rollup")
def test_the_memory_of_a_process_tree_is_sampled_as_rss_and_pss():
    # A child holding 64 MiB: its resident memory is seen both ways, PSS never above RSS.
    code = (
        "import time; block = bytearray(64 << 20); block[::4096] = b'x' * len(block[::4096]); time.sleep(1.2)"
    )
    figures = run.measure([sys.executable, "-c", code], cwd=Path.cwd())
    assert figures.returncode == 0
    assert figures.tree_pss >= 60 << 20
    assert figures.tree_pss <= figures.tree_rss
