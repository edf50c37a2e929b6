"""The writer as a build uses it: files written as they are rendered, swapped in at the end."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from sitegen.build import build
from sitegen.cli import main
from sitegen.errors import Diagnostics, SitegenError
from sitegen.writer import MARKER, Kept, SiteFiles, SiteWriter, write_site

CONTENT = Path(__file__).resolve().parent.parent / "content"


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MARKER
    }


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


@pytest.mark.parametrize("background", [False, True])
def test_batches_make_the_same_site_as_one_write(tmp_path, background):
    files = {"index.html": b"home", "a/index.html": b"a", "a/b/index.html": b"b", "data/x.json": b"{}"}
    whole = tmp_path / "whole"
    write_site(files, whole)
    out = tmp_path / "batches"
    with SiteWriter(out, background=background) as writer:
        writer.add({"a/b/index.html": b"b"})
        writer.add({"index.html": b"home", "data/x.json": b"{}"})
        writer.add({"a/index.html": b"a"})
        assert not out.exists()  # nothing is seen before the commit
        writer.commit()
    assert _tree(out) == _tree(whole) == files
    assert _leftovers(out) == []


def test_a_file_given_again_replaces_what_was_kept_and_the_site_changes_only_at_commit(tmp_path):
    out = tmp_path / "site"
    record = write_site({"page.html": b"old", "kept.html": b"same"}, out, previous={})
    inode = os.stat(out / "page.html").st_ino
    # In this thread, so that the previous site can be looked at between the writes.
    with SiteWriter(out, previous=record) as writer:
        writer.add({"page.html": b"old"})  # unchanged: left where it is, nothing staged
        assert writer.tmp is not None and not (writer.tmp / "page.html").exists()
        writer.add({"page.html": b"new", "kept.html": b"same", "new/index.html": b"n"})
        assert _tree(out) == {"page.html": b"old", "kept.html": b"same"}  # nothing moved yet
        writer.commit()
    assert _tree(out) == {"page.html": b"new", "kept.html": b"same", "new/index.html": b"n"}
    assert os.stat(out / "page.html").st_ino != inode
    assert _leftovers(out) == []


def test_an_update_in_place_leaves_exactly_the_new_site(tmp_path):
    """Files and folders the new site lacks are removed, a file may become a folder and back,
    and anything planted in the site (a symlink, an edited file) is replaced, never followed."""
    out = tmp_path / "site"
    first = {"a/index.html": b"a", "b": b"file b", "c/d/e.html": b"e", "same.html": b"same", "x.html": b"x"}
    record = write_site(first, out, previous={})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.html").write_bytes(b"x")
    os.unlink(out / "x.html")
    os.symlink(elsewhere / "x.html", out / "x.html")  # same bytes, but a link: replaced
    (out / "planted.txt").write_bytes(b"not ours")
    (out / "planted" / "empty").mkdir(parents=True)
    second = {"a": b"a is a file now", "b/index.html": b"b is a folder", "same.html": b"same", "x.html": b"x"}
    record = write_site(second, out, previous=record)
    assert _tree(out) == second
    assert not (out / "x.html").is_symlink() and (elsewhere / "x.html").read_bytes() == b"x"
    assert not (out / "c").exists() and not (out / "planted").exists()
    assert sorted(record) == sorted([*second, MARKER])
    # The record holds what is there now: a third build with the same files writes nothing.
    inodes = {name: os.stat(out / name).st_ino for name in second}
    write_site(second, out, previous=record)
    assert {name: os.stat(out / name).st_ino for name in second} == inodes
    assert _leftovers(out) == []


def test_a_failed_write_in_the_background_is_raised_and_the_old_site_stays(tmp_path):
    out = tmp_path / "site"
    write_site({"index.html": b"previous"}, out)
    with pytest.raises(OSError), SiteWriter(out, background=True) as writer:
        writer.add({"clash": b"a file"})
        writer.add({"clash/index.html": b"under a file"})  # its folder cannot be made
        writer.commit()
    assert _tree(out) == {"index.html": b"previous"}
    assert _leftovers(out) == []


def test_names_are_checked_when_given(tmp_path):
    out = tmp_path / "site"
    with pytest.raises(SitegenError), SiteWriter(out, background=True) as writer:
        writer.add({"../escape.html": b"x"})
    assert not (tmp_path / "escape.html").exists()
    assert not out.exists() and _leftovers(out) == []


def test_a_build_not_accepted_writes_nothing(tmp_path):
    out = tmp_path / "site"
    write_site({"index.html": b"previous"}, out)
    result = build(CONTENT, out, diags=Diagnostics(), accept=lambda r: False)
    assert not result.written
    assert result.files["index.html"]  # rendered all the same
    assert _tree(out) == {"index.html": b"previous"}
    assert _leftovers(out) == []
    accepted = build(CONTENT, out, diags=Diagnostics())
    assert accepted.written
    assert _tree(out) == accepted.files


def test_strict_cli_build_with_a_warning_leaves_the_previous_site(tmp_path, capsys):
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    (content / "dumps" / "zz_bad.txt").write_bytes(b"\x00\x01 not a dump")
    out = tmp_path / "site"
    write_site({"index.html": b"previous"}, out)
    assert main(["build", "--content", str(content), "--out", str(out), "--strict", "--no-cache"]) == 1
    assert "nothing written" in capsys.readouterr().err
    assert _tree(out) == {"index.html": b"previous"}
    assert _leftovers(out) == []


@pytest.mark.parametrize("jobs", [1, 2])
def test_offloaded_work_gives_each_file_to_the_sink_once(jobs):
    import threading

    from sitegen.build import gather
    from sitegen.output import Offloaded
    from sitegen.render import Renderer
    from sitegen.search import search_files

    config, site = gather(CONTENT, Diagnostics())
    given: list[str] = []
    lock = threading.Lock()

    def sink(files: dict[str, bytes]) -> None:
        with lock:
            given.extend(files)

    r = Renderer(config, site, [])
    with Offloaded(r, site.papers, jobs, minimum=1, search=True, sink=sink) as work:
        index = work.search_files()
        pages = work.rest()
        assert sorted(given) == sorted([*index, *pages])  # all given by the time they are returned
    assert index == search_files(site.papers)
    assert sorted(pages) == sorted(p.url + "index.html" for p in site.papers)
    assert len(given) == len(set(given))


def test_a_kept_file_reads_as_recorded_or_says_it_changed(tmp_path):
    path = tmp_path / "page.html"
    path.write_bytes(b"<p>kept</p>")
    kept = Kept(path, hashlib.sha256(b"<p>kept</p>").hexdigest(), 11)
    files = SiteFiles({"page.html": kept, "new.html": b"<p>new</p>"})
    assert dict(files) == {"page.html": b"<p>kept</p>", "new.html": b"<p>new</p>"}
    assert files.entries()["page.html"] is kept
    path.write_bytes(b"<p>KEPT</p>")
    with pytest.raises(SitegenError, match="changed since the build that kept it"):
        files["page.html"]
