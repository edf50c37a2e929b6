"""Write the rendered site: into a temporary folder beside the output, then swap it in.

A failed or killed build leaves the previous site as it was; a successful one leaves nothing
stale behind (pages of removed dumps are gone).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from .errors import SitegenError


def safe_relpath(name: str) -> PurePosixPath:
    """Refuse any output path that could leave the output folder."""
    path = PurePosixPath(name)
    if path.is_absolute() or not path.parts or any(p in ("", ".", "..") for p in path.parts) or "\\" in name:
        raise SitegenError(f"refusing to write outside the output folder: {name!r}")
    return path


def write_site(files: dict[str, bytes], out: Path) -> None:
    """Write ``files`` (site-relative path -> bytes) as the new content of ``out``."""
    out = out.resolve()
    if out.exists() and not out.is_dir():
        raise SitegenError(f"{out}: exists and is not a folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        for name in sorted(files):
            target = tmp.joinpath(*safe_relpath(name).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(files[name])
        os.chmod(tmp, 0o755)
        old = None
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.replace(out, old)
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
