"""Search data: Lunr indexes built here with lunr.py, queried in the browser with lunr.js 2.3.9.

Files written under ``data/search/`` (all deterministic JSON, sorted keys):

``manifest.json``
    ``{"format": 1, "lunr": "2.3.9", "pipeline": [...], "parts": [{"index": "index-0.json",
    "store": "store-0.json", "papers": 270, "first": "2023-01-30", "last": "2025-12-24"}]}``.
    The browser reads this first and then fetches the parts it lists (file names are relative to
    the manifest). Today there is one part; the UI already searches every listed part and merges the
    results, so splitting the index later means changing ``part_size`` here, not the UI.
``index-<n>.json``
    A serialized ``lunr.Index`` (what ``lunr.Index.load`` takes). Fields: ``title`` (boosted),
    ``abstract``, ``organization``, ``theme``. Document refs are short base-36 numbers local to the
    part, not paper ids: a ref is repeated in every posting and field vector, and long ids made the
    sample index three times larger.
``store-<n>.json``
    What a result shows, by ref: ``title``, ``url`` (site-relative), ``date`` (``YYYY-MM-DD`` or
    null), ``theme`` (label or null), ``snippet`` (start of the abstract).

Normalization is shared with the browser: the functions registered here under ``FOLD_LABEL``,
``TRIM_LABEL`` and ``STEM_LABEL`` are registered under the same labels by
``templates/static/search.js``, and the serialized index names them in its search pipeline, so a
query is folded, trimmed and stemmed exactly like the text was. The stemmer is lunr.js's own,
ported (``lunr_stemmer.py``), because lunr.py's differs from it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lunr import __TARGET_JS_VERSION__ as LUNR_JS_VERSION
from lunr.builder import Builder
from lunr.pipeline import Pipeline
from lunr.stop_word_filter import stop_word_filter
from lunr.token import Token

from .lunr_index import serialize_with
from .lunr_stemmer import stemmer
from .models import Paper
from .render import dump_json
from .text import snippet

FORMAT = 1
"""Version of the manifest's shape; bump it when the UI must change to read the files."""
FOLD_LABEL = "sitegenFold"
TRIM_LABEL = "sitegenTrimmer"
STEM_LABEL = "sitegenStemmer"
TITLE_BOOST = 10
SNIPPET_LENGTH = 200
FIELDS = ("title", "abstract", "organization", "theme")
PREFIX = "data/search/"

# Letters that Unicode decomposition leaves alone but a reader types without the stroke or ligature.
# search.js has the same table (FOLD_EXTRA); tests/test_search.py checks both give the same output.
_FOLD_EXTRA = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)
# lunr.js trims with ASCII \W, lunr.py with Unicode \W and only when the word has no inner
# punctuation; this trimmer is Unicode-aware and always trims, and search.js does the same.
_EDGE_PUNCT = re.compile(r"^[\W_]+|[\W_]+$")
# What lunr.js's tokenizer splits on (/[\s\-]+/, JavaScript's \s); lunr.py splits on fewer spaces,
# so text is normalized to plain spaces first and both cut words at the same places.
_JS_SPACES = re.compile("[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+")


def fold_text(text: str) -> str:
    """Lower-case ``text`` and remove diacritics: ``TÜLU`` -> ``tulu``, ``ﬁne`` -> ``fine``."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.category(ch).startswith("M"))
    return stripped.translate(_FOLD_EXTRA)


def trim_text(text: str) -> str:
    """Strip punctuation at both ends of a word: ``(DMD),`` -> ``DMD``."""
    return _EDGE_PUNCT.sub("", text)


def fold(token: Token, i: int | None = None, tokens: list[Token] | None = None) -> Token:
    """Lunr pipeline function: fold diacritics (see ``fold_text``)."""
    return token.update(lambda s, metadata=None: fold_text(s))


def trim(token: Token, i: int | None = None, tokens: list[Token] | None = None) -> Token | None:
    """Lunr pipeline function: trim punctuation (see ``trim_text``); drops tokens left empty."""
    token.update(lambda s, metadata=None: trim_text(s))
    return token if str(token) else None


Pipeline.register_function(fold, FOLD_LABEL)
Pipeline.register_function(trim, TRIM_LABEL)
Pipeline.register_function(stemmer, STEM_LABEL)


@dataclass(slots=True)
class SearchPart:
    """One independently loadable slice of the search data."""

    papers: list[Paper]
    """The papers of this part, oldest first (their position, in base 36, is their ref)."""
    index: dict[str, Any]
    """The serialized lunr index (what ``lunr.Index.load`` takes)."""
    store: dict[str, dict[str, str | None]]
    """What a result shows, by ref."""


def ref(position: int) -> str:
    """A document ref: the position in its part, in base 36 (short: refs repeat all over an index)."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        position, rest = divmod(position, 36)
        out = digits[rest] + out
        if position == 0:
            return out


def organization_text(paper: Paper) -> str:
    """What the organization field indexes: the display name, and the hub id when it differs."""
    org = paper.organization
    if org is None:
        return ""
    return org.name if org.name.casefold() == org.id.casefold() else f"{org.name} {org.id}"


def document(paper: Paper, position: int) -> dict[str, str]:
    """The fields of one paper as lunr indexes them."""
    fields = {
        "title": paper.title,
        "abstract": paper.abstract,
        "organization": organization_text(paper),
        "theme": paper.theme.label if paper.theme else "",
    }
    return {"ref": ref(position)} | {name: _JS_SPACES.sub(" ", text) for name, text in fields.items()}


def store_record(paper: Paper) -> dict[str, str | None]:
    """What a search result shows for ``paper``."""
    return {
        "title": paper.title,
        "url": paper.url,
        "date": paper.published.isoformat() if paper.published else None,
        "theme": paper.theme.label if paper.theme else None,
        "snippet": snippet(paper.abstract, SNIPPET_LENGTH),
    }


def new_builder() -> Builder:
    """A lunr builder with sitegen's pipelines and fields (no documents yet)."""
    builder = Builder()
    builder.pipeline.add(fold, trim, stop_word_filter, stemmer)
    # The search pipeline is what gets serialized and what lunr.js runs on query terms.
    builder.search_pipeline.add(fold, trim, stemmer)
    builder.ref("ref")
    for name in FIELDS:
        builder.field(name, boost=TITLE_BOOST if name == "title" else 1)
    return builder


def build_part(papers: Sequence[Paper]) -> SearchPart:
    """Index ``papers`` (in the given order) as one part."""
    documents = [document(paper, position) for position, paper in enumerate(papers)]
    store = {ref(position): store_record(paper) for position, paper in enumerate(papers)}
    # What lunr.py's builder would make (lunr_index.reference_index), written 100 times faster.
    index = serialize_with(new_builder(), documents)
    return SearchPart(papers=list(papers), index=index, store=store)


def split_parts(papers: Sequence[Paper], part_size: int | None = None) -> list[list[Paper]]:
    """Cut the papers into parts of at most ``part_size`` (one part when None).

    Oldest first, so that when the digest grows only the last part changes and the earlier ones
    keep their bytes (and their cached copies in browsers).
    """
    oldest_first = list(reversed(papers))  # Site.papers is newest first
    if not oldest_first:
        return []  # lunr cannot build an empty index; a site with no papers has no parts
    size = part_size or len(oldest_first)
    return [oldest_first[i : i + size] for i in range(0, len(oldest_first), size)]


def _date_range(papers: Sequence[Paper]) -> tuple[str | None, str | None]:
    dates = sorted(d for p in papers if (d := p.first_seen or p.published))
    return (dates[0].isoformat(), dates[-1].isoformat()) if dates else (None, None)


def search_files(papers: Sequence[Paper], part_size: int | None = None) -> dict[str, bytes]:
    """Every search data file, by site-relative path: the manifest, then an index and a store per part."""
    files: dict[str, bytes] = {}
    entries = []
    pipeline: list[str] = new_builder().search_pipeline.serialize()
    for n, chunk in enumerate(split_parts(papers, part_size)):
        part = build_part(chunk)
        serialized = part.index
        pipeline = serialized["pipeline"]
        first, last = _date_range(chunk)
        entries.append(
            {
                "index": f"index-{n}.json",
                "store": f"store-{n}.json",
                "papers": len(chunk),
                "first": first,
                "last": last,
            }
        )
        files[f"{PREFIX}index-{n}.json"] = dump_json(serialized)
        files[f"{PREFIX}store-{n}.json"] = dump_json(part.store)
    manifest = {"format": FORMAT, "lunr": LUNR_JS_VERSION, "pipeline": pipeline, "parts": entries}
    files[f"{PREFIX}manifest.json"] = dump_json(manifest)
    return files
