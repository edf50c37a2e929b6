"""Merge the paper blocks of every dump into distinct papers and editions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping

from .errors import Diagnostics
from .models import Dump, Edition, Paper
from .text import (
    LONG_HASH,
    find_links,
    paper_slug,
    permalink_key,
    permalink_owner,
    short_hash,
    slugify,
    title_key,
)


def _edition_order(dump: Dump) -> tuple:
    # Undated editions sort first (oldest), so a dated edition's metadata wins over theirs.
    return (dump.date or dt.date.min, dump.name)


def build_editions(dumps: list[Dump], diags: Diagnostics) -> list[Edition]:
    """One edition per dump, oldest first, linked to their neighbours."""
    editions: list[Edition] = []
    taken: set[str] = set()
    for dump in sorted(dumps, key=_edition_order):
        if not dump.entries:
            continue  # already reported by the reader; an edition with no papers has no page
        stem = dump.name.rsplit(".", 1)[0]
        slug = dump.date.isoformat() if dump.date else slugify(stem) or f"edition-{short_hash(stem)}"
        if slug in taken:
            base, n = slug, 2
            while f"{base}-{n}" in taken:
                n += 1
            slug = f"{base}-{n}"
            diags.warn(
                dump.path, None, f"another dump is the edition of the same day; this one is /editions/{slug}/"
            )
        taken.add(slug)
        editions.append(Edition(slug=slug, date=dump.date, dump=dump))
    for older, newer in zip(editions, editions[1:], strict=False):
        older.next, newer.previous = newer, older
    return editions


def _distinct_ids(papers: list[Paper], owners: Mapping[str, str] | None = None) -> None:
    """Give papers that would share a permalink distinct ones; a permalink, once given, stays.

    ``owners`` (permalink -> ``permalink_owner`` of the paper it was given to) is the previous
    build's, carried in ``themes.json``: a paper keeps the permalink it had there, whatever was
    added since (an older dump with a title crafted to share its hash included). The other papers,
    in the order they were first seen (oldest edition first, then dump order), take the short
    permalink if it is free, else a long hash of their own merge key (64 bits). Without carried
    owners the first seen keeps the short one. The result depends on the content (and the carried
    owners) only, never on the order dumps were added in the same editions."""
    owners = owners or {}
    taken: set[str] = set()
    rest: list[Paper] = []
    for paper in papers:
        mine = permalink_owner(paper.key) if owners else None
        had = None
        if mine:
            had = next((c for c in _choices(paper) if c not in taken and owners.get(c) == mine), None)
        if had is not None:
            paper.id = had
            taken.add(had)
        else:
            rest.append(paper)
    for paper in rest:
        if paper.id in taken:  # the short permalink is another's: the first long one free
            choices = list(_choices(paper))
            paper.id = next((c for c in choices if c not in taken), choices[-1])
        taken.add(paper.id)


def _choices(paper: Paper) -> Iterator[str]:
    """The permalinks ``paper`` may have, in order of preference: its short one (``paper.id``
    as merged), then two long hashes of its merge key (two 64-bit hashes equal: 160 bits).
    Made as they are asked for: most papers take the first."""
    yield paper.id
    seen = {paper.id}
    for length in (LONG_HASH, 40):
        slug = paper_slug(paper.key, paper.title, hash_length=length)
        if slug not in seen:
            seen.add(slug)
            yield slug


def merge_papers(
    editions: list[Edition], diags: Diagnostics, owners: Mapping[str, str] | None = None
) -> list[Paper]:
    """One paper per normalized title; ``owners``: who had which permalink (``_distinct_ids``). Editions are visited oldest first, so where dumps differ,
    the latest edition's values win; a value missing from a later dump keeps the earlier one.

    Two titles of one dump that differ only by what normalization ignores are never merged
    silently: a warning names both."""
    by_key: dict[str, Paper] = {}
    for edition in editions:
        seen_here: dict[str, tuple[str, int]] = {}
        for entry in edition.dump.entries:
            key = entry.title and title_key(entry.title)
            if not key:
                diags.warn(edition.dump.path, entry.line, "empty title; skipped")
                continue
            paper = by_key.get(key)
            if paper is None:
                paper = by_key[key] = Paper(id="", key=key, title=entry.title, abstract="")
                paper.id = paper_slug(permalink_key(entry.title), entry.title)
            if key in seen_here and seen_here[key][0] != entry.title:
                other, line = seen_here[key]
                diags.warn(
                    edition.dump.path,
                    entry.line,
                    f"paper {entry.title[:60]!r} differs from {other[:60]!r} (line {line}) only in case, "
                    "accents, spacing or punctuation: read as the same paper, its values win",
                )
            elif key in seen_here:
                diags.warn(
                    edition.dump.path, entry.line, f"paper {entry.title[:60]!r} appears twice in this dump"
                )
            else:
                paper.editions.append(edition)
                edition.papers.append(paper)
                seen_here[key] = (entry.title, entry.line)
            paper.title = entry.title
            paper.sources.append((edition.dump.path, entry.line))
            if entry.abstract:
                paper.abstract = entry.abstract
            for name in ("organization", "authors", "published", "comments", "arxiv_id"):
                value = getattr(entry, name)
                if value is not None:
                    setattr(paper, name, value)
    _distinct_ids(list(by_key.values()), owners)
    papers = list(by_key.values())
    for paper in papers:
        paper.links = find_links(paper.abstract)
    # Newest first seen first; within an edition, dump order.
    order = {id(p): i for e in reversed(editions) for i, p in enumerate(e.papers)}
    papers.sort(key=lambda p: (-(p.first_seen or dt.date.min).toordinal(), order.get(id(p), 0)))
    return papers
