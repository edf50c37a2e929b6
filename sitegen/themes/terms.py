"""Terms: what a paper's text is reduced to before it is clustered and labelled.

Title and abstract are split into clauses, each into words: lower-case, singular, hyphens
dropped, stop words (scikit-learn's English list plus the generic words every abstract uses) out.
A document's terms are its words and the two-word phrases inside a clause.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ..models import Paper
from ..stages import using

#: scikit-learn's English stop words (``sklearn.feature_extraction.text.ENGLISH_STOP_WORDS``,
#: BSD-3-Clause, from the Glasgow Information Retrieval Group's list), copied so that a build that
#: fits nothing does not import scikit-learn (most of the start of a warm build); a test checks the
#: copy against the library's.
ENGLISH_STOP_WORDS = frozenset(
    """
    a about above across after afterwards again against all almost alone along already also although
    always am among amongst amoungst amount an and another any anyhow anyone anything anyway
    anywhere are around as at back be became because become becomes becoming been before beforehand
    behind being below beside besides between beyond bill both bottom but by call can cannot cant co
    con could couldnt cry de describe detail do done down due during each eg eight either eleven
    else elsewhere empty enough etc even ever every everyone everything everywhere except few
    fifteen fifty fill find fire first five for former formerly forty found four from front full
    further get give go had has hasnt have he hence her here hereafter hereby herein hereupon hers
    herself him himself his how however hundred i ie if in inc indeed interest into is it its itself
    keep last latter latterly least less ltd made many may me meanwhile might mill mine more
    moreover most mostly move much must my myself name namely neither never nevertheless next nine
    no nobody none noone nor not nothing now nowhere of off often on once one only onto or other
    others otherwise our ours ourselves out over own part per perhaps please put rather re same see
    seem seemed seeming seems serious several she should show side since sincere six sixty so some
    somehow someone something sometime sometimes somewhere still such system take ten than that the
    their them themselves then thence there thereafter thereby therefore therein thereupon these
    they thick thin third this those though three through throughout thru thus to together too top
    toward towards twelve twenty two un under until up upon us very via was we well were what
    whatever when whence whenever where whereafter whereas whereby wherein whereupon wherever
    whether which while whither who whoever whole whom whose why will with within without would yet
    you your yours yourself yourselves
    """.split()
)

# Words that every abstract uses whatever it is about. They would otherwise dominate both the
# clusters (papers grouped by writing style) and the labels ("model · results").
GENERIC_WORDS = frozenset(
    """
    model models modeling modelling propose proposed proposes proposing result results method
    methods approach approaches paper papers show shows shown showing performance perform performs
    based using use used uses new novel work works framework frameworks demonstrate demonstrates
    demonstrated achieve achieves achieved achieving significant significantly substantially
    existing state art sota experiment experiments experimental extensive outperform outperforms
    outperforming improve improves improved improving improvement improvements task tasks study
    studies introduce introduces introduced present presents presented effective effectively
    efficient efficiently key various different challenge challenges challenging furthermore
    moreover additionally however specifically particular particularly recent recently prior
    previous including include includes provide provides provided enable enables enabling allow
    allows leverage leverages leveraging address addresses addressing remain remains suggest
    suggests finding findings evaluate evaluated evaluation evaluations analysis analyze analyse
    conduct conducted compared compare comparison baseline baselines benchmark benchmarks dataset
    datasets code available release released github https http com www org io html url et al ie eg e
    g i vs via etc large small simple strong high low better best good higher lower number set sets
    way ways able wide widely range problem problems issue issues question questions setting
    settings despite level levels step steps make makes making like typically often usually commonly
    generally strategy strategies technique techniques mechanism design designed process key
    important crucial potential impact insight insights aim aims goal goals paradigm effectiveness
    efficiency capability capabilities ability abilities generalization robust robustness scalable
    accuracy accurate quality state-of-the-art consistently competitive superior comprehensive
    empirical empirically theoretical theoretically superiority versatile diverse diversity scenario
    scenarios real world practical fundamental limitations limitation limited lack lacks fail fails
    gap gaps open source publicly specific enhance enhanced enhancing enhances need needs identify
    given lead leads require requires required rely relies current additional directly single
    multiple example examples general research application applications obtain obtained yield yields
    effect effects respectively thereby overall instead particular remarkable notably stateoftheart
    largescale wellknown
    """.split()
)
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS | GENERIC_WORDS)

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)


def _without_urls(text: str) -> str:
    """``text`` with its URLs blanked. Most texts have none: a search for the two prefixes in
    the lower-cased text tells, ten times faster than the pattern tried at every position."""
    lower = text.lower()
    return _URL.sub(" ", text) if "http" in lower or "www." in lower else text


# A run of letters and digits, possibly hyphenated ("fine-tuning", "text-to-image"). It must hold
# a letter ("3D" yes, "2025" no); that is checked after the match, since a look-ahead for it
# re-scans every long run of digits, "-" or "_" from each of its positions (quadratic time).
_TOKEN = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_LETTER = re.compile(r"[^\W\d_]")
#: Longer tokens are not words (a run of digits, a hash, a separator line); they are dropped.
MAX_TOKEN = 64
# Two-word phrases are only formed inside a clause, never across punctuation.
_CLAUSE = re.compile(r"[.,;:!?()\[\]{}\"“”]|\s[-–—]\s")
_PHRASE = 1 << 32
# Tokens and clause breaks in one pass: a token is group 1, a break matches with it empty.
_PIECE = re.compile(r"([^\W_]+(?:-[^\W_]+)*)|[.,;:!?()\[\]{}\"“”]|\s[-–—]\s")
# Plural endings that are not plurals.
_KEEP_S = ("ss", "us", "is", "as", "os", "ys")


def singular(word: str) -> str:
    """A light, predictable singularizer ("models" -> "model", "strategies" -> "strategy"), so that
    a label does not list a word and its plural as two terms."""
    if len(word) <= 3 or not word.isalpha() or word.endswith(_KEEP_S):
        return word
    if word.endswith("ies") and len(word) > 4 and word not in ("series", "species"):
        return word[:-3] + "y"
    if word.endswith("s"):
        return word[:-1]
    return word


def words(text: str) -> list[list[tuple[str, str]]]:
    """The clauses of ``text``, each a list of (normalized word, surface form), stop words out.
    The normalized word is lower-case, singular and without hyphens, so that "Pre-training",
    "pretraining" and "pre-trainings" are one term."""
    clauses = []
    for clause in _CLAUSE.split(_without_urls(text)):
        kept = [pair for token in _TOKEN.findall(clause) for pair in _token_words(token)]
        if kept:
            clauses.append(kept)
    return clauses


@functools.lru_cache(maxsize=1 << 17)
def _token_words(token: str) -> tuple[tuple[str, str], ...]:
    """(normalized word, surface form) of one token; cached, since most tokens recur."""
    if len(token) > MAX_TOKEN or not _LETTER.search(token):
        return ()
    # A compound with a stop word in it ("prompt-based", "text-to-image") counts as its other
    # words, so that no term of a label carries a stop word.
    parts = token.split("-")
    if len(parts) > 1 and any(p.lower() in STOP_WORDS for p in parts):
        surfaces = [p for p in parts if p.lower() not in STOP_WORDS]
    else:
        surfaces = [token]
    kept = []
    for surface in surfaces:
        lower = surface.lower()
        norm = singular(lower.replace("-", ""))
        if len(norm) < 2 or lower in STOP_WORDS or norm in STOP_WORDS:
            continue
        kept.append((norm, surface))
    return tuple(kept)


def terms_of(clauses: list[list[tuple[str, str]]]) -> list[str]:
    """Terms of a text split by ``words``: normalized words and two-word phrases."""
    terms: list[str] = []
    for clause in clauses:
        norms = [norm for norm, _ in clause]
        terms.extend(norms)
        terms.extend(f"{a} {b}" for a, b in zip(norms, norms[1:], strict=False) if a != b)
    return terms


def analyze(text: str) -> list[str]:
    """Terms of ``text``: normalized words and two-word phrases."""
    return terms_of(words(text))


@dataclass(slots=True)
class Analysis:
    """The terms of some texts, one row per text; each row depends on its text only, so the
    rows of texts analyzed apart can be put together (``sitegen/cache.py`` keeps them)."""

    counts: sparse.csr_matrix
    """Term counts (texts x ``terms``)."""
    terms: list[str]
    """Every term of the texts, sorted (as scikit-learn's CountVectorizer lists them)."""
    forms: sparse.csr_matrix
    """How often each (normalized word, spelling) of ``spellings`` occurs (texts x spellings)."""
    spellings: list[tuple[str, str]]
    """(normalized word, spelling), sorted."""

    def surfaces(self) -> dict[str, str]:
        """The usual spelling of each word: the most frequent (then the first in code point order)."""
        totals = np.asarray(self.forms.sum(axis=0)).ravel().tolist() if self.forms.shape[0] else []
        best: dict[str, tuple[int, str]] = {}
        for (norm, surface), times in zip(self.spellings, totals, strict=True):
            if times and (norm not in best or times > best[norm][0]):
                best[norm] = (times, surface)
        return {norm: surface for norm, (_, surface) in best.items()}


#: Set by ``reusing``: what ``analyze_all`` calls instead of analyzing every text.
_REUSE: ContextVar[Callable[[Sequence[str]], Analysis] | None] = ContextVar("reuse", default=None)


def reusing(analyzer: Callable[[Sequence[str]], Analysis]) -> AbstractContextManager[None]:
    """Within the block, ``analyze_all`` gets its result from ``analyzer`` (which must return what
    ``analyze_texts`` would: e.g. the rows of texts analyzed before, with the new ones analyzed)."""
    return using(_REUSE, analyzer)


def analyze_all(texts: Sequence[str]) -> tuple[sparse.csr_matrix, list[str], dict[str, str]]:
    """The term counts of every text (documents x terms), the terms (sorted, as scikit-learn's
    CountVectorizer gives them) and the usual spelling of each word: ``terms_of(words(text))``
    of every text, counted, and its words' surface forms, at once."""
    analyzer = _REUSE.get()
    analysis = analyzer(texts) if analyzer is not None else analyze_texts(texts)
    return analysis.counts, analysis.terms, analysis.surfaces()


def analyze_texts(texts: Sequence[str]) -> Analysis:
    """``analyze_all``'s work, row by row (see ``Analysis``).

    A build analyzes every paper, so nothing here runs in Python once per word: the words of a
    distinct token are found once, and words and phrases are counted as integers with numpy (a
    word is its number, a phrase (first word + 1) * 2**32 + second word)."""
    pieces: list[str] = []
    lengths = []
    for text in texts:
        found = _PIECE.findall(_without_urls(text))
        pieces.extend(found)
        pieces.append("")  # a document ends a clause
        lengths.append(len(found) + 1)
    distinct = list(dict.fromkeys(pieces))
    token_id = {token: i for i, token in enumerate(distinct)}
    ids = np.fromiter(map(token_id.__getitem__, pieces), dtype=np.int64, count=len(pieces))
    # Each distinct token's words (a clause break is the word -1).
    norm_ids: dict[str, int] = {}
    words_of = [
        [norm_ids.setdefault(norm, len(norm_ids)) for norm, _ in _token_words(token)] if token else [-1]
        for token in distinct
    ]
    n_words = np.array([len(w) for w in words_of], dtype=np.int64)
    flat = np.array([w for ws in words_of for w in ws], dtype=np.int64)
    offset = np.concatenate([[0], np.cumsum(n_words)[:-1]]).astype(np.int64)
    repeat = n_words[ids]
    ends = np.cumsum(repeat)
    seq = flat[
        np.repeat(offset[ids], repeat)
        + np.arange(ends[-1] if len(ends) else 0)
        - np.repeat(ends - repeat, repeat)
    ]
    doc = np.repeat(np.repeat(np.arange(len(texts)), lengths), repeat)
    first, second = seq[:-1], seq[1:]
    pair = (first >= 0) & (second >= 0) & (first != second)
    word = seq >= 0
    keys = np.concatenate([seq[word], (first[pair] + 1) * _PHRASE + second[pair]])
    key_doc = np.concatenate([doc[word], doc[:-1][pair]])
    unique_keys, term = np.unique(keys, return_inverse=True)
    cell, count = np.unique(key_doc * max(len(unique_keys), 1) + term.ravel(), return_counts=True)
    rows, cols = np.divmod(cell, max(len(unique_keys), 1))
    norms = sorted(norm_ids, key=norm_ids.__getitem__)
    names = [
        norms[k] if k < _PHRASE else f"{norms[k // _PHRASE - 1]} {norms[k % _PHRASE]}"
        for k in unique_keys.tolist()
    ]
    order = sorted(range(len(names)), key=names.__getitem__)
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(names))
    matrix = sparse.csr_matrix((count, (rows, rank[cols])), shape=(len(texts), len(names)))
    matrix.sort_indices()
    # Spellings: each distinct token's (word, spelling) pairs, counted per text.
    form_ids: dict[tuple[str, str], int] = {}
    forms_of = []
    for token in distinct:
        found_forms = []
        for norm, surface in _token_words(token) if token else ():
            # Title Case comes from titles; the lower-case spelling of abstracts reads better.
            if surface[:1].isupper() and surface[1:].islower():
                surface = surface.lower()
            found_forms.append(form_ids.setdefault((norm, surface), len(form_ids)))
        forms_of.append(found_forms)
    piece_doc = np.repeat(np.arange(len(texts)), lengths)
    token_cells, times = np.unique(piece_doc * max(len(distinct), 1) + ids, return_counts=True)
    cell_doc, cell_token = np.divmod(token_cells, max(len(distinct), 1))
    n_forms = np.array([len(f) for f in forms_of], dtype=np.int64)[cell_token]
    form_flat = np.array([f for fs in forms_of for f in fs], dtype=np.int64)
    form_offset = np.concatenate([[0], np.cumsum([len(f) for f in forms_of])[:-1]]).astype(np.int64)
    form_ends = np.cumsum(n_forms)
    form_col = form_flat[
        np.repeat(form_offset[cell_token], n_forms)
        + np.arange(form_ends[-1] if len(form_ends) else 0)
        - np.repeat(form_ends - n_forms, n_forms)
    ]
    spellings = sorted(form_ids)
    form_rank = np.empty(len(spellings), dtype=np.int64)
    form_rank[[form_ids[f] for f in spellings]] = np.arange(len(spellings))
    forms = sparse.csr_matrix(
        (np.repeat(times, n_forms), (np.repeat(cell_doc, n_forms), form_rank[form_col])),
        shape=(len(texts), len(spellings)),
    )
    forms.sum_duplicates()
    forms.sort_indices()
    return Analysis(matrix, [names[i] for i in order], forms, spellings)


def document(paper: Paper) -> str:
    """The text a paper is clustered by. The title counts twice: it is the densest summary."""
    return f"{paper.title}.\n{paper.title}.\n{paper.abstract}"
