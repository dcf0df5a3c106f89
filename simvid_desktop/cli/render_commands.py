"""``simvid render`` and ``simvid demo``: one render, here or on the farm, with progress.

The dispatcher (:mod:`simvid_desktop.cli.main`) imports this module only when one of these
commands runs: the render engine loads numpy and Pillow, which --help and the queue
commands never need.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from simvid_desktop.cli import farm_commands
from simvid_desktop.cli.demo import demo_output_path, demo_project
from simvid_desktop.cli.progress_bar import ProgressPrinter
from simvid_desktop.cli.project_args import project_from_args
from simvid_desktop.errors import Problem, ProjectInvalid
from simvid_desktop.farm.protocol import desktop_output
from simvid_desktop.model.project import Resolution
from simvid_desktop.model.settings import load_settings
from simvid_desktop.render.engine import RenderOutcome, RenderSpec, render
from simvid_desktop.render.progress import ProgressCallback, ProgressEvent, ProgressThrottle

PROGRESS_LINE_SECONDS = 0.1  #: JSON lines and the progress bar, at most ten a second


def _progress_sink(mode: str) -> tuple[ProgressPrinter | None, ProgressCallback | None]:
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


def render_show(args: argparse.Namespace) -> int:
    """``simvid render``: on the farm when ``--farm`` is given and answers, else here."""
    settings = load_settings()
    url = farm_commands.farm_url(args, settings, settings_default=False)
    pmap = farm_commands.path_map(args, settings)
    split = farm_commands.split_of(args, settings)
    project = project_from_args(args)
    output: Path = args.output.expanduser().resolve()
    client = farm_commands.reachable_client(url, pmap) if url else None
    printer, sink = _progress_sink(args.progress)
    try:
        if client is not None:
            result = farm_commands.render_on_farm(client, project, output, split, settings, sink)
            placed = desktop_output(str(output), result.get("output"))
            outcome = RenderOutcome.from_dict({**result, "output": placed})
        else:
            outcome = render(RenderSpec(project, output, checked=True,  # preflight passed
                                        collision=settings.collision), progress=sink)
    finally:
        if printer is not None:
            printer.close()
    mb = outcome.size_bytes / 1e6
    print(f"Saved {outcome.output} ({mb:.1f} MB, {outcome.duration:.1f} s of video, "
          f"rendered in {outcome.elapsed:.1f} s)")
    return 0


def render_demo(args: argparse.Namespace) -> int:
    """``simvid demo``: the bundled sample show, rendered here."""
    try:
        resolution = Resolution(args.resolution)
    except ValueError as exc:
        raise ProjectInvalid([Problem("--resolution", str(exc))]) from None
    output = (args.output or demo_output_path()).expanduser().resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    printer, sink = _progress_sink(args.progress)
    try:
        outcome = render(RenderSpec(demo_project(resolution), output), progress=sink)
    finally:
        if printer is not None:
            printer.close()
    print(f"Demo slideshow written to {outcome.output} "
          f"({outcome.size_bytes / 1e6:.1f} MB, {outcome.duration:.1f} s, "
          f"rendered in {outcome.elapsed:.1f} s)")
    return 0
