"""Synthetic Daily Papers dumps in the real plain-text format, for benchmarks and their tests.

Everything is learned from the sample dumps in ``content/dumps/``, read by sitegen's own reader:
abstracts and titles are walks of word-bigram chains trained on the sample abstracts and titles,
with lengths drawn from the samples' lengths, and author counts and comment counts drawn from the
samples' distributions. To give clustering real structure to find, each paper belongs to one of a
few hundred latent topics, and its walk is steered to that topic's words (the salient words of a
sample abstract) now and then. Organizations follow a Zipf law: a few large ones, many with one or
two papers. A few percent of the blocks of an edition repeat a paper of an earlier edition (same
title and abstract, shown with or without its metadata).

The same seed and size give byte-identical dumps (no set or hash order is ever iterated).

    python -m bench.synth --papers 1000 --out /tmp/corpus   # then: sitegen check --content /tmp/corpus
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import math
import random
import re
import shutil
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sitegen.errors import Diagnostics
from sitegen.reader import read_dump
from sitegen.text import slugify, title_key

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "content" / "dumps"
#: Part of every cache key: bump it whenever the same seed would give different dumps.
VERSION = 1
DEFAULT_START = dt.date(2024, 1, 1)
#: Written into a generated corpus folder; a folder without it is never overwritten.
MARKER = ".synth.json"

HEADER = (
    "new",
    "Get trending papers in your email inbox!",
    "Subscribe",
    "Daily Papers",
    "byAK and the research community",
)
# English abbreviations whatever the locale (strftime's %b follows it).
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_STOP = frozenset(
    """a about above after again against all also although among an and any are as at be because been
    before being below between both but by can could did do does doing down during each either et etc
    few for from further had has have having here how however i if in into is it its itself just may
    might more most much must no nor not now of off on once only or other our ours out over own per
    same several she should since so some such than that the their them then there these they this
    those through thus to too under until up upon us using very via was we were what when where
    whether which while who whom whose why will with within without would yet you your""".split()
)
# Words nearly every abstract uses: as topic words they would tie every topic to every other one.
_GENERIC = frozenset(
    """model models method methods approach approaches propose proposed results show shows paper work
    task tasks performance data dataset datasets based novel existing large framework experiments
    demonstrate achieve achieves significantly improve improves improved different various training
    learning specific effective first further across study extensive""".split()
)
# A plain word, possibly in brackets or quotes and followed by punctuation (one pass, linear time).
_WORD = re.compile(r"^[(\[\"']*(?P<w>[A-Za-z][A-Za-z-]*[A-Za-z])[)\]\"'.,;:!?]*$")
# Lines the reader would take for something other than text: dates, bullets, links, headings.
_NOT_TEXT = re.compile(r"^(?:[A-Za-z]{3,9}\.?\s+\d|[#•∙●·⋅*\-\[<]|\d+$|https?:)")
_ORG_SUFFIXES = ("AI", "Lab", "Labs", "Research", "University", "Institute", "Group", "Technologies", "")


# ----------------------------------------------------------------------------------------------
# Sampling helpers: cumulative weights and a bisect, so a draw costs log(k) and no hashing.


@dataclass(slots=True)
class Dist:
    """A discrete distribution: items with cumulative weights."""

    items: list
    cum: list[float]

    @classmethod
    def of(cls, weights: Iterable[tuple[object, float]]) -> Dist:
        items: list = []
        cum: list[float] = []
        total = 0.0
        for item, weight in weights:
            if weight > 0:
                total += weight
                items.append(item)
                cum.append(total)
        return cls(items, cum)

    @classmethod
    def counts(cls, values: Iterable[object]) -> Dist:
        """The empirical distribution of ``values`` (items in order of first appearance)."""
        return cls.of(Counter(values).items())

    def draw(self, rng: random.Random):
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]


class Chain:
    """An order-1 Markov chain over whitespace tokens. States are case-folded (so "The" and "the"
    share successors); successors keep the case and punctuation they had in the text."""

    def __init__(self) -> None:
        self.next: dict[str, Dist] = {}

    def fit(self, sequences: Iterable[Sequence[str]]) -> Chain:
        counts: dict[str, dict[str, int]] = {}
        for seq in sequences:
            for a, b in zip(seq, seq[1:], strict=False):
                successors = counts.setdefault(a.lower(), {})
                successors[b] = successors.get(b, 0) + 1
        self.next = {state: Dist.of(c.items()) for state, c in counts.items()}
        return self

    def __contains__(self, token: str) -> bool:
        return token.lower() in self.next

    def step(self, token: str, rng: random.Random) -> str | None:
        dist = self.next.get(token.lower())
        return dist.draw(rng) if dist is not None else None


# ----------------------------------------------------------------------------------------------
# What is learned from the samples.


@dataclass(slots=True)
class SampleModel:
    """Vocabulary, lengths and metadata distributions learned from sample dumps."""

    abstract_chain: Chain
    sentence_starts: Dist
    title_chain: Chain
    title_starts: Dist
    title_ends: frozenset[str]
    """Case-folded last tokens of sample titles (membership only)."""
    abstract_lengths: list[int]
    """Words per sample abstract."""
    title_lengths: list[int]
    """Words per sample title, without a ``Name:`` prefix."""
    prefix_share: float
    """Share of sample titles of the form ``Name: rest``."""
    authors: Dist
    comments: Dist
    topic_seeds: list[list[str]]
    """Per sample abstract, its salient words, most salient first."""
    name_parts: list[str]
    """Words to coin method and organization names from."""
    organizations: list[tuple[str, str]]
    """(hub id, display name) of the samples' organizations."""

    @classmethod
    def from_dumps(cls, folder: Path = SAMPLES) -> SampleModel:
        """Learn from every ``*.txt`` of ``folder`` (warnings of the reader are ignored)."""
        entries = []
        seen: set[str] = set()
        for path in sorted(folder.glob("*.txt")):
            dump = read_dump(path, Diagnostics())
            for entry in dump.entries if dump else []:
                key = title_key(entry.title)
                if key and entry.abstract and key not in seen:
                    seen.add(key)
                    entries.append(entry)
        if len(entries) < 20:
            raise ValueError(f"{folder}: too few sample papers to learn from ({len(entries)})")

        abstracts = [e.abstract.split() for e in entries]
        starts: list[str] = []
        for tokens in abstracts:
            starts.append(tokens[0])
            starts.extend(
                b for a, b in zip(tokens, tokens[1:], strict=False) if a.endswith(".") and b[:1].isupper()
            )
        abstract_chain = Chain().fit(abstracts)

        mains: list[list[str]] = []
        prefixed = 0
        for e in entries:
            name, sep, rest = e.title.partition(": ")
            if sep and len(name.split()) <= 3 and len(rest.split()) >= 2:
                prefixed += 1
                mains.append(rest.split())
            else:
                mains.append(e.title.split())

        return cls(
            abstract_chain=abstract_chain,
            sentence_starts=Dist.counts(starts),
            title_chain=Chain().fit(mains),
            title_starts=Dist.counts(m[0] for m in mains),
            title_ends=frozenset(m[-1].lower() for m in mains),
            abstract_lengths=[len(t) for t in abstracts],
            title_lengths=[len(m) for m in mains],
            prefix_share=prefixed / len(entries),
            authors=Dist.counts([e.authors for e in entries if e.authors is not None] or [3]),
            comments=Dist.counts([e.comments for e in entries if e.comments is not None] or [0]),
            topic_seeds=_salient_words(abstracts, abstract_chain),
            name_parts=_name_parts(abstracts),
            organizations=list(
                dict.fromkeys(
                    (e.organization.id, e.organization.name) for e in entries if e.organization is not None
                )
            ),
        )


def _words(tokens: Sequence[str]) -> list[str]:
    return [m["w"] for t in tokens if (m := _WORD.match(t))]


def _salient_words(abstracts: list[list[str]], chain: Chain, per_abstract: int = 12) -> list[list[str]]:
    """Per abstract, its words by TF-IDF: the words a topic seeded from it is about. A word is kept
    in the surface form it most often has (acronyms keep their capitals) and only where the chain
    can go on from it."""
    docs = [_words(tokens) for tokens in abstracts]
    df = Counter(w for words in docs for w in dict.fromkeys(x.lower() for x in words))
    forms: dict[str, Counter[str]] = {}
    for words in docs:
        for w in words:
            forms.setdefault(w.lower(), Counter())[w] += 1
    surface = {low: c.most_common(1)[0][0] for low, c in forms.items()}
    rare = max(2, int(0.08 * len(docs)))
    seeds = []
    for words in docs:
        tf = Counter(w.lower() for w in words)
        scored = [
            (-count * math.log(len(docs) / df[w]), w)
            for w, count in tf.items()
            if len(w) >= 4 and w not in _STOP and w not in _GENERIC and df[w] <= rare and surface[w] in chain
        ]
        seeds.append([surface[w] for _, w in sorted(scored)[:per_abstract]])
    return [s for s in seeds if len(s) >= 5]


def _name_parts(abstracts: list[list[str]]) -> list[str]:
    words = Counter(w.lower() for tokens in abstracts for w in _words(tokens))
    return sorted(w for w in words if len(w) >= 5 and w.isalpha() and w not in _STOP)


def coin_name(rng: random.Random, parts: Sequence[str]) -> str:
    """A method or organization name such as ``DisFlow``, ``SymMatch-2`` or ``PRMG``."""
    if rng.random() < 0.3:
        name = "".join(rng.choice(parts)[0] for _ in range(rng.randint(3, 5))).upper()
    else:
        name = "".join(
            rng.choice(parts)[: rng.randint(3, 6)].capitalize() for _ in range(rng.choice((1, 2, 2, 3)))
        )
    if rng.random() < 0.12:
        name += f"-{rng.randint(1, 9)}"
    return name


# ----------------------------------------------------------------------------------------------
# The corpus.


@dataclass(slots=True)
class Topic:
    """A latent topic: words a paper about it uses more than the chain alone would."""

    words: Dist


@dataclass(slots=True)
class SynthPaper:
    title: str
    abstract: str
    organization: tuple[str, str] | None
    """(hub id, display name), or None for a paper with an author count."""
    authors: int | None
    published: dt.date
    comments: int
    topic: int


@dataclass(slots=True)
class SynthEdition:
    date: dt.date
    blocks: list[tuple[int, bool]] = field(default_factory=list)
    """(index into ``Corpus.papers``, whether the block shows the paper's metadata)."""


@dataclass(slots=True)
class Corpus:
    """Generated papers and the daily editions that list them."""

    papers: list[SynthPaper]
    editions: list[SynthEdition]
    seed: int

    def dump_text(self, edition: SynthEdition) -> str:
        """The edition as a copied Daily Papers page: header, page date, then one block per paper."""
        lines: list[str] = []
        for line in (*HEADER, _month_day(edition.date)):
            lines += [line, ""]
        for index, with_meta in edition.blocks:
            paper = self.papers[index]
            lines += [paper.title, "", paper.abstract, ""]
            if with_meta:
                if paper.organization is not None:
                    lines.append(" ".join(paper.organization))
                else:
                    lines.append(f"  • {paper.authors} authors")
                date = _month_day(paper.published)
                if paper.published.year != edition.date.year:
                    date += f", {paper.published.year}"
                if paper.comments:
                    date += f" {paper.comments}"
                lines += ["·", date, ""]
        return "\n".join(lines)

    def write(self, out: Path, *, title: str = "Synthetic Daily Papers") -> None:
        """Write ``site.yaml`` and ``dumps/YYYY-MM-DD.txt`` into ``out``, a sitegen content folder.

        ``out`` must be missing, empty, or a corpus written here before (it is then replaced)."""
        if out.exists() and any(out.iterdir()) and not (out / MARKER).is_file():
            raise FileExistsError(f"{out}: not empty and not a generated corpus; not overwritten")
        if out.exists():
            shutil.rmtree(out)
        (out / "dumps").mkdir(parents=True)
        year = self.editions[0].date.year if self.editions else DEFAULT_START.year
        (out / "site.yaml").write_text(
            f"# A synthetic corpus written by bench/synth.py (seed {self.seed}); regenerate it, do not edit.\n"
            f"title: {title}\n"
            f"description: {len(self.papers)} synthetic papers in {len(self.editions)} daily editions.\n"
            "base_url: https://example.org/digest/\n"
            "language: en\n"
            "author: bench\n"
            f"default_year: {year}\n"
            "feed_size: 50\n",
            encoding="utf-8",
        )
        for edition in self.editions:
            path = out / "dumps" / f"{edition.date.isoformat()}.txt"
            path.write_text(self.dump_text(edition), encoding="utf-8", newline="\n")
        (out / MARKER).write_text(json.dumps(self.stats(), indent=1, sort_keys=True) + "\n", encoding="utf-8")

    def stats(self) -> dict:
        """Counts that say what was generated (and that the tests check)."""
        appearances = Counter(i for e in self.editions for i, _ in e.blocks)
        org_sizes = Counter(p.organization[0] for p in self.papers if p.organization is not None)
        blocks = sum(len(e.blocks) for e in self.editions)
        shown_org = sum(
            1
            for e in self.editions
            for i, meta in e.blocks
            if meta and self.papers[i].organization is not None
        )
        return {
            "version": VERSION,
            "seed": self.seed,
            "papers": len(self.papers),
            "editions": len(self.editions),
            "blocks": blocks,
            "first": self.editions[0].date.isoformat() if self.editions else None,
            "last": self.editions[-1].date.isoformat() if self.editions else None,
            "repeated_papers": sum(1 for n in appearances.values() if n > 1),
            "repeat_blocks": blocks - len(appearances),
            "blocks_with_organization": shown_org,
            "organizations": len(org_sizes),
            "largest_organizations": [n for _, n in org_sizes.most_common(5)],
            "organizations_with_one_paper": sum(1 for n in org_sizes.values() if n == 1),
        }


def _month_day(date: dt.date) -> str:
    return f"{MONTHS[date.month - 1]} {date.day}"


class Generator:
    """Draws papers and editions; every random choice comes from ``rng`` streams of one seed."""

    def __init__(
        self,
        model: SampleModel,
        seed: int = 0,
        *,
        topics: int = 300,
        organizations: int = 3000,
        org_share: float = 1 / 3,
        bare_share: float = 0.1,
        repeat_share: float = 0.04,
        per_edition: int = 50,
        topic_rate: float = 0.04,
    ) -> None:
        self.model = model
        self.seed = seed
        self.org_share = org_share
        self.bare_share = bare_share
        self.repeat_share = repeat_share
        self.per_edition = per_edition
        self.topic_rate = topic_rate
        self.topics = self._topics(random.Random(f"{seed}:topics"), topics)
        # A mild skew of topic sizes: the largest topic has a few times the papers of the smallest.
        self.topic_dist = Dist.of((k, 1 / (k + 5) ** 0.8) for k in range(len(self.topics)))
        pool = self._organizations(random.Random(f"{seed}:organizations"), organizations)
        # Zipf (s = 1.1): the first organization has about twice the papers of the second, and
        # most of the pool has one paper or none.
        self.org_dist = Dist.of((org, 1 / (rank + 1) ** 1.1) for rank, org in enumerate(pool))

    def _topics(self, rng: random.Random, count: int) -> list[Topic]:
        seeds = self.model.topic_seeds
        order = list(range(len(seeds)))
        rng.shuffle(order)
        topics = []
        for k in range(count):
            words = list(seeds[order[k % len(seeds)]])
            if k >= len(seeds):  # more topics than samples: each further one mixes two samples
                other = seeds[order[(7 * k + 3) % len(seeds)]]
                words = list(dict.fromkeys(words[:6] + other[:6]))
            topics.append(Topic(Dist.of((w, 1 / (i + 1) ** 0.7) for i, w in enumerate(words))))
        return topics

    def _organizations(self, rng: random.Random, count: int) -> list[tuple[str, str]]:
        pool = list(self.model.organizations)
        slugs = {slugify(hub) for hub, _ in pool}
        names = {name.lower() for _, name in pool}
        while len(pool) < count:
            base = coin_name(rng, self.model.name_parts)
            name = f"{base} {rng.choice(_ORG_SUFFIXES)}".strip()
            style = rng.random()
            hub = (
                name.replace(" ", "-")
                if style < 0.4
                else name.replace(" ", "").lower()
                if style < 0.7
                else base
            )
            slug = slugify(hub)
            # Two organizations must never look alike to the site (same page, same name).
            if not slug or slug in slugs or name.lower() in names:
                continue
            slugs.add(slug)
            names.add(name.lower())
            pool.append((hub, name))
        rng.shuffle(pool)
        return pool

    def title(self, rng: random.Random, topic: Topic, name: str | None) -> str:
        """A title: the title chain's walk, steered to the topic; ``Name: ...`` when named."""
        m = self.model
        target = max(3, rng.choice(m.title_lengths) + rng.randint(-2, 2))
        token = m.title_starts.draw(rng)
        words = [token]
        while len(words) < target + 4:
            if len(words) >= target and token.lower() in m.title_ends:
                break
            if rng.random() < 0.25:
                token = topic.words.draw(rng)
                token = token[0].upper() + token[1:]
            else:
                token = m.title_chain.step(token, rng) or m.abstract_chain.step(token, rng) or ""
                token = token.rstrip(".;")
                if not token:
                    break
            words.append(token)
        text = " ".join(words).rstrip(",:;-. ")
        text = text[0].upper() + text[1:]
        return f"{name}: {text}" if name else text

    def abstract(self, rng: random.Random, topic: Topic, name: str | None) -> str:
        """An abstract on one line, ending with a full stop, of a sample abstract's length."""
        m = self.model
        target = max(120, rng.choice(m.abstract_lengths) + rng.randint(-20, 20))
        intro = rng.randrange(3) if name else -1
        words: list[str] = []
        sentence_no = 0
        while len(words) < target:
            if sentence_no == intro:
                sentence = ["We", "introduce", f"{name},", "a"]
            else:
                sentence = [m.sentence_starts.draw(rng)]
            token = sentence[-1]
            while not token.endswith("."):
                if len(sentence) >= 60:
                    sentence[-1] = sentence[-1].rstrip(",;:-") + "."
                    break
                if rng.random() < self.topic_rate:
                    token = topic.words.draw(rng)
                else:
                    step = m.abstract_chain.step(token, rng)
                    if step is None:
                        sentence[-1] = sentence[-1].rstrip(",;:-") + "."
                        break
                    token = step
                sentence.append(token)
            words += sentence
            sentence_no += 1
        return " ".join(words)

    def paper(self, rng: random.Random, taken: set[str], edition_date: dt.date) -> SynthPaper:
        """A new paper whose title differs (as sitegen merges titles) from every title in ``taken``."""
        m = self.model
        k = self.topic_dist.draw(rng)
        topic = self.topics[k]
        for _attempt in range(1000):
            name = coin_name(rng, m.name_parts) if rng.random() < m.prefix_share else None
            title = self.title(rng, topic, name)
            key = title_key(title)
            if key not in taken and len(title) <= 250 and not _NOT_TEXT.match(title):
                break
        else:  # pragma: no cover - a thousand clashes in a row means the model is broken
            raise RuntimeError("cannot draw a new distinct title")
        taken.add(key)
        if name is None and rng.random() < 0.3:
            name = coin_name(rng, m.name_parts)
        abstract = self.abstract(rng, topic, name)
        org = None
        authors = None
        if rng.random() < min(1.0, self.org_share / (1 - self.bare_share)):
            org = self.org_dist.draw(rng)
        else:
            authors = m.authors.draw(rng)
        if rng.random() < 0.7:  # this week's papers ...
            published = edition_date - dt.timedelta(days=min(30, int(rng.expovariate(1 / 3))))
        else:  # ... and older ones (the samples have many, with a year printed)
            published = edition_date - dt.timedelta(days=rng.randint(30, 5 * 365))
        return SynthPaper(title, abstract, org, authors, published, m.comments.draw(rng), k)

    def corpus(self, papers: int, start: dt.date = DEFAULT_START) -> Corpus:
        """Daily editions from ``start`` on, until ``papers`` distinct papers have appeared."""
        rng = random.Random(f"{self.seed}:papers")
        out: list[SynthPaper] = []
        editions: list[SynthEdition] = []
        firsts: list[int] = []  # index of each edition's first new paper
        taken: set[str] = set()
        day = 0
        while len(out) < papers:
            edition = SynthEdition(start + dt.timedelta(days=day))
            firsts.append(len(out))
            window = firsts[max(0, day - 30)]  # repeats come from the last month
            size = max(20, min(80, round(rng.gauss(self.per_edition, 7))))
            here: set[int] = set()
            for _slot in range(size):
                if firsts[-1] > window and rng.random() < self.repeat_share:
                    index = rng.randrange(window, firsts[-1])
                    if index not in here:
                        here.add(index)
                        edition.blocks.append((index, rng.random() >= self.bare_share))
                    continue
                if len(out) >= papers:
                    continue
                here.add(len(out))
                edition.blocks.append((len(out), rng.random() >= self.bare_share))
                out.append(self.paper(rng, taken, edition.date))
            rng.shuffle(edition.blocks)
            editions.append(edition)
            day += 1
        return Corpus(out, editions, self.seed)


def generate(papers: int, seed: int = 0, *, start: dt.date = DEFAULT_START, **options) -> Corpus:
    """A corpus of ``papers`` distinct papers learned from the sample dumps; same seed, same corpus."""
    return Generator(SampleModel.from_dumps(), seed, **options).corpus(papers, start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.synth",
        description="Write a synthetic sitegen content folder (site.yaml, dumps/YYYY-MM-DD.txt) of "
        "daily editions of about 50 papers, learned from content/dumps/.",
    )
    parser.add_argument("--papers", type=int, required=True, help="number of distinct papers")
    parser.add_argument(
        "--out", type=Path, required=True, help="content folder to write (replaced if generated)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--start", type=dt.date.fromisoformat, default=DEFAULT_START, help="date of the first edition"
    )
    parser.add_argument("--topics", type=int, default=300, help="latent topics (default 300)")
    args = parser.parse_args(argv)
    if args.papers < 1:
        parser.error("--papers must be at least 1")
    corpus = generate(args.papers, args.seed, start=args.start, topics=args.topics)
    try:
        corpus.write(args.out)
    except FileExistsError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    stats = corpus.stats()
    print(
        f"{stats['papers']} papers, {stats['blocks']} blocks in {stats['editions']} editions "
        f"({stats['first']} to {stats['last']}), {stats['repeated_papers']} papers repeated, "
        f"{stats['organizations']} organizations (largest: {stats['largest_organizations']}) -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
