"""The ``standard`` quality encodes a video clip's frames in their own x264 zone: the
options x264 records in the stream say so, for a single pass and for every piece of a
segmented render (each counted from its own first frame)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from simvid_desktop.model.project import (
    QUALITY_PRESETS,
    Quality,
    Resolution,
    Slide,
)
from simvid_desktop.model.timeline import FrameRange, Timeline
from simvid_desktop.render.engine import RenderSpec, render
from simvid_desktop.render.formats import footage_frames
from tests.integration.conftest import small_project
from tests.integration.media import leftovers
from tests.integration.media_clips import with_audio


def recorded_zones(video: Path) -> list[str]:
    """The ``zones=`` option of each x264 stream header (SEI) in the file, in order."""
    headers = re.findall(rb"x264 - core .*?options: (.*?)\x00", video.read_bytes(), re.S)
    assert headers, "no x264 header in the file"
    return [m.group(1).decode() if (m := re.search(rb" zones=(\S+)", h)) else ""
            for h in headers]


def test_a_clips_frames_get_their_own_crf(tmp_path: Path, photos: list[Path]) -> None:
    clip = Slide.video(with_audio(tmp_path / "clip.mp4", 2), 0.5)
    base = small_project(photos[:2])
    show = base.with_slides([base.slides[0], clip, base.slides[1]])
    show = replace(show, output=replace(show.output, crf=None, x264_preset=None,
                                        quality=Quality.STANDARD,
                                        resolution=Resolution("128x72")))
    footage = QUALITY_PRESETS[Quality.STANDARD].footage
    [zone] = footage_frames(show)
    assert 0 < zone.first < zone.end < Timeline(show).frame_count

    single = tmp_path / "single.mp4"
    render(RenderSpec(show, single))
    assert recorded_zones(single) == [f"{zone.first},{zone.end - 1},{footage}"]

    pieces = tmp_path / "pieces.mp4"
    render(RenderSpec(show, pieces, work_dir=tmp_path / "work", segment_seconds=1.0))
    assert leftovers(tmp_path) == []
    frames, fps = Timeline(show).frame_count, show.output.fps
    expected = []
    for first in range(0, frames, fps):
        inside = footage_frames(show, FrameRange(first, min(frames, first + fps)))
        expected.append("/".join(f"{r.first},{r.end - 1},{footage}" for r in inside))
    assert recorded_zones(pieces) == expected
    assert any(expected) and "" in expected  # pieces with and without the clip
