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
            out[members[start + rows], :kk] = members[_top(sim, kk)]
    return out


def _top(sim: np.ndarray, k: int) -> np.ndarray:
    """Per row, the positions of its ``k`` largest values, largest first, ties by position."""
    part = np.sort(np.argpartition(-sim, k - 1, axis=1)[:, :k], axis=1)
    values = np.take_along_axis(sim, part, axis=1)
    # A stable sort of the positions (ascending) by value puts the lower position first on a tie.
    top = np.take_along_axis(part, np.argsort(-values, axis=1, kind="stable"), axis=1)
    # Where a value equal to the k-th is left out of the partition, pick the row again in full.
    threshold = values.min(axis=1)
    for r in np.flatnonzero((sim >= threshold[:, None]).sum(axis=1) > k):
        candidates = np.flatnonzero(sim[r] >= threshold[r])
        top[r] = candidates[np.lexsort((candidates, -sim[r, candidates]))][:k]
    return top
