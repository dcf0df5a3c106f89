"""The ``simvid`` command line: the same engine as the window, without a window.

This module builds the parser of every command and dispatches to it. The command modules
it imports here are light (the queue store, settings, the project model); ``render`` and
``demo`` load the render engine, so :mod:`.render_commands` is imported when they run.

Exit codes: 0 done, 1 the render failed, 2 invalid input (one line per problem on stderr,
each naming the file or option), 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from simvid_desktop import __version__
from simvid_desktop.cli.farm_commands import add_farm_options, add_worker_parser
from simvid_desktop.cli.project_args import add_render_options
from simvid_desktop.cli.queue_commands import add_queue_parser
from simvid_desktop.errors import InvalidInput, ProjectInvalid, SimvidError

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_INTERRUPTED = 0, 1, 2, 130

_PROGRESS_MODES = ["auto", "bar", "json", "none"]


def _report(exc: SimvidError) -> int:
    if isinstance(exc, ProjectInvalid):
        for line in exc.lines():
            print(f"simvid: {line}", file=sys.stderr)
    else:
        print(f"simvid: {exc}", file=sys.stderr)
    return EXIT_INVALID if isinstance(exc, InvalidInput) else EXIT_FAILED


def cmd_render(args: argparse.Namespace) -> int:
    # Heavy: the render engine loads numpy and Pillow (~0.2 s), for render and demo only.
    from simvid_desktop.cli import render_commands  # noqa: PLC0415

    return render_commands.render_show(args)


def cmd_demo(args: argparse.Namespace) -> int:
    # Heavy: the render engine loads numpy and Pillow (~0.2 s), for render and demo only.
    from simvid_desktop.cli import render_commands  # noqa: PLC0415

    return render_commands.render_demo(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="simvid", description="Turn photos and music into a slideshow video."
    )
    parser.add_argument("--version", action="version", version=f"simvid {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    render = sub.add_parser("render",
                            help="render a project or photos to a video (MP4, WebM, MOV, GIF)")
    add_render_options(render)
    render.add_argument("--progress", choices=_PROGRESS_MODES, default="auto",
                        help="a progress bar (default on a terminal), JSON lines, or nothing")
    add_farm_options(render, queue=False)
    render.set_defaults(func=cmd_render)

    add_queue_parser(sub)
    add_worker_parser(sub)

    demo = sub.add_parser("demo", help="render the bundled sample slideshow")
    demo.add_argument("-o", "--output", type=Path, help="where to write it")
    demo.add_argument("--resolution", default="720p")
    demo.add_argument("--progress", choices=_PROGRESS_MODES, default="auto")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_INVALID
    try:
        code: int = args.func(args)
    except SimvidError as exc:
        return _report(exc)
    except KeyboardInterrupt:
        print("simvid: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return code


if __name__ == "__main__":
    sys.exit(main())
