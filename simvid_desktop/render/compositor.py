"""Composing the frames of a show: the one code path behind both the video and the preview.

Each slide is prepared once (decoded at the size it needs, placed, converted to YUV,
caption laid out); a still slide (a photo without motion, a title card) is then a single
cached frame that every one of its video frames reuses. A video clip is prepared as a
reader that streams its frames, already placed, from its own ffmpeg (``render.clips``);
frames of the preview, asked for out of order, make it seek. Slides are prepared one or
two ahead on a background thread, and those already shown are dropped (a clip's ffmpeg
with them), so memory stays flat however many photos and clips a show has.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from PIL import Image

from simvid_desktop.model.project import Project, SlideKind
from simvid_desktop.model.timeline import Shot, Timeline
from simvid_desktop.render.captions import CaptionOverlay, make_caption
from simvid_desktop.render.clips import ClipReader, probe_clip
from simvid_desktop.render.fit import compose_canvas, decode_size
from simvid_desktop.render.images import load_rgb, probe_image
from simvid_desktop.render.motion import (
    MotionPath,
    canvas_scale,
    even,
    motion_path,
    source_box,
)
from simvid_desktop.render.resample import Resampler, mip_levels
from simvid_desktop.render.titles import render_title
from simvid_desktop.render.transitions import Blender, render_transition
from simvid_desktop.render.yuv import Frame, frame_from_rgb

logger = logging.getLogger(__name__)

@dataclass(frozen=True, eq=False)
class CanvasLevel:
    """The canvas of a moving slide, or a reduced copy of it: its luma plane and its two
    chroma planes stacked (U above V, as :attr:`Frame.uv`)."""

    luma: np.ndarray
    chroma: np.ndarray
    width: int
    height: int


@dataclass(eq=False)
class PreparedSlide:
    index: int
    still: Frame | None  #: the finished frame of a slide without motion
    #: for motion: the canvas, then smaller copies (each about 1/sqrt(2) of the one before)
    levels: tuple[CanvasLevel, ...] | None
    canvas: tuple[int, int]
    path: MotionPath | None
    caption: CaptionOverlay | None
    clip: ClipReader | None = None  #: a video clip's frames

    def close(self) -> None:
        if self.clip is not None:
            self.clip.close()


def prepare_slide(project: Project, index: int, size: tuple[int, int]) -> PreparedSlide:
    """Decode and place slide ``index`` for frames of ``size``. Raises MediaError."""
    slide = project.slides[index]
    caption = make_caption(slide.caption, size) if slide.caption else None
    if slide.clip is not None:
        reader = ClipReader(probe_clip(slide.clip.path), size, project.fit_of(index),
                            project.output.fps)
        return PreparedSlide(index, None, None, size, None, caption, reader)
    if slide.title is not None:
        frame = frame_from_rgb(render_title(slide.title, size))
        if caption is not None:
            caption.apply(frame)
        return PreparedSlide(index, frame, None, size, None, caption)
    assert slide.image is not None and slide.kind is SlideKind.PHOTO
    path = motion_path(project.motion_of(index), index)
    scale = canvas_scale(path)
    canvas = (even(size[0] * scale), even(size[1] * scale)) if path else size
    fit = project.fit_of(index)
    info = probe_image(slide.image)
    image = load_rgb(slide.image, decode_size((info.width, info.height), canvas, fit))
    frame = frame_from_rgb(compose_canvas(image, canvas, fit))
    del image
    if path is None:
        if caption is not None:
            caption.apply(frame)
        return PreparedSlide(index, frame, None, canvas, None, caption)
    min_zoom = min(path.start.zoom, path.end.zoom)
    levels = _canvas_levels(frame, mip_levels(canvas, min_zoom / scale))
    return PreparedSlide(index, None, levels, canvas, path, caption)


def _canvas_levels(frame: Frame, scales: list[float]) -> tuple[CanvasLevel, ...]:
    """The canvas and its reduced copies (Pillow's antialiased reduction, once per slide)."""
    levels = [CanvasLevel(frame.y, frame.uv, frame.width, frame.height)]
    for scale in scales[1:]:
        width, height = even(frame.width * scale), even(frame.height * scale)
        small = Frame.empty(width, height)
        for plane, src in zip(small.planes(), frame.planes(), strict=True):
            shape = (plane.shape[1], plane.shape[0])
            plane[:] = np.asarray(Image.fromarray(src).resize(shape, Image.Resampling.BILINEAR))
        levels.append(CanvasLevel(small.y, small.uv, width, height))
    return tuple(levels)


def _moving_frame(slide: PreparedSlide, u: float, size: tuple[int, int],
                  resampler: Resampler) -> Frame:
    """The view at progress ``u``, from the smallest canvas copy that still has at least
    one source pixel per output pixel (so two bilinear taps never alias)."""
    assert slide.levels is not None and slide.path is not None
    left, top, right, bottom = source_box(slide.path.at(u), slide.canvas)
    cw, ch = slide.canvas
    level = slide.levels[0]
    for smaller in slide.levels[1:]:
        if (right - left) * smaller.width / cw < size[0] * 0.9999:
            break
        level = smaller
    fx, fy = level.width / cw, level.height / ch
    out = Frame.empty(*size)
    resampler.frame(level.luma, level.chroma, (left * fx, top * fy, right * fx, bottom * fy), out)
    if slide.caption is not None:
        slide.caption.apply(out)
    return out


class Compositor:
    """Frames of one project at one size. Not thread-safe: one caller at a time."""

    def __init__(
        self,
        project: Project,
        size: tuple[int, int] | None = None,
        *,
        lookahead: int = 1,
        prefetch: bool = True,
    ) -> None:
        self.project = project
        self.size = size or project.output.size
        self.timeline = Timeline(project)
        self._lookahead = lookahead
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="slide-prep") if prefetch else None
        self._slides: dict[int, Future[PreparedSlide] | PreparedSlide] = {}
        self._resampler = Resampler()
        self._blender = Blender(self._resampler)
        self._last_moving: tuple[int, float, Frame] | None = None

    # -- slide cache ---------------------------------------------------------------------
    def _request(self, index: int) -> None:
        if index in self._slides or not 0 <= index < len(self.project.slides):
            return
        if self._pool is not None:
            self._slides[index] = self._pool.submit(prepare_slide, self.project, index, self.size)

    def slide(self, index: int) -> PreparedSlide:
        entry = self._slides.get(index)
        if entry is None:
            entry = prepare_slide(self.project, index, self.size)
        elif isinstance(entry, Future):
            entry = entry.result()
        self._slides[index] = entry
        return entry

    def focus(self, first: int, last: int) -> None:
        """Keep slides ``first..last`` (plus look-ahead) and drop the ones behind."""
        for index in [i for i in self._slides if i < first - 1 or i > last + self._lookahead + 1]:
            _discard(self._slides.pop(index))
        for index in range(first, last + self._lookahead + 1):
            self._request(index)

    # -- frames --------------------------------------------------------------------------
    def slide_frame(self, index: int, t: float) -> Frame:
        prepared = self.slide(index)
        if prepared.still is not None:
            return prepared.still
        if prepared.clip is not None:
            frame = prepared.clip.frame_at(self.timeline.clip_time(index, t))
            if prepared.caption is not None:
                frame = frame.copy()  # the reader's frame is shared
                prepared.caption.apply(frame)
            return frame
        u = self.timeline.slides[index].progress(t)
        if self._last_moving and self._last_moving[:2] == (index, u):
            return self._last_moving[2]
        frame = _moving_frame(prepared, u, self.size, self._resampler)
        self._last_moving = (index, u, frame)
        return frame

    def shot_frame(self, shot: Shot, t: float) -> Frame:
        self.focus(shot.a, shot.b if shot.b is not None else shot.a)
        a = self.slide_frame(shot.a, t)
        if shot.b is None or shot.kind is None:
            return a
        b = self.slide_frame(shot.b, t)
        return render_transition(shot.kind, a, b, shot.progress, self._blender)

    def frame(self, n: int) -> Frame:
        """Frame ``n`` of the video. The result may be shared: do not modify it."""
        t = self.timeline.time_of(n)
        return self.shot_frame(self.timeline.shot(t), t)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        for entry in self._slides.values():
            _discard(entry)
        self._slides.clear()
        self._blender.forget()

    def __enter__(self) -> Compositor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _discard(entry: Future[PreparedSlide] | PreparedSlide) -> None:
    """Forget a prepared slide, stopping a clip's ffmpeg (once it is ready, if it is
    being prepared now)."""
    if isinstance(entry, PreparedSlide):
        entry.close()
    elif not entry.cancel():
        entry.add_done_callback(_close_when_done)


def _close_when_done(future: Future[PreparedSlide]) -> None:
    if not future.cancelled() and future.exception() is None:
        future.result().close()
