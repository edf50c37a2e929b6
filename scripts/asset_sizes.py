"""Bytes a reader downloads: CSS and JS (raw and gzip), and the HTML pages, for the sample site.

python scripts/asset_sizes.py
"""

from __future__ import annotations

import gzip
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sitegen.build import build  # noqa: E402
from sitegen.errors import Diagnostics  # noqa: E402


def sizes(data: bytes) -> tuple[int, int]:
    return len(data), len(gzip.compress(data, compresslevel=9, mtime=0))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "site"
        build(ROOT / "content", out, diags=Diagnostics())
        print(f"{'file':42} {'raw':>9} {'gzip':>9}")
        every_page = {"static/style.css", "static/site.js", "static/search.js"}
        total_raw = total_gz = 0
        for path in sorted((out / "static").rglob("*")):
            if path.suffix in (".css", ".js"):
                name = path.relative_to(out).as_posix()
                raw, gz = sizes(path.read_bytes())
                if name in every_page:
                    total_raw, total_gz = total_raw + raw, total_gz + gz
                when = "every page" if name in every_page else "on first search"
                print(f"{name:42} {raw:9,} {gz:9,}  {when}")
        print(f"{'CSS + JS loaded by every page':42} {total_raw:9,} {total_gz:9,}")
        pages = [sizes(p.read_bytes()) for p in out.rglob("*.html")]
        print(f"{'HTML pages':42} {len(pages):9,}")
        print(
            f"{'  median page':42} {statistics.median(r for r, _ in pages):9,.0f} {statistics.median(g for _, g in pages):9,.0f}"
        )


if __name__ == "__main__":
    main()
