"""Hardware encoders: detection by a real test encode, ``auto`` only where the quality is
met (measured), and a render that goes on in software when one fails mid-job.

This machine has no GPU: the real encoders are tested failing (their drivers are absent),
and a stand-in built on x264 plays a hardware encoder that works, or that fails after a
few frames, the way a driver reset does.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from simvid_desktop.model.project import Project, VideoEncoder
from simvid_desktop.model.project_io import project_from_json, project_to_json
from simvid_desktop.render import hw_encoders
from simvid_desktop.render.engine import RenderSpec, render
from simvid_desktop.render.hw_encoders import EncoderSpec
from simvid_desktop.render.progress import ProgressEvent
from tests.integration.conftest import small_project
from tests.integration.media import ffmpeg_children, frames_rgb, probe


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SIMVID_DATA_DIR", str(tmp_path / "data"))
    hw_encoders.forget()
    yield
    hw_encoders.forget()


def stand_in(monkeypatch: pytest.MonkeyPatch, *, preset: str = "medium",
             worse_by: int = 0) -> None:
    """NVENC played by x264 (``worse_by``: CRF steps coarser than it is asked for)."""
    monkeypatch.setitem(hw_encoders.HARDWARE, VideoEncoder.NVENC, EncoderSpec(
        "Stand-in NVENC", "libx264",
        lambda crf: ["-preset", preset, "-crf", str(crf + worse_by)]))


def with_encoder(project: Project, encoder: VideoEncoder) -> Project:
    return replace(project, output=replace(project.output, video_encoder=encoder))


def test_no_hardware_here_means_software(caplog: pytest.LogCaptureFixture) -> None:
    assert hw_encoders.available() == []  # each one tried for real, each one failed
    assert hw_encoders.resolve(VideoEncoder.AUTO, 23, "medium") is VideoEncoder.SOFTWARE
    assert hw_encoders.resolve(VideoEncoder.NVENC, 23, "medium") is VideoEncoder.SOFTWARE
    assert "NVIDIA NVENC was chosen but does not work on this machine" in caplog.text


def test_findings_are_kept_per_machine_and_ffmpeg(monkeypatch: pytest.MonkeyPatch) -> None:
    hw_encoders.available()
    calls: list[VideoEncoder] = []
    monkeypatch.setattr(hw_encoders, "_test_encode", lambda e: calls.append(e) or False)
    hw_encoders._memory = None  # a new process: it reads the cache file
    assert hw_encoders.available() == [] and calls == []
    hw_encoders.forget()
    hw_encoders.available()
    assert calls == list(hw_encoders.HARDWARE)


def test_auto_takes_hardware_only_where_it_meets_the_quality(
        monkeypatch: pytest.MonkeyPatch) -> None:
    stand_in(monkeypatch)
    assert hw_encoders.available() == [VideoEncoder.NVENC]
    assert hw_encoders.resolve(VideoEncoder.AUTO, 23, "medium") is VideoEncoder.NVENC
    hw_encoders.forget()
    # an encoder whose picture is coarser at the same setting: measured below x264's SSIM,
    # so auto keeps x264; chosen by name, it is used all the same
    stand_in(monkeypatch, worse_by=8)
    assert not hw_encoders.meets_quality(VideoEncoder.NVENC, 23, "medium")
    assert hw_encoders.resolve(VideoEncoder.AUTO, 23, "medium") is VideoEncoder.SOFTWARE
    assert hw_encoders.resolve(VideoEncoder.NVENC, 23, "medium") is VideoEncoder.NVENC


def test_a_hardware_encoder_that_fails_to_open_falls_back(
        tmp_path: Path, photos: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """The real NVENC, taken for working (as after a driver update): it fails here, where
    there is no GPU, and the render goes on in software."""
    monkeypatch.setattr(hw_encoders, "works", lambda encoder: True)
    out = tmp_path / "show.mp4"
    events: list[ProgressEvent] = []
    outcome = render(RenderSpec(with_encoder(small_project(photos), VideoEncoder.NVENC), out),
                     progress=events.append)
    assert outcome.encoder == "software" and outcome.fell_back
    assert any(e.message == "NVIDIA NVENC failed; rendering in software" for e in events)
    assert len(frames_rgb(out, 128, 72)) == outcome.frames == 25 * len(photos)


@pytest.mark.parametrize("segmented", [False, True], ids=["single pass", "segments"])
def test_a_hardware_encoder_dying_mid_job_falls_back_to_software(
        tmp_path: Path, photos: list[Path], monkeypatch: pytest.MonkeyPatch,
        segmented: bool) -> None:
    """The stand-in's ffmpeg is killed 30 frames in, as a driver reset ends a real one."""
    stand_in(monkeypatch)
    project = with_encoder(small_project(photos), VideoEncoder.NVENC)
    events: list[ProgressEvent] = []
    killed: list[int] = []

    def watch(event: ProgressEvent) -> None:
        events.append(event)
        if event.frames_done >= 30 and not killed:
            killed.extend(ffmpeg_children())
            for pid in killed:
                os.kill(pid, signal.SIGKILL)

    out = tmp_path / "show.mp4"
    outcome = render(RenderSpec(project, out, work_dir=tmp_path / "w" if segmented else None,
                                segment_seconds=1.0), progress=watch)
    assert killed, "the hardware encoder was running"
    assert outcome.encoder == "software" and outcome.fell_back
    assert any(e.message == "Stand-in NVENC failed; rendering in software" for e in events)
    assert len(frames_rgb(out, 128, 72)) == outcome.frames == 25 * len(photos)
    assert probe(out)["duration"] == pytest.approx(len(photos), abs=0.05)


def test_a_working_hardware_encoder_makes_the_video(tmp_path: Path, photos: list[Path],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    stand_in(monkeypatch)
    out = tmp_path / "show.mp4"
    outcome = render(RenderSpec(with_encoder(small_project(photos), VideoEncoder.NVENC), out))
    assert outcome.encoder == "nvenc" and not outcome.fell_back
    assert len(frames_rgb(out, 128, 72)) == 25 * len(photos)


def test_the_choice_is_saved_with_the_project(photos: list[Path]) -> None:
    project = with_encoder(small_project(photos), VideoEncoder.QSV)
    text = project_to_json(project)
    assert '"video_encoder": "qsv"' in text
    assert project_from_json(text, Path("/")) == project
    assert '"video_encoder"' not in project_to_json(small_project(photos))  # auto: not written
