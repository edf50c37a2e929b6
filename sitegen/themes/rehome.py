"""Rehome: the papers of a group of no subject join the theme whose name they carry.

A group whose titles share no subject (``labels.theme_terms``) is no theme. Many of its papers
are still about something a theme is named by: a survey of aligning language models carries
"alignment", the name of the alignment theme, but the factorization put it with other general
papers. Such a paper joins a theme when

- the theme it is likest to (``carry.typicality``'s measure) has a term of the paper's title or
  abstract in its label: it joins it, as the themes it leaned to do (``ThemeModel._settle``);
- or else a theme's label has a word of its title, or a phrase of its title or abstract (titles
  name their papers' subjects, and a phrase is specific; an abstract mentions many words): it
  joins the likest of those themes.

A paper that carries no theme's name that way stays of no theme. Joined papers are the least
typical of their new themes, so a theme's most typical papers, which its page leads with, stay
its own. On the sample, papers of no theme were 57 of 270 before, 37 after.

The cost is linear: a paper is compared with the themes of its own area only (``areas.py``; a
handful), the papers of an area at once in each round.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from .carry import LSA_WEIGHT, centroids
from .labels import shown_terms
from .terms import analyze

#: Rounds of ``rehome`` at most (each only shrinks the groups of no subject; two or three do).
MAX_ROUNDS = 10


def label_keys(terms: Sequence[str]) -> list[str]:
    """The terms (as ``terms.analyze`` makes them) that a theme's label shows (``shown_terms``),
    each by its longest term ("preference optimization", not "preference")."""
    keys = []
    for term in shown_terms(terms):
        analyzed = analyze(term)
        if analyzed:
            keys.append(max(analyzed, key=lambda t: (t.count(" "), len(t), t)))
    return keys


def rehome(
    x: sparse.csr_matrix,
    embedding: np.ndarray,
    columns: Sequence[str],
    labels: np.ndarray,
    fitted: np.ndarray,
    subject: Sequence[bool],
    terms: Sequence[Sequence[str]],
    titles: Sequence[str],
    areas: Sequence[int] | None = None,
) -> np.ndarray:
    """The papers' groups (``labels``, 0 .. len(subject) - 1) once the papers of the groups of no
    ``subject`` have joined a theme whose label (``terms``) names a term of theirs (a column of
    ``x``, their TF-IDF rows, non-zero), as the module says. ``titles`` are the papers' titles,
    ``areas`` each group's area (None: one area)."""
    k = len(subject)
    out = np.asarray(labels).copy()
    left = np.flatnonzero(~np.asarray(subject, dtype=bool)[out]) if k else np.array([], dtype=int)
    if not len(left):
        return out
    area = np.asarray(areas if areas is not None else [0] * k)
    column = {t: j for j, t in enumerate(columns)}
    named: dict[int, set[int]] = {}  # column -> the themes whose label shows it
    for c in range(k):
        if subject[c]:
            for key in label_keys(terms[c]):
                if key in column:
                    named.setdefault(column[key], set()).add(c)
    # Each paper of no theme that some theme of its area names: the themes that name it, and
    # those that name a word of its title or a phrase of it (read once: they do not change).
    by_area: dict[int, list[tuple[int, frozenset[int], frozenset[int]]]] = {}
    for i in left.tolist():
        home = int(area[out[i]])
        own = [j for j in x.indices[x.indptr[i] : x.indptr[i + 1]].tolist() if j in named]
        carried = {c for j in own for c in named[j] if area[c] == home}
        if not carried:
            continue
        titled = set(analyze(titles[i]))
        said = {
            c for j in own if columns[j] in titled or " " in columns[j] for c in named[j] if area[c] == home
        }
        by_area.setdefault(home, []).append((i, frozenset(carried), frozenset(said)))
    # Until no paper joins: a paper that joins moves its theme's centroid, and so may bring the
    # next (a build seeded with these groups then rehomes none: its themes are a fixed point).
    # Each round only shrinks the groups of no subject, so the rounds end.
    for _ in range(MAX_ROUNDS):
        if not _round(x, embedding, out, fitted, subject, area, by_area):
            break
    return out


def _round(
    x: sparse.csr_matrix,
    embedding: np.ndarray,
    out: np.ndarray,
    fitted: np.ndarray,
    subject: Sequence[bool],
    area: np.ndarray,
    by_area: dict[int, list[tuple[int, frozenset[int], frozenset[int]]]],
) -> int:
    """One round of ``rehome``, on ``out`` in place: how many papers joined a theme. Likeness is
    to the themes as the round starts (their centroids in ``x`` and ``embedding``)."""
    k = len(subject)
    tfidf_centroids, lsa_centroids = centroids(x, embedding, out, fitted, k)
    themed = np.asarray(subject, dtype=bool)
    moves = []
    for home, papers in sorted(by_area.items()):
        waiting = [(i, carried, said) for i, carried, said in papers if not themed[out[i]]]
        themes = np.flatnonzero(themed & (area == home))
        if not waiting or not len(themes):
            continue
        rows = [i for i, _, _ in waiting]
        # (papers of no theme of one area x its themes: a handful of columns)
        likeness = (x[rows] @ tfidf_centroids[themes].T).toarray() + LSA_WEIGHT * (
            embedding[rows] @ lsa_centroids[themes].T
        )
        for (i, carried, said), like in zip(waiting, likeness, strict=True):
            ranked = themes[np.argsort(-like, kind="stable")].tolist()
            best = ranked[0] if ranked[0] in carried else next((c for c in ranked if c in said), -1)
            if best >= 0:
                moves.append((i, best))
    for i, c in moves:
        out[i] = c
    return len(moves)
