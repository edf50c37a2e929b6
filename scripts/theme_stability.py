"""Measure how stable the themes are when a dump is added, and how long the themes stage takes.

For each dump of the content folder: build the themes of the *other* dumps ("before"), then of
all dumps ("after"), and compare the papers that were already there:

- ARI: adjusted Rand index of the old papers' theme assignments, before vs after (1 = same grouping);
- slugs kept: share of the "before" theme slugs that still exist after.

"after" is measured twice: *plain* (themes chosen afresh, as without ``content/themes.json``) and
*seeded* (the "before" themes stored as ``content/themes.json`` would be, as the README describes).

    python scripts/theme_stability.py [--content content]

Nothing is written; the content folder is read only.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sklearn.metrics import adjusted_rand_score  # noqa: E402

from sitegen import build as build_module  # noqa: E402
from sitegen import group, merge, themes  # noqa: E402
from sitegen.config import load_config  # noqa: E402
from sitegen.errors import Diagnostics  # noqa: E402
from sitegen.models import Site  # noqa: E402


def site_of(content: Path, names: set[str]) -> tuple[Site, int | None]:
    """The merged papers of the dumps called ``names`` (no themes yet), and the configured count."""
    diags = Diagnostics()
    config = load_config(content / "site.yaml", diags)
    dumps = [d for d in build_module.read_dumps(content, config, diags) if d.name in names]
    editions = merge.build_editions(dumps, diags)
    papers = merge.merge_papers(editions, diags)
    archive, undated = group.group_by_month(papers)
    site = Site(papers, list(reversed(editions)), [], archive, undated, [], 0, len(dumps))
    return site, config.themes


def assignments(site: Site) -> dict[str, str]:
    """Each paper's group: its theme's slug, or that of its group of no subject (``Site.leftover``)."""
    return {p.id: t.slug for t in [*site.themes, *site.leftover] for p in t.papers}


def stored_of(site: Site) -> list[themes.StoredTheme]:
    """The themes as ``content/themes.json`` holds them (a copy of ``data/themes.json``), read
    back the way a build reads that file."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "themes.json"
        path.write_text(json.dumps(themes.themes_record(site)), encoding="utf-8")
        return themes.read_stored(path, Diagnostics())


def compare(before: dict[str, str], after: dict[str, str]) -> tuple[float, float]:
    old = sorted(before)
    ari = adjusted_rand_score([before[i] for i in old], [after[i] for i in old])
    slugs = set(before.values())
    kept = len(slugs & set(after.values())) / len(slugs)
    return ari, kept


def stage_seconds(content: Path, seeded: bool) -> tuple[float, float]:
    """Seconds the themes stage adds to a build of ``content`` in a fresh interpreter: importing
    scikit-learn and the stage itself (median of 3 runs). ``seeded``: from the stored
    ``content/themes.json``, as a build with one does; else themes chosen afresh."""
    code = (
        f"import time, sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "from pathlib import Path\n"
        "import sitegen.errors, sitegen.models, sitegen.text\n"
        # Only the themes stage imports scikit-learn: time that import on its own.
        "t0 = time.perf_counter(); import sitegen.themes as themes; t1 = time.perf_counter()\n"
        "real = themes.assign_themes\n"
        "themes.assign_themes = lambda *a, **k: None\n"
        "from sitegen.build import gather\n"
        f"c, site = gather(Path({str(content)!r}), sitegen.errors.Diagnostics())\n"
        f"stored = themes.read_stored(Path({str(content / 'themes.json')!r}), sitegen.errors.Diagnostics()) if {seeded} else []\n"
        "t2 = time.perf_counter(); real(site, n_themes=c.themes, stored=stored); t3 = time.perf_counter()\n"
        "print(t1 - t0, t3 - t2)\n"
    )
    runs = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        runs.append(tuple(float(x) for x in out.split()))
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    args = parser.parse_args(argv)
    names = sorted(p.name for p in (args.content / "dumps").glob("*.txt"))
    if len(names) < 2:
        print("need at least two dumps", file=sys.stderr)
        return 1

    print(
        f"{'held-out dump':<28} {'old':>4} {'new':>4} {'new %':>6} {'k before':>8} "
        f"{'ARI plain':>9} {'slugs plain':>11} {'ARI seeded':>10} {'slugs seeded':>12} {'k after':>7}"
    )
    rows = []
    for held in names:
        with contextlib.redirect_stdout(io.StringIO()):
            before_site, n = site_of(args.content, set(names) - {held})
            themes.assign_themes(before_site, n_themes=n)
            before = assignments(before_site)
            plain_site, _ = site_of(args.content, set(names))
            themes.assign_themes(plain_site, n_themes=n)
            seeded_site, _ = site_of(args.content, set(names))
            themes.assign_themes(seeded_site, n_themes=n, stored=stored_of(before_site))
        new = len(plain_site.papers) - len(before)
        ari_p, kept_p = compare(before, assignments(plain_site))
        ari_s, kept_s = compare(before, assignments(seeded_site))
        rows.append((ari_p, kept_p, ari_s, kept_s))
        print(
            f"{held:<28} {len(before):>4} {new:>4} {new / len(plain_site.papers):>6.0%} "
            f"{len(before_site.themes):>8} {ari_p:>9.3f} {kept_p:>11.0%} {ari_s:>10.3f} {kept_s:>12.0%} "
            f"{len(seeded_site.themes):>7}"
        )
    mean = [statistics.mean(col) for col in zip(*rows, strict=True)]
    print(
        f"{'mean':<28} {'':>4} {'':>4} {'':>6} {'':>8} {mean[0]:>9.3f} {mean[1]:>11.0%} "
        f"{mean[2]:>10.3f} {mean[3]:>12.0%}"
    )

    # Idempotence: seeding a build with its own themes changes nothing.
    full, n = site_of(args.content, set(names))
    themes.assign_themes(full, n_themes=n)
    again, _ = site_of(args.content, set(names))
    themes.assign_themes(again, n_themes=n, stored=stored_of(full))
    same = themes.themes_record(full) == themes.themes_record(again)
    print(f"\nseeding a build with its own themes gives the same themes: {same}")

    start = time.perf_counter()
    for seeded in (False, True) if (args.content / "themes.json").is_file() else (False,):
        imports, stage = stage_seconds(args.content, seeded)
        how = "seeded from content/themes.json" if seeded else "chosen afresh"
        print(
            f"themes stage on all dumps ({len(full.papers)} papers, {len(full.themes)} themes, {how}): "
            f"import scikit-learn {imports:.2f} s + stage {stage:.2f} s = {imports + stage:.2f} s added"
        )
    print(f"(medians of 3 fresh runs each; measured in {time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
