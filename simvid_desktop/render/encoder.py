"""Feeding composed frames to ffmpeg: the argument lists and a pipe with its own writer thread."""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from simvid_desktop.errors import OutputError, RenderFailed, SimvidError
from simvid_desktop.model.project import OutputFormat, Project, VideoEncoder
from simvid_desktop.model.timeline import FrameRange
from simvid_desktop.render.audio import AudioPlan
from simvid_desktop.render.chapters import chapter_args
from simvid_desktop.render.ffmpeg import FFmpegProcess
from simvid_desktop.render.formats import (
    TAG_BT709,
    audio_codec,
    audio_piece,
    colour_tags,
    container,
    piece_container,
    takes_keyframes,
    video_codec,
)
from simvid_desktop.render.hw_encoders import global_args, upload_filter
from simvid_desktop.render.progress import CancelToken
from simvid_desktop.render.yuv import Frame


def _video_input(project: Project) -> list[str]:
    width, height = project.output.size
    return [
        "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{width}x{height}",
        "-framerate", str(project.output.fps), "-i", "pipe:0",
    ]


def _video_codec(project: Project, keyframes: Sequence[int],
                 encoder: VideoEncoder, *, piece: bool = False,
                 span: FrameRange | None = None) -> list[str]:
    """``encoder`` (x264, or hardware; other formats: their codec) at the project's
    quality; ``keyframes``: frames (counted from the first one this ffmpeg is given) that
    must be keyframes, so seeking to a slide is exact; ``span``: the show's frames this
    ffmpeg is given (default: all)."""
    out = project.output
    args = [*video_codec(project, encoder, piece=piece, span=span),
            *colour_tags(out.format, piece=piece)]
    if out.format is not OutputFormat.GIF or piece:  # the GIF's rate is its filter's
        args += ["-r", str(out.fps)]
    fps = out.fps
    # Half a frame early: ffmpeg forces the first frame at or after each time.
    times = [f"{(n - 0.5) / fps:.6f}" for n in sorted(set(keyframes)) if n > 0]
    if times and takes_keyframes(out.format):
        args += ["-force_key_frames", ",".join(times)]
    return args


def single_pass_args(project: Project, plan: AudioPlan, out: Path,
                     keyframes: Sequence[int] = (), chapters: Path | None = None,
                     encoder: VideoEncoder = VideoEncoder.SOFTWARE) -> list[str]:
    """One ffmpeg run: frames from the pipe plus the music, straight to the final video
    (with the chapters of the ffmetadata file ``chapters``). Not for a GIF, whose frames
    go into a lossless file first (:func:`segment_args`, then :mod:`render.gif`)."""
    fmt = project.output.format
    if fmt is OutputFormat.GIF:
        raise ValueError("a GIF is made in two steps: segment_args, then render.gif")
    box = container(fmt)
    head = ["-loglevel", "error", "-y", *global_args(encoder), *_video_input(project)]
    meta_in, meta_out = chapter_args(chapters, 1 + plan.input_args.count("-i"))
    return [
        *head, *plan.input_args, *meta_in,
        "-filter_complex", f"[0:v]{TAG_BT709}{upload_filter(encoder)}[vout];{plan.filter}",
        "-map", "[vout]", "-map", "[aout]", *meta_out,
        *_video_codec(project, keyframes, encoder),
        *audio_codec(fmt), *box.options, "-f", box.muxer, str(out),
    ]


def segment_args(project: Project, out: Path, keyframes: Sequence[int] = (),
                 encoder: VideoEncoder = VideoEncoder.SOFTWARE,
                 span: FrameRange | None = None) -> list[str]:
    """A video-only piece of the show (the frames of ``span``, default all), to be joined
    later without re-encoding (``keyframes`` counted from the piece's first frame; a GIF's
    pieces are lossless, encoded once more at the join)."""
    box = piece_container(project.output.format)
    return [
        "-loglevel", "error", "-y", *global_args(encoder), *_video_input(project),
        "-vf", TAG_BT709 + upload_filter(encoder),
        *_video_codec(project, keyframes, encoder, piece=True, span=span), "-an",
        "-f", box.muxer, str(out),
    ]


def audio_args(plan: AudioPlan, out: Path, fmt: OutputFormat = OutputFormat.MP4) -> list[str]:
    return [
        "-loglevel", "error", "-y", *plan.input_args, "-filter_complex", plan.filter,
        "-map", "[aout]", *audio_codec(fmt), "-f", audio_piece(fmt).muxer, str(out),
    ]


def join_args(project: Project, listing: Path, audio: Path, chapters: Path | None,
              out: Path) -> list[str]:
    """Concatenate the pieces named in ``listing`` and the soundtrack ``audio`` into the
    final video, with the chapters of ``chapters``, copied as they are. (A GIF's pieces
    are lossless: :mod:`render.gif` makes the GIF from :func:`concat_input`.)"""
    fmt = project.output.format
    box = container(fmt)
    meta_in, meta_out = chapter_args(chapters, 2)
    return [
        "-loglevel", "error", "-y", *concat_input(listing), "-i", str(audio), *meta_in,
        "-map", "0:v", "-map", "1:a", *meta_out,
        "-c", "copy", *box.options, "-f", box.muxer, str(out),
    ]


def concat_input(listing: Path) -> list[str]:
    """ffmpeg input options reading the pieces named in ``listing`` as one stream."""
    return ["-f", "concat", "-safe", "0", "-i", str(listing)]


def run_encode(args: list[str], output: Path) -> None:
    """Run ffmpeg with ``args`` (writing ``output``) to its end.

    Raises:
        OutputError, RenderFailed: as :func:`failure` says, when ffmpeg fails.
    """
    with FFmpegProcess(args) as proc:
        if proc.finish() != 0:
            raise failure(proc, output)


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
