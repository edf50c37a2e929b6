"""Themes: clustering, labels, related papers, stored themes, pages (sitegen/themes.py)."""

from __future__ import annotations

import inspect
import json
import re
import shutil
from html import escape
from pathlib import Path

import numpy as np
import pytest
from conftest import CONTENT, serve
from sklearn.metrics import adjusted_rand_score

from sitegen.build import build, gather
from sitegen.errors import Diagnostics
from sitegen.models import Paper, Site
from sitegen.render import paginate
from sitegen.themes import (
    STOP_WORDS,
    ThemeModel,
    analyze,
    assign_themes,
    carry,
    class_terms,
    document,
    singular,
)
from sitegen.themes import stage as theme_stage
from sitegen.themes.labels import theme_terms
from sitegen.themes.rehome import label_keys
from sitegen.themes.terms import analyze_all

DUMPS = sorted((CONTENT / "dumps").glob("*.txt"))


def _json(out: Path, name: str):
    return json.loads((out / "data" / name).read_text(encoding="utf-8"))


def _content(tmp_path: Path, dumps: list[Path], site_yaml: str | None = None) -> Path:
    """A copy of the sample content with only ``dumps``."""
    content = tmp_path / "content"
    (content / "dumps").mkdir(parents=True)
    shutil.copy(CONTENT / "site.yaml", content / "site.yaml")
    if site_yaml is not None:
        (content / "site.yaml").write_text(site_yaml, encoding="utf-8")
    for dump in dumps:
        shutil.copy(dump, content / "dumps" / dump.name)
    return content


def _groups(site: Site) -> dict:
    """Every group the clustering made, by slug: the themes and the groups of papers of no theme."""
    return {t.slug: t for t in [*site.themes, *site.leftover]}


def _group_of(site: Site) -> dict[str, str]:
    """Each paper's group's slug: its theme's, or its group's among the papers of no theme."""
    return {p.id: slug for slug, t in _groups(site).items() for p in t.papers}


def _words(term: str) -> list[str]:
    return [w for w in re.split(r"[\s-]+", term.lower()) if w]


# -- on the sample content -------------------------------------------------------------------


def test_every_paper_has_exactly_one_theme_or_is_of_no_theme(sample_build):
    """Every paper is in one group of ``themes.json``: a theme, or a group of papers whose titles
    share no subject (``"subject": false``, no name), whose papers are of no theme."""
    result, out = sample_build
    papers, themes = _json(out, "papers.json"), _json(out, "themes.json")
    members = [pid for t in themes for pid in t["papers"]]
    assert len(members) == len(set(members)) == len(papers) == 270
    assert set(members) == {p["id"] for p in papers}
    owner = {pid: t["slug"] if t.get("subject", True) else None for t in themes for pid in t["papers"]}
    for paper in papers:
        assert paper["theme"] == owner[paper["id"]]
    leftover = [t for t in themes if t.get("subject") is False]
    assert [t["slug"] for t in leftover] == [t.slug for t in result.site.leftover]
    assert all(t["label"] == "" and t["terms"] == [] for t in leftover)
    # The sample's papers left over between subjects (calibration, regret bounds, hyperparameters,
    # score estimation: the theme the issue calls a grab-bag) are no theme; they are few.
    assert 0 < len(result.site.unthemed) <= 0.15 * len(papers)
    for paper in result.site.papers:
        if paper.theme is None:
            assert any(paper in t.papers for t in result.site.leftover)
        else:
            assert paper.theme.subject and paper in paper.theme.papers


def test_papers_of_no_theme_carry_no_themes_name(sample_build, monkeypatch):
    """A paper of a group of no subject joins a theme whose name it carries (a term of its label)
    where that theme is the one it is likest to, or where its title carries it, or a phrase of it
    (``rehome.py``): no paper of no theme has a word of a theme's name in its title, or a phrase
    of one anywhere. The theme's most typical papers, which lead its page, stay its own."""
    result, _ = sample_build
    names_of = {key for t in result.site.themes for key in label_keys(t.terms)}
    assert result.site.unthemed
    phrases = {key for key in names_of if " " in key}
    for paper in result.site.unthemed:
        assert not set(analyze(paper.title)) & names_of, paper.title
        assert not set(analyze(document(paper))) & phrases, paper.title
    # Themes chosen afresh, with and without rehoming: the sample's general papers on language
    # models (the theme the readers called a grab-bag) are of no theme; those that carry a
    # theme's name join it, and rehoming takes no other paper from its theme.
    _, site = gather(CONTENT, Diagnostics())
    with monkeypatch.context() as patch:
        patch.setattr(theme_stage, "rehome", lambda x, e, columns, labels, *rest: labels)
        assign_themes(site)
    before = {p.id for p in site.unthemed}
    assign_themes(site)
    joined = [p for p in site.papers if p.id in before and p.theme is not None]
    assert joined and site.unthemed, (len(before), len(site.unthemed))
    assert {p.id for p in site.unthemed} == before - {p.id for p in joined}
    for paper in joined:
        assert set(analyze(document(paper))) & set(label_keys(paper.theme.terms)), paper.title
        assert paper.theme.papers.index(paper) >= 5, (paper.theme.label, paper.title)


def test_theme_count_is_chosen_from_the_data(sample_build):
    result, _ = sample_build
    themes = result.site.themes
    # The candidate range for 270 papers is 0.6*sqrt(270)..sqrt(270) = 10..16.
    assert 10 <= len(themes) <= 16
    assert [len(t.papers) for t in themes] == sorted((len(t.papers) for t in themes), reverse=True)
    assert min(len(t.papers) for t in themes) >= 3


def test_labels_are_distinct_and_free_of_stop_words(sample_build):
    _, out = sample_build
    records = _json(out, "themes.json")
    assert len({t["slug"] for t in records}) == len(records)
    # The groups of papers of no theme are stored unnamed, under slugs of their own.
    themes = [t for t in records if t.get("subject", True)]
    for group in records[len(themes) :]:
        assert group["subject"] is False and group["label"] == "" and group["terms"] == [], group
        assert re.fullmatch(r"other(-[0-9]+)?", group["slug"]), group["slug"]
    labels = [t["label"] for t in themes]
    assert len(labels) == len(set(labels))
    for theme in themes:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", theme["slug"]), theme["slug"]
        terms = theme["label"].split(" · ")
        assert 2 <= len(terms) <= 3, theme["label"]
        assert terms == theme["terms"][: len(terms)]
        for term in theme["terms"]:
            for word in _words(term):
                assert word not in STOP_WORDS and singular(word) not in STOP_WORDS, (theme["label"], term)
        # No term repeats a word of another ("reward" and "reward model").
        seen = [singular(w) for term in terms for w in _words(term)]
        assert len(seen) == len(set(seen)), theme["label"]


def test_labels_name_what_the_papers_are_about(sample_build):
    """Coherence, as a reader checks it: a theme's name is found in its papers. The most typical
    papers (listed first) have one of its first two terms in their title or abstract, and most of
    its papers have one of its terms."""
    result, _ = sample_build
    for theme in result.site.themes:
        keys = [max(analyze(term), key=len) for term in theme.label.split(" · ")]
        found = [set(keys) & set(analyze(document(p))) for p in theme.papers]
        top = [bool(set(keys[:2]) & f) for f in found[:3]]
        assert sum(top) >= 2, (theme.label, [p.title for p in theme.papers[:3]])
        assert sum(map(bool, found)) >= 0.7 * len(found), theme.label


def test_related_papers_exclude_the_paper_itself(sample_build):
    result, out = sample_build
    for paper in result.site.papers:
        assert len(paper.related) == 5
        assert paper not in paper.related
        assert len({p.id for p in paper.related}) == 5
    # And they are on the page.
    paper = result.site.papers[0]
    html = (out / paper.url / "index.html").read_text(encoding="utf-8")
    section = html.split('id="related-heading"', 1)[1]
    for other in paper.related:
        assert f'href="../../{other.url}"' in section
    assert f'href="../../{paper.url}"' not in section


def test_related_papers_are_similar(sample_build):
    result, _ = sample_build
    # Related is by text similarity, like the themes: the nearest paper shares the theme far more
    # often than a paper drawn at random does (about half the time, against under a tenth; the
    # sample is nearly all language-model papers, so themes border on each other).
    papers = result.site.papers
    same = sum(p.related[0].theme is p.theme for p in papers) / len(papers)
    chance = sum((len(t.papers) / len(papers)) ** 2 for t in result.site.themes)
    assert same > 0.4 and same > 4 * chance, (same, chance)


def test_two_builds_give_the_same_themes(sample_build, tmp_path):
    result, out = sample_build
    again = build(CONTENT, tmp_path / "site", diags=Diagnostics())
    assert [(t.slug, t.label, t.terms, [p.id for p in t.papers]) for t in again.site.themes] == [
        (t.slug, t.label, t.terms, [p.id for p in t.papers]) for t in result.site.themes
    ]
    for name in ["data/themes.json", "data/papers.json", "themes/index.html"]:
        assert (tmp_path / "site" / name).read_bytes() == (out / name).read_bytes(), name
    for theme in result.site.themes:
        name = theme.url + "index.html"
        assert (tmp_path / "site" / name).read_bytes() == (out / name).read_bytes(), name
    assert [[p.id for p in t.papers] for t in again.site.leftover] == [
        [p.id for p in t.papers] for t in result.site.leftover
    ]
    name = "themes/other/index.html"
    assert (tmp_path / "site" / name).read_bytes() == (out / name).read_bytes()


def test_pages(sample_build):
    result, out = sample_build
    index = (out / "themes" / "index.html").read_text(encoding="utf-8")
    for theme in result.site.themes:
        assert f'href="../{theme.url}"' in index
        # Each term is on the page once: in the name, or after the size as "also" (a name that
        # shows two terms of five leaves three, not two).
        shown = theme.label.split(" · ")
        more = [t for t in theme.terms if t not in shown]
        assert more == theme.more_terms
        card = index[index.index(f'href="../{theme.url}"') :].split("</li>", 1)[0]
        assert (f"also: {escape(', '.join(more))}</p>" in card) == bool(more), card
        # Every paper is on one of the theme's pages (50 to a page: ``themes/<slug>/page/2/``...).
        for listing in paginate(theme.url, theme.papers):
            page = (out / listing.url / "index.html").read_text(encoding="utf-8")
            up = "../" * listing.url.count("/")
            for paper in listing.items:
                assert f'href="{up}{paper.url}"' in page
    paper = next(p for p in result.site.papers if p.theme is not None)
    html = (out / paper.url / "index.html").read_text(encoding="utf-8")
    assert f'class="theme-chip" href="../../{paper.theme.url}"' in html
    edition = result.site.editions[0]
    html = (out / edition.url / "index.html").read_text(encoding="utf-8")
    for paper in edition.papers:
        if paper.theme is not None:
            assert f'id="theme-{paper.theme.slug}"' in html
    # The papers of no theme: linked from the themes page, listed on their own, no theme chip.
    unthemed = result.site.unthemed
    assert f'href="../themes/other/">{len(unthemed)} papers of no theme</a>' in index
    page = (out / "themes" / "other" / "index.html").read_text(encoding="utf-8")
    for paper in unthemed:
        assert f'href="../../{paper.url}"' in page
        html = (out / paper.url / "index.html").read_text(encoding="utf-8")
        assert "theme-chip" not in html
    assert not any(t.slug == "other" for t in result.site.themes)
    assert 'href="themes/"' in (out / "index.html").read_text(encoding="utf-8")


# -- configuration and stored themes ---------------------------------------------------------


def test_config_overrides_the_theme_count(tmp_path):
    yaml = (CONTENT / "site.yaml").read_text(encoding="utf-8") + "\nthemes: 6\n"
    _, site = gather(_content(tmp_path, DUMPS, yaml), Diagnostics())
    # Six themes: a count the maintainer sets leaves no paper without a theme.
    assert len(site.themes) == 6 and site.leftover == []
    assert all(p.theme is not None for p in site.papers)


def test_stored_themes_keep_old_papers_in_place(tmp_path):
    """The README's workflow: build, keep data/themes.json as content/themes.json, add a dump."""
    content = _content(tmp_path, DUMPS[:-1])
    before = build(content, tmp_path / "before", diags=Diagnostics())
    shutil.copy(tmp_path / "before" / "data" / "themes.json", content / "themes.json")
    shutil.copy(DUMPS[-1], content / "dumps" / DUMPS[-1].name)
    after = build(content, tmp_path / "after", diags=Diagnostics())
    old, new = _group_of(before.site), _group_of(after.site)
    assert len(new) > len(old) == len(before.site.papers)
    ids = sorted(old)
    assert adjusted_rand_score([old[i] for i in ids], [new[i] for i in ids]) >= 0.8
    kept = {t.slug for t in before.site.themes} & {t.slug for t in after.site.themes}
    assert len(kept) >= 0.8 * len(before.site.themes)


def test_seeding_a_build_with_its_own_themes_changes_nothing(tmp_path):
    content = _content(tmp_path, DUMPS)
    build(content, tmp_path / "one", diags=Diagnostics())
    shutil.copy(tmp_path / "one" / "data" / "themes.json", content / "themes.json")
    build(content, tmp_path / "two", diags=Diagnostics())
    assert (tmp_path / "one" / "data" / "themes.json").read_bytes() == (
        tmp_path / "two" / "data" / "themes.json"
    ).read_bytes()


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        '{"slug": "x"}',
        '[{"slug": "x", "label": "y", "papers": [1]}]',
        '[{"slug": "x", "label": "y", "papers": [], "area": 100000000000000000000}]',
        '[{"slug": "x", "label": "", "papers": [], "subject": 0}]',
    ],
)
def test_unreadable_stored_themes_are_reported_and_ignored(tmp_path, text):
    content = _content(tmp_path, DUMPS[:1])
    (content / "themes.json").write_text(text, encoding="utf-8")
    diags = Diagnostics()
    _, site = gather(content, diags)
    assert any("themes.json" in str(d) and "chosen afresh" in str(d) for d in diags)
    assert all(p.theme is not None or any(p in t.papers for t in site.leftover) for p in site.papers)


# -- the estimator on its own ----------------------------------------------------------------

PROTEINS = [
    "Protein folding structure prediction with graph networks",
    "Protein structure design with diffusion over residues",
    "Predicting protein binding affinity from folding structure",
    "Residue contact maps improve protein folding",
    "Protein language embeddings for structure and binding",
]
SPEECH = [
    "Speech recognition for low-resource accents with audio augmentation",
    "Streaming speech synthesis with neural audio codecs",
    "Audio tokenizers for speech recognition and synthesis",
    "Accent robust speech recognition from noisy audio",
    "Speech synthesis prosody control with audio prompts",
]


def test_model_separates_two_obvious_subjects():
    docs = [f"{t}. A neural approach." for t in PROTEINS + SPEECH]
    model = ThemeModel(n_themes=2).fit(docs)
    assert sorted(model.labels_[:5].tolist()) == [model.labels_[0]] * 5
    assert sorted(model.labels_[5:].tolist()) == [model.labels_[5]] * 5
    assert model.labels_[0] != model.labels_[5]
    protein, speech = model.terms_[model.labels_[0]], model.terms_[model.labels_[5]]
    assert "protein" in " ".join(protein).lower() and "speech" in " ".join(speech).lower()
    # c-TF-IDF: a word both groups use ("neural") says nothing about either.
    assert not any("neural" in t for t in protein + speech)
    for i, row in enumerate(model.related_):
        assert i not in row.tolist() and len(row) == 5


def test_model_follows_scikit_learn_conventions():
    # __init__ stores its parameters as given and does nothing else; fit returns self and sets
    # the learned attributes (ending in "_").
    params = inspect.signature(ThemeModel).parameters
    model = ThemeModel(n_themes=3, random_state=7)
    assert model.__dict__ == {
        name: {"n_themes": 3, "random_state": 7}.get(name, p.default) for name, p in params.items()
    }
    assert model.fit(PROTEINS + SPEECH) is model
    assert model.n_themes_ == 3 and len(model.labels_) == 10
    assert set(model.__dict__) - set(params) == {
        name for name in model.__dict__ if name.endswith("_") and not name.startswith("_")
    }


@pytest.mark.parametrize("titles", [[], ["Only one paper"], ["One", "Two"], ["the of and", "a an"]])
def test_tiny_sites_still_get_themes(titles):
    papers = [Paper(id=f"p{i}", key=t.lower(), title=t, abstract="") for i, t in enumerate(titles)]
    site = Site(papers, [], [], [], [], [], 0, 0)
    assign_themes(site)
    assert all(p.theme is not None and p not in p.related for p in papers)
    assert sum(len(t.papers) for t in site.themes) == len(papers)
    assert len({t.label for t in site.themes}) == len(site.themes)


@pytest.mark.parametrize("n_themes", [None, 6])
def test_fewer_terms_than_themes(n_themes):
    # 30 documents but two terms: NMF can find no more topics than there are terms.
    docs = ["Beta."] * 15 + ["Gamma."] * 15
    model = ThemeModel(n_themes=n_themes).fit(docs)
    assert len(set(model.labels_[:15].tolist())) == len(set(model.labels_[15:].tolist())) == 1
    assert model.n_themes_ <= 2


# -- in a browser ----------------------------------------------------------------------------


@pytest.mark.browser
def test_themes_pages_in_chromium(sample_build, page, tmp_path):
    result, out = sample_build
    theme = result.site.themes[0]
    with serve(out, "/digest/") as base:
        page.goto(base)
        page.get_by_role("link", name="Themes", exact=True).click()
        page.wait_for_url(base + "themes/")
        assert page.locator(".theme-card").count() == len(result.site.themes)
        page.screenshot(path=str(tmp_path / "themes.png"), full_page=True)
        page.locator(".theme-card h2 a").first.click()
        page.wait_for_url(base + theme.url)
        assert page.locator("h1").inner_text() == theme.label
        assert page.locator(".card").count() == len(paginate(theme.url, theme.papers)[0].items)
        page.locator(".card-title a").first.click()
        page.wait_for_url(base + theme.papers[0].url)
        assert page.locator(".facts .theme-chip").inner_text() == theme.label
        assert page.locator(".related-list li").count() == 5
        page.locator(".related-list a").first.click()
        page.wait_for_url(base + theme.papers[0].related[0].url)
        # The papers of no theme, from the themes page: listed, and shown with no theme.
        unthemed = result.site.unthemed
        page.goto(base + "themes/")
        page.get_by_role("link", name=f"{len(unthemed)} papers of no theme").click()
        page.wait_for_url(base + "themes/other/")
        assert page.locator("h1").inner_text() == "Papers of no theme"
        assert page.locator(".card").count() == len(unthemed)
        page.locator(".card-title a").first.click()
        page.wait_for_url(base + unthemed[0].url)
        assert page.locator(".facts .theme-chip").count() == 0
        assert page.js_errors == []


# -- names: subject, carried, pinned (issue #15) -----------------------------------------------


def test_label_terms_are_not_spread_or_vague_words(sample_build):
    """No label term is a lone word spread evenly over the themes (learned) or vague alone, and
    no two terms of a label are near-duplicates ("pre-training" and "pretraining")."""
    from sitegen.lunr_stemmer import porter_stem
    from sitegen.themes.labels import VAGUE_WORDS

    result, _ = sample_build
    for theme in result.site.themes:
        terms = theme.label.split(" · ")
        for term in terms:
            if " " not in term and "-" not in term:
                assert singular(term.lower()) not in VAGUE_WORDS, theme.label
        joined = [porter_stem("".join(_words(t))) for t in terms]
        assert len(joined) == len(set(joined)), theme.label


def test_pick_terms_merges_near_duplicates():
    from sitegen.themes import pick_terms

    ranked = [("pretraining", 10), ("pre training", 8), ("retrieval", 6), ("retriever", 5), ("speech", 4)]
    picked = pick_terms(ranked, 3, {"pre": "pre"})
    # One spelling of "pretraining", one of "retrieval"/"retriever", then the next subject.
    assert picked[0] in ("pretraining", "pre training") and picked[1:] == ["retrieval", "speech"]


def test_a_phrase_spelled_two_ways_replaces_no_word_it_is_rarer_than():
    """ "instruction following" and "instruction-following" in 7 papers (mostly the same 7) do not
    take the place of "instruction", in 16: the two spellings are one term, not 14 papers."""
    from sitegen.themes import pick_terms

    ranked = [("instruction", 16), ("instruction following", 7), ("instructionfollowing", 7), ("speech", 4)]
    assert pick_terms(ranked, 2, {"instructionfollowing": "instruction-following"}) == [
        "instruction",
        "speech",
    ]
    # Found in as many papers as the word, nearly, the phrase names the theme better.
    ranked = [("instruction", 8), ("instruction following", 7), ("instructionfollowing", 6), ("speech", 4)]
    assert pick_terms(ranked, 2, {}) == ["instruction following", "speech"]


def test_a_term_cut_from_a_longer_one_is_no_label_term():
    """ "pre-trained language" of "pre-trained language models" and "resource language" of
    "low-resource language" read cut off; "preference optimization" of "direct preference
    optimization" (a kind of it, a space apart) and "natural language" followed by several
    words are whole, and so is a word followed by another (a modifier is ``modifier``'s)."""
    from sitegen.themes.labels import fragment

    texts = [
        "we probe pre-trained language models for low-resource language speech",
        "pre-trained language models help low-resource language translation",
        "pre-trained language model adapters for natural language inference on speech",
        "natural language processing for low-resource language speech",
        "natural language understanding with direct preference optimization",
        "direct preference optimization (dpo) and preference optimization at large",
        "we extend direct preference optimization",
    ]
    assert fragment("pre-trained language", texts) and fragment("resource language", texts)
    assert fragment("resource", texts)
    assert not fragment("natural language", texts) and not fragment("speech", texts)
    assert not fragment("preference optimization", texts)
    assert not fragment("pre-trained language", texts[:2])  # two uses tell nothing
    # Linear in the text however it repeats.
    assert not fragment("aa bb", ["aa " * 20000 + "cc"])
    assert fragment("aa", ["x-aa " * 20000])


def test_a_theme_of_cut_terms_alone_is_still_named():
    """Where every term of a theme reads cut off, its label still has them (a theme is never
    left unnamed): ``fragment`` only passes over a cut term for a whole one."""
    docs = [
        f"Pre-trained language models {i}.\nPre-trained language models serve task {i}." for i in range(6)
    ]
    docs += [f"Speech synthesis {i}.\nSpeech synthesis of voices for task {i}." for i in range(6)]
    counts, vocab, surfaces = analyze_all(docs)
    labels = np.array([0] * 6 + [1] * 6)
    terms, subjects = theme_terms(counts, vocab, labels, 2, surfaces, documents=docs)
    assert terms[0] and terms[1] and all(subjects)
    assert "speech synthesis" in [t.lower() for t in terms[1]]


def test_grab_bags_are_told_from_subjects():
    """The subject fit: a theme whose papers share a term few others have fits; papers drawn
    from several subjects do not."""
    from sitegen.themes import coherence
    from sitegen.themes.terms import analyze_all

    topics = ["speech audio", "protein folding", "retrieval ranking", "image caption"]
    docs = [f"{t} study {i}" for t in topics for i in range(6)]
    counts, _, _ = analyze_all(docs)
    labels = np.repeat(np.arange(4), 6)
    fit, _ = coherence.subject_fit(counts, labels, 4)
    assert (fit > coherence.MIN_FIT).all()
    mixed = labels.copy()
    mixed[[0, 6, 12, 18]] = 4  # one paper of each subject: a grab-bag
    assert coherence.grab_bags(counts, mixed, 5) == [4]


def test_loose_themes_are_those_no_subject_term_covers():
    """The cover: the largest share of a theme's papers that one subject term is found in. A
    theme of one subject is covered; one that joins two subjects half and half is loose (each
    term in only half of its papers), though each half fits."""
    from sitegen.themes import coherence
    from sitegen.themes.terms import analyze_all

    topics = ["speech audio", "protein folding", "retrieval ranking", "image caption"]
    docs = [f"{t} study {i}" for t in topics for i in range(6)]
    counts, _, _ = analyze_all(docs)
    labels = np.repeat(np.arange(4), 6)
    assert (coherence.subject_cover(counts, labels, 4) == 1).all()
    assert coherence.loose_themes(counts, labels, 4) == []
    joined = np.repeat([0, 0, 1, 2], 6)
    cover = coherence.subject_cover(counts, joined, 3)
    assert cover[0] == 0.5 and cover[1] == cover[2] == 1
    assert coherence.loose_themes(counts, joined, 3) == [0]
    # A word marked vague covers nothing.
    vocab = analyze_all(docs)[1]
    vague = np.array([t in ("speech", "audio", "speech audio") for t in vocab])
    assert coherence.subject_cover(counts, labels, 4, vague)[0] < coherence.MIN_COVER


def _pinned_content(tmp_path: Path, dumps: list[Path]) -> Path:
    content = _content(tmp_path, dumps)
    build(content, tmp_path / "first", diags=Diagnostics())
    shutil.copy(tmp_path / "first" / "data" / "themes.json", content / "themes.json")
    return content


def test_names_are_carried_and_pins_survive_a_new_dump(tmp_path):
    """A theme that keeps >= 80 % of its papers keeps its name exactly; a pinned name wins, is
    stored, and survives a rebuild and a new dump."""
    content = _pinned_content(tmp_path, DUMPS[:-1])
    before = json.loads((content / "themes.json").read_text(encoding="utf-8"))
    slug = before[0]["slug"]
    (content / "themes.yaml").write_text(f'# pinned names\n{slug}: "Preference <alignment> & RLHF"\n')
    pinned = build(content, tmp_path / "pinned", diags=Diagnostics())
    assert {t.slug: t.label for t in pinned.site.themes}[slug] == "Preference <alignment> & RLHF"
    html = (tmp_path / "pinned" / "themes" / slug / "index.html").read_text(encoding="utf-8")
    assert "<h1>Preference &lt;alignment&gt; &amp; RLHF</h1>" in html
    shutil.copy(tmp_path / "pinned" / "data" / "themes.json", content / "themes.json")
    shutil.copy(DUMPS[-1], content / "dumps" / DUMPS[-1].name)
    diags = Diagnostics()
    after = build(content, tmp_path / "after", diags=diags)
    assert diags.items == []
    now = _groups(after.site)
    assert now[slug].label == "Preference <alignment> & RLHF"
    new = _group_of(after.site)
    for theme in before:
        kept = sum(new[pid] == theme["slug"] for pid in theme["papers"]) / len(theme["papers"])
        if kept >= 0.8 and theme["slug"] != slug:
            assert now[theme["slug"]].label == theme["label"], theme["slug"]
            assert now[theme["slug"]].terms == theme["terms"]


def test_papers_of_no_theme_that_come_to_share_a_subject_are_a_theme(tmp_path):
    """A stored group of papers of no theme is judged again when a dump is added: where its
    papers share a subject (here the speech papers, stored as of no theme by hand), it is a
    theme with a name; the themes stay themes."""
    content = _pinned_content(tmp_path, DUMPS[:-1])
    record = json.loads((content / "themes.json").read_text(encoding="utf-8"))
    speech = next(t for t in record if t["label"].startswith("speech"))
    slug = next(f"other-{n}" for n in range(2, 99) if f"other-{n}" not in {t["slug"] for t in record})
    speech.update(slug=slug, label="", terms=[], area_label=None, subject=False)
    (content / "themes.json").write_text(json.dumps(record), encoding="utf-8")
    shutil.copy(DUMPS[-1], content / "dumps" / DUMPS[-1].name)
    diags = Diagnostics()
    after = build(content, tmp_path / "after", diags=diags)
    assert diags.items == []
    theme = max(after.site.themes, key=lambda t: len({p.id for p in t.papers} & set(speech["papers"])))
    assert len({p.id for p in theme.papers} & set(speech["papers"])) >= 0.8 * len(speech["papers"])
    assert "speech" in theme.label and theme.slug.startswith("speech")
    named = {t["slug"] for t in record if t.get("subject", True)}
    assert named <= {t.slug for t in after.site.themes}


def test_names_made_by_older_rules_are_made_afresh(tmp_path):
    content = _pinned_content(tmp_path, DUMPS)
    record = json.loads((content / "themes.json").read_text(encoding="utf-8"))
    for theme in record:
        theme.pop("naming")
        theme["label"] = "context · text"
    (content / "themes.json").write_text(json.dumps(record), encoding="utf-8")
    again = build(content, tmp_path / "again", diags=Diagnostics())
    assert "context · text" not in {t.label for t in again.site.themes}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [unclosed\n", "content/themes.yaml:2: invalid YAML"),
        ("- just\n- a list\n", "content/themes.yaml:1: expected a mapping of theme slug to name"),
        ("\n\nno-such-theme: Name\n", "content/themes.yaml:3: no theme has the slug 'no-such-theme'"),
        ("x: &a one\ny: *a\n", "content/themes.yaml:2: invalid YAML: aliases"),
        ("\nfoo: [1, 2]\n", "content/themes.yaml:2: foo: expected the theme's name as one line"),
    ],
)
def test_bad_pins_are_warnings_with_their_line(tmp_path, text, message, monkeypatch):
    content = _content(tmp_path, DUMPS[:1])
    (content / "themes.yaml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    diags = Diagnostics()
    _, site = gather(Path("content"), diags)
    assert any(str(d).startswith(message) for d in diags), [str(d) for d in diags]
    assert all(p.theme is not None for p in site.papers)


def test_theme_page_links_its_feed(sample_build):
    result, out = sample_build
    theme = result.site.themes[0]
    html = (out / theme.url / "index.html").read_text(encoding="utf-8")
    assert '<a class="feed-link" href="../../themes/' + theme.slug + '/feed.xml"' in html
    assert "Follow this theme (RSS)" in html
    assert (out / theme.url / "feed.xml").is_file()


# -- carried themes (themes/carry.py) ---------------------------------------------------------


def _dump_of(papers: list[tuple[str, str]]) -> str:
    """A dump of (title, abstract) pairs."""
    blocks = [f"{title}\n\n{abstract}\n\n• 3 authors\n\n·\n\nDec 20" for title, abstract in papers]
    return "Daily Papers\n\nDec 24\n\n" + "\n\n".join(blocks) + "\n"


def test_a_theme_fitted_on_most_papers_is_carried_until_too_many_joined():
    seeds = np.array([0, 0, 1, 1, 1, 0, 1, 0, 1, -1])
    assert carry.carries(seeds, seeds >= 0)  # 9 of 10 fitted
    assert not carry.carries(np.array([0, 0, 1, 1, 1, 0, 1, 0, -1, -1]), np.arange(10) < 8)
    joined = np.zeros(10, dtype=bool)
    joined[0] = True  # one stored paper joined since the fit, one new: 8 of 10 fitted
    assert not carry.carries(seeds, (seeds >= 0) & ~joined)
    assert not carry.carries(np.full(4, -1), np.zeros(4, dtype=bool))


def test_few_new_papers_join_the_carried_themes(tmp_path):
    """While new papers are under REFIT_SHARE of all, the themes are not fitted again: every old
    paper keeps its theme and its place, every theme its slug, name and terms; a new paper joins
    the theme it is most like and is stored as joined. A build from scratch given the same
    themes.json is the same; past the share, the themes are fitted again."""
    content = _pinned_content(tmp_path, DUMPS[:-1])
    before = json.loads((content / "themes.json").read_text(encoding="utf-8"))
    old_ids = {pid for t in before for pid in t["papers"]}
    _, last = gather(_content(tmp_path / "last", DUMPS[-1:]), Diagnostics())
    fresh = [p for p in last.papers if p.id not in old_ids]
    few = fresh[: int(carry.REFIT_SHARE * len(old_ids)) // 2]
    assert len(few) >= 4
    # A paper about just what the largest theme's most typical paper is about joins that theme.
    typical = next(p for p in gather(content, Diagnostics())[1].papers if p.id == before[0]["papers"][0])
    twin = (f"Revisiting {typical.title}", typical.abstract)
    pairs = [(p.title, p.abstract) for p in few]
    (content / "dumps" / "2099-12-24.txt").write_text(_dump_of([*pairs, twin]), encoding="utf-8")

    after = build(content, tmp_path / "after", diags=Diagnostics())
    record = _json(tmp_path / "after", "themes.json")
    now = {t["slug"]: t for t in record}
    assert [t["slug"] for t in before] == [t["slug"] for t in before if t["slug"] in now]
    for theme in before:
        kept = now[theme["slug"]]
        assert (kept["label"], kept["terms"]) == (theme["label"], theme["terms"])
        assert [pid for pid in kept["papers"] if pid in set(theme["papers"])] == theme["papers"]
    new_ids = {p.id for p in after.site.papers} - old_ids
    assert len(new_ids) == len(few) + 1
    assert sorted(pid for t in record for pid in t["joined"]) == sorted(new_ids)
    twin_id = next(p.id for p in after.site.papers if p.title == twin[0])
    assert twin_id in now[before[0]["slug"]]["joined"]

    # The same content from scratch, seeded with what the build stored: the same site.
    shutil.copy(tmp_path / "after" / "data" / "themes.json", content / "themes.json")
    build(content, tmp_path / "again", diags=Diagnostics())
    assert _json(tmp_path / "again", "themes.json") == record
    assert (tmp_path / "again" / "themes" / before[0]["slug"] / "index.html").read_bytes() == (
        tmp_path / "after" / "themes" / before[0]["slug"] / "index.html"
    ).read_bytes()

    # Past the share (the rest of the last dump too): fitted again, nothing is joined.
    shutil.copy(DUMPS[-1], content / "dumps" / DUMPS[-1].name)
    refit = build(content, tmp_path / "refit", diags=Diagnostics())
    assert len(refit.site.papers) - len(old_ids) > carry.REFIT_SHARE * len(refit.site.papers)
    assert all(t["joined"] == [] for t in _json(tmp_path / "refit", "themes.json"))


def test_what_every_build_computes_without_scikit_learn_agrees_with_it():
    """Stop words, TF-IDF and unit rows are copied or computed by hand (``vectors.py``), so that a
    build fitting nothing does not import scikit-learn; they must be what scikit-learn gives."""
    from scipy import sparse
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfTransformer
    from sklearn.preprocessing import normalize as sk_normalize

    from sitegen.themes import terms, vectors

    assert terms.ENGLISH_STOP_WORDS == ENGLISH_STOP_WORDS
    rng = np.random.default_rng(0)
    table = rng.integers(1, 6, size=(40, 30)) * (rng.random((40, 30)) < 0.2)
    table[3] = 0  # a row with no term
    counts = sparse.csr_matrix(table.astype(float))
    fit = counts[:25]
    expected = TfidfTransformer(sublinear_tf=True).fit(fit).transform(counts)
    assert np.allclose(vectors.tfidf(counts, fit).toarray(), expected.toarray(), rtol=1e-12, atol=1e-15)
    dense = rng.normal(size=(6, 4))
    dense[2] = 0
    for norm in ("l2", "l1"):
        assert np.allclose(vectors.normalize(dense, norm), sk_normalize(dense, norm=norm))
        assert np.allclose(
            vectors.normalize(counts, norm).toarray(), sk_normalize(counts, norm=norm).toarray()
        )


def test_carried_themes_keep_their_names_when_a_stored_file_lists_a_paper_twice(tmp_path):
    """A hand-edited themes.json that lists some of one theme's papers in another too: the first
    theme keeps them, and every theme, carried, keeps its slug, name and terms (none is named
    afresh from the terms it would have had to compute)."""
    content = _pinned_content(tmp_path, DUMPS)
    record = json.loads((content / "themes.json").read_text(encoding="utf-8"))
    twice = min(len(record[0]["papers"]), len(record[1]["papers"]))  # half of the second's list
    for field in ("papers", "owners"):
        record[1][field] = record[0][field][:twice] + record[1][field]
    (content / "themes.json").write_text(json.dumps(record), encoding="utf-8")
    diags = Diagnostics()
    result = build(content, tmp_path / "out", diags=diags)
    assert diags.items == []  # the file is taken as it is
    now = _groups(result.site)
    for theme in record:
        assert (now[theme["slug"]].label, now[theme["slug"]].terms) == (theme["label"], theme["terms"])
    assert {p.id for p in now[record[0]["slug"]].papers} >= set(record[0]["papers"][:twice])


# -- lone label words (labels.title_words, labels.modifier) -----------------------------------------


def test_a_lone_label_word_is_in_the_titles_and_names_rather_than_modifies():
    from sitegen.themes.labels import modifier, title_words

    titles = ["Speech synthesis with codecs", "Streaming speech recognition", "Implicit rewards for speech"]
    docs = [f"{t}.\n{t}.\nWe train on labeled data." for t in titles]
    titled = title_words(docs)
    assert titled["speech"] == 3 and titled["implicit"] == 1
    assert "labeled" not in titled and "train" not in titled  # words of the abstracts only
    # Mostly before another word: a modifier; mostly at the end of a clause or before a stop word:
    # a name; a past participle always modifies; under 3 uses tell nothing.
    assert modifier("implicit", ["implicit rewards, implicit bias and implicit models"])
    assert not modifier("speech", ["the speech of a speaker. speech is hard; noisy speech"])
    assert (
        modifier("labeled", []) and modifier("Labeled", []) and not modifier("implicit", ["implicit rewards"])
    )


def test_the_sample_labels_name_no_theme_by_a_word_of_its_abstracts_only():
    """Themes chosen afresh on the sample: each lone word of a label is in the titles of a tenth
    of the theme's papers, and none is a past participle ("labeled", "tuned" named themes once)."""
    from sitegen.themes.labels import MAX_READ, TITLE_SHARE

    _, site = gather(CONTENT, Diagnostics())
    docs = [document(p) for p in site.papers]
    model = ThemeModel().fit(docs)
    for c in range(model.n_themes_):
        members = np.flatnonzero(model.labels_ == c)[:MAX_READ]  # (the papers naming reads)
        titles = [set(analyze(site.papers[i].title)) for i in members]
        for term in model.terms_[c][:3]:
            word = singular(term.lower().replace("-", ""))
            if " " in term:
                continue
            assert not word.endswith("ed"), (term, model.terms_[c])
            share = sum(word in t for t in titles) / len(members)
            assert share >= TITLE_SHARE, (term, share, model.terms_[c])


# -- the field is no subject, acronyms repeat their words, a new subject gets a theme -----------


def test_a_phrase_naming_the_field_is_no_label_term():
    """ "machine learning" in a digest of machine learning papers names the field, not a
    subject: no label has it, even where one theme's papers alone have it."""
    from sitegen.themes.labels import vague_terms

    subjects = ["speech audio", "protein folding", "retrieval ranking", "image caption"]
    docs = [f"{t} study {i}" for t in subjects for i in range(6)]
    docs = [f"{d} with machine learning" if d.startswith("speech") else d for d in docs]
    counts, vocab, surfaces = analyze_all(docs)
    vague = vague_terms(vocab)
    assert vague[vocab.index("machine learning")] and not vague[vocab.index("speech audio")]
    terms = class_terms(counts, vocab, np.repeat(np.arange(4), 6), 4, surfaces, documents=docs)
    assert terms[0] and not any("machine learning" in t.lower() for t in terms[0]), terms[0]


def test_an_acronym_and_the_words_it_stands_for_are_one_term():
    from sitegen.themes.labels import expansion

    texts = [
        "we study direct preference optimization (dpo) and its variants.",
        "multimodal large language models (mllms) see images.",
        "reinforcement learning from human feedback (rlhf) aligns models.",
    ]
    assert expansion("DPO", texts) == {"direct", "preference", "optimization"}
    assert expansion("MLLMs", texts) == {"multimodal", "large", "language", "model"}
    assert expansion("RLHF", texts) == {"reinforcement", "learning", "human", "feedback"}
    assert expansion("PPO", texts) == frozenset() and expansion("speech", texts) == frozenset()
    # In a label: "DPO" and "preference optimization" do not both name a theme.
    titles = [f"Direct Preference Optimization (DPO) for {t}" for t in ("chat", "code", "math", "vision")]
    other = [f"Protein folding with {t}" for t in ("graphs", "diffusion", "language", "physics")]
    docs = [f"{t}.\n{t}.\nWe study DPO, direct preference optimization (DPO), for alignment." for t in titles]
    docs += [f"{t}.\n{t}.\nProtein structure prediction." for t in other]
    counts, vocab, surfaces = analyze_all(docs)
    terms = class_terms(counts, vocab, np.repeat([0, 1], 4), 2, surfaces, documents=docs)
    label = " · ".join(terms[0][:3]).lower()
    assert "preference" in label and "dpo" not in label, terms[0]


def test_new_papers_of_a_new_subject_make_a_theme_of_their_own():
    """A build seeded with stored themes grows its theme count with the papers (as a fresh
    build's grows, like the square root of their number): the papers of a subject the stored
    themes do not have gather in a new theme, and the old papers stay where they were."""
    old = [f"{t}. A study of {t.lower()}." for t in PROTEINS + SPEECH] * 4
    first = ThemeModel(n_themes=None, k_range=(2, 2)).fit(old)
    assert first.n_themes_ == 2
    retrieval = [
        "Dense passage retrieval for open-domain questions",
        "Retrieval augmented generation with rerankers",
        "Learning sparse retrieval with query expansion",
        "Late interaction retrieval with token embeddings",
        "Retrieval benchmarks for zero-shot ranking",
    ]
    new = [f"{t}. A study of retrieval: {t.lower()}." for t in retrieval] * 6
    seeds = [int(first.seed_map_[c]) for c in first.labels_.tolist()] + [-1] * len(new)
    again = ThemeModel(k_range=(2, 2)).fit(old + new, seed_labels=seeds)
    assert again.n_themes_ == 3
    assert len(set(again.labels_[len(old) :].tolist())) == 1
    assert again.labels_[len(old)] not in set(again.labels_[: len(old)].tolist())
    kept = again.labels_[: len(old)]
    assert all(len(set(kept[first.labels_ == c].tolist())) == 1 for c in range(2))


def test_one_title_term_that_names_most_papers_is_a_label_alone():
    """Where only one term of the titles names a theme, and it names most of its papers, the
    label is that term: no word of the abstracts only ("latency") is added to make two."""
    speech = [f"Speech {t}" for t in ("codecs", "tokenizers", "enhancement", "translation", "dialogue")]
    proteins = [f"Protein {t}" for t in ("folding", "docking", "design", "dynamics", "binding")]
    docs = [f"{t}.\n{t}.\nLatency of {t.split()[1]}." for t in speech]
    docs += [f"{t}.\n{t}.\nStructures of {t.split()[1]}." for t in proteins]
    counts, vocab, surfaces = analyze_all(docs)
    terms = class_terms(counts, vocab, np.repeat([0, 1], 5), 2, surfaces, documents=docs)
    assert terms[0] == ["speech"], terms[0]
    # Found in fewer than MOST of its papers, the lone term is topped up with the terms as
    # ranked, so that the label names most of them.
    docs[:3] = [f"{t}.\n{t}.\nLatency of {t}." for t in ("Codecs", "Tokenizers", "Enhancement")]
    counts, vocab, surfaces = analyze_all(docs)
    terms = class_terms(counts, vocab, np.repeat([0, 1], 5), 2, surfaces, documents=docs)
    assert terms[0][:2] == ["speech", "latency"] or terms[0][:2] == ["latency", "speech"], terms[0]


def test_a_group_whose_titles_share_no_subject_is_no_theme():
    """The papers left over between subjects share no term of their titles: such a group gets no
    name (no terms) and is shown as no theme; a group whose titles share its subject is one."""
    misc = [
        "Calibration of classifiers under label shift",
        "Bilevel hyperparameter search with best-response functions",
        "Regret bounds for adversarial bandits",
        "A benchmark of optimizers for training",
        "Job title matching with sentence encoders",
        "Sampling molecular conformations with diffusion",
        "Fairness constraints in online decision forests",
        "Denoising implicit feedback for recommendation",
        "Quantization-aware training at the compute optimum",
        "Edit-invariant sequence losses for text generation",
    ]
    docs = [f"{t}.\n{t}.\nA study of {t.lower()}." for t in PROTEINS + SPEECH + misc]
    counts, vocab, surfaces = analyze_all(docs)
    terms, subjects = theme_terms(
        counts, vocab, np.repeat([0, 1, 2], [5, 5, 10]), 3, surfaces, documents=docs
    )
    assert subjects == [True, True, False], terms
    assert "protein" in terms[0] and "speech recognition" in terms[1]
    # Through the estimator: a group of no subject has no terms.
    model = ThemeModel(n_themes=3).fit(docs)
    for c in range(model.n_themes_):
        assert bool(model.terms_[c]) == model.subjects_[c]
