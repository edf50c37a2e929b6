"""Figures for the search: the size of its files, and what typing a query costs in Chromium.

    python scripts/search_figures.py [--content content] [--site DIR] [--runs 3] [--query WORDS ...]
                                     [--rankings]

1. Builds the site into a temporary folder (or takes ``--site``, a site already built from the same
   content, and rewrites its search data and search code from this checkout: a 20,000-paper build
   takes a while) and prints the search files by kind (manifest, term shards, store, facets), raw
   and gzipped (level 6, what static hosts typically serve), the spread of the shard sizes, and the
   very common terms: the longest posting lists, each in a shard of its own, and what they weigh.
2. Serves the site on 127.0.0.1 (from a process of its own) and, in headless Chromium with an empty cache each time, opens the
   home page, presses "/" and types each query letter by letter like a person (``--delay`` ms
   between keys). For each it reports:
   - the bytes fetched (gzip -6 of every file fetched, as a static host would serve it) for the page
     itself (HTML, CSS, scripts: search.js, the small part on every page) and from "/" until the
     first results are on screen (the search engine, lunr.js, the manifest, the shards, the store
     files of the results shown);
   - the time from the first keystroke to the first results (it includes the debounce: at most
     300 ms while typing goes on and data is still to be fetched);
   - for every later keystroke, the time from the key to its results (median and worst);
   - the fewest results shown for any prefix of three letters or more (typing never empties);
   - the bytes fetched in all, once the whole query was typed.
   The machine's load average is printed before and after: the times are wall-clock times.
3. With ``--rankings``, checks in Chromium that the page's results (every one: refs, order, scores,
   matched terms or word counts) equal lunr.js's on every shard assembled into one index (the
   single index), for the queries of tests/test_search.py.

Nothing in the content folder is written.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import CHROMIUM_ARGS, chromium_path, serve  # noqa: E402

from sitegen import themes  # noqa: E402
from sitegen.build import build, gather  # noqa: E402
from sitegen.errors import Diagnostics  # noqa: E402
from sitegen.search import PREFIX, search_files  # noqa: E402

SCRIPTS = ("search.js", "search-engine.js")  # copied into --site from this checkout
QUERIES = ["reinforcement", "distillation", "preference", "generation", "language model", "dice loss"]

# Installed before the page's own scripts: timestamps of the keystrokes and of each search shown.
RECORDER = """
window.__keys = [];
window.__searches = [];
document.addEventListener('keydown', (e) => window.__keys.push([performance.now(), e.key]), true);
document.addEventListener('sitegen:search', (e) => {
  window.__searches.push({t: performance.now(), ...e.detail});
});
"""


def kib(n: float) -> str:
    return f"{n / 1024:8.1f} KiB"


def gz(data: bytes) -> int:
    return len(gzip.compress(data, 6, mtime=0))


def sizes(out: Path) -> None:
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    shard_gz: list[tuple[int, str]] = []
    for path in sorted((out / PREFIX).rglob("*.json")):
        data = path.read_bytes()
        kind = path.relative_to(out / PREFIX).parts[0]
        row = groups[kind]
        row[0] += 1
        row[1] += len(data)
        row[2] += gz(data)
        if kind == "terms":
            shard_gz.append((gz(data), path.name))
    for name, when in (
        ("static/vendor/lunr/lunr.min.js", ""),
        ("static/search-engine.js", " (on search)"),
        ("static/search.js", " (every page)"),
    ):
        data = (out / name).read_bytes()
        groups[name + when] = [1, len(data), gz(data)]
    print(f"{'files':34} {'count':>6} {'raw':>12} {'gzip -6':>12}")
    for kind, (count, raw, packed) in groups.items():
        print(f"{kind:34} {count:6d} {kib(raw)} {kib(packed)}")
    shard_gz.sort()
    values = [v for v, _ in shard_gz]
    print(
        f"term shards, gzip: min {values[0] / 1024:.1f} KiB, median {statistics.median(values) / 1024:.1f} KiB,"
        f" 90th percentile {values[int(len(values) * 0.9)] / 1024:.1f} KiB, max {values[-1] / 1024:.1f} KiB"
    )
    manifest = json.loads((out / PREFIX / "manifest.json").read_bytes())
    common = []
    for _, name in manifest["shards"]:
        data = (out / PREFIX / name).read_bytes()
        body = json.loads(data)
        for entry in body["t"]:
            postings = sum(len(flat) for flat in entry[2:]) // 2
            common.append((postings, entry[0], len(body["t"]), gz(data)))
    common.sort(reverse=True)
    print("very common terms (postings = papers x fields), and their shard:")
    for postings, term, terms_in_shard, packed in common[:8]:
        print(
            f"  {term:14} {postings:7d} postings   shard of {terms_in_shard:4d} terms, {packed / 1024:6.1f} KiB gzip"
        )


def file_for(out: Path, url: str, base: str) -> Path | None:
    path = unquote(urlsplit(url).path)
    prefix = urlsplit(base).path
    if not path.startswith(prefix):
        return None
    rel = path[len(prefix) :]
    target = out / rel
    if rel == "" or rel.endswith("/"):
        target = target / "index.html"
    return target if target.is_file() else None


def fetched(page, out: Path, base: str, until: float | None) -> tuple[int, int, int]:
    """(gzip bytes of the page load, gzip bytes fetched after it until ``until``, requests)."""
    entries = page.evaluate(
        "() => performance.getEntriesByType('resource').map(e => [e.name, e.startTime])"
        ".concat([[location.href, 0]])"
    )
    loaded = page.evaluate("window.__loadedAt")
    page_bytes = search_bytes = count = 0
    for url, start in entries:
        if until is not None and start > until:
            continue
        path = file_for(out, url, base)
        if path is None:
            continue
        count += 1
        size = gz(path.read_bytes())
        if start <= loaded:
            page_bytes += size
        else:
            search_bytes += size
    return page_bytes, search_bytes, count


def type_query(browser, base: str, out: Path, query: str, delay: int) -> dict:
    context = browser.new_context()  # empty cache every run
    page = context.new_page()
    page.add_init_script(RECORDER)
    page.goto(base)
    page.wait_for_load_state("networkidle")
    page.evaluate("window.__loadedAt = performance.now()")
    page.keyboard.press("/")
    page.evaluate("window.__keys = []; window.__searches = []")  # the clock starts at the first letter
    page.keyboard.type(query, delay=delay)
    page.wait_for_function("q => window.__searches.some(s => s.query === q)", arg=query, timeout=60000)
    page.wait_for_timeout(200)
    keys = page.evaluate("window.__keys")
    searches = page.evaluate("window.__searches")
    first = next((s for s in searches if s["count"] > 0), None)
    first_t = first["t"] if first else None
    page_bytes, search_bytes, requests = fetched(page, out, base, first_t)
    _, all_bytes, _ = fetched(page, out, base, None)
    later = []
    for n, (t, _) in enumerate(keys):
        if first_t is None or t <= first_t:
            continue
        prefix = query[: n + 1].strip()
        shown = [s["t"] - t for s in searches if s["query"] == prefix and s["t"] >= t]
        if shown:
            later.append(min(shown))
    counts = [s["count"] for s in searches if len(s["query"]) >= 3]
    context.close()
    return {
        "first": (first_t - keys[0][0]) if first_t else None,
        "page": page_bytes,
        "search": search_bytes,
        "requests": requests,
        "later": later,
        "fewest": min(counts) if counts else None,
        "all": all_bytes,
    }


def _serve_until(out: Path, urls, stop) -> None:
    with serve(out) as base:
        urls.put(base)
        stop.wait()


@contextlib.contextmanager
def served_apart(out: Path) -> Iterator[str]:
    """``out`` served on 127.0.0.1 by a process of its own, as a static host is: not competing for
    this process's interpreter lock with Playwright's client, which would slow every response."""
    context = multiprocessing.get_context("fork")
    urls, stop = context.Queue(), context.Event()
    server = context.Process(target=_serve_until, args=(out, urls, stop), daemon=True)
    server.start()
    try:
        yield urls.get(timeout=30)
    finally:
        stop.set()
        server.join(10)


def timings(out: Path, runs: int, queries: list[str], delay: int) -> None:
    path = chromium_path()
    if path is None:
        print("Chromium not found: no timings")
        return
    from playwright.sync_api import sync_playwright

    print(
        f"\nChromium, typed {delay} ms/key, served from 127.0.0.1 (another process), empty cache;"
        f" medians of {runs} runs:"
    )
    print("load average (1, 5, 15 min) before: " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))
    header = (
        f"{'query':16} {'page gz':>9} {'+ search gz':>11} {'= before 1st':>12} {'1st results':>11}"
        f" {'later keys':>17} {'fewest':>6} {'all typed gz':>12}"
    )
    print(header)
    with served_apart(out) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        for query in queries:
            rows = [type_query(browser, base, out, query, delay) for _ in range(runs)]
            later = [v for r in rows for v in r["later"]]
            firsts = [r["first"] for r in rows if r["first"] is not None]
            page_gz = statistics.median(r["page"] for r in rows)
            search_gz = statistics.median(r["search"] for r in rows)
            later_text = f"{statistics.median(later):5.0f} / {max(later):5.0f} ms" if later else "-"
            fewest = min((r["fewest"] for r in rows if r["fewest"] is not None), default=None)
            print(
                f"{query:16} {page_gz / 1024:7.1f} K {search_gz / 1024:9.1f} K {(page_gz + search_gz) / 1024:10.1f} K"
                f" {statistics.median(firsts) if firsts else float('nan'):8.0f} ms {later_text:>17}"
                f" {fewest!s:>6} {statistics.median(r['all'] for r in rows) / 1024:10.1f} K"
            )
        browser.close()
    print("load average (1, 5, 15 min) after: " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))
    print("(later keys: median / worst time from a keystroke to its results, after the first results;")
    print(" fewest: the fewest results shown for a prefix of 3 letters or more)")


RANKINGS = """async ([queries, plain]) => {
    const s = window.sitegenSearch;
    const whole = await s.fullIndex(); // every shard in one lunr index: the single index
    const terms = (r) => Object.keys(r.matchData.metadata).sort();
    const out = [];
    for (const q of queries) {
        const a = whole.search(q).map(r => [r.ref, r.score, terms(r)]);
        const b = (await s.scoredSearch(q)).map(r => [r.ref, r.score, r.terms.sort()]);
        out.push([q, a.length, JSON.stringify(a) === JSON.stringify(b)]);
    }
    for (const q of plain) {
        const plan = await s.plainPlan(q);
        const sets = plan.groups.map(g => new Set(g));
        const a = whole.query(query => {
            plan.clauses.forEach(([term, options]) => query.term(term, Object.assign({}, options)));
        }).map(r => [r.ref, r.score, sets.filter(set => terms(r).some(t => set.has(t))).length]);
        a.sort((x, y) => y[2] - x[2]);
        const b = (await s.search(q)).map(r => [r.ref, r.score, r.words]);
        out.push([q, a.length, JSON.stringify(a) === JSON.stringify(b)]);
    }
    return out;
}"""


def rankings(out: Path) -> None:
    """The page's scoring against lunr.js on every shard assembled (the single index): all results."""
    from playwright.sync_api import sync_playwright
    from test_search import PLAIN_QUERIES, RANKING_QUERIES

    print("\nrankings: the page's results against lunr.js's search of the whole index (every result)")
    with sync_playwright() as p, serve(out) as base:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(base)
        got = page.evaluate(RANKINGS, [RANKING_QUERIES, PLAIN_QUERIES])
        browser.close()
    for query, count, same in got:
        print(f"  {query!r:42} {count:6d} results  {'equal' if same else 'DIFFERENT'}")
    print(f"{sum(same for _, _, same in got)} of {len(got)} queries equal")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    parser.add_argument(
        "--site", type=Path, help="a site already built from --content (its search is rewritten)"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--delay", type=int, default=80, help="ms between keys")
    parser.add_argument("--query", nargs="+", default=QUERIES)
    parser.add_argument(
        "--rankings",
        action="store_true",
        help="also check that the page's results equal lunr's on the whole index for the tests' queries",
    )
    parser.add_argument(
        "--no-themes",
        action="store_true",
        help="skip the themes stage (slow on a large corpus before it scales): no theme field indexed",
    )
    args = parser.parse_args()

    if args.no_themes:
        if not args.site:
            parser.error("--no-themes needs --site (a built site to host the search data)")
        themes.assign_themes = lambda *a, **kw: None
        print("themes stage skipped: papers have no theme, the theme field is empty")
    _, site = gather(args.content, Diagnostics())
    start = time.perf_counter()
    files = search_files(site.papers)
    built = time.perf_counter() - start
    print(f"search data for {len(site.papers)} papers built in {built:.2f} s\n")
    with tempfile.TemporaryDirectory() as tmp:
        if args.site:
            out = args.site
            shutil.rmtree(out / PREFIX)
            for name, data in files.items():
                (out / name).parent.mkdir(parents=True, exist_ok=True)
                (out / name).write_bytes(data)
            for name in SCRIPTS:
                shutil.copy(ROOT / "templates/static" / name, out / "static" / name)
        else:
            out = Path(tmp) / "_site"
            build(args.content, out, diags=Diagnostics())
        sizes(out)
        timings(out, args.runs, args.query, args.delay)
        if args.rankings:
            rankings(out)


if __name__ == "__main__":
    main()
