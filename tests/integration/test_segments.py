"""Segmented renders: a crash costs only the piece in progress; the result is identical."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from simvid_desktop.model.project import (
    AudioBed,
    Motion,
    MotionMode,
    MusicTrack,
    Narration,
    Project,
    Slide,
    TrackJoin,
)
from simvid_desktop.render import engine
from simvid_desktop.render.clips import probe_clip
from simvid_desktop.render.engine import RenderSpec, render
from simvid_desktop.render.progress import ProgressEvent, RenderStage
from tests.integration import media_clips as mc
from tests.integration.conftest import small_project
from tests.integration.media import audio_samples, frames_rgb, leftovers, probe, tone


class Crash(BaseException):
    """Stands in for the process dying: not an error the engine handles."""


def test_resume_renders_only_unfinished_segments(tmp_path: Path, photos: list[Path]) -> None:
    music = tone(tmp_path / "m.wav", 3)
    project = small_project(photos, motion=Motion(MotionMode.AUTO),
                            audio=AudioBed.single(music, fade_out=0.5))
    # 4 s at 25 fps = 100 frames in 1 s pieces: 4 segments.
    reference = tmp_path / "reference.mp4"
    render(RenderSpec(project, reference, work_dir=tmp_path / "w1", segment_seconds=1.0))
    assert not (tmp_path / "w1").exists(), "work folder removed after success"

    work = tmp_path / "w2"
    out = tmp_path / "out.mp4"

    def crash_in_third_segment(event: ProgressEvent) -> None:
        if event.stage is RenderStage.RENDERING and event.frames_done >= 51:  # slide 3
            raise Crash

    with pytest.raises(Crash):
        render(RenderSpec(project, out, work_dir=work, segment_seconds=1.0),
               progress=crash_in_third_segment)
    assert not out.exists() and leftovers(tmp_path) == []
    done = sorted(p.name for p in work.glob("seg-*.mp4"))
    assert done == ["seg-0000.mp4", "seg-0001.mp4"]
    mtimes = {p.name: p.stat().st_mtime_ns for p in work.glob("seg-*.mp4")}

    events: list[ProgressEvent] = []
    rendered_frames: list[int] = []
    original = events.append

    def watch(event: ProgressEvent) -> None:
        original(event)
        if event.stage is RenderStage.RENDERING:
            rendered_frames.append(event.frames_done)
        if event.stage is RenderStage.FINALIZING:
            for name, mtime in mtimes.items():
                assert (work / name).stat().st_mtime_ns == mtime, f"{name} was rendered again"

    outcome = render(RenderSpec(project, out, work_dir=work, segment_seconds=1.0), progress=watch)
    assert outcome.resumed_frames == 50
    assert min(rendered_frames) > 50, "the finished pieces must not be rendered again"

    a, b = frames_rgb(reference, 128, 72), frames_rgb(out, 128, 72)
    assert a.shape == b.shape == (100, 72, 128, 3)
    assert np.array_equal(a, b), "resumed render differs from the uninterrupted one"
    pa, pb = audio_samples(reference), audio_samples(out)
    assert len(pa) == len(pb) and np.allclose(pa, pb, atol=1e-4)
    assert probe(out)["faststart"] and probe(out)["duration"] == pytest.approx(4.0, abs=0.05)


def test_changed_project_discards_old_segments(tmp_path: Path, photos: list[Path]) -> None:
    project = small_project(photos)
    work = tmp_path / "w"

    def crash(event: ProgressEvent) -> None:
        if event.stage is RenderStage.RENDERING and event.frames_done >= 51:  # slide 3
            raise Crash

    with pytest.raises(Crash):
        render(RenderSpec(project, tmp_path / "o.mp4", work_dir=work, segment_seconds=1.0),
               progress=crash)
    changed = replace(project, slides=tuple(reversed(project.slides)))
    outcome = render(RenderSpec(changed, tmp_path / "o.mp4", work_dir=work, segment_seconds=1.0))
    assert outcome.resumed_frames == 0
    first = frames_rgb(tmp_path / "o.mp4", 128, 72)[12].reshape(-1, 3).mean(axis=0)
    assert first[0] > 180 and first[1] > 180, "first slide should now be the yellow one"


def _truncate(path: Path) -> None:
    """What a power cut can leave: the name, and part of the data."""
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size // 3)


def _zero_fill(path: Path) -> None:
    """Or the full size, with blocks that never reached the disk read back as zeros."""
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.seek(size // 4)
        f.write(bytes(size // 2))


def _interrupt_in_fourth_segment(project: Project, out: Path, work: Path) -> None:
    """A render into 1 s segments (25 frames) that crashes at frame 80: three finished."""
    def crash(event: ProgressEvent) -> None:
        if event.stage is RenderStage.RENDERING and event.frames_done >= 80:
            raise Crash

    with pytest.raises(Crash):
        render(RenderSpec(project, out, work_dir=work, segment_seconds=1.0), progress=crash)


def test_damaged_segments_are_rendered_again_never_joined(
        tmp_path: Path, photos: list[Path]) -> None:
    project = small_project(photos, motion=Motion(MotionMode.AUTO))
    reference = tmp_path / "reference.mp4"
    render(RenderSpec(project, reference, work_dir=tmp_path / "w1", segment_seconds=1.0))

    work = tmp_path / "w2"
    out = tmp_path / "out.mp4"

    _interrupt_in_fourth_segment(project, out, work)
    assert sorted(p.name for p in work.glob("seg-*.mp4")) == [
        "seg-0000.mp4", "seg-0001.mp4", "seg-0002.mp4"]
    _truncate(work / "seg-0000.mp4")
    (work / "seg-0001.mp4").write_bytes(b"")  # a name with no data at all
    _zero_fill(work / "seg-0002.mp4")

    outcome = render(RenderSpec(project, out, work_dir=work, segment_seconds=1.0))
    assert outcome.resumed_frames == 0, "no damaged piece may be reused"
    a, b = frames_rgb(reference, 128, 72), frames_rgb(out, 128, 72)
    assert a.shape == b.shape == (100, 72, 128, 3)
    assert np.array_equal(a, b), "the render joined a damaged piece"


def test_only_the_damaged_segment_is_rendered_again(tmp_path: Path, photos: list[Path]) -> None:
    project = small_project(photos)
    reference = tmp_path / "reference.mp4"
    render(RenderSpec(project, reference))
    work = tmp_path / "w"
    out = tmp_path / "out.mp4"

    _interrupt_in_fourth_segment(project, out, work)
    _zero_fill(work / "seg-0001.mp4")
    outcome = render(RenderSpec(project, out, work_dir=work, segment_seconds=1.0))
    assert outcome.resumed_frames == 50, "the two intact pieces are reused"
    assert np.array_equal(frames_rgb(reference, 128, 72), frames_rgb(out, 128, 72))


def test_damaged_music_is_made_again(tmp_path: Path, photos: list[Path],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    music = tone(tmp_path / "m.wav", 3)
    project = small_project(photos, audio=AudioBed.single(music, fade_out=0.5))
    reference = tmp_path / "reference.mp4"
    render(RenderSpec(project, reference))
    work = tmp_path / "w"
    out = tmp_path / "out.mp4"

    def crash(*_args: object) -> None:
        raise Crash

    with monkeypatch.context() as m:  # dies after the music is made, before the join
        m.setattr(engine, "join_segments", crash)
        with pytest.raises(Crash):
            render(RenderSpec(project, out, work_dir=work, segment_seconds=1.0))
    _truncate(work / "audio.m4a")
    render(RenderSpec(project, out, work_dir=work, segment_seconds=1.0))
    pa, pb = audio_samples(reference), audio_samples(out)
    assert len(pa) == len(pb) and np.allclose(pa, pb, atol=1e-4)


def test_a_playlist_with_a_voice_over_sounds_the_same_in_segments(
        tmp_path: Path, photos: list[Path]) -> None:
    """The soundtrack is decided for the whole show: two tracks crossfading and looping, a
    gap, a voice-over and a slide's narration (the music ducked under both), with the
    loudness stage on, sound the same made beside 1 s pieces as in one pass."""
    bed = AudioBed((MusicTrack(tone(tmp_path / "a.mp3", 1.5, 440), join_seconds=0.5),
                    MusicTrack(tone(tmp_path / "b.wav", 1.2, 660), join=TrackJoin.GAP,
                               join_seconds=0.3)), fade_out=0.5)
    voice = tone(tmp_path / "v.wav", 0.6, 1000)
    slides = list(small_project(photos).slides)
    slides[2] = replace(slides[2], narration=Narration(voice, start=0.2))
    project = small_project(photos, audio=bed, voice_over=Narration(voice, start=0.5))
    project = project.with_slides(slides)
    reference = tmp_path / "reference.mp4"
    render(RenderSpec(project, reference))
    out = tmp_path / "out.mp4"
    render(RenderSpec(project, out, work_dir=tmp_path / "w", segment_seconds=1.0))
    pa, pb = audio_samples(reference), audio_samples(out)
    assert len(pa) == len(pb) and np.allclose(pa, pb, atol=1e-4)
    assert float(np.abs(pa).max()) > 0.1, "the soundtrack is not silent"


def test_segments_and_the_video_are_fsynced_before_they_count(
        tmp_path: Path, photos: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Each finished piece, the music and the video, and the folders naming them, reach
    the disk before they are recorded or reported."""
    synced: list[str] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        st = os.fstat(fd)
        for p in [tmp_path, *tmp_path.rglob("*")]:
            if (p.stat().st_dev, p.stat().st_ino) == (st.st_dev, st.st_ino):
                synced.append(p.relative_to(tmp_path).as_posix() or ".")
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    music = tone(tmp_path / "m.wav", 3)
    project = small_project(photos, audio=AudioBed.single(music))
    outcome = render(RenderSpec(project, tmp_path / "out.mp4", work_dir=tmp_path / "w",
                                segment_seconds=1.0))
    pieces = {s for s in synced if s.startswith("w/") and ".part." in s}
    records = {s for s in synced if s.startswith("w/.") and ".json." in s}
    assert len(pieces) == 5, "four pieces and the music, before they were renamed"
    assert len(records) == 5, "and their records"
    if sys.platform != "win32":
        assert "w" in synced and "." in synced, "the folders naming them"
    assert outcome.output.name == "out.mp4"
    assert any(s.endswith(".simvid-part.mp4") for s in synced), "the video, before its move"


def test_a_show_with_clips_renders_the_same_in_segments_and_resumes_mid_clip(
        tmp_path: Path, photos: list[Path]) -> None:
    """Segments start inside clips (their readers seek there): the video is the same as a
    single pass, frame for frame, and a crash inside a clip resumes after its last piece."""
    clip = mc.numbered(tmp_path / "n.mp4", seconds=2.0, fps=25, size="128x72", vfr=True)
    base = small_project(photos[:2])
    project = base.with_slides([base.slides[0],
                                Slide.video(clip, probe_clip(clip).duration),
                                base.slides[1]])
    single = tmp_path / "single.mp4"
    render(RenderSpec(project, single))
    work, out = tmp_path / "w", tmp_path / "out.mp4"

    def crash_inside_the_clip(event: ProgressEvent) -> None:
        if event.stage is RenderStage.RENDERING and event.frames_done >= 60:
            raise Crash

    with pytest.raises(Crash):
        render(RenderSpec(project, out, work_dir=work, segment_seconds=0.6),
               progress=crash_inside_the_clip)
    outcome = render(RenderSpec(project, out, work_dir=work, segment_seconds=0.6))
    assert outcome.resumed_frames > 0
    a, b = frames_rgb(single, 128, 72), frames_rgb(out, 128, 72)
    assert a.shape == b.shape and a.shape[0] == round(project.total_duration * 25)
    assert np.array_equal(a, b), "segments differ from the single pass"
