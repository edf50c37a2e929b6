"""One full ``sitegen build`` in its own process, for ``bench.run``: its figures printed as JSON.

    python -m bench.child CONTENT OUT

The parent measures the process (wall time, peak memory); this reports what only the build
knows: the seconds of each stage in the order they ran, the import time, and the warnings.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m bench.child CONTENT OUT", file=sys.stderr)
        return 2
    content, out = Path(args[0]), Path(args[1])
    start = time.perf_counter()
    from sitegen.build import build
    from sitegen.errors import Diagnostics

    imported = time.perf_counter() - start
    diags = Diagnostics()
    result = build(content, out, diags=diags)
    figures = {
        "import": imported,
        "stages": list(result.stages.seconds.items()),
        "build": result.seconds,
        "papers": len(result.site.papers),
        "editions": len(result.site.editions),
        "warnings": len(diags),
        "first_warnings": [str(d) for d in list(diags)[:10]],
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    from sitegen.cli import exit_now

    exit_now(main())  # as the command ends (sitegen.cli.run)
