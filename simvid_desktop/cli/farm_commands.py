"""The render farm on the command line: ``simvid worker``, ``simvid render --farm`` and the
farm options of ``simvid queue add`` / ``queue run``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from simvid_desktop.errors import FarmUnreachable, InvalidInput, RenderCancelled, RenderFailed
from simvid_desktop.farm.paths import MediaRoots, PathMap
from simvid_desktop.farm.protocol import DEFAULT_QUEUES
from simvid_desktop.jobs.model import Job, new_job_id
from simvid_desktop.model.project_io import project_to_dict
from simvid_desktop.model.settings import Settings, load_settings

if TYPE_CHECKING:
    from simvid_desktop.farm.client import FarmClient
    from simvid_desktop.model.project import Project

logger = logging.getLogger(__name__)

MEDIA_ROOTS_ENV = "SIMVID_MEDIA_ROOTS"


def add_farm_options(p: argparse.ArgumentParser, *, queue: bool) -> None:
    g = p.add_argument_group("render farm")
    g.add_argument("--farm", nargs="?", const="", metavar="REDIS_URL", default=None,
                   help="render on the farm (default URL: the settings' farm URL)")
    if queue:
        g.add_argument("--local", action="store_true",
                       help="render on this computer even if a farm is set up")
    g.add_argument("--path-map", action="append", default=[], metavar="DESKTOP=WORKER",
                   help="where the farm's workers see a folder of this computer (repeatable)")
    g.add_argument("--split", type=int, default=None,
                   help="farm workers that may render pieces of one show at once")


def farm_url(args: argparse.Namespace, settings: Settings, *,
             settings_default: bool) -> str | None:
    """The farm to use for this command, or None for this computer. ``settings_default``:
    a farm URL in the settings applies without ``--farm`` (queue jobs; not ``render``)."""
    if getattr(args, "local", False):
        return None
    if args.farm is None:
        return (settings.farm_url or None) if settings_default else None
    url = args.farm or settings.farm_url
    if not url:
        raise InvalidInput("--farm: no URL given and none in the settings")
    return str(url)


def path_map(args: argparse.Namespace, settings: Settings) -> PathMap:
    return PathMap.parse([*settings.farm_path_map, *args.path_map], "--path-map")


def split_of(args: argparse.Namespace, settings: Settings) -> int:
    split = args.split if args.split is not None else settings.farm_split
    if not 1 <= split <= 64:
        raise InvalidInput(f"--split: {split} is not between 1 and 64")
    return int(split)


def reachable_client(url: str, pmap: PathMap) -> FarmClient | None:
    """A client if the farm answers; otherwise None after printing the fallback notice."""
    # Heavy: rq and redis (~0.15 s), only when a farm URL is given.
    from simvid_desktop.farm.client import FarmClient  # noqa: PLC0415

    try:
        client = FarmClient(url, path_map=pmap)
        client.ping()
    except FarmUnreachable as exc:
        print(f"simvid: {exc}; rendering on this computer instead", file=sys.stderr)
        return None
    return client


# -- simvid render --farm ---------------------------------------------------------------------
def render_on_farm(client: FarmClient, project: Project, output: Path, split: int,
                   settings: Settings, sink: object) -> dict[str, object]:
    """Send one render to the farm and wait for it, reporting progress like a local render.

    Raises the same errors a local render would (exit codes stay the same).
    """
    # farm.client stays out of this module's imports (rq, redis: heavy); the client passed in
    # has loaded it already, so this costs nothing here.
    from simvid_desktop.farm.client import FarmJobStatus  # noqa: PLC0415

    job = Job(id=new_job_id(), name=output.stem, project=project_to_dict(project),
              output=str(output), segment_seconds=settings.segment_seconds,
              duration=project.total_duration, collision=settings.collision)
    rq_id, _ = client.submit(job, split=split, retries=settings.retries)
    print(f"simvid: sent to the farm at {client.display_url} as {rq_id}", file=sys.stderr)
    cancelled = False
    try:
        while True:
            try:
                state = client.states([rq_id])[rq_id]
            except FarmUnreachable as exc:
                logger.warning("%s; waiting", exc)
                time.sleep(2)
                continue
            if state.status is FarmJobStatus.FINISHED:
                return state.result or {}
            if state.status in (FarmJobStatus.STOPPED, FarmJobStatus.CANCELED):
                raise RenderCancelled()
            if state.status is FarmJobStatus.FAILED:
                if state.invalid:
                    raise InvalidInput(state.error or "the farm refused the job")
                raise RenderFailed(state.error or "failed on the farm", state.error_log or "")
            progress = state.job_progress(job.id)
            if progress is not None and callable(sink):
                sink(progress.event)
            time.sleep(0.5)
    except KeyboardInterrupt:
        cancelled = True
        raise
    finally:
        if cancelled:
            print("simvid: cancelling the farm job", file=sys.stderr)
            try:
                client.cancel(job.id)
            except FarmUnreachable as exc:
                print(f"simvid: could not cancel: {exc}", file=sys.stderr)


# -- simvid worker ----------------------------------------------------------------------------
def cmd_worker(args: argparse.Namespace) -> int:
    # Heavy: rq, redis and the render engine (~0.3 s), for `simvid worker` only.
    from simvid_desktop.farm.client import connect_answering, redact  # noqa: PLC0415
    from simvid_desktop.farm.worker import FarmWorker, default_worker_name  # noqa: PLC0415

    url = args.redis or load_settings().farm_url
    if not url:
        raise InvalidInput("--redis: give the farm's Redis URL (redis://host:6379/0)")
    folders = list(args.media_root) or [
        p for p in os.environ.get(MEDIA_ROOTS_ENV, "").split(os.pathsep) if p]
    if not folders:
        raise InvalidInput("--media-root: give the shared folder(s) photos and videos live "
                           f"in (or set {MEDIA_ROOTS_ENV}); paths outside are refused")
    missing = [f for f in folders if not Path(f).expanduser().is_dir()]
    if missing:
        raise InvalidInput(f"--media-root: {missing[0]} is not a folder")
    queues = [q.strip() for q in args.queues.split(",") if q.strip()]
    redis = connect_answering(url)
    logging.getLogger("simvid_desktop").setLevel(logging.INFO)
    worker = FarmWorker(queues, name=args.name or default_worker_name(), connection=redis,
                        roots=MediaRoots.of(folders))
    print(f"simvid worker {worker.name}: rendering jobs from {', '.join(queues)} "
          f"at {redact(url)}", file=sys.stderr)
    worker.run(burst=args.burst)
    return 0


def add_worker_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    w = sub.add_parser("worker", help="render jobs from the render farm's Redis queue")
    w.add_argument("--redis", metavar="URL",
                   help="redis://[:password@]host:6379/0 (rediss:// for TLS)")
    w.add_argument("--queues", default=",".join(DEFAULT_QUEUES),
                   help="comma-separated queue names, in priority order")
    w.add_argument("--name", help="this worker's name (default: host.pid)")
    w.add_argument("--media-root", action="append", default=[], metavar="DIR",
                   help="a shared folder jobs may read and write (repeatable)")
    w.add_argument("--burst", action="store_true", help="quit when the queue is empty")
    w.set_defaults(func=cmd_worker)
