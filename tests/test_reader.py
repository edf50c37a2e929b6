"""The reader, table-driven: each file of fixtures/reader has its expected result beside it
(``<name>.expected.json``; regenerate with ``python tests/reader_cases.py --write`` and review the diff)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from reader_cases import cases, describe, expected_path

from sitegen.errors import Diagnostics
from sitegen.reader import parse_dump


@pytest.mark.parametrize("case", cases(), ids=lambda p: p.name)
def test_fixture(case):
    expected = json.loads(expected_path(case).read_text(encoding="utf-8"))
    assert describe(case) == expected


def test_every_fixture_has_expectations():
    for case in cases():
        assert expected_path(case).is_file(), f"{case.name}: no expected file"


def _parse(text: str, name: str = "d.txt", **kw):
    diags = Diagnostics()
    return parse_dump(text, name, name, diags, **kw), [str(d) for d in diags]


ABSTRACT = "We propose a method that works well on many benchmarks and we release the code for it."


def test_configured_date_wins_over_inference():
    text = f"Daily Papers\n\nMar 11\n\nA Title\n\n{ABSTRACT}\n\n  • 2 authors\n·\nFeb 1, 2020\n"
    dump, warnings = _parse(text, configured_date=dt.date(2024, 3, 11))
    assert dump.date == dt.date(2024, 3, 11) and dump.date_source == "site.yaml"
    assert warnings == []


def test_page_date_disagreeing_with_file_name_is_reported():
    text = f"Daily Papers\n\nMar 11\n\nA Title\n\n{ABSTRACT}\n"
    dump, warnings = _parse(text, name="2024-03-12.txt")
    assert dump.date == dt.date(2024, 3, 12)
    assert warnings == [
        "2024-03-12.txt:3: the page date Mar 11 differs from 2024-03-12 given by the file name; using 2024-03-12"
    ]


def test_display_name_with_spaces_and_comment_counts():
    text = f"Mar 11\n\nA Title\n\n{ABSTRACT}\n\nallenai Allen Institute for AI\n·\nFeb 1 12\n"
    dump, _ = _parse(text, configured_date=dt.date(2025, 3, 11))
    entry = dump.entries[0]
    assert (entry.organization.id, entry.organization.name) == ("allenai", "Allen Institute for AI")
    assert entry.comments == 12 and entry.published == dt.date(2025, 2, 1)


def test_title_without_abstract_before_a_normal_block():
    long = ABSTRACT * 4
    text = f"Mar 11\n\nLonely Title\n\nSecond Title\n\n{long}\n\n  • 2 authors\n·\nFeb 1\n"
    dump, warnings = _parse(text, configured_date=dt.date(2025, 3, 11))
    assert [e.title for e in dump.entries] == ["Lonely Title", "Second Title"]
    assert dump.entries[1].abstract == long and dump.entries[1].authors == 2
    assert warnings == ["d.txt:3: paper 'Lonely Title' has no abstract"]


def test_long_line_is_skipped_with_a_message():
    text = f"Mar 11\n\nA Title\n\n{ABSTRACT}\n\n{'x' * 60_000}\n\nB Title\n\n{ABSTRACT}\n"
    dump, warnings = _parse(text, configured_date=dt.date(2025, 3, 11))
    assert [e.title for e in dump.entries] == ["A Title", "B Title"]
    assert warnings == ["d.txt:7: line is 60,000 characters long; skipped"]


def test_abstract_followed_directly_by_the_date_is_not_an_organization():
    short = "We propose a new method for long context retrieval and show strong gains on benchmarks."
    text = f"Dec 24\n\nTitle One\n\n{short}\n\n·\nOct 31 1\n\nTitle Two\n\n{ABSTRACT * 5}\n\n·\nOct 30\n"
    dump, warnings = _parse(text, configured_date=dt.date(2025, 12, 24))
    assert [(e.title, e.abstract, e.organization, e.comments) for e in dump.entries] == [
        ("Title One", short, None, 1),
        ("Title Two", ABSTRACT * 5, None, 0),
    ]
    assert warnings == []


def test_year_before_uses_the_edition_date_when_the_page_date_is_missing():
    text = f"Daily Papers\n\nA Title\n\n{ABSTRACT}\n\n  • 2 authors\n·\nDec 31\n"
    dump, _ = _parse(text, name="2026-01-01.txt")
    assert dump.date == dt.date(2026, 1, 1)
    assert dump.entries[0].published == dt.date(2025, 12, 31)


def test_impossible_date_in_the_file_name_is_reported():
    text = f"Daily Papers\n\nMar 11\n\nA Title\n\n{ABSTRACT}\n\n  • 2 authors\n·\nFeb 1, 2024\n"
    dump, warnings = _parse(text, name="2025-02-30.txt")
    assert warnings == ["2025-02-30.txt: 2025-02-30 in the file name is not a date; ignored"]
    assert dump.date == dt.date(2025, 3, 11)


def test_unreadable_organization_line_is_reported_and_the_paper_kept():
    text = f"Dec 24\n\nA Title\n\n{ABSTRACT}\n\n<b>no hub id</b>\n·\nOct 31 2\n"
    dump, warnings = _parse(text, configured_date=dt.date(2025, 12, 24))
    assert [(e.title, e.organization, e.comments) for e in dump.entries] == [("A Title", None, 2)]
    assert warnings == ["d.txt:7: cannot read an organization in '<b>no hub id</b>'; ignored"]
