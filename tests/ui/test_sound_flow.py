"""The sound features through the window as a person uses them: photos dropped in, three
songs added to the Music panel's playlist and reordered, Edit > Cut on the Beat with its
dialog, the beats drawn on the waveform, then a render in the real queue whose sound lasts
exactly as long as its picture."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot

from simvid_desktop.jobs.model import Job, JobStatus
from simvid_desktop.model.beat_sync import beat_grid
from simvid_desktop.model.playlist import beats_on_clock, place_tracks
from simvid_desktop.model.project import OutputSettings, Resolution, Transition, TransitionKind
from simvid_desktop.model.settings import Settings
from simvid_desktop.model.timeline import Timeline
from simvid_desktop.ui.beat_actions import CutOnBeatDialog, show_clock_beats
from simvid_desktop.ui.main_window import MainWindow
from tests.integration.media import audio_samples, frames_rgb, solid
from tests.integration.media_beats import drum_song, write_wav

W, H, FPS = 160, 90, 25


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    w = MainWindow(Settings(output_dir=str(tmp_path / "videos"), workers=1))
    w.resize(1200, 800)
    w.show()
    yield w
    w.document.undo_stack.setClean()
    w.close()


def action(window: MainWindow, name: str) -> QAction:
    found = window.findChild(QAction, name)
    assert found is not None, name
    return found


def test_playlist_cut_on_the_beat_and_render(
        window: MainWindow, qtbot: QtBot, tmp_path: Path) -> None:
    media = tmp_path / "media"
    media.mkdir()
    photos = [solid(media / f"p{i}.png", (40 * i, 90, 200 - 30 * i), (W, H)) for i in range(6)]
    songs = [write_wav(media / "drums120.wav", drum_song(120, 10.0)),
             write_wav(media / "drums100.wav", drum_song(100, 10.0, seed=1)),
             write_wav(media / "drums90.wav", drum_song(90, 6.0, seed=2))]
    with qtbot.waitSignal(window.timeline_model.mediaAdded, timeout=60_000):
        window.add_paths(photos)
    doc = window.document
    doc.apply(replace(doc.project, default_duration=1.8,
                      transition=Transition(TransitionKind.FADE, 0.3),
                      output=OutputSettings(resolution=Resolution(f"{W}x{H}"), fps=FPS)),
              "small")

    # The playlist, through the Music panel: three songs, the last moved to the front.
    window.music.add_tracks(songs)
    window.music.move_track(2, 0)
    bed = doc.project.audio
    assert bed is not None and bed.paths == [songs[2], songs[0], songs[1]]

    # Edit > Cut on the Beat…: the dialog, every 2nd beat, then the analysis off the UI
    # thread and one undo step.
    before = doc.project
    action(window, "actionCutOnBeat").trigger()
    dialog = window.findChild(CutOnBeatDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.every.setCurrentIndex(dialog.every.findData(2))
    cutter = window.beat_cut.cutter
    with qtbot.waitSignal(cutter.finished, timeout=60_000) as done:
        dialog.accept()
    assert "Cut on the beat" in done.args[0]
    assert doc.undo_stack.undoText() == "Cut on the beat"
    project = doc.project
    grid = beat_grid(show_clock_beats(bed, cutter.beats(), 120.0), 2)
    for span in Timeline(project).slides:
        assert min(abs(span.end - b) for b in grid) <= 0.001, (span.end, grid)
    assert all(project.duration_of(i) >= 1.5 - 1e-6 for i in range(len(project.slides)))
    doc.undo_stack.undo()
    assert doc.project == before
    doc.undo_stack.redo()
    assert doc.project == project

    # The beats on the waveform, where the playlist plays each song.
    wave = window.music.waveform

    def beats_drawn() -> None:
        layers = wave.layers()
        assert wave.layers_current() and layers is not None and layers.beats

    qtbot.waitUntil(beats_drawn, timeout=30_000)
    layers = wave.layers()
    assert layers is not None
    found = cutter.beats()
    lengths = [found[t.path].duration for t in bed.tracks]
    assert [p.index for p in layers.placed][:3] == [0, 1, 2]
    assert [p.show_start for p in layers.placed] == pytest.approx(
        [p.show_start for p in place_tracks(bed, lengths, layers.axis[1])], abs=0.01)
    expected = beats_on_clock(layers.placed, [found[t.path].beats for t in bed.tracks],
                              layers.axis[1])
    assert layers.beats == pytest.approx(expected)
    assert layers.strong_beats == pytest.approx(beat_grid(expected, 2))

    # The render: picture and sound the same length.
    ended: list[Job] = []
    window.bridge.jobChanged.connect(lambda j: ended.append(j) if j.status.ended else None)
    with qtbot.waitSignal(window.bridge.queueIdle, timeout=180_000):
        action(window, "actionRender").trigger()
    job = ended[-1]
    assert job.status is JobStatus.FINISHED, job.error
    frames = len(frames_rgb(Path(job.output), W, H))
    assert frames == Timeline(project).frame_count
    seconds = audio_samples(Path(job.output)).size / 8000
    assert abs(seconds - frames / FPS) <= 1 / FPS, (seconds, frames / FPS)


def test_cut_on_the_beat_without_music_says_so(window: MainWindow, qtbot: QtBot,
                                               tmp_path: Path) -> None:
    photo = solid(tmp_path / "p.png", (90, 90, 90), (W, H))
    with qtbot.waitSignal(window.timeline_model.mediaAdded, timeout=60_000):
        window.add_paths([photo])
    action(window, "actionCutOnBeat").trigger()
    dialog = window.findChild(CutOnBeatDialog)
    assert dialog is not None
    with qtbot.waitSignal(window.beat_cut.problem, timeout=10_000) as problem:
        dialog.accept()
    assert problem.args[0].startswith("No music")
    assert window.statusBar().currentMessage() == problem.args[0]
    assert window.document.undo_stack.undoText() != "Cut on the beat"
