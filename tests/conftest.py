"""Shared fixtures: the sample content built once, a local HTTP server, Chromium."""

from __future__ import annotations

import contextlib
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from sitegen.build import build
from sitegen.errors import Diagnostics

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    """Chromium to drive: $SITEGEN_CHROMIUM, else Debian's /usr/bin/chromium, else on PATH."""
    for candidate in (os.environ.get("SITEGEN_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def content_without_edition_dates(tmp_path: Path) -> Path:
    """A copy of the sample content without the `editions:` dates of site.yaml."""
    import yaml

    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    config = yaml.safe_load((content / "site.yaml").read_text(encoding="utf-8"))
    config["editions"] = {}
    (content / "site.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return content


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory):
    """The sample content built once: (BuildResult, output folder)."""
    out = tmp_path_factory.mktemp("site") / "_site"
    result = build(CONTENT, out, diags=Diagnostics())
    return result, out


def _handler(site: Path, prefix: str):
    """Serve ``site`` under the URL path ``prefix`` (e.g. ``/`` or ``/digest/``), like a static host:
    directory URLs get index.html, everything else 404 with the site's 404.html."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(site), **kwargs)

        def translate_path(self, path: str) -> str:
            path = unquote(urlsplit(path).path)
            if not path.startswith(prefix):
                return str(site / "__outside_the_prefix__")
            return super().translate_path("/" + path[len(prefix) :])

        def send_error(self, code, message=None, explain=None):
            page = site / "404.html"
            if code == 404 and page.is_file():
                body = page.read_bytes()
                self.send_response(404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)
                return
            super().send_error(code, message, explain)

        def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
            pass

    return Handler


@contextlib.contextmanager
def serve(site: Path, prefix: str = "/") -> Iterator[str]:
    """Serve ``site`` on 127.0.0.1; yields the base URL (ending in ``prefix``)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(site, prefix))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium driven by Playwright; skipped with a reason where there is none."""
    path = chromium_path()
    if path is None:
        pytest.skip("Chromium not found (install Debian's 'chromium' or set SITEGEN_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.js_errors = errors
    yield tab
    context.close()
