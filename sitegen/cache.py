"""The build cache: what is expensive to compute and whose inputs can be fingerprinted.

``sitegen build`` keeps it in ``.sitegen-cache/`` (``--cache DIR``; ``--no-cache`` neither reads
nor writes it). An incremental build is only allowed to be faster, never different: every entry is
the output of a deterministic function of what its key fingerprints, so using it or computing it
again gives the same bytes.

**Keys.** Every key hashes the entry's kind, the cache format, the sitegen version *and* a digest of
sitegen's own code and built-in templates (``code_digest``: a code change without a version bump
still misses), and what the entry is computed from: a dump's bytes, name and the settings that
decide its dates; a paper text; a page's data, the config and the templates.

**Trust.** The cache may come from CI storage, written by another run: it is data to validate,
never code. No pickle: entries are JSON (and ``.npz`` arrays read with ``allow_pickle=False``),
each behind a header with the SHA-256 of its body, checked on every read, then checked for shape
by the code that uses it. An entry that fails any check (truncated, edited, another format) is a
miss, and the cache says so (a *cache note*, printed as ``warning: cache: ...``; not a content
warning, so ``--strict`` builds do not fail on a damaged cache). Entries are written to a
temporary file and renamed into place; one build uses a cache folder at a time (a lock beside
it), another build meanwhile builds without it.

**Size.** What a build did not use is removed when it ends (``finish``), so the folder holds the
last build's entries: a cache from another version empties itself on the next build.

**Carried state.** ``themes.json`` (the last build's themes record) is not a derived result but an
input the next build is seeded with (see ``build.gather``); it is kept across versions.
"""

from __future__ import annotations

import bisect
import hashlib
import io
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

try:
    import fcntl
except ImportError:  # not POSIX: no lock
    fcntl = None  # type: ignore[assignment]

from .errors import SitegenError
from .lunr_index import TermCounts
from .themes.carry import Vectors
from .themes.related import Neighbours
from .themes.terms import Analysis, analyze_texts

FORMAT = 1
"""Version of the cache's layout and entry formats; bump it when either changes."""
DEFAULT = Path(".sitegen-cache")
TAG = "CACHEDIR.TAG"
_TAG_TEXT = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# The build cache of sitegen (https://bford.info/cachedir/). Safe to delete.\n"
)
META = "cache.json"
STATE = "themes.json"
STATE_META = "themes.meta.json"
_MAGIC = b"sitegen-cache"


def code_digest() -> str:
    """A digest of sitegen's version, its Python code and its built-in templates."""
    from . import __version__
    from .render import builtin_templates

    digest = hashlib.sha256(f"{FORMAT}\0{__version__}\0".encode())
    here = Path(__file__).resolve().parent
    for folder in (here, builtin_templates()):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and not path.name.endswith(".pyc"):
                digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def fingerprint(*parts: Any) -> str:
    """A hex key of JSON-able ``parts`` (sorted keys, so equal data gives equal keys)."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _wrap(body: bytes) -> bytes:
    return _MAGIC + b" %d " % FORMAT + hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def _unwrap(data: bytes) -> bytes:
    """The body of an entry, or ValueError when the header or the digest does not match."""
    header, sep, body = data.partition(b"\n")
    parts = header.split(b" ")
    if not sep or len(parts) != 3 or parts[0] != _MAGIC:
        raise ValueError("not a sitegen cache entry")
    if parts[1] != b"%d" % FORMAT:
        raise ValueError(f"cache format {parts[1].decode(errors='replace')}, not {FORMAT}")
    if hashlib.sha256(body).hexdigest().encode() != parts[2]:
        raise ValueError("its checksum does not match (truncated or altered)")
    return body


class BuildCache:
    """One build's view of a cache folder. Use as a context manager: the folder is locked while in use, and what the
    build did not use is removed when it ends without error."""

    def __init__(self, folder: Path, *, echo: bool = False) -> None:
        self.folder = folder
        self.echo = echo
        self.notes: list[str] = []
        """Cache warnings of this build (damaged entries, another version, a busy cache)."""
        self.salt = ""
        self.enabled = True
        self._used: set[Path] = set()
        self.content_seed: str | None = None
        """Digest of ``content/themes.json`` as this build found it (None: absent)."""
        self.seed: bytes | None = None
        """The themes file this build started from (carried or ``content/themes.json``; None:
        chosen afresh): a build from scratch given it as ``content/themes.json`` builds the same."""
        self._lock: Any = None
        self.hits: dict[str, int] = {}
        self.misses: dict[str, int] = {}
        self._counting = threading.Lock()

    # -- lifetime --------------------------------------------------------------------------------

    def __enter__(self) -> BuildCache:
        self.open()
        return self

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        self.close(success=kind is None)

    def open(self) -> None:
        self.salt = code_digest()
        self._used = set()
        self.hits, self.misses = {}, {}
        folder = self.folder
        if folder.exists() and not folder.is_dir():
            raise SitegenError(f"--cache {folder}: exists and is not a folder")
        if folder.is_dir() and any(folder.iterdir()) and not (folder / TAG).is_file():
            raise SitegenError(
                f"--cache {folder}: exists and is not a sitegen cache (no {TAG} in it); "
                "refusing to use it: choose another folder or remove it"
            )
        folder.mkdir(parents=True, exist_ok=True)
        (folder / TAG).write_text(_TAG_TEXT, encoding="utf-8")
        if fcntl is not None:
            handle = open(folder / ".lock", "a+b")  # noqa: SIM115 - closed in close()
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                self.note(f"{folder} is in use by another build; building without the cache")
                self.enabled = False
                return
            self._lock = handle
        meta = folder / META
        if meta.is_file():
            try:
                found = json.loads(_unwrap(meta.read_bytes()))
                version = found.get("sitegen") if isinstance(found, dict) else None
            except (OSError, ValueError) as exc:
                self.note(f"{meta}: unreadable ({exc}); its entries are not used")
                version = None
            from . import __version__

            if version is not None and version != __version__:
                self.note(f"{folder} was written by sitegen {version}; its entries are not used")
        self._write(meta, json.dumps({"format": FORMAT, "sitegen": _version()}).encode())

    def close(self, success: bool = True) -> None:
        """Remove the entries this build did not use (when it succeeded), and unlock."""
        try:
            if success and self.enabled:
                self._prune()
        finally:
            if self._lock is not None:
                self._lock.close()
                self._lock = None

    def _prune(self) -> None:
        keep = {self.folder / n for n in (TAG, META, STATE, STATE_META, ".lock")}
        for path in sorted(self.folder.rglob("*"), reverse=True):
            if path in keep or path in self._used:
                continue
            if path.is_dir():
                if not any(path.iterdir()):
                    path.rmdir()
            else:
                path.unlink(missing_ok=True)

    def note(self, message: str) -> None:
        self.notes.append(message)
        if self.echo:
            import sys

            print(f"warning: cache: {message}", file=sys.stderr)

    # -- entries ---------------------------------------------------------------------------------

    def key(self, kind: str, *parts: Any) -> str:
        """The key of an entry of ``kind`` computed from ``parts`` by this version of sitegen."""
        return fingerprint(kind, self.salt, *parts)

    def _path(self, kind: str, key: str, suffix: str) -> Path:
        return self.folder / kind / key[:2] / f"{key}{suffix}"

    def _read(self, kind: str, key: str, suffix: str) -> bytes | None:
        if not self.enabled:
            return None
        path = self._path(kind, key, suffix)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self.note(f"{path}: unreadable ({exc.strerror or exc}); computed again")
            return None
        try:
            body = _unwrap(data)
        except ValueError as exc:
            self.note(f"{path}: {exc}; computed again")
            return None
        self._used.add(path)
        return body

    def _write(self, path: Path, body: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(_wrap(body))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._used.add(path)

    def keep(self, kind: str, key: str, suffix: str) -> None:
        """Keep the entry under ``key`` (if there is one) for later builds, though this build did
        not read it: what a build does not use is removed when it ends."""
        path = self._path(kind, key, suffix)
        if self.enabled and path.is_file():
            self._used.add(path)

    def _count(self, kind: str, hit: bool) -> None:
        with self._counting:  # (the build reads its site's entry in another thread)
            table = self.hits if hit else self.misses
            table[kind] = table.get(kind, 0) + 1

    def get_json(self, kind: str, key: str) -> Any | None:
        """The JSON value stored under ``key``, or None (a miss)."""
        body = self._read(kind, key, ".json")
        value = None
        if body is not None:
            try:
                value = json.loads(body)
            except ValueError as exc:
                self.note(f"{self._path(kind, key, '.json')}: not JSON ({exc}); computed again")
        self._count(kind, value is not None)
        return value

    def put_json(self, kind: str, key: str, value: Any) -> None:
        if not self.enabled:
            return
        self._write(self._path(kind, key, ".json"), json.dumps(value, separators=(",", ":")).encode())

    def reject(self, kind: str, key: str, why: str) -> None:
        """An entry that read back but is not what its user expects: say so; it is replaced."""
        self.note(f"{self._path(kind, key, '')}: {why}; computed again")

    def get_arrays(self, kind: str, key: str) -> dict[str, np.ndarray] | None:
        """Arrays stored under ``key`` (``.npz``, read without pickle), or None."""
        body = self._read(kind, key, ".npz")
        arrays = None
        if body is not None:
            try:
                with np.load(io.BytesIO(body), allow_pickle=False) as data:
                    arrays = {name: data[name] for name in data.files}
            except (OSError, ValueError, EOFError) as exc:
                self.note(f"{self._path(kind, key, '.npz')}: unreadable arrays ({exc}); computed again")
        self._count(kind, arrays is not None)
        return arrays

    def put_arrays(self, kind: str, key: str, arrays: dict[str, np.ndarray]) -> None:
        if not self.enabled:
            return
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        self._write(self._path(kind, key, ".npz"), buffer.getvalue())

    # -- carried state ---------------------------------------------------------------------------

    def read_state(self) -> tuple[Path, str | None] | None:
        """The carried themes state: the last build's ``data/themes.json``, checked against the
        digest recorded with it, and the digest of the ``content/themes.json`` that build saw
        (None: there was none). None when there is no state (or it is damaged: a note says so)."""
        if not self.enabled:
            return None
        path, meta = self.folder / STATE, self.folder / STATE_META
        if not path.is_file() and not meta.is_file():
            return None
        try:
            entry = json.loads(_unwrap(meta.read_bytes()))
            seen = entry["content_seed"]
            if not isinstance(seen, str | None) or not isinstance(entry["sha256"], str):
                raise ValueError("not a record of the carried themes")
            if hashlib.sha256(path.read_bytes()).hexdigest() != entry["sha256"]:
                raise ValueError(f"{STATE} does not match its checksum (truncated or altered)")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.note(f"{path}: the carried themes are unreadable ({exc}); not used")
            return None
        return path, seen

    def write_state(self, record: bytes, content_seed: str | None) -> None:
        """Carry ``record`` (the bytes of ``data/themes.json``) to the next build."""
        if not self.enabled:
            return
        path = self.folder / STATE
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.folder)
        with os.fdopen(fd, "wb") as handle:
            handle.write(record)
        os.replace(tmp, path)
        body = {"sha256": hashlib.sha256(record).hexdigest(), "content_seed": content_seed}
        self._write(self.folder / STATE_META, json.dumps(body, sort_keys=True).encode())

    def summary(self) -> str:
        """Hits / lookups of each kind of entry (``bench/`` and ``--verbose`` print it)."""
        kinds = sorted(set(self.hits) | set(self.misses))
        return ", ".join(
            f"{k} {self.hits.get(k, 0)}/{self.hits.get(k, 0) + self.misses.get(k, 0)}" for k in kinds
        )


def _version() -> str:
    from . import __version__

    return __version__


def remove(folder: Path) -> None:
    """Delete a cache folder (only one that is a sitegen cache)."""
    if folder.is_dir() and (folder / TAG).is_file():
        shutil.rmtree(folder)


def digest_of(data: bytes | None) -> str | None:
    return hashlib.sha256(data).hexdigest() if data is not None else None


def hashes(texts: Iterable[str]) -> list[str]:
    """Short content keys of texts (16 bytes of BLAKE2b, hex)."""
    return [hashlib.blake2b(t.encode("utf-8"), digest_size=16).hexdigest() for t in texts]


# -- entry formats ---------------------------------------------------------------------------------


def dump_to_json(dump: Any) -> dict[str, Any]:
    """A ``Dump`` as JSON (its entries as lists, in field order)."""
    return {
        "path": dump.path,
        "name": dump.name,
        "page_date": list(dump.page_date) if dump.page_date else None,
        "date": dump.date.isoformat() if dump.date else None,
        "date_source": dump.date_source,
        "entries": [
            [
                e.title,
                e.abstract,
                e.line,
                [e.organization.id, e.organization.name, e.organization.slug] if e.organization else None,
                e.authors,
                e.published.isoformat() if e.published else None,
                e.comments,
                e.arxiv_id,
            ]
            for e in dump.entries
        ],
    }


def _opt(value: Any, kind: type | tuple[type, ...]) -> Any:
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise ValueError(f"expected {kind}, got {type(value).__name__}")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    return value


def _int(value: Any) -> int:
    if type(value) is not int:
        raise ValueError(f"expected an integer, got {type(value).__name__}")
    return value


def dump_from_json(data: Any) -> Any:
    """The ``Dump`` that ``dump_to_json`` wrote; ValueError (or TypeError) if it is not one."""
    import datetime as dt

    from .models import Dump, Organization, PaperEntry

    def date(value: Any) -> dt.date | None:
        return dt.date.fromisoformat(_str(value)) if value is not None else None

    page = _opt(data["page_date"], list)
    if page is not None and (len(page) != 2 or not all(type(x) is int for x in page)):
        raise ValueError("page_date is not [month, day]")
    entries = []
    for row in data["entries"]:
        title, abstract, line, org, authors, published, comments, arxiv_id = row
        if org is not None:
            org = Organization(*(_str(x) for x in org)) if len(org) == 3 else None
            if org is None:
                raise ValueError("organization is not [id, name, slug]")
        entries.append(
            PaperEntry(
                title=_str(title),
                abstract=_str(abstract),
                line=_int(line),
                organization=org,
                authors=_opt(authors, int),
                published=date(published),
                comments=_opt(comments, int),
                arxiv_id=_opt(arxiv_id, str),
            )
        )
    return Dump(
        path=_str(data["path"]),
        name=_str(data["name"]),
        page_date=(page[0], page[1]) if page else None,
        date=date(data["date"]),
        date_source=_str(data["date_source"]),
        entries=entries,
    )


def diagnostics_from_json(rows: Any) -> list[tuple[str, int | None, str, bool]]:
    """(path, line, message, error) of every diagnostic a cached step gave, checked."""
    return [(_str(p), _opt(n, int), _str(m), e is True) for p, n, m, e in rows]


# -- term analysis ---------------------------------------------------------------------------------


def _join(names: Sequence[str]) -> np.ndarray:
    return np.frombuffer("\n".join(names).encode("utf-8"), dtype=np.uint8)


def _split(blob: np.ndarray, count: int) -> list[str]:
    names = blob.tobytes().decode("utf-8").split("\n") if count else []
    if len(names) != count:
        raise ValueError(f"{len(names)} names for {count} columns")
    return names


def _csr_arrays(prefix: str, matrix: sparse.csr_matrix, counts: bool = True) -> dict[str, np.ndarray]:
    """A matrix of counts (``counts``) or of positive floats as arrays."""
    return {
        f"{prefix}_indptr": matrix.indptr.astype(np.int64),
        f"{prefix}_indices": matrix.indices.astype(np.int32),
        f"{prefix}_data": matrix.data.astype(np.int32 if counts else np.float64),
    }


def _csr_from(
    arrays: dict[str, np.ndarray], prefix: str, shape: tuple[int, int], counts: bool = True
) -> sparse.csr_matrix:
    """``_csr_arrays``'s matrix back, checked: counts (sorted), or positive floats as stored."""
    indptr, indices, data = (arrays[f"{prefix}_{n}"] for n in ("indptr", "indices", "data"))
    if not counts and data.dtype != np.float64:
        raise ValueError(f"{prefix}: not a matrix of floats")
    rows, cols = shape
    if (
        indptr.ndim != 1
        or len(indptr) != rows + 1
        or indptr[0] != 0
        or np.any(np.diff(indptr) < 0)
        or indptr[-1] != len(indices)
        or len(data) != len(indices)
        or (len(indices) and (indices.min() < 0 or indices.max() >= cols))
        or (len(data) and data.min() <= 0)
    ):
        raise ValueError(f"{prefix}: not a {rows} x {cols} matrix of {'counts' if counts else 'weights'}")
    if not counts:
        return sparse.csr_matrix((data, indices.astype(np.int32), indptr.astype(np.int32)), shape=shape)
    matrix = sparse.csr_matrix(
        (data.astype(np.int64), indices.astype(np.int32), indptr.astype(np.int32)), shape=shape
    )
    matrix.sort_indices()
    return matrix


class _Columns:
    """Maps the columns (sorted names) of two analyses onto their sorted union of used names."""

    def __init__(self, old: list[str], old_used: np.ndarray, new: list[str]) -> None:
        used = np.zeros(len(old), dtype=bool)
        used[old_used] = True
        at = [bisect.bisect_left(old, name) for name in new]
        found = np.array(
            [p < len(old) and old[p] == name for p, name in zip(at, new, strict=True)], dtype=bool
        )
        at_array = np.array(at, dtype=np.int64)
        used[at_array[found]] = True
        inserted = at_array[~found]  # positions in ``old`` of the names it does not have, ascending
        before = np.concatenate([[0], np.cumsum(used)])  # used old names before each position
        # Old column j goes after the used old names before it and the inserted names before it.
        inserted_before = np.searchsorted(inserted, np.arange(len(old)), side="right")
        self.old = before[:-1] + inserted_before
        self.new = np.empty(len(new), dtype=np.int64)
        self.new[found] = self.old[at_array[found]]
        self.new[~found] = before[inserted] + np.arange(len(inserted))
        self.names: list[str] = [""] * (int(used.sum()) + len(inserted))
        for j in np.flatnonzero(used).tolist():
            self.names[self.old[j]] = old[j]
        for i in np.flatnonzero(~found).tolist():
            self.names[self.new[i]] = new[i]


def _stack(
    n: int,
    old_rows: np.ndarray,
    old_matrix: sparse.csr_matrix,
    old_map: np.ndarray,
    new_rows: np.ndarray,
    new_matrix: sparse.csr_matrix,
    new_map: np.ndarray,
    width: int,
) -> sparse.csr_matrix:
    """Rows ``old_rows`` from ``old_matrix`` and ``new_rows`` from ``new_matrix``, columns mapped.
    The maps keep the columns' order (both analyses' names are sorted, and so is their union), so
    each row's columns stay sorted: the rows are moved as they are, nothing is sorted again."""

    def mapped(matrix: sparse.csr_matrix, col_map: np.ndarray) -> sparse.csr_matrix:
        return sparse.csr_matrix(
            (matrix.data.astype(np.int64), col_map[matrix.indices], matrix.indptr),
            shape=(matrix.shape[0], width),
        )

    both = sparse.vstack([mapped(old_matrix, old_map), mapped(new_matrix, new_map)], format="csr")
    position = np.empty(n, dtype=np.int64)
    position[np.concatenate([old_rows, new_rows]).astype(np.int64)] = np.arange(n)
    matrix = both[position]
    matrix.sort_indices()
    return matrix


def _used_columns(matrix: sparse.csr_matrix) -> np.ndarray:
    """The columns ``matrix`` has a value in, ascending (a count, not a sort)."""
    return np.flatnonzero(np.bincount(matrix.indices, minlength=matrix.shape[1]))


def analyzer(cache: BuildCache) -> Callable[[Sequence[str]], Analysis]:
    """A term analysis (``themes.terms.reusing``) that takes the rows of texts the last build
    analyzed from the cache, analyzes the others, and stores the result for the next build.

    Exact: a row depends on its text only, the columns are the sorted union of the terms the
    texts have, and the matrices are put together as ``analyze_texts`` makes them."""

    def analyze(texts: Sequence[str]) -> Analysis:
        keys = hashes(texts)
        key = cache.key("analysis", "last")
        old = _load_analysis(cache, key)
        if old is None:
            result = analyze_texts(texts)
        else:
            old_keys, old_analysis = old
            where = {k: i for i, k in enumerate(old_keys)}
            reuse = np.array([where.get(k, -1) for k in keys], dtype=np.int64)
            kept = np.flatnonzero(reuse >= 0)
            fresh = np.flatnonzero(reuse < 0)
            new = analyze_texts([texts[i] for i in fresh.tolist()])
            old_counts = old_analysis.counts[reuse[kept]]
            old_forms = old_analysis.forms[reuse[kept]]
            terms = _Columns(old_analysis.terms, _used_columns(old_counts), new.terms)
            forms = _Columns(
                ["\t".join(f) for f in old_analysis.spellings],
                _used_columns(old_forms),
                ["\t".join(f) for f in new.spellings],
            )
            result = Analysis(
                _stack(
                    len(texts), kept, old_counts, terms.old, fresh, new.counts, terms.new, len(terms.names)
                ),
                terms.names,
                _stack(len(texts), kept, old_forms, forms.old, fresh, new.forms, forms.new, len(forms.names)),
                [tuple(f.split("\t", 1)) for f in forms.names],  # type: ignore[misc]
            )
        cache.put_arrays(
            "analysis",
            key,
            {
                "keys": np.array(keys, dtype="S32"),
                "terms": _join(result.terms),
                "spellings": _join(["\t".join(f) for f in result.spellings]),
                "shape": np.array([len(texts), len(result.terms), len(result.spellings)], dtype=np.int64),
                **_csr_arrays("counts", result.counts),
                **_csr_arrays("forms", result.forms),
            },
        )
        return result

    return analyze


class BasisStore:
    """Latent semantic bases (``themes.model.keeping_bases``), kept in the cache by the digest of
    the rows they were learned on: with carried themes, every build learns on the same rows. The
    key names the numeric libraries' versions too: another version may learn other bits."""

    def __init__(self, cache: BuildCache) -> None:
        self.cache = cache
        self.libraries = [_library_version(name) for name in ("scikit-learn", "scipy", "numpy")]

    def get(self, key: str) -> np.ndarray | None:
        arrays = self.cache.get_arrays("basis", self.cache.key("basis", key, self.libraries))
        basis = arrays.get("basis") if arrays is not None else None
        return basis if basis is not None and basis.ndim == 2 and basis.dtype == np.float64 else None

    def put(self, key: str, basis: np.ndarray) -> None:
        self.cache.put_arrays("basis", self.cache.key("basis", key, self.libraries), {"basis": basis})

    def keep(self, key: str) -> None:
        self.cache.keep("basis", self.cache.key("basis", key, self.libraries), ".npz")


class VectorStore:
    """The vectors of the last build's papers (``themes.carry.keeping_vectors``), one entry
    replaced by each build: a build that carries its themes takes those of the papers it had
    and computes the new ones' only. The term analysis of the last fit (``analyzer``) is kept
    meanwhile, for the build that fits the themes again."""

    def __init__(self, cache: BuildCache) -> None:
        self.cache = cache
        # (the vectors are of the numeric libraries' making, as the bases are)
        libraries = [_library_version(name) for name in ("scikit-learn", "scipy", "numpy")]
        self.key = cache.key("vectors", "last", libraries)

    def get(self) -> Vectors | None:
        arrays = self.cache.get_arrays("vectors", self.key)
        if arrays is None:
            return None
        self.cache.keep("analysis", self.cache.key("analysis", "last"), ".npz")
        try:
            n, features, dims = (int(x) for x in arrays["shape"].tolist())
            keys, fitted, idf, embedding = (
                arrays["keys"],
                arrays["fitted"],
                arrays["idf"],
                arrays["embedding"],
            )
            if (
                keys.shape != (n,)
                or keys.dtype != np.dtype("S16")
                or fitted.shape != (n,)
                or fitted.dtype != np.bool_
                or idf.shape != (features,)
                or idf.dtype != np.float64
                or embedding.shape != (n, dims)
                or embedding.dtype != np.float64
            ):
                raise ValueError("arrays of the wrong shape or type")
            tfidf = _csr_from(arrays, "tfidf", (n, features), counts=False)
            terms = _split(arrays["terms"], features)
            basis = arrays["basis"].tobytes().decode("ascii")
        except (KeyError, ValueError, TypeError, UnicodeDecodeError) as exc:
            self.cache.reject("vectors", self.key, f"not the vectors of a build ({exc})")
            return None
        return Vectors(_keys_of(keys), fitted, tfidf, terms, idf, embedding, basis)

    def put(self, vectors: Vectors) -> None:
        n, (_, features) = len(vectors.keys), vectors.tfidf.shape
        self.cache.put_arrays(
            "vectors",
            self.key,
            {
                "shape": np.array([n, features, vectors.embedding.shape[1]], dtype=np.int64),
                "keys": _key_array(vectors.keys),
                "fitted": np.asarray(vectors.fitted, dtype=bool),
                "idf": np.asarray(vectors.idf, dtype=np.float64),
                "embedding": np.asarray(vectors.embedding, dtype=np.float64),
                "terms": _join(vectors.terms),
                "basis": np.frombuffer(vectors.basis.encode("ascii"), dtype=np.uint8),
                **_csr_arrays("tfidf", vectors.tfidf, counts=False),
            },
        )


def _key_array(keys: list[bytes]) -> np.ndarray:
    """Digests of 16 bytes (``text_keys`` ...) as an array, for ``put_arrays``."""
    return np.frombuffer(b"".join(keys), dtype="S16") if keys else np.zeros(0, "S16")


def _keys_of(array: np.ndarray) -> list[bytes]:
    """``_key_array``'s digests back (an S16 array: checked by the caller), each at its full width
    (a numpy bytes value would drop trailing zero bytes)."""
    blob = array.tobytes()
    return [blob[i : i + 16] for i in range(0, len(blob), 16)]


class NeighbourStore:
    """Each paper's nearest papers (``themes.related.keeping_neighbours``), kept from one build
    to the next (one entry, replaced by each build): with carried themes, a build compares the
    papers it had with the new ones only."""

    def __init__(self, cache: BuildCache) -> None:
        self.cache = cache
        self.key = cache.key("neighbours", "last")

    def get(self) -> Neighbours | None:
        arrays = self.cache.get_arrays("neighbours", self.key)
        if arrays is None:
            return None
        try:
            n, k = (int(x) for x in arrays["shape"].tolist())
            keys = arrays["keys"]
            indices, scores, areas = arrays["indices"], arrays["scores"], arrays["areas"]
            if (
                keys.shape != (n,)
                or keys.dtype != np.dtype("S16")
                or indices.shape != (n, k)
                or scores.shape != (n, k)
                or areas.shape != (n,)
                or indices.dtype.kind != "i"
                or scores.dtype != np.float64
                or areas.dtype.kind != "i"
                or (n and k and (indices.min() < -1 or indices.max() >= n))
            ):
                raise ValueError("arrays of the wrong shape or type")
            rows = arrays["rows"].tobytes().decode("ascii")
        except (KeyError, ValueError, TypeError, UnicodeDecodeError) as exc:
            self.cache.reject("neighbours", self.key, f"not the related papers of a build ({exc})")
            return None
        return Neighbours(
            _keys_of(keys),
            areas.astype(int),
            indices.astype(int),
            scores,
            rows,
            k,
        )

    def put(self, neighbours: Neighbours) -> None:
        n, k = len(neighbours.keys), neighbours.k
        self.cache.put_arrays(
            "neighbours",
            self.key,
            {
                "shape": np.array([n, k], dtype=np.int64),
                "keys": _key_array(neighbours.keys),
                "indices": neighbours.indices.astype(np.int64),
                "scores": neighbours.scores.astype(np.float64),
                "areas": neighbours.areas.astype(np.int64),
                "rows": np.frombuffer(neighbours.rows.encode("ascii"), dtype=np.uint8),
            },
        )


class CountStore:
    """The term counts of the last build's search index (``search.keeping_counts``), one entry
    replaced by each build. Read and written by the process that builds the index (a worker of
    a large build): the build keeps the entry afterwards (``keep_counts``)."""

    def __init__(self, cache: BuildCache) -> None:
        self.cache = cache
        # (the tokens are cut and the stop words dropped by lunr.py's code)
        self.key = cache.key("counts", "last", _library_version("lunr"))

    def get(self) -> tuple[list[bytes], TermCounts] | None:
        arrays = self.cache.get_arrays("counts", self.key)
        if arrays is None:
            return None
        try:
            n, n_terms, n_tokens, n_fields = (int(x) for x in arrays["shape"].tolist())
            digests, token_docs = arrays["digests"], arrays["token_docs"]
            if (
                digests.shape != (n,)
                or digests.dtype != np.dtype("S16")
                or token_docs.shape != (n_tokens,)
                or token_docs.dtype.kind != "i"
                or (
                    n_tokens
                    and (token_docs.min() < 0 or token_docs.max() >= n or np.any(np.diff(token_docs) < 0))
                )
            ):
                raise ValueError("arrays of the wrong shape or type")
            tf = _csr_from(arrays, "tf", (n * n_fields, n_terms))
            counts = TermCounts(
                _split(arrays["fields"], n_fields),
                _split(arrays["refs"], n),
                _split(arrays["terms"], n_terms),
                sparse.csr_matrix((tf.data.astype(np.float64), tf.indices, tf.indptr), shape=tf.shape),
                _split(arrays["tokens"], n_tokens),
                token_docs.astype(np.int64),
            )
        except (KeyError, ValueError, TypeError, UnicodeDecodeError) as exc:
            self.cache.reject("counts", self.key, f"not the term counts of a search index ({exc})")
            return None
        return _keys_of(digests), counts

    def put(self, digests: list[bytes], counts: TermCounts) -> None:
        n = len(digests)
        if n != len(counts.refs) or any(
            "\n" in text for text in (*counts.terms, *counts.tokens, *counts.refs)
        ):
            return  # (not kept: a name with a line break cannot be stored one per line)
        tf = counts.tf
        self.cache.put_arrays(
            "counts",
            self.key,
            {
                "shape": np.array(
                    [n, len(counts.terms), len(counts.tokens), len(counts.fields)], dtype=np.int64
                ),
                "digests": _key_array(digests),
                "fields": _join(counts.fields),
                "refs": _join(counts.refs),
                "terms": _join(counts.terms),
                "tokens": _join(counts.tokens),
                "token_docs": np.asarray(counts.token_docs, dtype=np.int64),
                **_csr_arrays(
                    "tf", sparse.csr_matrix((np.rint(tf.data), tf.indices, tf.indptr), shape=tf.shape)
                ),
            },
        )

    def keep(self) -> None:
        """Keep the entry a worker wrote (its use of the cache is not this process's)."""
        self.cache.keep("counts", self.key, ".npz")


def _library_version(name: str) -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def _load_analysis(cache: BuildCache, key: str) -> tuple[list[str], Analysis] | None:
    arrays = cache.get_arrays("analysis", key)
    if arrays is None:
        return None
    try:
        n, n_terms, n_forms = (int(x) for x in arrays["shape"].tolist())
        keys = [k.decode("ascii") for k in arrays["keys"].tolist()]
        if len(keys) != n:
            raise ValueError(f"{len(keys)} text keys for {n} rows")
        terms = _split(arrays["terms"], n_terms)
        spellings = [tuple(f.split("\t", 1)) for f in _split(arrays["spellings"], n_forms)]
        if any(len(f) != 2 for f in spellings):
            raise ValueError("a spelling is not (word, spelling)")
        analysis = Analysis(
            _csr_from(arrays, "counts", (n, n_terms)),
            terms,
            _csr_from(arrays, "forms", (n, n_forms)),
            spellings,  # type: ignore[arg-type]
        )
    except (KeyError, ValueError, TypeError, UnicodeDecodeError) as exc:
        cache.reject("analysis", key, f"not a term analysis ({exc})")
        return None
    return keys, analysis
