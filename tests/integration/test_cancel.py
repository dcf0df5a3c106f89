"""Cancellation and failure leave nothing behind: no output, no temp file, no ffmpeg."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from simvid_desktop.errors import RenderCancelled, RenderFailed
from simvid_desktop.model.project import Motion, MotionMode, OutputSettings, Resolution
from simvid_desktop.render.engine import RenderSpec, render
from simvid_desktop.render.progress import CancelToken, ProgressEvent, RenderStage, RenderStatus
from tests.integration.conftest import small_project
from tests.integration.media import ffmpeg_children, leftovers


def test_cancel_mid_render(tmp_path: Path, photos: list[Path]) -> None:
    # Big enough to take a few seconds, so the cancel lands mid-encode.
    project = small_project(photos * 3, default_duration=2.0, motion=Motion(MotionMode.AUTO),
                            output=OutputSettings(resolution=Resolution("640x360"), fps=30))
    out = tmp_path / "out.mp4"
    token = CancelToken()
    events: list[ProgressEvent] = []
    seen_ffmpeg: list[int] = []

    def on_progress(event: ProgressEvent) -> None:
        events.append(event)
        if event.stage is RenderStage.RENDERING and event.percent > 5 and not token.cancelled:
            seen_ffmpeg.extend(ffmpeg_children())
            token.cancel()

    with pytest.raises(RenderCancelled):
        render(RenderSpec(project, out), progress=on_progress, cancel=token)
    assert seen_ffmpeg, "ffmpeg should have been running when we cancelled"
    assert not out.exists() and leftovers(tmp_path) == []
    assert ffmpeg_children() == []
    assert events[-1].status is RenderStatus.CANCELED


def test_cancel_from_another_thread(tmp_path: Path, photos: list[Path]) -> None:
    project = small_project(photos * 4, default_duration=2.0,
                            output=OutputSettings(resolution=Resolution("640x360"), fps=30))
    token = CancelToken()
    timer = threading.Timer(0.8, token.cancel)
    timer.start()
    with pytest.raises(RenderCancelled):
        render(RenderSpec(project, tmp_path / "out.mp4"), cancel=token)
    timer.cancel()
    assert list(tmp_path.glob("*.mp4")) == [] and leftovers(tmp_path) == []


def test_encoder_failure_leaves_nothing(tmp_path: Path, photos: list[Path],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from simvid_desktop.render import engine

    real = engine.single_pass_args

    def broken(*args: object) -> list[str]:
        cmd = real(*args)  # type: ignore[arg-type]
        cmd[cmd.index("libx264")] = "no-such-encoder"
        return cmd

    monkeypatch.setattr(engine, "single_pass_args", broken)
    out = tmp_path / "out.mp4"
    with pytest.raises(RenderFailed, match="out.mp4: encoding failed"):
        render(RenderSpec(small_project(photos), out))
    assert not out.exists() and leftovers(tmp_path) == []


def test_existing_output_is_never_replaced(tmp_path: Path, photos: list[Path]) -> None:
    out = tmp_path / "out.mp4"
    out.write_bytes(b"previous video")
    token = CancelToken()
    token.cancel()
    with pytest.raises(RenderCancelled):
        render(RenderSpec(small_project(photos), out), cancel=token)
    assert out.read_bytes() == b"previous video"
    outcome = render(RenderSpec(small_project(photos), out))
    assert out.read_bytes() == b"previous video", "not on success either"
    assert outcome.output == tmp_path / "out (2).mp4" and outcome.size_bytes > 1000
