"""Benchmark: the search index written by lunr.py's builder vs sitegen.lunr_index.serialize_index.

Run as a plain script from the repository root::

    python bench/index_writer.py                      # 1,000, 5,000 and 20,000 papers, median of 3
    python bench/index_writer.py --sizes 1000 --repeat 1

Papers are synthesized from the sample content (``content/``): abstracts recombine the sample's
sentences, titles are the start of a sample title, organizations and theme labels are the sample's,
and every paper names a few new words (method and dataset names), so the vocabulary keeps growing
with the corpus as a real one does. The same size always gives the same papers.

Prints, per size, the median wall and CPU seconds of each writer and their ratios, the index's
terms and JSON size; checks that both writers give the same index (dict and JSON bytes) at the
smallest size.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sitegen import search  # noqa: E402
from sitegen.build import gather  # noqa: E402
from sitegen.errors import Diagnostics  # noqa: E402
from sitegen.lunr_index import reference_index, serialize_with  # noqa: E402
from sitegen.render import dump_json  # noqa: E402

SYLLABLES = ["ka", "ro", "vex", "lu", "mi", "zor", "tan", "qi", "bel", "dra", "no", "syn", "pha", "gen", "ix"]


def sample_material(content: Path) -> dict[str, list[str]]:
    """Sentences, titles, organization texts and theme labels of the sample content."""
    _, site = gather(content, Diagnostics())
    sentences = [s for p in site.papers for s in re.split(r"(?<=[.!?])\s+", p.abstract) if s]
    organizations = sorted({search.organization_text(p) for p in site.papers} - {""})
    themes = sorted({p.theme.label for p in site.papers if p.theme})
    return {
        "sentences": sentences,
        "titles": [p.title for p in site.papers],
        "organizations": organizations,
        "themes": themes,
    }


def new_word(rng: random.Random) -> str:
    """A made-up name, like the method or dataset a paper introduces."""
    word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
    return word + (f"-{rng.randint(1, 70)}B" if rng.random() < 0.3 else "")


def synthesize(n: int, material: dict[str, list[str]]) -> list[dict[str, str]]:
    """``n`` documents as ``search.document`` makes them (deterministic)."""
    rng = random.Random(12)
    docs = []
    for position in range(n):
        names = [new_word(rng) for _ in range(rng.randint(1, 4))]
        sentences = rng.sample(material["sentences"], rng.randint(5, 9))
        sentences[0] = f"We present {names[0]}, {sentences[0]}"
        for name in names[1:]:
            at = rng.randrange(len(sentences))
            sentences[at] = f"{sentences[at]} On {name} it improves."
        title_words = rng.choice(material["titles"]).split()
        title = f"{names[0]}: " + " ".join(title_words[: rng.randint(3, max(3, len(title_words)))])
        organization = rng.choice(material["organizations"]) if rng.random() < 0.35 else ""
        theme = rng.choice(material["themes"]) if material["themes"] and rng.random() < 0.9 else ""
        fields = {
            "title": title,
            "abstract": " ".join(sentences),
            "organization": organization,
            "theme": theme,
        }
        docs.append(
            {"ref": search.ref(position)} | {k: search._JS_SPACES.sub(" ", v) for k, v in fields.items()}
        )
    return docs


def with_lunr_py(docs: list[dict[str, str]]) -> dict[str, Any]:
    return reference_index(search.new_builder(), docs)


def with_writer(docs: list[dict[str, str]]) -> dict[str, Any]:
    return serialize_with(search.new_builder(), docs)


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median wall and CPU seconds of ``repeat`` runs, and the last result.

    CPU time is printed too because on a shared machine the wall time also measures the neighbours.
    """
    walls, cpus = [], []
    result = None
    for _ in range(repeat):
        result = None  # let the previous result go before the next run
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    return statistics.median(walls), statistics.median(cpus), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per writer and size (median)")
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    args = parser.parse_args(argv)

    material = sample_material(args.content)
    header = (
        f"{'papers':>7} {'lunr.py s':>10} {'writer s':>9} {'ratio':>6}"
        f" {'lunr.py cpu':>12} {'writer cpu':>11} {'ratio':>6} {'terms':>7} {'JSON MB':>8}"
    )
    print(header)
    print("-" * len(header))
    for n in sorted(args.sizes):
        docs = synthesize(n, material)
        slow, slow_cpu, reference = timed(lambda docs=docs: with_lunr_py(docs), args.repeat)
        fast, fast_cpu, written = timed(lambda docs=docs: with_writer(docs), args.repeat)
        data = dump_json(written)
        if n == min(args.sizes):
            assert written == reference, f"{n} papers: the writer's index differs from lunr.py's"
            assert data == dump_json(reference), f"{n} papers: the JSON bytes differ"
        reference = None
        terms = len(written["invertedIndex"])
        print(
            f"{n:>7} {slow:>10.2f} {fast:>9.2f} {slow / fast:>5.0f}x {slow_cpu:>12.2f} {fast_cpu:>11.2f}"
            f" {slow_cpu / fast_cpu:>5.0f}x {terms:>7} {len(data) / 1e6:>8.1f}",
            flush=True,
        )
    print(f"outputs equal (dict and JSON bytes) at {min(args.sizes)} papers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
