"""Every output format, rendered for real: the streams are what the format promises, every
frame decodes, the sound lasts as long as the picture, chapters are where the container
carries them, and a segmented render resumed after a crash gives the same frames.

Each format is rendered at a different frame rate, so that the five rates are all covered
without rendering every pair."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from simvid_desktop.model.chapters import chapters_of
from simvid_desktop.model.project import (
    AudioBed,
    ChapterMode,
    Motion,
    MotionMode,
    OutputFormat,
    Project,
    Resolution,
    Slide,
    gif_size,
)
from simvid_desktop.model.timeline import Timeline
from simvid_desktop.render.engine import RenderSpec, render
from simvid_desktop.render.gif import gif_frames
from simvid_desktop.render.progress import ProgressEvent, RenderStage
from tests.integration.conftest import small_project
from tests.integration.media import FF, audio_samples, leftovers, tone
from tests.integration.test_chapters import video_chapters

#: (format, frame rate, video codec as ffmpeg names it, pixel format, audio codec)
CASES = [
    (OutputFormat.MP4, 24, "h264", "yuv420p", "aac"),
    (OutputFormat.MP4_HEVC, 25, "hevc", "yuv420p", "aac"),
    (OutputFormat.MP4_AV1, 30, "av1", "yuv420p", "aac"),
    (OutputFormat.WEBM_AV1, 50, "av1", "yuv420p", "opus"),
    (OutputFormat.WEBM_VP9, 60, "vp9", "yuv420p", "opus"),
    (OutputFormat.MOV_PRORES, 30, "prores", "yuv422p10le", "pcm_s16le"),
    (OutputFormat.GIF, 50, "gif", "bgra", None),
]
IDS = [c[0].value for c in CASES]


class Crash(BaseException):
    """Stands in for the process dying: not an error the engine handles."""


def show(photos: list[Path], music: Path, fmt: OutputFormat, fps: int) -> Project:
    """3 slides of 1 s with fades and Ken Burns, 160x90, chapters at every slide."""
    base = small_project(photos[:2], motion=Motion(MotionMode.AUTO),
                         audio=AudioBed.single(music, fade_out=0.5))
    slides = (Slide.card("Hello"), *base.slides)
    return replace(base.with_slides(slides), output=replace(
        base.output, resolution=Resolution("160x90"), fps=fps, format=fmt,
        chapters=ChapterMode.SLIDES, crf=None, x264_preset=None))


def streams(path: Path) -> tuple[str, str]:
    """(video stream line, audio stream line or "") as ``ffmpeg -i`` prints them."""
    err = subprocess.run([FF, "-hide_banner", "-i", str(path)], capture_output=True,
                         text=True).stderr
    video = [line for line in err.splitlines() if ": Video: " in line]
    audio = [line for line in err.splitlines() if ": Audio: " in line]
    assert len(video) == 1, err
    return video[0], audio[0] if audio else ""


def decoded_frames(path: Path) -> int:
    """Decode every frame (any decoding error fails the test); how many there are."""
    done = subprocess.run([FF, "-v", "error", "-i", str(path), "-map", "0:v", "-f",
                           "framecrc", "-"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return sum(1 for line in done.stdout.splitlines() if line and not line.startswith("#"))


def keyframes(path: Path) -> set[int]:
    """The numbers of the frames that are keyframes, as the decoder reports them."""
    err = subprocess.run([FF, "-hide_banner", "-i", str(path), "-map", "0:v", "-vf",
                          "showinfo", "-f", "null", "-"], capture_output=True, text=True).stderr
    return {int(m[1]) for m in re.finditer(r"\bn: *(\d+) .*\biskey:1", err)}


def check_video(out: Path, project: Project, codec: str, pix_fmt: str,
                audio: str | None) -> int:
    """Everything a delivered file must be; returns its frame count."""
    fmt, fps = project.output.format, project.output.fps
    assert out.suffix == fmt.suffix
    video, sound = streams(out)
    assert re.search(rf"Video: {codec}\b", video), video
    assert pix_fmt in video, video
    frames = decoded_frames(out)
    expected = Timeline(project).frame_count
    if fmt is OutputFormat.GIF:
        w, h = gif_size(project.output.resolution.size)
        assert f"{w}x{h}" in video
        assert frames == gif_frames(expected, fps)
        assert sound == "", "a GIF has no sound"
        return frames
    assert frames == expected == round(project.total_duration * fps)
    assert "bt709" in video, f"colour tags missing: {video}"
    starts = set(Timeline(project).slide_start_frames())
    assert starts <= keyframes(out), "every slide starts on a keyframe (a seek lands there)"
    if fmt is OutputFormat.MP4_HEVC:
        assert "hvc1" in video, "HEVC must be tagged hvc1 for Apple's players"
    assert audio is not None and f"Audio: {audio}" in sound, sound
    seconds = len(audio_samples(out)) / 8000
    assert abs(seconds - frames / fps) <= 1 / fps, (seconds, frames / fps)
    assert video_chapters(out) == [(round(c.start, 3), c.title)
                                   for c in chapters_of(project)]
    return frames


@pytest.fixture
def music(tmp_path: Path) -> Path:
    return tone(tmp_path / "music.wav", 4)


@pytest.mark.parametrize(("fmt", "fps", "codec", "pix_fmt", "audio"), CASES, ids=IDS)
def test_each_format_single_pass_and_resumed_segments(
        tmp_path: Path, photos: list[Path], music: Path, fmt: OutputFormat, fps: int,
        codec: str, pix_fmt: str, audio: str | None) -> None:
    project = show(photos, music, fmt, fps)
    single = tmp_path / f"single{fmt.suffix}"
    render(RenderSpec(project, single))
    frames = check_video(single, project, codec, pix_fmt, audio)

    out, work = tmp_path / f"pieces{fmt.suffix}", tmp_path / "work"

    def crash_in_the_second_piece(event: ProgressEvent) -> None:
        if event.stage is RenderStage.RENDERING and event.frames_done > fps * 1.5:
            raise Crash

    with pytest.raises(Crash):
        render(RenderSpec(project, out, work_dir=work, segment_seconds=1.0),
               progress=crash_in_the_second_piece)
    assert not out.exists() and leftovers(tmp_path) == []
    assert sorted(p.suffix for p in work.glob("seg-*") if p.suffix != ".json") == [
        ".mp4" if fmt is OutputFormat.GIF else fmt.suffix]
    outcome = render(RenderSpec(project, out, work_dir=work, segment_seconds=1.0))
    assert outcome.resumed_frames == fps
    assert check_video(out, project, codec, pix_fmt, audio) == frames
    assert not work.exists()


def test_a_taken_name_gets_a_number_with_the_formats_suffix(
        tmp_path: Path, photos: list[Path], music: Path) -> None:
    project = show(photos, music, OutputFormat.WEBM_VP9, 25)
    target = tmp_path / "show.webm"
    target.write_bytes(b"someone else's")
    outcome = render(RenderSpec(project, target))
    assert outcome.output == tmp_path / "show (2).webm"
    assert target.read_bytes() == b"someone else's"
