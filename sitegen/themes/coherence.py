"""Coherence: does a theme have a subject, or is it a grab-bag of papers left over between subjects?

A reader judges a theme by asking whether its papers share a subject. The measure here asks the
same of the words: is there a *subject term*, one that most of the theme's papers have and that
few papers outside it have? For a theme c and a term t, with ``df_c(t)`` the theme's papers that
have t, ``|c|`` its size and ``df(t)`` all papers that have t, the term's fit is the F1 score of
"has t" as a test for "is in c":

    fit(c, t) = 2 df_c(t) / (|c| + df(t))      (1 when exactly the theme's papers have t)

and the theme's *subject fit* is its best term's. A broad theme still has a broad term that most
of its papers share ("preference" in a theme of alignment papers; its fit stays high however
loosely the papers resemble one another, which is where mean pairwise cosine fails: a broad
theme's papers are far apart in TF-IDF space). A grab-bag has no such term: its best ones are
either rare in it ("answer" in 46 % of its papers) or just as common elsewhere ("loss", found in
a quarter of all papers).

*Spread* terms are no subject terms: a term whose papers are spread over the themes in about the
proportions of all papers ("training", "loss", "text" on the sample) says nothing about any
theme. That is learned from the corpus: the Kullback-Leibler divergence of P(theme | term) from
P(theme), in nats, is below ``SPREAD_KL``. (A grab-bag gathered around such a word concentrates
it a little; the F1 fit still marks it, as the word is as common outside.)

Validated on the sample content (``scripts/theme_stability.py`` prints the fit of every theme):
the themes the issue names as grab-bags fit 0.38-0.40, themes of random papers of the same size
0.2-0.35, every theme a reader calls coherent 0.5 or more.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

#: A term is spread (no subject) when P(theme | term) is this close to P(theme), in nats.
SPREAD_KL = 0.35
#: A theme whose best subject term fits less than this is a grab-bag.
MIN_FIT = 0.5
#: Terms in fewer papers than this are not judged spread (too few to tell).
MIN_SPREAD_DF = 8


def theme_term_counts(present: sparse.csr_matrix, labels: np.ndarray, k: int) -> sparse.csr_matrix:
    """Papers of each theme (rows, 0..k-1) that have each term: ``present`` is documents x terms,
    non-zero where the document has the term."""
    n = present.shape[0]
    binary = present.copy().tocsr()
    binary.data = np.ones_like(binary.data, dtype=float)
    onehot = sparse.csr_matrix((np.ones(n), (labels, np.arange(n))), shape=(k, n))
    out = (onehot @ binary).tocsr()
    out.sort_indices()
    return out


def spread_terms(df_class: sparse.csr_matrix, sizes: np.ndarray) -> np.ndarray:
    """For each term (column of ``df_class``, themes x terms paper counts): whether its papers are
    spread over the themes like all papers are (divergence below ``SPREAD_KL``). Computed on the
    non-zero pairs only."""
    n = sizes.sum()
    df = np.asarray(df_class.sum(axis=0)).ravel()
    coo = df_class.tocoo()
    if n == 0 or coo.nnz == 0:
        return np.zeros(df_class.shape[1], dtype=bool)
    prior = sizes / n
    p = coo.data / np.maximum(df[coo.col], 1)
    kl = np.bincount(coo.col, weights=p * np.log(p / prior[coo.row]), minlength=df_class.shape[1])
    return (df >= MIN_SPREAD_DF) & (kl < SPREAD_KL)


def _per_theme(
    present: sparse.csr_matrix, labels: np.ndarray, k: int
) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray, np.ndarray] | None:
    """Theme x term paper counts, the themes' sizes, the spread terms, and the theme of each
    stored count (row of ``df_class.data``); None where there is nothing to judge (one theme,
    no terms, no papers)."""
    if k < 2 or present.shape[1] == 0 or len(labels) == 0:
        return None
    df_class = theme_term_counts(present, labels, k)
    sizes = np.bincount(labels, minlength=k).astype(float)
    rows = np.repeat(np.arange(k), np.diff(df_class.indptr))
    return df_class, sizes, spread_terms(df_class, sizes), rows


def subject_fit(present: sparse.csr_matrix, labels: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each theme's subject fit (see the module's docstring) and the column of its best term (-1
    where none). Themes of fewer than 3 papers, or a site of one theme, fit 1: nothing to judge."""
    fit, best = np.ones(k), np.full(k, -1)
    parts = _per_theme(present, np.asarray(labels), k)
    if parts is None:
        return fit, best
    df_class, sizes, spread, rows = parts
    df = np.asarray(df_class.sum(axis=0)).ravel()
    cols = df_class.indices
    score = 2 * df_class.data / (sizes[rows] + df[cols])
    score[(df_class.data < 2) | spread[cols]] = 0
    for c in range(k):
        span = slice(df_class.indptr[c], df_class.indptr[c + 1])
        if sizes[c] < 3:
            continue
        if span.stop == span.start:
            fit[c] = 0.0
            continue
        i = span.start + int(np.argmax(score[span]))
        fit[c], best[c] = score[i], cols[i] if score[i] > 0 else -1
    return fit, best


def grab_bags(present: sparse.csr_matrix, labels: np.ndarray, k: int) -> list[int]:
    """The themes (numbers 0..k-1 present in ``labels``) whose subject fit is below ``MIN_FIT``,
    the worst first."""
    fit, _ = subject_fit(present, labels, k)
    found = set(np.asarray(labels).tolist())
    return sorted((c for c in range(k) if c in found and fit[c] < MIN_FIT), key=lambda c: (fit[c], c))


#: A theme is *loose* when no subject term is found in this share of its papers.
MIN_COVER = 0.7


def subject_cover(
    present: sparse.csr_matrix, labels: np.ndarray, k: int, vague: np.ndarray | None = None
) -> np.ndarray:
    return cover_terms(present, labels, k, vague)[0]


def cover_terms(
    present: sparse.csr_matrix, labels: np.ndarray, k: int, vague: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each theme's *cover*: the largest share of its papers that one subject term is found in
    (the reader's test of a theme: is there a subject most of its papers share?). Subject terms
    are those ``subject_fit`` judges (in 2 of the theme's papers or more, not spread), less the
    columns ``vague`` marks (words that name no subject alone, ``labels.VAGUE_WORDS``). Unlike
    the fit, the cover does not ask the term to be rare elsewhere: "preference" covers each of
    several preference themes. Themes of fewer than 3 papers, or a site of one theme, cover 1."""
    cover, best_term = np.ones(k), np.full(k, -1)
    parts = _per_theme(present, np.asarray(labels), k)
    if parts is None:
        return cover, best_term
    df_class, sizes, excluded, rows = parts
    if vague is not None:
        excluded = excluded | vague
    share = df_class.data / np.maximum(sizes[rows], 1)
    share[(df_class.data < 2) | excluded[df_class.indices]] = 0
    best = np.zeros(k)
    np.maximum.at(best, rows, share)
    for c in range(k):
        span = slice(df_class.indptr[c], df_class.indptr[c + 1])
        if span.stop > span.start and best[c] > 0:
            best_term[c] = df_class.indices[span.start + int(np.argmax(share[span]))]
    return np.where(sizes < 3, 1.0, best), best_term


def loose_themes(
    present: sparse.csr_matrix, labels: np.ndarray, k: int, vague: np.ndarray | None = None
) -> list[int]:
    """The themes (numbers 0..k-1 present in ``labels``) whose cover is below ``MIN_COVER``, the
    lowest first (grab-bags, ``grab_bags``, are usually loose too)."""
    cover = subject_cover(present, labels, k, vague)
    found = set(np.asarray(labels).tolist())
    return sorted((c for c in range(k) if c in found and cover[c] < MIN_COVER), key=lambda c: (cover[c], c))
