"""Related papers: each paper's nearest papers by text, found in blocks.

Similarity is the cosine of the TF-IDF vectors (papers that share specific terms) plus a quarter
of the cosine of the latent semantic vectors (which breaks ties and covers papers whose words are
all unique). It is computed a block of rows at a time, against the papers of the same area only
(one area up to ``ThemeModel.max_full`` papers), so that no n x n matrix is ever held and the
cost grows with n times the size of an area, not n squared.

**A pair's similarity depends on the two papers only.** The latent semantic vectors are compared
as integers (``lsa_integers``: each component rounded to a multiple of 2**-bits, few enough bits
that every product and sum is an exact float), so their dot products do not depend on the shape of
the matrices they are computed in, as BLAS's float sums do (it orders them by the blocking); and a
sparse product sums a pair's terms in the order of the row's terms, whatever else is in the
matrices. So a build can take the neighbours of the papers it already had from the last build
(``keeping_neighbours``: the build's cache) and compare them with the new papers only: a paper's k
nearest among the old and the new papers are the k nearest of its old k nearest and the new
papers, exactly. That holds while the old papers' vectors, order and areas are what they were
(checked: a digest of the rows, ``Neighbours.rows``), as they are while the themes are carried
(``carry.py``); otherwise every paper is compared with its whole area, as without a cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from contextlib import AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy import sparse

from ..stages import using

#: Rows compared at once: a block holds BLOCK x (papers of the area) similarities.
BLOCK = 256
LSA_WEIGHT = 0.25


def lsa_integers(embedding: np.ndarray) -> tuple[np.ndarray, float]:
    """The latent semantic vectors (unit rows) as integers, and the factor that makes the dot
    product of two of them ``LSA_WEIGHT`` times their cosine. Each component is rounded to a
    multiple of 2**-bits, with bits such that a product is below 2**(2 bits) and a sum of them
    below 2**52: every dot product is exact (5e-6 from the float one with 100 dimensions)."""
    dims = embedding.shape[1] if embedding.ndim == 2 else 1
    bits = (52 - max(1, dims).bit_length()) // 2
    return np.rint(embedding * 2.0**bits), LSA_WEIGHT * 2.0 ** (-2 * bits)


@dataclass(slots=True, eq=False)
class Neighbours:
    """What a build found, for the next one: per paper (``keys``: digests of their texts, in the
    build's order) its area, the positions of its ``k`` nearest (-1 where its area has fewer) and
    their similarities; ``rows``: the digest of the vectors they were compared by."""

    keys: list[bytes]
    areas: np.ndarray
    indices: np.ndarray
    scores: np.ndarray
    rows: str
    k: int


class NeighbourStore(Protocol):
    def get(self) -> Neighbours | None: ...

    def put(self, neighbours: Neighbours) -> None: ...


_STORE: ContextVar[NeighbourStore | None] = ContextVar("neighbours", default=None)


def keeping_neighbours(store: NeighbourStore) -> AbstractContextManager[None]:
    """Within the block, ``nearest`` given the texts' keys starts from the neighbours ``store``
    kept from the last build, and keeps this build's there."""
    return using(_STORE, store)


def text_keys(documents: Sequence[str]) -> list[bytes]:
    """A digest of each text: who a paper is, for ``Neighbours``."""
    return [
        hashlib.blake2b(doc.encode("utf-8", "surrogatepass"), digest_size=16).digest() for doc in documents
    ]


def nearest(
    tfidf: sparse.csr_matrix,
    embedding: np.ndarray,
    areas: np.ndarray,
    k: int,
    keys: Sequence[bytes] | None = None,
) -> np.ndarray:
    """Indices of each row's ``k`` nearest rows within its area, most similar first (ties: lower
    index first), itself excluded; -1 fills the places an area with fewer papers cannot.
    ``keys`` (``text_keys`` of the rows' texts): with a store (``keeping_neighbours``), the rows
    the last build had keep their neighbours where they can (see the module's docstring)."""
    n = tfidf.shape[0]
    if k <= 0:
        return np.full((n, max(k, 0)), -1, dtype=int)
    eq, weight = lsa_integers(embedding)
    store = _STORE.get() if keys is not None else None
    found = None
    if store is not None and keys is not None:
        known = store.get()
        if known is not None:
            found = _from_known(tfidf, eq, weight, areas, k, list(keys), known)
    if found is None:
        found = _full(tfidf, eq, weight, areas, k)
    out, scores = found
    if store is not None and keys is not None:
        store.put(Neighbours(list(keys), areas.copy(), out, scores, _rows_digest(tfidf, eq, None, k), k))
    return out


def _full(
    x: sparse.csr_matrix, eq: np.ndarray, weight: float, areas: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every row against its whole area: (indices, similarities)."""
    n = x.shape[0]
    out = np.full((n, k), -1, dtype=int)
    scores = np.full((n, k), -np.inf)
    for area in np.unique(areas):
        members = np.flatnonzero(areas == area)
        _rank(x, eq, weight, members, members, k, out, scores)
    return out, scores


def _rank(
    x: sparse.csr_matrix,
    eq: np.ndarray,
    weight: float,
    members: np.ndarray,
    rows: np.ndarray,
    k: int,
    out: np.ndarray,
    scores: np.ndarray,
) -> None:
    """Set the neighbours of ``rows`` (some of ``members``, both ascending) among ``members``."""
    kk = min(k, len(members) - 1)
    if kk <= 0 or not len(rows):
        return
    xt, et = x[members].T.tocsr(), eq[members].T
    for start in range(0, len(rows), BLOCK):
        block = rows[start : start + BLOCK]
        sim = (x[block] @ xt).toarray() + weight * (eq[block] @ et)
        sim[np.arange(len(block)), np.searchsorted(members, block)] = -np.inf
        top = _top(sim, kk)
        out[block, :kk] = members[top]
        scores[block, :kk] = np.take_along_axis(sim, top, axis=1)


def _from_known(
    x: sparse.csr_matrix,
    eq: np.ndarray,
    weight: float,
    areas: np.ndarray,
    k: int,
    keys: list[bytes],
    known: Neighbours,
) -> tuple[np.ndarray, np.ndarray] | None:
    """The neighbours, starting from the last build's (``known``); None where that is not exact:
    a paper of the last build is gone, two texts have one key, the old papers' order, areas or
    vectors changed, or ``k`` did."""
    n = len(keys)
    where = {key: i for i, key in enumerate(known.keys)}
    if known.k != k or len(where) != len(known.keys) or len(set(keys)) != n:
        return None
    was = np.array([where.get(key, -1) for key in keys], dtype=np.int64)
    old = np.flatnonzero(was >= 0)
    # Every old paper still here, in the same order (then ``was[old]`` is 0, 1, 2 ...).
    if len(old) != len(known.keys) or not np.array_equal(was[old], np.arange(len(old))):
        return None
    if known.indices.shape != (len(old), k) or not np.array_equal(areas[old], known.areas):
        return None
    if _rows_digest(x, eq, old, k) != known.rows:
        return None
    out = np.full((n, k), -1, dtype=int)
    scores = np.full((n, k), -np.inf)
    had = known.indices >= 0
    out[old] = np.where(had, old[np.maximum(known.indices, 0)], -1)
    scores[old] = np.where(had, known.scores, -np.inf)
    new = np.flatnonzero(was < 0)
    for area in np.unique(areas[new]):
        members = np.flatnonzero(areas == area)
        fresh = members[was[members] < 0]
        _rank(x, eq, weight, members, fresh, k, out, scores)
        # The old papers of the area: their old neighbours and the new papers, the best k.
        olds = members[was[members] >= 0]
        ft, fe = x[fresh].T.tocsr(), eq[fresh].T
        for start in range(0, len(olds), BLOCK):
            block = olds[start : start + BLOCK]
            sim = (x[block] @ ft).toarray() + weight * (eq[block] @ fe)
            ids = np.concatenate([out[block], np.broadcast_to(fresh, sim.shape)], axis=1)
            values = np.concatenate([scores[block], sim], axis=1)
            # Most similar first, ties by position; the empty places (-1, -inf) last.
            order = np.argsort(np.where(ids < 0, n, ids), axis=1, kind="stable")
            ids, values = np.take_along_axis(ids, order, axis=1), np.take_along_axis(values, order, axis=1)
            best = np.argsort(-values, axis=1, kind="stable")[:, :k]
            out[block] = np.take_along_axis(ids, best, axis=1)
            scores[block] = np.take_along_axis(values, best, axis=1)
            out[block] = np.where(np.isneginf(scores[block]), -1, out[block])
    return out, scores


def _rows_digest(x: sparse.csr_matrix, eq: np.ndarray, rows: np.ndarray | None, k: int) -> str:
    """What the similarities of ``rows`` (None: all) are computed from: their TF-IDF rows (terms
    in their order) and integer latent semantic vectors, in order; and ``k``."""
    sub = x if rows is None else x[rows]
    vectors = eq if rows is None else eq[rows]
    h = hashlib.sha256(f"related {k} {LSA_WEIGHT} {sub.shape[0]} {vectors.shape}".encode())
    h.update(np.diff(sub.indptr).astype(np.int64).tobytes())
    h.update(sub.indices.astype(np.int64).tobytes())
    h.update(np.ascontiguousarray(sub.data, dtype=np.float64).tobytes())
    h.update(np.ascontiguousarray(vectors, dtype=np.float64).tobytes())
    return h.hexdigest()


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
