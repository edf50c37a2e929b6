"""Carried themes: while few papers are new since the themes were fitted, they are not fitted again.

A build seeded with stored themes (``content/themes.json``, or the previous build's) *carries*
them when the papers they were fitted on (their ``papers`` less their ``joined``) are at least
``1 - REFIT_SHARE`` of the site's papers:

- every paper of a stored theme keeps it (its name, terms, slug and area are carried as well);
- each paper not seen before *joins* the theme whose fitted papers it is most like (the cosine of
  the TF-IDF vectors plus a quarter of the cosine of the latent semantic vectors, as related
  papers are found), and is stored as joined;
- the terms and their weights (IDF), and the latent semantic basis, are learned from the fitted
  papers only, so that the vectors of the papers seen before do not move when papers join: their
  related papers change only where a new paper is nearer, and a theme's papers keep their order.

Once more than ``REFIT_SHARE`` of the papers are new or joined, the build fits the themes again,
seeded with the stored ones (``ThemeModel._cluster``), and every paper is fitted.

What a build does depends on the stored themes and the content only, so a build from scratch given
the same ``themes.json`` does exactly what an incremental build does: carrying is not a shortcut of
the cache. It is what keeps a large site's warm build cheap (no factorization, no labels), and it
keeps themes and names still between refits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from .related import BLOCK, LSA_WEIGHT
from .vectors import normalize

if TYPE_CHECKING:
    from .model import ThemeModel

#: The share of a site's papers that may be new (joined since the themes were fitted) before the
#: themes are fitted again: 10% is ten daily editions at 5,000 papers, forty at 20,000.
REFIT_SHARE = 0.1


def carries(seeds: np.ndarray, fitted: np.ndarray) -> bool:
    """Whether the stored themes are carried: stored themes exist, and the papers they were fitted
    on (``fitted``) are at least ``1 - REFIT_SHARE`` of all (``seeds``: each paper's stored theme,
    -1 for a new paper)."""
    n = len(seeds)
    return n > 0 and bool((seeds >= 0).any()) and int(fitted.sum()) >= (1 - REFIT_SHARE) * n


def join(
    model: ThemeModel, seeds: np.ndarray, fitted: np.ndarray, seed_areas: dict[int, int]
) -> tuple[np.ndarray, np.ndarray, dict[int, int]]:
    """The stored themes carried: (labels in seed numbering, each paper's area, each theme's
    area). A new paper (seed -1) joins the theme its fitted papers are most like."""
    x, e = model.tfidf_, model.embedding_
    k = int(seeds.max()) + 1
    tfidf_centroids, lsa_centroids = centroids(x, e, seeds, fitted, k)
    labels = seeds.copy()
    new = np.flatnonzero(seeds < 0)
    for start in range(0, len(new), BLOCK):
        block = new[start : start + BLOCK]
        likeness = (x[block] @ tfidf_centroids.T).toarray() + LSA_WEIGHT * (e[block] @ lsa_centroids.T)
        labels[block] = likeness.argmax(axis=1)  # the first on a tie
    grouping = {c: seed_areas.get(c, 0) for c in range(k)}
    area = np.array([grouping[c] for c in labels.tolist()], dtype=int)
    return labels, area, grouping


def typicality(x: sparse.csr_matrix, e: np.ndarray, labels: np.ndarray, fitted: np.ndarray) -> np.ndarray:
    """Each paper's likeness to its theme (``labels``; -1: none), as a new paper's to the theme
    it joins: ranks a theme's papers, most typical first. A fitted paper's does not change while
    the themes are carried."""
    k = int(labels.max(initial=-1)) + 1
    tfidf_centroids, lsa_centroids = centroids(x, e, labels, fitted, k)
    out = np.zeros(x.shape[0])
    for c in range(k):  # one theme's papers at a time: no n x k matrix
        of_c = np.flatnonzero(labels == c)
        if len(of_c):
            out[of_c] = (x[of_c] @ tfidf_centroids[c].T).toarray().ravel() + LSA_WEIGHT * (
                e[of_c] @ lsa_centroids[c]
            )
    return out


def centroids(
    x: sparse.csr_matrix, e: np.ndarray, labels: np.ndarray, fitted: np.ndarray, k: int
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """The ``k`` themes' centroids (unit length) in TF-IDF and in the latent semantic space: the
    mean of each theme's fitted papers (of all its papers where none is fitted)."""
    members = labels >= 0
    own = members & fitted
    has_fitted = np.bincount(labels[own], minlength=k) > 0
    rows = np.flatnonzero(own | (members & ~has_fitted[np.maximum(labels, 0)]))
    onehot = sparse.csr_matrix((np.ones(len(rows)), (labels[rows], rows)), shape=(k, x.shape[0]))
    sums_x, sums_e = (onehot @ x).tocsr(), onehot @ e
    # (No terms or no dimensions: a tiny site; every likeness is 0 then.)
    return (normalize(sums_x) if sums_x.shape[1] else sums_x), (
        normalize(sums_e) if sums_e.shape[1] else sums_e
    )
