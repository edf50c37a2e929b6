"""Themes: group the papers by what they are about, name each group, find each paper's neighbours.

The stage runs on every build, so it is small and deterministic:

1. **Vectorize** title + abstract with TF-IDF over words and two-word phrases. The stop words are
   scikit-learn's English list plus the generic words every abstract uses ("model", "propose",
   "results", ...), so that what is left is what a paper is *about*.
2. **Factorize** the TF-IDF matrix with non-negative matrix factorization (NMF): k topics, each a
   non-negative mix of terms, and each paper a non-negative mix of topics. A paper's theme is its
   strongest topic. Unlike k-means on the same vectors, which must split the papers into round
   cells and so makes grab-bags of what is left over, a topic is a set of terms that occur
   *together*, and a paper can lean on it without sharing its every word.
3. **Choose k**: the number of themes is the one whose assignment has the best cosine silhouette
   in a latent semantic (TruncatedSVD) space, over a range derived from the number of papers (a
   ``themes:`` setting overrides it). When the previous build's themes are stored alongside the
   content (``content/themes.json``), the factorization starts from them instead, so that adding
   a dump keeps existing papers where they were and theme slugs survive (see
   ``scripts/theme_stability.py``).
   Either way the themes are then refined until a round changes nothing (``_settle``): a build's
   themes, stored and built again, come back unchanged.
4. **Label** each theme with class-based TF-IDF (c-TF-IDF, as BERTopic does): the terms that are
   frequent in this theme *and* rare in the others, not merely frequent.
5. **Relate**: each paper's nearest papers by cosine similarity of their TF-IDF vectors.

``ThemeModel`` is a scikit-learn style estimator (``__init__`` stores parameters, ``fit`` does the
work and returns ``self``, learned attributes end in ``_``); ``assign_themes`` is the build stage
that turns its output into ``Theme`` records.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.decomposition import NMF, TruncatedSVD, non_negative_factorization
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer, TfidfVectorizer
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits

from .errors import Diagnostics
from .models import Paper, Site, Theme
from .text import slugify

# Words that every abstract uses whatever it is about. They would otherwise dominate both the
# clusters (papers grouped by writing style) and the labels ("model · results").
GENERIC_WORDS = frozenset(
    """
    model models modeling modelling propose proposed proposes proposing result results method
    methods approach approaches paper papers show shows shown showing performance perform performs
    based using use used uses new novel work works framework frameworks demonstrate demonstrates
    demonstrated achieve achieves achieved achieving significant significantly substantially
    existing state art sota experiment experiments experimental extensive outperform outperforms
    outperforming improve improves improved improving improvement improvements task tasks study
    studies introduce introduces introduced present presents presented effective effectively
    efficient efficiently key various different challenge challenges challenging furthermore
    moreover additionally however specifically particular particularly recent recently prior
    previous including include includes provide provides provided enable enables enabling allow
    allows leverage leverages leveraging address addresses addressing remain remains suggest
    suggests finding findings evaluate evaluated evaluation evaluations analysis analyze analyse
    conduct conducted compared compare comparison baseline baselines benchmark benchmarks dataset
    datasets code available release released github https http com www org io html url et al ie eg e
    g i vs via etc large small simple strong high low better best good higher lower number set sets
    way ways able wide widely range problem problems issue issues question questions setting
    settings despite level levels step steps make makes making like typically often usually commonly
    generally strategy strategies technique techniques mechanism design designed process key
    important crucial potential impact insight insights aim aims goal goals paradigm effectiveness
    efficiency capability capabilities ability abilities generalization robust robustness scalable
    accuracy accurate quality state-of-the-art consistently competitive superior comprehensive
    empirical empirically theoretical theoretically superiority versatile diverse diversity scenario
    scenarios real world practical fundamental limitations limitation limited lack lacks fail fails
    gap gaps open source publicly specific enhance enhanced enhancing enhances need needs identify
    given lead leads require requires required rely relies current additional directly single
    multiple example examples general research application applications obtain obtained yield yields
    effect effects respectively thereby overall instead particular remarkable notably stateoftheart
    largescale wellknown
    """.split()
)
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS | GENERIC_WORDS)

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
# A token: letters and digits, possibly hyphenated ("fine-tuning", "text-to-image"), at least two
# characters and one letter ("3D" yes, "2025" no).
_TOKEN = re.compile(r"(?=[\w-]*[^\W\d_])[^\W_]+(?:-[^\W_]+)*")
# Two-word phrases are only formed inside a clause, never across punctuation.
_CLAUSE = re.compile(r"[.,;:!?()\[\]{}\"“”]|\s[-–—]\s")
# Plural endings that are not plurals.
_KEEP_S = ("ss", "us", "is", "as", "os", "ys")


def singular(word: str) -> str:
    """A light, predictable singularizer ("models" -> "model", "strategies" -> "strategy"), so that
    a label does not list a word and its plural as two terms."""
    if len(word) <= 3 or not word.isalpha() or word.endswith(_KEEP_S):
        return word
    if word.endswith("ies") and len(word) > 4 and word not in ("series", "species"):
        return word[:-3] + "y"
    if word.endswith("s"):
        return word[:-1]
    return word


def words(text: str) -> list[list[tuple[str, str]]]:
    """The clauses of ``text``, each a list of (normalized word, surface form), stop words out.
    The normalized word is lower-case, singular and without hyphens, so that "Pre-training",
    "pretraining" and "pre-trainings" are one term."""
    clauses = []
    for clause in _CLAUSE.split(_URL.sub(" ", text)):
        kept = []
        for token in _TOKEN.findall(clause):
            # A compound with a stop word in it ("prompt-based", "text-to-image") counts as its
            # other words, so that no term of a label carries a stop word.
            parts = token.split("-")
            if len(parts) > 1 and any(p.lower() in STOP_WORDS for p in parts):
                surfaces = [p for p in parts if p.lower() not in STOP_WORDS]
            else:
                surfaces = [token]
            for surface in surfaces:
                lower = surface.lower()
                norm = singular(lower.replace("-", ""))
                if len(norm) < 2 or lower in STOP_WORDS or norm in STOP_WORDS:
                    continue
                kept.append((norm, surface))
        if kept:
            clauses.append(kept)
    return clauses


def terms_of(clauses: list[list[tuple[str, str]]]) -> list[str]:
    """Terms of a text split by ``words``: normalized words and two-word phrases."""
    terms: list[str] = []
    for clause in clauses:
        norms = [norm for norm, _ in clause]
        terms.extend(norms)
        terms.extend(f"{a} {b}" for a, b in zip(norms, norms[1:], strict=False) if a != b)
    return terms


def analyze(text: str) -> list[str]:
    """Terms of ``text``: normalized words and two-word phrases."""
    return terms_of(words(text))


def _given(terms: list[str]) -> list[str]:
    # The vectorizers get documents already split into terms (split once, used three times).
    return terms


def document(paper: Paper) -> str:
    """The text a paper is clustered by. The title counts twice: it is the densest summary."""
    return f"{paper.title}.\n{paper.title}.\n{paper.abstract}"


class ThemeModel:
    """Cluster documents into themes, label them with c-TF-IDF, and relate nearest documents.

    Parameters
    ----------
    n_themes : int or None
        Number of themes; None chooses it by cosine silhouette over ``k_range`` (or, when
        ``fit`` gets seed labels, keeps the seeded number).
    k_range : (int, int) or None
        Candidate theme counts (inclusive); None derives it from the number of documents n:
        ``0.6 sqrt(n)`` to ``sqrt(n)`` (10 to 16 for 270 papers).
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
        Iterations of the factorization in each refinement round (see ``_refine``).
    max_rounds : int
        Refinement rounds at most (see ``_settle``); a handful suffice.
    stickiness : float
        In a refinement round: how much larger a share of a paper's topic weights another theme
        must have for the paper to leave the theme it had.
    random_state : int
        Seed of SVD and NMF: the same input gives the same themes.
    """

    def __init__(
        self,
        n_themes: int | None = None,
        k_range: tuple[int, int] | None = None,
        n_components: int = 100,
        n_terms: int = 5,
        n_related: int = 5,
        max_label_df: float = 0.3,
        bound_share: float = 0.9,
        tol: float = 1e-3,
        max_iter: int = 400,
        refine_iter: int = 10,
        max_rounds: int = 8,
        stickiness: float = 0.35,
        random_state: int = 0,
    ) -> None:
        self.n_themes = n_themes
        self.k_range = k_range
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

    def fit(self, documents: Sequence[str], seed_labels: Sequence[int] | None = None) -> ThemeModel:
        """Learn the themes of ``documents``.

        ``seed_labels`` (one per document; -1 for a document not seen before) are the previous
        build's themes: the factorization starts from them, so that a document keeps its theme
        unless the new documents pull the theme elsewhere.
        """
        # One thread: on a few hundred rows, BLAS/OpenMP start-up and contention cost more than
        # they save (3x slower on a busy 2-core machine).
        with threadpool_limits(1):
            return self._fit(documents, seed_labels)

    def _fit(self, documents: Sequence[str], seed_labels: Sequence[int] | None) -> ThemeModel:
        n = len(documents)
        clauses = [words(doc) for doc in documents]
        terms = [terms_of(c) for c in clauses]
        # Terms in more than half of the papers say nothing about any of them; terms of a single
        # paper cannot bring two papers together.
        self.vectorizer_ = TfidfVectorizer(
            analyzer=_given, min_df=2 if n >= 10 else 1, max_df=0.5 if n >= 10 else 1.0, sublinear_tf=True
        )
        try:
            self.tfidf_ = self.vectorizer_.fit_transform(terms)
        except ValueError:  # no term at all (empty or stop-word-only documents)
            self.vectorizer_ = None
            self.tfidf_ = sparse.csr_matrix((n, 0))
        self.embedding_ = self._embed(self.tfidf_)
        self.silhouettes_: dict[int, float] = {}
        self.seeded_ = False
        labels = self._cluster(seed_labels)
        # Themes in a canonical order (largest first, then by first document) so that numbering
        # does not depend on the factorization's internal order.
        sizes = Counter(labels.tolist())
        order = sorted(sizes, key=lambda c: (-sizes[c], int(np.flatnonzero(labels == c)[0])))
        remap = {old: new for new, old in enumerate(order)}
        self.labels_ = np.array([remap[c] for c in labels.tolist()], dtype=int)
        self.n_themes_ = len(order)
        self.seed_map_ = {remap[c]: c for c in order}  # new theme -> topic (= seed index)
        self.centrality_ = self._centrality()
        self.terms_ = self._terms(terms, _surface_forms(clauses))
        self.related_ = self._related()
        return self

    # -- stages of fit -------------------------------------------------------------------------

    def _embed(self, tfidf: sparse.csr_matrix) -> np.ndarray:
        n, features = tfidf.shape
        components = min(self.n_components, features - 1, n - 1)
        if components < 2:
            return normalize(tfidf.toarray()) if features else np.zeros((n, 1))
        svd = TruncatedSVD(n_components=components, algorithm="arpack", random_state=self.random_state)
        self.svd_ = svd
        return normalize(svd.fit_transform(tfidf))

    def _candidate_counts(self, n: int) -> list[int]:
        """Theme counts to try for ``n`` documents: fewer than the documents, and no more than
        the terms (NMF finds at most as many topics as there are terms)."""
        if self.k_range is not None:
            low, high = self.k_range
        else:
            low, high = max(2, round(0.6 * math.sqrt(n))), max(2, round(math.sqrt(n)))
        return [k for k in range(low, high + 1) if 2 <= k < n and k <= self.tfidf_.shape[1]]

    def _nmf(
        self, k: int, init: tuple[np.ndarray, np.ndarray] | None = None, max_iter: int | None = None
    ) -> np.ndarray:
        """Factorize the TF-IDF matrix into ``k`` topics; returns W (documents x topics).
        Without ``init``, NNDSVD starts it (an SVD-based start: no randomness)."""
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
                return model.fit_transform(self.tfidf_)
            return model.fit_transform(self.tfidf_, W=init[0], H=init[1])

    def _cluster(self, seed_labels: Sequence[int] | None) -> np.ndarray:
        x = self.tfidf_
        n = x.shape[0]
        if n < 3 or x.nnz == 0:
            self.weights_ = np.ones((n, 1))
            return np.zeros(n, dtype=int)
        if seed_labels is not None and max(seed_labels, default=-1) >= 0:
            seeds = np.asarray(seed_labels)
            # The stored count is kept (a theme count that jumps would move papers around), but
            # grows with the content: never below the smallest count ``k_range`` would try.
            stored = int(seeds.max()) + 1
            k = min(self.n_themes or max([stored, *self._candidate_counts(n)[:1]]), n, x.shape[1])
            self.seeded_ = True
            return self._settle(seeds, k)
        if self.n_themes is not None:
            k = min(self.n_themes, n, x.shape[1])
            return self._settle(_argmax(self._nmf(k)), k)
        best_k, best_labels, best_score = 1, np.zeros(n, dtype=int), -2.0
        for k in self._candidate_counts(n):
            labels = _argmax(self._nmf(k))
            if len(set(labels.tolist())) < 2:
                continue
            # Cosine silhouette in the LSA space, where papers with synonyms are close.
            score = float(silhouette_score(self.embedding_, labels, metric="cosine"))
            self.silhouettes_[k] = score
            if score > best_score + 1e-9:
                best_k, best_labels, best_score = k, labels, score
        self.chosen_k_ = best_k
        return self._settle(best_labels, best_k)

    def _settle(self, labels: np.ndarray, k: int) -> np.ndarray:
        """Refine ``labels`` (-1: no theme yet) until refining changes nothing. The themes a build
        settles on are then the themes it settles on when seeded with them: storing a build's
        themes and building again changes nothing."""
        self.rounds_ = 0
        for _ in range(self.max_rounds):
            self.rounds_ += 1
            refined = self._refine(labels, k)
            if np.array_equal(refined, labels):
                break
            labels = refined
        return labels

    def _refine(self, seeds: np.ndarray, k: int) -> np.ndarray:
        """One round: start the factorization from the themes ``seeds`` gives (each topic from
        the mean TF-IDF vector of its papers, each paper's weights from those topics), run it for
        ``refine_iter`` iterations, and move a paper only where ``_stick`` allows."""
        x = self.tfidf_
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
        w, _, _ = non_negative_factorization(
            x, H=h, n_components=k, init="custom", update_H=False, tol=self.tol, max_iter=self.max_iter
        )
        # A few iterations only: the topics follow the papers added since, without drifting away
        # from the themes they started as (a full run moves a third of the papers on a new dump).
        w = self._nmf(k, (np.ascontiguousarray(w), h), max_iter=self.refine_iter)
        # Back to the seed numbers (for slug survival); a surplus number is a new theme.
        self.weights_ = np.empty_like(w)
        self.weights_[:, order] = w
        return self._stick(_argmax(self.weights_), seeds)

    def _stick(self, labels: np.ndarray, seeds: np.ndarray) -> np.ndarray:
        """Hysteresis: a paper that had a theme goes back to it unless the theme it now leans to
        has a larger share of its topic weights by more than ``stickiness``. Adding a few papers
        nudges every topic a little; that alone should not move a paper back and forth."""
        k = self.weights_.shape[1]
        share = normalize(self.weights_, norm="l1")
        rows = np.flatnonzero((seeds >= 0) & (seeds < k) & (labels != seeds))
        for i in rows:
            if share[i, labels[i]] - share[i, seeds[i]] <= self.stickiness:
                labels[i] = seeds[i]
        return labels

    def _centrality(self) -> np.ndarray:
        """How strongly each document belongs to its theme: its weight on the theme's topic
        (ranks a theme's papers, most typical first)."""
        w = self.weights_
        return w[np.arange(len(self.labels_)), [self.seed_map_[c] for c in self.labels_]]

    def _terms(self, terms: list[list[str]], surfaces: dict[str, str]) -> list[list[str]]:
        """c-TF-IDF: per theme, term frequency in the theme's concatenated documents times
        log(1 + average words per theme / the term's frequency over all themes)."""
        if self.n_themes_ == 0:
            return []
        counter = CountVectorizer(analyzer=_given)
        try:
            counts = counter.fit_transform(terms)
        except ValueError:
            return [[] for _ in range(self.n_themes_)]
        vocab = counter.get_feature_names_out()
        onehot = sparse.csr_matrix(
            (np.ones(len(self.labels_)), (self.labels_, np.arange(len(self.labels_)))),
            shape=(self.n_themes_, len(self.labels_)),
        )
        tf_class = np.asarray((onehot @ counts).todense(), dtype=float)
        df_class = np.asarray((onehot @ (counts > 0).astype(float)).todense())
        sizes = np.asarray(onehot.sum(axis=1)).ravel()
        totals = tf_class.sum(axis=1, keepdims=True)
        tf = np.divide(tf_class, totals, out=np.zeros_like(tf_class), where=totals > 0)
        average = tf_class.sum() / self.n_themes_
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
            & (df_all > self.max_label_df * len(self.labels_))
            & (spread > self.n_themes_ / 2)
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
        theme, pair = np.nonzero(df_class[:, phrase] >= self.bound_share * df_class[:, word])
        scores[theme, word[pair]] = 0
        terms = []
        for c in range(self.n_themes_):
            # Ties broken by the term itself, so that the order never depends on the platform.
            ranked = sorted(
                (i for i in np.flatnonzero(scores[c] > 0)), key=lambda i: (-scores[c, i], vocab[i])
            )
            support = {vocab[i]: int(df_class[c, i]) for i in ranked}
            terms.append(_pick_terms([vocab[i] for i in ranked], self.n_terms, surfaces, support))
        return terms

    def _related(self) -> np.ndarray:
        """Indices of each document's nearest documents, most similar first, itself excluded."""
        n = self.tfidf_.shape[0]
        k = min(self.n_related, n - 1)
        if k <= 0:
            return np.zeros((n, 0), dtype=int)
        # TF-IDF cosine (rows are L2-normalized) finds papers that share specific terms; the LSA
        # embedding breaks ties and covers papers whose words are all unique.
        sim = (self.tfidf_ @ self.tfidf_.T).toarray() + 0.25 * (self.embedding_ @ self.embedding_.T)
        np.fill_diagonal(sim, -np.inf)
        index = np.arange(n)
        out = np.empty((n, k), dtype=int)
        for i in range(n):
            order = np.lexsort((index, -sim[i]))
            out[i] = order[:k]
        return out


def _argmax(weights: np.ndarray) -> np.ndarray:
    """Each document's strongest topic (the first one on a tie)."""
    return np.asarray(weights.argmax(axis=1), dtype=int)


def _surface_forms(documents: list[list[list[tuple[str, str]]]]) -> dict[str, str]:
    """Most frequent spelling of each normalized word ("llm" -> "LLMs", "dpo" -> "DPO")."""
    seen: dict[str, Counter] = {}
    for doc in documents:
        for clause in doc:
            for norm, surface in clause:
                # Title Case comes from titles; the lower-case spelling of abstracts reads better.
                if surface[:1].isupper() and surface[1:].islower():
                    surface = surface.lower()
                seen.setdefault(norm, Counter())[surface] += 1
    return {norm: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for norm, c in seen.items()}


def _pick_terms(
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


# -- stored themes -------------------------------------------------------------------------------


@dataclass(slots=True)
class StoredTheme:
    """A theme of an earlier build, as saved in ``content/themes.json``."""

    slug: str
    label: str
    papers: list[str]
    """Paper ids."""


def read_stored(path: Path, diags: Diagnostics, display: str | None = None) -> list[StoredTheme]:
    """The themes saved by an earlier build (a copy of its ``data/themes.json``); none if absent."""
    shown = display or str(path)
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        diags.warn(shown, line, f"cannot read the stored themes ({exc}); themes are chosen afresh")
        return []
    stored = []
    if isinstance(data, list):
        for item in data:
            if (
                isinstance(item, dict)
                and isinstance(item.get("slug"), str)
                and re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", item["slug"])
                and item["slug"] not in {s.slug for s in stored}
                and isinstance(item.get("label"), str)
                and isinstance(item.get("papers"), list)
                and all(isinstance(p, str) for p in item["papers"])
            ):
                stored.append(StoredTheme(item["slug"], item["label"], list(item["papers"])))
                continue
            diags.warn(
                shown,
                None,
                "expected a list of {slug, label, papers} with distinct slugs of a-z, 0-9 and '-'; "
                "themes are chosen afresh",
            )
            return []
    else:
        diags.warn(shown, None, "expected a list of {slug, label, papers}; themes are chosen afresh")
    return stored


# -- the build stage -----------------------------------------------------------------------------


def _label(terms: list[str]) -> str:
    label = " · ".join(terms[:3])
    return label if len(label) <= 44 or len(terms) < 3 else " · ".join(terms[:2])


def assign_themes(
    site: Site, n_themes: int | None = None, stored: Sequence[StoredTheme] = (), random_state: int = 0
) -> ThemeModel:
    """Cluster ``site.papers``; set ``paper.theme``, ``paper.related`` and ``site.themes``."""
    papers = site.papers
    for paper in papers:
        paper.theme, paper.related = None, []
    site.themes = []
    if not papers:
        return ThemeModel(n_themes=n_themes, random_state=random_state)
    index = {p.id: i for i, p in enumerate(papers)}
    seed = [-1] * len(papers)
    kept_stored: list[StoredTheme] = []
    for theme in stored:
        members = [index[pid] for pid in theme.papers if pid in index and seed[index[pid]] == -1]
        if members:
            for i in members:
                seed[i] = len(kept_stored)
            kept_stored.append(theme)
    model = ThemeModel(n_themes=n_themes, random_state=random_state).fit(
        [document(p) for p in papers], seed_labels=seed if kept_stored else None
    )

    # Labels: 2-3 terms; when two themes come out alike, the smaller one takes its next term.
    labels: list[str] = []
    for c in range(model.n_themes_):
        terms = model.terms_[c]
        label, extra = _label(terms), 3
        while label in labels and extra < len(terms):
            label = " · ".join(terms[:2] + [terms[extra]])
            extra += 1
        if not label or label in labels:
            label = f"{label} ({c + 1})" if label else f"theme {c + 1}"
        labels.append(label)

    # Slugs: a seeded theme keeps its stored slug while it keeps at least half of its papers.
    slugs: list[str] = [""] * model.n_themes_
    if model.seeded_:
        for c in range(model.n_themes_):
            s = model.seed_map_[c]
            if s < len(kept_stored):
                old = {index[pid] for pid in kept_stored[s].papers if pid in index}
                kept = sum(1 for i in old if model.labels_[i] == c)
                if kept * 2 >= len(old):
                    slugs[c] = kept_stored[s].slug
    taken = set(filter(None, slugs))
    for c in range(model.n_themes_):
        if not slugs[c]:
            base = slugify(" ".join(model.terms_[c][:2]), 50) or f"theme-{c + 1}"
            slug, n = base, 2
            while slug in taken:
                slug, n = f"{base}-{n}", n + 1
            slugs[c] = slug
            taken.add(slug)

    themes = [
        Theme(slug=slugs[c], label=labels[c], terms=list(model.terms_[c])) for c in range(model.n_themes_)
    ]
    for i, paper in enumerate(papers):
        paper.theme = themes[model.labels_[i]]
        paper.related = [papers[j] for j in model.related_[i]]
    for c, theme in enumerate(themes):
        members = np.flatnonzero(model.labels_ == c)
        ranked = sorted(members.tolist(), key=lambda i: (-round(float(model.centrality_[i]), 9), i))
        theme.papers = [papers[i] for i in ranked]
    site.themes = sorted(themes, key=lambda t: (-len(t.papers), t.slug))
    return model


def themes_record(site: Site) -> list[dict]:
    """``data/themes.json`` (and, copied to ``content/themes.json``, the seed of the next build)."""
    return [
        {"slug": t.slug, "label": t.label, "terms": list(t.terms), "papers": [p.id for p in t.papers]}
        for t in site.themes
    ]


def themes_in(papers: Sequence[Paper]) -> list[tuple[Theme, list[Paper]]]:
    """The themes of ``papers`` (e.g. one edition's), most papers first, each with its papers in
    the given order."""
    groups: dict[str, tuple[Theme, list[Paper]]] = {}
    for paper in papers:
        if paper.theme is not None:
            groups.setdefault(paper.theme.slug, (paper.theme, []))[1].append(paper)
    return sorted(groups.values(), key=lambda g: (-len(g[1]), g[0].label.casefold(), g[0].slug))
