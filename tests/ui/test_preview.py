"""The preview shows exactly the frames the render encodes, without blocking the UI."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtGui import QImage

from simvid_desktop.model.project import (
    AudioBed,
    FitMode,
    Motion,
    MotionMode,
    OutputSettings,
    Project,
    Quality,
    Resolution,
    Slide,
    Transition,
    TransitionKind,
)
from simvid_desktop.model.units import format_duration
from simvid_desktop.paths import resource
from simvid_desktop.render.preview import frame_at
from simvid_desktop.ui.preview_widget import PreviewWidget
from tests.integration.media import solid
from tests.ui.grab import colours, grab, region


def tiny_project(tmp_path: Path, **kw: object) -> Project:
    """Two solid photos, 1 s each with a 0.4 s fade, 160x90 at 25 fps."""
    red = solid(tmp_path / "red.png", (220, 30, 30), (64, 48))
    blue = solid(tmp_path / "blue.png", (30, 60, 220), (48, 64))
    args: dict[str, object] = {
        "slides": (Slide(red), Slide(blue)), "default_duration": 1.0,
        "transition": Transition(TransitionKind.FADE, 0.4),
        "output": OutputSettings(resolution=Resolution("160x90"), fps=25),
    }
    args.update(kw)
    return Project(**args)  # type: ignore[arg-type]


def pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    raw = np.frombuffer(image.constBits(), np.uint8, count=stride * h).reshape(h, stride)
    return raw[:, : w * 3].reshape(h, w, 3).copy()


@pytest.fixture
def preview(qtbot) -> PreviewWidget:
    widget = PreviewWidget()
    qtbot.addWidget(widget, before_close_func=lambda w: w.shutdown())
    widget.resize(480, 320)
    return widget


def show_at(qtbot, preview: PreviewWidget, t: float,
            action: Callable[[], None] | None = None) -> None:
    with qtbot.waitSignal(preview.frameShown, check_params_cb=lambda shown: shown == t):
        (action or (lambda: preview.set_time(t)))()


@pytest.mark.parametrize("t", [0.3, 1.0, 1.1, 1.9])  # still, mid-fade, fade, last frame
def test_preview_shows_the_rendered_pixels(qtbot, preview, tmp_path, t) -> None:
    project = tiny_project(tmp_path)
    preview.set_project(project)
    show_at(qtbot, preview, t)
    image = preview.current_image()
    assert image is not None and (image.width(), image.height()) == (160, 90)
    np.testing.assert_array_equal(pixels(image), frame_at(project, t))
    assert preview.time_label.text() == f"{format_duration(t, tenths=True)} / 0:02.0"


def test_motion_frames_match_too(qtbot, preview, tmp_path) -> None:
    project = tiny_project(tmp_path, motion=Motion(MotionMode.AUTO),
                           output=OutputSettings(resolution=Resolution("160x90"), fps=25,
                                                 fit=FitMode.CROP))
    preview.set_project(project)
    show_at(qtbot, preview, 0.62)
    image = preview.current_image()
    assert image is not None
    np.testing.assert_array_equal(pixels(image), frame_at(project, 0.62))


def test_rapid_requests_coalesce_and_the_last_wins(qtbot, preview, tmp_path) -> None:
    project = tiny_project(tmp_path, motion=Motion(MotionMode.AUTO),
                           output=OutputSettings(resolution=Resolution("640x360"), fps=25))
    preview.set_project(project)
    show_at(qtbot, preview, 0.0)
    before = preview.render_count
    times = [i * 0.038 for i in range(1, 51)]  # 50 different frames

    def scrub() -> None:
        for t in times:
            preview.set_time(t)

    show_at(qtbot, preview, times[-1], scrub)
    assert preview.render_count - before < 15
    image = preview.current_image()
    assert image is not None
    np.testing.assert_array_equal(pixels(image), frame_at(project, times[-1]))
    assert preview.current_time() == times[-1]


def test_frames_of_an_older_project_are_dropped(qtbot, preview, tmp_path) -> None:
    old = tiny_project(tmp_path)
    new = tiny_project(tmp_path, transition=Transition(TransitionKind.FADE_BLACK, 0.8))
    preview.set_project(old)
    preview.set_time(1.0)

    def switch() -> None:
        preview.set_project(new)
        preview.set_time(1.0)

    show_at(qtbot, preview, 1.0, switch)
    image = preview.current_image()
    assert image is not None
    np.testing.assert_array_equal(pixels(image), frame_at(new, 1.0))


def test_audio_edits_reuse_the_shown_frame(qtbot, preview, tmp_path) -> None:
    project = tiny_project(tmp_path)
    preview.set_project(project)
    show_at(qtbot, preview, 0.5)
    count = preview.render_count
    louder = replace(project, audio=AudioBed.single(tmp_path / "song.mp3", volume=2.0),
                     output=replace(project.output, quality=Quality.BEST))
    show_at(qtbot, preview, 0.5, lambda: preview.set_project(louder))
    assert preview.render_count == count


def test_play_runs_to_the_end_and_stops(qtbot, preview, tmp_path) -> None:
    preview.set_project(tiny_project(tmp_path, default_duration=0.4,
                                     transition=Transition(TransitionKind.NONE, 0)))
    shown: list[float] = []
    preview.frameShown.connect(shown.append)
    preview.play()
    assert preview.is_playing()
    qtbot.waitUntil(lambda: not preview.is_playing(), timeout=5000)
    assert preview.current_time() == pytest.approx(0.8)
    assert len(shown) >= 3 and shown == sorted(shown)


def test_an_unreadable_photo_is_reported_not_raised(qtbot, preview, tmp_path) -> None:
    project = tiny_project(tmp_path)
    broken = project.with_slides([Slide(tmp_path / "gone.jpg"), project.slides[1]])
    preview.set_project(broken)
    qtbot.waitUntil(lambda: "gone.jpg" in preview.message(), timeout=5000)
    assert preview.current_image() is None

    def repair() -> None:
        preview.set_project(project)
        preview.set_time(1.5)

    show_at(qtbot, preview, 1.5, repair)
    assert preview.message() == ""


def test_empty_project_shows_a_hint(qtbot, preview) -> None:
    preview.set_project(Project())
    assert "Add photos" in preview.message()
    assert not preview.play_button.isEnabled()


def test_screenshot_preview(qtbot, preview) -> None:
    photos = sorted(p for p in resource("samples").iterdir() if p.suffix == ".jpg")
    project = Project(slides=tuple(Slide(p) for p in photos), default_duration=3.0,
                      output=OutputSettings(resolution=Resolution("720p"), fit=FitMode.BLUR))
    preview.resize(640, 420)
    preview.show()
    preview.set_project(project)
    show_at(qtbot, preview, 4.2)
    shot = grab(preview, "/tmp/ui_preview.png")

    # The frame is the render's frame at 4.2 s (second photo, blurred fill), and the
    # controls say where in the show it is.
    frame = frame_at(project, 4.2)
    image = preview.current_image()
    assert image is not None and (image.width(), image.height()) == (1280, 720)
    np.testing.assert_array_equal(pixels(image), frame)
    assert preview.time_label.text() == (
        f"{format_duration(4.2, tenths=True)} / "
        f"{format_duration(project.total_duration, tenths=True)}")
    assert preview.message() == ""
    # What is on screen: that frame, letterboxed 16:9 in the view on its dark stage.
    view = region(shot, preview, preview.view)
    h, w = view.shape[:2]
    scale = min(w / 1280, h / 720)
    fw, fh = int(1280 * scale), int(720 * scale)
    x, y = (w - fw) // 2, (h - fh) // 2
    shown = view[y + 2 : y + fh - 2, x + 2 : x + fw - 2]
    assert colours(shown) > 1000  # a photo, not a placeholder
    small = (32, 18)
    on_screen = np.asarray(Image.fromarray(np.ascontiguousarray(shown)).resize(
        small, Image.Resampling.BOX), np.int16)
    rendered = np.asarray(Image.fromarray(frame[2:-2, 2:-2]).resize(
        small, Image.Resampling.BOX), np.int16)
    assert np.abs(on_screen - rendered).mean() < 8
