"""Hostile inputs (issue #17): small files that must not stall, leak, merge or crash a build.

Each test crafts its input the way the adversarial review did; the whole corpus builds in seconds.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import random
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import feedparser
import pytest
import yaml
from linkcheck import broken_links

from sitegen import text as text_module
from sitegen.build import build
from sitegen.cache import BuildCache
from sitegen.errors import Diagnostics, SitegenError
from sitegen.group import group_by_organization
from sitegen.models import Organization, Paper
from sitegen.pages import read_pages
from sitegen.reader import MAX_WORD, parse_dump, read_dump
from sitegen.safe import load_yaml
from sitegen.serve import DevServer, allowed_hosts, host_allowed
from sitegen.text import paper_slug, permalink_key, split_links, title_key
from sitegen.writer import MARKER, output_lock, write_site

HEADER = "Daily Papers\n\nDec 24\n\n"
ABSTRACT = "We study a careful method and show that it works well on every benchmark we tried. " * 2


def _dump(*papers: str) -> str:
    return HEADER + "\n\n".join(papers) + "\n"


def _paper(title: str, abstract: str | None = None, meta: str = "• 3 authors\n\n·\n\nDec 20") -> str:
    # Abstracts differ from paper to paper, as real ones do (identical ones give the themes stage
    # nothing to factorize).
    abstract = abstract if abstract is not None else f"{ABSTRACT} It is about {title}."
    return f"{title}\n\n{abstract.strip()}\n\n{meta}"


def _content(tmp_path: Path, dumps: dict[str, str], pages: dict[str, str] | None = None) -> Path:
    content = tmp_path / "content"
    (content / "dumps").mkdir(parents=True)
    (content / "site.yaml").write_text("title: Hostile\ndefault_year: 2025\n", encoding="utf-8")
    for name, text in dumps.items():
        (content / "dumps" / name).write_text(text, encoding="utf-8")
    if pages:
        (content / "pages").mkdir()
        for name, text in pages.items():
            (content / "pages" / name).write_text(text, encoding="utf-8")
    return content


def _parse(text: str, name: str = "2025-12-24.txt") -> tuple[list, list[str]]:
    diags = Diagnostics()
    dump = parse_dump(text, name, name, diags, default_year=2025)
    return dump.entries, [str(d) for d in diags]


# --- 1. every pattern that sees dump text runs in linear time ---------------------------------

#: Each crafted line made a pattern backtrack quadratically (seconds per line) before the fix.
QUADRATIC_LINES = {
    "markdown heading": "# [" + "](" * 20_000,
    "paper link": "https://huggingface.co/papers/2401.12345v" + "1" * 40_000 + " x",
    "digits": "1" * 49_999,
    "dashes": "-" * 49_999,
    "punctuation inside a word": "x" + "!" * 49_000 + "x",
    "closing brackets after a URL": "See https://example.org/a" + ")" * 40_000 + " for details.",
}


@pytest.mark.parametrize("line", QUADRATIC_LINES.values(), ids=QUADRATIC_LINES.keys())
def test_crafted_lines_are_read_in_linear_time(line):
    start = time.perf_counter()
    entries, warnings = _parse(_dump(_paper("A Title Before The Crafted Line", line), _paper("After It")))
    assert time.perf_counter() - start < 1.0
    assert "After It" in [e.title for e in entries]


def test_long_words_are_cut_with_a_warning():
    entries, warnings = _parse(_dump(_paper("Digits", "We show " + "1" * 40_000 + " digits.")))
    assert warnings == [f"2025-12-24.txt:7: a word of 40,000 characters; words cut to {MAX_WORD} characters"]
    assert entries[0].abstract == "We show " + "1" * MAX_WORD + "… digits."


def test_heading_links_read_as_before():
    entries, _ = _parse(
        _dump(
            _paper("### [Linked [v2] Title](https://huggingface.co/papers/2401.12345)"),
            _paper("## [Not a link](has space)"),
            _paper("# Plain Heading Title"),
        )
    )
    assert [(e.title, e.arxiv_id) for e in entries] == [
        ("Linked [v2] Title", "2401.12345"),
        ("[Not a link](has space)", None),
        ("Plain Heading Title", None),
    ]


def test_url_trimming_is_linear_and_unchanged():
    start = time.perf_counter()
    parts = split_links("see https://x.org/a" + ")" * 200_000)
    assert time.perf_counter() - start < 0.5
    assert parts[1] == ("https://x.org/a", "https://x.org/a")
    assert (
        split_links("(https://en.wikipedia.org/wiki/A_(b)).")[1][0] == "https://en.wikipedia.org/wiki/A_(b)"
    )


def test_unclosed_front_matter_of_blank_lines_is_linear(tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "about.md").write_text("---" + "\n" * 40_000 + "x", encoding="utf-8")
    (folder / "spaces.md").write_text("---" + " \n" * 40_000 + "x", encoding="utf-8")
    start = time.perf_counter()
    diags = Diagnostics()
    pages = read_pages(folder, diags)
    assert time.perf_counter() - start < 1.0
    # Front matter that is never closed is reported and the page skipped (#16), each at once.
    assert pages == []
    assert sorted(Path(d.path).name for d in diags) == ["about.md", "spaces.md"]


def test_hostile_corpus_builds_in_seconds(tmp_path):
    """Every crafted line in one dump (about 300 KB): the whole build stays fast."""
    papers = [_paper(f"Crafted Paper {i}", line) for i, line in enumerate(QUADRATIC_LINES.values())]
    papers.append(_paper("Crafted Title " + "-" * 49_000))
    content = _content(tmp_path, {"2025-12-24.txt": _dump(*papers, _paper("The Last Paper"))})
    start = time.perf_counter()
    result = build(content, tmp_path / "out", diags=Diagnostics())
    assert time.perf_counter() - start < 15.0
    titles = {p.title for p in result.site.papers}
    assert {f"Crafted Paper {i}" for i in range(len(QUADRATIC_LINES))} | {"The Last Paper"} <= titles
    assert result.site.editions[0].date == dt.date(2025, 12, 24)


# --- 2. YAML alias bombs -----------------------------------------------------------------------

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"


def test_alias_bomb_in_front_matter_is_refused_with_its_line(tmp_path):
    """About 400 bytes that expand to 9**9 strings: refused, the page kept without front matter."""
    bomb = (HOSTILE / "alias-bomb.md").read_text(encoding="utf-8")
    content = _content(tmp_path, {"2025-12-24.txt": _dump(_paper("A Paper"))}, {"bomb.md": bomb})
    diags = Diagnostics()
    result = build(content, tmp_path / "out", diags=diags)
    messages = [str(d) for d in diags if "bomb.md" in d.path]
    assert len(messages) == 1
    assert messages[0].startswith(f"{content / 'pages' / 'bomb.md'}:4: invalid front matter: aliases")
    assert [p.slug for p in result.site.pages] == ["bomb"]
    assert "The page body." in (tmp_path / "out" / "bomb" / "index.html").read_text(encoding="utf-8")


def test_alias_bomb_in_site_yaml_is_an_error_with_its_line(tmp_path):
    content = _content(tmp_path, {"2025-12-24.txt": _dump(_paper("A Paper"))})
    bomb = (HOSTILE / "alias-bomb.md").read_text(encoding="utf-8").split("---")[1].lstrip("\n")
    (content / "site.yaml").write_text(bomb.replace("title: Bomb\n", ""), encoding="utf-8")
    with pytest.raises(SitegenError) as caught:
        build(content, None, diags=Diagnostics())
    assert str(caught.value).startswith(f"{content / 'site.yaml'}:2: invalid YAML: aliases (*name)")


@pytest.mark.parametrize("text", ["a: [" * 20_000, "x: " + "- " * 20_000 + "1"])
def test_deeply_nested_yaml_is_a_message(text):
    with pytest.raises(yaml.YAMLError):
        load_yaml(text)


def test_yaml_without_aliases_loads_as_before():
    assert load_yaml("title: T\neditions: {a.txt: 2025-01-02}\n") == {
        "title": "T",
        "editions": {"a.txt": dt.date(2025, 1, 2)},
    }


# --- 3. nothing outside content/ is read, symlinks included -----------------------------------


def _site_text(out: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in out.rglob("*") if p.is_file())


def test_symlinks_out_of_content_are_not_read(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "config").write_text(
        _dump(_paper("SECRET Dump Title", "AUTHORIZATION: basic SECRET-TOKEN " * 5)), encoding="utf-8"
    )
    (outside / "page.md").write_text("---\ntitle: SECRET page\n---\nSECRET body\n", encoding="utf-8")
    (outside / "site.yaml").write_text("title: SECRET site\n", encoding="utf-8")
    (outside / "themes.json").write_text('[{"slug": "secret", "label": "SECRET", "papers": []}]')
    content = _content(tmp_path, {"2025-12-24.txt": _dump(_paper("An Honest Paper"))}, {"a.md": "# A\n"})
    (content / "dumps" / "git.txt").symlink_to(outside / "config")
    (content / "dumps" / "passwd.txt").symlink_to("/etc/passwd")
    (content / "pages" / "leak.md").symlink_to(outside / "page.md")
    (content / "site.yaml").unlink()
    (content / "site.yaml").symlink_to(outside / "site.yaml")
    (content / "themes.json").symlink_to(outside / "themes.json")
    # A link that stays inside content/ is fine.
    (content / "drafts").mkdir()
    (content / "drafts" / "next.txt").write_text(_dump(_paper("A Linked Paper")), encoding="utf-8")
    (content / "dumps" / "2025-12-25.txt").symlink_to(content / "drafts" / "next.txt")
    diags = Diagnostics()
    result = build(content, tmp_path / "out", diags=diags)
    refused = sorted(Path(d.path).name for d in diags if d.message.startswith("a link to outside"))
    assert refused == ["git.txt", "leak.md", "passwd.txt", "site.yaml", "themes.json"]
    assert sorted(p.title for p in result.site.papers) == ["A Linked Paper", "An Honest Paper"]
    assert len(result.site.editions) == 2
    text = _site_text(tmp_path / "out")
    assert "SECRET" not in text and "root:x:0:0" not in text


def test_a_dumps_folder_linked_out_of_content_is_not_read(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "2025-12-24.txt").write_text(_dump(_paper("SECRET Elsewhere")), encoding="utf-8")
    content = tmp_path / "content"
    content.mkdir()
    (content / "dumps").symlink_to(outside)
    diags = Diagnostics()
    result = build(content, None, diags=diags)
    assert result.site.papers == []
    assert any(d.message == "a link to outside the content folder; not read" for d in diags)


# --- 4. concurrent builds into one --out --------------------------------------------------------


def test_concurrent_writes_into_one_folder_take_turns(tmp_path):
    out = tmp_path / "_site"
    sites = [{f"papers/p{i}/index.html": f"site {n}".encode() for i in range(300)} for n in range(4)]
    for site in sites:
        site["index.html"] = b"home"
    errors: list[BaseException] = []

    def write(files):
        try:
            write_site(files, out)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(site,)) for site in sites]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert written == set(sites[0]) | {MARKER}
    assert len({(out / name).read_bytes() for name in sites[0] if name.startswith("papers/")}) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["_site"]  # no lock file or temporary folder left


def test_a_second_build_waits_a_bounded_time_then_says_why(tmp_path):
    out = tmp_path / "_site"
    write_site({"index.html": b"first"}, out)
    with output_lock(out):
        start = time.perf_counter()
        with pytest.raises(SitegenError, match="another sitegen build is writing there"):
            write_site({"index.html": b"second"}, out, wait=0.3)
        assert 0.3 <= time.perf_counter() - start < 2
    write_site({"index.html": b"third"}, out, wait=0.3)
    assert (out / "index.html").read_bytes() == b"third"


def test_only_temporary_folders_of_dead_builds_are_removed(tmp_path):
    out = tmp_path / "_site"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = tmp_path / f"._site.tmp-{sleeper.pid}-abc"
        dead = tmp_path / "._site.tmp-999999999-abc"
        legacy = tmp_path / "._site.tmp-k3j_x9q"
        for folder in (live, dead, legacy):
            folder.mkdir()
        write_site({"index.html": b"site"}, out)
        assert live.is_dir() and not dead.exists() and not legacy.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


# --- 11. sitegen serve answers only to the host it bound (DNS rebinding) ----------------------


def _get_with_host(port: int, host: str | None) -> int:
    header = f"Host: {host}\r\n" if host is not None else ""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET / HTTP/1.1\r\n{header}Connection: close\r\n\r\n".encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return int(data.split()[1])


def test_serve_refuses_other_host_names(tmp_path):
    content = _content(tmp_path, {"2025-12-24.txt": _dump(_paper("A Paper"))})
    with DevServer(content, out=tmp_path / "site", port=0, log=lambda message: None) as server:
        port = int(server.url.rsplit(":", 1)[1].strip("/"))
        statuses = {
            host: _get_with_host(port, host)
            for host in (
                f"127.0.0.1:{port}",
                f"localhost:{port}",
                f"[::1]:{port}",
                "127.0.0.1",
                None,
                f"evil.example:{port}",
                f"127.0.0.1.evil.example:{port}",
                "localhost.evil.example",
                "",
                f"user@evil.example:{port}",
            )
        }
    assert statuses == {
        f"127.0.0.1:{port}": 200,
        f"localhost:{port}": 200,
        f"[::1]:{port}": 200,
        "127.0.0.1": 200,
        None: 200,
        f"evil.example:{port}": 421,
        f"127.0.0.1.evil.example:{port}": 421,
        "localhost.evil.example": 421,
        "": 421,
        f"user@evil.example:{port}": 421,
    }


def test_a_server_bound_to_every_interface_answers_to_addresses_and_its_own_name():
    allowed = allowed_hosts("0.0.0.0")
    assert host_allowed("192.168.1.20:8000", allowed)
    assert host_allowed(f"{socket.gethostname()}:8000", allowed)
    assert not host_allowed("attacker.example:8000", allowed)
    assert host_allowed("10.0.0.5", allowed_hosts("10.0.0.5"))
    assert not host_allowed("localhost", allowed_hosts("10.0.0.5"))


# --- 10. RSS titles are plain text in every feed reader -----------------------------------------

MARKUP_TITLES = [
    "Click <a href=javascript:alert(1)>here</a> Now",
    "Bold <b>Claims</b> About Models",
    "Entities &amp; &#60;b&#62; Are Text",
    "A Comment <!-- hidden --> In A Title",
    "Statistics: p<0.05 & x > 2 Still Holds",
]


def _shown_text(detail) -> str:
    """What a reader displays for a feedparser text construct: HTML is rendered, text shown as is."""
    if detail.type == "text/html":
        assert "<" not in detail.value, detail.value  # no element, so nothing for a reader to run
        return html.unescape(detail.value)
    assert detail.type == "text/plain"
    return detail.value


def test_rss_titles_with_markup_read_back_as_their_text(tmp_path):
    content = _content(tmp_path, {"2025-12-24.txt": _dump(*(_paper(t) for t in MARKUP_TITLES))})
    (content / "site.yaml").write_text("title: 'Q&amp;A <b>digest</b>'\ndefault_year: 2025\n")
    out = tmp_path / "out"
    result = build(content, out, diags=Diagnostics())
    assert sorted(p.title for p in result.site.papers) == sorted(MARKUP_TITLES)
    for name in ("feed.xml", "atom.xml"):
        feed = feedparser.parse((out / name).read_bytes())
        assert not feed.bozo
        assert _shown_text(feed.feed.title_detail) == "Q&amp;A <b>digest</b>"
        assert sorted(_shown_text(e.title_detail) for e in feed.entries) == sorted(MARKUP_TITLES), name
    editions = feedparser.parse((out / "editions/feed.xml").read_bytes())
    assert _shown_text(editions.entries[0].title_detail) == "Edition of Dec 24, 2025: 5 papers"


# --- 7. one stray byte garbles only its own line -------------------------------------------------

UTF8_DUMP = _dump(
    _paper("Résumé Parsing With Transformers", meta="sensenova SenseNova\n\n·\n\nDec 20 3"),
    _paper("A Second Paper", meta="Qwen Qwen\n\n·\n\nDec 21"),
)


def _read(raw: bytes, tmp_path: Path) -> tuple[list, list[str]]:
    path = tmp_path / "2025-12-24.txt"
    path.write_bytes(raw)
    diags = Diagnostics()
    dump = read_dump(path, diags, display="d.txt", default_year=2025)
    return (dump.entries if dump else []), [str(d) for d in diags]


def test_a_stray_latin1_byte_is_repaired_on_its_line_only(tmp_path):
    raw = UTF8_DUMP.encode("utf-8").replace(b"A Second", b"A Caf\xe9 Second", 1)
    entries, warnings = _read(raw, tmp_path)
    assert warnings == ["d.txt:15: not valid UTF-8; the bad bytes read as Windows-1252 (Latin-1)"]
    assert [e.title for e in entries] == ["Résumé Parsing With Transformers", "A Café Second Paper"]
    assert [e.organization.name for e in entries] == ["SenseNova", "Qwen"]
    assert [e.published for e in entries] == [dt.date(2025, 12, 20), dt.date(2025, 12, 21)]
    assert entries[0].comments == 3


def test_a_mostly_latin1_file_is_still_read_as_windows_1252(tmp_path):
    entries, warnings = _read(UTF8_DUMP.replace("·", "-").encode("cp1252"), tmp_path)
    assert warnings[0] == "d.txt: not valid UTF-8; read as Windows-1252 (Latin-1)"
    assert entries[0].title == "Résumé Parsing With Transformers"


def test_a_utf16_file_with_one_bad_code_unit_keeps_its_good_lines(tmp_path):
    raw = ("\ufeff" + UTF8_DUMP).encode("utf-16-le")
    at = raw.index("A Second".encode("utf-16-le"))
    raw = raw[:at] + b"\x00\xd8" + raw[at:]  # a lone high surrogate before "A Second Paper"
    entries, warnings = _read(raw, tmp_path)
    assert "d.txt:15: not valid UTF-16; line skipped" in warnings
    assert [e.title for e in entries][0] == "Résumé Parsing With Transformers"
    assert entries[0].organization.name == "SenseNova"
    assert entries[0].published == dt.date(2025, 12, 20)


# --- 5. distinct organizations never share a page ------------------------------------------------

LOOKALIKE_ORGS = ["foo_bar", "foo-bar", "Foo.Bar", "FOO-BAR"]


def test_lookalike_hub_ids_get_one_page_each(tmp_path):
    papers = [
        _paper(f"Paper Number {i}", f"{ABSTRACT} It is about {topic}.", meta=f"{hub} Name {i}\n\n·\n\nDec 20")
        for i, (hub, topic) in enumerate(
            zip(LOOKALIKE_ORGS, ["vision", "speech", "robots", "proteins"], strict=True)
        )
    ]
    content = _content(tmp_path, {"2025-12-24.txt": _dump(*papers)})
    out = tmp_path / "out"
    result = build(content, out, diags=Diagnostics())
    groups = {g.organization.id: g for g in result.site.organizations}
    assert sorted(groups) == sorted(LOOKALIKE_ORGS)
    assert len({g.organization.slug for g in groups.values()}) == 4
    assert groups["foo-bar"].organization.slug == "foo-bar"  # an id that is a slug keeps it
    for i, hub in enumerate(LOOKALIKE_ORGS):
        page = (out / groups[hub].url / "index.html").read_text(encoding="utf-8")
        assert f"Name {i}" in page and f"Paper Number {i}" in page
        others = [f"Paper Number {j}" for j in range(4) if j != i]
        assert not any(other in page for other in others)


def test_a_new_dump_does_not_rename_another_organizations_page(tmp_path):
    first = {"2025-12-24.txt": _dump(_paper("Paper One", meta="foo-bar Foo Labs\n\n·\n\nDec 20"))}
    content = _content(tmp_path, first)
    before = build(content, None, diags=Diagnostics()).site.organizations
    (content / "dumps" / "2025-12-25.txt").write_text(
        _dump(_paper("Paper Two", meta="Foo_Bar Impostor Inc\n\n·\n\nDec 21")), encoding="utf-8"
    )
    after = {g.organization.id: g for g in build(content, None, diags=Diagnostics()).site.organizations}
    assert (after["foo-bar"].organization.slug, after["foo-bar"].organization.name) == (
        before[0].organization.slug,
        "Foo Labs",
    )
    assert [p.title for p in after["foo-bar"].papers] == ["Paper One"]


def test_org_slug_collisions_are_resolved_whatever_the_order():
    site_papers = []
    for hub in ("a-b", "A_B"):
        paper = Paper(id=hub, key=hub, title=hub, abstract="")
        paper.organization = Organization(id=hub, name=hub, slug="same")  # as if two hashes agreed
        site_papers.append(paper)
    slugs = {g.organization.id: g.organization.slug for g in group_by_organization(site_papers)}
    reverse = {g.organization.id: g.organization.slug for g in group_by_organization(site_papers[::-1])}
    assert len(set(slugs.values())) == 2 and slugs == reverse
    assert all(p.organization.slug == slugs[p.organization.id] for p in site_papers)


# --- 6. distinct titles never merge -----------------------------------------------------------------

DISTINCT_PAIRS = [
    ("C++ Is All You Need", "C# Is All You Need"),
    ("🦙 Llamas Are All You Need", "Llamas Are All You Need"),
    ("Scaling Laws in x²", "Scaling Laws in x2"),
    ("∞-Bench: Long Contexts", "Bench: Long Contexts"),
    ("100% Accurate Parsing", "100 Accurate Parsing"),
]
SAME_TITLES = [
    ("Résumé Parsing: A “Study”", "resume parsing - a study"),
    ("ﬁne-Tuning at Scale", "Fine Tuning  at Scale."),
    ("🏳️ Flags", "🏳 flags"),
]


@pytest.mark.parametrize(("a", "b"), DISTINCT_PAIRS)
def test_titles_that_differ_by_a_meaningful_symbol_are_two_papers(tmp_path, a, b):
    older = _dump(_paper(a, "The first abstract. " * 5, meta="first-org First\n\n·\n\nDec 20"))
    newer = _dump(_paper(b, "The second abstract. " * 5, meta="second-org Second\n\n·\n\nDec 21"))
    content = _content(tmp_path, {"2025-12-23.txt": older, "2025-12-24.txt": newer})
    result = build(content, tmp_path / "out", diags=Diagnostics())
    papers = {p.title: p for p in result.site.papers}
    assert sorted(papers) == sorted([a, b])
    assert papers[a].abstract.startswith("The first") and papers[a].organization.id == "first-org"
    assert papers[b].abstract.startswith("The second") and papers[b].organization.id == "second-org"
    assert papers[a].id != papers[b].id
    for paper in papers.values():
        assert paper.title in (tmp_path / "out" / paper.url / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(("a", "b"), SAME_TITLES)
def test_noise_still_merges_across_dumps(a, b):
    assert title_key(a) == title_key(b)


def test_the_ascii_fast_paths_give_what_the_general_code_gives():
    # title_key, clean_line and the control check skip their general code for plain ASCII.
    rng = random.Random(7)
    alphabet = [chr(i) for i in range(128)]
    for n in range(20_000):
        pool = alphabet if n % 2 else "aZ09 -+#.,:C%&@*$<>^|~`'()  "
        t = "".join(rng.choice(pool) for _ in range(rng.randint(0, 24)))
        assert text_module.title_key(t) == text_module._title_key(t), repr(t)
        assert text_module.has_controls(t) == (text_module._CONTROL.sub("", t) != t), repr(t)
        assert (
            text_module.clean_line(t) == text_module._SPACES.sub(" ", text_module._CONTROL.sub("", t)).strip()
        )


def test_two_titles_of_one_dump_are_never_merged_silently(tmp_path):
    text = _dump(_paper("Resume Parsing: A Study"), _paper("Résumé Parsing - a Study"), _paper("Other"))
    diags = Diagnostics()
    content = _content(tmp_path, {"2025-12-24.txt": text})
    result = build(content, None, diags=diags)
    assert sorted(p.title for p in result.site.papers) == ["Other", "Résumé Parsing - a Study"]
    assert [str(d) for d in diags if "differs from" in d.message] == [
        f"{content / 'dumps' / '2025-12-24.txt'}:15: paper 'Résumé Parsing - a Study' differs from "
        "'Resume Parsing: A Study' (line 5) only in case, accents, spacing or punctuation: read as the "
        "same paper, its values win"
    ]


# --- 8. a permalink, once given, does not move ------------------------------------------------------


def _colliding_titles() -> tuple[str, str]:
    """Two titles with the same slug words and the same six-hex permalink hash (a birthday search
    over suffixes that slugify drops but the permalink key keeps: a few thousand tries)."""
    seen: dict[str, str] = {}
    for n in range(1, 200_000):
        title = "Attention Is Everything " + "".join(chr(0x4E00 + int(d)) for d in str(n))
        slug = paper_slug(permalink_key(title), title)
        if slug in seen:
            return seen[slug], title
        seen[slug] = title
    raise AssertionError("no collision found")


def test_a_colliding_title_never_takes_over_a_permalink(tmp_path):
    first, second = _colliding_titles()
    assert paper_slug(permalink_key(first), first) == paper_slug(permalink_key(second), second)
    content = _content(tmp_path, {"2025-12-24.txt": _dump(_paper(first))})
    before = build(content, tmp_path / "out", diags=Diagnostics()).site.papers[0]
    short = before.id
    assert short == paper_slug(permalink_key(first), first)
    (content / "dumps" / "2025-12-25.txt").write_text(_dump(_paper(second)), encoding="utf-8")
    for _ in range(2):  # and again: the same content gives the same ids
        papers = {p.title: p for p in build(content, tmp_path / "out", diags=Diagnostics()).site.papers}
        assert papers[first].id == short
        assert papers[second].id.startswith("attention-is-everything-") and len(papers[second].id) == 24 + 16
    feed = feedparser.parse((tmp_path / "out" / "feed.xml").read_bytes())
    assert {e.title: e.id for e in feed.entries}[first] == f"http://localhost:8000/papers/{short}/"


def test_an_older_dump_added_later_never_takes_over_a_permalink(tmp_path):
    """The takeover of #17: a dump of an *earlier* day, added after the fact, whose title was
    crafted to share a paper's permalink. The paper seen first is then the crafted one; the
    permalink stays with the paper that had it, as the previous build's themes record says."""
    first, second = _colliding_titles()
    content = _content(tmp_path, {"2025-12-24.txt": _dump(_paper(first))})
    out = tmp_path / "out"
    with BuildCache(tmp_path / "cache") as cache:
        short = build(content, out, diags=Diagnostics(), cache=cache).site.papers[0].id
    assert short == paper_slug(permalink_key(first), first)
    (content / "dumps" / "2025-12-20.txt").write_text(_dump(_paper(second)), encoding="utf-8")
    long_id = paper_slug(title_key(second), second, hash_length=16)

    def ids(**options) -> dict[str, str]:
        result = build(content, out, diags=Diagnostics(), **options)
        return {p.title: p.id for p in result.site.papers}

    # Carried by the build cache, with the themes kept or chosen afresh.
    for reset in (False, True, False):
        with BuildCache(tmp_path / "cache") as cache:
            assert ids(cache=cache, reset_themes=reset) == {first: short, second: long_id}
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    assert {e.title: e.id for e in feed.entries}[first] == f"http://localhost:8000/papers/{short}/"
    assert (out / "papers" / short / "index.html").read_text(encoding="utf-8").count(html.escape(first)) >= 1
    # Carried by content/themes.json (a copy of the site's data/themes.json), with no cache.
    (content / "themes.json").write_bytes((out / "data" / "themes.json").read_bytes())
    assert ids() == {first: short, second: long_id}
    # With nothing carried, the rule is the content's alone: the paper seen first keeps it.
    (content / "themes.json").unlink()
    assert ids() == {
        second: paper_slug(permalink_key(second), second),
        first: paper_slug(title_key(first), first, 16),
    }


def test_a_paper_keeps_its_long_permalink_when_the_short_one_comes_free(tmp_path):
    first, second = _colliding_titles()
    content = _content(
        tmp_path,
        {"2025-12-20.txt": _dump(_paper(first)), "2025-12-24.txt": _dump(_paper(second))},
    )
    out = tmp_path / "out"
    before = {p.title: p.id for p in build(content, out, diags=Diagnostics()).site.papers}
    assert before[second] == paper_slug(title_key(second), second, hash_length=16)
    (content / "themes.json").write_bytes((out / "data" / "themes.json").read_bytes())
    (content / "dumps" / "2025-12-20.txt").unlink()  # the paper that had the short one is gone
    after = {p.title: p.id for p in build(content, out, diags=Diagnostics()).site.papers}
    assert after == {second: before[second]}


def test_stored_permalink_owners_are_checked(tmp_path):
    content = _content(tmp_path, {"2025-12-24.txt": _dump(_paper("A Paper"), _paper("Another Paper"))})
    out = tmp_path / "out"
    build(content, out, diags=Diagnostics())
    record = json.loads((out / "data" / "themes.json").read_text(encoding="utf-8"))
    assert all(len(t["owners"]) == len(t["papers"]) for t in record)
    record[0]["owners"] = ["not hex"] * len(record[0]["papers"])
    (content / "themes.json").write_text(json.dumps(record), encoding="utf-8")
    diags = Diagnostics()
    result = build(content, out, diags=diags)
    assert len(result.site.papers) == 2
    assert [d.message for d in diags if "themes" in d.message and "afresh" in d.message]


def test_a_title_with_no_ascii_word_gets_a_slug_in_its_own_script(tmp_path):
    titles = ["大规模语言模型的推理", "Обучение с подкреплением", "…"]
    content = _content(tmp_path, {"2025-12-24.txt": _dump(*(_paper(t) for t in titles))})
    out = tmp_path / "out"
    result = build(content, out, diags=Diagnostics())
    ids = {p.title: p.id for p in result.site.papers}
    assert ids["大规模语言模型的推理"].startswith("大规模语言模型的推理-")
    assert ids["Обучение с подкреплением"].startswith("обучение-с-подкреплением-")
    assert ids["…"].startswith("paper-")
    assert all(len(i.rsplit("-", 1)[1]) == 16 for i in ids.values())
    for paper in result.site.papers:
        assert (out / paper.url / "index.html").is_file()
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    assert "%E5%A4%A7" in sitemap and "大" not in sitemap  # URLs in the sitemap are percent-encoded
    assert not feedparser.parse((out / "feed.xml").read_bytes()).bozo
    assert broken_links(out) == []


# --- 9. every name the build makes is bounded -------------------------------------------------------


def test_every_file_name_is_bounded(tmp_path):
    long_word = "Supercalifragilistic" * 15
    papers = [
        _paper("Long " * 60 + "Title"),
        _paper(long_word),
        _paper("語" * 300),
        _paper("A Paper Of A Long Org", meta=f"{'A' * 96} Long Org\n\n·\n\nDec 20"),
    ]
    content = _content(
        tmp_path,
        {"x" * 240 + ".txt": _dump(*papers), "2025-12-24.txt": _dump(_paper("Dated"))},
        {"page.md": f"---\nslug: {'s' * 300}\ntitle: Long\n---\nBody\n"},
    )
    out = tmp_path / "out"
    diags = Diagnostics()
    result = build(content, out, diags=diags)
    assert len(result.site.papers) == 5
    for path in out.rglob("*"):
        for part in path.relative_to(out).parts:
            assert len(part.encode("utf-8")) <= 140, part


def test_the_permalink_key_of_an_ascii_title_takes_the_short_way_to_the_same_key():
    """Permalinks must never move: the ASCII fast path of ``permalink_key`` gives exactly what the
    NFKD fold it skips gives (random printable ASCII titles, and every ASCII character alone)."""
    import random
    import re
    import string
    import unicodedata

    def folded(title: str) -> str:  # the general path, as published permalinks were made
        text = unicodedata.normalize("NFKD", title.casefold())
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
        return " ".join(re.findall(r"\w+", text)) or " ".join(text.split())

    rng = random.Random(0)
    titles = [chr(c) for c in range(128)] + [
        "".join(rng.choice(string.printable) for _ in range(rng.randint(0, 40))) for _ in range(5000)
    ]
    for title in titles:
        assert permalink_key(title) == folded(title), repr(title)
