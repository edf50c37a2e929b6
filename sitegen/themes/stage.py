"""The themes stage of the build: turn ``ThemeModel``'s output into ``Theme`` records."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import Diagnostics
from ..models import Area, Paper, Site, Theme
from ..stages import Stages
from ..text import slugify
from . import names
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
    pins: dict[str, names.Pin] | None = None,
    diags: Diagnostics | None = None,
) -> ThemeModel:
    """Cluster ``site.papers``; set ``paper.theme``, ``paper.related``, ``site.themes`` and
    ``site.areas``. ``stages`` times the themes and the related papers apart; ``jobs`` processes
    may cluster. ``pins`` are the names pinned in ``content/themes.yaml`` (``names.read_pins``);
    a pin of no theme's slug is reported to ``diags``."""
    papers = site.papers
    for paper in papers:
        paper.theme, paper.related = None, []
    site.themes, site.areas = [], []
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

    # A seeded theme keeps its stored slug (its URL) while it keeps at least half of its stored
    # papers, and its name and terms while it keeps KEEP_NAME of them.
    slugs: list[str] = [""] * model.n_themes_
    carried: list[tuple[str, list[str]] | None] = [None] * model.n_themes_
    if model.seeded_:
        for c in range(model.n_themes_):
            s = model.seed_map_[c]
            if s < len(kept_stored):
                old = {index[pid] for pid in kept_stored[s].papers if pid in index}
                share = names.kept_share(old, set(np.flatnonzero(model.labels_ == c).tolist()))
                if share >= 0.5:
                    slugs[c] = kept_stored[s].slug
                if share >= names.KEEP_NAME:
                    carried[c] = names.stored_name(kept_stored[s])

    # Terms: carried, else the model's.
    terms = [list(t) for t in model.terms_]
    for c in range(model.n_themes_):
        kept = carried[c]
        if kept is not None and kept[1]:
            terms[c] = kept[1]

    taken = set(filter(None, slugs))
    for c in range(model.n_themes_):
        if not slugs[c]:
            base = slugify(" ".join(terms[c][:2]), 50) or f"theme-{c + 1}"
            slug, n = base, 2
            while slug in taken:
                slug, n = f"{base}-{n}", n + 1
            slugs[c] = slug
            taken.add(slug)

    # Names: pinned, else carried, else 2-3 of the terms.
    pins = pins or {}
    fixed = [pins[slugs[c]].name if slugs[c] in pins else None for c in range(model.n_themes_)]
    for c in range(model.n_themes_):
        kept = carried[c]
        if fixed[c] is None and kept is not None and kept[0] not in fixed:
            fixed[c] = kept[0]
    labels = names.distinct_labels(terms, fixed)
    if diags is not None:
        for slug, pin in sorted(pins.items()):
            if slug not in taken:
                diags.warn(pin.path, pin.line, f"no theme has the slug {slug!r}; its name is not pinned")

    themes = [
        Theme(slug=slugs[c], label=labels[c], terms=terms[c], area=model.theme_areas_[c])
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
    site.areas = _areas(site.themes, model, index, kept_stored)
    return model


def _areas(
    themes: list[Theme], model: ThemeModel, index: dict[str, int], stored: Sequence[StoredTheme]
) -> list[Area]:
    """The areas of ``themes`` (none on a site of one area), each named by 2 of its terms, or by
    its stored name while it keeps ``KEEP_NAME`` of the papers its stored themes had."""
    numbers = sorted({t.area for t in themes})
    if len(numbers) < 2:
        return []
    stored_papers: dict[int, set[int]] = {}
    stored_label: dict[int, str] = {}
    for theme in stored:
        if theme.area is not None and theme.area_label and theme.naming == names.NAMING:
            stored_papers.setdefault(theme.area, set()).update(index[p] for p in theme.papers if p in index)
            stored_label[theme.area] = theme.area_label
    papers_now = {a: {index[p.id] for t in themes if t.area == a for p in t.papers} for a in numbers}
    fixed = [
        stored_label[a]
        if a in stored_label and names.kept_share(stored_papers[a], papers_now[a]) >= names.KEEP_NAME
        else None
        for a in numbers
    ]
    terms = [list(model.area_terms_[a]) if a < len(model.area_terms_) else [] for a in numbers]
    labels = names.distinct_labels(terms, fixed, size=2)
    areas = []
    for a, label in zip(numbers, labels, strict=True):
        members = [t for t in themes if t.area == a]
        anchor = f"area-{slugify(label, 50) or a}"
        for t in members:
            t.area_label, t.area_anchor = label, anchor
        areas.append(Area(label, anchor, members, len(papers_now[a])))
    return sorted(areas, key=lambda a: (-a.papers, a.label))


def themes_in(papers: Sequence[Paper]) -> list[tuple[Theme, list[Paper]]]:
    """The themes of ``papers`` (e.g. one edition's), most papers first, each with its papers in
    the given order."""
    groups: dict[str, tuple[Theme, list[Paper]]] = {}
    for paper in papers:
        if paper.theme is not None:
            groups.setdefault(paper.theme.slug, (paper.theme, []))[1].append(paper)
    return sorted(groups.values(), key=lambda g: (-len(g[1]), g[0].label.casefold(), g[0].slug))
