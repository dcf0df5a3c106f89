"""Beat analysis of generated music with known beats, its cache, and its errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from simvid_desktop.errors import AudioUnreadable, RenderCancelled
from simvid_desktop.model.project import AudioBed, MusicTrack
from simvid_desktop.render import beats as beats_mod
from simvid_desktop.render.beats import analyse_beats, playlist_beats
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


def test_a_playlist_s_beats_follow_each_song_on_the_show_s_clock(tmp_path: Path) -> None:
    """96 BPM for 12 s crossfading (2 s) into 150 BPM from 10 s, played from 1 s of its
    file: each song's beats where it plays, the tempo changing at the crossfade's middle."""
    one, two = drum_song(96, 12.0, seed=1), drum_song(150, 12.0, seed=2)
    bed = AudioBed((MusicTrack(write_wav(tmp_path / "one.wav", one)),
                    MusicTrack(write_wav(tmp_path / "two.wav", two), start=1.0)), loop=False)
    found = playlist_beats(bed, until=21.0)
    reference = [b for b in one.beats if b < 11.0]
    reference += [b + 9.0 for b in two.beats if b >= 1.0 and b + 9.0 >= 11.0]
    assert f_measure(found, reference) >= 0.9
    assert 60 / np.median(np.diff([b for b in found if b < 10.0])) == pytest.approx(96, abs=3)
    assert 60 / np.median(np.diff([b for b in found if b > 12.0])) == pytest.approx(150, abs=3)
    assert max(found) <= 21.0


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


def test_render_sync_beats_cuts_every_slide_on_a_beat(tmp_path: Path) -> None:
    """`simvid render photos --audio song --sync beats --beat-every 2`: the user's 2.3 s
    slides become slides that change on every other beat of a 120 BPM song."""
    from PIL import Image

    from simvid_desktop.cli.main import build_parser
    from simvid_desktop.cli.project_args import project_from_args
    from simvid_desktop.model.timeline import Timeline

    song = drum_song(120, 20.0)
    music = write_wav(tmp_path / "song.wav", song)
    photos = []
    for i in range(4):
        photos.append(tmp_path / f"p{i}.jpg")
        Image.new("RGB", (64, 36), (60 * i, 80, 120)).save(photos[-1])
    args = build_parser().parse_args([
        "render", *map(str, photos), "-o", str(tmp_path / "out.mp4"), "--audio", str(music),
        "--duration", "2.3", "--sync", "beats", "--beat-every", "2"])
    project = project_from_args(args)
    grid = song.beats[::2]
    cuts = [span.end for span in Timeline(project).slides]
    for cut in cuts:
        assert min(abs(cut - b) for b in song.beats) < 0.03, cut  # on a detected beat
    assert all(d >= 1.5 for d in (project.duration_of(i) for i in range(4)))
    # near the cuts the user asked for (2.3 s apart): within one grid step
    for k, cut in enumerate(cuts, start=1):
        assert abs(cut - 2.3 * k) <= (grid[1] - grid[0]) + 0.03, (k, cut)


def test_sync_beats_without_music_is_named(tmp_path: Path) -> None:
    from PIL import Image

    from simvid_desktop.cli.main import build_parser
    from simvid_desktop.cli.project_args import project_from_args
    from simvid_desktop.errors import ProjectInvalid

    photo = tmp_path / "p.jpg"
    Image.new("RGB", (64, 36)).save(photo)
    args = build_parser().parse_args(["render", str(photo), "-o", str(tmp_path / "o.mp4"),
                                      "--sync", "beats"])
    with pytest.raises(ProjectInvalid, match="needs music"):
        project_from_args(args)
