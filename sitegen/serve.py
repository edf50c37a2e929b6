"""``sitegen serve``: build, serve the site on 127.0.0.1, rebuild on change, reload open pages.

A preview server, not a production one. Three rules shape it:

* It never serves a file from outside the output folder. The request path is percent-decoded
  once, refused if any segment is ``.`` or ``..`` (so ``%2e%2e`` and ``..%2f`` are caught too) or
  holds a backslash or NUL, and the file it names must resolve (symlinks followed) inside the
  output folder. MkDocs' dev server had exactly this hole (CVE-2021-40978).
* A failed rebuild prints its error and leaves the last good site in place (``build`` writes
  only after rendering succeeded, and the writer swaps folders atomically).
* Pages reload themselves after a rebuild: every HTML response gets one external
  ``<script src="/__sitegen/reload.js">`` (the site's CSP allows only same-origin scripts and
  connections) that polls ``/__sitegen/version``. The files on disk are not changed.
"""

from __future__ import annotations

import http.server
import ipaddress
import mimetypes
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .build import build
from .cache import BuildCache
from .errors import Diagnostics, SitegenError

VERSION_PATH = "/__sitegen/version"
RELOAD_PATH = "/__sitegen/reload.js"

# Served at RELOAD_PATH. The version it starts from is the one the page was served with (the
# data-version attribute), so a rebuild that finishes between serving the page and the first
# poll still reloads it.
RELOAD_JS = b"""// Injected by `sitegen serve` only: reload this page when the site was rebuilt.
(function () {
  "use strict";
  var script = document.currentScript;
  var seen = script ? script.getAttribute("data-version") : null;
  function poll() {
    fetch("/__sitegen/version", { cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (version) {
        if (version !== null && seen !== null && version !== seen) {
          window.location.reload();
          return;
        }
        if (version !== null) { seen = version; }
        window.setTimeout(poll, 500);
      })
      .catch(function () { window.setTimeout(poll, 1000); });  // server restarting: keep trying
  }
  poll();
})();
"""

_HEAD_END = re.compile(rb"</head\s*>", re.IGNORECASE)


class Refused(Exception):
    """A request path that must not be served; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def _target_path(target: str) -> str:
    """The path of a request target, undecoded: origin form ``/a/b?q`` or absolute form
    ``http://host/a/b``. (``urlsplit`` alone would read ``//etc/x`` as host ``etc``.)"""
    if target.startswith("/"):
        return target.split("?", 1)[0].split("#", 1)[0]
    parts = urlsplit(target)
    return parts.path if parts.scheme in ("http", "https") else ""


def resolve_request(root: Path, target: str) -> Path:
    """The file of ``root`` that the request target names, or ``Refused``.

    ``root`` must be resolved already. Directories map to their ``index.html``; a directory asked
    for without its trailing slash raises ``Refused(301)`` (the caller redirects)."""
    path = _target_path(target)
    if not path.startswith("/"):
        raise Refused(400, "not a path")
    decoded = unquote(path, errors="strict") if "%" in path else path
    if "\\" in decoded or "\0" in decoded:
        raise Refused(400, "backslash or NUL in the path")
    segments = decoded.split("/")
    if any(segment in (".", "..") for segment in segments):
        raise Refused(403, "'.' or '..' in the path")
    # Empty segments ("//etc") are dropped, so no segment can make the path absolute.
    candidate = root.joinpath(*(s for s in segments if s))
    resolved = candidate.resolve()
    if not resolved.is_relative_to(root):
        raise Refused(403, "outside the site")
    if resolved.is_dir():
        if not decoded.endswith("/"):
            # One leading slash: "//name" in a Location header would send the browser to a host.
            raise Refused(301, "/" + path.lstrip("/") + "/")
        resolved = resolved / "index.html"
    if not resolved.is_file():
        raise Refused(404, "not found")
    return resolved


_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
_WILDCARDS = ("0.0.0.0", "::", "")


def allowed_hosts(bound: str) -> frozenset[str] | None:
    """The host names a preview bound to ``bound`` answers to; None for any IP address or this
    machine's name (bound to every interface)."""
    bound = bound.strip("[]").lower()
    if bound in _WILDCARDS:
        return None
    if bound in _LOOPBACK_NAMES or bound.startswith("127."):
        return _LOOPBACK_NAMES | {bound}
    return frozenset({bound})


def host_allowed(header: str | None, allowed: frozenset[str] | None) -> bool:
    """Whether a request's ``Host`` header names this server. A page of another site whose name
    was made to resolve to 127.0.0.1 (DNS rebinding) sends its own name, and is refused."""
    if header is None:
        return True  # HTTP/1.0 without Host: not a browser, so not a rebinding page
    try:
        name = urlsplit("//" + header.strip()).hostname
    except ValueError:
        return False
    if not name:
        return False
    name = name.rstrip(".")
    if allowed is not None:
        return name in allowed
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return name in _LOOPBACK_NAMES or name in {socket.gethostname().lower(), socket.getfqdn().lower()}


def inject_reload(html: bytes, version: int) -> bytes:
    """``html`` with the reload script added at the end of its head (or at the end)."""
    tag = f'<script src="{RELOAD_PATH}" data-version="{version}" defer></script>\n'.encode()
    match = _HEAD_END.search(html)
    if match is None:
        return html + tag
    return html[: match.start()] + tag + html[match.start() :]


def poll_changes(paths: list[Path], stop: threading.Event, interval: float = 0.5) -> Iterator[set[Path]]:
    """Every ``interval`` seconds until ``stop``, yield the files under ``paths`` that changed
    (an empty set when none did). The fallback where ``watchfiles`` is not installed: it compares
    (mtime, size) snapshots."""

    def snapshot() -> dict[Path, tuple[int, int]]:
        state: dict[Path, tuple[int, int]] = {}
        for top in paths:
            for path in top.rglob("*"):
                try:
                    st = path.stat()
                except OSError:
                    continue  # removed while walking
                state[path] = (st.st_mtime_ns, st.st_size)
        return state

    before = snapshot()
    while not stop.wait(interval):
        after = snapshot()
        yield {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
        before = after


def watch_changes(paths: list[Path], stop: threading.Event) -> Iterator[set[object]]:
    """Yield sets of changes under ``paths`` until ``stop``; an empty set now and then when nothing
    changed, so the first yield tells the caller that the watch is on (no change can be missed
    from then)."""
    try:
        import watchfiles
    except ImportError:
        return poll_changes(paths, stop, interval=0.3)
    # A short step: one save is one rebuild, and the page reloads soon after.
    return watchfiles.watch(
        *paths, stop_event=stop, step=100, rust_timeout=300, yield_on_timeout=True, raise_interrupt=False
    )


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    dev: DevServer


class _IPv6HTTPServer(_HTTPServer):
    address_family = socket.AF_INET6


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _HTTPServer
    server_version = "sitegen-serve"

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self._respond(body=True)

    def do_HEAD(self) -> None:  # noqa: N802 - the stdlib's name
        self._respond(body=False)

    def _respond(self, body: bool) -> None:
        dev = self.server.dev
        if not host_allowed(self.headers.get("Host"), dev.allowed_hosts):
            message = f"421 Misdirected Request: this preview answers only to {dev.url}\n"
            return self._send(421, "text/plain; charset=utf-8", message.encode(), body)
        target = _target_path(self.path)
        if target == VERSION_PATH:
            return self._send(200, "text/plain; charset=utf-8", str(dev.version).encode(), body)
        if target == RELOAD_PATH:
            return self._send(200, "text/javascript; charset=utf-8", RELOAD_JS, body)
        try:
            path = resolve_request(dev.root, self.path)
            data = path.read_bytes()
        except Refused as refused:
            if refused.status == 301:
                self.send_response(301)
                self.send_header("Location", str(refused))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if refused.status == 404:
                return self._not_found(body)
            return self._send(refused.status, "text/plain; charset=utf-8", f"{refused}\n".encode(), body)
        except (OSError, UnicodeError):
            return self._not_found(body)  # swapped away by a rebuild, or undecodable: as if absent
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if kind == "text/html":
            data = inject_reload(data, dev.version)
        if kind.startswith("text/") or kind in (
            "application/json",
            "application/xml",
            "application/javascript",
        ):
            kind += "; charset=utf-8"
        self._send(200, kind, data, body)

    def _not_found(self, body: bool) -> None:
        page = self.server.dev.root / "404.html"
        try:
            data = inject_reload(page.read_bytes(), self.server.dev.version)
        except OSError:
            data = b"not found\n"
        self._send(404, "text/html; charset=utf-8", data, body)

    def _send(self, status: int, kind: str, data: bytes, body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")  # a preview is always the latest build
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass  # one line per request would drown the build messages


class DevServer:
    """Builds ``content`` into ``out`` and serves it; rebuilds when content or templates change.

    Use as a context manager (or ``start()`` / ``stop()``); ``run()`` is the command line's loop.
    ``out=None`` builds into a temporary folder that ``stop()`` removes."""

    def __init__(
        self,
        content: Path,
        *,
        templates: Path | None = None,
        out: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 8000,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.content = content
        self.templates = templates
        self.host = host
        self.port = port
        self.log = log or (lambda message: print(message, file=sys.stderr, flush=True))
        self.version = 0
        """Number of successful builds; pages reload when it changes."""
        self.failures = 0
        """Number of failed rebuilds (the last good site stayed)."""
        self._out = out
        self._own_out = out is None
        self._stop = threading.Event()
        self._watching = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._server: _HTTPServer | None = None
        self.root = Path()
        self.url = ""
        # Rebuilds reuse what the previous ones computed (parsed dumps, term counts) and carry
        # the themes from one to the next; the cache is the preview's own, removed on exit.
        self._cache_dir: Path | None = None
        self.allowed_hosts = allowed_hosts(host)
        """Host names the server answers to (None: any IP address or this machine's name)."""

    def __enter__(self) -> DevServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _check_folders(self) -> Path:
        if not self.content.is_dir():
            raise SitegenError(f"{self.content}: no such content folder")
        out = (self._out or Path(tempfile.mkdtemp(prefix="sitegen-serve-")) / "_site").resolve()
        for watched in self.watched:
            if out == watched.resolve() or out.is_relative_to(watched.resolve()):
                raise SitegenError(f"--out {out} is inside {watched}: every build would trigger another")
        return out

    @property
    def watched(self) -> list[Path]:
        """The folders whose changes trigger a rebuild."""
        return [p for p in (self.content, self.templates) if p is not None and p.is_dir()]

    def start(self) -> str:
        """Bind, build once, and start serving and watching. Returns the site's URL.

        Raises ``SitegenError`` when the first build fails (there is nothing to serve)."""
        out = self._check_folders()
        self.root = out
        server_class = _IPv6HTTPServer if ":" in self.host else _HTTPServer
        try:
            self._server = server_class((self.host, self.port), _Handler)
        except OSError as exc:
            self.stop()
            raise SitegenError(f"cannot serve on {self.host}:{self.port}: {exc.strerror or exc}") from None
        self._server.dev = self
        port = self._server.server_address[1]
        shown = f"[{self.host}]" if ":" in self.host else self.host
        if self.host in ("0.0.0.0", "::", ""):
            shown = "localhost"
        self.url = f"http://{shown}:{port}/"
        if not self.rebuild():
            self.stop()
            raise SitegenError("the first build failed; nothing to serve")
        self._start_thread("sitegen-http", lambda: self._server.serve_forever(poll_interval=0.2))
        self._start_thread("sitegen-watch", self._watch_loop)
        # Return once the watch is on, so that a change made right after start() is seen.
        if not self._watching.wait(timeout=30):
            self.log("Warning: the file watcher did not start; changes will not be rebuilt")
        return self.url

    def _start_thread(self, name: str, target: Callable[[], object]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def rebuild(self) -> bool:
        """Build into the output folder; on failure print why and keep the last good site."""
        with self._lock:
            start = time.perf_counter()
            diags = Diagnostics(echo=True)
            try:
                # The local URL as base URL: the 404 page and canonical links work in the preview.
                # One process: this one serves and watches in threads, and a fork of a threaded
                # process may inherit a lock another thread held (a preview is a small site anyway).
                if self._cache_dir is None:
                    self._cache_dir = Path(tempfile.mkdtemp(prefix="sitegen-serve-cache-"))
                cache = BuildCache(self._cache_dir / "cache")
                with cache:
                    result = build(
                        self.content,
                        self.root,
                        templates=self.templates,
                        base_url=self.url,
                        diags=diags,
                        jobs=1,
                        cache=cache,
                    )
            except SitegenError as exc:
                self.failures += 1
                self.log(f"Error: {exc}\nThe build failed; still serving the last good site.")
                return False
            except Exception:  # noqa: BLE001 - a bug in a stage must not stop the preview
                self.failures += 1
                self.log(traceback.format_exc() + "The build failed; still serving the last good site.")
                return False
            self.version += 1
            self.log(result.summary(self.root, time.perf_counter() - start))
            return True

    def _watch_loop(self) -> None:
        try:
            for changes in watch_changes(self.watched, self._stop):
                self._watching.set()
                if self._stop.is_set():
                    break
                if changes:
                    self.rebuild()
        except Exception:  # noqa: BLE001 - e.g. out of inotify watches: keep serving, say why
            self.log(traceback.format_exc() + "The file watcher stopped; restart sitegen serve to rebuild.")
        finally:
            self._watching.set()

    def stop(self) -> None:
        """Stop serving and watching; remove the output folder if it was a temporary one."""
        self._stop.set()
        if self._server is not None:
            if any(t.name == "sitegen-http" for t in self._threads):
                self._server.shutdown()
            self._server.server_close()
            self._server = None
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads.clear()
        if self._own_out and self.root != Path():
            shutil.rmtree(self.root.parent, ignore_errors=True)
        if self._cache_dir is not None:
            shutil.rmtree(self._cache_dir, ignore_errors=True)

    def run(self) -> int:
        """The command line's loop: serve until Ctrl+C."""
        url = self.start()
        print(f"Serving on {url} (Ctrl+C to stop)", flush=True)
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            self.log(f"Warning: serving on {self.host}: other machines can reach this preview")
        if threading.current_thread() is threading.main_thread():
            # `kill` stops the preview as cleanly as Ctrl+C (the temporary folder is removed).
            signal.signal(signal.SIGTERM, lambda *_: self._stop.set())
        try:
            while not self._stop.wait(3600):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()
        print("Stopped", flush=True)
        return 0
