"""``sitegen check``: every problem as ``path:line: message``, a summary, exit codes, nothing written."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import CONTENT, content_without_edition_dates

from sitegen.check import check
from sitegen.errors import Diagnostics

ABSTRACT = "We propose a method that works well on many benchmarks and we release the code for it."


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sitegen", *args], capture_output=True, text=True, cwd=cwd)


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _bad_content(root: Path) -> Path:
    """Content with one problem of each kind the check must report, and three ways to date an edition."""
    content = root / "content"
    (content / "dumps").mkdir(parents=True)
    dumps = content / "dumps"
    (dumps / "2025-03-11.txt").write_text(
        f"Mar 11\n\nGood One\n\n{ABSTRACT}\n\n  • 2 authors\n·\nSmarch 45\n\nGood Two\n\n{ABSTRACT}\n\n"
        f"Good One\n\n{ABSTRACT}\n",
        encoding="utf-8",
    )
    (dumps / "b.txt").write_text(
        f"Mar 12\n\nGood one!\n\n{ABSTRACT}\n\nThird Paper\n\n{ABSTRACT}\n\n"
        "acme Acme Labs\n·\nMar 10, 2024 3\n",
        encoding="utf-8",
    )
    (dumps / "c.txt").write_text(f"Mar 13\n\nFourth\n\n{ABSTRACT}\n", encoding="utf-8")
    (dumps / "empty.txt").write_text("", encoding="utf-8")
    (content / "site.yaml").write_text(
        "title: T\ndefault_year: 2025\ncolour: red\neditions:\n  c.txt: 2025-03-13\n  gone.txt: 2025-01-01\n",
        encoding="utf-8",
    )
    return content


def test_sample_content_summary(tmp_path):
    shutil.copytree(CONTENT, tmp_path / "content")
    before = _tree(tmp_path)
    result = run("check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        "4 dumps, 296 paper blocks, 270 distinct papers, 26 duplicates merged (23 papers in several "
        "editions), 1 Markdown page",
        "4 editions, newest first:",
        "  2025-12-24  content/dumps/000_6036b0cda8a3e8e7.txt  46 papers  "
        "year inferred from the papers' dates",
        "  2025-11-19  content/dumps/002_f1b713922298cbcd.txt  83 papers  "
        "year inferred from the papers' dates",
        "  2025-10-23  content/dumps/001_4e397b387cbb57b6.txt  94 papers  "
        "year inferred from the papers' dates",
        "  2025-03-11  content/dumps/004_45889c18e00e42e1.txt  73 papers  date from editions: in site.yaml",
        "year inferences: 3 from the papers' dates, 0 fell back to default_year 2025",
        "no problems found; nothing written",
    ]
    assert _tree(tmp_path) == before  # nothing written: no _site/, no cache, no change


def test_uninferable_year_is_reported_and_fails_under_strict(tmp_path):
    content_without_edition_dates(tmp_path)
    before = _tree(tmp_path)
    result = run("check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        "content/dumps/004_45889c18e00e42e1.txt:9: cannot infer the edition's year (no paper date has a "
        "year); using default_year 2025 (set 'editions: {004_45889c18e00e42e1.txt: YYYY-MM-DD}' in "
        "site.yaml to fix)\n"
    )
    lines = result.stdout.splitlines()
    assert (
        "  2025-03-11  content/dumps/004_45889c18e00e42e1.txt  73 papers  year is default_year: could not be inferred"
        in lines
    )
    assert lines[-2:] == [
        "year inferences: 3 from the papers' dates, 1 fell back to default_year 2025",
        "1 warning; nothing written",
    ]
    assert _tree(tmp_path) == before
    strict = run("check", "--strict", cwd=tmp_path)
    assert strict.returncode == 1
    assert strict.stderr.endswith("Error: 1 warning(s) with --strict\n")
    assert strict.stdout.splitlines()[-1] == "1 warning; nothing written"


def test_every_problem_is_reported_with_its_place(tmp_path):
    _bad_content(tmp_path)
    before = _tree(tmp_path)
    result = run("check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr  # warnings only: the build would go on
    assert result.stderr.splitlines() == [
        # Issue #16 item 4: the line of the key, and the known settings when none is close.
        "content/site.yaml:3: unknown setting 'colour' ignored (known settings: title, description, "
        "base_url, language, author, default_year, editions, feed_size, themes, source_url)",
        "content/dumps/2025-03-11.txt:9: not a date: 'Smarch 45'; date ignored",
        "content/dumps/empty.txt: empty dump: no papers",
        "content/site.yaml: editions: no dump named 'gone.txt'",
        "content/dumps/2025-03-11.txt:15: paper 'Good One' appears twice in this dump",
    ]
    assert result.stdout.splitlines() == [
        "4 dumps, 6 paper blocks, 4 distinct papers, 2 duplicates merged (1 paper in several editions), "
        "0 Markdown pages",
        "3 editions, newest first:",
        "  2025-03-13  content/dumps/c.txt  1 paper  date from editions: in site.yaml",
        "  2025-03-12  content/dumps/b.txt  2 papers  year inferred from the papers' dates",
        "  2025-03-11  content/dumps/2025-03-11.txt  2 papers  date from the file name",
        "year inferences: 1 from the papers' dates, 0 fell back to default_year 2025",
        "5 warnings; nothing written",
    ]
    assert _tree(tmp_path) == before
    strict = run("check", "--strict", "--content", "content", cwd=tmp_path)
    assert strict.returncode == 1
    assert strict.stderr.splitlines()[-1] == "Error: 5 warning(s) with --strict"


def test_clean_content_says_so(tmp_path):
    content = tmp_path / "content"
    (content / "dumps").mkdir(parents=True)
    (content / "dumps" / "2025-03-11.txt").write_text(
        f"Mar 11\n\nOnly Paper\n\n{ABSTRACT}\n", encoding="utf-8"
    )
    (content / "site.yaml").write_text("title: T\n", encoding="utf-8")
    result = run("check", "--strict", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines()[-1] == "no problems found; nothing written"
    assert "  2025-03-11  content/dumps/2025-03-11.txt  1 paper  date from the file name" in result.stdout


def test_invalid_config_is_an_error_with_every_problem(tmp_path):
    content = _bad_content(tmp_path)
    (content / "site.yaml").write_text("base_url: nope\nfeed_size: -1\n", encoding="utf-8")
    result = run("check", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "Error: invalid configuration:\n"
        "  content/site.yaml:1: base_url: expected an absolute http(s) URL, got 'nope'\n"
        "  content/site.yaml:2: feed_size: expected a whole number from 1 to 10000\n"
    )


def test_broken_yaml_points_at_the_line(tmp_path):
    content = _bad_content(tmp_path)
    (content / "site.yaml").write_text("title: T\neditions: [unclosed\n", encoding="utf-8")
    result = run("check", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: content/site.yaml:3: invalid YAML")
    assert "Traceback" not in result.stderr


def test_missing_content_folder(tmp_path):
    result = run("check", "--content", "nope", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        "Error: nope: no such content folder\n",
    )


def test_report_counts_from_the_api(tmp_path):
    """The report's figures are the pipeline's own: the same as a build reading the same content."""
    report = check(_bad_content(tmp_path), Diagnostics())
    assert report.duplicates_merged == 2
    assert report.papers_in_several_editions == 1
    assert report.year_inferences == {"inferred": 1, "default": 0}
    assert [(str(e.date), e.source) for e in report.editions] == [
        ("2025-03-13", "site.yaml"),
        ("2025-03-12", "inferred"),
        ("2025-03-11", "file name"),
    ]
    assert len(report.diagnostics) == 5
