"""Feeding composed frames to ffmpeg: the argument lists and a pipe with its own writer thread."""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from simvid_desktop.errors import OutputError, RenderFailed, SimvidError
from simvid_desktop.model.project import Project, VideoEncoder
from simvid_desktop.render.audio import AudioPlan
from simvid_desktop.render.chapters import chapter_args
from simvid_desktop.render.ffmpeg import FFmpegProcess
from simvid_desktop.render.hw_encoders import codec_args, global_args, upload_filter
from simvid_desktop.render.progress import CancelToken
from simvid_desktop.render.yuv import Frame

# Our frames are BT.709 limited range: say so without converting (tagging only the output
# would make ffmpeg convert from its BT.601 assumption for raw input).
_TAG_BT709 = "setparams=range=tv:color_primaries=bt709:color_trc=bt709:colorspace=bt709"


def _video_input(project: Project) -> list[str]:
    width, height = project.output.size
    return [
        "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{width}x{height}",
        "-framerate", str(project.output.fps), "-i", "pipe:0",
    ]


def _video_codec(project: Project, keyframes: Sequence[int],
                 encoder: VideoEncoder) -> list[str]:
    """``encoder`` (x264, or hardware) at the project's quality; ``keyframes``: frames
    (counted from the first one this ffmpeg is given) that must be keyframes, so seeking
    to a slide is exact."""
    enc = project.output.encoder
    args = [*codec_args(encoder, enc.crf, enc.x264_preset, enc.x264_params),
            "-r", str(project.output.fps)]
    fps = project.output.fps
    # Half a frame early: ffmpeg forces the first frame at or after each time.
    times = [f"{(n - 0.5) / fps:.6f}" for n in sorted(set(keyframes)) if n > 0]
    return [*args, "-force_key_frames", ",".join(times)] if times else args


def _audio_codec() -> list[str]:
    return ["-c:a", "aac", "-b:a", "192k", "-ar", "48000"]


def single_pass_args(project: Project, plan: AudioPlan, out: Path,
                     keyframes: Sequence[int] = (), chapters: Path | None = None,
                     encoder: VideoEncoder = VideoEncoder.SOFTWARE) -> list[str]:
    """One ffmpeg run: frames from the pipe plus the music, straight to the final MP4
    (with the chapters of the ffmetadata file ``chapters``)."""
    meta_in, meta_out = chapter_args(chapters, 1 + plan.input_args.count("-i"))
    return [
        "-loglevel", "error", "-y", *global_args(encoder), *_video_input(project),
        *plan.input_args, *meta_in,
        "-filter_complex", f"[0:v]{_TAG_BT709}{upload_filter(encoder)}[vout];{plan.filter}",
        "-map", "[vout]", "-map", "[aout]", *meta_out,
        *_video_codec(project, keyframes, encoder),
        *_audio_codec(), "-movflags", "+faststart", "-f", "mp4", str(out),
    ]


def segment_args(project: Project, out: Path, keyframes: Sequence[int] = (),
                 encoder: VideoEncoder = VideoEncoder.SOFTWARE) -> list[str]:
    """A video-only piece of the show, to be joined later without re-encoding
    (``keyframes`` counted from the piece's first frame)."""
    return [
        "-loglevel", "error", "-y", *global_args(encoder), *_video_input(project),
        "-vf", _TAG_BT709 + upload_filter(encoder),
        *_video_codec(project, keyframes, encoder), "-an", "-f", "mp4", str(out),
    ]


def audio_args(plan: AudioPlan, out: Path) -> list[str]:
    return [
        "-loglevel", "error", "-y", *plan.input_args, "-filter_complex", plan.filter,
        "-map", "[aout]", *_audio_codec(), "-f", "mp4", str(out),
    ]


def failure(proc: FFmpegProcess, output: Path) -> SimvidError:
    """The error to raise for a failed ffmpeg run, with its log attached."""
    log = proc.log_tail()
    if "No space left on device" in log:
        return OutputError(output, "disk full while writing the video", transient=True)
    if "Permission denied" in log:
        return OutputError(output, "permission denied while writing the video")
    last = log.splitlines()[-1] if log else f"ffmpeg exited with code {proc.proc.returncode}"
    return RenderFailed(f"{output}: encoding failed ({last})", log)


#: Frames handed to a :class:`FramePipe` and not yet written: its queue, and the one its
#: thread is writing. A frame's buffer must not change until it is written.
FRAMES_IN_FLIGHT = 5


class FramePipe:
    """ffmpeg reading raw frames from stdin; a thread writes while the next frame is composed.

    On any exception inside the ``with`` block ffmpeg is killed first, so a blocked write
    returns at once and cancelling takes well under a second even at 4K.
    """

    def __init__(self, args: list[str], output: Path, cancel: CancelToken) -> None:
        self._output = output
        self._cancel = cancel
        self._proc = FFmpegProcess(args, stdin=True)
        self._queue: queue.Queue[memoryview | None] = queue.Queue(maxsize=FRAMES_IN_FLIGHT - 1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="ffmpeg-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        stdin = self._proc.stdin
        while (item := self._queue.get()) is not None:
            if self._error is None:
                try:
                    stdin.write(item)
                except (BrokenPipeError, OSError) as exc:
                    self._error = exc

    def write(self, frame: Frame) -> None:
        if self._error is not None:
            raise failure(self._proc, self._output)
        while True:
            try:
                self._queue.put(frame.buf.data, timeout=0.1)
                return
            except queue.Full:
                self._cancel.raise_if_cancelled()
                if self._error is not None:
                    raise failure(self._proc, self._output) from None

    def _stop_writer(self) -> None:
        while self._thread.is_alive():
            try:
                self._queue.put(None, timeout=0.1)
                break
            except queue.Full:
                continue
        self._thread.join()

    def finish(self) -> None:
        """End of input: wait for ffmpeg to write the file; raise if it failed."""
        self._stop_writer()
        rc = self._proc.finish()
        if rc != 0 or self._error is not None:
            raise failure(self._proc, self._output)

    def __enter__(self) -> FramePipe:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self._proc.kill()
            self._stop_writer()
        self._proc.__exit__(exc_type, exc, tb)
