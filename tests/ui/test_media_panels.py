"""Music and output panels: real ffmpeg on tiny generated tracks, edits checked through undo."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from simvid_desktop.model.estimate import estimate_size_bytes
from simvid_desktop.model.project import (
    AudioBed,
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
    Transition,
    TransitionKind,
    VideoEncoder,
    check_project,
)
from simvid_desktop.model.units import format_duration, format_size
from simvid_desktop.paths import resource
from simvid_desktop.render.ffmpeg import ffmpeg_exe, probe_media
from simvid_desktop.ui.document import ProjectDocument
from simvid_desktop.ui.music_panel import MusicPanel, fit_slides_to_music
from simvid_desktop.ui.output_panel import OutputPanel
from simvid_desktop.ui.waveform import WaveformLoader, WaveformWidget
from tests.integration.media import ffmpeg_children, solid
from tests.ui.grab import colours, grab, region

LOAD_TIMEOUT = 20_000


def sine(path: Path, seconds: float) -> Path:
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=frequency=440:duration={seconds}", str(path)], check=True)
    return path


def silent_video(path: Path) -> Path:
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    "color=c=blue:s=64x36:d=1", "-pix_fmt", "yuv420p", str(path)], check=True)
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


@pytest.fixture
def tone10(tmp_path: Path) -> Path:
    return sine(tmp_path / "tone10.wav", 10)


def loaded_panel(qtbot, document: ProjectDocument, project: Project) -> MusicPanel:
    panel = MusicPanel(document)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.loader.loaded, timeout=LOAD_TIMEOUT):
        document.reset(project, None)
    return panel


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


# -- music panel ---------------------------------------------------------------------------
def test_fit_slides_to_music_is_one_undo_step(qtbot, document, tmp_path, tone10) -> None:
    project = show(tmp_path, audio=AudioBed(tone10, start=1.0))
    panel = loaded_panel(qtbot, document, project)
    assert panel.track_length == pytest.approx(10.0, abs=0.01)
    assert panel.fit_button.isEnabled()
    steps = document.undo_stack.count()
    panel.fit_button.click()
    fitted = document.project
    assert fitted.total_duration == pytest.approx(9.0, abs=0.01)
    assert [fitted.duration_of(i) for i in range(4)] == pytest.approx([2.25] * 4, abs=0.01)
    assert document.undo_stack.count() == steps + 1
    assert document.undo_stack.undoText() == "Fit slides to music"
    document.undo_stack.undo()
    assert document.project == project


def test_fit_keeps_customised_ratios(tmp_path: Path) -> None:
    base = show(tmp_path, default_duration=2.0, audio=AudioBed(Path("x.wav")))
    slides = list(base.slides)
    slides[0] = replace(slides[0], duration=1.0)
    slides[2] = replace(slides[2], duration=4.0)
    fitted = fit_slides_to_music(base.with_slides(slides), 18.0)  # durations 1,2,4,2 -> x2
    assert [fitted.duration_of(i) for i in range(4)] == pytest.approx([2, 4, 8, 4])
    with pytest.raises(ValueError, match="offset"):
        fit_slides_to_music(replace(base, audio=AudioBed(Path("x.wav"), start=20)), 18.0)


def test_music_panel_edits_and_undo(qtbot, document, tmp_path, tone10) -> None:
    project = show(tmp_path, audio=AudioBed(tone10))
    panel = loaded_panel(qtbot, document, project)
    panel.volume.setValue(150)
    panel.fade_in.setValue(1.5)
    panel.fade_out.setValue(3.0)
    panel.start_offset.setValue(2.0)
    panel.loop.setCurrentIndex(panel.loop.findData(False))
    audio = document.project.audio
    assert audio is not None
    assert (audio.volume, audio.fade_in, audio.fade_out, audio.start, audio.loop) == (
        1.5, 1.5, 3.0, 2.0, False)
    assert document.undo_stack.count() == 5
    for _ in range(5):
        document.undo_stack.undo()
    assert document.project == project
    assert panel.volume.value() == 100 and panel.loop.currentData() is True


def test_typing_in_a_spin_box_is_one_undo_step(qtbot, document, tmp_path, tone10) -> None:
    panel = loaded_panel(qtbot, document, show(tmp_path, audio=AudioBed(tone10)))
    for value in (1, 12, 120):  # what keyboard tracking emits while typing "120"
        panel.volume.setValue(value)
    assert document.undo_stack.count() == 1
    assert document.project.audio is not None and document.project.audio.volume == 1.2


def test_file_without_sound_is_reported_inline(qtbot, document, tmp_path) -> None:
    video = silent_video(tmp_path / "clip.mp4")
    panel = MusicPanel(document)
    qtbot.addWidget(panel)
    document.reset(show(tmp_path), None)
    with qtbot.waitSignal(panel.loader.failed, timeout=LOAD_TIMEOUT):
        panel.set_music(video)
    assert not panel.problem_label.isHidden()
    assert "clip.mp4" in panel.problem_label.text()
    assert "no audio stream" in panel.problem_label.text()
    assert not panel.fit_button.isEnabled()
    panel.clear_music()
    assert document.project.audio is None and panel.problem_label.isHidden()


def test_dropping_a_track_sets_the_music(qtbot, document, tmp_path, tone10) -> None:
    panel = MusicPanel(document)
    qtbot.addWidget(panel)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tone10))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(panel.loader.loaded, timeout=LOAD_TIMEOUT):
        panel.dropEvent(event)
    assert document.project.audio is not None and document.project.audio.path == tone10
    assert document.undo_stack.undoText() == "Choose music"


def test_screenshot_music_panel(qtbot, document) -> None:
    photos = sorted(p for p in resource("samples").iterdir() if p.suffix == ".jpg")
    music = next(resource("music").glob("*.m4a"))
    slides = tuple(Slide(p, transition=Transition(TransitionKind.FADE, 0.8)) for p in photos) * 2
    project = Project(slides=slides[:8], default_duration=3.5,
                      audio=AudioBed(music, fade_in=1.5, fade_out=3.0, start=4.0))
    panel = loaded_panel(qtbot, document, project)
    panel.resize(760, 330)
    panel.waveform.set_playhead(9.3)
    with qtbot.waitSignal(panel.waveform.layersReady, timeout=10_000):  # drawn off-thread
        panel.show()
    shot = grab(panel, "/tmp/ui_music.png")

    # What the panel says: the track, its decoded length against the show's, the settings.
    info = probe_media(music)
    assert info is not None and info.duration is not None
    assert panel.track_length is not None and abs(panel.track_length - info.duration) < 0.2
    assert panel.file_label.text() == music.name
    assert panel.detail_label.text() == (f"Track {format_duration(panel.track_length)} · "
                                         f"show {format_duration(project.total_duration)}")
    assert (panel.fade_in.value(), panel.fade_out.value(), panel.start_offset.value()) == (
        1.5, 3.0, 4.0)
    assert panel.fit_button.isEnabled() and panel.hint_label.text()
    assert panel.waveform.layers_current() and panel.waveform.playhead() == 9.3
    # What it shows: text in the labels, and a waveform drawn, not an empty stage. The
    # wave's column is bright where the sound is: well over a few colours from the
    # antialiased bars, the slide boundaries, the fades and the playhead.
    for label in (panel.file_label, panel.detail_label, panel.hint_label):
        assert colours(region(shot, panel, label)) > 3, label.text()
    wave = region(shot, panel, panel.waveform)
    assert colours(wave) > 20
    middle = wave[wave.shape[0] // 2]  # the row through the wave's centre line
    assert (np.abs(middle.astype(int) - middle[0].astype(int)).sum(axis=1) > 30).mean() > 0.5


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
