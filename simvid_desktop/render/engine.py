"""The render entry point: a plain spec in, a finished video (or a specific error) out.

``render`` is a module-level function taking picklable values, so a process pool or an
RQ worker can call it directly. The video is written to a temporary file beside the
target, fsynced, and moved to its name only after ffmpeg succeeded, by a move that never
replaces a file (see ``durable``): a failed or cancelled render leaves nothing at the
output path and no temporary file behind, and a file that appeared at the output path
while rendering is left as it is; the collision policy then decides (a numbered name, or
a failure naming the file). The outcome says where the video went.

Two ways to the same video: a single pass (frames and music into one ffmpeg run), or,
when the spec names a work folder, in segments that survive a crash (see ``segments``).
"""

from __future__ import annotations

import glob
import logging
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from simvid_desktop.durable import move_no_replace
from simvid_desktop.errors import OutputError, RenderCancelled, RenderFailed, SimvidError
from simvid_desktop.model.chapters import chapters_of
from simvid_desktop.model.project import OutputFormat, Project, VideoEncoder
from simvid_desktop.model.settings import SEGMENT_SECONDS, CollisionPolicy, numbered_names
from simvid_desktop.model.timeline import FrameRange, Timeline
from simvid_desktop.render.audio import soundtrack_plan
from simvid_desktop.render.chapters import write_chapter_list, write_metadata
from simvid_desktop.render.compositor import Compositor
from simvid_desktop.render.encoder import (
    FramePipe,
    audio_args,
    concat_input,
    join_args,
    run_encode,
    segment_args,
    single_pass_args,
)
from simvid_desktop.render.gif import encode_gif
from simvid_desktop.render.hw_encoders import HARDWARE, resolve
from simvid_desktop.render.loudness import loudness_gain
from simvid_desktop.render.native import backend
from simvid_desktop.render.preflight import ensure_still_there, ensure_valid
from simvid_desktop.render.progress import (
    CancelToken,
    ProgressCallback,
    ProgressEvent,
    RenderStage,
    RenderStatus,
)
from simvid_desktop.render.segments import (
    Segment,
    WorkDir,
    fingerprint,
    plan_segments,
)

logger = logging.getLogger(__name__)

TEMP_MARKER = ".simvid-part"


@dataclass(frozen=True)
class RenderSpec:
    """Everything a render needs, as values (a snapshot, never a live UI object)."""

    project: Project
    output: Path
    #: Render in resumable segments kept here (None: one pass, nothing kept).
    work_dir: Path | None = None
    segment_seconds: float = SEGMENT_SECONDS
    #: Preflight already passed (a queued job was checked when it was queued): its files
    #: are not opened again, only looked for (a file gone since is named).
    checked: bool = False
    #: What to do when a file is at ``output`` when the video is done (never replaced).
    collision: CollisionPolicy = CollisionPolicy.NUMBER


@dataclass(frozen=True)
class RenderOutcome:
    output: Path
    size_bytes: int
    duration: float  #: seconds of video
    frames: int
    elapsed: float  #: wall seconds the render took
    resumed_frames: int = 0  #: frames taken from segments finished before a restart
    encoder: str = VideoEncoder.SOFTWARE.value  #: what made the video (a VideoEncoder value)
    fell_back: bool = False  #: the chosen hardware encoder failed: software made it

    def to_dict(self) -> dict[str, Any]:
        return {
            "output": str(self.output), "size_bytes": self.size_bytes, "duration": self.duration,
            "frames": self.frames, "elapsed": self.elapsed, "resumed_frames": self.resumed_frames,
            "encoder": self.encoder, "fell_back": self.fell_back,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RenderOutcome:
        return cls(
            Path(data["output"]), int(data["size_bytes"]), float(data["duration"]),
            int(data["frames"]), float(data["elapsed"]), int(data.get("resumed_frames", 0)),
            str(data.get("encoder", VideoEncoder.SOFTWARE.value)),
            bool(data.get("fell_back", False)),
        )


def temp_path_for(output: Path) -> Path:
    """A hidden temporary name beside ``output`` (same folder, so the rename is atomic)."""
    return output.with_name(f".{output.stem}.{uuid.uuid4().hex[:8]}{TEMP_MARKER}"
                            f"{output.suffix or '.mp4'}")


def stale_temp_files(output: Path) -> list[Path]:
    """Temporary files a killed render of ``output`` may have left beside it."""
    return sorted(output.parent.glob(f".{glob.escape(output.stem)}.*{TEMP_MARKER}"
                                     f"{glob.escape(output.suffix or '.mp4')}"))


#: How many numbered names are tried before giving up (a folder full of "show (n).mp4").
MAX_NUMBERED = 10_000


def refused(output: Path) -> OutputError:
    return OutputError(output, "a file with this name already exists; it was left as it is "
                               "(the collision setting is 'refuse')")


def place_output(tmp: Path, output: Path, collision: CollisionPolicy) -> Path:
    """Move the finished video ``tmp`` to ``output``, never replacing a file; returns where
    it went. A name taken meanwhile (by anyone) gets the collision policy, now.

    Raises:
        OutputError: the name is taken and the policy is to refuse (``tmp`` is kept: the
        caller removes it), or no numbered name is free.
    """
    try:
        move_no_replace(tmp, output)
        return output
    except FileExistsError:
        if collision is CollisionPolicy.REFUSE:
            raise refused(output) from None
    for tries, candidate in enumerate(numbered_names(output)):
        if tries >= MAX_NUMBERED:
            raise OutputError(output, f"no free numbered name after {MAX_NUMBERED} tries")
        try:
            move_no_replace(tmp, candidate)
        except FileExistsError:
            continue
        logger.warning("%s is taken; the video is %s", output, candidate.name)
        return candidate
    raise AssertionError("numbered_names never ends")


def _chapter_list(project: Project, video: Path) -> None:
    """The YouTube-style chapter list beside the video, when the project asks for it."""
    if project.output.chapter_list:
        write_chapter_list(video, chapters_of(project))


def _reporter(callback: ProgressCallback | None) -> ProgressCallback:
    """Every event goes out; the edges that pay for one (a store write, a line) throttle."""
    return callback if callback is not None else (lambda _event: None)


class _Progress:
    """Turns "frame n is done" into :class:`ProgressEvent` records."""

    def __init__(self, callback: ProgressCallback | None, comp: Compositor) -> None:
        self.emit = _reporter(callback)
        self.timeline = comp.timeline
        self.total = comp.timeline.frame_count
        self.slides = len(comp.project.slides)
        self.started = time.monotonic()
        self.rendered = 0  # frames composed in this run (for fps)
        self.done = 0  # frames finished, including resumed ones
        self._slide = 0
        self._t0: float | None = None

    def skip(self, frames: int) -> None:
        self.done += frames

    def restart(self, message: str) -> None:
        """Everything is rendered again (another encoder): counts from zero, and why."""
        self.done = self.rendered = 0
        self._t0 = None
        self.stage(RenderStage.RENDERING, message)

    def frame(self, n: int) -> None:
        now = time.monotonic()
        if self._t0 is None:
            self._t0 = now
        self.rendered += 1
        self.done += 1
        spent = now - self._t0
        fps = self.rendered / spent if spent > 0 else 0.0
        self._slide = self.timeline.shot_for_frame(n).main_slide + 1
        self.emit(ProgressEvent(
            status=RenderStatus.STARTED, stage=RenderStage.RENDERING,
            percent=100.0 * self.done / self.total,
            message=f"Processing image {self._slide}/{self.slides}",
            frames_done=self.done, frames_total=self.total, fps=fps,
            eta=(self.total - self.done) / fps if fps > 0 else None,
            elapsed=now - self.started, slide=self._slide, slides=self.slides,
        ))

    def stage(self, stage: RenderStage, message: str) -> None:
        self.emit(ProgressEvent(
            status=RenderStatus.STARTED, stage=stage, percent=100.0 * self.done / self.total,
            message=message, frames_done=self.done, frames_total=self.total,
            elapsed=time.monotonic() - self.started, slide=self._slide, slides=self.slides,
        ))


class _FrameCounter(Protocol):
    def frame(self, n: int) -> None:
        """Frame ``n`` of the show has gone into the encoder."""


def _encode_frames(comp: Compositor, first: int, end: int, pipe: FramePipe,
                   progress: _FrameCounter, cancel: CancelToken) -> None:
    for n in range(first, end):
        cancel.raise_if_cancelled()
        pipe.write(comp.frame(n))
        progress.frame(n)


def _fall_back(encoder: VideoEncoder, exc: RenderFailed, progress: _Progress,
               cancel: CancelToken) -> VideoEncoder:
    """After ``encoder`` (hardware) failed: the render starts again in software, and says so."""
    cancel.raise_if_cancelled()
    label = HARDWARE[encoder].label
    logger.warning("%s failed (%s); rendering in software", label, exc)
    progress.restart(f"{label} failed; rendering in software")
    return VideoEncoder.SOFTWARE


def _single_pass(spec: RenderSpec, comp: Compositor, tmp: Path, progress: _Progress,
                 cancel: CancelToken, encoder: VideoEncoder) -> VideoEncoder:
    """Render in one ffmpeg run; returns the encoder that made the video."""
    if spec.project.output.format is OutputFormat.GIF:  # no sound: nothing to measure
        with tempfile.TemporaryDirectory(prefix="simvid-gif-") as folder:
            _gif_pass(spec, comp, tmp, Path(folder), progress, cancel)
        return VideoEncoder.SOFTWARE
    # The whole show's sound is measured before the first frame is encoded (it decodes
    # only audio): the encoder then takes the mix with its gain.
    if spec.project.output.loudness.target is not None:
        progress.stage(RenderStage.PREPARING, "Measuring the soundtrack's loudness")
    gain = loudness_gain(spec.project, comp.timeline, cancel=cancel)
    plan = soundtrack_plan(spec.project, comp.timeline, first_input_index=1, loudness=gain)
    keyframes = comp.timeline.slide_start_frames()
    with tempfile.TemporaryDirectory(prefix="simvid-meta-") as folder:
        meta = write_metadata(chapters_of(spec.project, comp.timeline),
                              Path(folder) / "chapters.ffmeta")
        while True:
            args = single_pass_args(spec.project, plan, tmp, keyframes, meta, encoder)
            try:
                with FramePipe(args, spec.output, cancel) as pipe:
                    _encode_frames(comp, 0, comp.timeline.frame_count, pipe, progress, cancel)
                    cancel.raise_if_cancelled()
                    progress.stage(RenderStage.FINALIZING, "Finishing the video")
                    pipe.finish()
                return encoder
            except RenderFailed as exc:
                if encoder is VideoEncoder.SOFTWARE:
                    raise
                encoder = _fall_back(encoder, exc, progress, cancel)


def _gif_pass(spec: RenderSpec, comp: Compositor, tmp: Path, folder: Path,
              progress: _Progress, cancel: CancelToken) -> None:
    """A GIF in one pass: the frames into a lossless file in ``folder``, then the GIF from
    it, with a palette per scene (``render.gif``)."""
    frames = folder / "frames.mp4"
    with FramePipe(segment_args(spec.project, frames), spec.output, cancel) as pipe:
        _encode_frames(comp, 0, comp.timeline.frame_count, pipe, progress, cancel)
        cancel.raise_if_cancelled()
        pipe.finish()
    progress.stage(RenderStage.FINALIZING, "Making the GIF: a palette for each scene")
    encode_gif(spec.project, ["-i", str(frames)], tmp, folder)


def render_segment(comp: Compositor, seg: Segment, work: WorkDir, progress: _FrameCounter,
                   cancel: CancelToken,
                   encoder: VideoEncoder = VideoEncoder.SOFTWARE) -> None:
    """Render one piece into the work folder (renamed into place when complete)."""
    final = work.segment_path(seg)
    part = work.part(final)
    try:
        keyframes = [n - seg.first for n in comp.timeline.slide_start_frames()
                     if seg.first < n < seg.end]
        args = segment_args(comp.project, part, keyframes, encoder, FrameRange(seg.first, seg.end))
        with FramePipe(args, final, cancel) as pipe:
            _encode_frames(comp, seg.first, seg.end, pipe, progress, cancel)
            pipe.finish()
        work.commit(part, final, seg.frames)
    finally:
        part.unlink(missing_ok=True)


def render_audio(project: Project, total: float, work: WorkDir) -> None:
    """The whole show's soundtrack, once, beside the segments (which are video only).

    A GIF has none. Its loudness is measured and set over the whole show here, never per
    segment. A
    resumed render reuses the file already made (the work folder's fingerprint covers the
    project, its loudness setting included); made again, it gets the same gain, which
    depends on the project alone.
    """
    if not project.output.format.has_audio or work.verified(work.audio_path):
        return
    part = work.part(work.audio_path)
    try:
        timeline = Timeline(project)
        plan = soundtrack_plan(project, timeline, first_input_index=0,
                               loudness=loudness_gain(project, timeline))
        run_encode(audio_args(plan, part, project.output.format), work.audio_path)
        work.commit(part, work.audio_path)
    finally:
        part.unlink(missing_ok=True)


def join_segments(project: Project, work: WorkDir, segments: list[Segment],
                  tmp: Path) -> None:
    """Concatenate the pieces and the music into ``tmp`` without re-encoding (with the
    show's chapters); a GIF's lossless pieces are encoded into the GIF here."""
    listing = work.concat_list(segments)
    fmt = project.output.format
    if fmt is OutputFormat.GIF:
        encode_gif(project, concat_input(listing), tmp, listing.parent)
        return
    meta = (write_metadata(chapters_of(project), work.chapters_path)
            if fmt.has_chapters else None)
    run_encode(join_args(project, listing, work.audio_path, meta, tmp), tmp)


def _segmented(spec: RenderSpec, comp: Compositor, tmp: Path, progress: _Progress,
               cancel: CancelToken, encoder: VideoEncoder) -> tuple[int, VideoEncoder]:
    """Render in resumable pieces; returns (frames resumed, the encoder that made them)."""
    assert spec.work_dir is not None
    segments = plan_segments(spec.project, spec.segment_seconds)
    work = WorkDir(spec.work_dir, spec.project.output.format)
    while True:
        # Pieces of one encoder only: the join copies them into one stream.
        work.prepare(fingerprint(spec.project, segments, encoder))
        resumed = sum(s.frames for s in segments if work.done(s))
        if resumed:
            logger.info("resuming: %d of %d frames already rendered", resumed, progress.total)
            progress.skip(resumed)
        try:
            for seg in segments:
                if not work.done(seg):
                    render_segment(comp, seg, work, progress, cancel, encoder)
            break
        except RenderFailed as exc:
            if encoder is VideoEncoder.SOFTWARE:
                raise
            encoder = _fall_back(encoder, exc, progress, cancel)
    cancel.raise_if_cancelled()
    progress.stage(RenderStage.FINALIZING, "Joining segments and music")
    render_audio(spec.project, comp.timeline.total, work)
    join_segments(spec.project, work, segments, tmp)
    return resumed, encoder


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
    started = time.monotonic()
    project, output = spec.project, Path(spec.output)
    emit = _reporter(progress)
    emit(ProgressEvent(status=RenderStatus.STARTED, stage=RenderStage.PREPARING, percent=0.0,
                       message="Checking photos", slides=len(project.slides)))
    tmp = temp_path_for(output)
    resumed = 0
    try:
        if spec.collision is CollisionPolicy.REFUSE and output.exists():
            raise refused(output)  # before the render, not after it
        if spec.checked:
            ensure_still_there(project)
        else:
            ensure_valid(project, output)
        cancel.raise_if_cancelled()
        enc = project.output.encoder
        # Hardware makes H.264 only: the other formats are encoded in software.
        chosen = (resolve(project.output.video_encoder, enc.crf, enc.x264_preset)
                  if project.output.format.is_h264 else VideoEncoder.SOFTWARE)
        with Compositor(project) as comp:
            tracker = _Progress(progress, comp)
            comp.focus(0, 0)
            if spec.work_dir is None:
                used = _single_pass(spec, comp, tmp, tracker, cancel, chosen)
            else:
                resumed, used = _segmented(spec, comp, tmp, tracker, cancel, chosen)
            frames, duration = comp.timeline.frame_count, comp.timeline.total
        cancel.raise_if_cancelled()
        output = place_output(tmp, output, spec.collision)
        _chapter_list(project, output)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        elapsed = time.monotonic() - started
        # A work folder is kept on any failure: whoever owns it (the queue) decides
        # whether the job will resume from it or is over.
        if isinstance(exc, RenderCancelled):
            emit(ProgressEvent(status=RenderStatus.CANCELED, stage=RenderStage.DONE,
                               percent=0.0, message="Cancelled", elapsed=elapsed))
        elif isinstance(exc, SimvidError):
            emit(ProgressEvent(status=RenderStatus.FAILED, stage=RenderStage.DONE,
                               percent=0.0, message=str(exc), elapsed=elapsed))
        raise
    if spec.work_dir is not None:
        WorkDir(spec.work_dir).remove()
    elapsed = time.monotonic() - started
    outcome = RenderOutcome(output, output.stat().st_size, duration, frames, elapsed, resumed,
                            encoder=used.value, fell_back=used is not chosen)
    emit(ProgressEvent(status=RenderStatus.FINISHED, stage=RenderStage.DONE, percent=100.0,
                       message=f"Saved {output.name}", frames_done=frames, frames_total=frames,
                       fps=(frames - resumed) / elapsed, eta=0.0, elapsed=elapsed,
                       slide=len(project.slides), slides=len(project.slides)))
    logger.info("rendered %s: %d frames in %.1fs (%s compositing)", output, frames, elapsed,
                backend())
    return outcome


# -- one show, several workers -------------------------------------------------------------
# A render farm splits a long show: every worker takes pieces from a shared list and renders
# them into the same work folder (on shared storage); one of them then joins the pieces.

PieceProgress = Callable[[int, int], None]  #: (piece index, frames of it done)


def render_handed_pieces(
    project: Project,
    work_dir: Path,
    segment_seconds: float,
    next_piece: Callable[[], int | None],
    progress: PieceProgress | None = None,
    cancel: CancelToken | None = None,
) -> int:
    """Render the pieces ``next_piece`` hands out, until it returns None; returns how many.

    A piece already on disk (finished by another worker) is skipped.
    """
    cancel = cancel or CancelToken()
    index = next_piece()
    if index is None:  # nothing left: leave no trace (the show may be finished already)
        return 0
    segments = plan_segments(project, segment_seconds)
    work = WorkDir(work_dir, project.output.format)
    work.prepare(fingerprint(project, segments), clear_parts=False)
    rendered = 0
    with Compositor(project) as comp:
        while index is not None:
            cancel.raise_if_cancelled()
            seg = segments[index]
            if work.done(seg):
                index = next_piece()
                continue
            first_slide = comp.timeline.shot_for_frame(seg.first).main_slide
            comp.focus(first_slide, first_slide)
            render_segment(comp, seg, work, _PieceReporter(seg, progress), cancel)
            rendered += 1
            index = next_piece()
    return rendered


class _PieceReporter:
    """Reports how many frames of a piece are done (every frame: the farm throttles)."""

    def __init__(self, seg: Segment, progress: PieceProgress | None) -> None:
        self.seg, self.progress = seg, progress

    def frame(self, n: int) -> None:
        if self.progress is not None:
            self.progress(self.seg.index, n - self.seg.first + 1)


def finish_pieces(project: Project, output: Path, work_dir: Path, segment_seconds: float,
                  collision: CollisionPolicy = CollisionPolicy.NUMBER) -> RenderOutcome:
    """Join the finished pieces and the music into ``output`` (moved into place as
    :func:`render` does: never replacing a file; the outcome says where it went).

    Raises:
        RenderFailed: a piece is missing or damaged (it is rendered again), or ffmpeg failed.
        OutputError: the name is taken and the policy is to refuse.
    """
    started = time.monotonic()
    segments = plan_segments(project, segment_seconds)
    work = WorkDir(work_dir, project.output.format)
    missing = [s.index for s in segments if not work.done(s)]
    if missing:
        raise RenderFailed(f"cannot join {output.name}: pieces {missing} of the show are "
                           "missing or damaged", transient=True)
    total = Timeline(project).total
    tmp = temp_path_for(output)
    try:
        render_audio(project, total, work)
        join_segments(project, work, segments, tmp)
        output = place_output(tmp, output, collision)
        _chapter_list(project, output)
    finally:
        tmp.unlink(missing_ok=True)
    frames = segments[-1].end if segments else 0
    return RenderOutcome(output, output.stat().st_size, total, frames,
                         time.monotonic() - started)
