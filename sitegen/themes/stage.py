"""The themes stage of the build: turn ``ThemeModel``'s output into ``Theme`` records."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..models import Paper, Site, Theme
from ..stages import Stages
from ..text import slugify
from .labels import label_of
from .model import ThemeModel
from .stored import StoredTheme
from .terms import document


def assign_themes(
    site: Site,
    n_themes: int | None = None,
    stored: Sequence[StoredTheme] = (),
    random_state: int = 0,
    stages: Stages | None = None,
    jobs: int = 1,
) -> ThemeModel:
    """Cluster ``site.papers``; set ``paper.theme``, ``paper.related`` and ``site.themes``.
    ``stages`` times the themes and the related papers apart; ``jobs`` processes may cluster."""
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
    model = ThemeModel(n_themes=n_themes, random_state=random_state, n_jobs=jobs).fit(
        [document(p) for p in papers],
        seed_labels=seed if kept_stored else None,
        stages=stages,
        seed_areas={i: t.area for i, t in enumerate(kept_stored) if t.area is not None},
    )

    # Labels: 2-3 terms; when two themes come out alike, the smaller one takes its next term.
    labels: list[str] = []
    for c in range(model.n_themes_):
        terms = model.terms_[c]
        label, extra = label_of(terms), 3
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
        Theme(slug=slugs[c], label=labels[c], terms=list(model.terms_[c]), area=model.theme_areas_[c])
        for c in range(model.n_themes_)
    ]
    for i, paper in enumerate(papers):
        paper.theme = themes[model.labels_[i]]
        paper.related = [papers[j] for j in model.related_[i] if j >= 0]
    for c, theme in enumerate(themes):
        members = np.flatnonzero(model.labels_ == c)
        ranked = sorted(members.tolist(), key=lambda i: (-round(float(model.centrality_[i]), 9), i))
        theme.papers = [papers[i] for i in ranked]
    site.themes = sorted(themes, key=lambda t: (-len(t.papers), t.slug))
    return model


def themes_in(papers: Sequence[Paper]) -> list[tuple[Theme, list[Paper]]]:
    """The themes of ``papers`` (e.g. one edition's), most papers first, each with its papers in
    the given order."""
    groups: dict[str, tuple[Theme, list[Paper]]] = {}
    for paper in papers:
        if paper.theme is not None:
            groups.setdefault(paper.theme.slug, (paper.theme, []))[1].append(paper)
    return sorted(groups.values(), key=lambda g: (-len(g[1]), g[0].label.casefold(), g[0].slug))
