"""Command line: ``sitegen build``, ``sitegen check``, ``sitegen serve``."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from . import __version__
from .build import build
from .cache import DEFAULT as DEFAULT_CACHE
from .cache import BuildCache
from .check import check
from .errors import Diagnostics, SitegenError
from .writer import check_output_folder


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sitegen", description="Build a static paper digest from Hugging Face Daily Papers dumps."
    )
    parser.add_argument("--version", action="version", version=f"sitegen {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    # Options several commands share, declared once.
    content = argparse.ArgumentParser(add_help=False)
    content.add_argument(
        "--content", type=Path, default=Path("content"), help="content folder (default: content/)"
    )
    templates = argparse.ArgumentParser(add_help=False)
    templates.add_argument(
        "--templates",
        type=Path,
        default=Path("templates"),
        help="templates that override the built-in ones of the same name (default: templates/)",
    )

    build = commands.add_parser(
        "build",
        parents=[content, templates],
        help="build the site",
        description="Build the site from the content folder.",
    )
    build.add_argument("--out", type=Path, default=Path("_site"), help="output folder (default: _site/)")
    build.add_argument("--base-url", help="absolute URL the site is published at (overrides site.yaml)")
    build.add_argument("--strict", action="store_true", help="fail when there is any warning")
    build.add_argument(
        "--jobs",
        type=_positive,
        default=None,
        metavar="N",
        help="processes that render pages of a large site (default: one per core)",
    )
    build.add_argument(
        "--cache",
        type=Path,
        default=DEFAULT_CACHE,
        metavar="DIR",
        help="keep what later builds can reuse here: parsed dumps, term counts, the themes to carry "
        "forward (default: .sitegen-cache/)",
    )
    build.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the cache (a build from scratch)"
    )
    build.add_argument(
        "--reset-themes",
        action="store_true",
        help="choose the themes afresh, ignoring the carried ones and content/themes.json",
    )
    build.set_defaults(func=_build)

    check = commands.add_parser(
        "check",
        parents=[content],
        help="read every dump and the config; report problems and a summary; write nothing",
        description="Read every dump, page and site.yaml as the build does, print every problem as "
        "path:line: message and a summary (papers, duplicates merged, editions with their dates and "
        "how each year was decided). Writes nothing. Exit 1 on errors (or on warnings with --strict).",
    )
    check.add_argument("--strict", action="store_true", help="fail when there is any warning")
    check.set_defaults(func=_check)

    serve = commands.add_parser(
        "serve",
        parents=[content, templates],
        help="build, serve on 127.0.0.1, rebuild on change and reload open pages",
        description="Build the site, serve it on 127.0.0.1, rebuild when the content or templates "
        "change and reload the open pages. A failed rebuild is reported and the last good site stays.",
    )
    serve.add_argument(
        "--out", type=Path, default=None, help="output folder (default: a temporary folder, removed on exit)"
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)"
    )
    serve.add_argument(
        "--port", type=int, default=8000, help="port to listen on; 0 picks a free one (default: 8000)"
    )
    serve.set_defaults(func=_serve)
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, not {text!r}")
    return value


def _build(args: argparse.Namespace) -> int:
    if not args.content.is_dir():
        raise SitegenError(f"{args.content}: no such content folder")
    check_output_folder(args.out, protect=[args.content, args.templates])  # before the work, not after
    start = time.perf_counter()
    if args.no_cache:
        return _build_with(args, None, start)
    with BuildCache(args.cache, echo=True) as cache:
        return _build_with(args, cache, start)


def _build_with(args: argparse.Namespace, cache: BuildCache | None, start: float) -> int:
    diags = Diagnostics(echo=True)

    def publishable(_result: object) -> bool:
        return not diags.errors and not (args.strict and len(diags))

    result = build(
        args.content,
        args.out,
        templates=args.templates,
        base_url=args.base_url,
        diags=diags,
        jobs=args.jobs,
        cache=cache,
        reset_themes=args.reset_themes,
        accept=publishable,
    )
    if not result.written:
        if diags.errors:
            print(f"Error: {_count(len(diags.errors), 'error')}; nothing written", file=sys.stderr)
        else:
            print(f"Error: {len(diags)} warning(s) with --strict; nothing written", file=sys.stderr)
        return 1
    print(result.summary(args.out, time.perf_counter() - start))
    return 0


def _check(args: argparse.Namespace) -> int:
    if not args.content.is_dir():
        raise SitegenError(f"{args.content}: no such content folder")
    diags = Diagnostics(echo=True)
    report = check(args.content, diags)
    print("\n".join(report.lines()))
    if diags.errors:
        return 1
    if args.strict and len(diags):
        print(f"Error: {len(diags)} warning(s) with --strict", file=sys.stderr)
        return 1
    return 0


def _serve(args: argparse.Namespace) -> int:
    from .serve import DevServer  # only this command needs the server and the file watcher

    server = DevServer(args.content, templates=args.templates, out=args.out, host=args.host, port=args.port)
    return server.run()


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


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


def run() -> None:
    """The ``sitegen`` command: ``main``, then exit without freeing what the build made.

    A large build leaves millions of objects (pages, the search index's arrays and lists) that
    the interpreter would free one by one on exit, for nothing: at 20,000 papers that took 0.35 s
    after the site was written. Every file is closed and every worker joined by then (the build
    leaves its ``with`` blocks), and the output is flushed here; as mypy does (``hard_exit``).
    """
    code = main()
    exit_now(code)


def exit_now(code: int) -> None:
    """Flush stdout and stderr, then end the process with ``code`` without the interpreter's
    clean-up (``os._exit``)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (``sitegen build | head``): nothing to say
            code = code or 1
    os._exit(code)


if __name__ == "__main__":
    run()
