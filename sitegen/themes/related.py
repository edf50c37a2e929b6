"""Related papers: each paper's nearest papers by text, found in blocks.

Similarity is the cosine of the TF-IDF vectors (papers that share specific terms) plus a quarter
of the cosine of the latent semantic vectors (which breaks ties and covers papers whose words are
all unique). It is computed a block of rows at a time, against the papers of the same area only
(one area up to ``ThemeModel.max_full`` papers), so that no n x n matrix is ever held and the
cost grows with n times the size of an area, not n squared.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

#: Rows compared at once: a block holds BLOCK x (papers of the area) similarities.
BLOCK = 256
LSA_WEIGHT = 0.25


def nearest(tfidf: sparse.csr_matrix, embedding: np.ndarray, areas: np.ndarray, k: int) -> np.ndarray:
    """Indices of each row's ``k`` nearest rows within its area, most similar first (ties: lower
    index first), itself excluded; -1 fills the places an area with fewer papers cannot."""
    n = tfidf.shape[0]
    out = np.full((n, max(k, 0)), -1, dtype=int)
    if k <= 0:
        return out
    for area in np.unique(areas):
        members = np.flatnonzero(areas == area)
        x, e = tfidf[members], embedding[members]
        xt, et = x.T.tocsr(), e.T
        kk = min(k, len(members) - 1)
        if kk <= 0:
            continue
        for start in range(0, len(members), BLOCK):
            block = slice(start, min(start + BLOCK, len(members)))
            sim = (x[block] @ xt).toarray() + LSA_WEIGHT * (e[block] @ et)
            rows = np.arange(sim.shape[0])
            sim[rows, rows + start] = -np.inf
            for r in rows:
                out[members[start + r], :kk] = members[_top(sim[r], kk)]
    return out


def _top(row: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` largest values of ``row``, largest first, ties by position."""
    part = np.argpartition(-row, k - 1)[:k]
    threshold = row[part].min()
    candidates = np.flatnonzero(row >= threshold)
    return candidates[np.lexsort((candidates, -row[candidates]))][:k]
