"""Beat analysis of generated music with known beats, its cache, and its errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from simvid_desktop.errors import AudioUnreadable, RenderCancelled
from simvid_desktop.render import beats as beats_mod
from simvid_desktop.render.beats import analyse_beats
from tests.integration.media_beats import Song, drum_song, f_measure, write_wav


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIMVID_DATA_DIR", str(tmp_path / "data"))


def test_a_120_bpm_track_gives_its_tempo_and_beats(tmp_path: Path) -> None:
    song = drum_song(120, 20.0)
    track = analyse_beats(write_wav(tmp_path / "s.wav", song))
    assert track.tempo_bpm == pytest.approx(120, abs=2)
    assert f_measure(track.beats, song.beats) >= 0.9
    assert track.duration == pytest.approx(20.0, abs=0.01)


def test_a_tempo_change_is_followed(tmp_path: Path) -> None:
    song = drum_song(100, 30.0, change_to=130)
    track = analyse_beats(write_wav(tmp_path / "s.wav", song))
    assert f_measure(track.beats, song.beats) >= 0.9
    early = np.diff([b for b in track.beats if b < 12.0])
    late = np.diff([b for b in track.beats if b > 19.0])
    assert 60 / np.median(early) == pytest.approx(100, abs=3)
    assert 60 / np.median(late) == pytest.approx(130, abs=3)


def test_the_second_analysis_reads_the_cache(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_wav(tmp_path / "s.wav", drum_song(120, 6.0))
    first = analyse_beats(path)

    def no_decoding(_: Path, *args: object) -> np.ndarray:
        raise AssertionError("decoded again instead of reading the cache")

    monkeypatch.setattr(beats_mod, "_decode_mono", no_decoding)
    assert analyse_beats(path) == first
    assert list((tmp_path / "data" / "cache" / "beats").glob("*.tmp")) == []


def test_a_changed_file_is_analysed_again(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_wav(tmp_path / "s.wav", drum_song(120, 6.0))
    analyse_beats(path)
    write_wav(path, drum_song(90, 7.0))
    calls: list[Path] = []
    real = beats_mod._decode_mono

    def counting(p: Path, *args: Callable[[], bool]) -> np.ndarray:
        calls.append(p)
        return real(p, *args)

    monkeypatch.setattr(beats_mod, "_decode_mono", counting)
    assert analyse_beats(path).duration == pytest.approx(7.0, abs=0.01)
    assert calls == [path]


def test_a_corrupt_cache_entry_is_ignored(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "s.wav", drum_song(120, 6.0))
    first = analyse_beats(path)
    for entry in (tmp_path / "data" / "cache" / "beats").glob("*.json"):
        entry.write_bytes(b"\xff{not json")
    assert analyse_beats(path) == first


def test_a_file_that_is_not_audio_is_a_one_line_error_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "notes.mp3"
    bad.write_text("these are not sounds\n" * 20)
    with pytest.raises(AudioUnreadable) as err:
        analyse_beats(bad)
    assert "notes.mp3" in str(err.value)
    assert "\n" not in str(err.value)


def test_silence_has_no_beats(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "quiet.wav", Song(np.zeros(3 * 22050, np.float32), ()))
    track = analyse_beats(path)
    assert track.beats == ()
    assert track.duration == pytest.approx(3.0, abs=0.01)


def test_cancelling_stops_ffmpeg_and_caches_nothing(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "s.wav", drum_song(120, 30.0))
    with pytest.raises(RenderCancelled):
        analyse_beats(path, cancelled=lambda: True)
    assert not list((tmp_path / "data" / "cache" / "beats").glob("*"))
