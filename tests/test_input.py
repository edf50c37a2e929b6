"""Input the build must refuse or flag (issue #16, items 1-4): a file that is not a dump, a dump
saved twice, an empty dumps folder, unclosed front matter, and site.yaml messages with their line."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import CONTENT, ROOT

from sitegen.errors import Diagnostics
from sitegen.reader import parse_dump

ABSTRACT = "We propose a method that works well on many benchmarks and we release the code for it."


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sitegen", *args], capture_output=True, text=True, cwd=cwd)


def _content(tmp_path: Path) -> Path:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    return content


def test_a_readme_saved_as_a_dump_is_refused_by_check_and_build(tmp_path):
    content = _content(tmp_path)
    shutil.copy(ROOT / "README.md", content / "dumps" / "notes.txt")
    check = run("check", cwd=tmp_path)
    assert check.returncode == 1
    assert check.stderr.splitlines() == [
        "content/dumps/notes.txt:1: not a Daily Papers dump: it opens with neither the page's header "
        "('Daily Papers') nor its date (such as 'Dec 24'); nothing of it is published"
    ]
    assert check.stdout.splitlines()[0].startswith("4 dumps, 296 paper blocks, 270 distinct papers")
    assert check.stdout.splitlines()[-1] == "1 error; nothing written"
    build = run("build", "--out", "site", cwd=tmp_path)
    assert build.returncode == 1
    assert build.stderr.splitlines()[-1] == "Error: 1 error; nothing written"
    assert "Traceback" not in build.stderr
    assert not (tmp_path / "site").exists()


def test_without_the_file_the_same_content_builds(tmp_path):
    """The refusal rests on the file, not on the rest of the content."""
    _content(tmp_path)
    build = run("build", "--out", "site", cwd=tmp_path)
    assert build.returncode == 0, build.stderr
    assert "Edition of notes" not in (tmp_path / "site" / "editions" / "index.html").read_text()


def test_dumps_without_the_daily_papers_line_or_without_a_page_date_still_read():
    """Real renderings: the header without 'Daily Papers' (as in one sample), a date with no header,
    a header with no date, Markdown headings."""
    texts = {
        "no-daily-papers-line": f"new\n\nSubscribe\n\nbyAK and the research community\n\nDec 24\n\nT\n\n{ABSTRACT}\n",
        "date-only": f"Dec 24\n\nT\n\n{ABSTRACT}\n",
        "header-only": f"Daily Papers\n\nT\n\n{ABSTRACT}\n",
        "markdown": f"# Daily Papers\n\nDec 24\n\n### [T](https://huggingface.co/papers/2410.05434)\n\n{ABSTRACT}\n",
    }
    for name, text in texts.items():
        diags = Diagnostics()
        dump = parse_dump(text, name, f"{name}.txt", diags, default_year=2025)
        assert dump is not None and [e.title for e in dump.entries] == ["T"], name
        assert diags.errors == [], name


def test_a_text_that_is_not_a_dump_gives_one_error_and_no_noise():
    diags = Diagnostics()
    text = "# Notes\n\nSome text I keep.\n\n|---|---|\n\n```\n\nSearch\n"
    assert parse_dump(text, "n.txt", "n.txt", diags) is None
    assert [str(d) for d in diags] == [
        "n.txt:1: not a Daily Papers dump: it opens with neither the page's header ('Daily Papers') "
        "nor its date (such as 'Dec 24'); nothing of it is published"
    ]
    assert diags.errors == diags.items


def test_a_dump_saved_twice_is_reported_naming_both_files(tmp_path):
    content = _content(tmp_path)
    shutil.copy(content / "dumps" / "000_6036b0cda8a3e8e7.txt", content / "dumps" / "zz-copy.txt")
    check = run("check", cwd=tmp_path)
    assert check.returncode == 0
    assert check.stderr.splitlines() == [
        "content/dumps/zz-copy.txt: the same page as content/dumps/000_6036b0cda8a3e8e7.txt "
        "(saved twice?); skipped"
    ]
    assert "4 editions, newest first:" in check.stdout.splitlines()
    assert "zz-copy" not in check.stdout


def test_an_empty_dumps_folder_is_reported(tmp_path):
    content = tmp_path / "content"
    (content / "dumps").mkdir(parents=True)
    (content / "site.yaml").write_text("title: T\n", encoding="utf-8")
    check = run("check", cwd=tmp_path)
    assert check.stderr.splitlines() == [
        "content/dumps: no dump (*.txt) in this folder; the site has no papers"
    ]
    assert run("build", "--strict", "--out", "site", cwd=tmp_path).returncode == 1


def test_unclosed_front_matter_is_reported_and_the_page_not_published(tmp_path):
    content = _content(tmp_path)
    (content / "pages" / "broken.md").write_text("---\ntitle: x\n\nSome text.\n", encoding="utf-8")
    build = run("build", "--out", "site", cwd=tmp_path)
    assert build.returncode == 0, build.stderr
    assert build.stderr.splitlines() == [
        "content/pages/broken.md:1: front matter opened by '---' is never closed by a '---' line; page skipped"
    ]
    assert not (tmp_path / "site" / "broken").exists()


def test_site_yaml_messages_give_the_line_and_the_nearest_key(tmp_path):
    content = _content(tmp_path)
    (content / "site.yaml").write_text(
        "# a comment\ntitel: My digest\nfeedsize: 10\nwhatever: 1\n", encoding="utf-8"
    )
    check = run("check", cwd=tmp_path)
    lines = check.stderr.splitlines()
    assert lines[0] == "content/site.yaml:2: unknown setting 'titel' ignored; did you mean 'title'?"
    assert lines[1] == "content/site.yaml:3: unknown setting 'feedsize' ignored; did you mean 'feed_size'?"
    assert lines[2].startswith(
        "content/site.yaml:4: unknown setting 'whatever' ignored (known settings: title,"
    )
    (content / "site.yaml").write_text("title: T\n\nfeed_size: -1\n", encoding="utf-8")
    check = run("check", cwd=tmp_path)
    assert check.returncode == 1
    assert "  content/site.yaml:3: feed_size: expected a whole number from 1 to 10000" in check.stderr
