"""Search data: a Lunr index built here, split by term into shards, queried in the browser with lunr.js 2.3.9.

The whole index is built once (``index_scores``, the only call to the index builder), as arrays
whose ``serialize()`` is exactly what ``lunr.Index.serialize`` makes (``build_index``); the shards
are cut from those arrays, so they hold the same numbers as the single index and lunr.js ranks the
same way from them. Files written under
``data/search/`` (deterministic JSON, sorted keys):

``manifest.json``
    ``format``, ``lunr`` (version), ``pipeline`` (the search pipeline's labels), ``fields``,
    ``papers`` (how many; refs are their positions), ``shards`` (``[[boundary, file], ...]``),
    ``store`` (papers per store file), ``minPrefix`` (letters from which the word being typed is
    matched as a prefix) and ``facets`` (file per filter). Shard *i* holds every term
    ``t`` with ``boundary[i] <= t < boundary[i + 1]`` (code point order); a boundary is the shortest
    prefix of the shard's first term that sorts after the previous shard's last term.
``terms/<n>.json``
    One shard: ``{"d": divisor, "t": [[term, index, postings of field 0, ...]], "w": [[word, stem]],
    "top": {prefix: [term, ...]}}``. A field's postings are flat ``[position delta, score * d, ...]``,
    positions ascending; ``index`` is the term's ``_index`` in the single index. From the postings the
    browser rebuilds both the inverted index entries and the field vectors' elements for these terms:
    lunr.js scores a document by the dot product of the query vector with the document's field
    vectors, divided by the query's norm only, so the entries for the query's terms are all a score
    needs, and an index assembled from the shards of those terms scores exactly like the single one.
    ``w`` maps the folded words of this shard's range to their stems where the stemmer changed them
    (``reinforcement`` -> ``reinforc``), so a word being typed matches every word that begins with it.
    ``top`` gives, for a prefix whose terms run over several shards, its most frequent completions.
``store/<k>.json``
    What a result shows, for papers ``k * STORE_CHUNK`` up to the next chunk: by ref, ``title``,
    ``url`` (site-relative), ``date`` (``YYYY-MM-DD`` or null), ``theme`` (label or null),
    ``abstract`` (its first ``ABSTRACT_CHARS``, for the snippet around the matched words). Fetched
    only for the results on screen.
``facets/<name>.json``
    ``theme``, ``organization``, ``year``: ``[[label, [position delta, ...]], ...]``, fetched only
    when the reader opens the filters.

Normalization is shared with the browser: the functions registered here under ``FOLD_LABEL``,
``TRIM_LABEL`` and ``STEM_LABEL`` are registered under the same labels by
``templates/static/search-engine.js``, and the index names them in its search pipeline, so a query is
folded, trimmed and stemmed exactly like the text was. The stemmer is lunr.js's own, ported
(``lunr_stemmer.py``), because lunr.py's differs from it; before it, a possessive ``'s`` is dropped.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from contextvars import ContextVar
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp
from lunr import __TARGET_JS_VERSION__ as LUNR_JS_VERSION
from lunr.builder import Builder
from lunr.pipeline import Pipeline
from lunr.stop_word_filter import WORDS as STOP_WORDS
from lunr.stop_word_filter import stop_word_filter
from lunr.token import Token

from .lunr_index import TermCounts, TermScores, scores_with
from .lunr_stemmer import porter_stem
from .models import Paper
from .render import dump_json
from .stages import using
from .text import single_spaced

FORMAT = 2
"""Version of the manifest's shape; bump it when the UI must change to read the files."""
FOLD_LABEL = "sitegenFold"
TRIM_LABEL = "sitegenTrimmer"
STEM_LABEL = "sitegenStemmer"
TITLE_BOOST = 10
FIELDS = ("title", "abstract", "organization", "theme")
PREFIX = "data/search/"
SHARD_BYTES = 24_000
"""Target size of a term shard (raw JSON); a term whose postings alone are larger has a shard of its own."""
STORE_CHUNK = 4
"""Papers per store file: a result list on screen fetches a few small files, not the whole store."""
TOP_COMPLETIONS = 6
"""Completions kept for a typed prefix whose terms run over several shards (most frequent first)."""
MIN_PREFIX = 2
"""A word being typed is matched as a prefix from this many letters on (search-engine.js has the same)."""
MAX_WORD = 100
"""Longer tokens are not words (no real one comes close): they are left out of the index and queries."""
FACETS = ("theme", "organization", "year")
"""The filters, each a file of its own (``facets/<name>.json``)."""
ABSTRACT_CHARS = 3000
"""The store keeps this much of an abstract, enough for a snippet around the matched words."""

# Letters that Unicode decomposition leaves alone but a reader types without the stroke or ligature.
# search-engine.js has the same table (FOLD_EXTRA); tests/test_search.py checks both give the same output.
_FOLD_EXTRA = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)
# What lunr.js's tokenizer splits on (/[\s\-]+/, JavaScript's \s); lunr.py splits on fewer spaces,
# so text is normalized to plain spaces first and both cut words at the same places.
_JS_SPACES = re.compile("[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+")
# A possessive: LLM's, model’s (the apostrophe as typed, as typeset, or as a modifier letter).
_POSSESSIVES = ("'s", "\u2019s", "\u02bcs")


def fold_text(text: str) -> str:
    """Lower-case ``text`` and remove diacritics: ``TÜLU`` -> ``tulu``, ``ﬁne`` -> ``fine``."""
    if text.isascii():  # nothing to decompose or fold (most words): a hundred times faster
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.category(ch).startswith("M"))
    return stripped.translate(_FOLD_EXTRA)


def trim_text(text: str) -> str:
    """Strip punctuation at both ends of a word: ``(DMD),`` -> ``DMD``; a token over ``MAX_WORD`` is dropped.

    A plain scan from each end: the regular expression it replaces (``^[\\W_]+|[\\W_]+$``) re-scanned
    a run of punctuation from every position in it, quadratic on a token like ``x!!!…!x``.
    """
    if len(text) > MAX_WORD:
        return ""
    start, end = 0, len(text)
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return text[start:end]


@functools.lru_cache(maxsize=1 << 16)
def stem_word(word: str) -> str:
    """What the index stores for a folded, trimmed word: possessive dropped, then lunr.js's Porter stem."""
    if word.endswith(_POSSESSIVES) and len(word) > 2:
        word = trim_text(word[:-2])
    return porter_stem(word) if word else ""


def fold(token: Token, i: int | None = None, tokens: list[Token] | None = None) -> Token:
    """Lunr pipeline function: fold diacritics (see ``fold_text``)."""
    return token.update(lambda s, metadata=None: fold_text(s))


def trim(token: Token, i: int | None = None, tokens: list[Token] | None = None) -> Token | None:
    """Lunr pipeline function: trim punctuation (see ``trim_text``); drops tokens left empty."""
    token.update(lambda s, metadata=None: trim_text(s))
    return token if str(token) else None


def stem(token: Token, i: int | None = None, tokens: list[Token] | None = None) -> Token | None:
    """Lunr pipeline function: drop a possessive and stem (see ``stem_word``); drops tokens left empty."""
    token.update(lambda s, metadata=None: stem_word(s))
    return token if str(token) else None


Pipeline.register_function(fold, FOLD_LABEL)
Pipeline.register_function(trim, TRIM_LABEL)
Pipeline.register_function(stem, STEM_LABEL)


def ref(position: int) -> str:
    """A document ref: the position in the index, in base 36 (short: refs repeat all over an index)."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        position, rest = divmod(position, 36)
        out = digits[rest] + out
        if position == 0:
            return out


def organization_text(paper: Paper) -> str:
    """What the organization field indexes: the display name, and the hub id when it differs."""
    org = paper.organization
    if org is None:
        return ""
    return org.name if org.name.casefold() == org.id.casefold() else f"{org.name} {org.id}"


def document(paper: Paper, position: int) -> dict[str, str]:
    """The fields of one paper as lunr indexes them."""
    fields = {
        "title": paper.title,
        "abstract": paper.abstract,
        "organization": organization_text(paper),
        "theme": paper.theme.label if paper.theme else "",
    }
    return {"ref": ref(position)} | {name: js_spaces(text) for name, text in fields.items()}


def js_spaces(text: str) -> str:
    """``text`` with each run of what JavaScript calls a space as one plain space. Most texts have
    only single plain spaces (printable ASCII, no two in a row): they are returned as they are."""
    if single_spaced(text):
        return text
    return _JS_SPACES.sub(" ", text)


def paper_date(paper: Paper) -> str | None:
    """The date a result shows: publication, else the first edition's."""
    date = paper.published or paper.first_seen
    return date.isoformat() if date else None


def store_record(paper: Paper) -> dict[str, str | None]:
    """What a search result shows for ``paper`` (the snippet is cut around the matched words in the browser)."""
    return {
        "title": paper.title,
        "url": paper.url,
        "date": paper_date(paper),
        "theme": paper.theme.label if paper.theme else None,
        "abstract": paper.abstract[:ABSTRACT_CHARS],
    }


def new_builder() -> Builder:
    """A lunr builder with sitegen's pipelines and fields (no documents yet)."""
    builder = Builder()
    builder.pipeline.add(fold, trim, stop_word_filter, stem)
    # The search pipeline is what gets serialized and what lunr.js runs on query terms.
    builder.search_pipeline.add(fold, trim, stem)
    builder.ref("ref")
    for name in FIELDS:
        builder.field(name, boost=TITLE_BOOST if name == "title" else 1)
    return builder


def search_order(papers: Sequence[Paper]) -> list[Paper]:
    """The papers in index order: oldest first, so that old papers keep their refs (and store files)."""
    return list(reversed(papers))  # Site.papers is newest first


def index_scores(documents: Sequence[dict[str, str]], start: TermCounts | None = None) -> TermScores:
    """The single Lunr index of ``documents`` as arrays: the one place the index is built.

    The shards are cut from these arrays, and ``build_index`` is their ``serialize()``: what
    lunr.py's builder would make (``lunr_index.reference_index``), written much faster. ``start``:
    the term counts of the documents before these (``lunr_index.TermCounts``).
    """
    return scores_with(new_builder(), documents, start)


class CountStore(Protocol):
    """Where the term counts of a build's index are kept for the next one (``sitegen/cache.py``):
    with the digest of each paper's fields (``field_digests``), in index order."""

    def get(self) -> tuple[list[bytes], TermCounts] | None: ...

    def put(self, digests: list[bytes], counts: TermCounts) -> None: ...


_COUNTS: ContextVar[CountStore | None] = ContextVar("counts", default=None)


def keeping_counts(store: CountStore) -> AbstractContextManager[None]:
    """Within the block, the index starts from the term counts of the last build's papers where
    the papers begin with them (the oldest first: a new dump's papers come last), and keeps its
    own in ``store``: only the other papers are cut into words. The same index, exactly."""
    return using(_COUNTS, store)


def field_digests(papers: Sequence[Paper]) -> list[bytes]:
    """A digest of what each paper's document (``document``) is made of, but its ref."""
    out = []
    for paper in papers:
        h = hashlib.blake2b(digest_size=16)
        for text in (
            paper.title,
            paper.abstract,
            organization_text(paper),
            paper.theme.label if paper.theme else "",
        ):
            data = text.encode("utf-8", "surrogatepass")
            h.update(len(data).to_bytes(8, "little"))
            h.update(data)
        out.append(h.digest())
    return out


def build_index(documents: Sequence[dict[str, str]]) -> dict[str, Any]:
    """The single Lunr index of ``documents``, serialized (what ``lunr.Index.load`` takes): the
    index the shards, assembled (``assemble``), are equal to."""
    return index_scores(documents).serialize()


def word_stems(tokens: Iterable[str]) -> dict[str, str]:
    """Every indexed word that the stemmer changes, folded and trimmed, with its stem; ``tokens``:
    the distinct tokens the index was cut into (``TermScores.tokens``).

    What the browser needs to match a half-typed ``reinforcem`` to ``reinforcement``, stored as
    ``reinforc``: a prefix of the word, but not of its stem.
    """
    out: dict[str, str] = {}
    for token in tokens:
        word = trim_text(fold_text(token))
        if not word or word in STOP_WORDS or word in out:
            continue
        stemmed = stem_word(word)
        if stemmed and stemmed != word:
            out[word] = stemmed
    return out


# ---- shards -------------------------------------------------------------------------------------


def _boundary(previous: str, first: str) -> str:
    """The shortest prefix of ``first`` that sorts after ``previous``."""
    for n in range(1, len(first) + 1):
        if first[:n] > previous:
            return first[:n]
    return first


class _Postings:
    """Every (term, field, paper, score) of an index, from its arrays (``TermScores``), sorted by
    the term's rank (``rank``: each term number's place in the terms' sorted order), field and
    paper position (no Python loop per posting): the postings of consecutive terms, as a shard
    holds them, are one slice."""

    def __init__(self, index: TermScores, rank: np.ndarray) -> None:
        self.n_fields = n_fields = len(index.fields)
        position_of = np.fromiter((int(r, 36) for r in index.refs), dtype=np.int64, count=len(index.refs))
        # Arrays only, each freed once used: at 20,000 papers there are millions of postings, and
        # the index is built in a worker beside the rest of the build.
        if bool(np.all(np.diff(position_of) > 0)):
            term, field, position, self.score, self.df = _by_term(index.scores, rank, n_fields, position_of)
        else:  # (refs out of order: sorted by position too)
            term, field, position, self.score, self.df = _sorted(index.scores, rank, n_fields, position_of)
        self.key = term * n_fields + field
        del term, field
        # What the shards are written from: each posting's position less the one before it in its
        # (term, field) list, and its score times 1000. Arrays, made Python numbers a shard at a
        # time (as lists of every posting they took 300 MB at 20,000 papers).
        first = np.ones(len(self.key), dtype=bool)
        first[1:] = self.key[1:] != self.key[:-1]
        position[~first] -= position[np.flatnonzero(~first) - 1]  # (the right side is a copy)
        self.deltas = position
        self.thousandths = np.round(self.score * 1000).astype(np.int64)

    def spans(self, terms: Sequence[int]) -> list[list[tuple[int, int]]]:
        """For each term (rank), per field, where its postings are: (low, high)."""
        keys = np.repeat(np.asarray(terms, dtype=np.int64) * self.n_fields, self.n_fields)
        keys += np.tile(np.arange(self.n_fields), len(terms))
        lows = np.searchsorted(self.key, keys).tolist()
        highs = np.searchsorted(self.key, keys, side="right").tolist()
        pairs = list(zip(lows, highs, strict=True))
        return [pairs[k : k + self.n_fields] for k in range(0, len(pairs), self.n_fields)]

    def papers(self, term: int) -> int:
        """In how many papers the term of rank ``term`` is (any field)."""
        return int(self.df[term]) if term < len(self.df) else 0

    def encoder(self, low: int, high: int, scale: int) -> Callable[[int, int], list[float | int]]:
        """For postings within ``low:high`` (a shard's), a function giving postings ``a:b`` as
        [position delta, score, ...]; scores times ``scale``, as integers when that is 1000 (see
        ``exact_scale``). The slice is made Python numbers once, not once per term and field."""
        deltas = self.deltas[low:high].tolist()
        values = (self.thousandths if scale == 1000 else self.score)[low:high].tolist()

        def encode(a: int, b: int) -> list[float | int]:
            flat: list[float | int] = [0] * (2 * (b - a))
            flat[0::2] = deltas[a - low : b - low]
            flat[1::2] = values[a - low : b - low]
            return flat

        return encode


#: Postings as arrays sorted by term rank, field and position: (rank, field, position, score),
#: and in how many papers each rank's term is.
_Sorted = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _by_term(scores: sp.csr_matrix, rank: np.ndarray, n_fields: int, position_of: np.ndarray) -> _Sorted:
    """``_sorted`` where the documents' positions increase with their rows (the index's own
    order): each field's (document x term rank) matrix turned by columns (a counting sort), its
    entries placed by (rank, field); no comparison sort of millions of postings."""
    n_docs, n_terms = len(position_of), len(rank)
    by_field = []
    for f in range(n_fields):
        rows = scores[f::n_fields]
        by_field.append(
            sp.csr_matrix((rows.data, rank[rows.indices], rows.indptr), shape=(n_docs, n_terms)).tocsc()
        )
    counts = np.stack([np.diff(m.indptr) for m in by_field], axis=1) if by_field else np.zeros((n_terms, 0))
    starts = (np.cumsum(counts.ravel()) - counts.ravel()).reshape(counts.shape)
    total = int(counts.sum())
    term, field = np.empty(total, dtype=np.int64), np.empty(total, dtype=np.int64)
    doc, score = np.empty(total, dtype=np.int64), np.empty(total, dtype=np.float64)
    for f, m in enumerate(by_field):
        column = np.repeat(np.arange(n_terms, dtype=np.int64), np.diff(m.indptr))
        at = starts[column, f] + (np.arange(m.nnz, dtype=np.int64) - m.indptr[column])
        term[at], field[at], doc[at], score[at] = column, f, m.indices, m.data
    # Papers of each term: a (paper, term) pair once, whatever fields it is in.
    present = sp.csr_matrix((np.ones(total), (doc, term)), shape=(n_docs, n_terms))
    present.sum_duplicates()
    df = np.bincount(present.indices, minlength=n_terms)
    return term, field, position_of[doc], score, df


def _sorted(scores: sp.csr_matrix, rank: np.ndarray, n_fields: int, position_of: np.ndarray) -> _Sorted:
    """The postings of ``scores`` (rows: (document, field); columns: term numbers, whose ranks
    are ``rank``) sorted by rank, field and the documents' positions (``position_of``)."""
    rows = np.repeat(np.arange(scores.shape[0], dtype=np.int64), np.diff(scores.indptr))
    field = rows % n_fields
    position = position_of[rows // n_fields]
    del rows
    term = rank[scores.indices]
    order = np.lexsort((position, field, term))
    term, field, position = term[order], field[order], position[order]
    score = scores.data[order]
    del order
    papers = int(position.max(initial=0)) + 1
    pairs_sorted = np.sort(term * papers + position)
    distinct = np.ones(len(pairs_sorted), dtype=bool)
    distinct[1:] = pairs_sorted[1:] != pairs_sorted[:-1]
    df = np.bincount(pairs_sorted[distinct] // papers, minlength=len(rank))
    return term, field, position, score, df


def exact_scale(scores: np.ndarray) -> int:
    """1000 when every score is a multiple of 0.001 that survives ``k / 1000`` (lunr rounds them so)."""
    return 1000 if bool(np.all(np.round(scores * 1000) / 1000 == scores)) else 1


def _completions(
    prefix: str, terms: list[str], df: dict[str, int], words: list[str], stems: dict[str, str]
) -> list[str]:
    """The most frequent terms a word beginning with ``prefix`` can stand for."""
    found = set(terms[bisect.bisect_left(terms, prefix) : bisect.bisect_left(terms, prefix + "\U0010ffff")])
    for word in words[bisect.bisect_left(words, prefix) : bisect.bisect_left(words, prefix + "\U0010ffff")]:
        if stems[word] in df:
            found.add(stems[word])
    return sorted(found, key=lambda t: (-df[t], t))[:TOP_COMPLETIONS]


def shard_index(
    index: TermScores, stems: dict[str, str], shard_bytes: int = SHARD_BYTES
) -> tuple[list[list[str]], list[dict[str, Any]]]:
    """Cut an index into term shards: (``[[boundary, ...]]`` per shard, shard bodies).

    Terms stay in the index's sorted order and each term's postings stay whole in one shard; a shard
    closes once it reaches ``shard_bytes``, so very common terms (a posting per paper) end up alone.
    """
    indexes = index.sorted_terms()
    rank = np.empty(len(indexes), dtype=np.int64)
    rank[indexes] = np.arange(len(indexes))
    postings = _Postings(index, rank)
    terms = [index.terms[number] for number in indexes]
    entries: list[list[Any]] = []
    df: dict[str, int] = {}
    for place, (term, number, spans) in enumerate(
        zip(terms, indexes, postings.spans(range(len(indexes))), strict=True)
    ):
        df[term] = postings.papers(place)
        entries.append([term, number, spans])
    groups: list[list[list[Any]]] = []
    sizes: list[int] = []
    for entry in entries:
        cost = len(entry[0]) + 12 + sum(8 * (high - low) for low, high in entry[2])
        if groups and sizes[-1] + cost <= shard_bytes * 1.5 and sizes[-1] < shard_bytes:
            groups[-1].append(entry)
            sizes[-1] += cost
        elif len(groups) > 1 and sizes[-1] < shard_bytes / 4 and sizes[-2] + sizes[-1] <= 2 * shard_bytes:
            # a short run of terms cut off by a very common one: it joins the shard before it.
            # (Popped first: in ``groups[-2] += groups.pop()`` the index is read before the pop.)
            run, run_size = groups.pop(), sizes.pop()
            groups[-1].extend(run)
            sizes[-1] += run_size
            groups.append([entry])
            sizes.append(cost)
        else:
            groups.append([entry])
            sizes.append(cost)
    boundaries = [""] + [_boundary(a[-1][0], b[0][0]) for a, b in zip(groups, groups[1:], strict=False)]
    words = sorted(stems)
    bodies: list[dict[str, Any]] = []
    for n, group in enumerate(groups):
        low, high = boundaries[n], boundaries[n + 1] if n + 1 < len(groups) else None
        # The group's terms are consecutive in rank: their postings are one slice.
        first, last = group[0][2][0][0], group[-1][2][-1][1]
        scale = exact_scale(postings.score[first:last])
        encode = postings.encoder(first, last, scale)
        body: dict[str, Any] = {
            "d": scale,
            "t": [[term, number] + [encode(a, b) for a, b in lists] for term, number, lists in group],
        }
        start = bisect.bisect_left(words, low)
        stop = bisect.bisect_left(words, high) if high is not None else len(words)
        body["w"] = [[w, stems[w]] for w in words[start:stop] if stems[w] in df]
        bodies.append(body)
    # A prefix whose terms run over several shards: its top completions go with the shard holding it.
    top: dict[int, dict[str, list[str]]] = defaultdict(dict)
    for b in boundaries[1:]:
        for n in range(MIN_PREFIX, len(b)):
            prefix = b[:n]
            holder = bisect.bisect_right(boundaries, prefix) - 1
            if prefix not in top[holder]:
                top[holder][prefix] = _completions(prefix, terms, df, words, stems)
    for holder, table in top.items():
        bodies[holder]["top"] = table
    return [[b] for b in boundaries], bodies


def assemble(
    manifest: dict[str, Any], bodies: Sequence[dict[str, Any]], every_document: bool = False
) -> dict[str, Any]:
    """A serialized lunr index made of some shards, as search-engine.js makes it for the tests (lunrSearch).

    Postings are listed in the order of the single index's JSON (refs sorted as strings) and field
    vectors by position, then field, so that lunr.js breaks ties the same way as with the single index.
    ``every_document`` adds the empty field vectors of every paper: a query of only ``-word`` clauses
    returns every document lunr has a field vector for.
    """
    fields = manifest["fields"]
    inverted: list[list[Any]] = []
    vectors: dict[tuple[int, int], list[tuple[int, float]]] = defaultdict(list)
    for body in bodies:
        scale = body["d"]
        for term, index, *lists in body["t"]:
            posting: dict[str, Any] = {"_index": index}
            for n, flat in enumerate(lists):
                position, refs = 0, []
                for k in range(0, len(flat), 2):
                    position += flat[k]
                    score = flat[k + 1] / scale if scale != 1 else flat[k + 1]
                    refs.append(ref(position))
                    vectors[position, n].append((index, score))
                posting[fields[n]] = {r: {} for r in sorted(refs)}
            inverted.append([term, posting])
    inverted.sort(key=lambda entry: entry[0])
    if every_document:
        for position in range(manifest["papers"]):
            for n in range(len(fields)):
                vectors.setdefault((position, n), [])
    field_vectors = []
    for (position, n), elements in sorted(vectors.items()):
        flat_vector: list[float] = []
        for index, score in sorted(elements):
            flat_vector += [index, score]
        field_vectors.append([f"{fields[n]}/{ref(position)}", flat_vector])
    return {
        "version": manifest["lunr"],
        "fields": fields,
        "fieldVectors": field_vectors,
        "invertedIndex": inverted,
        "pipeline": manifest["pipeline"],
    }


# ---- facets and files ---------------------------------------------------------------------------


def _facets(papers: Sequence[Paper]) -> dict[str, list[list[Any]]]:
    """Filter values with the positions of their papers (delta-encoded), most papers first."""
    values: dict[str, dict[str, list[int]]] = {name: {} for name in FACETS}
    for position, paper in enumerate(papers):
        if paper.theme:
            values["theme"].setdefault(paper.theme.label, []).append(position)
        if paper.organization:
            values["organization"].setdefault(paper.organization.name, []).append(position)
        date = paper_date(paper)
        if date:
            values["year"].setdefault(date[:4], []).append(position)
    out: dict[str, list[list[Any]]] = {}
    for name, by_label in values.items():
        if name == "year":
            order = sorted(by_label, reverse=True)
        else:
            order = sorted(by_label, key=lambda label: (-len(by_label[label]), label))
        out[name] = [
            [label, [p - q for p, q in zip(by_label[label], [0] + by_label[label], strict=False)]]
            for label in order
        ]
    return out


def search_files(papers: Sequence[Paper], shard_bytes: int = SHARD_BYTES) -> dict[str, bytes]:
    """Every search data file, by site-relative path: manifest, term shards, store chunks, facets."""
    return {**index_files(papers, shard_bytes), **store_files(papers)}


def index_files(papers: Sequence[Paper], shard_bytes: int = SHARD_BYTES) -> dict[str, bytes]:
    """The manifest and the term shards (``search_files`` less ``store_files``: the two are made
    in different processes of a large build)."""
    ordered = search_order(papers)
    files: dict[str, bytes] = {}
    pipeline = new_builder().search_pipeline.serialize()
    shards: list[list[str]] = []
    if ordered:  # lunr cannot build an empty index; a site with no papers has no shards
        store = _COUNTS.get()
        digests = field_digests(ordered) if store is not None else []
        known = store.get() if store is not None else None
        first = 0
        if known is not None:
            while first < min(len(digests), len(known[0])) and digests[first] == known[0][first]:
                first += 1
        start = known[1].head(first) if known is not None and first else None
        index = index_scores([document(ordered[n], n) for n in range(first, len(ordered))], start)
        if store is not None and index.counts is not None:
            store.put(digests, index.counts)
        pipeline = index.search_pipeline
        boundaries, bodies = shard_index(index, word_stems(index.tokens), shard_bytes)
        for n, (entry, body) in enumerate(zip(boundaries, bodies, strict=True)):
            name = f"terms/{n}.json"
            files[PREFIX + name] = dump_json(body)
            shards.append([entry[0], name])
    manifest = {
        "format": FORMAT,
        "lunr": LUNR_JS_VERSION,
        "pipeline": pipeline,
        "fields": list(FIELDS),
        "papers": len(ordered),
        "shards": shards,
        "store": STORE_CHUNK,
        "minPrefix": MIN_PREFIX,
        "facets": {name: f"facets/{name}.json" for name in FACETS},
    }
    files[f"{PREFIX}manifest.json"] = dump_json(manifest)
    return files


def store_files(papers: Sequence[Paper]) -> dict[str, bytes]:
    """The store chunks and the facets."""
    ordered = search_order(papers)
    files: dict[str, bytes] = {}
    for k in range(0, len(ordered), STORE_CHUNK):
        chunk = {ref(n): store_record(ordered[n]) for n in range(k, min(k + STORE_CHUNK, len(ordered)))}
        files[f"{PREFIX}store/{k // STORE_CHUNK}.json"] = dump_json(chunk)
    for name, values in _facets(ordered).items():
        files[f"{PREFIX}facets/{name}.json"] = dump_json(values)
    return files
