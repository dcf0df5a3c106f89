"""Real renders of tiny shows, read back with ffmpeg: format, timing, pixels, audio."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from simvid_desktop.model.project import (
    AudioBed,
    FitMode,
    Resolution,
    Slide,
    Transition,
    TransitionKind,
)
from simvid_desktop.render.engine import RenderSpec, render
from simvid_desktop.render.preview import frame_at
from simvid_desktop.render.progress import ProgressEvent, RenderStage, RenderStatus
from tests.integration.conftest import COLORS, small_project
from tests.integration.media import (
    audio_samples,
    frames_rgb,
    leftovers,
    probe,
    solid,
    tone,
    upright_marker,
)

W, H, FPS = 128, 72, 25


def mean_rgb(frame: np.ndarray) -> np.ndarray:
    return frame.reshape(-1, 3).mean(axis=0)


def close_to(actual: np.ndarray, expected: tuple[int, int, int], tol: float = 14) -> bool:
    return bool(np.abs(actual - np.array(expected)).max() <= tol)


def test_format_length_order_and_transitions(tmp_path: Path, photos: list[Path]) -> None:
    music = tone(tmp_path / "m.wav", 10)
    project = small_project(photos, audio=AudioBed.single(music, fade_out=0.5))
    out = tmp_path / "show.mp4"
    events: list[ProgressEvent] = []
    outcome = render(RenderSpec(project, out), progress=events.append)

    info = probe(out)
    assert (info["vcodec"], info["pix_fmt"]) == ("h264", "yuv420p")
    assert "bt709" in str(info["color"]) and "tv" in str(info["color"])
    assert (info["width"], info["height"], info["fps"]) == (W, H, FPS)
    assert info["audio"] == ("aac", 48000, "stereo")
    assert info["faststart"], "moov atom must precede mdat (+faststart)"
    # Length rule: 4 slides x 1 s; the fades overlap and never change the length.
    assert outcome.duration == pytest.approx(4.0)
    frames = frames_rgb(out, W, H)
    assert len(frames) == 4 * FPS == outcome.frames
    assert abs(len(audio_samples(out)) / 8000 - 4.0) < 0.05
    assert outcome.size_bytes == out.stat().st_size

    # Slide order by colour at mid-slide.
    for i, color in enumerate(COLORS):
        assert close_to(mean_rgb(frames[int((i + 0.5) * FPS)]), color), i
    # The frame at the first boundary is a mix of both photos.
    mid = mean_rgb(frames[FPS])
    expected = (np.array(COLORS[0]) + np.array(COLORS[1])) / 2
    assert np.abs(mid - expected).max() < 20

    # Progress: numbers, "Processing image k/N", then finished.
    rendering = [e for e in events if e.stage is RenderStage.RENDERING]
    assert rendering and all(0 < e.percent <= 100 for e in rendering)
    assert [e.percent for e in rendering] == sorted(e.percent for e in rendering)
    assert any(e.message == "Processing image 1/4" for e in events)
    assert events[-1].status is RenderStatus.FINISHED and events[-1].percent == 100
    assert leftovers(tmp_path) == []


def test_frame_at_matches_the_video(tmp_path: Path, photos: list[Path]) -> None:
    from simvid_desktop.model.project import Motion, MotionMode

    project = small_project(photos[:2], motion=Motion(MotionMode.AUTO))
    out = tmp_path / "kb.mp4"
    render(RenderSpec(project, out))
    frames = frames_rgb(out, W, H)
    for t in (0.1, 0.5, 0.98, 1.02, 1.7):
        n = int(t * FPS)
        want = frame_at(project, t).astype(np.int16)
        got = frames[n].astype(np.int16)
        assert np.abs(want - got).mean() < 3.0, t


def test_exif_rotated_photo_is_upright_and_blur_fill_present(tmp_path: Path) -> None:
    marker = upright_marker(tmp_path / "rotated.jpg")
    project = small_project([marker], output=replace(
        small_project([]).output, fit=FitMode.BLUR))
    out = tmp_path / "exif.mp4"
    render(RenderSpec(project, out))
    frame = frames_rgb(out, W, H)[FPS // 2].astype(int)
    # Portrait in landscape: the photo is the middle 72*180/320 = ~40 px wide column.
    top = mean_rgb(frame[2:12, 60:68])
    bottom = mean_rgb(frame[50:70, 60:68])
    assert close_to(top, (230, 20, 20), 30), top  # the red band is on top
    assert close_to(bottom, (20, 40, 220), 30), bottom
    # Blurred fill: the sides are neither black nor the sharp photo.
    side = mean_rgb(frame[:, :30])
    assert side.max() > 25, f"sides look black: {side}"


def test_letterbox_and_crop(tmp_path: Path) -> None:
    tall = solid(tmp_path / "tall.png", (200, 200, 200), size=(100, 300))
    base = small_project([tall])
    for fit, side_dark in ((FitMode.LETTERBOX, True), (FitMode.CROP, False)):
        out = tmp_path / f"{fit.value}.mp4"
        render(RenderSpec(replace(base, output=replace(base.output, fit=fit)), out))
        frame = frames_rgb(out, W, H)[10]
        edge = mean_rgb(frame[:, :10])
        assert bool(edge.max() < 30) == side_dark, (fit, edge)


@pytest.mark.parametrize("kind", [k for k in TransitionKind if k is not TransitionKind.FADE])
def test_every_transition_renders(tmp_path: Path, photos: list[Path], kind: TransitionKind) -> None:
    # Mixed portrait and landscape photos, transition on first and last boundary.
    portrait = solid(tmp_path / "portrait.jpg", (240, 240, 240), size=(90, 160))
    project = small_project([photos[0], portrait, photos[2]],
                            transition=Transition(kind, 0.6))
    out = tmp_path / f"{kind.value}.mp4"
    render(RenderSpec(project, out))
    frames = frames_rgb(out, W, H)
    assert len(frames) == 3 * FPS
    assert close_to(mean_rgb(frames[5]), COLORS[0])
    assert close_to(mean_rgb(frames[-3]), COLORS[2])
    boundary = mean_rgb(frames[FPS - 2]).astype(int)
    if kind is TransitionKind.FADE_BLACK:
        assert mean_rgb(frames[FPS]).max() < 60  # through black at the boundary
    elif kind is not TransitionKind.NONE:
        assert not close_to(boundary, COLORS[0], 4), "no transition seen before the boundary"


def test_music_loops_or_pads_with_silence(tmp_path: Path, photos: list[Path]) -> None:
    short = tone(tmp_path / "short.mp3", 1.0)
    for loop in (True, False):
        project = small_project(photos[:3], audio=AudioBed.single(short, fade_out=0, loop=loop))
        out = tmp_path / f"loop{loop}.mp4"
        render(RenderSpec(project, out))
        pcm = audio_samples(out)
        assert abs(len(pcm) / 8000 - 3.0) < 0.05
        tail_rms = float(np.sqrt(np.mean(pcm[-8000:] ** 2)))
        assert (tail_rms > 0.05) is loop, (loop, tail_rms)


def test_audio_from_a_video_file_and_fades(tmp_path: Path, photos: list[Path]) -> None:
    clip = tmp_path / "clip.mp4"
    render(RenderSpec(small_project(photos[:2], audio=AudioBed.single(
        tone(tmp_path / "t.wav", 5), fade_out=0)), clip))
    project = small_project(photos, audio=AudioBed.single(clip, fade_in=1.0, fade_out=1.0,
                                                          loop=True))
    out = tmp_path / "from_video.mp4"
    render(RenderSpec(project, out))
    pcm = audio_samples(out)
    rms = [float(np.sqrt(np.mean(pcm[i * 2000:(i + 1) * 2000] ** 2))) for i in range(16)]
    assert rms[0] < rms[6] * 0.6, "fade-in missing"
    assert rms[-1] < rms[6] * 0.6, "fade-out missing"


def test_caption_is_burned_in(tmp_path: Path, photos: list[Path]) -> None:
    plain = small_project(photos[2:3], output=replace(small_project([]).output,
                                                      resolution=Resolution("320x180")))
    captioned = replace(plain, slides=(Slide(photos[2], caption="Hello there"),))
    a, b = frame_at(plain, 0.5).astype(int), frame_at(captioned, 0.5).astype(int)
    diff = np.abs(a - b).sum(axis=2)
    rows = np.nonzero(diff.max(axis=1) > 100)[0]
    assert rows.size > 5, "no caption pixels"
    assert rows.min() > 180 * 0.6, "caption should sit in the lower part"
    # White text and a dark outline both present.
    region = b[rows.min():rows.max() + 1]
    assert region.max() > 240 and region.min() < 40
