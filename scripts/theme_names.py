"""Print the themes as a reader meets them, and whether their names hold when a dump is added.

Markdown, self-contained (for a reviewer who has not seen the code):

1. the themes of all dumps, chosen afresh: how many are loose or grab-bags, then per theme its
   slug, name, size, subject fit and cover (see ``sitegen/themes/coherence.py``) and its ten
   most typical titles;
2. for each dump held out (the stand-in for "one more dump"): the themes of the other dumps are
   stored, then the held-out dump is added and the build seeded with them, as
   ``content/themes.json`` does. Per held-out dump: ARI of the old papers' themes, themes that
   keep >= 80 % of their papers and how many of those keep their name exactly, slugs kept, a
   name pinned in ``themes.yaml`` before and after; then that build's themes as in 1;
3. the label terms that are single words, each with its spread (KL divergence of P(theme | word)
   from P(theme): low means spread evenly over the themes);
4. how the subject fit was validated: the fit of every theme of ``--old`` (a themes.json of an
   earlier build, e.g. the one the issue was written about) and of themes of random papers.

    python scripts/theme_names.py [--content content] [--old OLD_THEMES_JSON] [--out FILE]

Nothing is written but ``--out``; the content folder is read only.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402
from theme_stability import site_of, stored_of  # noqa: E402

from sitegen import themes  # noqa: E402
from sitegen.themes import coherence  # noqa: E402
from sitegen.themes.names import KEEP_NAME, Pin  # noqa: E402

PIN = "Pinned by the maintainer"


def fits(site, model) -> dict[str, float]:
    """Each theme's subject fit, by slug."""
    fit, _ = coherence.subject_fit(model.tfidf_, model.labels_, model.n_themes_)
    return _by_slug(site, model, fit)


def covers(site, model) -> dict[str, float]:
    """Each theme's cover (the largest share of its papers one subject term is found in; below
    ``coherence.MIN_COVER`` a theme is loose), by slug. On all the terms of the papers (the
    model's TF-IDF leaves out those of more than half of them)."""
    from sitegen.themes.labels import vague_terms
    from sitegen.themes.terms import analyze_all, document

    counts, vocab, _ = analyze_all([document(p) for p in site.papers])
    vague = vague_terms(vocab)
    return _by_slug(site, model, coherence.subject_cover(counts, model.labels_, model.n_themes_, vague))


def _by_slug(site, model, values) -> dict[str, float]:
    out = {}
    for c in range(model.n_themes_):
        paper = site.papers[int(np.flatnonzero(model.labels_ == c)[0])]
        if paper.theme is not None:  # (a group of no subject is no theme: Site.leftover)
            out[paper.theme.slug] = float(values[c])
    return out


def verdicts(site, model, fit: dict | None = None, cover: dict | None = None) -> tuple[int, int]:
    """(loose themes, grab-bags): cover below ``coherence.MIN_COVER``; subject fit below
    ``coherence.MIN_FIT`` (``fit`` and ``cover``: ``fits`` and ``covers`` when already made)."""
    fit = fit if fit is not None else fits(site, model)
    cover = cover if cover is not None else covers(site, model)
    loose = sum(v < coherence.MIN_COVER for v in cover.values())
    return loose, sum(v < coherence.MIN_FIT for v in fit.values())


def table(site, model, out: list[str]) -> None:
    fit, cover = fits(site, model), covers(site, model)
    loose, grab = verdicts(site, model, fit, cover)
    out.append(
        f"\n{len(site.themes)} themes: {loose} loose (cover below {coherence.MIN_COVER}), {grab} grab-bags "
        f"(subject fit below {coherence.MIN_FIT})."
    )
    for theme in site.themes:
        out.append(
            f"\n#### {theme.label}\n\nslug `{theme.slug}` · {len(theme.papers)} papers · subject fit "
            f"{fit[theme.slug]:.2f} · cover {cover[theme.slug]:.2f}"
            + (f" · area: {theme.area_label}" if theme.area_label else "")
            + "\n"
        )
        out.extend(f"{i}. {p.title}" for i, p in enumerate(theme.papers[:10], 1))
    if site.leftover:
        out.append(
            f"\n{len(site.unthemed)} papers of no theme ({len(site.leftover)} groups whose titles share no subject)."
        )


def build(content: Path, names: set[str], stored=(), pins=None):
    with contextlib.redirect_stdout(io.StringIO()):
        site, n = site_of(content, names)
        model = themes.assign_themes(site, n_themes=n, stored=stored, pins=pins)
    return site, model


def spread_of(site, model) -> dict[str, float]:
    """KL divergence of P(theme | word) from P(theme) for every single word of a label."""
    from sitegen.themes.terms import analyze_all, document

    counts, vocab, _ = analyze_all([document(p) for p in site.papers])
    column = {t: i for i, t in enumerate(vocab)}
    df_class = coherence.theme_term_counts(counts, model.labels_, model.n_themes_).toarray()
    sizes = np.bincount(model.labels_, minlength=model.n_themes_)
    prior = sizes / sizes.sum()
    out = {}
    for theme in site.themes:
        for term in theme.label.split(" · "):
            key = themes.singular(term.lower().replace("-", ""))
            if " " in term or key not in column:
                continue
            col = df_class[:, column[key]]
            p = col / max(col.sum(), 1)
            out[term] = float(np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1) / prior), 0)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    parser.add_argument("--old", type=Path, help="a themes.json of an earlier build, to validate the fit on")
    parser.add_argument("--out", type=Path, help="write the Markdown here (default: standard output)")
    args = parser.parse_args(argv)
    names = sorted(p.name for p in (args.content / "dumps").glob("*.txt"))
    out: list[str] = ["# Themes as a reader meets them\n"]

    full, model = build(args.content, set(names))
    out.append(f"## 1. All {len(names)} dumps, themes chosen afresh ({len(full.papers)} papers)")
    table(full, model, out)

    out.append(
        "\n## 2. One more dump: each dump held out, then added to a build seeded with the others' themes\n"
    )
    out.append(
        "| held-out dump | old papers | new papers | ARI of old papers | themes keeping >= 80 % | "
        "of those, same name | slugs kept | pinned name kept | loose, grab-bags before | after |"
    )
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    after_tables: list[str] = []
    for held in names:
        before, before_model = build(args.content, set(names) - {held})
        target = before.themes[0].slug
        pins = {target: Pin(PIN, "themes.yaml", 1)}
        before_pinned, _ = build(args.content, set(names) - {held}, pins=pins)
        after, after_model = build(args.content, set(names), stored=stored_of(before_pinned), pins=pins)
        old = {p.id: t.slug for t in [*before_pinned.themes, *before_pinned.leftover] for p in t.papers}
        new = {p.id: t for t in [*after.themes, *after.leftover] for p in t.papers}
        ids = sorted(old)
        ari = adjusted_rand_score([old[i] for i in ids], [new[i].slug for i in ids])
        keeping = same = 0
        after_by_slug = {t.slug: t for t in after.themes}
        for theme in before_pinned.themes:
            members = [p.id for p in theme.papers]
            share = max(
                (sum(1 for i in members if new[i] is t) / len(members) for t in {new[i] for i in members}),
                default=0,
            )
            now = after_by_slug.get(theme.slug)
            if now is not None and sum(1 for i in members if new[i] is now) / len(members) >= KEEP_NAME:
                keeping += 1
                same += now.label == theme.label
            elif share >= KEEP_NAME:
                keeping += 1  # kept its papers under another slug: counts as a name lost
        slugs = len({t.slug for t in before_pinned.themes} & set(after_by_slug)) / len(before_pinned.themes)
        pinned = after_by_slug.get(target)
        out.append(
            f"| {held} | {len(ids)} | {len(after.papers) - len(ids)} | {ari:.3f} | {keeping} of "
            f"{len(before_pinned.themes)} | {same} of {keeping} | {slugs:.0%} | "
            f"{'yes' if pinned is not None and pinned.label == PIN else 'no'} | "
            "{}, {} | {}, {} |".format(*verdicts(before, before_model), *verdicts(after, after_model))
        )
        lines = [f"\n### All dumps, seeded with the themes of all but {held}"]
        table(after, after_model, lines)
        after_tables.extend(lines)
    out.extend(after_tables)

    out.append("\n## 3. Label terms that are single words, and how spread they are\n")
    out.append(
        f"Spread: KL divergence of P(theme | word) from P(theme), nats; below {coherence.SPREAD_KL} "
        "(in 8 papers or more) a word is spread evenly and never a label term.\n"
    )
    spread = spread_of(full, model)
    out.append(", ".join(f"{w} {kl:.2f}" for w, kl in sorted(spread.items(), key=lambda kv: kv[1])) or "none")

    out.append("\n## 4. Validating the subject fit\n")
    if args.old and args.old.is_file():
        old_themes = json.loads(args.old.read_text(encoding="utf-8"))
        index = {p.id: i for i, p in enumerate(full.papers)}
        labels = np.full(len(full.papers), -1)
        for c, t in enumerate(old_themes):
            for pid in t["papers"]:
                if pid in index:
                    labels[index[pid]] = c
        kept = labels >= 0
        fit, _ = coherence.subject_fit(model.tfidf_[kept], labels[kept], len(old_themes))
        out.append(f"Themes of `{args.old}` (the build the issue judged), worst first:\n")
        out.extend(
            f"- {fit[c]:.2f} {old_themes[c]['label']} ({int((labels == c).sum())} papers)"
            for c in np.argsort(fit, kind="stable")
        )
    rng = np.random.default_rng(0)
    sizes = np.bincount(model.labels_)
    random_fits = []
    for _ in range(50):
        labels = model.labels_.copy()
        labels[rng.choice(len(labels), int(np.median(sizes)), replace=False)] = model.n_themes_
        fit, _ = coherence.subject_fit(model.tfidf_, labels, model.n_themes_ + 1)
        random_fits.append(fit[-1])
    q = np.percentile(random_fits, [0, 50, 100])
    out.append(
        f"\nA theme of {int(np.median(sizes))} papers drawn at random (50 draws): subject fit "
        f"{q[0]:.2f} min, {q[1]:.2f} median, {q[2]:.2f} max. Grab-bag below {coherence.MIN_FIT}."
    )
    fit_now = fits(full, model)
    out.append(f"Themes of section 1: {min(fit_now.values()):.2f} to {max(fit_now.values()):.2f}.")
    text = "\n".join(out) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
