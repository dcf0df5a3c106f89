"""The music panel as a playlist editor, the voice-over and a slide's narration: real ffmpeg
decodes of tiny generated tracks, every edit checked in the project and through undo."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from simvid_desktop.model.playlist import playlist_length
from simvid_desktop.model.project import (
    AudioBed,
    Ducking,
    MusicTrack,
    Narration,
    Project,
    Slide,
    TrackJoin,
    Transition,
    TransitionKind,
)
from simvid_desktop.model.project_io import save_project
from simvid_desktop.model.settings import Settings
from simvid_desktop.model.units import format_duration
from simvid_desktop.paths import resource
from simvid_desktop.render.ffmpeg import ffmpeg_exe
from simvid_desktop.ui.document import ProjectDocument
from simvid_desktop.ui.inspector import SlideInspector
from simvid_desktop.ui.main_window import MainWindow
from simvid_desktop.ui.music_panel import MusicPanel
from simvid_desktop.ui.playlist_model import TrackRole
from simvid_desktop.ui.tasks import Pool, pool
from tests.integration.media import solid, tone
from tests.ui.grab import colours, grab, region

LOAD_TIMEOUT = 20_000


def show(tmp_path: Path, n: int = 4, **kw: object) -> Project:
    images = [solid(tmp_path / f"s{i}.png", (40 * i, 90, 160), (32, 18)) for i in range(n)]
    args: dict[str, object] = {"slides": tuple(Slide(p) for p in images),
                               "default_duration": 3.0}
    args.update(kw)
    return Project(**args)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def decodes_end_with_the_test() -> Iterator[None]:
    """No decode or waveform picture outlives its test (one finishing after the
    application is gone could not post its result)."""
    yield
    assert pool(Pool.DECODE).waitForDone(LOAD_TIMEOUT)


@pytest.fixture
def document() -> ProjectDocument:
    return ProjectDocument()


@pytest.fixture
def tracks(tmp_path: Path) -> list[Path]:
    """Three songs of different lengths; one an MP3, as most music is."""
    return [tone(tmp_path / "a-morning.wav", 1.0, 330),
            tone(tmp_path / "b-noon.mp3", 1.5, 440),
            tone(tmp_path / "c-evening.wav", 2.0, 550)]


def names(panel: MusicPanel) -> list[str]:
    return [panel.model.index(r).data() for r in range(panel.model.rowCount())]


def project_names(document: ProjectDocument) -> list[str]:
    audio = document.project.audio
    return [t.path.name for t in audio.tracks] if audio is not None else []


@pytest.fixture
def panel(qtbot, document: ProjectDocument, tmp_path: Path, tracks: list[Path]) -> MusicPanel:
    """A panel with the three tracks added to a 4-slide show and decoded."""
    panel = MusicPanel(document)
    qtbot.addWidget(panel)
    document.reset(show(tmp_path), None)
    with qtbot.waitSignal(panel.lengths.settled, timeout=LOAD_TIMEOUT):
        panel.add_tracks(tracks)
    return panel


def drop(widget, mime: QMimeData, pos: QPointF, actions: Qt.DropAction) -> QDropEvent:
    """What a drag offering ``actions`` delivers to ``widget``: enter, move, drop at ``pos``
    (Qt sends the drop to the widget that accepted the enter)."""
    args = (actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(pos.toPoint(), *args)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(widget, QDragMoveEvent(pos.toPoint(), *args))
    event = QDropEvent(pos, *args)
    QApplication.sendEvent(widget, event)
    return event


# -- the list ------------------------------------------------------------------------------
def test_adding_three_tracks_lists_them_with_their_lengths(panel, document, tracks) -> None:
    assert document.undo_stack.count() == 1
    assert document.undo_stack.undoText() == "Add 3 music tracks"
    assert names(panel) == ["a-morning.wav", "b-noon.mp3", "c-evening.wav"]
    assert [panel.track_length(i) for i in range(3)] == pytest.approx([1.0, 1.5, 2.0], abs=0.06)
    assert panel.track_length(3) is None
    assert [panel.model.index(r).data(TrackRole.LENGTH) for r in range(3)] == [
        "0:01", "0:02", "0:02"]
    assert panel.model.index(0).data(TrackRole.DETAIL) == "crossfade 2 s into the next"
    assert panel.model.index(2).data(TrackRole.DETAIL) == "crossfade 2 s into the first"
    assert panel.selected_row() == 0 and panel.track_fields.isEnabled()
    assert panel.summary_label.text().startswith("3 tracks · 0:0")


def test_dragging_a_row_reorders_and_undo_restores(qtbot, panel, document) -> None:
    view = panel.playlist
    view.resize(320, 300)
    view.show()
    qtbot.waitExposed(view)
    mime = panel.model.mimeData([panel.model.index(0)])
    last = view.visualRect(panel.model.index(2))
    steps = document.undo_stack.count()
    # Drop the first row on the lower half of the last: it becomes the last.
    event = drop(view.viewport(), mime, QPointF(last.center().x(), last.bottom() - 2),
                 panel.model.supportedDragActions())  # what the view's drag offers
    assert event.isAccepted()
    assert event.dropAction() == Qt.DropAction.CopyAction  # Qt must not remove a row itself
    assert project_names(document) == ["b-noon.mp3", "c-evening.wav", "a-morning.wav"]
    assert names(panel) == project_names(document)
    assert document.undo_stack.count() == steps + 1
    assert document.undo_stack.undoText() == "Move music track"
    assert panel.selected_row() == 2  # the moved track stays selected
    document.undo_stack.undo()
    assert project_names(document) == ["a-morning.wav", "b-noon.mp3", "c-evening.wav"]
    assert names(panel) == project_names(document)
    document.undo_stack.redo()
    assert project_names(document) == ["b-noon.mp3", "c-evening.wav", "a-morning.wav"]
    panel.move_track(2, 0)  # the same path a drop takes, straight
    assert project_names(document) == ["a-morning.wav", "b-noon.mp3", "c-evening.wav"]
    assert document.undo_stack.count() == steps + 2


def test_dropping_files_adds_them_where_they_land(qtbot, panel, document, tmp_path) -> None:
    view = panel.playlist
    view.resize(320, 300)
    view.show()
    qtbot.waitExposed(view)
    extra = [tone(tmp_path / "d.wav", 0.5), tone(tmp_path / "e.wav", 0.5)]
    (tmp_path / "notes.txt").write_text("not music")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in [*extra, tmp_path / "notes.txt"]])
    first = view.visualRect(panel.model.index(0))
    with qtbot.waitSignal(panel.lengths.settled, timeout=LOAD_TIMEOUT):
        drop(view.viewport(), mime, QPointF(first.center().x(), first.bottom() - 2),
             Qt.DropAction.CopyAction | Qt.DropAction.MoveAction)  # as file managers do
    assert project_names(document) == ["a-morning.wav", "d.wav", "e.wav", "b-noon.mp3",
                                       "c-evening.wav"]
    assert document.undo_stack.undoText() == "Add 2 music tracks"
    panel.remove_track(1)
    assert "d.wav" not in project_names(document)
    assert document.undo_stack.undoText() == "Remove music track"


def test_removing_the_last_track_leaves_the_show_silent(panel, document) -> None:
    for _ in range(3):
        panel.remove_button.click()
    assert document.project.audio is None
    assert panel.model.rowCount() == 0 and not panel.remove_button.isEnabled()
    assert document.undo_stack.undoText() == "Remove music"
    document.undo_stack.undo()
    assert project_names(document) == ["c-evening.wav"]


# -- edits ---------------------------------------------------------------------------------
def test_trim_volume_and_join_edits_land_in_the_project(panel, document) -> None:
    panel.select_row(1)
    fields = panel.track_fields
    before = document.project
    steps = document.undo_stack.count()
    fields.trim_in.setValue(0.25)
    fields.trim_out.setValue(1.25)
    for value in (8, 80):  # what typing "80" emits: one undo step
        fields.volume.setValue(value)
    fields.join.setCurrentIndex(fields.join.findData("gap"))
    fields.join_seconds.setValue(0.5)
    audio = document.project.audio
    assert audio is not None
    assert audio.tracks[1] == MusicTrack(audio.tracks[1].path, volume=0.8, start=0.25, end=1.25,
                                         join=TrackJoin.GAP, join_seconds=0.5)
    assert audio.tracks[0] == before.audio.tracks[0] and audio.tracks[2] == before.audio.tracks[2]
    assert document.undo_stack.count() == steps + 5
    assert panel.model.index(1).data(TrackRole.DETAIL) == (
        "0:00.2–0:01.2 · 80 % · 0.5 s gap before the next")
    assert panel.model.index(1).data(TrackRole.LENGTH) == "0:01"
    # Trim out back at the file's end means "to its end", whatever the decode says next.
    fields.trim_out.setValue(fields.trim_out.maximum())
    assert document.project.audio.tracks[1].end is None
    for _ in range(6):
        document.undo_stack.undo()
    assert document.project == before
    assert fields.trim_in.value() == 0.0 and fields.volume.value() == 100


def test_playlist_fades_loop_and_ducking(panel, document) -> None:
    before = document.project
    panel.fade_in.setValue(1.5)
    panel.fade_out.setValue(3.0)
    panel.loop.setCurrentIndex(panel.loop.findData(False))
    panel.duck_depth.setValue(-18)
    panel.duck_attack.setValue(0.5)
    panel.duck_release.setValue(0.8)
    audio = document.project.audio
    assert audio is not None
    assert (audio.fade_in, audio.fade_out, audio.loop) == (1.5, 3.0, False)
    assert audio.ducking == Ducking(depth_db=-18.0, attack=0.5, release=0.8)
    assert audio.tracks == before.audio.tracks
    # Without the loop the last track leads nowhere: its join cannot be edited.
    panel.select_row(2)
    assert not panel.track_fields.join.isEnabled()
    assert panel.model.index(2).data(TrackRole.DETAIL) == "then the playlist ends"
    for _ in range(6):
        document.undo_stack.undo()
    assert document.project == before
    assert panel.duck_depth.value() == -12 and panel.loop.currentData() is True


def test_fit_to_music_uses_the_whole_playlist(qtbot, document, tmp_path, tracks) -> None:
    panel = MusicPanel(document)
    qtbot.addWidget(panel)
    document.reset(show(tmp_path), None)  # 4 x 3 s = 12 s
    with qtbot.waitSignal(panel.lengths.settled, timeout=LOAD_TIMEOUT):
        panel.add_tracks(tracks)
        assert not panel.fit_button.isEnabled()  # until every length is decoded
    assert panel.fit_button.isEnabled()
    audio = document.project.audio
    assert audio is not None
    lengths = [panel.track_length(i) for i in range(3)]
    whole = playlist_length(audio, lengths)  # type: ignore[arg-type]
    assert whole > max(lengths)  # type: ignore[type-var]
    panel.fit_button.click()
    assert document.project.total_duration == pytest.approx(whole, abs=0.01)
    assert document.undo_stack.undoText() == "Fit slides to music"
    assert panel.hint_label.text() == "The show ends with the playlist."


def test_voice_over_edits_land_in_the_project(qtbot, document, tmp_path) -> None:
    voice = tone(tmp_path / "voice.wav", 1.0)
    panel = MusicPanel(document)
    qtbot.addWidget(panel)
    document.reset(show(tmp_path), None)
    fields = panel.voice_over
    assert not fields.start.isEnabled() and fields.file_label.text() == "No voice-over"
    with qtbot.waitSignal(panel.lengths.settled, timeout=LOAD_TIMEOUT):
        panel.set_voice_over(voice, 2.0)
    assert document.project.voice_over == Narration(voice, start=2.0)
    assert fields.file_label.text() == "voice.wav · 0:01" and fields.start.value() == 2.0
    assert fields.problem_label.isHidden()
    fields.start.setValue(3.5)
    fields.volume.setValue(60)
    assert document.project.voice_over == Narration(voice, start=3.5, volume=0.6)
    fields.clear_button.click()
    assert document.project.voice_over is None
    assert document.undo_stack.undoText() == "Remove voice-over"
    document.undo_stack.undo()
    assert document.project.voice_over == Narration(voice, start=3.5, volume=0.6)
    panel.set_voice_over(None)
    assert document.project.voice_over is None
    notes = tmp_path / "notes.wav"
    notes.write_text("not a recording")
    with qtbot.waitSignal(panel.lengths.settled, timeout=LOAD_TIMEOUT):
        panel.set_voice_over(notes)
    assert not fields.problem_label.isHidden()
    assert "notes.wav" in fields.problem_label.text()


def test_slide_narration_in_the_inspector(qtbot, document, tmp_path) -> None:
    voice = tone(tmp_path / "voice.wav", 0.5)
    inspector = SlideInspector(document)
    qtbot.addWidget(inspector)
    inspector.show()
    document.reset(show(tmp_path), None)
    fields = inspector.narration_fields
    inspector.set_rows([0, 1])
    assert not fields.isVisible()  # a narration belongs to one slide
    inspector.set_rows([1])
    assert fields.isVisible()
    before = document.project
    fields.set_file(voice)
    fields.start.setValue(0.5)
    fields.volume.setValue(120)
    slides = document.project.slides
    assert slides[1].narration == Narration(voice, start=0.5, volume=1.2)
    assert [s.narration for s in slides[:1] + slides[2:]] == [None] * 3
    assert document.undo_stack.count() == 3
    fields.clear_button.click()
    assert document.project.slides[1].narration is None
    for _ in range(4):
        document.undo_stack.undo()
    assert document.project == before


# -- files ---------------------------------------------------------------------------------
def test_unreadable_tracks_are_flagged_in_the_list(qtbot, document, tmp_path, tracks) -> None:
    notes = tmp_path / "notes.mp3"
    notes.write_text("not music")
    silent = tmp_path / "silent.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    "color=c=blue:s=64x36:d=1", "-pix_fmt", "yuv420p", str(silent)], check=True)
    panel = MusicPanel(document)
    qtbot.addWidget(panel)
    document.reset(show(tmp_path), None)
    with qtbot.waitSignal(panel.lengths.settled, timeout=LOAD_TIMEOUT):
        panel.add_tracks([tracks[0], notes, silent])
    problems = [panel.model.index(r).data(TrackRole.PROBLEM) for r in range(3)]
    assert problems[0] is None
    assert "notes.mp3" in problems[1] and "\n" not in problems[1]
    assert "silent.mp4" in problems[2] and "no audio stream" in problems[2]
    assert panel.model.index(1).data(TrackRole.LENGTH) == ""
    assert panel.track_length(1) is None
    assert "2 cannot be used" in panel.summary_label.text()
    assert not panel.fit_button.isEnabled()
    panel.remove_track(2)
    panel.remove_track(1)
    assert panel.fit_button.isEnabled()


def test_a_video_soundtrack_is_a_track(qtbot, document, tmp_path) -> None:
    video = tmp_path / "holiday.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    "color=c=blue:s=64x36:d=1", "-f", "lavfi", "-i", "sine=duration=1",
                    "-pix_fmt", "yuv420p", "-shortest", str(video)], check=True)
    panel = MusicPanel(document)
    qtbot.addWidget(panel)
    document.reset(show(tmp_path), None)
    with qtbot.waitSignal(panel.lengths.settled, timeout=LOAD_TIMEOUT):
        panel.add_tracks([video])
    assert panel.track_length(0) == pytest.approx(1.0, abs=0.1)
    assert panel.model.index(0).data(TrackRole.PROBLEM) is None


def test_old_single_track_project_is_a_one_item_playlist(qtbot, document, tmp_path) -> None:
    song = tone(tmp_path / "song.wav", 1.0)
    old = show(tmp_path, audio=AudioBed.single(song, volume=0.8, start=0.25, fade_in=1.0))
    path = tmp_path / "old.simvid"
    save_project(old, path)
    text = path.read_bytes()
    assert b'"tracks"' not in text  # the shape projects had before playlists
    panel = MusicPanel(document)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.lengths.settled, timeout=LOAD_TIMEOUT):
        document.open(path)
    assert names(panel) == ["song.wav"]
    assert panel.selected_row() == 0
    assert panel.track_fields.volume.value() == 80
    assert panel.track_fields.trim_in.value() == 0.25
    assert panel.fade_in.value() == 1.0
    assert panel.model.index(0).data(TrackRole.DETAIL) == (
        "0:00.2–end · 80 % · repeats straight on")
    assert panel.track_fields.join_label.text() == "Before it repeats"
    panel.track_fields.volume.setValue(90)  # an edit, undone: nothing changed
    document.undo_stack.undo()
    document.save(tmp_path / "again.simvid")
    assert (tmp_path / "again.simvid").read_bytes() == text


def test_dropping_files_on_the_panel_adds_them_at_the_end(qtbot, panel, document,
                                                          tmp_path) -> None:
    extra = tone(tmp_path / "d.wav", 0.5)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(extra))])
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(panel.lengths.settled, timeout=LOAD_TIMEOUT):
        panel.dropEvent(event)
    assert project_names(document)[-1] == "d.wav"
    assert document.undo_stack.undoText() == "Add music"


# -- how it looks --------------------------------------------------------------------------
def song(path: Path, seconds: float, freq: int) -> Path:
    """A tone that swells and fades like a phrase of music: a waveform worth looking at."""
    expr = (f"0.6*sin(2*PI*{freq}*t)*(0.55+0.45*sin(2*PI*t/3))"
            f"*(0.7+0.3*sin(2*PI*t*1.7))")
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"aevalsrc={expr}:s=22050:d={seconds}", str(path)], check=True)
    return path


def test_screenshot_playlist(qtbot, document, tmp_path) -> None:
    photos = sorted(p for p in resource("samples").iterdir() if p.suffix == ".jpg")
    music = next(resource("music").glob("*.m4a"))
    tracks = [song(tmp_path / "Sunrise (intro).wav", 9, 330), music,
              song(tmp_path / "Evening walk.mp3", 14, 262)]
    slides = tuple(Slide(p, transition=Transition(TransitionKind.FADE, 0.8)) for p in photos) * 2
    bed = AudioBed((MusicTrack(tracks[0], join_seconds=1.5),
                    MusicTrack(tracks[1], volume=0.8, start=4.0, join=TrackJoin.GAP,
                               join_seconds=1.0),
                    MusicTrack(tracks[2])), fade_in=1.5, fade_out=3.0)
    project = Project(slides=slides[:8], default_duration=3.5, audio=bed,
                      voice_over=Narration(song(tmp_path / "welcome.m4a", 6, 196), start=2.0))
    panel = MusicPanel(document)
    qtbot.addWidget(panel)
    panel.resize(560, 780)
    with qtbot.waitSignal(panel.lengths.settled, timeout=LOAD_TIMEOUT):
        document.reset(project, None)
    panel.select_row(1)
    panel.waveform.set_playhead(9.3)
    with qtbot.waitSignal(panel.waveform.layersReady, timeout=10_000):  # drawn off-thread
        panel.show()
    shot = grab(panel, "/tmp/ui_playlist.png")

    # What the panel says: three tracks with their decoded lengths, the second selected.
    assert names(panel) == ["Sunrise (intro).wav", music.name, "Evening walk.mp3"]
    assert panel.selected_row() == 1
    assert panel.track_fields.trim_in.value() == 4.0
    assert panel.track_fields.volume.value() == 80
    assert panel.track_fields.join.currentData() == "gap"
    lengths = panel.lengths_known()
    assert lengths is not None
    assert panel.summary_label.text() == (
        f"3 tracks · {format_duration(playlist_length(bed, lengths))} · "
        f"show {format_duration(project.total_duration)}")
    assert panel.voice_over.file_label.text() == "welcome.m4a · 0:06"
    assert panel.voice_over.problem_label.isHidden()
    # What it shows: every row and field drawn with text, and a waveform, not blank boxes.
    assert colours(region(shot, panel, panel.playlist)) > 20
    for widget in (panel.summary_label, panel.track_fields.plays, panel.track_fields.trim_in,
                   panel.fade_out, panel.duck_depth, panel.voice_over.file_label,
                   panel.hint_label):
        assert colours(region(shot, panel, widget)) > 3, widget.objectName()
    assert colours(region(shot, panel, panel.waveform)) > 20


def test_keys_remove_and_move_the_selected_track(qtbot, panel, document) -> None:
    panel.select_row(1)
    qtbot.keyClick(panel.playlist, Qt.Key.Key_Delete)
    assert project_names(document) == ["a-morning.wav", "c-evening.wav"]
    assert panel.selected_row() == 1  # the next track, ready for another delete
    qtbot.keyClick(panel.playlist, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert project_names(document) == ["c-evening.wav", "a-morning.wav"]
    assert panel.selected_row() == 0
    qtbot.keyClick(panel.playlist, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)  # top
    assert project_names(document) == ["c-evening.wav", "a-morning.wav"]


def test_music_added_to_the_window_joins_the_playlist(qtbot, tmp_path, tracks) -> None:
    window = MainWindow(Settings(output_dir=str(tmp_path)), start_runner=False)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.music.lengths.settled, timeout=LOAD_TIMEOUT):
        window.add_paths(tracks[:2])
    window.add_paths(tracks[2:])
    assert project_names(window.document) == ["a-morning.wav", "b-noon.mp3", "c-evening.wav"]
    assert window.document.undo_stack.count() == 2
    window.document.undo_stack.setClean()
