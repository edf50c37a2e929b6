"""Run the reader on a fixture and describe the result as plain data (shared by the tests and the
one command that regenerates the expected files: ``python tests/reader_cases.py --write``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures" / "reader"
sys.path.insert(0, str(HERE.parent))

from sitegen.errors import Diagnostics  # noqa: E402
from sitegen.reader import read_dump  # noqa: E402


def describe(path: Path) -> dict:
    diags = Diagnostics()
    dump = read_dump(path, diags, display=path.name, default_year=2025)
    result: dict = {"warnings": [str(d) for d in diags]}
    if dump is None:
        result["dump"] = None
        return result
    result["edition"] = {"date": dump.date.isoformat() if dump.date else None, "source": dump.date_source}
    result["papers"] = [
        {
            "line": e.line,
            "title": e.title,
            "abstract": e.abstract[:40],
            "organization": [e.organization.id, e.organization.name] if e.organization else None,
            "authors": e.authors,
            "published": e.published.isoformat() if e.published else None,
            "comments": e.comments,
            "arxiv_id": e.arxiv_id,
        }
        for e in dump.entries
    ]
    return result


def cases() -> list[Path]:
    return sorted(p for p in FIXTURES.iterdir() if p.is_file() and not p.name.endswith(".expected.json"))


def expected_path(path: Path) -> Path:
    return path.with_name(path.name + ".expected.json")


if __name__ == "__main__":
    for case in cases():
        data = describe(case)
        if "--write" in sys.argv:
            expected_path(case).write_text(
                json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
        else:
            print(case.name, json.dumps(data, indent=1, ensure_ascii=False))
