"""The playlist model: where each track plays, the ducking envelope, and the project file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simvid_desktop.model.ducking import duck_gain_db, duck_spans, placed_narrations
from simvid_desktop.model.playlist import (
    beats_on_clock,
    fit_slides_to_music,
    place_tracks,
    playlist_length,
)
from simvid_desktop.model.project import (
    AudioBed,
    Ducking,
    MusicTrack,
    Narration,
    Project,
    Slide,
    TrackJoin,
    check_project,
)
from simvid_desktop.model.project_io import parse_project, project_from_json, project_to_json

BASE = Path("/show")


def bed(*tracks: MusicTrack, loop: bool = True) -> AudioBed:
    return AudioBed(tracks, loop=loop)


def spans(placed: list) -> list[tuple[int, float, float, float, float, float]]:
    return [(p.index, round(p.show_start, 6), round(p.show_end, 6), p.file_start,
             round(p.fade_in, 6), round(p.fade_out, 6)) for p in placed]


def test_crossfades_overlap_and_the_list_loops_into_its_first_track() -> None:
    b = bed(MusicTrack(Path("a"), join_seconds=2.0), MusicTrack(Path("b"), join_seconds=1.0))
    assert spans(place_tracks(b, [10.0, 6.0], 30.0)) == [
        (0, 0.0, 10.0, 0.0, 0.0, 2.0),
        (1, 8.0, 14.0, 0.0, 2.0, 1.0),  # b's own join (1 s) leads back into a
        (0, 13.0, 23.0, 0.0, 1.0, 2.0),
        (1, 21.0, 27.0, 0.0, 2.0, 1.0),
        (0, 26.0, 36.0, 0.0, 1.0, 2.0),
    ]
    assert playlist_length(b, [10.0, 6.0]) == 14.0


def test_gaps_trims_and_no_loop() -> None:
    b = bed(MusicTrack(Path("a"), start=1.0, end=5.0, join=TrackJoin.GAP, join_seconds=0.5),
            MusicTrack(Path("b"), start=2.0), loop=False)
    assert spans(place_tracks(b, [10.0, 6.0], 60.0)) == [
        (0, 0.0, 4.0, 1.0, 0.0, 0.0),
        (1, 4.5, 8.5, 2.0, 0.0, 0.0),
    ]
    assert playlist_length(b, [10.0, 6.0]) == 8.5


def test_a_crossfade_takes_at_most_half_of_either_track() -> None:
    b = bed(MusicTrack(Path("a"), join_seconds=5.0), MusicTrack(Path("b")))
    placed = place_tracks(b, [10.0, 3.0], 12.0)
    assert placed[0].fade_out == placed[1].fade_in == 1.5


def test_one_track_repeats_onto_itself_each_pass_trimmed() -> None:
    one = AudioBed.single(Path("a"), start=1.0)
    assert spans(place_tracks(one, [4.0], 8.0)) == [
        (0, 0.0, 3.0, 1.0, 0.0, 0.0), (0, 3.0, 6.0, 1.0, 0.0, 0.0), (0, 6.0, 9.0, 1.0, 0.0, 0.0)]
    gap = AudioBed((MusicTrack(Path("a"), join=TrackJoin.GAP, join_seconds=1.0),))
    assert [p.show_start for p in place_tracks(gap, [2.0], 7.0)] == [0.0, 3.0, 6.0]


def test_tracks_with_nothing_to_play_are_skipped_and_lengths_must_match() -> None:
    b = bed(MusicTrack(Path("a"), start=20.0), MusicTrack(Path("b")))
    assert [p.index for p in place_tracks(b, [10.0, 3.0], 5.0)] == [1, 1]
    assert place_tracks(bed(MusicTrack(Path("a"), start=20.0)), [10.0], 5.0) == []
    with pytest.raises(ValueError, match="1 lengths for 2 tracks"):
        place_tracks(b, [1.0], 5.0)


def test_beats_follow_each_track_and_switch_in_the_middle_of_a_crossfade() -> None:
    b = bed(MusicTrack(Path("a"), join_seconds=2.0), MusicTrack(Path("b"), start=1.0),
            loop=False)
    placed = place_tracks(b, [10.0, 6.0], 20.0)  # b plays 8..13 (file 1..6)
    a_beats = [0.5 * k for k in range(21)]  # 120 BPM
    b_beats = [1.0 + 0.4 * k for k in range(13)]  # 150 BPM
    found = beats_on_clock(placed, [a_beats, b_beats])
    assert [t for t in found if t < 9.0] == [0.5 * k for k in range(18)]  # a until 9
    assert [t for t in found if t >= 9.0][:3] == [9.2, 9.6, 10.0]  # b's from the middle
    assert max(found) <= 13.0


def test_ducking_spans_bridge_neighbours_and_the_gain_ramps_in_db() -> None:
    d = Ducking(depth_db=-10.0, attack=0.5, release=1.0)
    s = duck_spans([(5.0, 6.0), (1.0, 2.0), (2.5, 3.0), (3.0, 2.0)], d)
    assert s == [(1.0, 3.0), (5.0, 6.0)]  # 0.5 s apart: one dip; the empty span dropped
    assert duck_gain_db(0.0, s, d) == 0.0
    assert duck_gain_db(0.75, s, d) == pytest.approx(-5.0)  # half way down the attack
    assert duck_gain_db(2.0, s, d) == -10.0
    assert duck_gain_db(3.5, s, d) == pytest.approx(-5.0)  # half way up the release
    assert duck_gain_db(4.2, s, d) == 0.0
    assert duck_spans([(0.0, 1.0), (2.9, 3.0)], Ducking(attack=1.0, release=1.0)) == [
        (0.0, 3.0)]  # closer than a ramp down plus a ramp up: bridged


def test_narrations_are_placed_on_the_show_clock() -> None:
    p = Project(slides=(Slide(Path("a.jpg"), duration=2.0),
                        Slide(Path("b.jpg"), narration=Narration(Path("n.wav"), start=0.5))),
                voice_over=Narration(Path("v.wav"), start=1.0))
    assert [(n.path.name, t) for n, t in placed_narrations(p)] == [("v.wav", 1.0),
                                                                  ("n.wav", 2.5)]


def test_fit_slides_to_the_whole_playlist() -> None:
    p = Project(slides=(Slide(Path("a.jpg")), Slide(Path("b.jpg"), duration=1.0)),
                default_duration=2.0)
    fitted = fit_slides_to_music(p, 6.0)
    assert fitted.total_duration == pytest.approx(6.0)
    with pytest.raises(ValueError, match="nothing left"):
        fit_slides_to_music(p, 0.0)


def test_playlist_values_are_checked_by_name() -> None:
    b = AudioBed((MusicTrack(Path("a")), MusicTrack(Path("b"), volume=5.0),
                  MusicTrack(Path("c"), start=4.0, end=3.0, join_seconds=-1.0)),
                 ducking=Ducking(depth_db=3.0, attack=-1.0))
    p = Project(slides=(Slide(Path("a.jpg")),), audio=b,
                voice_over=Narration(Path("v.wav"), start=-2.0))
    assert [x.where for x in check_project(p)] == [
        "audio.tracks[1].volume", "audio.tracks[2].end", "audio.tracks[2].join_seconds",
        "audio.ducking.depth_db", "audio.ducking.attack", "voice_over.start"]


# -- the project file ----------------------------------------------------------------------
SINGLE = """{
  "schema_version": 2,
  "slides": [
    {
      "image": "a.jpg"
    }
  ],
  "default_duration": 3.0,
  "transition": {
    "name": "fade",
    "duration": 1.0
  },
  "motion": {
    "mode": "none"
  },
  "audio": {
    "path": "m.mp3",
    "volume": 0.8,
    "fade_in": 0.0,
    "fade_out": 2.0,
    "start": 1.5,
    "loop": true
  },
  "output": {
    "resolution": "1080p",
    "fps": 30,
    "quality": "standard",
    "fit": "letterbox"
  }
}
"""


def test_a_single_track_file_opens_and_saves_back_byte_for_byte() -> None:
    project = project_from_json(SINGLE, BASE)
    assert project.audio == AudioBed.single(BASE / "m.mp3", volume=0.8, start=1.5)
    assert project_to_json(project, BASE) == SINGLE


def test_a_playlist_with_voice_over_round_trips_and_writes_only_what_is_set() -> None:
    project = Project(
        slides=(Slide(BASE / "a.jpg", narration=Narration(BASE / "n.wav", start=0.5)),),
        audio=AudioBed((MusicTrack(BASE / "one.mp3", end=30.0),
                        MusicTrack(BASE / "two.m4a", volume=0.5, join=TrackJoin.GAP,
                                   join_seconds=1.0)),
                       ducking=Ducking(depth_db=-18.0)),
        voice_over=Narration(BASE / "intro.wav", start=2.0, volume=1.5))
    text = project_to_json(project, BASE)
    data = json.loads(text)
    assert data["audio"] == {
        "tracks": [{"path": "one.mp3", "volume": 1.0, "start": 0.0, "end": 30.0},
                   {"path": "two.m4a", "volume": 0.5, "start": 0.0, "join": "gap",
                    "join_seconds": 1.0}],
        "fade_in": 0.0, "fade_out": 2.0, "loop": True,
        "ducking": {"depth_db": -18.0, "attack": 0.3, "release": 0.3}}
    assert data["voice_over"] == {"path": "intro.wav", "start": 2.0, "volume": 1.5}
    assert data["slides"][0]["narration"] == {"path": "n.wav", "start": 0.5}
    assert project_from_json(text, BASE) == project
    assert project_to_json(project_from_json(text, BASE), BASE) == text


def test_a_one_track_bed_with_a_trim_out_is_written_as_a_playlist() -> None:
    project = Project(slides=(Slide(BASE / "a.jpg"),),
                      audio=AudioBed((MusicTrack(BASE / "m.mp3", end=3.0),)))
    assert "tracks" in json.loads(project_to_json(project, BASE))["audio"]


def test_playlist_problems_in_a_file_name_their_field() -> None:
    doc = json.loads(SINGLE)
    doc["audio"] = {"tracks": [{"path": "a.mp3"}, {"path": "b.mp3", "join": "swirl"},
                               {"path": "c.mp3", "start": 5, "end": 2}, {"volume": 1}]}
    doc["voice_over"] = {"path": "v.wav", "start": "soon"}
    _, problems = parse_project(json.dumps(doc), BASE)
    assert [p.where for p in problems] == [
        "audio.tracks[1].join", "audio.tracks[3].path", "voice_over.start",
        "audio.tracks[2].end"]
    legacy = json.loads(SINGLE)
    legacy["audio"]["volume"] = 9
    _, problems = parse_project(json.dumps(legacy), BASE)
    assert [p.where for p in problems] == ["audio.volume"]  # as the file names it
