"""An animated GIF with one palette per scene.

A GIF frame has at most 256 colours. One palette for the whole show starves every photo
of its own colours; one per frame makes the dithering of a still hold change from frame
to frame (it shimmers) and keeps the encoder from reusing the pixels of the frame before.
So each scene gets its own: each stretch where one slide is shown alone, and each
transition, whose palette is made from the frames that mix both slides
(:meth:`~simvid_desktop.model.timeline.Timeline.scenes`).

Two ffmpeg runs over the show's frames, which were first encoded losslessly (the single
pass's intermediate file, or a segmented render's pieces):

1. **Palettes**: for each scene, ``palettegen`` over every one of its frames (256 colours,
   none kept for transparency), written as 16x16 BGRA images. At most
   :data:`SCENES_PER_RUN` scenes per run (each run decodes the small frames again).
2. **The GIF**: each frame is dithered to its scene's palette (``paletteuse new=1``, fed
   a stream with one palette per frame) with ordered (Bayer) dithering, which does not
   crawl from frame to frame as error diffusion does, at most
   :data:`~simvid_desktop.model.project.GIF_MAX_FPS` frames a second.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from simvid_desktop.errors import RenderFailed
from simvid_desktop.model.project import Project, gif_fps
from simvid_desktop.model.timeline import FrameRange, Timeline
from simvid_desktop.render.encoder import run_encode
from simvid_desktop.render.formats import TAG_BT709, container, video_codec

logger = logging.getLogger(__name__)

PALETTE_SIDE = 16  #: palettegen's output: 16x16 pixels, one colour each
PALETTE_BYTES = PALETTE_SIDE * PALETTE_SIDE * 4  #: as BGRA (paletteuse's palette format)
SCENES_PER_RUN = 48  #: palettes made by one ffmpeg run (its graph has a branch each)
_TO_RGB = "scale=in_color_matrix=bt709:in_range=tv:flags=bicubic"
_PALETTEGEN = "palettegen=stats_mode=full:reserve_transparent=0:max_colors=256"
_PALETTEUSE = "paletteuse=new=1:dither=bayer:bayer_scale=3"


def gif_frames(frames: int, fps: int) -> int:
    """How many frames a GIF of ``frames`` frames at ``fps`` keeps (the ``fps`` filter
    rounds each output time to the nearest input frame)."""
    return round(frames * gif_fps(fps) / fps)


def palette_args(source: Sequence[str], scenes: Sequence[FrameRange],
                 outputs: Sequence[Path]) -> list[str]:
    """One ffmpeg run writing the palette of each of ``scenes`` (frame numbers of the
    input ``source``, given as ffmpeg input options) to the matching file of ``outputs``."""
    count = len(scenes)
    split = "".join(f"[s{k}]" for k in range(count))
    graph = [f"[0:v]{TAG_BT709},split={count}{split}" if count > 1
             else f"[0:v]{TAG_BT709},null[s0]"]
    graph += [f"[s{k}]trim=start_frame={scene.first}:end_frame={scene.end},{_TO_RGB},"
              f"{_PALETTEGEN}[p{k}]" for k, scene in enumerate(scenes)]
    maps: list[str] = []
    for k, out in enumerate(outputs):
        maps += ["-map", f"[p{k}]", "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "bgra",
                 str(out)]
    return ["-loglevel", "error", "-y", *source, "-filter_complex", ";".join(graph), *maps]


def gif_args(project: Project, source: Sequence[str], palettes: Path, out: Path) -> list[str]:
    """The GIF from the frames of ``source`` and the file ``palettes`` (one palette per
    frame of the show)."""
    fps = project.output.fps
    rate = gif_fps(fps)
    box = container(project.output.format)
    graph = (f"[0:v]{TAG_BT709},fps={rate},{_TO_RGB}[gif_f];[1:v]fps={rate}[gif_p];"
             f"[gif_f][gif_p]{_PALETTEUSE}[vout]")
    return ["-loglevel", "error", "-y", *source,
            "-f", "rawvideo", "-pix_fmt", "bgra", "-s", f"{PALETTE_SIDE}x{PALETTE_SIDE}",
            "-framerate", str(fps), "-i", str(palettes),
            "-filter_complex", graph, "-map", "[vout]", *video_codec(project), "-an",
            *box.options, "-f", box.muxer, str(out)]


def encode_gif(project: Project, source: Sequence[str], out: Path, folder: Path) -> None:
    """Write the GIF ``out`` from the show's frames, read from ``source`` (ffmpeg input
    options), with one palette per scene; ``folder`` keeps the palettes meanwhile.

    Raises:
        RenderFailed: ffmpeg failed, or made no palette for a scene.
    """
    timeline = Timeline(project)
    scenes = timeline.scenes()
    files = [folder / f"palette-{k:04d}.bgra" for k in range(len(scenes))]
    for start in range(0, len(scenes), SCENES_PER_RUN):
        batch = slice(start, start + SCENES_PER_RUN)
        run_encode(palette_args(source, scenes[batch], files[batch]), out)
    stream = folder / "palettes.bgra"
    with open(stream, "wb") as palettes:
        for scene, file in zip(scenes, files, strict=True):
            palette = file.read_bytes() if file.exists() else b""
            if len(palette) != PALETTE_BYTES:
                raise RenderFailed(f"{out}: making the GIF failed (no palette for frames "
                                   f"{scene.first}-{scene.end - 1})")
            palettes.write(palette * scene.frames)
            file.unlink()
    logger.debug("%s: a palette for each of %d scenes", out, len(scenes))
    try:
        run_encode(gif_args(project, source, stream, out), out)
    finally:
        stream.unlink(missing_ok=True)
