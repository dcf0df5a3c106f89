"""The ``simvid`` command line: the same engine as the window, without a window.

Exit codes: 0 done, 1 the render failed, 2 invalid input (one line per problem on stderr,
each naming the file or option), 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from simvid_desktop import __version__
from simvid_desktop.cli.progress_bar import ProgressPrinter
from simvid_desktop.cli.project_args import add_render_options, project_from_args
from simvid_desktop.errors import InvalidInput, ProjectInvalid, SimvidError
from simvid_desktop.model.settings import load_settings
from simvid_desktop.render.progress import ProgressEvent, ProgressThrottle

logger = logging.getLogger(__name__)

PROGRESS_LINE_SECONDS = 0.1  #: JSON lines and the progress bar, at most ten a second

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_INTERRUPTED = 0, 1, 2, 130


def _report(exc: SimvidError) -> int:
    if isinstance(exc, ProjectInvalid):
        for line in exc.lines():
            print(f"simvid: {line}", file=sys.stderr)
    else:
        print(f"simvid: {exc}", file=sys.stderr)
    return EXIT_INVALID if isinstance(exc, InvalidInput) else EXIT_FAILED


def _progress_sink(mode: str) -> tuple[ProgressPrinter | None, object]:
    """Where progress goes; the terminal is an edge that throttles (the engine does not)."""
    throttle = ProgressThrottle(PROGRESS_LINE_SECONDS)
    if mode == "json":
        def emit(event: ProgressEvent) -> None:
            if throttle.admit(event):
                print(json.dumps(event.to_dict()), flush=True)
        return None, emit
    if mode == "none" or (mode == "auto" and not sys.stderr.isatty()):
        return None, None
    printer = ProgressPrinter(sys.stderr)

    def show(event: ProgressEvent) -> None:
        if throttle.admit(event):
            printer.update(event)
    return printer, show


def cmd_render(args: argparse.Namespace) -> int:
    from simvid_desktop.cli import farm_commands as farm_cli  # noqa: PLC0415
    from simvid_desktop.render.engine import (  # noqa: PLC0415
        RenderOutcome,
        RenderSpec,
        render,
    )

    settings = load_settings()
    url = farm_cli.farm_url(args, settings, settings_default=False)
    pmap, split = farm_cli.path_map(args, settings), farm_cli.split_of(args, settings)
    project = project_from_args(args)
    output: Path = args.output.expanduser().resolve()
    client = farm_cli.reachable_client(url, pmap) if url else None
    printer, sink = _progress_sink(args.progress)
    try:
        if client is not None:
            result = farm_cli.render_on_farm(client, project, output, split, settings, sink)
            outcome = RenderOutcome.from_dict({**result, "output": str(output)})
        else:
            outcome = render(RenderSpec(project, output, checked=True),  # preflight passed
                             progress=sink)  # type: ignore[arg-type]
    finally:
        if printer is not None:
            printer.close()
    mb = outcome.size_bytes / 1e6
    print(f"Saved {outcome.output} ({mb:.1f} MB, {outcome.duration:.1f} s of video, "
          f"rendered in {outcome.elapsed:.1f} s)")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from simvid_desktop.cli.demo import demo_output_path, demo_project  # noqa: PLC0415
    from simvid_desktop.render.engine import RenderSpec, render  # noqa: PLC0415

    output = (args.output or demo_output_path()).expanduser().resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    printer, sink = _progress_sink(args.progress)
    try:
        outcome = render(RenderSpec(demo_project(args.resolution), output), progress=sink)  # type: ignore[arg-type]
    finally:
        if printer is not None:
            printer.close()
    print(f"Demo slideshow written to {outcome.output} "
          f"({outcome.size_bytes / 1e6:.1f} MB, {outcome.duration:.1f} s, "
          f"rendered in {outcome.elapsed:.1f} s)")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="simvid", description="Turn photos and music into an MP4 slideshow."
    )
    parser.add_argument("--version", action="version", version=f"simvid {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    render = sub.add_parser("render", help="render a project or photos to an MP4")
    add_render_options(render)
    render.add_argument("--progress", choices=["auto", "bar", "json", "none"], default="auto",
                        help="a progress bar (default on a terminal), JSON lines, or nothing")
    from simvid_desktop.cli.farm_commands import add_farm_options, add_worker_parser  # noqa: PLC0415

    add_farm_options(render, queue=False)
    render.set_defaults(func=cmd_render)

    from simvid_desktop.cli.queue_commands import add_queue_parser  # noqa: PLC0415

    add_queue_parser(sub)
    add_worker_parser(sub)

    demo = sub.add_parser("demo", help="render the bundled sample slideshow")
    demo.add_argument("-o", "--output", type=Path, help="where to write it")
    demo.add_argument("--resolution", default="720p")
    demo.add_argument("--progress", choices=["auto", "bar", "json", "none"], default="auto")
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
