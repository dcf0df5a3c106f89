"""Cut on the beat from the window's side: the playlist's beats found off the UI thread,
every slide change moved onto one as a single undo step, and a plain message when there
is nothing to cut on."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from simvid_desktop.model.beat_sync import beat_grid
from simvid_desktop.model.project import (
    AudioBed,
    MusicTrack,
    Project,
    Slide,
    Transition,
    TransitionKind,
)
from simvid_desktop.model.timeline import Timeline
from simvid_desktop.ui.beat_actions import (
    BeatCutOptions,
    BeatCutter,
    CutOnBeatDialog,
    show_clock_beats,
)
from simvid_desktop.ui.document import ProjectDocument
from tests.integration.media_beats import drum_song, write_wav

TIMEOUT = 60_000


@pytest.fixture(scope="module")
def songs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("songs")
    return (write_wav(folder / "drums120.wav", drum_song(120, 8.0)),
            write_wav(folder / "drums100.wav", drum_song(100, 8.0, seed=1)))


def slideshow(bed: AudioBed | None, n: int = 8, seconds: float = 1.7) -> Project:
    return Project(slides=tuple(Slide(image=Path(f"/p/{i}.jpg")) for i in range(n)),
                   default_duration=seconds, transition=Transition(TransitionKind.FADE, 0.4),
                   audio=bed)


def playlist(*paths: Path) -> AudioBed:
    return AudioBed(tuple(MusicTrack(p, join_seconds=1.0) for p in paths))


@pytest.fixture
def document(qtbot: QtBot) -> ProjectDocument:
    return ProjectDocument()


def test_the_slides_change_on_the_beats_in_one_undo_step(
        qtbot: QtBot, document: ProjectDocument, songs: tuple[Path, Path]) -> None:
    bed = playlist(*songs)
    before = slideshow(bed)
    document.reset(before, None)
    cutter = BeatCutter(document)
    progress: list[tuple[int, int, str]] = []
    cutter.progress.connect(lambda *a: progress.append(a))
    with qtbot.waitSignal(cutter.finished, timeout=TIMEOUT) as done:
        cutter.cut(BeatCutOptions(every=2, min_duration=1.5))
    assert not cutter.running
    assert progress == [(0, 2, songs[0].name), (1, 2, songs[1].name)]
    assert "Cut on the beat" in done.args[0]
    assert document.undo_stack.count() == 1
    assert document.undo_stack.undoText() == "Cut on the beat"

    project = document.project
    found = cutter.beats()
    assert set(found) == set(songs) and all(len(t.beats) > 8 for t in found.values())
    grid = beat_grid(show_clock_beats(bed, found, 100.0), 2)
    timeline = Timeline(project)
    ends = [span.end for span in timeline.slides]
    assert ends[-1] == pytest.approx(project.total_duration)
    for end in ends:  # every cut, the show's end too, on a beat of the grid (+-1 ms)
        assert min(abs(end - b) for b in grid) <= 0.001, (end, grid)
    assert all(project.duration_of(i) >= 1.5 - 1e-6 for i in range(len(project.slides)))
    assert project.slides != before.slides

    document.undo_stack.undo()
    assert document.project == before


def test_the_beats_of_the_second_track_follow_its_own_tempo(
        qtbot: QtBot, document: ProjectDocument, songs: tuple[Path, Path]) -> None:
    document.reset(slideshow(playlist(*songs)), None)
    cutter = BeatCutter(document)
    with qtbot.waitSignal(cutter.finished, timeout=TIMEOUT):
        cutter.cut(BeatCutOptions())
    tempos = [cutter.beats()[p].tempo_bpm for p in songs]
    assert tempos == [pytest.approx(120, abs=2), pytest.approx(100, abs=2)]
    bed = document.project.audio
    assert bed is not None
    beats = np.array(show_clock_beats(bed, cutter.beats(), 15.0))
    gaps = np.diff(beats)
    assert np.median(gaps[beats[1:] < 6.5]) == pytest.approx(0.5, abs=0.02)  # the first
    assert np.median(gaps[beats[:-1] > 7.5]) == pytest.approx(0.6, abs=0.02)  # the second


def test_without_music_it_says_so_and_changes_nothing(
        qtbot: QtBot, document: ProjectDocument) -> None:
    document.reset(slideshow(None), None)
    cutter = BeatCutter(document)
    with qtbot.waitSignal(cutter.failed, timeout=TIMEOUT) as failed:
        cutter.cut(BeatCutOptions())
    assert "No music" in failed.args[0]
    assert document.undo_stack.count() == 0 and not cutter.running


def silence(path: Path, seconds: float = 6.0, rate: int = 22050) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.zeros(int(seconds * rate), "<i2").tobytes())
    return path


def test_music_without_beats_is_reported_by_name(
        qtbot: QtBot, document: ProjectDocument, tmp_path: Path) -> None:
    quiet = silence(tmp_path / "quiet.wav")
    document.reset(slideshow(playlist(quiet)), None)
    cutter = BeatCutter(document)
    with qtbot.waitSignal(cutter.failed, timeout=TIMEOUT) as failed:
        cutter.cut(BeatCutOptions())
    assert failed.args[0] == "No beats found in quiet.wav: the slides are unchanged."
    assert document.undo_stack.count() == 0


def test_a_file_without_sound_is_named(
        qtbot: QtBot, document: ProjectDocument, tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"not music at all" * 100)
    document.reset(slideshow(playlist(broken)), None)
    cutter = BeatCutter(document)
    with qtbot.waitSignal(cutter.failed, timeout=TIMEOUT) as failed:
        cutter.cut(BeatCutOptions())
    assert failed.args[0].startswith("broken.mp3: ")  # AudioUnreadable: the file, and why
    assert document.undo_stack.count() == 0


def test_asking_again_cancels_the_running_analysis(
        qtbot: QtBot, document: ProjectDocument, tmp_path: Path) -> None:
    song = write_wav(tmp_path / "long.wav", drum_song(110, 30.0, seed=3))
    document.reset(slideshow(playlist(song), n=12), None)
    cutter = BeatCutter(document)
    finished: list[str] = []
    cutter.finished.connect(finished.append)
    cutter.cut(BeatCutOptions(every=1))
    with qtbot.waitSignal(cutter.finished, timeout=TIMEOUT):
        cutter.cut(BeatCutOptions(every=4, min_duration=2.0))
    qtbot.wait(200)  # a cancelled analysis would have reported by now
    assert len(finished) == 1 and document.undo_stack.count() == 1
    assert cutter.options == BeatCutOptions(every=4, min_duration=2.0)
    project = document.project
    assert all(project.duration_of(i) >= 2.0 - 1e-6 for i in range(len(project.slides)))


def test_an_edit_made_while_the_beats_are_found_is_kept(
        qtbot: QtBot, document: ProjectDocument, songs: tuple[Path, Path]) -> None:
    document.reset(slideshow(playlist(*songs)), None)
    cutter = BeatCutter(document)
    edited = document.project.with_slides(document.project.slides[:5])

    def edit_once(*_: object) -> None:  # the beats are known, the cut is being worked out
        if document.undo_stack.count() == 0:
            document.apply(edited, "Remove slides")

    cutter.beatsFound.connect(edit_once)
    with qtbot.waitSignal(cutter.finished, timeout=TIMEOUT):
        cutter.cut(BeatCutOptions())
    assert len(document.project.slides) == 5
    assert document.undo_stack.count() == 2
    document.undo_stack.undo()
    assert document.project == edited


def test_a_second_cut_reuses_the_beats_unless_the_file_changed(
        qtbot: QtBot, document: ProjectDocument, tmp_path: Path) -> None:
    song = write_wav(tmp_path / "song.wav", drum_song(120, 8.0))
    document.reset(slideshow(playlist(song)), None)
    cutter = BeatCutter(document)
    progress: list[tuple[int, int, str]] = []
    cutter.progress.connect(lambda *a: progress.append(a))
    for _ in range(2):
        with qtbot.waitSignal(cutter.finished, timeout=TIMEOUT):
            cutter.cut(BeatCutOptions(every=2))
    assert len(progress) == 1  # the second cut only placed the beats again
    write_wav(song, drum_song(100, 8.0, seed=1))  # the song re-exported
    with qtbot.waitSignal(cutter.finished, timeout=TIMEOUT):
        cutter.cut(BeatCutOptions(every=2))
    assert len(progress) == 2
    assert cutter.beats()[song].tempo_bpm == pytest.approx(100, abs=2)


def test_the_dialog_offers_the_grids_and_the_shortest_slide(qtbot: QtBot) -> None:
    dialog = CutOnBeatDialog(BeatCutOptions())
    qtbot.addWidget(dialog)
    assert dialog.options() == BeatCutOptions(every=1, min_duration=1.5)
    assert [dialog.every.itemData(i) for i in range(dialog.every.count())] == [1, 2, 4]
    dialog.every.setCurrentIndex(2)
    dialog.min_duration.setValue(2.5)
    assert dialog.options() == BeatCutOptions(every=4, min_duration=2.5)
    again = CutOnBeatDialog(dialog.options())
    qtbot.addWidget(again)
    assert again.options() == BeatCutOptions(every=4, min_duration=2.5)
