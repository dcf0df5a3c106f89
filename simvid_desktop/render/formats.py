"""How each output format is encoded: the codec options per quality, the sound, the muxer,
and what the pieces of a segmented render are made of.

The one table of codec settings besides x264's (``hw_encoders.codec_args``). Each format's
settings per named quality, and why:

- **mp4** (H.264): x264 or a hardware encoder, as :mod:`hw_encoders` says.
- **mp4-hevc**: x265 at the untuned x264 presets' CRF + 2, one preset step faster (x265 is
  several times slower at the same name), tagged ``hvc1`` (Apple's players refuse
  ``hev1``), with forced frames as IDR so that seeking to a slide starts clean.
- **mp4-av1** / **webm-av1**: SVT-AV1, presets 9/8/6/5 and CRF 40/35/30/27 for draft to
  best (SVT-AV1 4.x warns that its presets from 10 up are for automated tooling and may
  show artefacts; the slower ones below 5 cost many times more).
- **webm-vp9**: libvpx-vp9 in constant quality (``-b:v 0 -crf``) with row
  multithreading (without it libvpx uses one core): draft ``deadline realtime``
  ``cpu-used`` 8 CRF 46; standard/high/best ``deadline good``, ``cpu-used`` 4/2/1, CRF
  29/27/24.
- **mov-prores**: ProRes 422 (``prores_ks`` profile 2; 422 HQ for ``best``), 10-bit 4:2:2,
  with PCM sound: ProRes is for editing further, editors take PCM without a decoding step
  or AAC's priming delay, and beside ProRes's ~150 Mb/s at 1080p the 1.5 Mb/s of PCM is
  nothing.
- **gif**: one palette per scene, ordered dithering (see :mod:`~simvid_desktop.render.gif`),
  at most :data:`~simvid_desktop.model.project.GIF_MAX_FPS` (the frame size is capped by
  the model, :func:`~simvid_desktop.model.project.gif_size`); no sound. Its frames are
  first encoded losslessly (as the pieces of a segmented render), then made into the GIF.

Every format is tagged BT.709 limited range (the GIF's RGB is converted from it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simvid_desktop.model.project import (
    X264_PRESETS,
    OutputFormat,
    Project,
    Quality,
    VideoEncoder,
)
from simvid_desktop.model.timeline import FrameRange, Timeline
from simvid_desktop.render.hw_encoders import codec_args

#: Our frames are BT.709 limited range: say so without converting (tagging only the output
#: would make ffmpeg convert from its BT.601 assumption for raw input).
TAG_BT709 = "setparams=range=tv:color_primaries=bt709:color_trc=bt709:colorspace=bt709"

_COLOUR_TAGS = ["-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709",
                "-color_range", "tv"]

_SVT_AV1 = {Quality.DRAFT: (9, 40), Quality.STANDARD: (8, 35), Quality.HIGH: (6, 30),
            Quality.BEST: (5, 27)}  #: (preset, crf)
#: (deadline, cpu-used, crf); CRF 29 at cpu-used 4 measured 0.9808 SSIM on the benchmark
#: show (x264 medium CRF 23: 0.9823) in 0.69x x264's video bits; CRF 33 fell to 0.9779.
#: ``good`` stops getting faster at cpu-used 5 (6 and 8 made the same file, 10 % faster
#: than 4), so draft is ``realtime`` cpu-used 8 at CRF 46: on the Ken Burns show 9x
#: faster than good/5 CRF 34, with x264 draft's SSIM (-0.0033 against medium CRF 23) at
#: 1.1x its size
_VP9 = {Quality.DRAFT: ("realtime", 8, 46), Quality.STANDARD: ("good", 4, 29),
        Quality.HIGH: ("good", 2, 27), Quality.BEST: ("good", 1, 24)}
#: x265's CRF for a given x264 CRF: measured on the benchmark show against a lossless
#: render, x265 fast CRF 25 has x264 medium CRF 23's SSIM within 0.002 (0.9806 against
#: 0.9823) in 0.42x its video bits; CRF 28 (ffmpeg's "looks like x264's 23") fell to 0.9772
X265_CRF_OFFSET = 2
#: (preset, crf) per quality: the x264 presets' CRF + 2 and one speed step faster, as
#: measured above (fixed here, so tuning x264's own presets does not move x265's)
_X265: dict[Quality, tuple[str, float]] = {
    Quality.DRAFT: ("superfast", 30), Quality.STANDARD: ("fast", 25),
    Quality.HIGH: ("medium", 22), Quality.BEST: ("medium", 19)}


@dataclass(frozen=True)
class Container:
    """A muxer and what goes with it."""

    muxer: str  #: ffmpeg's ``-f``
    suffix: str  #: the file suffix (of the pieces of a segmented render too)
    options: tuple[str, ...] = ()


_MP4 = Container("mp4", ".mp4", ("-movflags", "+faststart"))
_WEBM = Container("webm", ".webm")
_MOV = Container("mov", ".mov", ("-movflags", "+faststart"))
_GIF = Container("gif", ".gif", ("-loop", "0"))

CONTAINERS = {
    OutputFormat.MP4: _MP4, OutputFormat.MP4_HEVC: _MP4, OutputFormat.MP4_AV1: _MP4,
    OutputFormat.WEBM_AV1: _WEBM, OutputFormat.WEBM_VP9: _WEBM,
    OutputFormat.MOV_PRORES: _MOV, OutputFormat.GIF: _GIF,
}


def container(fmt: OutputFormat) -> Container:
    return CONTAINERS[fmt]


def piece_container(fmt: OutputFormat) -> Container:
    """What the pieces of a segmented render are written in: the format's own container,
    except for a GIF, whose pieces are lossless H.264 (its palettes are made at the join)."""
    return _MP4 if fmt is OutputFormat.GIF else CONTAINERS[fmt]


def _faster(x264_preset: str) -> str:
    i = X264_PRESETS.index(x264_preset) if x264_preset in X264_PRESETS else 5
    return X264_PRESETS[max(0, i - 1)]


def footage_frames(project: Project, span: FrameRange | None = None) -> list[FrameRange]:
    """The frames of ``span`` (default: the whole show) that show a video clip, its
    transitions included, counted from ``span.first``; touching ranges are merged."""
    timeline = Timeline(project)
    span = span or FrameRange(0, timeline.frame_count)
    fps = timeline.fps
    merged: list[FrameRange] = []  # in the show's frame numbers
    for index, _clip in project.clips:
        slide = timeline.slides[index]
        # frame n shows the show at (n + 0.5) / fps
        first = max(span.first, math.ceil(slide.visible_start * fps - 0.5 - 1e-9))
        end = min(span.end, math.ceil(slide.visible_end * fps - 0.5 - 1e-9))
        if first >= end:
            continue
        if merged and first <= merged[-1].end:
            merged[-1] = FrameRange(merged[-1].first, end)
        else:
            merged.append(FrameRange(first, end))
    return [FrameRange(r.first - span.first, r.end - span.first) for r in merged]


def x264_params(project: Project, span: FrameRange | None = None) -> str:
    """``-x264-params`` for the project's quality: its tuning, and a zone with its footage
    settings over the frames of ``span`` that show a video clip."""
    enc = project.output.encoder
    zones = "/".join(f"{r.first},{r.end - 1},{enc.footage}"
                     for r in footage_frames(project, span)) if enc.footage else ""
    return ":".join(filter(None, [enc.x264_params, f"zones={zones}" if zones else ""]))


def video_codec(project: Project, encoder: VideoEncoder = VideoEncoder.SOFTWARE,
                *, piece: bool = False, span: FrameRange | None = None) -> list[str]:
    """The ``-c:v`` options for the project's format and quality (``encoder``: H.264 only;
    ``piece``: a piece of a segmented render, which for a GIF is lossless H.264; ``span``:
    the show's frames this encoder gets, default all)."""
    out = project.output
    fmt, enc = out.format, out.encoder
    if fmt is OutputFormat.GIF:
        if piece:
            return ["-c:v", "libx264", "-preset", "ultrafast", "-qp", "0",
                    "-pix_fmt", "yuv420p"]
        return ["-c:v", "gif"]
    if fmt is OutputFormat.MP4:
        return codec_args(encoder, enc.crf, enc.x264_preset, x264_params(project, span))
    if fmt is OutputFormat.MP4_HEVC:
        x265_preset, x265_crf = _X265[out.quality]
        if out.x264_preset is not None:  # pinned (benchmarks): one step faster than x264
            x265_preset = _faster(out.x264_preset)
        if out.crf is not None:
            x265_crf = min(51, out.crf + X265_CRF_OFFSET)
        return ["-c:v", "libx265", "-preset", x265_preset, "-crf", f"{x265_crf:g}",
                "-forced-idr", "1",
                "-x265-params", "log-level=error", "-tag:v", "hvc1", "-pix_fmt", "yuv420p"]
    if fmt in (OutputFormat.MP4_AV1, OutputFormat.WEBM_AV1):
        preset, crf = _SVT_AV1[out.quality]
        return ["-c:v", "libsvtav1", "-preset", str(preset), "-crf", str(crf),
                "-pix_fmt", "yuv420p"]
    if fmt is OutputFormat.WEBM_VP9:
        deadline, cpu_used, crf = _VP9[out.quality]
        return ["-c:v", "libvpx-vp9", "-b:v", "0", "-crf", str(crf), "-deadline", deadline,
                "-cpu-used", str(cpu_used), "-row-mt", "1", "-pix_fmt", "yuv420p"]
    profile = "3" if out.quality is Quality.BEST else "2"
    return ["-c:v", "prores_ks", "-profile:v", profile, "-vendor", "apl0",
            "-pix_fmt", "yuv422p10le"]


def colour_tags(fmt: OutputFormat, *, piece: bool = False) -> list[str]:
    """BT.709 limited-range tags on the stream (a GIF is RGB: none)."""
    return [] if fmt is OutputFormat.GIF and not piece else list(_COLOUR_TAGS)


def takes_keyframes(fmt: OutputFormat) -> bool:
    """Whether frames can be forced to be keyframes (ProRes is all keyframes; a GIF has
    none, and its lossless pieces do not need them)."""
    return fmt not in (OutputFormat.MOV_PRORES, OutputFormat.GIF)


def audio_codec(fmt: OutputFormat) -> list[str]:
    """The sound: AAC in MP4, Opus in WebM, PCM in MOV (see the module docstring)."""
    if fmt in (OutputFormat.WEBM_AV1, OutputFormat.WEBM_VP9):
        return ["-c:a", "libopus", "-b:a", "160k", "-ar", "48000"]
    if fmt is OutputFormat.MOV_PRORES:
        return ["-c:a", "pcm_s16le", "-ar", "48000"]
    return ["-c:a", "aac", "-b:a", "192k", "-ar", "48000"]


def audio_piece(fmt: OutputFormat) -> Container:
    """What the soundtrack of a segmented render is written in, to be copied at the join."""
    if fmt in (OutputFormat.WEBM_AV1, OutputFormat.WEBM_VP9):
        return Container("webm", ".webm")
    if fmt is OutputFormat.MOV_PRORES:
        return Container("mov", ".mov")
    return Container("mp4", ".m4a")
