"""The self-test's pieces: reading ffmpeg's description, judging it, the one-line verdict."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from simvid_desktop.cli import self_test
from simvid_desktop.cli.self_test import (
    HEIGHT,
    WIDTH,
    SelfTestResult,
    VideoProbe,
    check_locations,
    check_video,
    parse_probe,
    self_test_project,
)

FFMPEG_SAYS = """\
Input #0, mov,mp4,m4a,3gp,3g2,mj2, from '/tmp/self-test.mp4':
  Duration: 00:00:04.50, start: 0.000000, bitrate: 347 kb/s
  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv, bt709, \
progressive), 480x270, 150 kb/s, 25 fps, 25 tbr, 12800 tbn (default)
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, stereo, fltp
At least one output file must be specified
"""

GOOD = VideoProbe(size_bytes=195_000, duration=4.5, video_codec="h264", width=WIDTH,
                  height=HEIGHT, audio_codec="aac")


def test_parse_probe_reads_codecs_size_and_duration() -> None:
    assert parse_probe(FFMPEG_SAYS, 195_000) == GOOD


def test_parse_probe_of_garbage_finds_nothing() -> None:
    probe = parse_probe("Invalid data found when processing input", 12)
    assert probe == VideoProbe(12, None, None, 0, 0, None)


def test_a_right_video_has_no_problems() -> None:
    assert check_video(GOOD, 4.5) == []
    assert check_video(GOOD, 4.5 + self_test.DURATION_TOLERANCE * 0.9) == []


def test_every_difference_is_named() -> None:
    bad = VideoProbe(size_bytes=0, duration=3.0, video_codec="mpeg4", width=320, height=180,
                     audio_codec=None)
    problems = check_video(bad, 4.5)
    assert problems == [
        "the video file is empty",
        "video stream is mpeg4, expected h264",
        f"frame size 320x180, expected {WIDTH}x{HEIGHT}",
        "audio stream is missing, expected aac",
        "lasts 3.00 s, expected 4.50 s",
    ]
    assert check_video(VideoProbe(10, None, "h264", WIDTH, HEIGHT, "aac"), 4.5) == [
        "ffmpeg reads no duration"]


def test_verdict_is_one_line() -> None:
    passed = str(SelfTestResult(True, 2.04, (), GOOD))
    assert passed.startswith("self-test passed in 2.0 s: 4.50 s 480x270 h264/aac video")
    assert "from source" in passed
    failed = str(SelfTestResult(False, 0.5, ("one thing", "another")))
    assert failed == "self-test FAILED after 0.5 s: one thing; another"
    assert "\n" not in passed + failed


def test_project_uses_the_bundled_samples_and_music() -> None:
    project = self_test_project()
    assert len(project.slides) == self_test.SLIDES
    assert all(s.image.is_file() for s in project.slides)
    assert project.audio is not None and project.audio.first.path.is_file()
    assert project.output.resolution.text == f"{WIDTH}x{HEIGHT}"


def test_missing_samples_are_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SIMVID_RESOURCES", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="sample photos"):
        self_test_project()


def test_user_folders_are_outside_the_app(monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    assert check_locations() == []
    # A portable-style layout where the user folders sit inside the app folder is caught.
    monkeypatch.setattr(self_test, "app_folder", lambda: tmp_path)
    monkeypatch.setattr(self_test.platformdirs, "user_log_dir",
                        lambda *a: str(tmp_path / "logs"))
    assert check_locations() == [
        f"the logs folder {tmp_path / 'logs'} is inside the app folder {tmp_path}"]


def test_app_folder_when_frozen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "simvid"))
    assert self_test.app_folder() == tmp_path.resolve()


def test_app_folder_from_source_is_the_source_tree() -> None:
    assert (self_test.app_folder() / "main.py").is_file()
