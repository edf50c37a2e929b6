"""Areas: how the themes of many documents are found at a cost about linear in their number.

A factorization into k topics costs about (documents x k) per iteration, and k grows like
sqrt(documents): on all of 20,000 papers at once that is minutes. So past ``max_full`` documents:

1. the documents are split into *areas* (``split``): k / ``themes_per_area`` centroids found by
   k-means in the LSA vectors of a fixed-size sample (the documents of lowest hash, which adding
   documents changes little); a document's area is its nearest centroid. An area of more than
   twice ``max_full`` documents is divided again (the areas need not come out even);
2. each area gets its share of the k themes (by its size) and is clustered on its own, the way a
   small site is (``ThemeModel._flat``), to the fixed point of its refinement. An area's cost does
   not grow with the site, and the areas are independent: ``model.n_jobs`` processes share them.

A build seeded with stored themes keeps their areas (``themes.json`` stores each theme's area):
``settle`` refines each area from its themes, new papers going to the area of the theme they are
most like, so that adding a dump keeps old papers in their themes and a build seeded with its own
themes gives them back unchanged.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse
from threadpoolctl import threadpool_limits

from ..stages import forked_map
from .vectors import normalize

if TYPE_CHECKING:
    from .model import ThemeModel


def hash_ranks(documents: Sequence[str]) -> np.ndarray:
    """Each document's rank by a hash of its text: a sample of the lowest ranks is the same
    sample, but for the documents added since, however the documents are ordered."""
    keys = [hashlib.blake2b(doc.encode("utf-8"), digest_size=8).digest() for doc in documents]
    order = sorted(range(len(keys)), key=lambda i: (keys[i], i))
    ranks = np.empty(len(keys), dtype=int)
    ranks[order] = np.arange(len(keys))
    return ranks


def sample_of(rows: np.ndarray, ranks: np.ndarray, size: int) -> np.ndarray:
    """The ``size`` rows of lowest hash rank, in row order."""
    if len(rows) <= size:
        return rows
    return np.sort(rows[np.argsort(ranks[rows], kind="stable")[:size]])


def split(model: ThemeModel, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """About ``k`` themes for all of ``model.tfidf_``, area by area: (labels, centrality, area),
    one per row. Theme numbers are unique across areas."""
    n = model.tfidf_.shape[0]
    divided = _divide(model, np.arange(n), k, model.max_full)
    jobs = [(members, k_area, np.full(len(members), -1)) for members, k_area in divided]
    area = np.empty(n, dtype=int)
    for a, (members, _, _) in enumerate(jobs):
        area[members] = a
    labels = np.empty(n, dtype=int)
    centrality = np.empty(n)
    again = []
    for (members, k_area, _), (out, weight) in zip(jobs, _leaves(model, jobs, 0), strict=True):
        labels[members], centrality[members] = out, weight
        # A leaf ends at a fixed point of its refinement, the one a build seeded with its themes
        # settles on, unless a theme came out empty: then it is settled again with one fewer.
        found = len(set(out.tolist()))
        if found < k_area:
            again.append((members, found, out))
    for (members, _, _), (out, weight) in zip(
        again, _leaves(model, again, int(labels.max()) + 1), strict=True
    ):
        labels[members], centrality[members] = out, weight
    return labels, centrality, area


def _divide(model: ThemeModel, rows: np.ndarray, k: int, limit: int) -> list[tuple[np.ndarray, int]]:
    """``rows`` (more than ``limit``) in areas of about ``themes_per_area`` themes, each with its
    share of ``k``: the rows' nearest of k / themes_per_area k-means centroids (``_areas``). An
    area of more than twice ``max_full`` rows (they need not come out even) is divided again, so
    that no area's clustering grows with the site."""
    if k <= model.themes_per_area or len(rows) <= limit:
        return [(rows, k)]
    area = _areas(model, rows, math.ceil(k / model.themes_per_area))
    if len(np.unique(area)) < 2:  # nothing to divide by: the documents are too much alike
        return [(rows, k)]
    out = []
    for a in np.unique(area).tolist():
        members = rows[area == a]
        out.extend(_divide(model, members, max(1, round(k * len(members) / len(rows))), 2 * model.max_full))
    return out


def settle(
    model: ThemeModel, labels: np.ndarray, extra: int = 0, known: dict[int, int] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[int, int]]:
    """Refine the themes ``labels`` gives (-1: none yet) area by area: (labels, centrality, area
    of each document, area of each theme). ``extra`` new themes are added, shared by the areas by
    size. Areas are groups of themes here: ``known`` (theme -> area, the stored grouping) where
    given, else themes grouped by their centroids. Each area settles to a fixed point and keeps
    its documents, so a build seeded with its own themes and areas gets them back unchanged."""
    x = model.tfidf_
    n = x.shape[0]
    seeded = np.flatnonzero(labels >= 0)
    # Themes in a canonical order (by their first document), so that the result does not depend
    # on how they happen to be numbered.
    themes, first = np.unique(labels[seeded], return_index=True)
    themes = themes[np.argsort(seeded[first], kind="stable")].tolist()
    position = {t: i for i, t in enumerate(themes)}
    theme_of = np.array([position[s] for s in labels[seeded].tolist()], dtype=int)
    onehot = sparse.csr_matrix((np.ones(len(seeded)), (theme_of, seeded)), shape=(len(themes), n))
    centroids = normalize(onehot @ x)
    theme_area = _group(model, centroids, themes, known or {}, len(themes) + extra)
    area = np.zeros(n, dtype=int)
    area[seeded] = theme_area[theme_of]
    # A document with no theme yet goes to the area of the theme it is most like.
    new = np.flatnonzero(labels < 0)
    if len(new) and len(themes):
        area[new] = theme_area[np.asarray((x[new] @ centroids.T).argmax(axis=1)).ravel()]
    jobs = []
    for a in np.unique(area).tolist():
        members = np.flatnonzero(area == a)
        k = int((theme_area == a).sum()) + round(extra * len(members) / n)
        jobs.append((members, max(k, 1), labels[members]))
    out = np.empty(n, dtype=int)
    centrality = np.empty(n)
    grouping: dict[int, int] = {}
    results = _leaves(model, jobs, int(labels.max(initial=-1)) + 1)
    for a, (members, _, _), (leaf, weight) in zip(np.unique(area).tolist(), jobs, results, strict=True):
        out[members], centrality[members] = leaf, weight
        grouping.update(dict.fromkeys(leaf.tolist(), a))
    return out, centrality, area, grouping


def _group(
    model: ThemeModel, centroids: sparse.csr_matrix, themes: list[int], known: dict[int, int], k: int
) -> np.ndarray:
    """Each theme's area: the stored one, or that of the most similar theme that has one; with
    none stored, themes grouped by a factorization of their centroids into k / themes_per_area
    areas (numbered in the order of their first theme)."""
    has = np.array([t in known for t in themes], dtype=bool)
    if has.any():
        theme_area = np.array([known.get(t, -1) for t in themes], dtype=int)
        if not has.all():
            nearest = np.asarray((centroids[~has] @ centroids[has].T).argmax(axis=1)).ravel()
            theme_area[~has] = theme_area[has][nearest]
        return theme_area
    n_areas = math.ceil(k / model.themes_per_area)
    if n_areas < 2 or len(themes) <= n_areas:
        return np.zeros(len(themes), dtype=int)
    cols = np.unique(centroids.indices)
    raw = np.asarray(model._nmf(centroids[:, cols], n_areas).argmax(axis=1)).ravel()
    order = {a: i for i, a in enumerate(dict.fromkeys(raw.tolist()))}
    return np.array([order[a] for a in raw.tolist()], dtype=int)


def used_columns(x: sparse.csr_matrix, min_rows: int = 1) -> sparse.csr_matrix:
    """``x`` with only the columns of ``min_rows`` rows or more (terms no row has cost time and
    change nothing; in an area, a term of one of its papers cannot bring two of them together,
    and such terms are most of an area's columns). All used columns where that leaves none."""
    df = np.bincount(x.indices, minlength=x.shape[1])
    kept = np.flatnonzero(df >= min_rows)
    if not len(kept):
        kept = np.flatnonzero(df)
    return x[:, kept]


def _leaves(
    model: ThemeModel, jobs: list[tuple[np.ndarray, int, np.ndarray]], first_new: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``_leaf`` of every (rows, k, seeds) job, in ``model.n_jobs`` processes where there are
    several areas (they are independent). Each job's new themes take numbers from a range of
    its own, reserved in job order, so the labels are the same whatever the number of processes."""
    tasks = []
    for rows, k, seeds in jobs:
        tasks.append((rows, k, seeds, first_new))
        first_new += max(k, len(set(seeds[seeds >= 0].tolist())))
    # The largest areas first (an area's cost grows with its rows times its themes).
    return forked_map(_leaf_task, model, tasks, model.n_jobs, cost=lambda task: len(task[0]) * task[1])


def _leaf_task(
    model: ThemeModel, task: tuple[np.ndarray, int, np.ndarray, int]
) -> tuple[np.ndarray, np.ndarray]:
    with threadpool_limits(1):
        return _leaf(model, *task)


def _leaf(
    model: ThemeModel, rows: np.ndarray, k: int, seeds: np.ndarray, first_new: int
) -> tuple[np.ndarray, np.ndarray]:
    """Cluster ``rows`` whole, seeded by the stored themes of ``seeds`` (renumbered 0..h-1 for
    the factorization); new themes are numbered from ``first_new``."""
    x = used_columns(model.tfidf_[rows], min_rows=2)
    stored = sorted(set(seeds[seeds >= 0].tolist()))
    local = {s: i for i, s in enumerate(stored)}
    renumbered = np.array([local.get(s, -1) for s in seeds.tolist()], dtype=int)
    labels, centrality = model._flat(
        x,
        model.embedding_[rows],
        renumbered if stored else None,
        max(k, len(stored)),
        max_iter=model.area_iter,
    )
    out = np.array(
        [stored[c] if c < len(stored) else first_new + c - len(stored) for c in labels.tolist()], dtype=int
    )
    return out, centrality


def _areas(model: ThemeModel, rows: np.ndarray, n_areas: int) -> np.ndarray:
    """Each row's area, numbered in the order of its first row: the nearest of ``n_areas``
    centroids that k-means finds in the LSA vectors (``model.embedding_``) of a sample of the rows.

    Not the strongest of as many NMF topics: NMF gives each topic a niche and its strongest-topic
    rule leaves the papers of no clear niche to one topic, so the areas came out lopsided (on the
    5,000-paper bench corpus one area held 3,421 papers, and dividing it again peeled off a few
    small ones at a time, five times over). k-means puts each paper with the papers it is near,
    in areas of comparable size."""
    sample = sample_of(rows, model.hash_rank_, model.max_full)
    vectors = model.embedding_
    n_areas = min(n_areas, len(np.unique(vectors[sample], axis=0)))
    if n_areas < 2:
        return np.zeros(len(rows), dtype=int)
    from sklearn.cluster import KMeans  # (only where areas are found afresh)

    kmeans = KMeans(n_clusters=n_areas, n_init=1, random_state=model.random_state).fit(vectors[sample])
    raw = kmeans.predict(vectors[rows])
    order = {a: i for i, a in enumerate(dict.fromkeys(raw.tolist()))}
    return np.array([order[a] for a in raw.tolist()], dtype=int)
