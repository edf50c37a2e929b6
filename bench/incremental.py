"""Benchmark: an incremental build after one new dump, against a build from scratch of the same content.

    python -m bench.incremental --sizes 5000,20000 [--repeat 3] [--json results.json]

For each size, the bench corpus (``bench.run``'s, generated once into ``bench/.corpus/``) is split
into its newest dump and the others. Then, in a scratch folder:

1. **previous**: ``sitegen build`` of every dump but the newest, with a cache (themes chosen
   afresh): the state a site is in before the maintainer commits one more dump;
2. **warm**: the newest dump added, ``sitegen build`` again with that cache and that output
   folder (each repeat builds step 1 again, from the same content folder, into the same output
   folder, from a copy of the first repeat's cache: the cache records the site's files by inode,
   so a copied site would not be the one recorded, and a dump by its path);
3. **cold**: the same dumps built from scratch (``--no-cache``, a new output folder), given the
   same themes seed as the warm build: the carried ``themes.json`` of step 1, as
   ``content/themes.json``. The carried themes are an input like the dumps: "the same content"
   includes them.

Each build runs in its own process (``python -m sitegen build``); the figures are the wall time,
the CPU time of the process and its workers, and the seconds of each stage as the build reports
them. Then ``diff -r`` of the warm and the cold output folders must be empty. With ``--repeat R``
the warm and cold builds alternate R times and the medians are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .run import CACHE, ROOT, ensure_corpus

CHILD = """
import json, resource, sys, time
from pathlib import Path
start = time.perf_counter()
import sitegen.cli as cli
imported = time.perf_counter() - start
results = []
real_build = cli.build
def spy(*args, **kwargs):  # the build the command runs, for its stage seconds (write included)
    results.append(real_build(*args, **kwargs))
    return results[-1]
cli.build = spy
code = cli.main(sys.argv[1:])
stages = {"import": imported, **(results[-1].stages.seconds if results else {})}
own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
reused = [len(results[-1].reused), results[-1].reusable] if results else [0, 0]
print(json.dumps({"code": code, "stages": stages, "cpu": cpu, "wall_inside": time.perf_counter() - start,
                  "reused": reused}), file=sys.stderr)
cli.exit_now(code)  # as the command ends (cli.run)
"""


def _sitegen(args: list[str], cwd: Path) -> dict:
    """One ``sitegen`` command in a child process: wall time, CPU time, stage seconds."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    lines = done.stderr.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise SystemExit(f"sitegen {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    figures = json.loads(lines[-1])
    figures["wall"] = wall
    figures["summary"] = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    figures["notes"] = [line for line in lines[:-1] if line.startswith("warning: cache")]
    return figures


def _diff(a: Path, b: Path) -> str:
    done = subprocess.run(["diff", "-r", "-q", str(a), str(b)], capture_output=True, text=True)
    return done.stdout + done.stderr


def run_size(papers: int, seed: int, repeat: int, scratch: Path, corpora: Path = CACHE) -> dict:
    """Previous, then ``repeat`` x (warm, cold) builds of one corpus size (see the module doc)."""
    content, _ = ensure_corpus(papers, seed, corpora)
    dumps = sorted((content / "dumps").glob("*.txt"))
    newest = dumps[-1]
    work = scratch / f"n{papers}"
    shutil.rmtree(work, ignore_errors=True)
    after = work / "content"
    (after / "dumps").mkdir(parents=True)
    shutil.copy2(content / "site.yaml", after / "site.yaml")
    for path in dumps[:-1]:
        shutil.copy2(path, after / "dumps" / path.name)
    warm_runs, cold_runs, diffs = [], [], []
    previous: dict = {}
    for n in range(repeat):
        # The site as the maintainer has it before the new dump: built from the same content
        # folder (the cache keys a dump by its path too) into the very folder the warm build
        # updates (the cache records its files by inode, so a copy would not do). From the second
        # repeat on, the cache starts as the first previous build left it.
        (after / "dumps" / newest.name).unlink(missing_ok=True)
        for name in ("site", "cache"):
            shutil.rmtree(work / name, ignore_errors=True)
        if n:
            shutil.copytree(work / "prev_cache", work / "cache", symlinks=True)
        _progress(f"{papers:,} papers: previous build {n + 1}/{repeat} ({len(dumps) - 1} dumps)")
        previous = _sitegen(["build", "--content", "content", "--out", "site", "--cache", "cache"], work)
        shutil.copy2(newest, after / "dumps" / newest.name)
        if not n:
            shutil.copytree(work / "cache", work / "prev_cache", symlinks=True)
            # The cold build's content: every dump, and the themes the warm build is seeded with.
            cold = work / "cold_content"
            shutil.copytree(after, cold)
            shutil.copy2(work / "cache" / "themes.json", cold / "themes.json")
        _progress(f"{papers:,} papers: warm build {n + 1}/{repeat}")
        warm_runs.append(
            _sitegen(["build", "--content", "content", "--out", "site", "--cache", "cache"], work)
        )
        shutil.rmtree(work / "cold_site", ignore_errors=True)
        _progress(f"{papers:,} papers: cold build {n + 1}/{repeat}")
        cold_runs.append(
            _sitegen(["build", "--no-cache", "--content", "cold_content", "--out", "cold_site"], work)
        )
        diffs.append(_diff(work / "site", work / "cold_site"))
    return {
        "papers": papers,
        "previous": previous,
        "warm": warm_runs,
        "cold": cold_runs,
        "diff_empty": all(not d for d in diffs),
        "diff": next((d for d in diffs if d), "")[:2000],
    }


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def _stage_median(runs: list[dict], stage: str) -> float:
    return statistics.median(r["stages"].get(stage, 0.0) for r in runs)


def report(result: dict) -> str:
    warm, cold = result["warm"], result["cold"]
    stages = list(dict.fromkeys([*cold[0]["stages"], *warm[0]["stages"]]))
    lines = [
        f"### {result['papers']:,} papers + one dump ({len(warm)} run{'s' if len(warm) > 1 else ''}, medians)",
        "",
        "| build | wall | CPU | " + " | ".join(stages) + " |",
        "|---|---:|---:|" + "---:|" * len(stages),
    ]
    for name, runs in (("cold (--no-cache, same seed)", cold), ("warm (cache)", warm)):
        cells = [f"{_stage_median(runs, s):.2f}" for s in stages]
        lines.append(
            f"| {name} | {_median(runs, 'wall'):.2f} s | {_median(runs, 'cpu'):.2f} s | "
            + " | ".join(cells)
            + " |"
        )
    wall = _median(warm, "wall") / _median(cold, "wall")
    cpu = _median(warm, "cpu") / _median(cold, "cpu")
    reused = statistics.median(r["reused"][0] for r in warm)
    keyed = statistics.median(r["reused"][1] for r in warm)
    lines += [
        "",
        f"pages and feeds read back from the previous site (not rendered) in the warm build: {reused:,.0f} "
        f"of the {keyed:,.0f} paper, edition and listing pages and theme feeds",
        f"warm / cold: wall {wall:.0%}, CPU {cpu:.0%}; "
        f"diff -r of the two outputs: {'empty' if result['diff_empty'] else 'NOT EMPTY'}",
    ]
    if not result["diff_empty"]:
        lines.append("```\n" + result["diff"] + "\n```")
    notes = sorted({n for r in warm for n in r["notes"]})
    if notes:
        lines.append("cache notes: " + "; ".join(notes))
    return "\n".join(lines)


def _progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.incremental", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="5000,20000", help="corpus sizes, comma-separated")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    parser.add_argument("--repeat", type=int, default=1, help="warm/cold pairs per size (medians)")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument(
        "--corpora", type=Path, default=CACHE, help="where the corpora are (made) (default: bench/.corpus/)"
    )
    parser.add_argument("--keep", type=Path, help="build here and keep it (default: a temporary folder)")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    scratch = args.keep or Path(tempfile.mkdtemp(prefix="sitegen-incremental-"))
    results = []
    try:
        for papers in sizes:
            result = run_size(papers, args.seed, max(1, args.repeat), scratch, args.corpora)
            results.append(result)
            print(report(result) + "\n", flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(scratch, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0 if all(r["diff_empty"] for r in results) else 1


if __name__ == "__main__":
    resource.getrusage(resource.RUSAGE_SELF)  # (resource is Unix-only: fail early elsewhere)
    sys.exit(main())
