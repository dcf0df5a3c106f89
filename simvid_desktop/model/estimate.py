"""How big the finished MP4 will be, before rendering it: a rough number for the output panel.

Qt-free so it can be unit-tested and reused by the CLI. The numbers come from renders of
this very pipeline (x264 High profile, yuv420p, 5 slides x 4 s, 0.8 s fades, 20 s, measured
with ``ffmpeg -i`` stream bitrates), not from generic streaming tables:

====================================  ==========================  ======================
1080p30, quality "standard" (CRF 23)  small soft photos (demo)    detailed 6 MP photos
====================================  ==========================  ======================
stills, no transitions                0.008 bit/pixel/frame       0.032
stills with fades                     0.019                       0.078
Ken Burns motion with fades           0.031                       0.097
====================================  ==========================  ======================

Typical phone photos land between the two columns, hence :data:`STILL_BPP` 0.03 and
:data:`MOTION_BPP` 0.05 (motion costs more because every frame differs; still frames cost
almost nothing after their first frame). Other measured effects, folded in below:

* resolution: 720p needed 1.83x fewer bits than 1080p for 2.25x fewer pixels, so bits grow
  like pixels ** 0.75 (:data:`PIXEL_EXPONENT`): bigger frames compress better per pixel;
* frame rate: 24, 30 and 60 fps stills gave 4.9, 4.8 and 4.5 Mb/s; x264 spends its bits on
  changes, not on repeated frames, so the rate hardly matters (:data:`FPS_EXPONENT`);
* quality: ``standard`` is now x264 veryfast with ``weightp=2:bframes=5``, CRF 21 (22.25
  over video clips), measured at 0.81-1.00x the size of medium CRF 23
  (``benchmarks/quality_bench.py``), so the CRF 23 figures above stand for it; draft /
  high / best gave 0.37 / 1.38 / 1.86 x the standard size (:data:`QUALITY_FACTOR`; draft
  also encodes with ``veryfast``, which costs bits);
* audio: AAC at 192 kb/s, Opus at 160 kb/s in WebM, PCM (1536 kb/s) in MOV
  (``render/formats.py``), whatever the music; a GIF has none;
* format: the other codecs' sizes relative to H.264 at the same named quality were measured
  on the benchmark show (``benchmarks/format_bench.py``, :data:`FORMAT_FACTOR`). ProRes
  and GIF do not follow H.264's curve at all: ProRes spends a near-constant number of bits
  per pixel, a GIF's dithered palette frames compress poorly; both get their own measured
  bits per pixel per frame (:data:`FIXED_BPP`, for the frames they keep).
"""

from __future__ import annotations

from simvid_desktop.model.project import (
    MotionMode,
    OutputFormat,
    Project,
    Quality,
    gif_fps,
)

#: bits per pixel per frame at 1080p30, CRF 23, for a show of still slides with transitions
STILL_BPP = 0.03
#: the same for slides with Ken Burns motion
MOTION_BPP = 0.05
#: frame size to which the two constants above were fitted (1080p)
REFERENCE_PIXELS = 1920 * 1080
#: bits grow sub-linearly with the pixel count (measured 720p vs 1080p)
PIXEL_EXPONENT = 0.75
#: frame rate the constants were measured at
REFERENCE_FPS = 30
#: bits hardly grow with the frame rate for slideshows (measured 24 / 30 / 60 fps)
FPS_EXPONENT = 0.1
#: size relative to "standard" for each named quality (measured, see the module docstring)
QUALITY_FACTOR = {Quality.DRAFT: 0.4, Quality.STANDARD: 1.0, Quality.HIGH: 1.4, Quality.BEST: 1.9}
#: the render's audio bitrate: AAC 192 kb/s
AUDIO_BITS_PER_SECOND = 192_000
#: the sound's bitrate per format (see ``render/formats.py``)
AUDIO_BITRATE = {
    OutputFormat.MP4: AUDIO_BITS_PER_SECOND, OutputFormat.MP4_HEVC: AUDIO_BITS_PER_SECOND,
    OutputFormat.MP4_AV1: AUDIO_BITS_PER_SECOND, OutputFormat.WEBM_AV1: 160_000,
    OutputFormat.WEBM_VP9: 160_000, OutputFormat.MOV_PRORES: 48_000 * 16 * 2,
    OutputFormat.GIF: 0,
}
#: video size relative to H.264 at the same named quality (benchmarks/format_bench.py)
#: (video streams at "standard", 1080p30 Ken Burns, each within 0.002 of x264's SSIM)
FORMAT_FACTOR = {
    OutputFormat.MP4: 1.0, OutputFormat.MP4_HEVC: 0.42, OutputFormat.MP4_AV1: 0.34,
    OutputFormat.WEBM_AV1: 0.34, OutputFormat.WEBM_VP9: 0.69,
}
#: bits per pixel per kept frame of the formats that do not follow H.264's curve (the
#: same show: ProRes 422 163 Mb/s at 1080p30; the GIF 22 MB for 21 s at 640x360, 15 fps)
FIXED_BPP = {OutputFormat.MOV_PRORES: 2.6, OutputFormat.GIF: 2.9}
#: MP4 container overhead (moov index, sample tables): about half a percent
CONTAINER_OVERHEAD = 1.005


def motion_fraction(project: Project) -> float:
    """Share of the show's time spent on slides that move (weighted by slide duration)."""
    total = project.total_duration
    if total <= 0:
        return 0.0
    moving = sum(
        project.duration_of(i)
        for i in range(len(project.slides))
        if project.motion_of(i).mode is not MotionMode.NONE
    )
    return moving / total


def quality_factor(project: Project) -> float:
    """Size relative to CRF 23; a pinned CRF uses x264's rule of thumb (6 steps = 2x)."""
    out = project.output
    if out.crf is not None:
        return float(2.0 ** ((23 - out.crf) / 6.0))
    return QUALITY_FACTOR[out.quality]


def video_bitrate(project: Project) -> float:
    """Estimated video bits per second for the project's output settings."""
    width, height = project.output.size
    pixels = width * height
    fps = project.output.fps
    fmt = project.output.format
    if fmt in FIXED_BPP:
        kept = gif_fps(fps) if fmt is OutputFormat.GIF else fps
        return FIXED_BPP[fmt] * pixels * kept
    share = motion_fraction(project)
    bpp = STILL_BPP + (MOTION_BPP - STILL_BPP) * share
    # bpp is per pixel per frame at the reference size and rate; scale both sub-linearly.
    size_scale = float((pixels / REFERENCE_PIXELS) ** PIXEL_EXPONENT)
    fps_scale = float((fps / REFERENCE_FPS) ** FPS_EXPONENT)
    reference_rate = bpp * REFERENCE_PIXELS * REFERENCE_FPS
    return (reference_rate * size_scale * fps_scale * quality_factor(project)
            * FORMAT_FACTOR[fmt])


def estimate_size_bytes(project: Project) -> int:
    """Rough size of the rendered MP4 in bytes (within a factor of about two).

    Good enough to warn before a 4K hour fills a disk; not a promise: the photos' detail
    decides the real number.
    """
    seconds = project.total_duration
    if seconds <= 0:
        return 0
    audio = AUDIO_BITRATE[project.output.format]
    bits = (video_bitrate(project) + audio) * seconds * CONTAINER_OVERHEAD
    return int(bits / 8)

