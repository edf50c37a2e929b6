"""Lunr's serialized index, written from a sparse term matrix: equal to what lunr.py's ``Builder`` makes.

lunr.py builds an index one token at a time in Python; this module makes the same dict
(``lunr.Index.serialize()``, what ``lunr.Index.load`` takes in lunr.js 2.3.9) from a sparse
(document, field) x term matrix with numpy/scipy, running the Python pipeline once per distinct
token. ``bench/index_writer.py``: 20,000 papers in 3 s of CPU instead of 49 s. "The same" is exact:
equal as dicts and as JSON bytes, which ``tests/test_lunr_index.py`` checks against lunr.py on the
sample content and on random corpora.

What it reproduces of ``lunr.Builder`` (lunr.py 0.8, the port of lunr.js 2.3.9):

- tokens: the field value lower-cased and cut on lunr.py's separators (its ``SEPARATOR_CHARS``:
  the ASCII spaces, no-break space and ``-``); ``None`` is no tokens, a list is one token per item;
- the pipeline is run once per distinct token (and per pipeline variant when functions are skipped
  for some fields), not once per occurrence. This assumes what lunr's and sitegen's pipeline
  functions all are: each output depends only on its token's text, not on its neighbours or metadata;
- a field's length is its number of terms after the pipeline; the average is over all documents;
- a term's document frequency counts (document, field) pairs, as lunr's ``idf`` sums the postings
  of every field, so a word in the title and the abstract of one paper counts twice;
- BM25 with ``k1`` 1.2 and ``b`` 0.75, evaluated in lunr.py's order of floating-point operations,
  times the field boost and the document boost, then rounded with Python's ``round(x, 3)``;
- term numbers (``_index``) in order of first occurrence (documents in order, fields in order,
  tokens in order); field vectors in document then field order, their entries by term number;
  the inverted index sorted by term, each posting with every field and the document refs in
  document order. No metadata is recorded (sitegen sets no metadata whitelist), so each posting of
  a document is ``{}``.

Rounding: lunr.py rounds with ``round(score, 3)`` (correctly rounded, ties to even), lunr.js 2.3.9
with ``Math.round(score * 1000) / 1000``. They differ, by 0.001, only when ``score * 1000`` falls
within a rounding error of a half; this module matches lunr.py, the reference it is tested against.
"""

from __future__ import annotations

import contextlib
import gc
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
import scipy.sparse as sp
from lunr import __TARGET_JS_VERSION__
from lunr.builder import Builder
from lunr.pipeline import Pipeline
from lunr.token import Token
from lunr.tokenizer import SEPARATOR_CHARS
from lunr.utils import as_string

K1 = 1.2
"""BM25 term frequency saturation, lunr's default."""
B = 0.75
"""BM25 field length normalization, lunr's default."""

# Token occurrences are mapped to ids a chunk at a time, so that the token strings of a large corpus
# are never all alive at once (only their ids are).
_CHUNK_TOKENS = 1 << 18
# What str.split() cuts on (Py_UNICODE_ISSPACE) that lunr.py's tokenizer does not.
_OTHER_SPACES = re.compile("[\x1c-\x1f\x85\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
_ASCII_OTHER_SPACES = re.compile("[\x1c-\x1f]")


def tokenize(value: Any) -> list[str]:
    """The token strings lunr.py's ``Tokenizer`` makes of a field value, in order."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [as_string(element).lower() for element in value]
    text = str(value).lower()
    if "-" in text:
        text = text.replace("-", " ")
    # str.split() cuts on every separator of lunr.py's but "-", and is the fast path; it also cuts on
    # a few spaces lunr.py does not, so text that has one of those is cut on lunr.py's own list.
    if _OTHER_SPACES.search(text) if not text.isascii() else _ASCII_OTHER_SPACES.search(text):
        for separator in SEPARATOR_CHARS:
            text = text.replace(separator, " ")
        return list(filter(None, text.split(" ")))
    return text.split()


def _variants(pipeline: Pipeline, fields: Sequence[str]) -> list[int]:
    """For each field, a number that is the same for fields the pipeline treats alike.

    ``Pipeline.skip`` can leave functions out for some fields; a token of such a field is a different
    cache entry from the same token in the other fields.
    """
    skips = getattr(pipeline, "_skip", {})
    seen: dict[tuple[int, ...], int] = {}
    out = []
    for name in fields:
        skipped = tuple(i for i, fn in enumerate(pipeline._stack) if name in skips.get(fn, ()))
        out.append(seen.setdefault(skipped, len(seen)))
    return out


def _functions(pipeline: Pipeline, field: str) -> list[Callable[..., Any]]:
    """The functions ``pipeline`` runs on the tokens of ``field``."""
    skips = getattr(pipeline, "_skip", {})
    return [fn for fn in pipeline._stack if field not in skips.get(fn, ())]


def _round3(scores: np.ndarray) -> np.ndarray:
    """``round(x, 3)`` of every score, as Python rounds (correctly rounded, ties to even).

    ``rint(x * 1000) / 1000`` gives the same float except where ``x * 1000`` is within its rounding
    error of a half, where the product may fall on the wrong side; those few are rounded by Python.
    """
    scaled = scores * 1000.0
    out = np.rint(scaled) / 1000.0
    # fl(x * 1000) is within 2**-53 (1.1e-16) times |x * 1000| of the exact product: 1e-9 is ample.
    near_half = np.abs(scaled - np.floor(scaled) - 0.5) <= 1e-9 * np.maximum(1.0, np.abs(scaled))
    if near_half.any():
        out[near_half] = [round(x, 3) for x in scores[near_half].tolist()]
    return out


def _shared_floats(values: np.ndarray) -> list[float]:
    """``values.tolist()``, each distinct value one float object (the values are multiples of 0.001).

    A list of 3 million floats is 70 MB of float objects when each is its own, and a few hundred KB
    when they are shared; falls back to ``tolist()`` for what a table of thousandths does not cover.
    """
    if not len(values) or not np.isfinite(values).all():
        return values.tolist()
    thousandths = np.rint(values * 1000.0)
    low, high = thousandths.min(), thousandths.max()
    if high - low > 4 * len(values) + 4096:
        return values.tolist()
    table = np.arange(low, high + 1) / 1000.0
    offsets = (thousandths - low).astype(np.int64)
    # Not -0.0 either: the table has only one zero, and JSON tells them apart.
    if not (table[offsets] == values).all() or np.signbit(values[values == 0]).any():
        return values.tolist()
    return np.array(table.tolist(), dtype=object)[offsets].tolist()


class _NoMetadata(dict):
    """The metadata of a posting when no metadata is recorded: an empty dict that cannot be changed.

    One instance serves every posting (millions of them at 20,000 papers); it is read-only so that no
    one can add metadata to one posting and find it in all of them.
    """

    def _read_only(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("the metadata of a posting written by lunr_index is read-only")

    __setitem__ = __delitem__ = setdefault = update = pop = popitem = clear = __ior__ = _read_only  # type: ignore[assignment]


NO_METADATA = _NoMetadata()
"""The value of every posting (``invertedIndex[i][1][field][ref]``): ``{}``, shared and read-only."""


class _Numbering(dict):
    """Numbers keys in the order they are first looked up: ``numbering[key]`` is the key's number."""

    def __missing__(self, key: Any) -> int:
        self[key] = number = len(self)
        return number


def _run_pipeline(functions: Sequence[Callable[..., Any]], texts: Sequence[str]) -> list[tuple[str, ...]]:
    """The terms each of the distinct ``texts`` becomes through ``functions``, as ``Pipeline.run`` would.

    Each function runs once per distinct string it is given: the tokens "model", "model," and
    "(model" are trimmed three times but stemmed once.
    """
    # Per stage, its distinct inputs and what each became: a string (one token, the usual case),
    # None (dropped) or a list (several tokens).
    stages: list[tuple[list[str], list[str | list[str] | None]]] = []
    current = list(texts)
    for fn in functions:
        outputs: list[str | list[str] | None] = []
        append = outputs.append
        for text in current:
            token = Token(text)
            result = fn(token, 0, [token])
            if type(result) is Token:
                append(result.string)
            elif not result:
                append(None)
            elif isinstance(result, list | tuple):
                append([str(t) for t in result])
            else:
                append(str(result))
        stages.append((current, outputs))
        current = list(
            dict.fromkeys(
                text
                for output in outputs
                if output is not None
                for text in ((output,) if type(output) is str else output)
            )
        )
    final: dict[str, tuple[str, ...]] = {text: (text,) for text in current}
    for inputs, outputs in reversed(stages):
        final = {
            text: ()
            if output is None
            else final[output]
            if type(output) is str
            else tuple(term for o in output for term in final[o])
            for text, output in zip(inputs, outputs, strict=True)
        }
    return [final[text] for text in texts]


def _read_tokens(
    documents: Iterable[Mapping[str, Any]],
    ref: str,
    names: Sequence[str],
    variant_of: Sequence[int],
    seen: set[str] | None = None,
) -> tuple[list[str], dict[Any, int], np.ndarray, list[int]]:
    """Tokenize every field of every document.

    Returns the refs; the distinct tokens (``(variant, token)`` for fields with a pipeline variant)
    numbered in order of first occurrence; the number of every token occurrence, documents in order,
    fields in order, tokens in order; and the count of tokens of each (document, field).
    """
    refs: list[str] = []
    seen_refs: set[str] = set(seen) if seen else set()
    key_ids = _Numbering()
    occurrences: list[np.ndarray] = []
    segment_sizes: list[int] = []
    chunk: list[Any] = []

    def flush() -> None:
        occurrences.append(np.fromiter(map(key_ids.__getitem__, chunk), dtype=np.int64, count=len(chunk)))
        chunk.clear()

    for doc in documents:
        doc_ref = str(doc[ref])
        if doc_ref in seen_refs:
            raise ValueError(f"two documents have the ref {doc_ref!r}")
        seen_refs.add(doc_ref)
        refs.append(doc_ref)
        for name, variant in zip(names, variant_of, strict=True):
            tokens = tokenize(doc.get(name))
            segment_sizes.append(len(tokens))
            chunk.extend(tokens if variant == 0 else [(variant, token) for token in tokens])
        if len(chunk) >= _CHUNK_TOKENS:
            flush()
    flush()
    return refs, key_ids, np.concatenate(occurrences), segment_sizes


@dataclass(slots=True, eq=False)
class TermScores:
    """A Lunr index as arrays: everything ``lunr.Index.serialize()`` holds, before it is made the
    millions of Python lists and dicts of that form (``serialize``). ``search.py`` cuts its shards
    from these arrays, so they hold the very numbers of the serialized index.

    ``scores``: one row per (document, field), documents in order then fields in order, one column
    per term number (``_index``, order of first occurrence); each stored entry is the term's rounded
    BM25 score in that field of that document (the field vector's element), indices sorted.
    """

    version: str
    fields: list[str]
    refs: list[str]
    #: The terms by number.
    terms: list[str]
    scores: sp.csr_matrix
    #: The search pipeline, serialized (``Pipeline.serialize``).
    search_pipeline: list[str]
    #: Every distinct token the tokenizer cut, before the pipeline (of any field, first seen first).
    tokens: list[str]
    #: The term counts the scores are of (what a later index can start from).
    counts: TermCounts | None = None

    def sorted_terms(self) -> list[int]:
        """The term numbers in the order of the terms (code point order: the inverted index's)."""
        return sorted(range(len(self.terms)), key=self.terms.__getitem__)

    def serialize(self) -> dict[str, Any]:
        """The serialized index (what lunr.py's ``Index.serialize`` makes; the garbage collector
        paused, see ``serialize_index``)."""
        with _no_gc():
            return self._serialize()

    def _serialize(self) -> dict[str, Any]:
        names, refs, tf = self.fields, self.refs, self.scores
        n_fields, n_terms = len(names), len(self.terms)
        n_segments = len(refs) * n_fields
        # Millions of entries but a few thousand distinct values: each distinct number is one Python object.
        numbers = np.array(range(n_terms), dtype=object)[tf.indices].tolist()
        elements = list(chain.from_iterable(zip(numbers, _shared_floats(tf.data), strict=True)))
        del numbers
        bounds = (2 * tf.indptr).tolist()
        field_vectors = [
            [
                f"{names[segment % n_fields]}/{refs[segment // n_fields]}",
                elements[bounds[segment] : bounds[segment + 1]],
            ]
            for segment in range(n_segments)
        ]
        del elements

        # Per field, the documents of each term in document order (columns of the field's rows; of
        # the stored entries, whatever their value: a score rounded to 0 is still a posting).
        pattern = sp.csr_matrix((np.ones(len(tf.indices)), tf.indices, tf.indptr), shape=tf.shape)
        ref_array = np.array(refs, dtype=object)
        by_field = []
        for f in range(n_fields):
            columns = pattern[f::n_fields].tocsc()
            columns.sort_indices()
            by_field.append((names[f], columns.indptr.tolist(), ref_array[columns.indices].tolist()))
        inverted_index = []
        for number in self.sorted_terms():
            posting: dict[str, Any] = {
                name: dict.fromkeys(doc_refs[starts[number] : starts[number + 1]], NO_METADATA)
                for name, starts, doc_refs in by_field
            }
            posting["_index"] = number
            inverted_index.append([self.terms[number], posting])

        return {
            "version": self.version,
            "fields": list(names),
            "fieldVectors": field_vectors,
            "invertedIndex": inverted_index,
            "pipeline": list(self.search_pipeline),
        }


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    # An index is millions of small dicts and lists and no cycles: the cyclic garbage collector
    # would walk them again and again as they are made (a third of the time) and find nothing.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(slots=True, eq=False)
class TermCounts:
    """How often each term is in each field of each document (what lunr scores), before scoring.

    ``tf``: one row per (document, field), documents in order then fields in order, one column per
    term number (``terms``: order of first occurrence), the counts as floats; ``tokens``: every
    distinct token cut (before the pipeline), first seen first, and ``token_docs`` the document
    each was first seen in. A later index whose documents begin with these can start from them
    (``term_scores(start=counts.head(n))``): only its other documents are cut and run through the
    pipeline, and the numbers are the same (terms are numbered as they first occur).
    """

    fields: list[str]
    refs: list[str]
    terms: list[str]
    tf: sp.csr_matrix
    tokens: list[str]
    token_docs: np.ndarray

    def head(self, n: int) -> TermCounts:
        """The counts of the first ``n`` documents."""
        if n >= len(self.refs):
            return self
        rows = n * len(self.fields)
        tf = self.tf[:rows]
        used = int(tf.indices.max()) + 1 if tf.nnz else 0  # (numbered as they first occur)
        tf = sp.csr_matrix((tf.data, tf.indices, tf.indptr), shape=(rows, used))
        seen = int(np.searchsorted(self.token_docs, n))  # (first seen in order)
        return TermCounts(
            self.fields, self.refs[:n], self.terms[:used], tf, self.tokens[:seen], self.token_docs[:seen]
        )


def _count_terms(
    documents: Iterable[Mapping[str, Any]],
    names: list[str],
    pipeline: Pipeline,
    ref: str,
    start: TermCounts | None,
) -> TermCounts:
    """The term counts of ``documents``, after those of ``start`` (see ``TermCounts``)."""
    n_fields = len(names)
    variant_of = _variants(pipeline, names)
    if start is not None and (start.fields != names or any(variant_of)):
        raise ValueError("counts of other fields, or of a pipeline that skips fields, cannot be started from")
    known_refs = start.refs if start is not None else []
    refs, key_ids, occurrence_keys, segment_sizes = _read_tokens(
        documents, ref, names, variant_of, seen=set(known_refs)
    )

    # Each distinct token through the pipeline once; terms are numbered as they first appear.
    keys_of_variant: dict[int, list[str]] = {}
    for key in key_ids:
        variant, text = (0, key) if isinstance(key, str) else key
        keys_of_variant.setdefault(variant, []).append(text)
    terms_of_variant = {
        variant: iter(_run_pipeline(_functions(pipeline, names[variant_of.index(variant)]), texts))
        for variant, texts in keys_of_variant.items()
    }
    term_ids = _Numbering()
    if start is not None:
        term_ids.update((term, number) for number, term in enumerate(start.terms))
    key_term_counts = np.zeros(len(key_ids), dtype=np.int64)
    key_terms: list[int] = []
    for key_id, key in enumerate(key_ids):
        terms = next(terms_of_variant[0 if isinstance(key, str) else key[0]])
        key_term_counts[key_id] = len(terms)
        key_terms.extend(map(term_ids.__getitem__, terms))

    n_docs = len(refs)
    n_segments = n_docs * n_fields
    n_terms = len(term_ids)
    occurrence_segments = np.repeat(np.arange(n_segments, dtype=np.int64), segment_sizes)
    # The document each token was first seen in (keys are numbered as they are first seen, so
    # a key's first occurrence is where the running maximum of the keys grows).
    running = np.maximum.accumulate(occurrence_keys) if len(occurrence_keys) else occurrence_keys
    first_seen = np.flatnonzero(np.r_[True, running[1:] > running[:-1]]) if len(running) else running
    first_docs = occurrence_segments[first_seen] // n_fields + len(known_refs)
    if start is not None:
        known_tokens = set(start.tokens)
        keys = list(key_ids)
        fresh = [i for i, key in enumerate(keys) if key not in known_tokens]
        tokens = [*start.tokens, *(keys[i] for i in fresh)]
        token_docs = np.concatenate([start.token_docs, first_docs[fresh]])
    else:
        # (a token of fields with another pipeline is listed once; their first documents are
        # kept only where all fields have one: the counts can be started from only then)
        tokens = list(dict.fromkeys(chain.from_iterable(keys_of_variant.values())))
        token_docs = first_docs if not any(variant_of) else np.zeros(0, dtype=np.int64)
    del key_ids
    if key_term_counts.max(initial=0) <= 1:
        # Every token became one term or none (a stop word): the usual pipeline.
        term_of_key = np.full(len(key_term_counts), -1, dtype=np.int64)
        term_of_key[key_term_counts == 1] = key_terms
        term_of = term_of_key[occurrence_keys]
        kept = term_of >= 0
        term_of, term_segments = term_of[kept], occurrence_segments[kept]
    else:
        # Some token became several terms: repeat each occurrence once per term it became.
        per_occurrence = key_term_counts[occurrence_keys]
        key_starts = np.cumsum(key_term_counts) - key_term_counts
        term_segments = np.repeat(occurrence_segments, per_occurrence)
        firsts = np.repeat(np.cumsum(per_occurrence) - per_occurrence, per_occurrence)
        within = np.arange(len(term_segments), dtype=np.int64) - firsts
        term_of = np.asarray(key_terms, dtype=np.int64)[
            np.repeat(key_starts[occurrence_keys], per_occurrence) + within
        ]
    del occurrence_keys, occurrence_segments

    # Term frequencies: one row per (document, field), one column per term number.
    tf = sp.csr_matrix(
        (np.ones(len(term_of), dtype=np.float64), (term_segments, term_of)), shape=(n_segments, n_terms)
    )
    tf.sum_duplicates()
    tf.sort_indices()
    if start is not None:
        known = sp.csr_matrix(
            (start.tf.data, start.tf.indices, start.tf.indptr), shape=(start.tf.shape[0], n_terms)
        )
        tf = sp.vstack([known, tf], format="csr")
    return TermCounts(list(names), [*known_refs, *refs], list(term_ids), tf, tokens, token_docs)


def _score(
    counts: TermCounts,
    fields: Sequence[tuple[str, float]],
    search_pipeline: Pipeline,
    boosts: Sequence[float] | None,
    k1: float,
    b: float,
) -> TermScores:
    """BM25 of every count (``TermCounts``), as lunr.py's builder computes it."""
    names, refs, tf = counts.fields, counts.refs, counts.tf
    n_fields, n_docs, n_terms = len(names), len(refs), len(counts.terms)
    n_segments = n_docs * n_fields
    field_lengths = (
        np.rint(np.asarray(tf.sum(axis=1)).ravel()).astype(np.int64)
        if n_segments
        else np.zeros(0, dtype=np.int64)
    )

    # lunr.py: accumulator[field] (an int) / documents_with_field[field] (every document has every field)
    totals = field_lengths.reshape(n_docs, n_fields).sum(axis=0).tolist() if n_docs else [0] * n_fields
    average_length = np.array([total / n_docs if n_docs else 0.0 for total in totals], dtype=np.float64)
    document_frequency = np.bincount(tf.indices, minlength=n_terms)
    distinct, inverse = np.unique(document_frequency, return_inverse=True)
    idf_of_df = [math.log(1 + abs((n_docs - df + 0.5) / (df + 0.5))) for df in distinct.tolist()]
    idf = np.asarray(idf_of_df, dtype=np.float64)[inverse.reshape(-1)] if n_terms else np.zeros(0)

    rows = np.repeat(np.arange(n_segments, dtype=np.int64), np.diff(tf.indptr))
    field_index = rows % n_fields if n_fields else rows
    freq = tf.data
    # The same operations in the same order as lunr.py's builder, so every float is bit for bit its own.
    length_ratio = field_lengths[rows].astype(np.float64) / average_length[field_index]
    denominator = k1 * ((1 - b) + b * length_ratio) + freq
    score = idf[tf.indices] * ((k1 + 1) * freq) / denominator
    score = score * np.asarray([boost for _, boost in fields], dtype=np.float64)[field_index]
    if boosts is not None:
        if len(boosts) != n_docs:
            raise ValueError(f"{len(boosts)} document boosts for {n_docs} documents")
        score = score * np.asarray(boosts, dtype=np.float64)[rows // n_fields]
    return TermScores(
        version=__TARGET_JS_VERSION__,
        fields=list(names),
        refs=refs,
        terms=counts.terms,
        scores=sp.csr_matrix((_round3(score), tf.indices, tf.indptr), shape=tf.shape),
        search_pipeline=search_pipeline.serialize(),
        tokens=counts.tokens,
        counts=counts,
    )


def term_scores(
    documents: Iterable[Mapping[str, Any]],
    fields: Sequence[tuple[str, float]],
    pipeline: Pipeline,
    search_pipeline: Pipeline,
    *,
    ref: str = "ref",
    boosts: Sequence[float] | None = None,
    k1: float = K1,
    b: float = B,
    start: TermCounts | None = None,
) -> TermScores:
    """The index of ``documents`` as arrays (``TermScores``); ``.serialize()`` is what lunr.py's
    builder would serialize. The arguments are ``serialize_index``'s; ``start``: the counts of
    the documents before these (see ``TermCounts``): the index is of those and these."""
    names = [name for name, _ in fields]
    if len(set(names)) != len(names):
        raise ValueError(f"fields declared twice: {names}")
    for name in names:
        if "/" in name:
            raise ValueError(f"field {name!r} contains illegal character '/'")
    with _no_gc():
        counts = _count_terms(documents, names, pipeline, ref, start)
        return _score(counts, fields, search_pipeline, boosts, k1, b)


def serialize_index(
    documents: Iterable[Mapping[str, Any]],
    fields: Sequence[tuple[str, float]],
    pipeline: Pipeline,
    search_pipeline: Pipeline,
    *,
    ref: str = "ref",
    boosts: Sequence[float] | None = None,
    k1: float = K1,
    b: float = B,
) -> dict[str, Any]:
    """The serialized Lunr index of ``documents``: what lunr.py's builder would serialize.

    ``fields`` are ``(name, boost)`` in the order the builder declares them; ``pipeline`` is the
    indexing pipeline, ``search_pipeline`` the one the index names for queries; ``ref`` the key of
    each document's ref; ``boosts`` optional document boosts, one per document (lunr's
    ``add(doc, {"boost": ...})``). A missing field is indexed as empty, like ``None``.

    Unlike lunr.py's builder, two documents with the same ref are refused (ValueError) rather than
    merged into one, and no documents make an empty index rather than a ZeroDivisionError.
    """
    return term_scores(
        documents, fields, pipeline, search_pipeline, ref=ref, boosts=boosts, k1=k1, b=b
    ).serialize()


def serialize_with(builder: Builder, documents: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The serialized index ``builder`` would make of ``documents``, written by ``serialize_index``.

    Everything but the documents comes from the lunr.py builder: fields and boosts, ref, both
    pipelines, ``k1`` and ``b``; so a caller swaps ``add`` + ``build().serialize()`` for this call and
    keeps its configuration in one place. The builder is not changed (and must have no documents).
    """
    return scores_with(builder, documents).serialize()


def scores_with(
    builder: Builder, documents: Iterable[Mapping[str, Any]], start: TermCounts | None = None
) -> TermScores:
    """``serialize_with``'s index as arrays (``TermScores``): what ``.serialize()`` makes the dict
    of; ``start``: see ``term_scores``."""
    if builder.document_count:
        raise ValueError("the builder already has documents: they would not be in the written index")
    if builder.metadata_whitelist:
        raise ValueError(f"metadata is not written (whitelist: {builder.metadata_whitelist})")
    if any(field.extractor is not None for field in builder._fields.values()):
        raise ValueError("field extractors are not supported: pass the extracted values in the documents")
    return term_scores(
        documents,
        [(name, field.boost) for name, field in builder._fields.items()],
        builder.pipeline,
        builder.search_pipeline,
        ref=builder._ref,
        k1=builder._k1,
        b=builder._b,
        start=start,
    )


def reference_index(builder: Builder, documents: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The same index made by lunr.py itself (about 17 times slower): the reference of the tests.

    Adds ``documents`` to ``builder``, which is then spent.
    """
    for doc in documents:
        builder.add(doc)
    return builder.build().serialize()
