"""Bad input never breaks the build, never reaches the reader as code, never loses data."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CONTENT, ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reader_cases import cases

from sitegen.build import build
from sitegen.errors import Diagnostics, SitegenError
from sitegen.reader import MONTHS, decode, parse_dump, read_dump
from sitegen.text import title_key
from sitegen.writer import safe_relpath, write_site

BAD_CORPUS = [p for p in cases()]


@pytest.fixture(scope="module")
def corpus_content(tmp_path_factory) -> Path:
    """Every reader fixture as the dumps of one site, plus a 5 MB single-line dump."""
    content = tmp_path_factory.mktemp("corpus") / "content"
    (content / "dumps").mkdir(parents=True)
    for case in BAD_CORPUS:
        shutil.copy(case, content / "dumps" / case.name)
    huge = (
        "Daily Papers\n\nDec 24\n\n"
        + "A" * 5_000_000
        + "\n\nAfter The Huge Line\n\n"
        + "We show it. " * 20
        + "\n"
    )
    (content / "dumps" / "huge_line.txt").write_text(huge, encoding="utf-8")
    (content / "site.yaml").write_text("title: Corpus\ndefault_year: 2025\n", encoding="utf-8")
    return content


def _readable_titles(content: Path) -> set[str]:
    keys = set()
    for path in (content / "dumps").iterdir():
        dump = read_dump(path, Diagnostics(), default_year=2025)
        if dump:
            keys |= {title_key(e.title) for e in dump.entries if title_key(e.title)}
    return keys


def test_bad_corpus_builds_with_warnings_and_publishes_every_readable_paper(corpus_content, tmp_path):
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "sitegen", "build", "--content", str(corpus_content), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    # Every message points at a file (and a line where there is one).
    assert all(line.startswith(str(corpus_content / "dumps")) for line in lines), lines
    assert any(line.endswith("binary.txt: not a text file (binary data); skipped") for line in lines)
    assert any("huge_line.txt:5: line is 5,000,000 characters long; skipped" in line for line in lines)
    assert any("latin1.txt: not valid UTF-8; read as Windows-1252 (Latin-1)" in line for line in lines)
    papers = json.loads((out / "data/papers.json").read_text(encoding="utf-8"))
    assert {title_key(p["title"]) for p in papers} == _readable_titles(corpus_content)
    assert "after the huge line" in {title_key(p["title"]) for p in papers}
    for paper in papers:
        assert (out / paper["url"] / "index.html").is_file()


def test_bad_corpus_fails_under_strict(corpus_content, tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sitegen",
            "build",
            "--strict",
            "--content",
            str(corpus_content),
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 1
    assert "with --strict; nothing written" in result.stderr
    assert not (tmp_path / "o").exists()


# --- property-based tests of the reader -------------------------------------------------------

_WORDS = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N")), min_size=1, max_size=12)
#: A title that reads as a metadata line (an upvote count; a date such as "Dec 5", "May 12, 2023"
#: or "DEC 0", which the reader takes for a date it then warns about) is not a title in the dump
#: format, which cannot tell them apart.
_DATE_LINE = re.compile(rf"(?i)(?:{'|'.join(sorted(MONTHS))})\.?\s+\d{{1,2}}(?:[,\s]+\d+)*")
_TITLE = (
    st.lists(_WORDS, min_size=1, max_size=10)
    .map(" ".join)
    .filter(lambda t: not t.isdigit() and not _DATE_LINE.fullmatch(t))
)
_ABSTRACT = st.lists(_WORDS, min_size=20, max_size=60).map(lambda ws: " ".join(ws) + ".")
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@st.composite
def _paper(draw):
    meta = draw(st.sampled_from(["none", "authors", "org"]))
    paper = {
        "title": draw(_TITLE),
        "abstract": draw(_ABSTRACT),
        "authors": None,
        "org": None,
        "date": None,
        "comments": None,
    }
    if meta != "none":
        if meta == "authors":
            paper["authors"] = draw(st.integers(1, 500))
        else:
            hub = draw(st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,15}", fullmatch=True))
            paper["org"] = (hub, draw(st.sampled_from(["Google", "Allen Institute for AI", hub])))
        paper["date"] = (draw(st.integers(1, 12)), draw(st.integers(1, 28)), draw(st.integers(2015, 2024)))
        paper["comments"] = draw(st.integers(0, 99))
    return paper


def _render(papers: list[dict]) -> str:
    out = [
        "new",
        "Get trending papers in your email inbox!",
        "Subscribe",
        "Daily Papers",
        "byAK and the research community",
        "Dec 31",
    ]
    for p in papers:
        out += [p["title"], p["abstract"]]
        if p["authors"] is not None:
            out.append(f"  • {p['authors']} authors")
        if p["org"] is not None:
            out.append(f"{p['org'][0]} {p['org'][1]}")
        if p["date"] is not None:
            month, day, year = p["date"]
            count = f" {p['comments']}" if p["comments"] else ""
            out += ["·", f"{_MONTHS[month - 1]} {day}, {year}{count}"]
    return "\n\n".join(out) + "\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_paper(), min_size=1, max_size=8, unique_by=lambda p: title_key(p["title"])))
def test_well_formed_dumps_round_trip(papers):
    diags = Diagnostics()
    dump = parse_dump(_render(papers), "gen.txt", "gen.txt", diags, configured_date=dt.date(2025, 12, 31))
    assert [str(d) for d in diags] == []
    assert len(dump.entries) == len(papers)
    for entry, paper in zip(dump.entries, papers, strict=True):
        assert entry.title == paper["title"]
        assert entry.abstract == paper["abstract"]
        assert entry.authors == paper["authors"]
        assert (
            (entry.organization.id, entry.organization.name) == paper["org"]
            if paper["org"]
            else entry.organization is None
        )
        if paper["date"]:
            month, day, year = paper["date"]
            assert (entry.published.year, entry.published.month, entry.published.day) == (year, month, day)
            assert entry.comments == paper["comments"]
        else:
            assert entry.published is None and entry.comments is None


_SEED_TEXT = (CONTENT / "dumps" / "000_6036b0cda8a3e8e7.txt").read_text(encoding="utf-8")[:6000]


@st.composite
def _mutated(draw):
    lines = _SEED_TEXT.split("\n")
    for _ in range(draw(st.integers(1, 12))):
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "truncate"]))
        i = draw(st.integers(0, len(lines) - 1))
        if op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert":
            lines.insert(i, draw(st.text(max_size=40)))
        else:
            lines[i] = lines[i][: draw(st.integers(0, max(0, len(lines[i]) - 1)))]
    return "\n".join(lines)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_mutated(), st.text(max_size=3000)))
def test_random_and_mutated_text_never_crashes(text):
    try:
        parse_dump(text, "fuzz.txt", "fuzz.txt", Diagnostics(), default_year=2025)
    except SitegenError:
        pass


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=4000))
def test_random_bytes_never_crash_the_decoder(raw):
    try:
        text = decode(raw, "fuzz.txt", Diagnostics())
        if text is not None:
            parse_dump(text, "fuzz.txt", "fuzz.txt", Diagnostics(), default_year=2025)
    except SitegenError:
        pass


# --- atomic output ----------------------------------------------------------------------------


def test_failed_build_leaves_the_previous_site_untouched(tmp_path):
    out = tmp_path / "_site"
    build(CONTENT, out, diags=Diagnostics())
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(SitegenError):
        write_site({"index.html": b"new", "../escape.html": b"x"}, out)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["_site"]  # no temporary folder left behind


def test_stale_pages_do_not_survive_a_successful_build(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    out = tmp_path / "_site"
    first = build(content, out, diags=Diagnostics())
    only_in_004 = [
        p for p in first.site.papers if [e.dump.name for e in p.editions] == ["004_45889c18e00e42e1.txt"]
    ]
    assert only_in_004
    (content / "dumps" / "004_45889c18e00e42e1.txt").unlink()
    build(content, out, diags=Diagnostics())
    assert not (out / only_in_004[0].url).exists()
    assert not (out / "editions/2025-03-11").exists()


def test_build_killed_halfway_leaves_the_previous_site_intact(tmp_path):
    """Kill the build process at several moments while it writes; the old site is always whole."""
    out = tmp_path / "_site"
    build(CONTENT, out, diags=Diagnostics())
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    script = (
        "import sys, time; from pathlib import Path; from sitegen import writer\n"
        "orig = Path.write_bytes\n"
        "def slow(self, data):\n"
        "    time.sleep(0.002); return orig(self, data)\n"
        "Path.write_bytes = slow\n"
        "files = {f'papers/p{i}/index.html': b'new' for i in range(2000)}\n"
        "writer.write_site(files, Path(sys.argv[1]))\n"
    )
    for delay in (0.3, 1.0, 2.0):
        proc = subprocess.Popen([sys.executable, "-c", script, str(out)], cwd=ROOT)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        assert after == before, f"site changed after a kill at {delay} s"
    # The next build cleans up what the killed ones left behind.
    build(CONTENT, out, diags=Diagnostics())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site"]


# --- slugs and paths --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../x", "/etc/passwd", "a/../../b", "a//b", "a\\b", ".", ""])
def test_output_paths_cannot_leave_the_output(name):
    with pytest.raises(SitegenError):
        safe_relpath(name)


def test_hostile_titles_give_safe_unique_paths(tmp_path):
    titles = [
        "../../etc/passwd",
        "/absolute/path",
        "CON",
        "nul",
        "..",
        "....",
        "日本語のタイトル",
        "한국어 제목",
        "A Title",
        "a title!",
        "A   TITLE",
        "x" * 500,
    ]
    abstract = "We propose a method that works well on many benchmarks and we release the code for it."
    text = "Dec 24\n\n" + "".join(f"{t}\n\n{abstract}\n\n" for t in titles)
    content = tmp_path / "content"
    (content / "dumps").mkdir(parents=True)
    (content / "dumps" / "2025-12-24.txt").write_text(text, encoding="utf-8")
    (content / "site.yaml").write_text("title: T\n", encoding="utf-8")
    out = tmp_path / "out"
    result = build(content, out, diags=Diagnostics())
    ids = [p.id for p in result.site.papers]
    # "A Title", "a title!" and "A   TITLE" are one paper (same normalized title).
    assert len(ids) == len(set(ids)) == len(titles) - 2
    for paper in result.site.papers:
        target = (out / paper.url).resolve()
        assert target.is_relative_to(out.resolve()) and (target / "index.html").is_file()
        assert all(part not in ("..", ".") for part in Path(paper.url).parts)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["content", "out"]


def test_edition_slug_from_an_odd_file_name_is_safe(tmp_path):
    content = tmp_path / "content"
    (content / "dumps").mkdir(parents=True)
    abstract = "We propose a method that works well on many benchmarks and we release the code for it."
    (content / "dumps" / "..weird name &amp;.txt").write_text(
        f"Daily Papers\n\nA Title\n\n{abstract}\n", encoding="utf-8"
    )
    (content / "site.yaml").write_text("title: T\n", encoding="utf-8")
    diags = Diagnostics()
    result = build(content, tmp_path / "out", diags=diags)
    slug = result.site.editions[0].slug
    assert slug.replace("-", "").isalnum()
    assert (tmp_path / "out" / "editions" / slug / "index.html").is_file()
