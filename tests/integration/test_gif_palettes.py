"""An animated GIF gets one palette per scene (each hold, each transition), not one per
frame and not one for the whole show: read back from the GIF's own colour tables."""

from __future__ import annotations

import struct
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simvid_desktop.model.project import (
    Motion,
    MotionMode,
    OutputFormat,
    Resolution,
    Transition,
    TransitionKind,
    gif_fps,
)
from simvid_desktop.model.timeline import Timeline
from simvid_desktop.render.engine import RenderSpec, render
from simvid_desktop.render.gif import gif_frames
from tests.integration.conftest import small_project
from tests.integration.media import leftovers


def gif_palettes(path: Path) -> list[bytes]:
    """Each frame's colour table (its local one, or the global one), in order."""
    data = path.read_bytes()
    assert data[:6] in (b"GIF87a", b"GIF89a")
    flags = data[10]
    pos = 13
    global_table = b""
    if flags & 0x80:
        size = 3 * 2 ** ((flags & 7) + 1)
        global_table, pos = data[pos:pos + size], pos + size
    tables: list[bytes] = []

    def skip_blocks(at: int) -> int:
        while data[at]:
            at += data[at] + 1
        return at + 1

    while data[pos] != 0x3B:
        if data[pos] == 0x21:  # an extension: label, then sub-blocks
            pos = skip_blocks(pos + 2)
        elif data[pos] == 0x2C:  # an image: descriptor, colour table, LZW data
            (packed,) = struct.unpack_from("B", data, pos + 9)
            pos += 10
            table = global_table
            if packed & 0x80:
                size = 3 * 2 ** ((packed & 7) + 1)
                table, pos = data[pos:pos + size], pos + size
            tables.append(table)
            pos = skip_blocks(pos + 1)
        else:
            raise AssertionError(f"unexpected GIF block {data[pos]:#x} at {pos}")
    return tables


def textured(path: Path, hue: int) -> Path:
    """A photo with many shades of one hue (a gradient with fine noise)."""
    rng = np.random.default_rng(hue)
    y, x = np.mgrid[0:240, 0:320]
    hsv = np.stack([np.full_like(x, hue), 120 + x * 135 // 320, 60 + y * 195 // 240], -1)
    img = Image.frombytes("HSV", (320, 240), hsv.astype(np.uint8).tobytes()).convert("RGB")
    noisy = np.clip(np.asarray(img, np.int16) + rng.integers(-12, 13, (240, 320, 3)), 0, 255)
    Image.fromarray(noisy.astype(np.uint8)).save(path, quality=95)
    return path


@pytest.mark.parametrize("segmented", [False, True], ids=["single", "segments"])
def test_a_gif_has_one_palette_per_scene(tmp_path: Path, segmented: bool) -> None:
    photos = [textured(tmp_path / f"h{h}.jpg", h) for h in (0, 85, 170)]  # red, green, blue
    base = small_project(photos, motion=Motion(MotionMode.AUTO),
                         transition=Transition(TransitionKind.FADE, 0.6))
    project = replace(base, output=replace(base.output, format=OutputFormat.GIF, fps=30,
                                           resolution=Resolution("160x120")))
    out = tmp_path / "loop.gif"
    work = tmp_path / "work" if segmented else None
    render(RenderSpec(project, out, work_dir=work, segment_seconds=1.0))
    assert leftovers(tmp_path) == [] and (work is None or not work.exists())

    timeline = Timeline(project)
    scenes = timeline.scenes()
    assert len(scenes) == 5  # three moving holds, two fades
    tables = gif_palettes(out)
    assert len(tables) == gif_frames(timeline.frame_count, 30)
    # GIF frame k shows the show at k / 15 s: source frame 2k (the fps filter's choice)
    step = 30 // gif_fps(30)
    scene_of = [next(i for i, s in enumerate(scenes) if s.first <= k * step < s.end)
                for k in range(len(tables))]
    for k in range(1, len(tables)):
        if scene_of[k] == scene_of[k - 1]:
            assert tables[k] == tables[k - 1], f"the palette changed inside a scene (frame {k})"
        else:
            assert tables[k] != tables[k - 1], f"scene {scene_of[k]} kept the one before's"
    assert len(set(tables)) == len(scenes)
    # Each hold's palette is its photo's colours: the red hold's palette is mostly red.
    for hold, channel in ((0, 0), (2, 1), (4, 2)):
        first = scene_of.index(hold)
        colours = np.frombuffer(tables[first], np.uint8).reshape(-1, 3).astype(int)
        dominant = colours.argmax(axis=1)
        assert (dominant == channel).mean() > 0.8, (hold, np.bincount(dominant))
