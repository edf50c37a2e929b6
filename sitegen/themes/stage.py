"""The themes stage of the build: turn ``ThemeModel``'s output into ``Theme`` records."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy import sparse

from ..errors import Diagnostics
from ..models import Area, Paper, Site, Theme
from ..stages import Stages
from ..text import slugify
from . import carry, names
from .model import ThemeModel
from .rehome import rehome
from .stored import StoredTheme
from .terms import document
from .vectors import normalize

#: The slug of no theme: the page of the papers of no theme (``Site.leftover``) is ``themes/other/``.
OTHER = "other"


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
    site.themes, site.areas, site.leftover = [], [], []
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
    # Stored themes are carried (``carry.py``) only with the names and terms to carry.
    joined = None
    if kept_stored and all(
        (not t.subject and n_themes is None) or (names.stored_name(t) or ("", []))[1] for t in kept_stored
    ):
        joined_ids = {pid for t in kept_stored for pid in t.joined}
        joined = [p.id in joined_ids for p in papers]
    model = ThemeModel(n_themes=n_themes, random_state=random_state, n_jobs=jobs).fit(
        [document(p) for p in papers],
        seed_labels=seed if kept_stored else None,
        stages=stages,
        seed_areas={i: t.area for i, t in enumerate(kept_stored) if t.area is not None},
        joined=joined,
    )

    # A seeded theme keeps its name and terms while it keeps KEEP_NAME of its stored papers, and
    # its slug (its URL) while it keeps half of them; so does a group of papers of no subject
    # (``Site.leftover``) stay one. A group that turns from one into the other takes a new slug.
    slugs: list[str] = [""] * model.n_themes_
    carried: list[tuple[str, list[str]] | None] = [None] * model.n_themes_
    subject = list(model.subjects_)
    if model.seeded_:
        for c in range(model.n_themes_):
            s = model.seed_map_[c]
            if s < len(kept_stored):
                old = {index[pid] for pid in kept_stored[s].papers if pid in index}
                share = names.kept_share(old, set(np.flatnonzero(model.labels_ == c).tolist()))
                # Carried themes (``carry.py``) keep all of it, whatever a stored file that lists
                # a paper in two themes makes of the share.
                if share >= names.KEEP_NAME or model.carried_:
                    carried[c] = names.stored_name(kept_stored[s])
                    # A theme stays one; papers of no theme are a theme once they share a
                    # subject (a dump brought more of them), unless carried as they were.
                    if kept_stored[s].naming == names.NAMING and n_themes is None:
                        subject[c] = kept_stored[s].subject or (subject[c] and not model.carried_)
                same = subject[c] == kept_stored[s].subject
                if (share >= 0.5 or model.carried_) and same and kept_stored[s].slug != OTHER:
                    slugs[c] = kept_stored[s].slug

    # Terms: carried, else the model's.
    terms = [list(t) for t in model.terms_]
    for c in range(model.n_themes_):
        kept = carried[c]
        if kept is not None and kept[1]:
            terms[c] = kept[1]
        if not subject[c]:
            terms[c] = []

    taken = {OTHER, *filter(None, slugs)}
    for c in range(model.n_themes_):
        if not slugs[c]:
            base = slugify(" ".join(terms[c][:2]), 50) or (f"theme-{c + 1}" if subject[c] else OTHER)
            slug, n = base, 2
            while slug in taken:
                slug, n = f"{base}-{n}", n + 1
            slugs[c] = slug
            taken.add(slug)

    # Names: pinned, else carried, else 2-3 of the terms.
    pins = pins or {}
    fixed = [pins[slugs[c]].name if slugs[c] in pins and subject[c] else None for c in range(model.n_themes_)]
    for c in range(model.n_themes_):
        kept = carried[c]
        if fixed[c] is None and kept is not None and kept[0] not in fixed:
            fixed[c] = kept[0]
    labels = names.distinct_labels(terms, fixed)
    if diags is not None:
        named = {slugs[c] for c in range(model.n_themes_) if subject[c]}
        for slug, pin in sorted(pins.items()):
            if slug not in named:
                diags.warn(pin.path, pin.line, f"no theme has the slug {slug!r}; its name is not pinned")

    # The papers of no subject that carry a theme's name join it (``rehome.py``), in their area.
    if n_themes is None and not all(subject):
        moved = rehome(
            model.tfidf_,
            model.embedding_,
            model.columns_,
            model.labels_,
            model.fitted_,
            subject,
            terms,
            [p.title for p in papers],
            model.theme_areas_,
        )
        joined = np.flatnonzero(moved != model.labels_)
        if len(joined):
            # Only the groups papers left or joined are measured again: the others' centroids
            # are as they were.
            changed = [*model.labels_[joined].tolist(), *moved[joined].tolist()]
            model.labels_ = moved
            model.centrality_ = carry.typicality(
                model.tfidf_, model.embedding_, moved, model.fitted_, model.centrality_, changed
            )

    themes = [
        Theme(
            slug=slugs[c],
            label=labels[c] if subject[c] else "",
            terms=terms[c],
            area=model.theme_areas_[c],
            subject=subject[c],
        )
        for c in range(model.n_themes_)
    ]
    for i, paper in enumerate(papers):
        theme = themes[model.labels_[i]]
        paper.theme = theme if theme.subject else None
        paper.related = [papers[j] for j in model.related_[i] if j >= 0]
    for c, theme in enumerate(themes):
        members = np.flatnonzero(model.labels_ == c)
        ranked = sorted(members.tolist(), key=lambda i: (-round(float(model.centrality_[i]), 9), i))
        theme.papers = [papers[i] for i in ranked]
        theme.joined = [papers[i].id for i in ranked if not model.fitted_[i]]
    site.themes = sorted((t for t in themes if t.subject), key=lambda t: (-len(t.papers), t.slug))
    site.leftover = sorted((t for t in themes if not t.subject), key=lambda t: (-len(t.papers), t.slug))
    site.areas = _areas(site.themes, model, index, kept_stored)
    return model


def _areas(
    themes: list[Theme], model: ThemeModel, index: dict[str, int], stored: Sequence[StoredTheme]
) -> list[Area]:
    """The areas shown on the themes page (none on a site of one area): groups of the areas the
    themes were clustered in (``Theme.area``), about sqrt(themes) of them, each named by the
    subjects of its largest themes. A seeded build keeps the stored groups and their names (a
    clustering area goes to the group most of its themes were in; a new one to the nearest)."""
    numbers = sorted({t.area for t in themes})
    if len(numbers) < 2:
        return []
    x = model.tfidf_
    rows = np.concatenate([[index[p.id] for p in t.papers] for t in themes])
    area_of_row = np.concatenate([[numbers.index(t.area)] * len(t.papers) for t in themes])
    onehot = sparse.csr_matrix((np.ones(len(rows)), (area_of_row, rows)), shape=(len(numbers), x.shape[0]))
    centroids = normalize(onehot @ x)
    # The stored group of each clustering area: the one most of its stored themes were in.
    votes: dict[int, Counter] = {}
    for theme in stored:
        if theme.area is not None and theme.area_label and theme.naming == names.NAMING:
            votes.setdefault(theme.area, Counter())[theme.area_label] += len(theme.papers)
    group: list[str | None] = [
        min(votes[a].items(), key=lambda kv: (-kv[1], kv[0]))[0] if a in votes else None for a in numbers
    ]
    known = [i for i, g in enumerate(group) if g is not None]
    if known:
        for i, g in enumerate(group):
            if g is None:
                nearest = np.asarray((centroids[i] @ centroids[known].T).todense()).ravel()
                group[i] = group[known[int(np.argmax(nearest))]]
        keys = sorted(set(group), key=lambda g: group.index(g))
        of_area = [keys.index(g) for g in group]
        fixed: list[str | None] = list(keys)
    else:
        counts = [sum(1 for t in themes if t.area == a) for a in numbers]
        sums = onehot @ x
        of_area = _merge((sums @ sums.T).toarray(), counts, max(2, round(math.sqrt(len(themes)))))
        fixed = [None] * (max(of_area) + 1)
    members: list[list[Theme]] = [[] for _ in fixed]
    for theme in themes:  # most papers first
        members[of_area[numbers.index(theme.area)]].append(theme)
    # Named by the subjects of its largest themes: the first term of each, two distinct ones.
    terms = []
    for group_themes in members:
        firsts = list(dict.fromkeys(t.terms[0] for t in group_themes if t.terms))
        terms.append(firsts or [t.label for t in group_themes[:1]])
    labels = names.distinct_labels(terms, fixed, size=2)
    areas = []
    for label, group_themes in zip(labels, members, strict=True):
        if not group_themes:
            continue
        anchor = f"area-{slugify(label, 50) or len(areas) + 1}"
        for t in group_themes:
            t.area_label, t.area_anchor = label, anchor
        areas.append(Area(label, anchor, group_themes, sum(len(t.papers) for t in group_themes)))
    return sorted(areas, key=lambda a: (-a.papers, a.label))


#: An area shown on the themes page holds at least this many themes, where there are several.
MIN_AREA_THEMES = 3


def _merge(gram: np.ndarray, counts: list[int], n_groups: int) -> list[int]:
    """Group the clustering areas into about ``n_groups``: the two most alike groups (cosine of
    the sums of their papers' TF-IDF vectors; ``gram`` holds the areas' sums' dot products) merge
    while neither grows past 1.5 times its share of the themes (``counts``: each area's), so that
    no group takes most of them; then a group of fewer than ``MIN_AREA_THEMES`` themes joins the
    one most like it (while more than two are left). Group numbers in the order of their first
    area."""
    cap = math.ceil(1.5 * sum(counts) / n_groups)
    gram = gram.astype(float).copy()
    groups = [[i] for i in range(len(counts))]
    sizes = np.array(counts)
    alive = np.ones(len(counts), dtype=bool)
    while alive.sum() > 2:
        small = alive & (sizes < MIN_AREA_THEMES)
        if alive.sum() <= n_groups and not small.any():
            break
        norms = np.sqrt(np.maximum(np.diag(gram), 1e-300))
        similar = gram / np.outer(norms, norms)
        np.fill_diagonal(similar, -np.inf)
        similar[~alive, :] = similar[:, ~alive] = -np.inf
        if alive.sum() > n_groups:
            similar[np.add.outer(sizes, sizes) > cap] = -np.inf
        if alive.sum() <= n_groups or not np.isfinite(similar).any():
            # Few enough groups: only a group of fewer than MIN_AREA_THEMES themes still joins
            # the one most like it, however large.
            similar = gram / np.outer(norms, norms)
            np.fill_diagonal(similar, -np.inf)
            similar[~alive, :] = similar[:, ~alive] = -np.inf
            similar[~small[:, None] & ~small[None, :]] = -np.inf
            if not np.isfinite(similar).any():
                break
        i, j = sorted(np.unravel_index(int(np.argmax(similar)), similar.shape))
        # The sum of i and j: its dot products are the sums of theirs.
        gram[i, :] += gram[j, :]
        gram[:, i] += gram[:, j]
        groups[i] += groups[j]
        sizes[i] += sizes[j]
        alive[j] = False
    of_area = [0] * len(counts)
    for g, members in enumerate(sorted((groups[i] for i in np.flatnonzero(alive)), key=min)):
        for a in members:
            of_area[a] = g
    return of_area


def themes_in(papers: Sequence[Paper]) -> list[tuple[Theme, list[Paper]]]:
    """The themes of ``papers`` (e.g. one edition's), most papers first, each with its papers in
    the given order."""
    groups: dict[str, tuple[Theme, list[Paper]]] = {}
    for paper in papers:
        if paper.theme is not None:
            groups.setdefault(paper.theme.slug, (paper.theme, []))[1].append(paper)
    return sorted(groups.values(), key=lambda g: (-len(g[1]), g[0].label.casefold(), g[0].slug))
