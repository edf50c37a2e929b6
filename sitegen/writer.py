"""Write the rendered site: into a temporary folder beside the output, then swap it in.

A failed or killed build leaves the previous site as it was; a successful one leaves nothing
stale behind (pages of removed dumps are gone).

A rebuild into a site this writer recorded (the build cache keeps the record) writes only what
changed: the files whose bytes differ from the recorded ones are written into the temporary
folder while the build renders, and once all is rendered they are moved into the site, and the
files the new build does not have are removed from it. A file of the previous site is kept only
if it is still the very file recorded (same size, mtime and inode: nobody touched it since); so
the site ends up holding exactly the new build's files, as a swap would leave it, at the cost of
the changed files only (creating thousands of folders and files costs seconds on a slow disk).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import hashlib
import itertools
import os
import queue
import re
import shutil
import stat
import tempfile
import threading
import time
import zlib
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # not POSIX: builds into one folder are not serialized there
    fcntl = None  # type: ignore[assignment]

from .errors import SitegenError

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
#: Threads that write the files of a ``SiteWriter(background=True)``. Creating a folder or a file
#: waits on the disk far more than on the CPU (on this project's 2-core VMs, 7,500 of each took
#: 10.0-11.4 s in one thread and 5.5-6.4 s in four when the disk was slow), so several threads
#: overlap their waits.
WRITE_THREADS = 4


def safe_relpath(name: str) -> PurePosixPath:
    """Refuse any output path that could leave the output folder (or that is not canonical)."""
    path = PurePosixPath(name)
    if (
        not name
        or path.is_absolute()
        or "\\" in name
        or "//" in name
        or "\0" in name
        or any(part in (".", "..") for part in name.split("/"))
    ):
        raise SitegenError(f"refusing to write outside the output folder: {name!r}")
    return path


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


#: Seconds a build waits for another build writing into the same output folder.
LOCK_WAIT = 120.0
_OWNER = re.compile(r"\.(?:tmp|old)-(\d+)(?:-|$)")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, owned by someone else
        return True
    return True


def _leftovers(out: Path) -> list[Path]:
    """Temporary folders of earlier builds that were killed before they could clean up: those
    whose owning process (its pid is in the name) is gone. A live build's folder is never one."""
    found = sorted(out.parent.glob(f".{out.name}.tmp-*")) + sorted(out.parent.glob(f".{out.name}.old-*"))
    leftovers = []
    for path in found:
        owner = _OWNER.search(path.name[len(out.name) + 1 :])
        if owner is None or int(owner.group(1)) == os.getpid() or not _alive(int(owner.group(1))):
            leftovers.append(path)
    return leftovers


@contextmanager
def output_lock(out: Path, wait: float = LOCK_WAIT) -> Iterator[None]:
    """Hold the lock of output folder ``out`` (``.<name>.lock`` beside it): one build writes
    there at a time. Waits up to ``wait`` seconds for another build, then raises ``SitegenError``."""
    lock_path = out.parent / f".{out.name}.lock"
    if fcntl is None:
        yield
        return
    deadline = time.monotonic() + wait
    while True:
        handle = open(lock_path, "a+b")  # noqa: SIM115 - closed below, after the unlock
        try:
            _acquire(handle, deadline, out, lock_path, wait)
            # The holder before us removed the file when done: a lock on that unlinked file
            # excludes nobody, so lock the file that is there now.
            if _same_file(handle, lock_path):
                break
        except BaseException:
            handle.close()
            raise
        handle.close()
    try:
        yield
    finally:
        # Removed while still held, so no lock file is left beside the site.
        lock_path.unlink(missing_ok=True)
        handle.close()


def _acquire(handle: BinaryIO, deadline: float, out: Path, lock_path: Path, wait: float) -> None:
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise SitegenError(
                    f"--out {out}: another sitegen build is writing there (it holds {lock_path}); "
                    f"gave up after {wait:g} s: try again when it is done"
                ) from None
            time.sleep(0.05)


def _same_file(handle: BinaryIO, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(handle.fileno())
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


#: Written into every built site: only a folder holding it is ever replaced by a build.
MARKER = ".sitegen"
_MARKER_TEXT = b"This folder is written by 'sitegen build' and replaced whole by every build.\n"


def check_output_folder(out: Path, protect: list[Path] | None = None) -> Path:
    """Refuse an output folder whose replacement would destroy something that is not a site:
    the file system root, the current folder or one of its parents, a folder that overlaps the
    content or templates, or an existing non-empty folder that sitegen did not write."""
    out = out.resolve()
    cwd = Path.cwd().resolve()
    if out == Path(out.anchor) or out == Path.home().resolve() or cwd.is_relative_to(out):
        raise SitegenError(
            f"--out {out}: refusing to replace this folder (it holds the current folder or more)"
        )
    for folder in protect or []:
        folder = folder.resolve()
        if out.is_relative_to(folder) or folder.is_relative_to(out):
            raise SitegenError(f"--out {out}: overlaps {folder}; choose an output folder outside it")
    if out.exists() and not out.is_dir():
        raise SitegenError(f"--out {out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise SitegenError(
            f"--out {out}: exists and was not written by sitegen (no {MARKER} file in it); "
            "refusing to replace it: remove it or choose another folder"
        )
    return out


#: What ``write_site`` records of each file it wrote: [SHA-256 of the bytes, size, mtime in ns,
#: inode]. Given back to the next build into the same folder, it tells which files are unchanged
#: without reading the previous site (reading 20k files back costs more than writing them).
Record = dict[str, list]


@dataclass(frozen=True, slots=True)
class Kept:
    """A file of the previous site that the new one keeps as it is, neither read nor written (a
    page rendered from the same data as the one there, ``reuse.py``): ``path`` is where it is,
    ``digest`` (SHA-256) and ``size`` what the writer recorded of it. Given to ``SiteWriter.add``
    in place of the bytes; ``read`` gives them, checked against the digest."""

    path: Path
    digest: str
    size: int

    def read(self) -> bytes:
        data = self.path.read_bytes()
        if len(data) != self.size or hashlib.sha256(data).hexdigest() != self.digest:
            raise SitegenError(f"{self.path}: changed since the build that kept it")
        return data


#: A file of the site: its bytes, or the previous site's file kept (``Kept``).
FileData = bytes | Kept


class SiteFiles(MutableMapping[str, bytes]):
    """The files of a build by site-relative name. A file kept from the previous site (``Kept``)
    is read from the site when asked for (and checked against its digest): its bytes are never
    held, nor sent from the worker that found it kept."""

    def __init__(self, files: Mapping[str, FileData] | None = None) -> None:
        self._files: dict[str, FileData] = dict(files) if files else {}

    def __getitem__(self, name: str) -> bytes:
        data = self._files[name]
        return data.read() if type(data) is Kept else data  # type: ignore[return-value]

    def __setitem__(self, name: str, data: FileData) -> None:  # type: ignore[override]
        self._files[name] = data

    def __delitem__(self, name: str) -> None:
        del self._files[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)

    def __contains__(self, name: object) -> bool:
        return name in self._files

    def update_from(self, files: Mapping[str, FileData]) -> None:
        """Add ``files`` as they are (kept files stay unread)."""
        self._files.update(files)

    def entries(self) -> dict[str, FileData]:
        """The files as held: bytes, or ``Kept``."""
        return self._files


def read_record(value: object) -> Record:
    """A ``Record`` as stored (JSON in the build cache); empty unless it has exactly that shape."""
    if isinstance(value, dict) and all(
        isinstance(v, list) and len(v) == 4 and isinstance(v[0], str) and all(type(x) is int for x in v[1:])
        for v in value.values()
    ):
        return value
    return {}


def write_site(
    files: dict[str, bytes],
    out: Path,
    protect: list[Path] | None = None,
    wait: float = LOCK_WAIT,
    previous: Record | None = None,
) -> Record:
    """Write ``files`` (site-relative path -> bytes) as the new content of ``out`` (see
    ``SiteWriter``, which this is with every file given at once)."""
    with SiteWriter(out, protect, wait, previous) as writer:
        writer.add(files)
        return writer.commit()


class SiteWriter:
    """The new content of ``out``, written as its files come (``add``) into a temporary folder
    beside it, then swapped in whole (``commit``). Leaving the ``with`` block without a commit
    (an error, or a build that must not be published) removes the temporary folder and leaves
    the previous site as it was.

    Builds into the same ``out`` take turns (``output_lock``, held from entering the block to
    leaving it): another build's temporary folder must not be swept away as a leftover, nor its
    half-written site swapped in.

    ``previous``: the record ``commit`` returned for the site now in ``out`` (the build cache
    keeps it; ``{}`` when there is none yet, None to record nothing). With a record, the site is
    updated in place (see the module's docstring): a file whose bytes hash as recorded, and
    whose copy in ``out`` is still the very file written then (same size, mtime and inode: nobody
    touched it since), is left where it is; the others are staged in the temporary folder and
    moved in by ``commit``, which then removes what the new site does not have. Nothing in
    ``out`` changes before ``commit``.

    ``background``: files are written by ``WRITE_THREADS`` threads, so that the caller goes on
    rendering while the kernel creates folders and files (thousands of them cost seconds). A
    folder's files all go to one thread (by a hash of the folder's name), so the writes of one
    name keep their order and no two threads create the same folder. Names are checked in
    ``add`` either way; a write that fails is raised by the next ``add`` or by ``commit``."""

    def __init__(
        self,
        out: Path,
        protect: list[Path] | None = None,
        wait: float = LOCK_WAIT,
        previous: Record | None = None,
        background: bool = False,
    ) -> None:
        self.out = check_output_folder(out, protect)
        self.protect, self.wait, self.previous = protect, wait, previous
        self.background = background
        self.record: Record = {}
        self.tmp: Path | None = None
        self.present: dict[str, tuple[int, int, int]] | None = None
        """Updating in place: the regular files of ``out`` (size, mtime, inode), else None."""
        self._others: list[str] = []
        """Updating in place: what else ``out`` holds (symlinks, special files), to remove."""
        self._empty: list[str] = []
        """Updating in place: the empty folders of ``out``, to remove."""
        self._staged: dict[str, Path] = {}
        """Updating in place: each changed file's name -> where it waits in the temporary folder
        (flat, numbered: no folders to make there and remove again)."""
        self._numbers = itertools.count()
        self._made: set[Path] = set()
        self._written: set[str] = set()
        self._lock: contextlib.AbstractContextManager | None = None
        self._queues: list[queue.SimpleQueue] = []
        self._threads: list[threading.Thread] = []
        self._error: BaseException | None = None
        self._cancelled = False
        self._mutex = threading.Lock()  # ``add`` may be called from several threads

    def __enter__(self) -> SiteWriter:
        out = self.out
        out.parent.mkdir(parents=True, exist_ok=True)
        self._lock = output_lock(out, self.wait)
        self._lock.__enter__()
        try:
            # Checked again under the lock: another build may have written the folder meanwhile.
            check_output_folder(out, self.protect)
            if not out.exists():
                # A build killed between the two renames of the fallback swap left the site here.
                olds = sorted(out.parent.glob(f".{out.name}.old-*"))
                if olds:
                    os.replace(olds[-1], out)
            for leftover in _leftovers(out):
                shutil.rmtree(leftover, ignore_errors=True)
            self.tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=out.parent))
            if self.previous and out.is_dir() and (out / MARKER).is_file():
                self.present, self._others, self._empty = _scan(out)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def add(self, files: Mapping[str, FileData]) -> None:
        """Write ``files`` (site-relative path -> bytes, or ``Kept``: the file already there) into
        the new site; a name given again replaces the file written for it."""
        checked = [(name, safe_relpath(name), files[name]) for name in sorted(files)]
        self._raise()
        with self._mutex:
            if not self.background:
                self._write(checked)
                return
            if not self._threads:
                # Started with the first files, not before: a build forks its workers before it
                # gives any, and no process should fork while another of its threads writes.
                self._queues = [queue.SimpleQueue() for _ in range(WRITE_THREADS)]
                self._threads = [
                    threading.Thread(target=self._drain, args=(q,), name=f"sitegen-writer-{i}", daemon=True)
                    for i, q in enumerate(self._queues)
                ]
                for thread in self._threads:
                    thread.start()
            shares: list[list[tuple[str, PurePosixPath, FileData]]] = [[] for _ in self._queues]
            for item in checked:
                folder = item[0].rpartition("/")[0]
                shares[zlib.crc32(folder.encode("utf-8", "surrogatepass")) % len(shares)].append(item)
            for q, share in zip(self._queues, shares, strict=True):
                if share:
                    q.put(share)

    def commit(self) -> Record:
        """Finish writing, swap the new site in, and return what was written (see ``Record``)."""
        self.add({MARKER: _MARKER_TEXT})
        self._stop()
        self._raise()
        assert self.tmp is not None
        out, tmp = self.out, self.tmp
        if self.present is not None:
            self._update(out)
            shutil.rmtree(tmp, ignore_errors=True)
            self.tmp = None
            return self.record
        os.chmod(tmp, 0o755)
        if not out.exists():
            os.replace(tmp, out)
        elif _exchange(tmp, out):
            shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the previous site
        else:
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        self.tmp = None
        return self.record

    def __exit__(self, *exc: object) -> None:
        # Not committed (an error, an interrupt, a build not accepted): what is still queued
        # is dropped, not written into a folder about to be removed.
        self._cancelled = self.tmp is not None
        try:
            self._stop()
            if self.tmp is not None:
                shutil.rmtree(self.tmp, ignore_errors=True)
                self.tmp = None
        finally:
            if self._lock is not None:
                self._lock.__exit__(None, None, None)
                self._lock = None

    # -- writing ----------------------------------------------------------------------------

    def _drain(self, batches: queue.SimpleQueue) -> None:
        while True:
            batch = batches.get()
            if batch is None:
                return
            if self._error is None and not self._cancelled:
                try:
                    self._write(batch)
                except BaseException as exc:  # raised in the caller's thread by _raise
                    self._error = exc

    def _stop(self) -> None:
        for q in self._queues:
            q.put(None)
        for thread in self._threads:
            thread.join()
        self._queues, self._threads = [], []

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _write(self, batch: list[tuple[str, PurePosixPath, FileData]]) -> None:
        assert self.tmp is not None
        previous, present = self.previous, self.present
        for name, path, data in batch:
            self._written.add(name)
            if type(data) is Kept:
                recorded = previous.get(name) if previous else None
                if (
                    present is not None
                    and name not in self._staged
                    and recorded
                    and recorded[0] == data.digest
                    and present.get(name) == tuple(recorded[1:])
                ):
                    self.record[name] = recorded  # kept: stays where it is
                    continue
                data = data.read()  # (not the file recorded after all: its bytes, written)
            digest = hashlib.sha256(data).hexdigest() if previous is not None else ""
            if present is not None:
                recorded = previous.get(name) if previous else None
                if (
                    name not in self._staged
                    and recorded
                    and recorded[0] == digest
                    and present.get(name) == tuple(recorded[1:])
                ):
                    self.record[name] = recorded  # unchanged: stays where it is
                    continue
                target = self._staged.get(name) or self.tmp / f"{next(self._numbers)}.new"
                self._staged[name] = target
            else:
                target = self.tmp.joinpath(*path.parts)
                if target.parent not in self._made:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    self._made.add(target.parent)
            target.write_bytes(data)
            if previous is not None:
                st = os.lstat(target)  # a rename keeps all three
                self.record[name] = [digest, st.st_size, st.st_mtime_ns, st.st_ino]

    def _update(self, out: Path) -> None:
        """Move the staged files into ``out``, then remove what the new site does not have."""
        assert self.present is not None
        made: set[Path] = set()
        for name, staged in sorted(self._staged.items()):
            target = out.joinpath(*PurePosixPath(name).parts)
            _make_folders(out, target.parent, made)
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)  # a folder where the new site has a file
            os.replace(staged, target)
        emptied = {PurePosixPath(folder) for folder in self._empty}
        for name in [*self.present, *self._others]:
            if name not in self._written:
                # Already gone with a folder, or a folder of the new site now stands there.
                with contextlib.suppress(FileNotFoundError, NotADirectoryError, IsADirectoryError):
                    os.unlink(out.joinpath(*PurePosixPath(name).parts))
                emptied.add(PurePosixPath(name).parent)
        # Folders left empty, deepest first (each parent after its children).
        folders = {p for f in emptied for p in [f, *f.parents] if p != PurePosixPath(".")}
        for folder in sorted(folders, key=lambda p: (-len(p.parts), str(p))):
            with contextlib.suppress(OSError):  # not empty: still holds files of the new site
                os.rmdir(out.joinpath(*folder.parts))


def _scan(out: Path) -> tuple[dict[str, tuple[int, int, int]], list[str], list[str]]:
    """The regular files under ``out`` (site-relative name -> size, mtime, inode), the names of
    everything else there but folders (symlinks, to a folder too, are never followed), and the
    empty folders."""
    files: dict[str, tuple[int, int, int]] = {}
    others: list[str] = []
    empty: list[str] = []
    stack = [""]
    while stack:
        prefix = stack.pop()
        with os.scandir(out / prefix if prefix else out) as entries:
            found = False
            for entry in entries:
                found = True
                name = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    stack.append(name + "/")
                elif entry.is_file(follow_symlinks=False):
                    st = entry.stat(follow_symlinks=False)
                    files[name] = (st.st_size, st.st_mtime_ns, st.st_ino)
                else:
                    others.append(name)
            if not found and prefix:
                empty.append(prefix.rstrip("/"))
    return files, others, empty


def _make_folders(out: Path, folder: Path, made: set[Path]) -> None:
    """Make ``folder`` (inside ``out``) a real folder: whatever is in the way of it or of one
    of its parents (a file, a symlink) is removed first, so nothing is written through a link."""
    if folder in made or folder == out:
        return
    _make_folders(out, folder.parent, made)
    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        os.mkdir(folder)
    else:
        if not stat.S_ISDIR(st.st_mode):
            os.unlink(folder)
            os.mkdir(folder)
    made.add(folder)
