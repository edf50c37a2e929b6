"""The fast Lunr index writer (sitegen/lunr_index.py) against its reference, lunr.py's builder.

Equal means equal as dicts and as the JSON bytes the site ships; then lunr.js, the real consumer,
loads the written index in Chromium and must rank like lunr.py.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
from typing import Any

import numpy as np
import pytest
from conftest import ROOT, serve
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lunr.builder import Builder
from lunr.index import Index
from lunr.pipeline import Pipeline
from lunr.stemmer import stemmer as lunr_py_stemmer
from lunr.stop_word_filter import stop_word_filter
from lunr.token import Token
from lunr.trimmer import trimmer

from sitegen import lunr_index, search
from sitegen.lunr_index import NO_METADATA, reference_index, serialize_index, serialize_with, tokenize
from sitegen.render import dump_json

VENDOR = ROOT / "templates" / "static" / "vendor" / "lunr"


def split_underscores(token: Token, i: int | None = None, tokens: list[Token] | None = None) -> list[Token]:
    """A pipeline function that makes several tokens of one (lunr allows it; sitegen has none)."""
    parts = [part for part in str(token).split("_") if part] or [""]
    return [Token(part, token.metadata) for part in parts]


def drop_long(token: Token, i: int | None = None, tokens: list[Token] | None = None) -> Token | None:
    return token if len(str(token)) <= 20 else None


Pipeline.register_function(split_underscores, "testSplitUnderscores")
Pipeline.register_function(drop_long, "testDropLong")


def sitegen_builder() -> Builder:
    return search.new_builder()


def lunr_default_builder() -> Builder:
    """lunr.py's own pipeline (its trimmer and stemmer), odd boosts, a function skipped for a field."""
    builder = Builder()
    builder.pipeline.add(trimmer, stop_word_filter, lunr_py_stemmer)
    builder.pipeline.skip(lunr_py_stemmer, ["name"])
    builder.search_pipeline.add(lunr_py_stemmer)
    builder.ref("id")
    for name, boost in [("body", 1), ("name", 2.5), ("tags", 0.3)]:
        builder.field(name, boost=boost)
    return builder


def expanding_builder() -> Builder:
    """Functions that make several terms of a token and drop some, after sitegen's; k1 and b changed."""
    builder = search.new_builder()
    builder.pipeline.add(split_underscores, drop_long)
    builder.pipeline.skip(split_underscores, ["theme"])
    builder.k1(1.7)
    builder.b(0.4)
    return builder


BUILDERS = {"sitegen": sitegen_builder, "lunr": lunr_default_builder, "expanding": expanding_builder}


def reference_with_boosts(
    builder: Builder, docs: list[dict[str, Any]], boosts: list[float]
) -> dict[str, Any]:
    for doc, boost in zip(docs, boosts, strict=True):
        builder.add(doc, {"boost": boost})
    return builder.build().serialize()


def assert_same_index(docs: list[dict[str, Any]], config: str = "sitegen", boosts: list[float] | None = None):
    make = BUILDERS[config]
    if boosts is None:
        written = serialize_with(make(), docs)
        expected = reference_index(make(), docs)
    else:
        builder = make()
        written = serialize_index(
            docs,
            [(name, field.boost) for name, field in builder._fields.items()],
            builder.pipeline,
            builder.search_pipeline,
            ref=builder._ref,
            boosts=boosts,
        )
        expected = reference_with_boosts(make(), docs, boosts)
    assert written == expected
    assert dump_json(written) == dump_json(expected)
    # The same order too, not only the same sets: field vectors, terms, postings, keys
    assert json.dumps(written) == json.dumps(expected)
    return written


# ---- the sample content -----------------------------------------------------------------------


def sample_documents(sample_build) -> list[dict[str, str]]:
    """The sample papers as the search index gets them, oldest first."""
    result, _ = sample_build
    return [search.document(paper, n) for n, paper in enumerate(reversed(result.site.papers))]


def test_sample_index_is_lunr_py_s(sample_build):
    docs = sample_documents(sample_build)
    written = serialize_with(search.new_builder(), docs)
    expected = reference_index(search.new_builder(), docs)
    assert len(written["invertedIndex"]) > 3000 and len(written["fieldVectors"]) == 4 * len(docs)
    assert written == expected
    assert dump_json(written) == dump_json(expected)
    # lunr.py loads the dict itself (the shared read-only posting metadata included) and searches it
    for query in ("dice loss", "title:diffusion", "+reward -human", "distil*"):
        found = Index.load(written).search(query)
        assert found and found == Index.load(expected).search(query)


# ---- random corpora ---------------------------------------------------------------------------

WORDS = [
    "the", "and", "a", "of", "model", "models", "model's", "LLM’s", "(DMD),", "TÜLU", "Straße", "naïve",
    "e\u0301", "x²", "日本語", "--", "-", "_x_", "İstanbul", "ﬁne", "state-of-the-art", "playing", "happily",
    "survey", "Ørsted", "...", "'", "a_b_c", "x" * 300, "ab" * 40, "reward", "rewards", "REWARD", "12", "3.5",
]  # fmt: skip
SEPARATORS = [" ", "  ", "\t", "\n", "\r\n", "-", " - ", "\xa0", "\u2028", "\x1c", "\u3000", "\u2003", "\v\f"]

words = st.one_of(
    st.sampled_from(WORDS),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12),
    st.text("abcdeéß-_'.,()", min_size=1, max_size=8),
)


@st.composite
def texts(draw) -> str | None:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from([None, "", " ", "-", "the and a"]))
    parts = draw(st.lists(st.tuples(words, st.sampled_from(SEPARATORS)), max_size=25))
    text = "".join(word + separator for word, separator in parts)
    return text * draw(st.sampled_from([1, 1, 1, 3]))  # repeated words


@st.composite
def corpora(draw, fields: list[str]) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 7))
    docs = []
    for n in range(count):
        doc: dict[str, Any] = {"ref": search.ref(n)}
        for name in fields:
            if draw(st.integers(0, 14)) == 0:
                continue  # a missing field counts as empty (a builder in lunr.js sees undefined)
            doc[name] = draw(texts())
        docs.append(doc)
    return docs


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=corpora(list(search.FIELDS)))
@example(docs=[{"ref": "0", "title": "", "abstract": None, "organization": "", "theme": ""}])
@example(docs=[{"ref": "0", "title": "the and", "abstract": "a of", "organization": "-", "theme": " "}])
@example(docs=[{"ref": str(n), "title": "x" * 10_000, "abstract": "y " * n} for n in range(3)])
def test_random_corpora_with_sitegen_s_pipeline(docs):
    for doc in docs:  # lunr.py's builder raises on a missing field; the writer treats it as None
        for name in search.FIELDS:
            doc.setdefault(name, None)
    assert_same_index(docs)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=corpora(["body", "name", "tags"]), data=st.data())
def test_random_corpora_with_lunr_s_pipeline_and_boosts(docs, data):
    for doc in docs:
        doc["id"] = doc.pop("ref")
        for name in ("body", "name", "tags"):
            doc.setdefault(name, None)
        if data.draw(st.booleans()):
            doc["tags"] = data.draw(st.lists(words, max_size=4))  # a list: one token per item
    boosts = data.draw(st.none() | st.lists(st.floats(0.1, 50), min_size=len(docs), max_size=len(docs)))
    assert_same_index(docs, "lunr", boosts)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=corpora(list(search.FIELDS)))
@example(docs=[{"ref": "0", "title": "a_b_c " + "long" * 9, "abstract": "_", "theme": "a_b"}])
def test_random_corpora_with_a_pipeline_that_makes_several_terms_of_a_token(docs):
    for doc in docs:
        for name in search.FIELDS:
            doc.setdefault(name, None)
    assert_same_index(docs, "expanding")


def test_many_chunks_of_tokens(monkeypatch):
    docs = [
        {"ref": search.ref(n), "title": f"paper {n} of {n % 7}", "abstract": "word " * (n % 5) + f"w{n}"}
        | {"organization": None, "theme": "one theme" if n % 2 else ""}
        for n in range(60)
    ]
    monkeypatch.setattr(lunr_index, "_CHUNK_TOKENS", 7)
    assert_same_index(docs)


def test_tokenize_is_lunr_py_s_tokenizer():
    from lunr.tokenizer import Tokenizer

    values = [None, "", "A-b  c\u2028d\x1ce\xa0f\tg\u3000h", "İ-Σ", 12, 3.5, ["A B", None, "", 7], ("x",)]
    for value in values:
        assert tokenize(value) == [str(t) for t in Tokenizer(value)], value


def test_every_space_str_split_cuts_on_is_a_separator_or_sent_to_the_slow_path():
    from lunr.tokenizer import SEPARATOR_CHARS

    spaces = [chr(n) for n in range(sys.maxunicode + 1) if len(f"a{chr(n)}b".split()) == 2]
    assert len(spaces) > 20
    for space in spaces:
        assert space in SEPARATOR_CHARS or lunr_index._OTHER_SPACES.search(space), hex(ord(space))
        if space.isascii() and space not in SEPARATOR_CHARS:
            assert lunr_index._ASCII_OTHER_SPACES.search(space), hex(ord(space))


# ---- details --------------------------------------------------------------------------------


def test_rounding_is_python_s_round_even_at_halves():
    # Every k/1000 + 0.0005: each one is within a rounding error of a half, where rint(x * 1000) and
    # round(x, 3) can disagree; and random scores of BM25's range.
    halves = (np.arange(0, 200_000) + 0.5) / 1000
    scores = np.random.default_rng(3).uniform(0, 300, 200_000)
    for values in (
        halves,
        scores,
        np.array([0.0, -0.0004, 2.675, 1.0005, 0.0015, 1e-9, 123.4565, 1e13 + 0.5, 2.0**60, -7.0005]),
    ):
        assert lunr_index._round3(values).tolist() == [round(x, 3) for x in values.tolist()]


def test_shared_floats_are_the_same_floats():
    rounded = lunr_index._round3(np.random.default_rng(5).uniform(0, 40, 10_000))
    shared = lunr_index._shared_floats(rounded)
    assert shared == rounded.tolist() and len({id(x) for x in shared}) == len(set(shared))
    cases = [
        [],
        [0.0, -0.0, 1.5],
        [0.001, float("nan")],
        [float("inf")],
        [0.1, 1e12],
        [0.1234567],
        [-2.5, 3.0],
    ]
    for values in cases:
        got = lunr_index._shared_floats(np.array(values, dtype=np.float64))
        assert json.dumps(got) == json.dumps(values)


def test_posting_metadata_is_empty_and_read_only():
    index = serialize_with(search.new_builder(), [{"ref": "a", "title": "word"}])
    (term, posting), *_ = index["invertedIndex"]
    assert term == "word" and posting == {
        "title": {"a": {}},
        "abstract": {},
        "organization": {},
        "theme": {},
        "_index": 0,
    }
    assert posting["title"]["a"] is NO_METADATA
    with pytest.raises(TypeError):
        posting["title"]["a"]["position"] = [0, 4]
    assert NO_METADATA == {} and json.dumps(NO_METADATA) == "{}"


def test_no_documents_make_an_empty_index_lunr_can_load():
    index = serialize_with(search.new_builder(), [])
    assert index == {
        "version": "2.3.9",
        "fields": list(search.FIELDS),
        "fieldVectors": [],
        "invertedIndex": [],
        "pipeline": ["sitegenFold", "sitegenTrimmer", "sitegenStemmer"],
    }
    assert Index.load(index).search("anything") == []


def test_only_stop_words():
    written = assert_same_index(
        [{"ref": "0", "title": "the and", "abstract": "of a", "organization": "", "theme": ""}]
    )
    assert written["invertedIndex"] == [] and all(vector == [] for _, vector in written["fieldVectors"])


def test_two_documents_with_one_ref_are_refused():
    docs = [{"ref": "a", "title": "one"}, {"ref": "a", "title": "two"}]
    with pytest.raises(ValueError, match="two documents have the ref 'a'"):
        serialize_with(search.new_builder(), docs)


@pytest.mark.parametrize(
    ("fields", "message"),
    [([("a/b", 1)], "illegal character"), ([("a", 1), ("a", 2)], "declared twice")],
)
def test_bad_fields_are_refused(fields, message):
    with pytest.raises(ValueError, match=message):
        serialize_index([{"ref": "0", "a": "x"}], fields, Pipeline(), Pipeline())


def test_serialize_with_leaves_the_builder_alone_and_refuses_what_it_cannot_write():
    builder = search.new_builder()
    serialize_with(builder, [{"ref": "0", "title": "word"}])
    assert builder.document_count == 0 and builder.inverted_index == {}
    builder.add({"ref": "0", "title": "word", "abstract": "", "organization": "", "theme": ""})
    with pytest.raises(ValueError, match="already has documents"):
        serialize_with(builder, [])
    builder = search.new_builder()
    builder.metadata_whitelist = ["position"]
    with pytest.raises(ValueError, match="metadata is not written"):
        serialize_with(builder, [])
    builder = search.new_builder()
    builder.field("extra", extractor=lambda doc: doc["title"])
    with pytest.raises(ValueError, match="extractors are not supported"):
        serialize_with(builder, [])


def test_document_boosts_must_match_the_documents():
    with pytest.raises(ValueError, match="2 document boosts for 1 documents"):
        serialize_index([{"ref": "0", "a": "x"}], [("a", 1)], Pipeline(), Pipeline(), boosts=[1, 2])


def test_bm25_weight_by_hand():
    # One field, two documents: "apple" (tf 2, length 3) in 0, "pear" in both. lunr.js 2.3.9:
    # idf = log(1 + |(N - df + 0.5) / (df + 0.5)|), tf part (k1 + 1) tf / (k1 (1 - b + b len/avg) + tf).
    index = serialize_index(
        [{"ref": "0", "t": "apple apple pear"}, {"ref": "1", "t": "pear"}], [("t", 3)], Pipeline(), Pipeline()
    )
    idf_apple = math.log(1 + abs((2 - 1 + 0.5) / (1 + 0.5)))
    idf_pear = math.log(1 + abs((2 - 2 + 0.5) / (2 + 0.5)))
    norm = 1.2 * (1 - 0.75 + 0.75 * (3 / 2))
    apple = 3 * idf_apple * 2.2 * 2 / (norm + 2)
    pear = 3 * idf_pear * 2.2 * 1 / (norm + 1)
    assert index["fieldVectors"][0] == ["t/0", [0, round(apple, 3), 1, round(pear, 3)]]
    pear_1 = 3 * idf_pear * 2.2 / (1.2 * (1 - 0.75 + 0.75 * (1 / 2)) + 1)
    assert index["fieldVectors"][1] == ["t/1", [1, round(pear_1, 3)]]
    assert [term for term, _ in index["invertedIndex"]] == ["apple", "pear"]


# ---- lunr.js in Chromium ------------------------------------------------------------------------

# The query side of sitegen's pipeline, as templates/static/search-engine.js registers it.
PAGE_SCRIPT = r"""
const FOLD_EXTRA = {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"};
const fold = t => t.update(s => s.toLowerCase().normalize("NFKD").replace(/\p{M}/gu, "")
  .replace(/[ßæœøłđðþı]/g, c => FOLD_EXTRA[c]));
const trim = t => { t.update(s => s.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "")); return t.toString() ? t : undefined; };
const stem = t => lunr.stemmer(t);
lunr.Pipeline.registerFunction(fold, "sitegenFold");
lunr.Pipeline.registerFunction(trim, "sitegenTrimmer");
lunr.Pipeline.registerFunction(stem, "sitegenStemmer");
"""

QUERIES = [
    "dice loss",
    "tulu 3",
    "TÜLU",
    "preference optimization",
    "title:loss",
    "abstract:diffusion",
    "distil*",
    "+reward -human",
    "rlhf~1",
    "alignment^5 survey",
    "zero-shot",
    "straße",
    "naive",
]


def unicode_corpus() -> list[dict[str, Any]]:
    """A small corpus with the words of the unicode queries, added to the sample."""
    texts = [
        ("Straße naïve reward models", "A naïve Straße-level state-of-the-art reward model; TÜLU's rewards."),
        (
            "Zero-shot e\u0301 survey",
            "Survey of zero-shot alignment, alignment and more alignment. 日本語 x²",
        ),
    ]
    return [
        {"ref": f"u{n}", "title": title, "abstract": abstract, "organization": "", "theme": ""}
        for n, (title, abstract) in enumerate(texts)
    ]


@pytest.mark.browser
def test_lunr_js_ranks_the_written_index_like_lunr_py(sample_build, page, tmp_path):
    docs = sample_documents(sample_build) + unicode_corpus()
    written = serialize_with(search.new_builder(), docs)
    expected = reference_index(search.new_builder(), docs)
    assert written == expected

    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(VENDOR / "lunr.min.js", site / "lunr.min.js")
    (site / "pipeline.js").write_text(PAGE_SCRIPT, encoding="utf-8")
    (site / "index.html").write_text(
        '<!doctype html><meta charset="utf-8"><title>t</title>'
        '<script src="lunr.min.js"></script><script src="pipeline.js"></script>',
        encoding="utf-8",
    )
    (site / "written.json").write_bytes(dump_json(written))
    (site / "reference.json").write_bytes(dump_json(expected))
    with serve(site) as base:
        page.goto(base + "index.html")
        js = page.evaluate(
            """async (queries) => {
                const load = async (name) => lunr.Index.load(await (await fetch(name)).json());
                const [written, reference] = [await load('written.json'), await load('reference.json')];
                const run = (index) => queries.map(q => index.search(q).map(r => [r.ref, r.score]));
                return [run(written), run(reference)];
            }""",
            QUERIES,
        )
    assert page.js_errors == []
    js_written, js_reference = js
    assert js_written == js_reference
    py_index = Index.load(json.loads(dump_json(written)))
    for query, results in zip(QUERIES, js_written, strict=True):
        py_results = py_index.search(query)
        assert py_results, f"{query!r} finds nothing: a useless case"
        # Ties may come out in either order; compare (score, ref) sorted, scores to 6 digits.
        assert sorted((-round(s, 6), r) for r, s in results) == sorted(
            (-round(r["score"], 6), r["ref"]) for r in py_results
        ), query
