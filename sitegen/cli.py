"""Command line: ``sitegen build``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import __version__
from .build import build
from .errors import Diagnostics, SitegenError
from .writer import write_site


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sitegen", description="Build a static paper digest from Hugging Face Daily Papers dumps."
    )
    parser.add_argument("--version", action="version", version=f"sitegen {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    build = commands.add_parser("build", help="build the site", description="Build the site from the content folder.")
    build.add_argument("--content", type=Path, default=Path("content"), help="content folder (default: content/)")
    build.add_argument(
        "--templates",
        type=Path,
        default=Path("templates"),
        help="templates that override the built-in ones of the same name (default: templates/)",
    )
    build.add_argument("--out", type=Path, default=Path("_site"), help="output folder (default: _site/)")
    build.add_argument("--base-url", help="absolute URL the site is published at (overrides site.yaml)")
    build.add_argument("--strict", action="store_true", help="fail when there is any warning")
    build.set_defaults(func=_build)
    return parser


def _build(args: argparse.Namespace) -> int:
    if not args.content.is_dir():
        raise SitegenError(f"{args.content}: no such content folder")
    start = time.perf_counter()
    diags = Diagnostics(echo=True)
    result = build(args.content, None, templates=args.templates, base_url=args.base_url, diags=diags)
    if args.strict and len(diags):
        print(f"Error: {len(diags)} warning(s) with --strict; nothing written", file=sys.stderr)
        return 1
    write_site(result.files, args.out)
    print(result.summary(args.out, time.perf_counter() - start))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.func(args)
    except SitegenError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
