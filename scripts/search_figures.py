"""Figures for the search: the size of the index and store, and how fast results appear in Chromium.

    python scripts/search_figures.py [--content content] [--runs 7] [--query "dice loss"]

1. Builds the site into a temporary folder and prints the size of every search file, raw and
   gzipped (level 6, what static hosts typically serve, and level 9), plus bytes per paper, and how
   long building the search data takes.
2. Serves the site on 127.0.0.1 and, in headless Chromium, ``--runs`` times with an empty cache:
   opens the home page, presses "/" and types the query like a person (80 ms between keys). It
   reports the time from the first keystroke to the first results on screen (this includes the
   debounce, at most 300 ms while typing goes on, and fetching lunr.js, the manifest, the index and
   the store, which start when the box gets focus); then, on a fresh page, the time from pasting
   the whole query (one input event, right after "/") to its results; and, on an already-loaded
   page, from a keystroke to new results.

Nothing in the content folder is written.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import CHROMIUM_ARGS, chromium_path, serve  # noqa: E402

from sitegen.build import build, gather  # noqa: E402
from sitegen.errors import Diagnostics  # noqa: E402
from sitegen.search import search_files  # noqa: E402

# Installed before the page's own scripts: timestamps of the first keystroke and of each search.
RECORDER = """
window.__keys = [];
window.__searches = [];
document.addEventListener('keydown', () => window.__keys.push(performance.now()), true);
window.__inputs = [];
document.addEventListener('input', () => window.__inputs.push(performance.now()), true);
document.addEventListener('sitegen:search', (e) => {
  window.__searches.push({t: performance.now(), ...e.detail});
});
"""


def kib(n: int) -> str:
    return f"{n / 1024:8.1f} KiB"


def sizes(out: Path, papers: int) -> None:
    names = sorted((out / "data/search").iterdir()) + [
        out / "static/vendor/lunr/lunr.min.js",
        out / "static/search.js",
    ]
    print(f"{'file':40} {'raw':>12} {'gzip -6':>12} {'gzip -9':>12}")
    total = [0, 0, 0]
    for path in names:
        data = path.read_bytes()
        row = [len(data), len(gzip.compress(data, 6, mtime=0)), len(gzip.compress(data, 9, mtime=0))]
        total = [a + b for a, b in zip(total, row, strict=True)]
        print(f"{path.relative_to(out).as_posix():40} {kib(row[0])} {kib(row[1])} {kib(row[2])}")
    print(f"{'total, search.js (every page) included':40} {kib(total[0])} {kib(total[1])} {kib(total[2])}")
    index = (out / "data/search/index-0.json").read_bytes()
    store = (out / "data/search/store-0.json").read_bytes()
    print(
        f"per paper ({papers} papers): index {len(index) / papers:.0f} B raw, "
        f"{len(gzip.compress(index, 6, mtime=0)) / papers:.0f} B gzip; "
        f"store {len(store) / papers:.0f} B raw, {len(gzip.compress(store, 6, mtime=0)) / papers:.0f} B gzip"
    )


def timings(out: Path, runs: int, query: str) -> None:
    path = chromium_path()
    if path is None:
        print("Chromium not found: no timings")
        return
    from playwright.sync_api import sync_playwright

    cold: list[float] = []
    pasted: list[float] = []
    warm: list[float] = []
    index_fetch: list[float] = []
    with sync_playwright() as p, serve(out) as base:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        for _ in range(runs):
            context = browser.new_context()  # empty cache every run
            page = context.new_page()
            page.add_init_script(RECORDER)
            page.goto(base)
            page.wait_for_load_state("networkidle")
            page.keyboard.press("/")
            page.evaluate("window.__keys = []")  # the clock starts at the first letter, not at "/"
            page.keyboard.type(query, delay=80)
            page.wait_for_function("() => window.__searches.some(s => s.count > 0)", timeout=30000)
            first_key = page.evaluate("window.__keys[0]")
            first_results = page.evaluate("window.__searches.find(s => s.count > 0).t")
            cold.append(first_results - first_key)
            index_fetch.append(
                page.evaluate(
                    "performance.getEntriesByType('resource').filter(e => e.name.endsWith('index-0.json'))"
                    ".map(e => e.responseEnd - e.startTime)[0]"
                )
            )
            # Loaded: one more keystroke, time to the results for the longer query.
            page.wait_for_timeout(300)
            page.evaluate("window.__keys = []; window.__searches = []")
            page.keyboard.type("s")
            page.wait_for_function("() => window.__searches.length > 0", timeout=30000)
            warm.append(page.evaluate("window.__searches[0].t - window.__keys[0]"))
            context.close()

            context = browser.new_context()
            page = context.new_page()
            page.add_init_script(RECORDER)
            page.goto(base)
            page.wait_for_load_state("networkidle")
            page.keyboard.press("/")
            page.keyboard.insert_text(query)
            page.wait_for_function("() => window.__searches.some(s => s.count > 0)", timeout=30000)
            pasted.append(page.evaluate("window.__searches.find(s => s.count > 0).t - window.__inputs[0]"))
            context.close()
        browser.close()

    def show(label: str, values: list[float]) -> None:
        print(
            f"{label:58} median {statistics.median(values):7.1f} ms"
            f"   (min {min(values):.1f}, max {max(values):.1f}, n={len(values)})"
        )

    print(f"\nChromium, query {query!r} typed 80 ms/key, served from 127.0.0.1:")
    show("first keystroke -> first results (cold, empty cache)", cold)
    show("  of which fetching index-0.json (request start -> end)", index_fetch)
    show("query pasted right after '/' -> its results (cold)", pasted)
    show("keystroke -> new results (index loaded; 100 ms debounce)", warm)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--query", default="dice loss")
    args = parser.parse_args()

    _, site = gather(args.content, Diagnostics())
    start = time.perf_counter()
    search_files(site.papers)
    built = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "_site"
        build(args.content, out, diags=Diagnostics())
        print(f"search data for {len(site.papers)} papers built in {built:.2f} s\n")
        sizes(out, len(site.papers))
        timings(out, args.runs, args.query)


if __name__ == "__main__":
    main()
