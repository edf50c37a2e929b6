"""The build cache: an incremental build is only allowed to be faster, never different.

Each step of a maintainer's life (add, edit, delete a dump; change site.yaml, a template, the
version; a damaged cache) is built twice: incrementally, with the cache the earlier steps left,
and from scratch (no cache) from the same content *and the same themes seed*: the carried themes
are an input like the dumps, so the build from scratch gets, as ``content/themes.json``, the file
the incremental build started from (``BuildCache.seed``). The two output folders must be equal
file for file, byte for byte (what ``diff -r`` checks).
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import ROOT

import sitegen
from sitegen import cache as cache_module
from sitegen.build import BuildResult, build
from sitegen.cache import BuildCache, CountStore, NeighbourStore, VectorStore
from sitegen.errors import Diagnostics
from sitegen.output import OTHER_URL
from sitegen.render import Renderer
from sitegen.reuse import CARD_ABSTRACT, paper_view
from sitegen.themes.carry import Vectors
from sitegen.themes.related import Neighbours
from sitegen.writer import Kept


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def assert_same_tree(a: Path, b: Path) -> None:
    """``diff -r a b`` is empty: the same files with the same bytes."""
    left, right = _tree(a), _tree(b)
    assert sorted(left) == sorted(right), set(left) ^ set(right)
    differ = [name for name in left if left[name] != right[name]]
    assert not differ, f"{len(differ)} files differ, e.g. {differ[:5]}"
    compared = filecmp.dircmp(a, b)
    assert not compared.diff_files and not compared.left_only and not compared.right_only


class Maintainer:
    """A content folder built step after step with one cache, and each step from scratch too
    (in a folder of its own, where the content has the same relative path: messages and
    outputs name files as the current folder sees them)."""

    def __init__(self, root: Path, content: Path = ROOT / "content") -> None:
        self.root = root
        (root / "warm").mkdir()
        self.content = root / "warm" / "content"
        shutil.copytree(content, self.content)
        self.templates = root / "warm" / "templates"
        self.templates.mkdir()
        self.cache = root / "warm" / "cache"
        self.out = root / "warm" / "site"
        self.steps = 0

    def build_both(self, reset_themes: bool = False) -> tuple[BuildCache, Diagnostics]:
        """The incremental build, then the build from scratch with its seed; asserts they agree."""
        self.steps += 1
        diags = Diagnostics()
        here = Path.cwd()
        try:
            os.chdir(self.root / "warm")
            with BuildCache(Path("cache")) as cache:
                warm = build(
                    Path("content"),
                    Path("site"),
                    templates=Path("templates"),
                    diags=diags,
                    jobs=1,
                    cache=cache,
                    reset_themes=reset_themes,
                )
            cold_root = self.root / "cold"
            shutil.rmtree(cold_root, ignore_errors=True)
            cold_root.mkdir()
            shutil.copytree(self.content, cold_root / "content")
            shutil.copytree(self.templates, cold_root / "templates")
            (cold_root / "content" / "themes.json").unlink(missing_ok=True)
            if cache.seed is not None:
                (cold_root / "content" / "themes.json").write_bytes(cache.seed)
            os.chdir(cold_root)
            cold_diags = Diagnostics()
            cold = build(
                Path("content"),
                Path("site"),
                templates=Path("templates"),
                diags=cold_diags,
                jobs=1,
                reset_themes=reset_themes,
            )
        finally:
            os.chdir(here)
        assert [str(d) for d in diags] == [str(d) for d in cold_diags]
        assert warm.files.keys() == cold.files.keys()
        assert_same_tree(self.out, cold_root / "site")
        return cache, diags


def _edit_abstract(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    # The longest line of a dump is an abstract.
    longest = max(range(len(lines)), key=lambda i: len(lines[i]))
    lines[longest] = lines[longest] + " We also release a cached incremental variant."
    path.write_text("\n".join(lines), encoding="utf-8")


def test_a_sequence_of_incremental_builds_equals_builds_from_scratch(tmp_path, monkeypatch):
    site = Maintainer(tmp_path)
    dumps = sorted((site.content / "dumps").glob("*.txt"))
    held_back = tmp_path / "held"
    held_back.mkdir()
    shutil.move(dumps[-1], held_back / dumps[-1].name)

    # 1. First build: no cache yet; the themes come from content/themes.json.
    cache, _ = site.build_both()
    assert cache.seed == (ROOT / "content" / "themes.json").read_bytes()
    assert cache.hits == {} and cache.misses["dumps"] == 3
    # 2. The same content again: everything from the cache, themes carried.
    cache, _ = site.build_both()
    assert cache.misses == {} and cache.hits["dumps"] == 3
    assert cache.seed == (site.out / "data" / "themes.json").read_bytes()
    # 3. A dump added.
    shutil.move(held_back / dumps[-1].name, dumps[-1])
    cache, _ = site.build_both()
    assert cache.hits["dumps"] == 3 and cache.misses["dumps"] == 1
    # 4. A dump edited.
    _edit_abstract(dumps[0])
    cache, _ = site.build_both()
    assert cache.hits["dumps"] == 3 and cache.misses["dumps"] == 1
    # 5. A dump deleted.
    dumps[1].unlink()
    cache, _ = site.build_both()
    assert cache.misses.get("dumps", 0) == 0
    # 6. site.yaml changed (the title shows on every page; default_year is a key of each dump).
    config = site.content / "site.yaml"
    # (the sample's site.yaml names the dump deleted above; the warning is the same both ways)
    config.write_text(
        config.read_text(encoding="utf-8").replace("title:", "title: Cached", 1) + "\ndefault_year: 2024\n",
        encoding="utf-8",
    )
    cache, _ = site.build_both()
    assert cache.misses["dumps"] == 3
    # 7. A template changed (the user's override of a built-in one).
    (site.templates / "page.html").write_text(
        '{% extends "default/page.html" %}{% block content %}<p class="x">edited</p>{{ super() }}'
        "{% endblock %}",
        encoding="utf-8",
    )
    site.build_both()
    # 8. A new version of sitegen: nothing computed by the old one is used.
    monkeypatch.setattr(sitegen, "__version__", "99.0.0")
    cache, _ = site.build_both()
    assert any("written by sitegen 0." in note for note in cache.notes)
    assert cache.hits == {}
    # ... but the themes it carried are still the seed (they are content, not a computation).
    assert cache.seed is not None
    # 9. A damaged cache: every entry truncated or altered, and the carried themes too.
    entries = sorted(p for p in site.cache.rglob("*") if p.is_file() and p.suffix in (".json", ".npz"))
    entries = [p for p in entries if p.parent != site.cache]
    assert entries
    for n, path in enumerate(entries):
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2] if n % 2 else data.replace(b"2025", b"2026", 1) + b" ")
    state = site.cache / "themes.json"
    state.write_bytes(state.read_bytes()[:-10])
    cache, _ = site.build_both()
    assert any("checksum does not match" in note for note in cache.notes)
    assert any("carried themes are unreadable" in note for note in cache.notes)
    assert cache.hits == {}
    # Without a carried state the seed is content/themes.json again.
    assert cache.seed == (site.content / "themes.json").read_bytes()
    # 10. The next build uses the cache the damaged one was replaced with.
    cache, _ = site.build_both()
    assert cache.notes == [] and cache.misses == {}


def test_themes_reset_on_purpose_and_content_themes_json_wins_when_it_changed(tmp_path):
    site = Maintainer(tmp_path)
    cache, _ = site.build_both()
    first = (site.out / "data" / "themes.json").read_bytes()
    # Reset: the themes are chosen afresh, as with no seed at all, neither carried nor
    # content/themes.json. The carried record still says who had which permalink (#17), so it
    # is still the seed a build from scratch is given (with --reset-themes too).
    cache, _ = site.build_both(reset_themes=True)
    assert cache.seed == first
    reset = (site.out / "data" / "themes.json").read_bytes()
    fresh = tmp_path / "fresh"
    shutil.copytree(site.content, fresh / "content")
    (fresh / "content" / "themes.json").unlink()
    build(fresh / "content", fresh / "site", templates=site.templates, diags=Diagnostics(), jobs=1)
    # (On the sample the stored themes are those a fresh build finds: the two agree byte for byte.)
    assert reset == (fresh / "site" / "data" / "themes.json").read_bytes()
    # Then the reset themes are carried, though content/themes.json is still there, unchanged.
    cache, _ = site.build_both()
    assert cache.seed == reset
    # A content/themes.json edited since (here: the first build's themes) is the user's choice.
    (site.content / "themes.json").write_bytes(first)
    cache, _ = site.build_both()
    assert cache.seed == first
    # Removed: the themes are chosen afresh, as the README has always said.
    (site.content / "themes.json").unlink()
    cache, _ = site.build_both()
    assert cache.seed is None


def test_the_cache_is_json_and_arrays_behind_checksums_never_pickle(tmp_path, monkeypatch):
    site = Maintainer(tmp_path)
    site.build_both()
    kinds = {p.relative_to(site.cache).parts[0] for p in site.cache.rglob("*") if p.is_file()}
    assert {"dumps", "analysis", "themes.json", "themes.meta.json", "cache.json", "CACHEDIR.TAG"} <= kinds
    for path in site.cache.rglob("*.json"):
        if path.name == "themes.json":  # the carried themes: data/themes.json as it was written
            assert path.read_bytes() == (site.out / "data" / "themes.json").read_bytes()
            continue
        header, _, body = path.read_bytes().partition(b"\n")
        assert header.startswith(b"sitegen-cache 1 ")
        json.loads(body)
    for path in site.cache.rglob("*.npz"):
        header, _, body = path.read_bytes().partition(b"\n")
        assert header.startswith(b"sitegen-cache 1 ") and body[:2] == b"PK"
    # An entry that is valid JSON behind a valid checksum but not a parsed dump is refused too.
    entry = next(site.cache.glob("dumps/*/*.json"))
    body = json.dumps({"dump": {"path": 1}, "diagnostics": []}).encode()
    entry.write_bytes(cache_module._wrap(body))
    monkeypatch.chdir(site.root / "warm")
    with BuildCache(Path("cache")) as cache:
        build(Path("content"), None, templates=Path("templates"), jobs=1, cache=cache)
    assert any("not a parsed dump" in note for note in cache.notes)


def test_the_cache_folder_is_only_one_sitegen_made(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(sitegen.errors.SitegenError, match="is not a sitegen cache"):
        BuildCache(folder).open()
    assert (folder / "mine.txt").read_text(encoding="utf-8") == "keep me"


def _sitegen(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sitegen", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_command_line_cache_default_no_cache_and_strict_with_a_damaged_cache(tmp_path):
    shutil.copytree(ROOT / "content", tmp_path / "content")
    done = _sitegen("build", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    cache = tmp_path / ".sitegen-cache"
    assert (cache / "CACHEDIR.TAG").is_file() and (cache / "themes.json").is_file()
    first = _tree(tmp_path / "_site")
    # A damaged cache is a note, not a warning: --strict still builds, the same site.
    for path in (cache / "dumps").rglob("*.json"):
        path.write_bytes(path.read_bytes()[:-5])
    done = _sitegen("build", "--strict", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "warning: cache: " in done.stderr and "checksum does not match" in done.stderr
    assert _tree(tmp_path / "_site") == first
    # --no-cache neither reads nor writes it.
    shutil.rmtree(cache)
    done = _sitegen("build", "--no-cache", "--out", "fresh", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not cache.exists()
    # --cache DIR; --reset-themes chooses afresh.
    done = _sitegen("build", "--cache", "elsewhere", "--reset-themes", "--out", "reset", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "elsewhere" / "CACHEDIR.TAG").is_file()
    done = _sitegen("build", "--help", cwd=tmp_path)
    assert "--cache DIR" in done.stdout and "--no-cache" in done.stdout and "--reset-themes" in done.stdout


def test_a_cache_in_use_is_left_alone(tmp_path):
    site = Maintainer(tmp_path)
    with BuildCache(site.cache) as holder:
        assert holder.enabled
        with BuildCache(site.cache) as other:
            assert not other.enabled
            build(site.content, None, templates=site.templates, jobs=1, cache=other)
        assert any("in use by another build" in note for note in other.notes)


def test_unchanged_files_are_hard_links_to_the_previous_site(tmp_path, monkeypatch):
    """The cache records what it wrote (hash, size, mtime, inode), so that an unchanged file is
    linked without reading the previous site back."""
    shutil.copytree(ROOT / "content", tmp_path / "content")
    monkeypatch.chdir(tmp_path)

    def build_cached() -> BuildResult:
        with BuildCache(Path("cache")) as cache:
            return build(Path("content"), Path("_site"), jobs=1, cache=cache)

    first = build_cached()
    before = {name: os.stat(tmp_path / "_site" / name) for name in first.files}
    (tmp_path / "content" / "pages" / "about.md").write_text(
        "---\ntitle: About\n---\nA new about page.\n", encoding="utf-8"
    )
    second = build_cached()
    after = {name: os.stat(tmp_path / "_site" / name) for name in second.files}
    linked = {name for name in after if name in before and after[name].st_ino == before[name].st_ino}
    changed = {name for name in second.files if first.files.get(name) != second.files[name]}
    assert changed and linked
    # Exactly the unchanged files are links; every file holds the bytes of this build.
    assert linked == {name for name in second.files if name in first.files and name not in changed}
    assert _tree(tmp_path / "_site") == {**second.files, ".sitegen": _tree(tmp_path / "_site")[".sitegen"]}
    # A symlink planted in the previous site is never linked into the next one.
    target = tmp_path / "_site" / "robots.txt"
    data = target.read_bytes()
    target.unlink()
    (tmp_path / "elsewhere.txt").write_bytes(data)
    target.symlink_to(tmp_path / "elsewhere.txt")
    build_cached()
    assert not (tmp_path / "_site" / "robots.txt").is_symlink()
    assert (tmp_path / "_site" / "robots.txt").read_bytes() == data
    # A file edited in the site since (same size, other bytes) is not the one recorded: written.
    page = tmp_path / "_site" / "index.html"
    original = page.read_bytes()
    page.write_bytes(original.replace(b"<html", b"<HTML", 1))
    build_cached()
    assert page.read_bytes() == original
    # Without a cache nothing is compared: every file is written anew.
    inodes = {name: os.stat(tmp_path / "_site" / name).st_ino for name in second.files}
    build(Path("content"), Path("_site"), jobs=1, cache=None)
    assert all(os.stat(tmp_path / "_site" / name).st_ino != inodes[name] for name in second.files)


def test_paper_pages_rendered_from_the_same_data_are_read_back(tmp_path, monkeypatch):
    """A paper page whose data (``reuse.paper_view``) did not change is read back from the site,
    not rendered; one whose abstract changed is rendered; a page altered in the site is rendered
    again; with a template of the user's nothing is read back. The sequence test above checks the bytes against builds from scratch."""
    shutil.copytree(ROOT / "content", tmp_path / "content")
    (tmp_path / "templates").mkdir()
    monkeypatch.chdir(tmp_path)

    def build_cached() -> BuildResult:
        with BuildCache(Path("cache")) as cache:
            return build(Path("content"), Path("_site"), templates=Path("templates"), jobs=1, cache=cache)

    first = build_cached()
    assert first.reused == [] and first.reusable > len(first.site.papers)  # nothing to read back yet
    second = build_cached()
    assert len(second.reused) == second.reusable == first.reusable
    # Kept where they are: neither read nor written (nor sent from the workers); the build's
    # files read them when asked for, checked against the record.
    held = second.files.entries()
    assert all(type(held[name]) is Kept for name in second.reused)
    some = second.reused[0]
    assert second.files[some] == (tmp_path / "_site" / some).read_bytes() == first.files[some]
    dump = sorted((tmp_path / "content" / "dumps").glob("*.txt"))[0]
    _edit_abstract(dump)
    edited = build_cached()
    changed = [p for p in edited.site.papers if "cached incremental variant" in p.abstract]
    assert len(changed) == 1
    paper = changed[0]
    # The pages whose data changed are rendered: the edited paper's; those whose related papers
    # changed with the term statistics; the listings whose cards show its abstract.
    before = {p.url: paper_view(p) for p in second.site.papers}
    shows_change = {p.url + "index.html" for p in edited.site.papers if before.get(p.url) != paper_view(p)}
    assert paper.url + "index.html" in shows_change and len(shows_change) < len(edited.site.papers) / 4
    listings = [paper.theme.url] if paper.theme else []
    listings += [o.url for o in edited.site.organizations if paper in o.papers]
    if paper.theme is None:
        # The page of papers of no theme lists them in the site's order, and a card shows the
        # start of an abstract only (``reuse.CARD_ABSTRACT``; the edit is at its end): kept.
        assert len(paper.abstract) > CARD_ABSTRACT and OTHER_URL + "index.html" in edited.reused
    rendered = set(first.files) - set(edited.reused)
    assert shows_change <= rendered
    assert all(any(name.startswith(url) for name in rendered) for url in listings)
    assert len(edited.reused) > edited.reusable / 2
    page = tmp_path / "_site" / paper.url / "index.html"
    assert b"cached incremental variant" in page.read_bytes()
    # Altered in the site (same size): no longer the file recorded, so rendered and written again.
    other = next(p for p in edited.site.papers if p.url + "index.html" not in shows_change)
    target = tmp_path / "_site" / other.url / "index.html"
    original = target.read_bytes()
    target.write_bytes(original.replace(b"<html", b"<HTML", 1))
    again = build_cached()
    assert other.url + "index.html" not in again.reused
    assert len(again.reused) == again.reusable - 1
    assert target.read_bytes() == original
    # A template of the user's could show anything: every page is rendered.
    (tmp_path / "templates" / "paper.html").write_text('{% extends "default/paper.html" %}', encoding="utf-8")
    assert build_cached().reused == []


def test_the_term_analysis_put_together_from_the_cache_is_the_analysis_of_all(tmp_path):
    """Rows of texts analyzed by an earlier build, plus the new texts analyzed alone, make exactly
    the analysis of all the texts: same terms, same counts, same spellings (texts reordered,
    removed, added, with terms the old ones lack)."""
    from sitegen.themes.terms import analyze_texts

    old = [
        "Preference optimization aligns language models.",
        "Speech synthesis with diffusion models.",
        "Reinforcement learning from human feedback, at scale.",
        "Graph neural networks for protein folding.",
    ]
    new = [
        old[2],
        "Zero-shot speech synthesis: a Diffusion model.",
        old[0],
        "Aardvark tokens, bees and zebras.",
    ]
    with BuildCache(tmp_path / "cache") as cache:
        cache_module.analyzer(cache)(old)
    with BuildCache(tmp_path / "cache") as cache:
        put_together = cache_module.analyzer(cache)(new)
        assert cache.hits.get("analysis") == 1
    expected = analyze_texts(new)
    assert put_together.terms == expected.terms and put_together.spellings == expected.spellings
    for name in ("counts", "forms"):
        got, want = getattr(put_together, name), getattr(expected, name)
        assert got.shape == want.shape and (got != want).nnz == 0 and got.has_sorted_indices
        assert (got.indptr == want.indptr).all() and (got.indices == want.indices).all()


def test_a_theme_feed_key_changes_with_what_its_items_show(sample_build):
    """The key a theme's feed is read back by (``PageReuse.feed_key``) changes with anything an
    item shows: its card's data, its arXiv id (the Hugging Face link), its editions' dates."""
    import dataclasses

    from sitegen.feeds import edition_ranks, theme_feed
    from sitegen.reuse import PageReuse

    site = sample_build[0].site
    theme = site.themes[0]
    items = theme.papers[:5]
    reuse = PageReuse(Path("."), {}, {}, {}, "salt")
    channel = {"title": "t", "description": "d", "page": theme.url, "when": None}
    ranks = edition_ranks(site)

    def key() -> str:
        reuse._cards.clear()
        return reuse.feed_key(theme_feed(theme), channel, items, ranks, None)

    before = key()
    assert key() == before
    paper = items[2]
    for field, value in (
        ("arxiv_id", "2501.00001"),
        ("abstract", paper.abstract + " More."),
        ("authors", 99),
    ):
        saved = getattr(paper, field)
        setattr(paper, field, value)
        try:
            assert key() != before, field
        finally:
            setattr(paper, field, saved)
    assert key() == before
    saved_editions = paper.editions
    paper.editions = [dataclasses.replace(saved_editions[0], date=None), *saved_editions[1:]]
    try:
        assert key() != before
    finally:
        paper.editions = saved_editions


def _read_back(folder: Path, store_of: Any, *value: Any) -> Any:
    """``value`` put in the store ``store_of`` makes of a cache, then read by the same store of
    the next build's view of that cache (not None)."""
    with BuildCache(folder) as cache:
        store_of(cache).put(*value)
    with BuildCache(folder) as cache:
        back = store_of(cache).get()
    assert back is not None
    return back


def _refuses(folder: Path, store_of: Any, kind: str, arrays: dict[str, np.ndarray], why: str) -> None:
    """Arrays behind a valid checksum in the store's entry, not of the shape it writes: the store
    refuses them (a miss) and a cache note says ``why``."""
    with BuildCache(folder) as cache:
        store = store_of(cache)
        cache.put_arrays(kind, store.key, arrays)
        assert store.get() is None
    assert any(why in note for note in cache.notes)


def test_the_related_papers_kept_for_the_next_build_read_back_as_written(tmp_path):
    rng = np.random.default_rng(0)
    n, k = 7, 3
    neighbours = Neighbours(
        # keys ending in zero bytes too (a numpy bytes value would drop them)
        [bytes(rng.integers(0, 256, 15, dtype=np.uint8)) + b"\0" for _ in range(n)],
        rng.integers(0, 2, n),
        np.array([[1, 2, -1], [0, 2, 3], [0, 1, 3], [1, 2, 0], [5, 6, -1], [4, 6, -1], [4, 5, -1]]),
        rng.random((n, k)),
        "f" * 64,
        k,
    )
    back = _read_back(tmp_path / "cache", NeighbourStore, neighbours)
    assert back.keys == neighbours.keys and back.rows == neighbours.rows and back.k == k
    for name in ("areas", "indices", "scores"):
        assert np.array_equal(getattr(back, name), getattr(neighbours, name))
    # Arrays behind a valid checksum that are not a build's related papers: refused, said.
    _refuses(
        tmp_path / "cache",
        NeighbourStore,
        "neighbours",
        {"shape": np.array([n, k]), "keys": np.zeros(2)},
        "not the related papers of a build",
    )


def test_the_vectors_kept_for_the_next_build_read_back_as_written(tmp_path):
    from scipy import sparse

    rng = np.random.default_rng(1)
    n, features = 6, 5
    tfidf = sparse.csr_matrix(rng.random((n, features)) * (rng.random((n, features)) < 0.5))
    vectors = Vectors(
        [bytes(rng.integers(0, 256, 16, dtype=np.uint8)) for _ in range(n)],
        np.array([True, True, False, True, True, True]),
        tfidf,
        ["alpha", "beta", "gamma", "delta phrase", "épsilon"],
        rng.random(features) + 1,
        rng.random((n, 3)),
        "b" * 64,
    )
    back = _read_back(tmp_path / "cache", VectorStore, vectors)
    assert (back.keys, back.terms, back.basis) == (vectors.keys, vectors.terms, vectors.basis)
    assert np.array_equal(back.fitted, vectors.fitted) and np.array_equal(back.idf, vectors.idf)
    assert np.array_equal(back.embedding, vectors.embedding)
    assert np.array_equal(back.tfidf.indptr, tfidf.indptr) and np.array_equal(
        back.tfidf.indices, tfidf.indices
    )
    assert np.array_equal(back.tfidf.data, tfidf.data)
    _refuses(
        tmp_path / "cache",
        VectorStore,
        "vectors",
        {"shape": np.array([n, features, 3]), "keys": np.zeros(n)},
        "not the vectors of a build",
    )


def test_the_search_term_counts_kept_for_the_next_build_read_back_as_written(tmp_path, sample_build):
    from sitegen import search

    result, _ = sample_build
    ordered = search.search_order(result.site.papers)
    counts = search.index_scores([search.document(p, n) for n, p in enumerate(ordered)]).counts
    digests = search.field_digests(ordered)
    back = _read_back(tmp_path / "cache", CountStore, digests, counts)
    assert back[0] == digests
    kept = back[1]
    assert (kept.fields, kept.refs, kept.terms, kept.tokens) == (
        counts.fields,
        counts.refs,
        counts.terms,
        counts.tokens,
    )
    assert np.array_equal(kept.token_docs, counts.token_docs)
    assert (kept.tf != counts.tf).nnz == 0 and kept.tf.dtype == np.float64
    _refuses(
        tmp_path / "cache",
        CountStore,
        "counts",
        {"shape": np.array([1, 1, 1, 4]), "digests": np.zeros(3)},
        "not the term counts of a search index",
    )


def test_a_cards_key_holds_all_the_card_shows_of_the_abstract(sample_build):
    """``card_view`` keeps the first ``CARD_ABSTRACT`` characters of the abstract: papers whose
    abstracts differ only after them have the same card; any change before them shows."""
    from sitegen.reuse import CARD_ABSTRACT, card_view

    result, _ = sample_build
    r = Renderer(result.config, result.site, [])
    macros = r.env.get_template("_macros.html").module
    paper = next(p for p in result.site.papers if len(p.abstract) > CARD_ABSTRACT + 40)
    original = paper.abstract

    def card(abstract: str) -> tuple[str, list]:
        paper.abstract = abstract
        try:
            return str(macros.card(paper, "../")), card_view(paper)
        finally:
            paper.abstract = original

    base = card(original)
    # Whatever a character is changed to, or the abstract cut to: the same key, the same card.
    for at in range(0, len(original), 3):
        for changed in (original[:at] + "Z" + original[at + 1 :], original[:at]):
            html, view = card(changed)
            assert (view == base[1]) == (at >= CARD_ABSTRACT), at
            if view == base[1]:
                assert html == base[0], at
    # At 260 characters there is no "more" link, at 261 there is: both keys and cards differ.
    short, longer = card(original[:260]), card(original[:261])
    assert short[0] != longer[0] and short[1] != longer[1]
