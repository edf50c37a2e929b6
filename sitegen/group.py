"""Group papers: by publication year and month, and by organization."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import replace

from .models import MonthGroup, Organization, OrgGroup, Paper, YearGroup
from .text import slugify


def _by_date(paper: Paper) -> tuple:
    return (-(paper.published or dt.date.min).toordinal(), paper.title.casefold(), paper.id)


def group_by_month(papers: list[Paper]) -> tuple[list[YearGroup], list[Paper]]:
    """Years newest first, each with its months newest first; plus the papers with no date."""
    months: dict[tuple[int, int], list[Paper]] = defaultdict(list)
    undated: list[Paper] = []
    for paper in papers:
        if paper.published:
            months[(paper.published.year, paper.published.month)].append(paper)
        else:
            undated.append(paper)
    years: dict[int, list[MonthGroup]] = defaultdict(list)
    for year, month in sorted(months, reverse=True):
        years[year].append(MonthGroup(year, month, sorted(months[(year, month)], key=_by_date)))
    archive = [YearGroup(year, years[year]) for year in sorted(years, reverse=True)]
    undated.sort(key=lambda p: (p.title.casefold(), p.id))
    return archive, undated


def group_by_organization(papers: list[Paper]) -> list[OrgGroup]:
    """Organizations by paper count, then name; each with its papers newest first.

    One group, and so one page, per distinct hub id: ids that differ only in case or punctuation
    are different organizations. Their slugs differ (``org_slug``); should two ever agree (a hash
    collision), both get the whole hash, whatever order they came in."""
    groups: dict[str, list[Paper]] = defaultdict(list)
    orgs: dict[str, Organization] = {}
    for paper in papers:
        if paper.organization:
            groups[paper.organization.id].append(paper)
            orgs.setdefault(paper.organization.id, paper.organization)
    by_slug: dict[str, list[str]] = defaultdict(list)
    for hub_id, org in orgs.items():
        by_slug[org.slug].append(hub_id)
    for ids in by_slug.values():
        if len(ids) > 1:
            for hub_id in ids:
                slug = f"{slugify(hub_id) or 'org'}--{hashlib.sha1(hub_id.encode('utf-8')).hexdigest()}"
                orgs[hub_id] = replace(orgs[hub_id], slug=slug)
    for paper in papers:
        if paper.organization:
            paper.organization = replace(paper.organization, slug=orgs[paper.organization.id].slug)
    result = [OrgGroup(orgs[hub_id], sorted(items, key=_by_date)) for hub_id, items in groups.items()]
    result.sort(key=lambda g: (-len(g.papers), g.organization.name.casefold(), g.organization.slug))
    return result
