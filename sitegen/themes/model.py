"""``ThemeModel``: cluster documents into themes, label them, relate each to its nearest.

A scikit-learn style estimator: ``__init__`` stores parameters, ``fit`` does the work and returns
``self``, learned attributes end in ``_``.

Up to ``max_full`` documents, every step sees every document (``_flat``). Past it, the cost must
stay about linear in the number of documents, so the steps that are not (a factorization whose
cost grows with the number of themes times the documents, the silhouette over all pairs) run on a
fixed-size sample or on one area at a time (``areas.py``).
"""

from __future__ import annotations

import hashlib
import math
import warnings
from collections import Counter
from collections.abc import Sequence
from contextlib import AbstractContextManager
from contextvars import ContextVar
from typing import Protocol

import numpy as np
from scipy import sparse
from threadpoolctl import threadpool_limits

from ..stages import Stages, forked_map, using
from . import areas, carry, coherence
from .labels import theme_terms
from .related import nearest, text_keys
from .terms import analyze_all
from .vectors import idf_of, normalize, weigh

#: Candidate theme counts tried at most when the count is chosen by silhouette.
MAX_CANDIDATES = 7
#: Rounds of dissolving grab-bags at most (see ``_settle``).
MAX_DISSOLVE = 3


class ThemeModel:
    """Cluster documents into themes, label them with c-TF-IDF, and relate nearest documents.

    Parameters
    ----------
    n_themes : int or None
        Number of themes; None chooses it by cosine silhouette over ``k_range`` (or, when
        ``fit`` gets seed labels, keeps the seeded number).
    k_range : (int, int) or None
        Candidate theme counts (inclusive; at most ``MAX_CANDIDATES`` of them, evenly spread, are
        tried); None derives it from the number of documents n: ``0.6 sqrt(n)`` to ``sqrt(n)``
        (10 to 16 for 270 papers).
    max_full : int
        Up to this many documents, every step sees all of them. Past it, the theme count is
        chosen on a sample of ``sweep_size`` documents (and scaled by ``sqrt(n / sweep_size)``),
        and the documents are first split into areas, each clustered on its own (see
        ``areas.py``); the centroids that split them are found on a sample of this size.
    sweep_size : int
        Past ``max_full``: the size of the sample the theme count is chosen on.
    themes_per_area : int
        Past ``max_full``: about how many themes one area holds.
    area_iter : int
        Past ``max_full``: iterations of an area's first factorization at most (its refinement
        rounds settle it; a full run is most of the cost of a large site's themes).
    n_components : int
        Dimensions kept by TruncatedSVD (fewer when the data has fewer).
    n_terms : int
        Terms kept per theme; labels use the first 2-3.
    n_related : int
        Nearest documents kept per document.
    max_label_df : float
        A single word in more than this share of all documents, and in most themes, is too broad
        to be a label term.
    bound_share : float
        A word is no label term of a theme when a phrase containing it is found in this share of
        the theme's papers that have the word ("law" in "scaling law").
    tol, max_iter : float, int
        When the non-negative matrix factorization stops: relative improvement below ``tol``, or
        ``max_iter`` iterations.
    refine_iter : int
        Iterations of the factorization in each refinement round (see ``_refine``). Fewer keep
        the old papers where they were when a dump is added: ARI of the old papers' themes, each
        real dump held out then added (``scripts/theme_names.py``), 0.84-1.0 with 10, 0.94-1.0
        with 5, 0.98-1.0 with 3 (which left the held-out dump 002 no theme of its own).
    max_rounds : int
        Refinement rounds at most (see ``_settle``); a handful suffice.
    stickiness : float
        In a refinement round: how much larger a share of a paper's topic weights another theme
        must have for the paper to leave the theme it had.
    random_state : int
        Seed of SVD and NMF: the same input gives the same themes.
    n_jobs : int
        Processes that cluster areas at once (past ``max_full``); the themes are the same with any.
    """

    def __init__(
        self,
        n_themes: int | None = None,
        k_range: tuple[int, int] | None = None,
        max_full: int = 800,
        sweep_size: int = 400,
        themes_per_area: int = 8,
        area_iter: int = 100,
        n_components: int = 100,
        n_terms: int = 5,
        n_related: int = 5,
        max_label_df: float = 0.3,
        bound_share: float = 0.9,
        tol: float = 1e-3,
        max_iter: int = 400,
        refine_iter: int = 5,
        max_rounds: int = 8,
        stickiness: float = 0.35,
        random_state: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.n_themes = n_themes
        self.k_range = k_range
        self.max_full = max_full
        self.sweep_size = sweep_size
        self.themes_per_area = themes_per_area
        self.area_iter = area_iter
        self.n_components = n_components
        self.n_terms = n_terms
        self.n_related = n_related
        self.max_label_df = max_label_df
        self.bound_share = bound_share
        self.tol = tol
        self.max_iter = max_iter
        self.refine_iter = refine_iter
        self.max_rounds = max_rounds
        self.stickiness = stickiness
        self.random_state = random_state
        self.n_jobs = n_jobs

    def fit(
        self,
        documents: Sequence[str],
        seed_labels: Sequence[int] | None = None,
        stages: Stages | None = None,
        seed_areas: dict[int, int] | None = None,
        joined: Sequence[bool] | None = None,
    ) -> ThemeModel:
        """Learn the themes of ``documents``.

        ``seed_labels`` (one per document; -1 for a document not seen before) are the previous
        build's themes: the factorization starts from them, so that a document keeps its theme
        unless the new documents pull the theme elsewhere. ``seed_areas`` (seed -> area) is the
        previous build's grouping of its themes into areas (``theme_areas_``), used past
        ``max_full`` documents. ``stages`` times the themes and the related documents apart.

        ``joined`` (one per document) marks the seeded documents that joined their theme after it
        was fitted. Given it, the seeded themes are carried without fitting them again while
        the documents fitted on are most of all (see ``carry.py``; ``carried_``). Without it they are
        fitted again.
        """
        stages = stages if stages is not None else Stages()
        # One thread: on a few hundred rows, BLAS/OpenMP start-up and contention cost more than
        # they save (3x slower on a busy 2-core machine), and the build renders on the other core.
        with threadpool_limits(1):
            with stages("themes"):
                self._fit_themes(documents, seed_labels, seed_areas or {}, joined)
            with stages("related"):
                k = min(self.n_related, len(documents) - 1)
                self.related_ = nearest(
                    self.tfidf_, self.embedding_, self.areas_, max(k, 0), keys=self.text_keys_
                )
        return self

    def _fit_themes(
        self,
        documents: Sequence[str],
        seed_labels: Sequence[int] | None,
        seed_areas: dict[int, int],
        joined: Sequence[bool] | None,
    ) -> None:
        n = len(documents)
        seeds = np.asarray(seed_labels, dtype=int) if seed_labels is not None else np.full(n, -1)
        # The documents the themes are fitted on: all of them, unless the seeded themes are carried
        # (then the seeded ones that did not join since the last fit).
        fitted = np.ones(n, dtype=bool)
        self.carried_ = False
        if joined is not None and seed_labels is not None and self._carriable(seeds, seed_areas):
            fitted = (seeds >= 0) & ~np.asarray(joined, dtype=bool)
            self.carried_ = carry.carries(seeds, fitted)
            if not self.carried_:
                fitted = np.ones(n, dtype=bool)
        self.fitted_ = fitted
        self.text_keys_ = text_keys(documents)
        # A sample that adding documents changes little: the fitted documents of lowest hash.
        self.hash_rank_ = areas.hash_ranks(documents)
        self.sample_ = areas.sample_of(np.flatnonzero(fitted), self.hash_rank_, self.max_full)
        store, counts, surfaces = carry.vector_store(), None, {}
        known = store.get() if store is not None and self.carried_ else None
        found = None
        if known is not None:
            # Carried themes: the vectors of the papers the last build had are taken as they were.
            found = carry.known_vectors(documents, self.text_keys_, fitted, known, self._basis)
        if found is not None and known is not None:
            self.tfidf_, self.embedding_ = found
            self.columns_, self.idf_, self.basis_key_ = known.terms, known.idf, known.basis
            self.vocabulary_ = known.terms  # (no analysis: the terms of the vectors' columns)
            bases = _BASES.get()
            if bases is not None and known.basis:
                bases.keep(known.basis)  # (for the build that has new papers to project)
        else:
            counts, self.vocabulary_, surfaces = analyze_all(documents)
            self.tfidf_ = self._tfidf(counts, self.vocabulary_, np.flatnonzero(fitted))
            self.embedding_ = self._embed(self.tfidf_, self.sample_)
        if store is not None:
            store.put(
                carry.Vectors(
                    self.text_keys_,
                    fitted,
                    self.tfidf_,
                    self.columns_,
                    self.idf_,
                    self.embedding_,
                    self.basis_key_,
                )
            )
        self.silhouettes_: dict[int, float] = {}
        self.seeded_ = False
        self.areas_ = np.zeros(n, dtype=int)
        if self.carried_:
            self.seeded_ = True
            labels, self.areas_, grouping = carry.join(self, seeds, fitted, seed_areas)
            if n <= self.max_full:
                self.areas_[:], grouping = 0, {}
        else:
            labels, _, grouping = self._cluster(seed_labels, seed_areas)
        # Ranked by their likeness to their theme, as carried themes rank them: the same
        # measure whether fitted or carried, so that a build seeded with its own themes gives them
        # back in the same order.
        centrality = carry.typicality(self.tfidf_, self.embedding_, labels, fitted)
        # Themes in a canonical order (largest first, then by first document) so that numbering
        # does not depend on the factorization's internal order.
        sizes = Counter(labels.tolist())
        first: dict[int, int] = {}
        for i, c in enumerate(labels.tolist()):
            first.setdefault(c, i)
        order = sorted(sizes, key=lambda c: (-sizes[c], first[c]))
        remap = {old: new for new, old in enumerate(order)}
        self.labels_ = np.array([remap[c] for c in labels.tolist()], dtype=int)
        self.n_themes_ = len(order)
        self.seed_map_ = {remap[c]: c for c in order}  # new theme -> topic (= seed index)
        self.theme_areas_ = [grouping.get(c, 0) for c in order]
        self.centrality_ = centrality
        if self.carried_:  # the stored themes' terms and subjects are carried (``stage.py``)
            self.terms_ = [[] for _ in order]
            self.subjects_ = [True for _ in order]
            return
        assert counts is not None  # (analyzed: only carried themes take known vectors)
        terms, self.subjects_ = theme_terms(
            counts,
            self.vocabulary_,
            self.labels_,
            self.n_themes_,
            surfaces,
            self.n_terms,
            self.max_label_df,
            self.bound_share,
            documents,
        )
        if self.n_themes is not None:  # a count set by the maintainer is that many themes
            self.subjects_ = [True] * self.n_themes_
        # A theme of no subject (the papers left over between subjects) has no terms to be named by.
        self.terms_ = [t if subject else [] for t, subject in zip(terms, self.subjects_, strict=True)]

    def _carriable(self, seeds: np.ndarray, seed_areas: dict[int, int]) -> bool:
        """Whether seeded themes can be carried as they are: the theme count is not set to
        another, and past ``max_full`` documents every seeded theme has its area."""
        stored = set(seeds[seeds >= 0].tolist())
        if self.n_themes is not None and self.n_themes != len(stored):
            return False
        return len(seeds) <= self.max_full or all(c in seed_areas for c in stored)

    def _tfidf(
        self, counts: sparse.csr_matrix, vocabulary: list[str], rows: np.ndarray | None = None
    ) -> sparse.csr_matrix:
        """TF-IDF of the terms in 2 papers or more and in at most half of them (a term of one
        paper cannot bring two together; one in most papers says nothing about any); as
        scikit-learn's ``TfidfVectorizer(min_df=2, max_df=0.5, sublinear_tf=True)`` computes it
        (all terms under 10 papers). The terms (``columns_``, of ``vocabulary``) and their IDF
        (``idf_``) are learned on ``rows`` (None: all) and every row is weighted with them."""
        n = counts.shape[0]
        fit = counts if rows is None or len(rows) == n else counts[rows]
        m = fit.shape[0]
        df = np.bincount(fit.indices, minlength=counts.shape[1])
        low, high = (2, 0.5 * m) if m >= 10 else (1, m)
        kept = np.flatnonzero((df >= low) & (df <= high))
        self.columns_ = [vocabulary[j] for j in kept.tolist()]
        self.idf_ = idf_of(fit[:, kept])
        if not len(kept):
            return sparse.csr_matrix((n, 0))
        return weigh(counts[:, kept], self.idf_)

    # -- stages of fit -------------------------------------------------------------------------

    def _embed(self, tfidf: sparse.csr_matrix, sample: np.ndarray) -> np.ndarray:
        """Latent semantic (TruncatedSVD) vectors of every document, learned on ``sample``
        (``basis_``: the components). A basis learned on the same rows before is taken from the
        store ``keeping_bases`` sets (the build's cache), not learned again."""
        n, features = tfidf.shape
        rows = tfidf if len(sample) == n else tfidf[sample]
        components = min(self.n_components, features - 1, rows.shape[0] - 1)
        self.basis_key_ = ""
        if components < 2:
            return normalize(tfidf.toarray()) if features and n <= self.max_full else np.zeros((n, 1))
        store = _BASES.get()
        key = self.basis_key_ = _digest(rows, components, self.random_state) if store is not None else ""
        basis = store.get(key) if store is not None else None
        if basis is None or basis.shape != (components, features):
            from sklearn.decomposition import TruncatedSVD  # (only where a basis is learned)

            svd = TruncatedSVD(n_components=components, algorithm="arpack", random_state=self.random_state)
            basis = svd.fit(rows).components_
            if store is not None:
                store.put(key, basis)
        self.basis_ = basis
        return normalize(np.asarray(tfidf @ basis.T))

    def _basis(self, key: str) -> np.ndarray | None:
        """The basis kept under ``key`` (``keeping_bases``), if any."""
        store = _BASES.get()
        basis = store.get(key) if store is not None and key else None
        if basis is not None:
            self.basis_ = basis
        return basis

    def _candidate_counts(self, n: int) -> list[int]:
        """Theme counts to try for ``n`` documents: fewer than the documents, no more than the
        terms (NMF finds at most as many topics as there are terms), and ``MAX_CANDIDATES`` at
        most, evenly spread over the range (the sweep must not grow with the documents)."""
        if self.k_range is not None:
            low, high = self.k_range
        else:
            low, high = max(2, round(0.6 * math.sqrt(n))), max(2, round(math.sqrt(n)))
        counts = [k for k in range(low, high + 1) if 2 <= k < n and k <= self.tfidf_.shape[1]]
        if len(counts) > MAX_CANDIDATES:
            picks = np.linspace(0, len(counts) - 1, MAX_CANDIDATES).round().astype(int)
            counts = [counts[i] for i in sorted(set(picks.tolist()))]
        return counts

    def _cluster(
        self, seed_labels: Sequence[int] | None, seed_areas: dict[int, int]
    ) -> tuple[np.ndarray, np.ndarray, dict[int, int]]:
        """Each document's theme, in seed numbering (a seeded theme keeps its seed's number; a new
        one gets a number above every seed), its centrality (see ``_flat``), and each theme's
        area (all 0 up to ``max_full`` documents)."""
        x = self.tfidf_
        n = x.shape[0]
        seeds = np.asarray(seed_labels, dtype=int) if seed_labels is not None else None
        if seeds is not None and seeds.max(initial=-1) < 0:
            seeds = None
        if n <= self.max_full:
            return (*self._flat(x, self.embedding_, seeds, self.n_themes, sweep=True), {})
        # Past max_full: the count of themes comes from the settings, the seeds, or a sweep on
        # a sample scaled by sqrt(n / sample size) (the count grows like sqrt(n) in the range).
        if seeds is not None:
            self.seeded_ = True
            stored = len(set(seeds[seeds >= 0].tolist()))
            k = max(_grown(stored, seeds), self.n_themes or self._candidate_counts(n)[0])
            self.chosen_k_ = k
            labels, centrality, self.areas_, grouping = areas.settle(self, seeds, k - stored, seed_areas)
            return labels, centrality, grouping
        if self.n_themes is not None:
            k = self.n_themes
        else:
            sample = areas.sample_of(np.arange(n), self.hash_rank_, self.sweep_size)
            # Only the count is wanted here (the areas are clustered afresh), so no refinement, no
            # more iterations than an area's first factorization gets, and only the terms of two
            # sampled papers or more (as in an area: a term of one paper brings none together).
            sample_k, _ = self._sweep(
                areas.used_columns(x[sample], min_rows=2), self.embedding_[sample], max_iter=self.area_iter
            )
            k = round(sample_k * math.sqrt(n / len(sample)))
        self.chosen_k_ = k
        # Area by area, each to the fixed point a build seeded with these themes settles on.
        labels, centrality, self.areas_ = areas.split(self, k)
        return labels, centrality, dict(zip(labels.tolist(), self.areas_.tolist(), strict=True))

    def _flat(
        self,
        x: sparse.csr_matrix,
        embedding: np.ndarray,
        seeds: np.ndarray | None,
        n_themes: int | None,
        sweep: bool = False,
        max_iter: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Themes of the rows of ``x``, each seen whole: (labels, centrality). Labels are seed
        numbers where ``seeds`` gives them; centrality is each row's weight on its own topic (the
        build ranks a theme's papers by ``carry.typicality`` instead). ``max_iter`` bounds the first factorization (the
        refinement rounds that follow settle the themes)."""
        n = x.shape[0]
        if n < 3 or x.nnz == 0:
            return np.zeros(n, dtype=int), np.ones(n)
        if seeds is not None and seeds.max(initial=-1) >= 0:
            # The stored count is kept (a theme count that jumps would move papers around), but
            # grows with the content (``_grown``): never below the smallest count ``k_range``
            # would try.
            stored = int(seeds.max()) + 1
            k = min(n_themes or max([_grown(stored, seeds), *self._candidate_counts(n)[:1]]), n, x.shape[1])
            self.seeded_ = True
            # Stored themes are not dissolved: that would move the old papers they keep.
            return self._settle(x, seeds, k)
        if n_themes is not None:
            # (An area's share of the themes at scale: not dissolved, which would settle the area
            # again and again; the count there comes from a sample, not a sweep, anyway.)
            k = min(n_themes, n, x.shape[1])
            return self._settle(x, _argmax(self._nmf(x, k, max_iter=max_iter)), k)
        best_k, best_labels = self._sweep(x, embedding)
        # Not below the smallest count tried, the count a build seeded with these themes keeps.
        candidates = self._candidate_counts(n)
        return self._settle(x, best_labels, best_k, candidates[0] if candidates else best_k)

    def _sweep(
        self, x: sparse.csr_matrix, embedding: np.ndarray, max_iter: int | None = None
    ) -> tuple[int, np.ndarray]:
        """The theme count of best cosine silhouette among ``_candidate_counts``, and its labels;
        sets ``chosen_k_`` and ``silhouettes_``."""
        n = x.shape[0]
        best_k, best_labels, best_score = 1, np.zeros(n, dtype=int), -2.0
        # The candidates are independent: in ``n_jobs`` processes (the same result with any).
        # The larger counts first: a factorization's cost grows with its count.
        tried = forked_map(
            _candidate, (self, x, embedding, max_iter), self._candidate_counts(n), self.n_jobs, cost=float
        )
        for k, labels, score in tried:
            if score is None:
                continue
            self.silhouettes_[k] = score
            if score > best_score + 1e-9:
                best_k, best_labels, best_score = k, labels, score
        self.chosen_k_ = best_k
        return best_k, best_labels

    def _nmf(
        self,
        x: sparse.csr_matrix,
        k: int,
        init: tuple[np.ndarray, np.ndarray] | None = None,
        max_iter: int | None = None,
    ) -> np.ndarray:
        """Factorize ``x`` into ``k`` topics; returns W (documents x topics). Without ``init``,
        NNDSVD starts it (an SVD-based start: no randomness)."""
        return self._nmf_model(x, k, init, max_iter)[0]

    def _nmf_model(
        self,
        x: sparse.csr_matrix,
        k: int,
        init: tuple[np.ndarray, np.ndarray] | None = None,
        max_iter: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """``_nmf``, with H (topics x terms) too."""
        from sklearn.decomposition import NMF
        from sklearn.exceptions import ConvergenceWarning

        model = NMF(
            n_components=k,
            init="custom" if init is not None else "nndsvda",
            tol=self.tol,
            max_iter=max_iter or self.max_iter,
            random_state=self.random_state,
        )
        # An exact fit (as many topics as distinct documents) can leave a rounding error below
        # zero under the square root of scikit-learn's reconstruction error, which is not used.
        with warnings.catch_warnings(), np.errstate(invalid="ignore"):
            # Hitting max_iter still gives a usable (and deterministic) factorization.
            warnings.simplefilter("ignore", ConvergenceWarning)
            if init is None:
                w = model.fit_transform(x)
            else:
                w = model.fit_transform(x, W=init[0], H=init[1])
        return w, model.components_

    def _weights(self, x: sparse.csr_matrix, h: np.ndarray) -> np.ndarray:
        """The weights that best rebuild each row of ``x`` from the topics ``h`` (h fixed)."""
        from sklearn.decomposition import non_negative_factorization
        from sklearn.exceptions import ConvergenceWarning

        with warnings.catch_warnings(), np.errstate(invalid="ignore"):
            warnings.simplefilter("ignore", ConvergenceWarning)
            w, _, _ = non_negative_factorization(
                x,
                H=h,
                n_components=h.shape[0],
                init="custom",
                update_H=False,
                tol=self.tol,
                max_iter=self.max_iter,
            )
        return w

    def _settle(
        self, x: sparse.csr_matrix, labels: np.ndarray, k: int, floor: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Refine ``labels`` (-1: no theme yet) until refining changes nothing. The themes a build
        settles on are then the themes it settles on when seeded with them: storing a build's
        themes and building again changes nothing. Then grab-bags are dissolved, leaving
        ``floor`` themes at least (None: ``k``, none dissolved)."""
        floor = k if floor is None else floor
        self.rounds_ = 0
        labels, weights = self._rounds(x, labels, k)
        # A grab-bag (no subject term most of its papers share, see coherence.py) is dissolved:
        # each of its papers joins the theme it leans to most after its own, as a member that
        # stays unless clearly drawn elsewhere (so the papers left over between subjects cannot
        # take over another theme's topic and gather again), and the themes settle again. Theme
        # numbers are kept (``numbers``: a compact number's own), so a seeded theme keeps its seed's.
        # Never below ``floor`` themes; a count fixed by the settings (``n_themes``) is kept.
        numbers = np.arange(k)
        for _ in range(MAX_DISSOLVE if self.n_themes is None and floor < k else 0):
            loose = coherence.grab_bags(x, labels, len(numbers))[: max(0, len(numbers) - max(floor, 2))]
            if not loose:
                break
            kept = np.setdiff1d(np.arange(len(numbers)), loose)
            compact = np.full(len(numbers), -1)
            compact[kept] = np.arange(len(kept))
            labels = np.where(np.isin(labels, loose), _argmax(weights[:, kept]), compact[labels])
            numbers = numbers[kept]
            labels, weights = self._rounds(x, labels, len(kept))
        return numbers[labels], weights[np.arange(len(labels)), labels]

    def _rounds(self, x: sparse.csr_matrix, labels: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``_refine`` until a round changes nothing (``max_rounds`` at most): the labels and the
        weights (documents x topics)."""
        weights = np.ones((x.shape[0], max(k, 1)))
        for _ in range(self.max_rounds):
            self.rounds_ += 1
            refined, weights = self._refine(x, labels, k)
            if np.array_equal(refined, labels):
                break
            labels = refined
        return labels, weights

    def _refine(self, x: sparse.csr_matrix, seeds: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """One round: start the factorization from the themes ``seeds`` gives (each topic from
        the mean TF-IDF vector of its papers, each paper's weights from those topics), run it for
        ``refine_iter`` iterations, and move a paper only where ``_stick`` allows. Returns the
        labels and the weights (documents x topics, in seed numbering)."""
        n = x.shape[0]
        # The factorization sees the topics in a canonical order (by their first paper), so that
        # its result does not depend on how the seeds happen to be numbered.
        first = {int(c): i for i, c in reversed(list(enumerate(seeds.tolist()))) if 0 <= c < k}
        order = sorted(range(k), key=lambda c: (first.get(c, n), c))
        rows: list[np.ndarray | None] = [
            np.asarray(x[seeds == c].mean(axis=0)).ravel() if c in first else None for c in order
        ]
        # A theme with no paper (more themes asked for than stored, or one emptied) starts from
        # the document least like every other theme (deterministic, unlike random restarts).
        for j in range(k):
            if rows[j] is None:
                known = normalize(np.array([r for r in rows if r is not None]))
                rows[j] = x[int(np.argmin((x @ known.T).max(axis=1)))].toarray().ravel()
        h = np.array(rows)
        # Weights that best rebuild each paper from these topics (H fixed), then both refined.
        w = self._weights(x, h)
        # A few iterations only: the topics follow the papers added since, without drifting away
        # from the themes they started as (a full run moves a third of the papers on a new dump).
        w = self._nmf(x, k, (np.ascontiguousarray(w), h), max_iter=self.refine_iter)
        # Back to the seed numbers (for slug survival); a surplus number is a new theme.
        weights = np.empty_like(w)
        weights[:, order] = w
        return self._stick(weights, _argmax(weights), seeds), weights

    def _stick(self, weights: np.ndarray, labels: np.ndarray, seeds: np.ndarray) -> np.ndarray:
        """Hysteresis: a paper that had a theme goes back to it unless the theme it now leans to
        has a larger share of its topic weights by more than ``stickiness``. Adding a few papers
        nudges every topic a little; that alone should not move a paper back and forth."""
        k = weights.shape[1]
        share = normalize(weights, norm="l1")
        rows = np.flatnonzero((seeds >= 0) & (seeds < k) & (labels != seeds))
        for i in rows:
            if share[i, labels[i]] - share[i, seeds[i]] <= self.stickiness:
                labels[i] = seeds[i]
        return labels


def _candidate(
    shared: tuple[ThemeModel, sparse.csr_matrix, np.ndarray, int | None], k: int
) -> tuple[int, np.ndarray, float | None]:
    """One candidate of ``ThemeModel._sweep``: (k, labels, cosine silhouette; None when the
    factorization found fewer than two themes)."""
    from sklearn.metrics import silhouette_score

    model, x, embedding, max_iter = shared
    with threadpool_limits(1):
        labels = _argmax(model._nmf(x, k, max_iter=max_iter))
        if len(set(labels.tolist())) < 2:
            return k, labels, None
        # Cosine silhouette in the LSA space, where papers with synonyms are close. All pairs, but
        # of at most max_full rows: a sample past that.
        return k, labels, float(silhouette_score(embedding, labels, metric="cosine"))


class Bases(Protocol):
    """Where latent semantic bases are kept between builds, by the digest of what they were
    learned on (``sitegen/cache.py`` keeps them in the build cache)."""

    def get(self, key: str) -> np.ndarray | None: ...

    def put(self, key: str, basis: np.ndarray) -> None: ...

    def keep(self, key: str) -> None:
        """Keep the basis of ``key`` for later builds, though this one did not read it."""


#: Set by ``keeping_bases``: the store ``ThemeModel._embed`` takes bases from and puts them in.
_BASES: ContextVar[Bases | None] = ContextVar("bases", default=None)


def keeping_bases(store: Bases) -> AbstractContextManager[None]:
    """Within the block, a latent semantic basis learned on rows learned on before comes from
    ``store`` (with carried themes, the same sample of the same fitted papers, build after build)."""
    return using(_BASES, store)


def _digest(rows: sparse.csr_matrix, components: int, random_state: int) -> str:
    """What a basis is learned from: the rows (their exact values) and the SVD's settings."""
    rows = rows.tocsr()
    rows.sort_indices()
    h = hashlib.sha256(f"{rows.shape} {components} arpack {random_state}".encode())
    for part in (rows.indptr, rows.indices, rows.data):
        h.update(np.ascontiguousarray(part).tobytes())
    return h.hexdigest()


def _grown(stored: int, seeds: np.ndarray) -> int:
    """The theme count of a build seeded with ``stored`` themes (``seeds``: each document's, -1
    for a new one): it grows with the documents as a fresh build's does, like the square root of
    their number, so that the new documents of a subject the stored themes do not have can make
    a theme of their own instead of filling the nearest one (``_refine`` starts such a theme
    from the document least like every other)."""
    old = int((seeds >= 0).sum())
    return max(stored, round(stored * math.sqrt(len(seeds) / old))) if old else stored


def _argmax(weights: np.ndarray) -> np.ndarray:
    """Each document's strongest topic (the first one on a tie)."""
    return np.asarray(weights.argmax(axis=1), dtype=int)
