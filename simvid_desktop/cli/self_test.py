"""``--self-test``: prove that this installation renders, end to end, in one line.

Meant for a freshly built or installed app (CI runs it on every frozen build): it renders
a short show from the bundled samples through the real queue — a job store in a temporary
folder, the local pool of spawned worker processes, the runner — then reads the video back
and checks its length, size and streams. Nothing is written to the user's folders. No Qt.

Exit code 0 when the video is right, 1 otherwise; the verdict is a single line.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from simvid_desktop import __version__
from simvid_desktop.jobs.local_pool import LocalPool
from simvid_desktop.jobs.model import JobStatus
from simvid_desktop.jobs.runner import QueueRunner
from simvid_desktop.jobs.store import Store
from simvid_desktop.jobs.submit import submit
from simvid_desktop.model.media_types import images_in
from simvid_desktop.model.project import (
    AudioBed,
    FitMode,
    Motion,
    MotionMode,
    OutputSettings,
    Project,
    Quality,
    Resolution,
    Slide,
    Transition,
    TransitionKind,
)
from simvid_desktop.model.settings import Settings
from simvid_desktop.paths import APP_AUTHOR, APP_NAME, resource
from simvid_desktop.render.ffmpeg import duration_in, run_ffmpeg
from simvid_desktop.render.native import backend
from simvid_desktop.render.preflight import preflight

logger = logging.getLogger(__name__)

SLIDES = 3
SLIDE_SECONDS = 1.5
WIDTH, HEIGHT = 480, 270
SEGMENT_SECONDS = 2.0  #: several resumable segments, so joining them is tested too
DURATION_TOLERANCE = 0.15  #: seconds; AAC priming and frame rounding stay well below
DEFAULT_TIMEOUT = 240.0


@dataclass(frozen=True)
class VideoProbe:
    """What ffmpeg reads back from a rendered file."""

    size_bytes: int
    duration: float | None
    video_codec: str | None
    width: int
    height: int
    audio_codec: str | None


@dataclass(frozen=True)
class SelfTestResult:
    """The verdict; ``str()`` is the one line printed."""

    ok: bool
    elapsed: float
    problems: tuple[str, ...] = ()
    probe: VideoProbe | None = None

    def __str__(self) -> str:
        where = "frozen" if getattr(sys, "frozen", False) else "from source"
        if not self.ok:
            return f"self-test FAILED after {self.elapsed:.1f} s: {'; '.join(self.problems)}"
        p = self.probe
        assert p is not None
        return (f"self-test passed in {self.elapsed:.1f} s: {p.duration or 0:.2f} s "
                f"{p.width}x{p.height} {p.video_codec}/{p.audio_codec} video "
                f"({p.size_bytes / 1000:.0f} kB) rendered by a worker process "
                f"(Simvid Desktop {__version__}, {where}, {backend()} compositing)")


def self_test_project() -> Project:
    """A short show that touches every part: photos, motion, captions (fonts), a
    transition, the fitted blur background and the bundled music."""
    samples = resource("samples")
    photos = images_in(samples)[:SLIDES] if samples.is_dir() else []
    if len(photos) < SLIDES:
        raise FileNotFoundError(f"{samples}: expected {SLIDES} sample photos, "
                                f"found {len(photos)}")
    music = sorted(resource("music").glob("*.m4a"))
    if not music:
        raise FileNotFoundError(f"{resource('music')}: no bundled music")
    slides = tuple(Slide(image=p, caption="Simvid self-test" if i == 0 else None)
                   for i, p in enumerate(photos))
    return Project(
        slides=slides,
        default_duration=SLIDE_SECONDS,
        transition=Transition(TransitionKind.FADE, 0.5),
        motion=Motion(MotionMode.AUTO),
        audio=AudioBed.single(music[0], fade_out=0.5),
        output=OutputSettings(resolution=Resolution(f"{WIDTH}x{HEIGHT}"), fps=25,
                              quality=Quality.DRAFT, fit=FitMode.BLUR),
    )


_VIDEO_RE = re.compile(r"Stream #\S+.*?: Video: (\w+).*?, (\d{2,5})x(\d{2,5})")
_AUDIO_RE = re.compile(r"Stream #\S+.*?: Audio: (\w+)")


def parse_probe(ffmpeg_log: str, size_bytes: int) -> VideoProbe:
    """Read codecs, frame size and duration from what ``ffmpeg -i FILE`` prints."""
    video = _VIDEO_RE.search(ffmpeg_log)
    audio = _AUDIO_RE.search(ffmpeg_log)
    return VideoProbe(
        size_bytes=size_bytes,
        duration=duration_in(ffmpeg_log),
        video_codec=video[1] if video else None,
        width=int(video[2]) if video else 0,
        height=int(video[3]) if video else 0,
        audio_codec=audio[1] if audio else None,
    )


def probe_video(path: Path) -> VideoProbe:
    _, _, log = run_ffmpeg(["-i", str(path)], timeout=60)
    return parse_probe(log, path.stat().st_size)


def check_video(probe: VideoProbe, expected_seconds: float) -> list[str]:
    """Every way the probed video differs from what the self-test asked for."""
    problems = []
    if probe.size_bytes == 0:
        problems.append("the video file is empty")
    if probe.video_codec != "h264":
        problems.append(f"video stream is {probe.video_codec or 'missing'}, expected h264")
    if (probe.width, probe.height) != (WIDTH, HEIGHT):
        problems.append(f"frame size {probe.width}x{probe.height}, expected {WIDTH}x{HEIGHT}")
    if probe.audio_codec != "aac":
        problems.append(f"audio stream is {probe.audio_codec or 'missing'}, expected aac")
    if probe.duration is None:
        problems.append("ffmpeg reads no duration")
    elif abs(probe.duration - expected_seconds) > DURATION_TOLERANCE:
        problems.append(f"lasts {probe.duration:.2f} s, expected {expected_seconds:.2f} s")
    return problems


def app_folder() -> Path:
    """The folder the program runs from: the bundle when frozen, the source tree if not."""
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve().parent
    return Path(__file__).resolve().parents[2]  # simvid_desktop/cli/self_test.py


def check_locations() -> list[str]:
    """User data, settings, logs and cache must live in platformdirs folders, never inside
    the app's own folder (read-only when installed, replaced by every update)."""
    problems = []
    app = app_folder()
    folders = {
        "data": platformdirs.user_data_dir(APP_NAME, APP_AUTHOR),
        "settings": platformdirs.user_config_dir(APP_NAME, APP_AUTHOR),
        "logs": platformdirs.user_log_dir(APP_NAME, APP_AUTHOR),
        "cache": platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR),
    }
    for kind, folder in folders.items():
        if Path(folder).resolve().is_relative_to(app):
            problems.append(f"the {kind} folder {folder} is inside the app folder {app}")
    if not resource("fonts").is_dir():
        problems.append(f"bundled fonts missing: {resource('fonts')}")
    return problems


@contextmanager
def _isolated_data_dir(folder: Path) -> Iterator[None]:
    """Point this process and its worker processes (they inherit the environment) at a
    throw-away data folder: the user's queue is neither read nor changed."""
    previous = os.environ.get("SIMVID_DATA_DIR")
    os.environ["SIMVID_DATA_DIR"] = str(folder)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SIMVID_DATA_DIR", None)
        else:
            os.environ["SIMVID_DATA_DIR"] = previous


def render_through_queue(project: Project, output: Path, data: Path, *, workers: int,
                         timeout: float) -> str | None:
    """Queue ``project`` in a store under ``data`` and run it with the local worker pool
    until the queue is empty. Returns None when the job finished, else why it did not."""
    store_path = data / "jobs.sqlite3"
    store = Store(store_path)
    try:
        settings = Settings(retries=0, segment_seconds=SEGMENT_SECONDS)
        job = submit(store, project, output, settings, name="self-test")
        runner = QueueRunner(LocalPool(workers), store_path, exit_when_idle=True)
        timer = threading.Timer(timeout, runner.stop)
        timer.daemon = True
        timer.start()
        try:
            runner.run()
        finally:
            timer.cancel()
        done = store.get(job.id)
    finally:
        store.close()
    if done is None:
        return "the job vanished from the queue"
    if done.status is JobStatus.FINISHED:
        return None
    if done.status is JobStatus.QUEUED:
        return f"no result within {timeout:g} s"
    return f"the render job {done.status.value}: {done.error or done.message}"


def run_self_test(*, workers: int = 1, timeout: float = DEFAULT_TIMEOUT,
                  keep: Path | None = None) -> SelfTestResult:
    """Render, probe and check; ``keep`` copies the rendered video there."""
    started = time.monotonic()

    def failed(*problems: str) -> SelfTestResult:
        return SelfTestResult(False, time.monotonic() - started, tuple(problems))

    problems = check_locations()
    if problems:
        return failed(*problems)
    project = self_test_project()
    expected = SLIDES * SLIDE_SECONDS
    with tempfile.TemporaryDirectory(prefix="simvid-self-test-") as tmp:
        output = Path(tmp) / "self-test.mp4"
        data = Path(tmp) / "data"
        found = preflight(project, output)
        if found:
            return failed(*(f"{p.where}: {p.message}" for p in found))
        with _isolated_data_dir(data):
            error = render_through_queue(project, output, data, workers=workers,
                                         timeout=timeout)
        if error is not None:
            return failed(error)
        if not output.is_file():
            return failed(f"the job finished but {output.name} was not written")
        probe = probe_video(output)
        if keep is not None:
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(output, keep)
    problems = check_video(probe, expected)
    if problems:
        return SelfTestResult(False, time.monotonic() - started, tuple(problems), probe)
    return SelfTestResult(True, time.monotonic() - started, (), probe)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="simvid --self-test",
        description="Render a short show from the bundled samples through the worker "
                    "processes and check the video. Exit code 0 when it is right.")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"give up after this many seconds (default {DEFAULT_TIMEOUT:.0f})")
    parser.add_argument("--keep", type=Path, metavar="FILE.mp4",
                        help="keep the rendered video here")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log what happens (and the traceback of an internal error)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.ERROR,
                        format="%(levelname)s %(name)s: %(message)s")
    started = time.monotonic()
    try:
        result = run_self_test(workers=max(1, args.workers), timeout=args.timeout,
                               keep=args.keep)
    except KeyboardInterrupt:
        result = SelfTestResult(False, time.monotonic() - started, ("interrupted",))
    except Exception as exc:  # the verdict is one line, whatever broke (-v logs it)
        logger.debug("self-test crashed", exc_info=True)
        detail = str(exc) or type(exc).__name__
        result = SelfTestResult(False, time.monotonic() - started,
                                (f"{type(exc).__name__}: {detail}",))
    print(result, flush=True)
    return 0 if result.ok else 1
