"""Group papers: by publication year and month, and by organization."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from .models import MonthGroup, OrgGroup, Paper, YearGroup


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
    """Organizations by paper count, then name; each with its papers newest first."""
    groups: dict[str, list[Paper]] = defaultdict(list)
    orgs = {}
    for paper in papers:
        if paper.organization:
            groups[paper.organization.slug].append(paper)
            orgs.setdefault(paper.organization.slug, paper.organization)
    result = [OrgGroup(orgs[slug], sorted(items, key=_by_date)) for slug, items in groups.items()]
    result.sort(key=lambda g: (-len(g.papers), g.organization.name.casefold(), g.organization.slug))
    return result
