"""The waveform and the output panel: real ffmpeg on tiny generated tracks, edits checked
through undo (the music panel: test_music_playlist.py)."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from simvid_desktop.model.estimate import estimate_size_bytes
from simvid_desktop.model.project import (
    QUALITY_PRESETS,
    ChapterMode,
    FitMode,
    Loudness,
    Motion,
    MotionMode,
    OutputFormat,
    OutputSettings,
    Project,
    Quality,
    Resolution,
    Slide,
    VideoEncoder,
    check_project,
)
from simvid_desktop.model.units import format_size
from simvid_desktop.render.ffmpeg import ffmpeg_exe
from simvid_desktop.ui.document import ProjectDocument
from simvid_desktop.ui.output_panel import OutputPanel
from simvid_desktop.ui.waveform import WaveformLoader, WaveformWidget
from tests.integration.media import ffmpeg_children, solid
from tests.ui.grab import colours, grab, region

LOAD_TIMEOUT = 20_000


def sine(path: Path, seconds: float) -> Path:
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=frequency=440:duration={seconds}", str(path)], check=True)
    return path


def show(tmp_path: Path, n: int = 4, **kw: object) -> Project:
    images = [solid(tmp_path / f"s{i}.png", (40 * i, 90, 160), (32, 18)) for i in range(n)]
    args: dict[str, object] = {"slides": tuple(Slide(p) for p in images),
                               "default_duration": 3.0}
    args.update(kw)
    return Project(**args)  # type: ignore[arg-type]


@pytest.fixture
def document() -> ProjectDocument:
    return ProjectDocument()


# -- waveform ------------------------------------------------------------------------------
def test_waveform_of_a_sine_loads_off_thread(qtbot, tmp_path: Path) -> None:
    track = sine(tmp_path / "sine.m4a", 3)
    loader = WaveformLoader()
    with qtbot.waitSignal(loader.loaded, timeout=LOAD_TIMEOUT) as blocker:
        loader.load(track)
    path, peaks, duration = blocker.args
    assert path == str(track)
    assert duration == pytest.approx(3.0, abs=0.03)
    assert isinstance(peaks, np.ndarray) and peaks.ndim == 2 and peaks.shape[1] == 2
    assert 100 <= len(peaks) <= 2000
    assert float(np.abs(peaks).max()) > 0.05
    assert (peaks[:, 0] <= peaks[:, 1]).all()
    assert ffmpeg_children() == []


def test_waveform_of_a_text_file_fails_naming_it(qtbot, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not music")
    loader = WaveformLoader()
    with qtbot.waitSignal(loader.failed, timeout=LOAD_TIMEOUT) as blocker:
        loader.load(notes)
    assert blocker.args[0] == str(notes)
    assert "notes.txt" in blocker.args[1]


def test_a_new_load_forgets_the_previous_one(qtbot, tmp_path: Path) -> None:
    first, second = sine(tmp_path / "a.wav", 2), sine(tmp_path / "b.wav", 1)
    loader = WaveformLoader()
    with qtbot.waitSignal(loader.loaded, timeout=LOAD_TIMEOUT) as blocker:
        loader.load(first)
        loader.load(second)
    assert blocker.args[0] == str(second)
    with qtbot.assertNotEmitted(loader.loaded, wait=300):
        pass


def test_waveform_click_seeks_within_the_show(qtbot, tmp_path: Path) -> None:
    widget = WaveformWidget()
    qtbot.addWidget(widget)
    widget.resize(416, 110)
    widget.set_show(show(tmp_path))  # 12 s, no music: the axis is the show
    with qtbot.waitSignal(widget.seekRequested) as blocker:
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=widget.rect().center())
    assert blocker.args[0] == pytest.approx(6.0, abs=0.2)
    assert widget.playhead() == blocker.args[0]


# -- output panel and estimate -------------------------------------------------------------
def test_output_panel_edits_update_project_and_info(qtbot, document, tmp_path) -> None:
    panel = OutputPanel(document)
    qtbot.addWidget(panel)
    document.reset(show(tmp_path, n=14), None)  # 14 x 3 s = 0:42
    assert panel.info_text().startswith("1920×1080 · 30 fps · 0:42 · ≈ ")
    size_1080 = estimate_size_bytes(document.project)
    assert format_size(size_1080) in panel.info_text()

    panel.preset.setCurrentIndex(panel.preset.findData("4k"))
    panel.fps.setCurrentIndex(panel.fps.findData(60))
    panel.quality.setCurrentIndex(panel.quality.findData("best"))
    out = document.project.output
    assert (out.resolution.text, out.fps, out.quality) == ("4k", 60, Quality.BEST)
    assert panel.info_text().startswith("3840×2160 · 60 fps · 0:42 · ≈ ")
    assert estimate_size_bytes(document.project) > 3 * size_1080
    assert format_size(estimate_size_bytes(document.project)) in panel.info_text()

    panel.fit.setCurrentIndex(panel.fit.findData("blur"))
    assert document.project.output.fit is FitMode.BLUR
    assert check_project(document.project) == []
    for _ in range(4):
        document.undo_stack.undo()
    assert document.project.output == OutputSettings()
    assert panel.preset.currentData() == "1080p" and panel.info_text().startswith("1920×1080")


def test_output_panel_sets_chapters_and_the_chapter_list(qtbot, document, tmp_path) -> None:
    panel = OutputPanel(document)
    qtbot.addWidget(panel)
    document.reset(show(tmp_path), None)
    assert not panel.chapter_list.isEnabled()  # nothing to list without chapters
    panel.chapters.setCurrentIndex(panel.chapters.findData("titles"))
    assert document.project.output.chapters is ChapterMode.TITLES
    assert panel.chapter_list.isEnabled()
    panel.chapter_list.setChecked(True)
    assert document.project.output.chapter_list is True
    document.undo_stack.undo()
    document.undo_stack.undo()
    assert document.project.output == OutputSettings()
    assert panel.chapters.currentData() == "none" and not panel.chapter_list.isChecked()


def test_output_panel_offers_the_encoders_found_here(qtbot, document, tmp_path,
                                                    monkeypatch) -> None:
    monkeypatch.setattr("simvid_desktop.ui.output_panel.available",
                        lambda: [VideoEncoder.QSV])  # as on a computer with Intel graphics
    panel = OutputPanel(document)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.hardwareChecked, timeout=10_000) as checked:
        document.reset(show(tmp_path), None)
    assert checked.args == [[VideoEncoder.QSV]]
    model = panel.encoder.model()
    enabled = {panel.encoder.itemData(r): model.item(r).isEnabled()
               for r in range(panel.encoder.count())}
    assert enabled == {"auto": True, "software": True, "nvenc": False, "qsv": True,
                       "vaapi": False, "amf": False, "videotoolbox": False}
    assert panel.encoder.itemText(panel.encoder.findData("nvenc")).endswith(
        "(not on this computer)")
    panel.encoder.setCurrentIndex(panel.encoder.findData("qsv"))
    assert document.project.output.video_encoder is VideoEncoder.QSV


def test_output_panel_format_changes_the_project_the_name_and_the_estimate(
        qtbot, document, tmp_path) -> None:
    panel = OutputPanel(document)
    qtbot.addWidget(panel)
    document.reset(show(tmp_path, n=14), None)
    panel.name_edit.setText("holiday.mp4")
    mp4 = estimate_size_bytes(document.project)
    assert [panel.format.itemData(r) for r in range(panel.format.count())] == [
        f.value for f in OutputFormat]

    panel.format.setCurrentIndex(panel.format.findData("webm-vp9"))
    assert document.project.output.format is OutputFormat.WEBM_VP9
    assert panel.output_path().name == "holiday.webm"
    assert panel.name_edit.text() == "holiday.webm"
    assert panel.info_text().startswith("webm-vp9 · 1920×1080 · 30 fps")
    assert estimate_size_bytes(document.project) < mp4
    assert not panel.encoder.isEnabled(), "hardware encoders make H.264 only"

    panel.format.setCurrentIndex(panel.format.findData("gif"))
    assert panel.output_path().name == "holiday.gif"
    assert panel.info_text().startswith("gif · 640×360 · 15 fps")
    assert format_size(estimate_size_bytes(document.project)) in panel.info_text()
    assert not panel.loudness.isEnabled() and not panel.chapters.isEnabled()
    assert panel.preset.currentData() == "1080p", "the chosen size is kept, only capped"

    panel.format.setCurrentIndex(panel.format.findData("mov-prores"))
    assert estimate_size_bytes(document.project) > 5 * mp4, "ProRes is for editing: large"
    document.undo_stack.undo()
    document.undo_stack.undo()
    document.undo_stack.undo()
    assert document.project.output == OutputSettings()
    assert panel.output_path().name == "holiday.mp4" and panel.encoder.isEnabled()


def test_output_panel_sets_the_loudness(qtbot, document, tmp_path) -> None:
    panel = OutputPanel(document)
    qtbot.addWidget(panel)
    document.reset(show(tmp_path), None)
    assert panel.loudness.currentData() == "-14"  # online video, the default
    panel.loudness.setCurrentIndex(panel.loudness.findData("-23"))
    assert document.project.output.loudness is Loudness.BROADCAST
    document.undo_stack.undo()
    assert panel.loudness.currentData() == "-14"


def test_custom_size_is_always_even(qtbot, document, tmp_path) -> None:
    panel = OutputPanel(document)
    qtbot.addWidget(panel)
    panel.show()
    document.reset(show(tmp_path), None)
    assert not panel.width_spin.isVisible()
    panel.preset.setCurrentIndex(panel.preset.findData("custom"))
    assert document.project.output.resolution.text == "1920x1080"
    assert panel.width_spin.isVisible()
    panel.width_spin.setValue(1001)
    assert panel.width_spin.value() == 1002
    assert document.project.output.resolution.text == "1002x1080"
    assert panel.info_text().startswith("1002×1080")


def test_output_path_is_window_state(qtbot, document, tmp_path) -> None:
    panel = OutputPanel(document)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.outputChanged):
        panel.set_output_folder(tmp_path)
    with qtbot.waitSignal(panel.outputChanged):
        panel.name_edit.setText("holiday")
    assert panel.output_path() == tmp_path / "holiday.mp4"
    assert document.undo_stack.count() == 0


def test_estimate_grows_with_resolution_duration_motion_quality(tmp_path: Path) -> None:
    base = show(tmp_path, n=10)
    sizes = [estimate_size_bytes(replace(base, output=OutputSettings(resolution=Resolution(r))))
             for r in ("720p", "1080p", "4k")]
    assert sizes[0] < sizes[1] < sizes[2]
    assert estimate_size_bytes(replace(base, default_duration=6.0)) > 1.9 * sizes[1]
    assert estimate_size_bytes(replace(base, motion=Motion(MotionMode.AUTO))) > sizes[1]
    by_quality = [estimate_size_bytes(replace(base, output=OutputSettings(quality=q)))
                  for q in (Quality.DRAFT, Quality.STANDARD, Quality.HIGH, Quality.BEST)]
    assert by_quality == sorted(by_quality)
    # 30 s of 1080p30 stills at CRF 23: a few MB, as measured (docstring of estimate.py)
    assert 3_000_000 < sizes[1] < 20_000_000
    assert estimate_size_bytes(Project()) == 0


def test_screenshot_output_panel(qtbot, document, tmp_path) -> None:
    panel = OutputPanel(document)
    qtbot.addWidget(panel)
    document.reset(show(tmp_path, n=14, motion=Motion(MotionMode.AUTO)), None)
    panel.set_output_folder(Path.home() / "Videos")
    panel.set_file_name("summer-2024.mp4")
    panel.resize(460, 330)
    panel.show()
    qtbot.waitExposed(panel)
    shot = grab(panel, "/tmp/ui_output.png")

    # The state shown: defaults for a new project, the chosen folder and name, the summary.
    assert panel.preset.currentData() == "1080p" and panel.fps.currentData() == 30
    assert panel.preset.currentText().endswith("1920×1080")
    assert panel.output_path() == Path.home() / "Videos" / "summer-2024.mp4"
    assert panel.info_text() == (f"1920×1080 · 30 fps · 0:42 · "
                                 f"≈ {format_size(estimate_size_bytes(document.project))}")
    assert not panel.problem_label.isVisible()
    # And drawn: every field and the summary carry text, not blank boxes.
    for widget in (panel.preset, panel.fps, panel.quality, panel.fit, panel.folder_edit,
                   panel.name_edit, panel.info_label):
        assert colours(region(shot, panel, widget)) > 3, type(widget).__name__


def test_the_quality_choices_say_what_x264_is_given(qtbot) -> None:
    """The tooltip of each quality names its x264 settings, the tuned options included."""
    panel = OutputPanel(ProjectDocument())
    qtbot.addWidget(panel)
    standard = QUALITY_PRESETS[Quality.STANDARD]
    index = panel.quality.findData(Quality.STANDARD.value)
    tip = panel.quality.itemData(index, Qt.ItemDataRole.ToolTipRole)
    assert f"CRF {standard.crf:g}" in tip and standard.x264_preset in tip
    assert standard.x264_params and standard.x264_params in tip
