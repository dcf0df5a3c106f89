"""The render entry point: a plain spec in, a finished MP4 (or a specific error) out.

``render`` is a module-level function taking picklable values, so a process pool or an
RQ worker can call it directly. The video is written to a temporary file beside the
target and renamed only after ffmpeg succeeded: a failed or cancelled render leaves
nothing at the output path and no temporary file behind.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simvid_desktop.errors import OutputError, RenderCancelled, RenderFailed, SimvidError
from simvid_desktop.project import Project
from simvid_desktop.render.audio import audio_plan
from simvid_desktop.render.compositor import Compositor
from simvid_desktop.render.ffmpeg import FFmpegProcess
from simvid_desktop.render.preflight import ensure_valid
from simvid_desktop.render.progress import (
    CancelToken,
    ProgressCallback,
    ProgressEvent,
    RenderStage,
    RenderStatus,
    Throttle,
)

logger = logging.getLogger(__name__)

TEMP_MARKER = ".simvid-part"


@dataclass(frozen=True)
class RenderSpec:
    """Everything a render needs, as values (a snapshot, never a live UI object)."""

    project: Project
    output: Path


@dataclass(frozen=True)
class RenderOutcome:
    output: Path
    size_bytes: int
    duration: float  #: seconds of video
    frames: int
    elapsed: float  #: wall seconds the render took

    def to_dict(self) -> dict[str, Any]:
        return {
            "output": str(self.output), "size_bytes": self.size_bytes, "duration": self.duration,
            "frames": self.frames, "elapsed": self.elapsed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RenderOutcome:
        return cls(
            Path(data["output"]), int(data["size_bytes"]), float(data["duration"]),
            int(data["frames"]), float(data["elapsed"]),
        )


def temp_path_for(output: Path) -> Path:
    """A hidden temporary name beside ``output`` (same folder, so the rename is atomic)."""
    return output.with_name(f".{output.stem}.{uuid.uuid4().hex[:8]}{TEMP_MARKER}.mp4")


def _encoder_args(project: Project, total: float, tmp: Path) -> list[str]:
    width, height = project.output.size
    fps = project.output.fps
    enc = project.output.encoder
    plan = audio_plan(project.audio, total, input_index=1)
    return [
        "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{width}x{height}",
        "-framerate", str(fps), "-i", "pipe:0",
        *plan.input_args,
        # Our frames are BT.709 limited range: say so without converting (tagging the
        # output alone would make ffmpeg convert from its BT.601 assumption).
        "-filter_complex",
        f"[0:v]setparams=range=tv:color_primaries=bt709:color_trc=bt709:colorspace=bt709[vout];"
        f"{plan.filter}",
        "-map", "[vout]", "-map", "[aout]",
        "-c:v", "libx264", "-preset", enc.x264_preset, "-crf", str(enc.crf),
        "-pix_fmt", "yuv420p", "-r", str(fps),
        "-c:a", "aac", "-b:a", "192k", "-ar", "48000",
        "-movflags", "+faststart", "-f", "mp4", str(tmp),
    ]


class _PipeWriter(threading.Thread):
    """Feeds frames to ffmpeg while the next ones are being composed."""

    def __init__(self, proc: FFmpegProcess) -> None:
        super().__init__(name="ffmpeg-writer", daemon=True)
        self._proc = proc
        self.queue: queue.Queue[memoryview | None] = queue.Queue(maxsize=4)
        self.error: BaseException | None = None

    def run(self) -> None:
        stdin = self._proc.stdin
        while True:
            item = self.queue.get()
            if item is None:
                return
            if self.error is not None:
                continue  # drain so the producer never blocks
            try:
                stdin.write(item)
            except (BrokenPipeError, OSError) as exc:
                self.error = exc

    def put(self, item: memoryview | None, cancel: CancelToken) -> None:
        while True:
            try:
                self.queue.put(item, timeout=0.2)
                return
            except queue.Full:
                if item is not None:
                    cancel.raise_if_cancelled()


def _failure(proc: FFmpegProcess, output: Path) -> SimvidError:
    log = proc.log_tail()
    if "No space left on device" in log:
        return OutputError(output, "disk full while writing the video", transient=True)
    if "Permission denied" in log:
        return OutputError(output, "permission denied while writing the video")
    last = log.splitlines()[-1] if log else f"ffmpeg exited with code {proc.proc.returncode}"
    return RenderFailed(f"{output}: encoding failed ({last})", log)


def render(
    spec: RenderSpec,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> RenderOutcome:
    """Render ``spec.project`` to ``spec.output``.

    Raises:
        ProjectInvalid / MediaError: bad input (every problem listed; retrying won't help).
        RenderCancelled: ``cancel`` was triggered; nothing is left behind.
        OutputError, RenderFailed: writing or encoding failed.
    """
    cancel = cancel or CancelToken()
    emit = Throttle(progress)
    started = time.monotonic()
    project, output = spec.project, Path(spec.output)
    n_slides = len(project.slides)
    emit(ProgressEvent(RenderStatus.STARTED, RenderStage.PREPARING, 0.0, "Checking photos",
                       slides=n_slides), force=True)
    ensure_valid(project, output)
    cancel.raise_if_cancelled()
    tmp = temp_path_for(output)
    try:
        with Compositor(project) as comp:
            timeline = comp.timeline
            total_frames = timeline.frame_count
            comp.focus(0, 0)
            with FFmpegProcess(_encoder_args(project, timeline.total, tmp), stdin=True) as proc:
                writer = _PipeWriter(proc)
                writer.start()
                try:
                    t_render = time.monotonic()
                    shown = 0
                    for n in range(total_frames):
                        cancel.raise_if_cancelled()
                        shot = timeline.shot_for_frame(n)
                        frame = comp.frame(n)
                        writer.put(frame.buf.data, cancel)
                        if writer.error is not None:
                            break
                        spent = time.monotonic() - t_render
                        fps = (n + 1) / spent if spent > 0 else 0.0
                        k = shot.main_slide + 1
                        emit(ProgressEvent(
                            RenderStatus.STARTED, RenderStage.RENDERING,
                            100.0 * (n + 1) / total_frames,
                            f"Processing image {k}/{n_slides}", n + 1, total_frames, fps,
                            (total_frames - n - 1) / fps if fps > 0 else None,
                            time.monotonic() - started, k, n_slides,
                        ), force=k != shown)  # every "image k/N" is reported at least once
                        shown = k
                finally:
                    writer.put(None, CancelToken())
                    writer.join()
                cancel.raise_if_cancelled()
                emit(ProgressEvent(
                    RenderStatus.STARTED, RenderStage.FINALIZING, 100.0, "Finishing the video",
                    total_frames, total_frames, 0.0, 0.0, time.monotonic() - started,
                    n_slides, n_slides), force=True)
                rc = proc.finish()
                if rc != 0 or writer.error is not None:
                    raise _failure(proc, output)
        os.replace(tmp, output)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, RenderCancelled):
            emit(ProgressEvent(RenderStatus.CANCELED, RenderStage.DONE, 0.0, "Cancelled",
                               elapsed=time.monotonic() - started), force=True)
        elif isinstance(exc, SimvidError):
            emit(ProgressEvent(RenderStatus.FAILED, RenderStage.DONE, 0.0, str(exc),
                               elapsed=time.monotonic() - started), force=True)
        raise
    elapsed = time.monotonic() - started
    outcome = RenderOutcome(output, output.stat().st_size, timeline.total, total_frames, elapsed)
    emit(ProgressEvent(RenderStatus.FINISHED, RenderStage.DONE, 100.0, f"Saved {output.name}",
                       total_frames, total_frames, total_frames / elapsed, 0.0, elapsed,
                       n_slides, n_slides), force=True)
    logger.info("rendered %s: %d frames in %.1fs", output, total_frames, elapsed)
    return outcome
