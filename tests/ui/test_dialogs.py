"""Batch export and settings dialogs: what they plan, what they queue, what they save."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from pytestqt.qtbot import QtBot

from simvid_desktop.jobs.store import Store
from simvid_desktop.model.project import (
    AudioBed,
    OutputFormat,
    OutputSettings,
    Project,
    Quality,
    Resolution,
    Slide,
    Transition,
    TransitionKind,
)
from simvid_desktop.model.settings import CollisionPolicy, Settings, load_settings, settings_path
from simvid_desktop.render.ffmpeg import run_ffmpeg
from simvid_desktop.ui.batch_dialog import BatchExportDialog, file_name
from simvid_desktop.ui.job_bridge import JobBridge
from simvid_desktop.ui.settings_dialog import SettingsDialog


def photo(path: Path, color: tuple[int, int, int] = (200, 60, 40)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 64), color).save(path, "JPEG")
    return path


def tone(path: Path, seconds: float = 1.0) -> Path:
    """A short sine-wave track, encoded by the bundled ffmpeg from its file suffix."""
    code, _, log = run_ffmpeg(["-v", "error", "-y", "-f", "lavfi", "-i",
                               f"sine=frequency=440:duration={seconds}", str(path)])
    assert code == 0, log
    return path


@pytest.fixture
def bridge(qtbot: QtBot) -> Iterator[JobBridge]:
    b = JobBridge(Settings(workers=1))
    with qtbot.waitSignal(b.jobsReset, timeout=5000):
        pass  # the first read arrives once the event loop runs
    yield b
    b.shutdown()


@pytest.fixture
def project(tmp_path: Path) -> Project:
    slides = tuple(Slide(photo(tmp_path / "project" / f"{i}.jpg")) for i in range(3))
    return Project(slides=slides, default_duration=0.5,
                   transition=Transition(TransitionKind.FADE, 0.2),
                   output=OutputSettings(resolution=Resolution("1080p"), quality=Quality.DRAFT))


def dialog_for(qtbot: QtBot, bridge: JobBridge, project: Project, out: Path,
               collision: CollisionPolicy = CollisionPolicy.NUMBER) -> BatchExportDialog:
    settings = Settings(output_dir=str(out), collision=collision)
    dialog = BatchExportDialog(bridge, project, "Holiday", settings)
    qtbot.addWidget(dialog)
    return dialog


# -- batch export: several sizes ----------------------------------------------------------------
def test_three_presets_queue_three_jobs(qtbot: QtBot, bridge: JobBridge, project: Project,
                                        tmp_path: Path) -> None:
    out = tmp_path / "videos"  # does not exist yet: queuing creates it
    dialog = dialog_for(qtbot, bridge, project, out)
    assert dialog.preset_boxes["1080p"].isChecked()  # the project's own size to start with
    dialog.preset_boxes["720p"].setChecked(True)
    dialog.preset_boxes["square"].setChecked(True)
    planned = dialog.jobs()
    assert [o.name for _, o, _ in planned] == [
        "Holiday-720p.mp4", "Holiday-1080p.mp4", "Holiday-square.mp4"]
    assert [p.output.resolution.text for p, _, _ in planned] == ["720p", "1080p", "square"]
    assert dialog.queue_button.text() == "Queue 3 videos"
    with qtbot.waitSignal(bridge.jobsReset, timeout=20000,
                          check_params_cb=lambda jobs: len(jobs) == 3) as reset:
        dialog.queue_button.click()
    assert [j.name for j in reset.args[0]] == ["Holiday-720p", "Holiday-1080p", "Holiday-square"]
    store = Store()
    try:
        assert [j.output for j in store.jobs()] == [str(out / o.name) for _, o, _ in planned]
    finally:
        store.close()


def test_custom_size_pattern_and_clashes_are_shown_before_queuing(
        qtbot: QtBot, bridge: JobBridge, project: Project, tmp_path: Path) -> None:
    out = tmp_path / "videos"
    out.mkdir()
    (out / "Holiday-1080p.mp4").write_bytes(b"")
    dialog = dialog_for(qtbot, bridge, project, out, CollisionPolicy.REFUSE)
    dialog.custom_size.setText("640x36o")  # a typo: ticks "Custom" and shows why it is wrong
    assert dialog.custom_box.isChecked()
    problems = [v.problem for v in dialog.planned() if v.problem]
    assert any("custom size" in p for p in problems)
    assert any("exists" in p for p in problems)  # collision setting: refuse
    dialog.custom_size.setText("640x360")
    assert [o.name for _, o, _ in dialog.jobs()] == ["Holiday-640x360.mp4"]
    dialog.sizes_pattern.setText("{name}-{size}")
    assert dialog.jobs() == []
    assert "unknown field {size}" in (dialog.planned()[0].problem or "")
    assert not dialog.queue_button.isEnabled()


def test_batch_export_makes_a_video_per_size_and_format(
        qtbot: QtBot, bridge: JobBridge, project: Project, tmp_path: Path) -> None:
    dialog = dialog_for(qtbot, bridge, project, tmp_path / "videos")
    assert [f for f, box in dialog.format_boxes.items() if box.isChecked()] == [
        OutputFormat.MP4]  # the project's own format to start with
    dialog.preset_boxes["720p"].setChecked(True)
    dialog.format_boxes[OutputFormat.WEBM_VP9].setChecked(True)
    planned = dialog.jobs()
    assert [o.name for _, o, _ in planned] == [
        "Holiday-720p.mp4", "Holiday-720p.webm", "Holiday-1080p.mp4", "Holiday-1080p.webm"]
    assert [p.output.format for p, _, _ in planned] == [
        OutputFormat.MP4, OutputFormat.WEBM_VP9] * 2
    dialog.format_boxes[OutputFormat.MP4_HEVC].setChecked(True)  # .mp4 too: a clash, shown
    assert any("same file" in (v.problem or "") for v in dialog.planned())
    for box in dialog.format_boxes.values():
        box.setChecked(False)
    assert dialog.jobs() == [] and "at least one format" in dialog.summary.text()


def test_file_name_pattern() -> None:
    assert file_name("{name}-{preset}", name="A/B: trip", preset="4k") == "A_B_ trip-4k.mp4"
    with pytest.raises(ValueError, match="folders"):
        file_name("sub/{name}.mp4", name="x")


# -- batch export: one video per folder ---------------------------------------------------------
def test_one_video_per_folder_plans_each_folder_with_its_music(
        qtbot: QtBot, bridge: JobBridge, project: Project, tmp_path: Path) -> None:
    song = tone(tmp_path / "project" / "theme.m4a")
    project = Project(slides=project.slides, output=project.output,
                      audio=AudioBed.single(song, volume=0.8))
    parent = tmp_path / "trips"
    for name in ("b.jpg", "A.jpg", "c.JPG"):
        photo(parent / "Paris" / name)
    tone(parent / "Paris" / "paris.mp3")
    for name in ("2.png", "1.png"):
        photo(parent / "Rome" / name)
    (parent / "Notes").mkdir()
    (parent / "Notes" / "todo.txt").write_text("no photos here")
    (parent / ".thumbnails").mkdir()
    out = tmp_path / "videos"
    dialog = dialog_for(qtbot, bridge, project, out)
    with qtbot.waitSignal(dialog.planChanged, timeout=10000):
        dialog.set_parent_folder(parent)
    planned = dialog.planned()
    assert [v.name for v in planned] == ["Notes", "Paris", "Rome"]
    assert planned[0].problem == "no photos or clips in this folder"
    jobs = dialog.jobs()
    assert [(o, n) for _, o, n in jobs] == [(out / "Paris.mp4", "Paris"),
                                            (out / "Rome.mp4", "Rome")]
    paris, rome = jobs[0][0], jobs[1][0]
    assert [s.image.name for s in paris.slides] == ["A.jpg", "b.jpg", "c.JPG"]
    assert [s.image.name for s in rome.slides] == ["1.png", "2.png"]
    assert paris.audio is not None and paris.audio.first.path == parent / "Paris" / "paris.mp3"
    assert paris.audio.first.volume == 0.8  # the project's music settings, the folder's track
    assert rome.audio == project.audio
    assert paris.output == rome.output == project.output
    assert dialog.queue_button.text() == "Queue 2 videos"
    dialog.resize(860, 560)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.grab().save("/tmp/ui_batch_folders.png")


def test_screenshot_of_the_batch_dialog(qtbot: QtBot, bridge: JobBridge, project: Project,
                                        tmp_path: Path) -> None:
    out = tmp_path / "Videos" / "Simvid"
    out.mkdir(parents=True)
    (out / "Holiday-square.mp4").write_bytes(b"")
    dialog = dialog_for(qtbot, bridge, project, out)
    for key in ("720p", "vertical", "square"):
        dialog.preset_boxes[key].setChecked(True)
    dialog.custom_size.setText("9000x9000")  # too big: shown, not queued
    dialog.resize(860, 560)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert len(dialog.jobs()) == 4
    assert dialog.grab().save("/tmp/ui_batch.png")


# -- settings -----------------------------------------------------------------------------------
def test_settings_round_trip(qtbot: QtBot, tmp_path: Path) -> None:
    original = Settings(segment_seconds=12.0)
    dialog = SettingsDialog(original)
    qtbot.addWidget(dialog)
    assert dialog.workers.text().startswith("Automatic (")  # 0 shows the automatic count
    dialog.workers.setValue(3)
    dialog.retries.setValue(4)
    dialog.output_dir.setText(str(tmp_path / "out"))
    dialog.collision.setCurrentIndex(dialog.collision.findData(CollisionPolicy.REFUSE))
    dialog.duration.setValue(4.5)
    dialog.transition.setCurrentIndex(dialog.transition.findData("slide-left"))
    dialog.resolution.setCurrentIndex(dialog.resolution.findData("4k"))
    dialog.farm_url.setText(" redis://farm:6379/0 ")
    with qtbot.waitSignal(dialog.settingsSaved, timeout=1000) as saved:
        dialog.accept()
    expected = Settings(workers=3, output_dir=str(tmp_path / "out"),
                        collision=CollisionPolicy.REFUSE, retries=4, default_duration=4.5,
                        default_transition=TransitionKind.SLIDE_LEFT,
                        default_resolution=Resolution("4k"),
                        farm_url="redis://farm:6379/0", segment_seconds=12.0)
    assert saved.args == [expected]
    assert json.loads(settings_path().read_text())["collision"] == "refuse"
    assert load_settings() == expected
    again = SettingsDialog(load_settings())
    qtbot.addWidget(again)
    assert again.settings() == expected
    again.resize(600, 10)
    again.show()
    qtbot.waitExposed(again)
    assert again.grab().save("/tmp/ui_settings.png")


def test_settings_round_trip_the_farm_path_map_and_split(qtbot: QtBot) -> None:
    dialog = SettingsDialog(Settings(farm_url="redis://farm:6379/0",
                                     farm_path_map=["/Users/ana/Photos=/mnt/photos"], farm_split=3))
    qtbot.addWidget(dialog)
    assert dialog.path_map.toPlainText() == "/Users/ana/Photos=/mnt/photos"
    assert dialog.farm_split.value() == 3
    assert dialog.farm_split.minimum() == 1 and dialog.farm_split.maximum() == 16
    assert dialog.path_map.toolTip() and dialog.farm_split.toolTip()
    dialog.path_map.setPlainText(" /Users/ana/Photos = /mnt/photos \n\n/Volumes/Music=/mnt/music\n")
    dialog.farm_split.setValue(4)
    assert dialog.ok_button.isEnabled() and not dialog.path_map_error.isVisibleTo(dialog)
    with qtbot.waitSignal(dialog.settingsSaved, timeout=1000) as saved:
        dialog.accept()
    expected = ["/Users/ana/Photos = /mnt/photos", "/Volumes/Music=/mnt/music"]
    assert saved.args[0].farm_path_map == expected
    assert saved.args[0].farm_split == 4
    assert (load_settings().farm_path_map, load_settings().farm_split) == (expected, 4)
    again = SettingsDialog(load_settings())
    qtbot.addWidget(again)
    assert again.settings() == saved.args[0]


def test_settings_refuse_a_bad_path_map_rule_inline(qtbot: QtBot) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.path_map.setPlainText("/Users/ana/Photos=/mnt/photos\n/Volumes/Music")
    assert dialog.path_map_error.isVisible()
    assert "line 2" in dialog.path_map_error.text()
    assert "'/Volumes/Music'" in dialog.path_map_error.text()  # names the rule
    assert not dialog.ok_button.isEnabled()
    with qtbot.assertNotEmitted(dialog.settingsSaved):
        dialog.accept()  # Enter in a field must not get past it either
    assert dialog.isVisible() and not settings_path().exists()
    dialog.resize(600, 10)
    assert dialog.grab().save("/tmp/ui_settings_bad_rule.png")
    dialog.path_map.setPlainText("/Users/ana/Photos=/mnt/photos\n/Volumes/Music=/mnt/music")
    assert not dialog.path_map_error.isVisible() and dialog.ok_button.isEnabled()
    with qtbot.waitSignal(dialog.settingsSaved, timeout=1000):
        dialog.ok_button.click()
