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

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
from scipy import sparse

from ..stages import using
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


def typicality(
    x: sparse.csr_matrix,
    e: np.ndarray,
    labels: np.ndarray,
    fitted: np.ndarray,
    known: np.ndarray | None = None,
    themes: Sequence[int] | None = None,
) -> np.ndarray:
    """Each paper's likeness to its theme (``labels``; -1: none), as a new paper's to the theme
    it joins: ranks a theme's papers, most typical first. A fitted paper's does not change while
    the themes are carried. Given ``known`` (a likeness per paper), only the papers of
    ``themes`` are measured again."""
    k = int(labels.max(initial=-1)) + 1
    tfidf_centroids, lsa_centroids = centroids(x, e, labels, fitted, k)
    out = np.zeros(x.shape[0]) if known is None else np.array(known, dtype=float)
    for c in range(k) if themes is None else sorted(set(themes)):  # one theme at a time: no n x k matrix
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


# -- the vectors of the last build ----------------------------------------------------------------


@dataclass(slots=True, eq=False)
class Vectors:
    """A build's vectors, for the next build that carries its themes (``known_vectors``): per
    paper (``keys``: ``related.text_keys`` of their texts, in the build's order) whether the themes
    were fitted on it, its TF-IDF row and its latent semantic vector; the TF-IDF columns' terms and
    IDF; the key of the latent semantic basis (``model.Bases``; "" where there is none)."""

    keys: list[bytes]
    fitted: np.ndarray
    tfidf: sparse.csr_matrix
    terms: list[str]
    idf: np.ndarray
    embedding: np.ndarray
    basis: str


class VectorStore(Protocol):
    """Where a build's ``Vectors`` are kept for the next one (``sitegen/cache.py``)."""

    def get(self) -> Vectors | None: ...

    def put(self, vectors: Vectors) -> None: ...


#: Set by ``keeping_vectors``.
_VECTORS: ContextVar[VectorStore | None] = ContextVar("vectors", default=None)


def keeping_vectors(store: VectorStore) -> AbstractContextManager[None]:
    """Within the block, a model that carries its themes takes the vectors of the papers the last
    build had from ``store`` (``known_vectors``), and every model keeps its vectors there."""
    return using(_VECTORS, store)


def vector_store() -> VectorStore | None:
    """The store ``keeping_vectors`` set, if any."""
    return _VECTORS.get()


def known_vectors(
    documents: Sequence[str],
    keys: list[bytes],
    fitted: np.ndarray,
    known: Vectors,
    basis: Callable[[str], np.ndarray | None],
) -> tuple[sparse.csr_matrix, np.ndarray] | None:
    """The TF-IDF rows and latent semantic vectors of ``documents`` with carried themes, taken
    from the last build's (``known``) for the papers it had, and computed for the others only
    (their terms analyzed, weighted with the known IDF, projected on the known basis, which
    ``basis`` gives by its key). Exactly what fitting them all computes: the terms, IDF and
    basis are learned on the fitted papers only, and a row's weights and vector depend on its
    text and those alone. None where the papers fitted on are not the known ones (or two texts
    have one key, or the basis is gone): then everything is computed."""
    from .terms import analyze_texts
    from .vectors import normalize, weigh

    n = len(documents)
    where = {key: i for i, key in enumerate(known.keys)}
    if len(where) != len(known.keys) or len(set(keys)) != n:
        return None
    was = np.array([where.get(key, -1) for key in keys], dtype=np.int64)
    # The papers fitted on: the same texts as the last build's (their IDF and basis are those).
    if not bool((was[fitted] >= 0).all()) or int(fitted.sum()) != int(known.fitted.sum()):
        return None
    if not bool(known.fitted[was[fitted]].all()):
        return None
    # ... in the same order: the basis is learned on the sample's rows in order (and an SVD of the
    # same rows in another order differs in the last bits).
    if not bool(np.all(np.diff(was[fitted]) > 0)):
        return None
    old, new = np.flatnonzero(was >= 0), np.flatnonzero(was < 0)
    columns, features = len(known.terms), known.tfidf.shape[1]
    if columns != features or len(known.idf) != features or known.embedding.shape[0] != len(known.keys):
        return None
    if len(new):
        projection = basis(known.basis) if known.basis else None
        if projection is None or projection.shape[1] != features:
            return None
        analysis = analyze_texts([documents[i] for i in new.tolist()])
        column = {term: j for j, term in enumerate(known.terms)}
        mapped = np.array([column.get(term, -1) for term in analysis.terms], dtype=np.int64)
        counts = analysis.counts.tocsr()
        keep = mapped[counts.indices] >= 0
        rows = np.repeat(np.arange(len(new)), np.diff(counts.indptr))[keep]
        # The known terms are sorted, as the analysis's are: the columns stay in order.
        fresh_counts = sparse.csr_matrix(
            (counts.data[keep], (rows, mapped[counts.indices[keep]])), shape=(len(new), features)
        )
        fresh_counts.sort_indices()
        fresh = weigh(fresh_counts, known.idf)
        # Projected on the basis's columns of the terms they have only (the whole basis, turned,
        # is a copy of 119 MB at 20,000 papers): the same products summed in the same order.
        used = np.unique(fresh.indices)
        narrow = sparse.csr_matrix(
            (fresh.data, np.searchsorted(used, fresh.indices), fresh.indptr), shape=(len(new), len(used))
        )
        fresh_embedding = normalize(np.asarray(narrow @ np.ascontiguousarray(projection[:, used].T)))
    else:
        fresh = sparse.csr_matrix((0, features))
        fresh_embedding = np.zeros((0, known.embedding.shape[1]))
    order = np.empty(n, dtype=np.int64)
    order[np.concatenate([old, new])] = np.arange(n)
    both = sparse.vstack([known.tfidf[was[old]], fresh], format="csr")
    tfidf = both[order]
    embedding = np.concatenate([known.embedding[was[old]], fresh_embedding])[order]
    return tfidf, embedding
