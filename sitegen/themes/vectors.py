"""Row vectors as the themes stage weighs and compares them, without scikit-learn.

A build that carries its themes (``carry.py``) fits nothing, and importing scikit-learn would be
most of its start-up; so what every build does, TF-IDF weights and rows of unit length, is done
here with numpy and scipy, as scikit-learn's ``TfidfTransformer(sublinear_tf=True)`` and
``normalize`` compute it. The estimators (NMF, TruncatedSVD, KMeans) are imported where they fit.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse


def normalize(rows: sparse.spmatrix | np.ndarray, norm: str = "l2") -> sparse.csr_matrix | np.ndarray:
    """``rows`` scaled to unit length (``norm``: "l2" or "l1"); a row of zeros stays zeros. A
    sparse matrix comes back as a new CSR matrix, a dense one as a new array."""
    if sparse.issparse(rows):
        out = sparse.csr_matrix(rows, dtype=np.float64, copy=True)
        values = np.abs(out.data) if norm == "l1" else out.data * out.data
        per_row = np.diff(out.indptr)
        lengths = np.bincount(np.repeat(np.arange(out.shape[0]), per_row), values, minlength=out.shape[0])
        if norm == "l2":
            lengths = np.sqrt(lengths)
        lengths[lengths == 0] = 1.0
        out.data /= np.repeat(lengths, per_row)
        return out
    dense = np.asarray(rows, dtype=np.float64)
    lengths = np.abs(dense).sum(axis=1) if norm == "l1" else np.sqrt((dense * dense).sum(axis=1))
    lengths[lengths == 0] = 1.0
    return dense / lengths[:, None]


def tfidf(counts: sparse.csr_matrix, fit: sparse.csr_matrix) -> sparse.csr_matrix:
    """The rows of ``counts`` weighted by TF-IDF, the IDF learned on the rows ``fit`` (the same
    columns): term frequency 1 + log(count), IDF log((1 + n) / (1 + df)) + 1, rows of unit
    length."""
    return weigh(counts, idf_of(fit))


def idf_of(fit: sparse.csr_matrix) -> np.ndarray:
    """The IDF of each column learned on the rows ``fit``: log((1 + n) / (1 + df)) + 1."""
    n = fit.shape[0]
    df = np.bincount(fit.indices, minlength=fit.shape[1]) if fit.nnz else np.zeros(fit.shape[1])
    return np.log((1.0 + n) / (1.0 + df)) + 1.0


def weigh(counts: sparse.csr_matrix, idf: np.ndarray) -> sparse.csr_matrix:
    """The rows of ``counts`` weighted by TF-IDF with ``idf``, of unit length. Row by row: a row's
    weights depend on its counts and ``idf`` only."""
    out = sparse.csr_matrix(counts, dtype=np.float64, copy=True)
    out.data = (np.log(out.data) + 1.0) * idf[out.indices]
    return normalize(out)
