"""``sitegen serve``: answers on 127.0.0.1, rebuilds on change, reloads pages, never leaves the site.

Every server here listens on a free port of 127.0.0.1 and is stopped by a ``with`` block, also when
an assertion fails. Waits are bounded polls, never fixed sleeps.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from sitegen.errors import SitegenError
from sitegen.serve import RELOAD_PATH, DevServer, poll_changes
from sitegen.text import paper_slug, title_key

ABSTRACT = "We propose a method that works well on many benchmarks and we release the code for it."
SECRET = "TOP-SECRET-NOT-PART-OF-THE-SITE"
WAIT = 30.0  # seconds: generous for a loaded 2-core machine; a pass takes a second or two


def _dump(date: str, *titles: str) -> str:
    month_day = time.strftime("%b %d", time.strptime(date, "%Y-%m-%d"))
    return month_day + "\n\n" + "".join(f"{t}\n\n{ABSTRACT}\n\n" for t in titles)


def _content(root: Path) -> Path:
    content = root / "content"
    (content / "dumps").mkdir(parents=True)
    (content / "dumps" / "2025-03-11.txt").write_text(
        _dump("2025-03-11", "First Paper", "Second Paper"), "utf-8"
    )
    (content / "site.yaml").write_text("title: Preview\ndefault_year: 2025\n", encoding="utf-8")
    return content


def _until(predicate: Callable[[], object], what: str, timeout: float = WAIT) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def _raw(port: int, target: str) -> tuple[int, bytes]:
    """One request with the target sent byte for byte (urllib and http.client would normalize it)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.fixture
def server(tmp_path):
    """A DevServer on a free port of 127.0.0.1 over a two-paper site; its output is tmp_path/site."""
    content = _content(tmp_path)
    logs: list[str] = []
    with DevServer(content, out=tmp_path / "site", port=0, log=logs.append) as dev:
        dev.logs = logs
        yield dev


def test_answers_on_loopback_with_the_reload_script(server):
    assert server._server.server_address[0] == "127.0.0.1"
    assert server.url.startswith("http://127.0.0.1:")
    status, body = _get(server.url)
    assert status == 200
    html = body.decode("utf-8")
    assert "First Paper" in html
    assert f'<script src="{RELOAD_PATH}" data-version="1" defer></script>\n</head>' in html
    # Only the response carries it: the built files are what `sitegen build` would write.
    assert RELOAD_PATH not in (server.root / "index.html").read_text(encoding="utf-8")
    status, script = _get(server.url + RELOAD_PATH.lstrip("/"))
    assert status == 200 and b"/__sitegen/version" in script
    assert _get(server.url + "__sitegen/version") == (200, b"1")
    assert _get(server.url + "data/papers.json")[0] == 200
    status, body = _get(server.url + "no/such/page/")
    assert status == 404 and body == server.root.joinpath("404.html").read_bytes().replace(
        b"</head>", f'<script src="{RELOAD_PATH}" data-version="1" defer></script>\n</head>'.encode(), 1
    )


def test_directory_without_slash_redirects(server):
    slug = paper_slug(title_key("First Paper"), "First Paper")
    request = f"/papers/{slug}"
    with socket.create_connection(("127.0.0.1", server._server.server_address[1]), timeout=10) as sock:
        sock.sendall(f"GET {request} HTTP/1.0\r\n\r\n".encode())
        head = sock.recv(65536).split(b"\r\n\r\n")[0].decode()
    assert head.startswith("HTTP/1.0 301")
    assert f"Location: {request}/" in head


def test_redirect_never_points_at_another_host(server):
    """The absolute form can carry "//papers" as its path: the redirect must stay on this server."""
    port = server._server.server_address[1]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET http://127.0.0.1//papers HTTP/1.0\r\n\r\n")
        head = sock.recv(65536).split(b"\r\n\r\n")[0].decode()
    assert head.startswith("HTTP/1.0 301")
    assert "Location: /papers/\r\n" in head + "\r\n"


def test_port_in_use_is_an_error_and_leaves_nothing(server, tmp_path):
    port = server._server.server_address[1]
    other = DevServer(server.content, port=port, log=lambda _: None)
    with pytest.raises(SitegenError, match=f"cannot serve on 127.0.0.1:{port}: "):
        other.start()
    assert not other.root.parent.exists()  # its temporary output folder is gone


TRAVERSALS = [
    ("/../secret.txt", 403),
    ("/%2e%2e/secret.txt", 403),
    ("/%2E%2E%2Fsecret.txt", 403),
    ("/static/..%2f..%2fsecret.txt", 403),
    ("/static/%2e%2e/%2e%2e/secret.txt", 403),
    ("/./../secret.txt", 403),
    ("http://127.0.0.1/../secret.txt", 403),
    ("/..%5csecret.txt", 400),
    ("/%00/secret.txt", 400),
    ("/%252e%252e/secret.txt", 404),  # double-encoded: a literal '%2e%2e' folder, which is not there
    ("//secret.txt", 404),  # empty segments do not make the path absolute
    (f"/{'%2e%2e/' * 12}etc/passwd", 403),
    ("/escape/secret.txt", 403),  # a symlink in the site pointing outside it
    ("/leak.txt", 403),
]


@pytest.mark.parametrize(("target", "status"), TRAVERSALS)
def test_never_serves_outside_the_site(server, tmp_path, target, status):
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    os.symlink(tmp_path, server.root / "escape")
    os.symlink(tmp_path / "secret.txt", server.root / "leak.txt")
    got, body = _raw(server._server.server_address[1], target)
    assert got == status, body[:200]
    assert SECRET.encode() not in body
    assert b"root:" not in body


def test_symlink_inside_the_site_is_served(server):
    os.symlink(server.root / "data" / "papers.json", server.root / "alias.json")
    got, body = _raw(server._server.server_address[1], "/alias.json")
    assert got == 200 and json.loads(body)[0]["title"] in ("First Paper", "Second Paper")


def test_rebuilds_when_a_dump_is_added(server):
    title = "A Freshly Added Paper"
    page = f"{server.url}papers/{paper_slug(title_key(title), title)}/"
    assert _get(page)[0] == 404
    dump = server.content / "dumps" / "2025-03-12.txt"
    dump.write_text(_dump("2025-03-12", title, "First Paper"), encoding="utf-8")
    status, body = _until(lambda: (r := _get(page))[0] == 200 and r, "the new paper's page")
    assert title in body.decode("utf-8")
    # The new site is swapped in just before the version is bumped: wait for the bump too.
    _until(lambda: int(_get(server.url + "__sitegen/version")[1]) >= 2, "the version bump")
    index = _get(server.url)[1].decode("utf-8")
    assert title in index  # the new dump is the latest edition now
    papers = json.loads(_get(server.url + "data/papers.json")[1])
    assert sorted(p["title"] for p in papers) == ["A Freshly Added Paper", "First Paper", "Second Paper"]


def test_failed_rebuild_keeps_the_last_good_site(server):
    before = _get(server.url)
    version = server.version
    site_yaml = server.content / "site.yaml"
    good = site_yaml.read_text(encoding="utf-8")
    site_yaml.write_text("title: [unclosed\n", encoding="utf-8")
    _until(lambda: server.failures >= 1, "the failed rebuild")
    assert server.version == version
    assert _get(server.url) == before
    assert any("invalid YAML" in line and "still serving the last good site" in line for line in server.logs)
    site_yaml.write_text(good.replace("Preview", "Preview Again"), encoding="utf-8")
    _until(lambda: server.version > version, "the rebuild after the fix")
    assert b"Preview Again" in _get(server.url)[1]


def test_template_change_rebuilds(tmp_path):
    content = _content(tmp_path)
    templates = tmp_path / "templates"
    templates.mkdir()
    with DevServer(content, templates=templates, out=tmp_path / "site", port=0, log=lambda _: None) as dev:
        (templates / "paper.html").write_text(
            '{% extends "default/paper.html" %}{% block description %}OVERRIDDEN{% endblock %}',
            encoding="utf-8",
        )
        slug = paper_slug(title_key("First Paper"), "First Paper")
        _until(lambda: b"OVERRIDDEN" in _get(f"{dev.url}papers/{slug}/")[1], "the overridden template")


def test_first_build_failure_is_an_error(tmp_path):
    content = _content(tmp_path)
    (content / "site.yaml").write_text("feed_size: -1\n", encoding="utf-8")
    dev = DevServer(content, port=0, log=lambda _: None)
    with pytest.raises(SitegenError, match="the first build failed; nothing to serve"):
        dev.start()
    assert dev._server is None  # the port is released


def test_output_inside_the_watched_content_is_refused(tmp_path):
    content = _content(tmp_path)
    with pytest.raises(SitegenError, match="inside .*content: every build would trigger another"):
        DevServer(content, out=content / "_site", port=0).start()


def test_polling_fallback_sees_a_new_file(tmp_path):
    """Where watchfiles is missing, a polling loop watches instead."""
    stop = threading.Event()
    changes = poll_changes([tmp_path], stop, interval=0.05)
    guard = threading.Timer(WAIT, stop.set)  # a missed change ends the loop instead of hanging
    guard.start()
    try:
        assert next(changes) == set()  # nothing changed yet; the snapshot is taken
        (tmp_path / "new.txt").write_text("x", encoding="utf-8")
        assert next(c for c in changes if c) == {tmp_path / "new.txt"}
        (tmp_path / "new.txt").unlink()
        assert next(c for c in changes if c) == {tmp_path / "new.txt"}
    finally:
        stop.set()
        guard.cancel()
    assert list(changes) == []  # stopped: the generator ends


def test_cli_serves_until_interrupted(tmp_path):
    content = _content(tmp_path)
    err_path = tmp_path / "stderr.txt"
    with err_path.open("w", encoding="utf-8") as err_file:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sitegen",
                "serve",
                "--content",
                str(content),
                "--templates",
                str(tmp_path / "t"),
                "--port",
                "0",
            ],
            stdout=subprocess.PIPE,
            stderr=err_file,
            text=True,
        )
        lines: list[str] = []
        # A thread reads stdout, so a server that never prints fails the wait instead of hanging it.
        reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
        reader.start()
        try:
            _until(lambda: lines or proc.poll() is not None, "the 'Serving on' line")
            assert lines and lines[0].startswith("Serving on http://127.0.0.1:"), err_path.read_text()
            url = lines[0].split()[2]
            assert b"First Paper" in _get(url)[1]
            out_dir = Path(_until(lambda: _serve_folder(err_path), "the build summary"))
            assert out_dir.is_dir()
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=WAIT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            reader.join(timeout=WAIT)
            proc.stdout.close()
    assert proc.returncode == 0, err_path.read_text()
    assert lines[1:] == ["Stopped\n"]
    assert not out_dir.exists()  # the temporary output folder is removed on exit


def _serve_folder(err_path: Path) -> str | None:
    """The output folder named by the build summary (``... -> /tmp/sitegen-serve-x/_site``)."""
    for line in err_path.read_text(encoding="utf-8").splitlines():
        if "2 distinct papers" in line and " -> " in line:
            return line.rsplit(" -> ", 1)[1]
    return None


@pytest.mark.browser
def test_open_page_reloads_after_a_rebuild(server, page):
    """In Chromium: the injected script passes the site's CSP and reloads the page after a rebuild."""
    violations: list[str] = []
    page.on(
        "console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None
    )
    page.goto(server.url)
    assert "A Paper Added While Open" not in page.content()
    page.wait_for_function(
        "() => performance.getEntriesByType('resource').some(e => e.name.includes('/__sitegen/version'))"
    )
    with page.expect_navigation(timeout=WAIT * 1000):
        (server.content / "dumps" / "2025-03-12.txt").write_text(
            _dump("2025-03-12", "A Paper Added While Open"), encoding="utf-8"
        )
    page.wait_for_load_state()
    assert "A Paper Added While Open" in page.content()
    assert violations == []
    assert page.js_errors == []
