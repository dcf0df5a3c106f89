"""Everything people bring, through the window as a person uses it: dropped on the window,
each slide shown in the preview (the exact frame the render makes), then rendered in the
real queue and the video's frames compared with the preview's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QAction, QDropEvent
from pytestqt.qtbot import QtBot

from simvid_desktop.jobs.model import JobStatus
from simvid_desktop.model.project import (
    OutputSettings,
    Resolution,
    SlideKind,
    Transition,
    TransitionKind,
)
from simvid_desktop.model.settings import Settings
from simvid_desktop.model.timeline import Timeline
from simvid_desktop.render.compositor import Compositor
from simvid_desktop.render.yuv import frame_to_rgb
from simvid_desktop.ui.main_window import MainWindow
from tests.integration import media_clips as mc
from tests.integration import media_photos as mp
from tests.integration.media import frames_rgb
from tests.ui.grab import pixels

pytest.importorskip("pillow_heif")
pytest.importorskip("rawpy")
pytest.importorskip("tifffile")

W, H, FPS = 160, 90, 25


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    w = MainWindow(Settings(output_dir=str(tmp_path / "videos"), workers=1))
    yield w
    w.document.undo_stack.setClean()
    w.close()


def media(folder: Path) -> list[Path]:
    folder.mkdir()
    p3 = folder / "p3.jpg"
    Image.new("RGB", (96, 54), (200, 120, 80)).save(p3, icc_profile=mp.display_p3_icc())
    return [
        mp.heic_iphone(folder / "iphone.heic"),
        mp.heic_exif_only(folder / "exif.heic"),
        p3,
        mp.dng(folder / "camera.dng", mp.raw_scene()),
        mc.phone_portrait(folder / "portrait.mov"),
        mc.bt2020(folder / "hlg.mp4", (170, 110, 70), transfer="arib-std-b67", size="96x54"),
        mc.numbered(folder / "vfr.mkv", vfr=True, fps=FPS, size="96x54", seconds=1.2),
    ]


def test_drop_preview_and_render_every_kind_of_media(
        window: MainWindow, qtbot: QtBot, tmp_path: Path) -> None:
    files = media(tmp_path / "media")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in files])
    drop = QDropEvent(QPointF(300, 300), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.timeline_model.mediaAdded, timeout=60_000):
        window.dropEvent(drop)
    window.findChild(QAction, "actionAddIntroOutro").trigger()  # type: ignore[union-attr]
    doc = window.document
    doc.apply(doc.project.__class__(
        slides=doc.project.slides, default_duration=1.0,
        transition=Transition(TransitionKind.NONE, 0.0),
        output=OutputSettings(resolution=Resolution(f"{W}x{H}"), fps=FPS)), "small")
    project = doc.project
    kinds = [s.kind for s in project.slides]
    assert kinds == [SlideKind.TITLE, *[SlideKind.PHOTO] * 4, *[SlideKind.CLIP] * 3,
                     SlideKind.TITLE]
    assert [s.source for s in project.slides[1:-1]] == files

    timeline = Timeline(project)
    shown: list[np.ndarray] = []
    with Compositor(project, prefetch=False) as comp:
        for span in timeline.slides:
            t = timeline.time_of(timeline.frame_at_time((span.start + span.end) / 2))
            with qtbot.waitSignal(window.preview.frameShown, timeout=60_000,
                                  check_params_cb=lambda at, t=t: at == t):
                window.preview.set_time(t)
            image = window.preview.current_image()
            assert image is not None
            picture = pixels(image)
            # the exact frame: the compositor's, which the render encodes
            expected = frame_to_rgb(comp.frame(timeline.frame_at_time(t)))
            np.testing.assert_array_equal(picture, expected, err_msg=f"slide {span.index}")
            shown.append(picture)

    with qtbot.waitSignal(window.bridge.jobFinished, timeout=180_000) as finished:
        window.findChild(QAction, "actionRender").trigger()  # type: ignore[union-attr]
    job = finished.args[0]
    assert job.status is JobStatus.FINISHED, job.error
    video = frames_rgb(Path(job.output), W, H)
    assert len(video) == timeline.frame_count
    for span, picture in zip(timeline.slides, shown, strict=True):
        n = timeline.frame_at_time((span.start + span.end) / 2)
        diff = np.abs(video[n].astype(int) - picture.astype(int)).mean()
        assert diff < 6, (span.index, diff)  # the same picture, through x264
