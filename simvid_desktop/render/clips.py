"""Frames of a video clip for the timeline: probe -> one filtergraph -> raw yuv420p pipe.

The pipeline
------------
1. :func:`~simvid_desktop.render.clip_probe.probe_clip` reads ``ffmpeg -i`` once: the
   displayed size (rotation, pixel aspect), colour tags, interlacing, length and rate.
2. :class:`ClipReader` starts *one* ffmpeg per clip whose filtergraph does all the pixel
   work, so Python only reads bytes (``readinto`` a ring of preallocated frames):

   ``[bwdif] -> tpad -> [setpts] -> fps -> trim -> scale/colour -> [transpose] -> fit``

   * ``bwdif`` (field rate) on clips flagged interlaced, before anything mixes lines;
   * ``fps`` turns any timing (variable rate too) into the show's constant rate, early,
     so a 60 fps clip in a 30 fps show scales and converts only the frames it shows
     (measured: streaming a 4K 60 fps clip into 1080p at 30 fps takes about 1.4-1.6x
     the CPU of a plain ``ffmpeg -i clip -f null -`` decode of it);
   * the scale converts colour as tagged: BT.601/709 matrices and full/limited range by
     swscale (``in_color_matrix``/``in_range`` set explicitly: untagged means BT.709
     limited, never swscale's BT.601 default); BT.2020 by zscale (primaries converted);
     PQ/HLG by zscale to linear light (1.0 = 100 nits, SDR white), ``tonemap=mobius``
     and back to BT.709, at the output size (the tone mapping runs in float: never at
     4K). Mobius keeps what lies within SDR range as shot (a mid-grey patch stays
     mid-grey, colours keep their saturation; ``hable`` made the same grey 128 -> 86)
     and rolls off only the highlights above SDR white;
   * rotation is applied by us (``-noautorotate`` + ``transpose``/flips) after the
     downscale, from the same probe that sized the frame, so size and picture agree;
   * fit like photos (:mod:`~simvid_desktop.render.fit`): ``pad`` (TV black Y=16),
     ``crop`` (cover), or a 1/16-size ``gblur`` copy darkened x0.6 and ``overlay``;
   * output is always ``yuv420p`` BT.709 limited range, exactly ``size``: a
     :class:`~simvid_desktop.render.yuv.Frame`.

Time semantics (sample and hold)
--------------------------------
Clip time ``t`` counts from the container's start (the first frame, for any normal
clip). ``frame_at(t)`` shows the last source frame whose timestamp is <= t: ``fps``
rounds each source timestamp *up* onto the output grid (``round=up``), so a frame
stamped p is shown from the first grid time >= p on. Before the first frame the first
frame is shown (``fps`` pads); past the end the last one is held (``tpad`` appends a
clone of it, so that ``fps`` keeps the real last frame whatever the end-of-stream
timestamp says: alone at the end, mkv's last frame was dropped; after the end, a
fresh seek finds that frame by decoding the tail).

Streaming and seeking give the same frames bit for bit because both make the same
decisions on the same numbers:

* timestamps stay the file's own (``-copyts``);
* the times a reader is asked for, ``t0 + n/fps``, are split into an integer tick and
  a phase, ``(start + t) * fps = m + phase``. The phase (kept in millionths of a frame)
  is the same for every time of one grid, so ``setpts`` subtracts the same constant
  from the same source timestamps in both cases;
* ``fps`` rounds them to absolute ticks, ``ceil(pts * fps)``, because its
  ``start_time`` is a whole second, exact in any time base (a fractional one is
  rounded into the input time base first and moved frames near a tick boundary by
  one); ``trim=start_pts=m`` (integers) then starts the output at tick m;
* a seek is an input seek to ``_MARGIN`` (2 s) before t with ``-noaccurate_seek``:
  decoding starts at the keyframe at or before that point and *every* frame from
  there reaches ``fps`` (``trim`` drops what precedes tick m only after it), so the
  frame held at t is decoded even when it lies before the seek point (a variable-rate
  gap longer than the margin, e.g. a screen recording of a still screen; an accurate
  seek discarded it and ``fps`` padded with the frame *after* the gap). The margin
  gives ``bwdif`` its neighbours. Decoding from a keyframe is deterministic, so the
  frames equal those decoded from the start (open-GOP leading pictures lie before
  their keyframe: never needed). Tested on H.264 and open-GOP HEVC, MP4 and MKV,
  constant and variable rate, with a 3 s gap.
"""

from __future__ import annotations

import io
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import cast

import numpy as np
from PIL import Image

from simvid_desktop.errors import ClipUnreadable
from simvid_desktop.model.project import FitMode
from simvid_desktop.render.clip_probe import ClipInfo, probe_clip
from simvid_desktop.render.encoder import FRAMES_IN_FLIGHT
from simvid_desktop.render.ffmpeg import FFmpegProcess
from simvid_desktop.render.fit import fitted_size
from simvid_desktop.render.yuv import Frame, frame_to_rgb

__all__ = ["ClipInfo", "ClipReader", "clip_filtergraph", "clip_frame_rgb", "probe_clip"]

logger = logging.getLogger(__name__)

#: Seconds decoded before a seek target: covers variable-rate gaps and bwdif's neighbours.
_MARGIN = 2.0
#: Buffers frames are read into in turn (see ClipReader): more than the render's encoder
#: pipe holds at once (its queue of 4 and the frame being written), so a frame handed on
#: is written before its buffer is read into again.
_RING = FRAMES_IN_FLIGHT + 3
_PHASE_STEPS = 1_000_000  # the phase is kept in millionths of a frame
_SCALE_FLAGS = "bicubic+accurate_rnd+full_chroma_int"
_SWS_MATRIX = {"bt709": "bt709", "bt470bg": "bt601", "smpte170m": "bt601",
               "smpte240m": "smpte240m", "fcc": "fcc"}
_BT2020 = {"bt2020nc", "bt2020c"}


def _even(value: float, *, up: bool = False) -> int:
    n = math.ceil(value / 2) if up else round(value / 2)
    return max(2, 2 * n)


@dataclass(frozen=True)
class _Grid:
    """A time on the output grid: integer tick ``m`` plus a phase in millionths."""

    tick: int
    phase: int

    @classmethod
    def of(cls, info: ClipInfo, t: float, fps: int) -> _Grid:
        q = (info.start + t) * fps
        tick = math.floor(q)
        phase = round((q - tick) * _PHASE_STEPS)
        if phase >= _PHASE_STEPS:
            tick, phase = tick + 1, 0
        return cls(tick, phase)


def _placement(info: ClipInfo, size: tuple[int, int], fit: FitMode) -> tuple[int, int]:
    """Even size (displayed orientation) the clip is scaled to before pad/crop/overlay."""
    w, h = size
    tw, th = fitted_size((info.width, info.height), size, fit)
    if fit is FitMode.CROP:
        return max(w, _even(tw, up=True)), max(h, _even(th, up=True))
    return min(w, _even(tw)), min(h, _even(th))


def _colour_chain(info: ClipInfo, sw: int, sh: int) -> list[str]:
    """Scale to (sw, sh) stored orientation and convert to BT.709 limited yuv420p."""
    rng = "pc" if info.color_range == "pc" or info.pix_fmt.startswith("yuvj") else "tv"
    space = info.color_space or "bt709"
    if space not in _BT2020 and not info.hdr:
        matrix = _SWS_MATRIX.get(space, "bt709")
        return [f"scale=w={sw}:h={sh}:flags={_SCALE_FLAGS}:in_color_matrix={matrix}"
                f":in_range={rng}:out_color_matrix=bt709:out_range=tv", "format=yuv420p"]
    zin = "rin={}:min={}:pin={}".format(
        "full" if rng == "pc" else "limited",
        "2020_cl" if space == "bt2020c" else ("2020_ncl" if space in _BT2020 else "709"),
        "2020" if info.color_primaries in (None, "bt2020") else info.color_primaries)
    chain = [f"scale=w={sw}:h={sh}:flags={_SCALE_FLAGS}"]  # size only, in the source depth
    if info.hdr:
        chain += [f"zscale={zin}:tin={info.color_transfer}:t=linear:npl=100",
                  "format=gbrpf32le", "zscale=p=709", "tonemap=tonemap=mobius:desat=0",
                  "zscale=t=709:m=709:r=limited"]
    else:
        tin = info.color_transfer if info.color_transfer in ("bt709", "bt2020-10",
                                                             "bt2020-12") else "709"
        chain.append(f"zscale={zin}:tin={tin}:t=709:m=709:p=709:r=limited")
    return [*chain, "format=yuv420p"]


def _fit_chain(size: tuple[int, int], scaled: tuple[int, int], fit: FitMode) -> str:
    w, h = size
    tw, th = scaled
    x, y = ((tw - w) // 2) & ~1, ((th - h) // 2) & ~1
    if fit is FitMode.CROP:
        return f"crop={w}:{h}:{x}:{y}" if (tw, th) != size else "null"
    x, y = ((w - tw) // 2) & ~1, ((h - th) // 2) & ~1
    if (tw, th) == size:
        return "null"
    if fit is FitMode.LETTERBOX:
        return f"pad={w}:{h}:{x}:{y}:color=black"
    # BLUR: as fit.py, a 1/16-size cover of the clip, blurred, x0.6, scaled up smoothly.
    # At least 16 px: gblur smears chroma across a 2x2 chroma plane (a 4x4 picture).
    small = (min(w, max(16, _even(w / 16))), min(h, max(16, _even(h / 16))))
    cw, ch = fitted_size(scaled, small, FitMode.CROP)
    cw, ch = max(small[0], _even(cw, up=True)), max(small[1], _even(ch, up=True))
    sigma = max(1.0, small[0] / 60)
    dark = "lutyuv=y=16+(val-16)*0.6:u=128+(val-128)*0.6:v=128+(val-128)*0.6"
    return (f"split[fg][bg];[bg]scale={cw}:{ch}:flags=area,"
            f"crop={small[0]}:{small[1]},gblur=sigma={sigma:.3f},{dark},"
            f"scale={w}:{h}:flags=bicubic[back];[back][fg]overlay={x}:{y}:format=yuv420")


def clip_filtergraph(info: ClipInfo, size: tuple[int, int], fit: FitMode, fps: int,
                     grid: _Grid | None) -> str:
    """The whole filtergraph from decoded frames to ``size`` yuv420p frames at ``fps``.

    ``grid`` anchors the output times (see the module docstring); None keeps every
    output frame from the first decoded one (used to find a clip's last frame).
    """
    chain: list[str] = []
    if info.interlaced:
        chain.append("bwdif=mode=send_field:parity=auto:deint=interlaced")
    # A clone of the last frame after it: fps decides on the real last frame like on any
    # other (alone at the end, its fate depended on the end-of-stream timestamp).
    chain.append("tpad=stop=1:stop_mode=clone")
    if grid is None:
        chain.append(f"fps=fps={fps}:round=up")
    else:
        if grid.phase:
            chain.append(f"setpts=PTS-{grid.phase / _PHASE_STEPS / fps:.12f}/TB")
        # fps counts ticks from start_time *rounded into the input time base*: a whole
        # second is exact in every time base, so ticks are absolute (ceil(pts * fps)).
        # It pads with the first frame before it (times before the clip's start), and
        # trim (integer ticks) drops what precedes the tick asked for.
        whole = math.floor(grid.tick / fps) - 1
        chain += [f"fps=fps={fps}:start_time={whole}:round=up", f"trim=start_pts={grid.tick}"]
    dw, dh = _placement(info, size, fit)
    turned = info.rotation in (90, 270)
    chain += _colour_chain(info, *((dh, dw) if turned else (dw, dh)))
    chain += {90: ["transpose=clock"], 180: ["hflip", "vflip"],
              270: ["transpose=cclock"]}.get(info.rotation, [])
    chain += ["setsar=1", _fit_chain(size, (dw, dh), fit)]
    return ",".join(chain)


def _ffmpeg_args(info: ClipInfo, graph: str, seek: float | None) -> list[str]:
    args = ["-v", "error", "-nostats", "-noautorotate"]
    if seek is not None and seek > 0:
        # Keep every frame from the keyframe before the seek point: the frame held at t
        # may lie before it (a long variable-rate gap); trim drops the rest after fps.
        args += ["-ss", f"{seek:.6f}", "-noaccurate_seek"]
    return [*args, "-copyts", "-i", str(info.path), "-an", "-sn", "-dn",
            "-filter_complex", f"[0:v:0]{graph}[out]", "-map", "[out]",
            "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "yuv420p", "pipe:1"]


class ClipReader:
    """Frames of one clip placed in the show's frame, streamed from one ffmpeg process.

    A returned frame is shared, not copied: callers must not modify it, and it stays
    valid while the reader returns ``_RING - 1`` more frames (7; asking again for the
    same time or past the end returns the same frame and reads nothing). Keep one
    longer with ``frame.copy()``. Each frame read is a new :class:`Frame` object over a
    reused buffer, so whatever caches by frame (the transitions' blender) never takes
    a later frame for an earlier one.
    """

    def __init__(self, info: ClipInfo, size: tuple[int, int], fit: FitMode, fps: int) -> None:
        w, h = size
        if w <= 0 or h <= 0 or w % 2 or h % 2:
            raise ValueError(f"frame size must be even and positive, got {w}x{h}")
        self.info = info
        self.size = size
        self.fit = fit
        self.fps = fps
        self._proc: FFmpegProcess | None = None
        self._next: _Grid | None = None  # the grid time the next frame read will show
        self._last: Frame | None = None  # the frame last returned
        self._last_grid: _Grid | None = None
        self._eof = False
        # Frames are read into these in turn: a fresh 3 MB buffer per 1080p frame costs
        # page faults (a quarter of the reader's time in a 4K -> 1080p test).
        self._ring = [Frame.empty(w, h).buf for _ in range(_RING)]
        self._slot = 0

    # -- process ---------------------------------------------------------------------
    def _start(self, grid: _Grid | None, seek_to: float) -> FFmpegProcess:
        self._stop()
        graph = clip_filtergraph(self.info, self.size, self.fit, self.fps, grid)
        self._proc = FFmpegProcess(_ffmpeg_args(self.info, graph, seek_to), stdout=True)
        self._eof = False
        return self._proc

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.kill()
            proc.__exit__(None, None, None)

    def _read(self) -> Frame | None:
        """The next frame from the pipe; None at its end."""
        assert self._proc is not None and self._proc.proc.stdout is not None
        pipe = cast(io.RawIOBase, self._proc.proc.stdout)  # unbuffered: a FileIO
        frame = Frame(self._ring[self._slot], *self.size)
        self._slot = (self._slot + 1) % len(self._ring)
        view = frame.buf.data
        got, total = 0, len(view)
        while got < total:
            n = pipe.readinto(view[got:])
            if not n:
                break
            got += n
        if got < total:
            self._eof = True
            return None
        return frame

    def _failure(self, what: str) -> ClipUnreadable:
        tail = self._proc.log_tail(3).replace("\n", " | ") if self._proc else ""
        return ClipUnreadable(self.info.path, what + (f" ({tail})" if tail else ""))

    # -- frames ----------------------------------------------------------------------
    def frame_at(self, t: float) -> Frame:
        """The frame showing at clip time ``t`` (clamped into the clip); see module doc."""
        grid = _Grid.of(self.info, t, self.fps)
        if grid == self._last_grid and self._last is not None:
            return self._last
        if self._proc is not None and grid == self._next:
            if self._eof:  # held past the end
                frame: Frame | None = self._last
            else:
                frame = self._read()
                frame = frame if frame is not None else self._last
        else:
            self._start(grid, t - _MARGIN)
            frame = self._read()
            if frame is None:
                frame = self._tail_frame(t)
        assert frame is not None
        self._last, self._last_grid = frame, grid
        self._next = _Grid(grid.tick + 1, grid.phase)
        return frame

    def _tail_frame(self, t: float) -> Frame:
        """Past the clip's real end: its last frame, found by decoding to the end."""
        end = min(t, self.info.duration)
        for back in (_MARGIN, 10 * _MARGIN, math.inf):
            self._start(None, end - back)  # a seek to <= 0 decodes from the start
            last = None
            while (frame := self._read()) is not None:
                last = frame
            if last is not None:
                self._eof = True
                return last
            if end - back <= 0:
                break
        raise self._failure("no video frame could be decoded")

    def close(self) -> None:
        """Stop and reap ffmpeg (safe to call twice)."""
        self._stop()
        self._next = None

    def __enter__(self) -> ClipReader:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __del__(self) -> None:  # a forgotten reader must not leave ffmpeg running
        if getattr(self, "_proc", None) is not None:
            self.close()


def clip_frame_rgb(info: ClipInfo, t: float, size: tuple[int, int] | None = None) -> Image.Image:
    """One frame as RGB, converted as the render converts it, fitted inside ``size``.

    For thumbnails and the preview of a clip slide. ``size`` None means the clip's own
    displayed size.
    """
    box = size or (info.width, info.height)
    fw, fh = fitted_size((info.width, info.height), box, FitMode.LETTERBOX)
    even = (_even(fw, up=True), _even(fh, up=True))
    # Any rate shows the same frame at t (the phase puts t itself on the grid).
    with ClipReader(info, even, FitMode.CROP, 30) as reader:
        rgb = Image.fromarray(np.ascontiguousarray(frame_to_rgb(reader.frame_at(t))))
    if rgb.size != (fw, fh):
        rgb = rgb.resize((fw, fh), Image.Resampling.BICUBIC)
    return rgb


def open_clip(path: Path | str, size: tuple[int, int], fit: FitMode, fps: int) -> ClipReader:
    """Probe and open in one call (raises ClipUnreadable)."""
    return ClipReader(probe_clip(path), size, fit, fps)
