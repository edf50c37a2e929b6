"""Labels: name each theme by the terms that are frequent in it and rare in the others.

Class-based TF-IDF (c-TF-IDF, as BERTopic does) ranks each theme's terms; ``pick_terms`` keeps
the best ones that do not repeat each other, a phrase taking the place of the words it contains.
"""

from __future__ import annotations

import re

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from .terms import pretokenized, singular


def class_terms(
    terms: list[list[str]],
    labels: np.ndarray,
    n_themes: int,
    surfaces: dict[str, str],
    n_terms: int = 5,
    max_label_df: float = 0.3,
    bound_share: float = 0.9,
) -> list[list[str]]:
    """The ``n_terms`` best terms of each theme, best first, in their usual spelling.

    c-TF-IDF: per theme, term frequency in the theme's concatenated documents times
    log(1 + average words per theme / the term's frequency over all themes). ``terms`` are the
    documents' terms, ``labels`` their themes (0 .. ``n_themes`` - 1); ``max_label_df`` and
    ``bound_share`` are ``ThemeModel``'s parameters of the same names."""
    if n_themes == 0:
        return []
    counter = CountVectorizer(analyzer=pretokenized)
    try:
        counts = counter.fit_transform(terms)
    except ValueError:
        return [[] for _ in range(n_themes)]
    vocab = counter.get_feature_names_out()
    onehot = sparse.csr_matrix(
        (np.ones(len(labels)), (labels, np.arange(len(labels)))),
        shape=(n_themes, len(labels)),
    )
    tf_class = np.asarray((onehot @ counts).todense(), dtype=float)
    df_class = np.asarray((onehot @ (counts > 0).astype(float)).todense())
    sizes = np.asarray(onehot.sum(axis=1)).ravel()
    totals = tf_class.sum(axis=1, keepdims=True)
    tf = np.divide(tf_class, totals, out=np.zeros_like(tf_class), where=totals > 0)
    average = tf_class.sum() / n_themes
    idf = np.log(1 + average / np.maximum(tf_class.sum(axis=0), 1))
    scores = tf * idf
    # A label term must be shared by several of the theme's papers, not be one paper's name.
    min_docs = np.maximum(2, np.ceil(0.15 * sizes))[:, None]
    scores[df_class < np.minimum(min_docs, sizes[:, None])] = 0
    # A single word found in a large share of all papers and in most themes ("LLMs", "human")
    # is too broad to name a theme alone; a phrase containing it ("human feedback") may still do.
    df_all = df_class.sum(axis=0)
    spread = (df_class > 0).sum(axis=0)
    broad = (
        np.array([" " not in t for t in vocab])
        & (df_all > max_label_df * len(labels))
        & (spread > n_themes / 2)
    )
    scores[:, broad] = 0
    # In a theme, a word that is mostly found inside one phrase ("law" in "scaling law",
    # "following" in "instruction following": most of the theme's papers with the word have
    # the phrase) does not stand on its own; the phrase may.
    column = {t: i for i, t in enumerate(vocab)}
    pairs = np.array(
        [(j, column[w]) for j, t in enumerate(vocab) if " " in t for w in t.split() if w in column],
        dtype=int,
    ).reshape(-1, 2)
    phrase, word = pairs[:, 0], pairs[:, 1]
    theme, pair = np.nonzero(df_class[:, phrase] >= bound_share * df_class[:, word])
    scores[theme, word[pair]] = 0
    terms = []
    for c in range(n_themes):
        # Ties broken by the term itself, so that the order never depends on the platform.
        ranked = sorted((i for i in np.flatnonzero(scores[c] > 0)), key=lambda i: (-scores[c, i], vocab[i]))
        support = {vocab[i]: int(df_class[c, i]) for i in ranked}
        terms.append(pick_terms([vocab[i] for i in ranked], n_terms, surfaces, support))
    return terms


def pick_terms(
    ranked: list[str], n: int, surfaces: dict[str, str], support: dict[str, int] | None = None
) -> list[str]:
    """The first ``n`` terms (in their usual spelling) that do not repeat a word of a better-ranked
    term; a phrase replaces better-ranked terms it contains ("reward" then "reward model" gives
    "reward model") when it is found in at least half as many papers (``support``) as each of
    them: "hate speech" does not replace "speech" in a theme about speech. Hyphens count as
    spaces: "instruction-following" repeats "instruction"."""
    support = support or {}
    picked: list[tuple[str, frozenset[str], str]] = []  # (shown, its words, term)
    for term in ranked:
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
