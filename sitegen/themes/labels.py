"""Labels: name each theme by the terms that are frequent in it and rare in the others.

Class-based TF-IDF (c-TF-IDF, as BERTopic does) ranks each theme's terms; ``pick_terms`` keeps
the best ones that do not repeat each other, a phrase taking the place of the words it contains.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse

from .terms import singular


def class_terms(
    counts: sparse.csr_matrix,
    vocab: Sequence[str],
    labels: np.ndarray,
    n_themes: int,
    surfaces: dict[str, str],
    n_terms: int = 5,
    max_label_df: float = 0.3,
    bound_share: float = 0.9,
) -> list[list[str]]:
    """The ``n_terms`` best terms of each theme, best first, in their usual spelling.

    c-TF-IDF: per theme, term frequency in the theme's concatenated documents times
    log(1 + average words per theme / the term's frequency over all themes). ``counts`` are the
    documents' term counts over ``vocab`` (sorted), ``labels`` their themes (0 .. ``n_themes`` -
    1); ``max_label_df`` and ``bound_share`` are ``ThemeModel``'s parameters of the same names.
    Everything is computed on the non-zero (theme, term) pairs only: a dense themes x terms
    array is gigabytes at 50,000 papers."""
    if n_themes == 0:
        return []
    if counts.shape[1] == 0:
        return [[] for _ in range(n_themes)]
    n = len(labels)
    onehot = sparse.csr_matrix((np.ones(n), (labels, np.arange(n))), shape=(n_themes, n))
    sizes = np.asarray(onehot.sum(axis=1)).ravel()
    tf_class = (onehot @ counts).astype(float).tocsr()
    totals = np.asarray(tf_class.sum(axis=1)).ravel()
    average = tf_class.sum() / n_themes
    idf = np.log(1 + average / np.maximum(np.asarray(tf_class.sum(axis=0)).ravel(), 1))
    binary = counts.copy()
    binary.data = np.ones_like(binary.data, dtype=float)
    df_class = (onehot @ binary).tocsr()
    # A term of one paper can only name a theme of one paper (see min_docs below): where there
    # is none, such terms are left out, which changes no score of the others.
    df_all = np.asarray(df_class.sum(axis=0)).ravel()
    if sizes.min() > 1:
        keep = sparse.diags((df_all >= 2).astype(float))
        tf_class, df_class = (tf_class @ keep).tocsr(), (df_class @ keep).tocsr()
        tf_class.eliminate_zeros()
        df_class.eliminate_zeros()
    tf_class.sort_indices()
    df_class.sort_indices()
    rows = np.repeat(np.arange(n_themes), np.diff(tf_class.indptr))
    cols = tf_class.indices
    df = df_class.data
    safe = np.where(totals > 0, totals, 1.0)
    scores = np.where(totals[rows] > 0, tf_class.data / safe[rows], 0.0) * idf[cols]
    # A label term must be shared by several of the theme's papers, not be one paper's name.
    min_docs = np.maximum(2, np.ceil(0.15 * sizes))
    scores[df < np.minimum(min_docs, sizes)[rows]] = 0
    # A single word found in a large share of all papers and in most themes ("LLMs", "human")
    # is too broad to name a theme alone; a phrase containing it ("human feedback") may still do.
    spread = np.bincount(cols, minlength=len(vocab))
    single = np.array([" " not in t for t in vocab])
    broad = single & (df_all > max_label_df * n) & (spread > n_themes / 2)
    scores[broad[cols]] = 0
    # In a theme, a word that is mostly found inside one phrase ("law" in "scaling law",
    # "following" in "instruction following": most of the theme's papers with the word have
    # the phrase) does not stand on its own; the phrase may. (theme, term) pairs are found by
    # their position in the row-major, sorted entries: key = theme * terms + term.
    column = {t: i for i, t in enumerate(vocab)}
    present = np.unique(cols[~single[cols]])
    words_of = {j: [column[w] for w in vocab[j].split() if w in column] for j in present.tolist()}
    keys = rows.astype(np.int64) * len(vocab) + cols
    at = np.flatnonzero(~single[cols])
    phrase_pos = np.repeat(at, [len(words_of[c]) for c in cols[at].tolist()])
    word_cols = np.array([w for c in cols[at].tolist() for w in words_of[c]], dtype=np.int64)
    if len(word_cols):
        word_keys = rows[phrase_pos].astype(np.int64) * len(vocab) + word_cols
        word_pos = np.minimum(np.searchsorted(keys, word_keys), len(keys) - 1)
        found = keys[word_pos] == word_keys
        bound = found & (df[phrase_pos] >= bound_share * np.where(found, df[word_pos], np.inf))
        scores[word_pos[bound]] = 0
    terms = []
    for c in range(n_themes):
        span = slice(tf_class.indptr[c], tf_class.indptr[c + 1])
        positive = np.flatnonzero(scores[span] > 0) + span.start
        # Ties broken by the term itself (vocab is sorted: by its column), so that the order
        # never depends on the platform.
        ranked = positive[np.lexsort((cols[positive], -scores[positive]))]
        terms.append(pick_terms(((vocab[cols[i]], int(df[i])) for i in ranked), n_terms, surfaces))
    return terms


def pick_terms(ranked: Iterable[tuple[str, int]], n: int, surfaces: dict[str, str]) -> list[str]:
    """The first ``n`` terms (in their usual spelling) that do not repeat a word of a better-ranked
    term; a phrase replaces better-ranked terms it contains ("reward" then "reward model" gives
    "reward model") when it is found in at least half as many papers as each of them: "hate
    speech" does not replace "speech" in a theme about speech. ``ranked`` gives each term with
    the number of the theme's papers it is found in, best term first. Hyphens count as spaces:
    "instruction-following" repeats "instruction"."""
    support: dict[str, int] = {}
    picked: list[tuple[str, frozenset[str], str]] = []  # (shown, its words, term)
    for term, papers in ranked:
        support[term] = papers
        shown = " ".join(surfaces.get(w, w) for w in term.split())
        parts = frozenset(singular(p) for p in re.split(r"[\s-]+", shown.lower()) if p)
        clash = [i for i, (_, other, _) in enumerate(picked) if other & parts]
        if not clash:
            picked.append((shown, parts, term))
        elif all(
            picked[i][1] < parts and 2 * support.get(term, 0) >= support.get(picked[i][2], 0) for i in clash
        ):
            # "scaling" and "law" then "scaling law": the phrase takes the first one's place.
            picked[clash[0]] = (shown, parts, term)
            picked = [t for i, t in enumerate(picked) if i not in clash[1:]]
        if len(picked) == n:
            break
    return [shown for shown, _, _ in picked]


def label_of(terms: list[str]) -> str:
    label = " · ".join(terms[:3])
    return label if len(label) <= 44 or len(terms) < 3 else " · ".join(terms[:2])
