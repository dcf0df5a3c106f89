"""The waveform draws what is heard: each track where the playlist plays it, the beats
where they fall, and the music's gain dipping under voice-over and clip sound, each
checked against the model's own arithmetic (model.playlist, model.ducking)."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QColor, QFont, QImage
from pytestqt.qtbot import QtBot

from simvid_desktop.model.beat_sync import beat_grid
from simvid_desktop.model.ducking import duck_gain_db, duck_spans
from simvid_desktop.model.playlist import beats_on_clock, place_tracks
from simvid_desktop.model.project import (
    AudioBed,
    Clip,
    Ducking,
    MusicTrack,
    Narration,
    Project,
    Slide,
    TrackJoin,
    Transition,
    TransitionKind,
)
from simvid_desktop.model.timeline import Timeline
from simvid_desktop.render.beats import BeatTrack
from simvid_desktop.ui.waveform import WaveformWidget
from simvid_desktop.ui.waveform_layers import (
    BEAT,
    DUCK,
    ENVELOPE,
    Layers,
    LayerSpec,
    build_layers,
    lane_rect,
    mix,
    second_tone,
)
from tests.integration.media_beats import drum_song, write_wav
from tests.integration.media_clips import numbered, with_audio

W, H = 1200, 120
BASE, TEXT, ACCENT = QColor(255, 255, 255), QColor(0, 0, 0), QColor(40, 90, 220)
SONG_A, SONG_B, VOICE = Path("/music/a.wav"), Path("/music/b.wav"), Path("/voice/intro.wav")
LOUD = np.ones(400, np.float32)  #: a file at full loudness all through: bars are full height


def show(seconds: float, bed: AudioBed | None, *, slides: int = 4,
         voice_over: Narration | None = None) -> Project:
    return Project(slides=tuple(Slide(image=Path(f"/p/{i}.jpg")) for i in range(slides)),
                   default_duration=seconds / slides,
                   transition=Transition(TransitionKind.NONE, 0.0), audio=bed,
                   voice_over=voice_over)


def spec(project: Project, lengths: tuple[float, ...], **kw: object) -> LayerSpec:
    bed = project.audio
    n = len(bed.tracks) if bed else 0
    args: dict[str, object] = dict(
        width=W, height=H, dpr=1.0, base=BASE, text=TEXT, accent=ACCENT,
        window=QColor(240, 240, 240), font=QFont(), total=project.total_duration,
        placeholder="No music", boundaries=None, transitions=None, project=project, bed=bed,
        amps=(LOUD,) * n, lengths=lengths)
    args.update(kw)
    return LayerSpec(**args)  # type: ignore[arg-type]


def x_of(layers: Layers, t: float) -> float:
    lane = lane_rect(W, H)
    a0, a1 = layers.axis
    return lane.left() + (t - a0) / (a1 - a0) * lane.width()


def row_colours(image: QImage, y: int, x0: float, x1: float) -> set[str]:
    return {image.pixelColor(x, y).name() for x in range(round(x0), round(x1))}


def two_songs(join: TrackJoin = TrackJoin.CROSSFADE) -> AudioBed:
    return AudioBed((MusicTrack(SONG_A, join=join, join_seconds=2.0),
                     MusicTrack(SONG_B, start=1.0, join=join, join_seconds=2.0)),
                    fade_in=0.0, fade_out=0.0, loop=True)


def test_each_track_is_drawn_where_the_playlist_plays_it(qtbot: QtBot) -> None:
    bed = two_songs()
    project = show(40.0, bed)
    lengths = (12.0, 11.0)  # a: 0-12, b (from 1 s of its file): 10-20, a again: 18-30 ...
    layers = build_layers(spec(project, lengths))
    expected = place_tracks(bed, list(lengths), 40.0)
    assert layers.placed == tuple(expected)
    assert [(p.index, p.show_start) for p in layers.placed[:3]] == [
        (0, 0.0), (1, 10.0), (0, 18.0)]
    lane = lane_rect(W, H)
    y = round(lane.center().y())
    tone_a = mix(ACCENT, BASE, 0.45).name()
    tone_b = mix(second_tone(ACCENT), BASE, 0.45).name()
    loop = mix(ACCENT, BASE, 0.45, 120)  # the repeats: the first tone, lighter
    first_a = row_colours(layers.static, y, x_of(layers, 1.0), x_of(layers, 9.5))
    first_b = row_colours(layers.static, y, x_of(layers, 12.5), x_of(layers, 17.5))
    assert tone_a in first_a and tone_b not in first_a, first_a
    assert tone_b in first_b and tone_a not in first_b, first_b
    again = row_colours(layers.static, y, x_of(layers, 21.0), x_of(layers, 25.0))
    assert tone_a not in again and tone_b not in again and loop.alpha() < 255


def test_a_gap_between_tracks_is_silent(qtbot: QtBot) -> None:
    bed = two_songs(TrackJoin.GAP)
    project = show(30.0, bed)
    layers = build_layers(spec(project, (8.0, 9.0)))
    a, b = layers.placed[:2]
    assert (a.show_end, b.show_start) == (8.0, 10.0)
    lane = lane_rect(W, H)
    top = round(lane.top() + 0.25 * lane.height())  # above a silent bar, inside a loud one
    tone_a = mix(ACCENT, BASE, 0.45).name()
    tone_b = mix(second_tone(ACCENT), BASE, 0.45).name()
    gap = row_colours(layers.static, top, x_of(layers, 8.3), x_of(layers, 9.7))
    assert not {tone_a, tone_b} & gap, gap
    assert tone_a in row_colours(layers.static, top, x_of(layers, 4.0), x_of(layers, 7.0))


def test_beat_markers_sit_on_the_beats_the_grid_ones_stronger(qtbot: QtBot) -> None:
    bed = two_songs()
    project = show(40.0, bed)
    beats_a = tuple(0.25 + 0.5 * k for k in range(24))  # 120 BPM
    beats_b = tuple(0.1 + 0.6 * k for k in range(18))  # 100 BPM
    layers = build_layers(spec(project, (12.0, 11.0), beats={SONG_A: beats_a,
                                                              SONG_B: beats_b},
                               beat_every=2))
    placed = place_tracks(bed, [12.0, 11.0], 40.0)
    expected = beats_on_clock(placed, [beats_a, beats_b], layers.axis[1])
    assert layers.beats == pytest.approx(expected)
    assert layers.strong_beats == pytest.approx(beat_grid(expected, 2))
    lane = lane_rect(W, H)
    foot = round(lane.bottom()) - 2
    tall = round(lane.bottom()) - 8
    image = layers.static

    def reddish(x: float, y: int) -> bool:
        c = image.pixelColor(round(x), y)
        return c.red() > c.blue() + 40 and c.red() > c.green() + 40

    def tick(t: float, y: int) -> bool:
        x = x_of(layers, t)
        return any(reddish(x + d, y) for d in (-1, 0, 1))

    for t in expected[:30]:
        assert tick(t, foot), t  # every beat
        assert tick(t, tall) == (t in layers.strong_beats), t  # every 2nd one taller
    between = [(a + b) / 2 for a, b in pairwise(expected[:20])]
    assert not any(tick(t, foot) for t in between)
    assert BEAT.red() > 200


def test_the_drawn_gain_is_the_ducking_of_the_model(qtbot: QtBot) -> None:
    ducking = Ducking(depth_db=-15.0, attack=0.5, release=1.0)
    bed = AudioBed((MusicTrack(SONG_A),), fade_in=1.0, fade_out=2.0, ducking=ducking)
    project = show(30.0, bed, voice_over=Narration(VOICE, start=10.0))
    layers = build_layers(spec(project, (60.0,), narrations={VOICE: 4.0}))
    spans = duck_spans([(10.0, 14.0)], ducking)
    assert layers.duck_spans == tuple(spans) == ((10.0, 14.0),)
    times = [t for t, _, _ in layers.envelope]
    for t in (0.0, 1.0, 9.5, 9.75, 10.0, 14.0, 14.5, 15.0, 28.0, 30.0):  # the corners
        assert any(abs(t - x) < 1e-9 for x in times), t
    for t, fade, db in layers.envelope:
        assert db == pytest.approx(duck_gain_db(t, spans, ducking), abs=1e-9), t
        assert fade == pytest.approx(min(1.0, t / 1.0, (30.0 - t) / 2.0), abs=1e-9), t
    # ... and on the picture: the gain line through the middle of the dip, where the music
    # is 15 dB down, and the dip tinted; full volume before it.
    lane = lane_rect(W, H)
    cy, half = lane.center().y(), lane.height() / 2 - 2
    image = layers.static

    def line_near(t: float, gain: float) -> bool:
        x, y = round(x_of(layers, t)), cy - gain * half
        cols = [image.pixelColor(x, round(y) + d) for d in (-1, 0, 1)]
        return any(c.red() > c.blue() + 60 and c.green() > c.blue() for c in cols)

    assert line_near(12.0, 10 ** (-15 / 20))
    assert line_near(6.0, 1.0)
    assert ENVELOPE.red() > ENVELOPE.blue()
    above = round(lane.top() + 2)
    inside = image.pixelColor(round(x_of(layers, 11.0)), above)
    outside = image.pixelColor(round(x_of(layers, 6.0)), above)
    assert inside != outside and inside.blue() > inside.green(), (inside.name(), outside.name())
    assert DUCK.blue() > DUCK.green()


def test_the_music_dips_under_a_clip_with_sound_only(qtbot: QtBot) -> None:
    clip = Clip(Path("/clips/talk.mp4"), length=3.0)
    mute = Clip(Path("/clips/quiet.mp4"), length=2.0)
    slides = (Slide(image=Path("/p/0.jpg"), duration=4.0), Slide(clip=clip),
              Slide(image=Path("/p/1.jpg"), duration=4.0), Slide(clip=mute),
              Slide(image=Path("/p/2.jpg"), duration=4.0))
    bed = AudioBed((MusicTrack(SONG_A),), fade_out=0.0)
    project = Project(slides=slides, transition=Transition(TransitionKind.NONE, 0.0),
                      audio=bed)
    layers = build_layers(spec(project, (60.0,), sounding=frozenset({clip.path})))
    span = Timeline(project).slides[1]
    assert layers.duck_spans == ((span.start, span.end),) == ((4.0, 7.0),)


def test_nothing_is_placed_until_every_track_is_decoded(qtbot: QtBot) -> None:
    project = show(20.0, two_songs())
    layers = build_layers(spec(project, (12.0, None), placeholder="Reading the music…"))  # type: ignore[arg-type]
    assert layers.placed == () and layers.envelope == ()


def test_the_widget_finds_what_the_music_dips_under(qtbot: QtBot, tmp_path: Path) -> None:
    """The voice-over's decoded length and which clips have sound, found by the widget."""
    voice = write_wav(tmp_path / "voice.wav", drum_song(90, 2.0))
    talking = with_audio(tmp_path / "talk.mp4", channels=2)
    silent = numbered(tmp_path / "silent.mp4", seconds=0.5)
    song = write_wav(tmp_path / "song.wav", drum_song(120, 6.0))
    slides = (Slide(image=Path("/p/0.jpg"), duration=3.0), Slide(clip=Clip(talking, 0.5)),
              Slide(image=Path("/p/1.jpg"), duration=3.0), Slide(clip=Clip(silent, 0.5)),
              Slide(image=Path("/p/2.jpg"), duration=6.0))
    project = Project(slides=slides, transition=Transition(TransitionKind.NONE, 0.0),
                      audio=AudioBed((MusicTrack(song),)),
                      voice_over=Narration(voice, start=8.0))
    widget = WaveformWidget()
    qtbot.addWidget(widget)
    widget.resize(W, H)
    widget.show()
    widget.set_show(project)
    expected = duck_spans([(3.0, 3.5), (8.0, 10.0)], Ducking())

    def dipped() -> None:
        layers = widget.layers()
        assert widget.layers_current() and layers is not None
        got = [x for span in layers.duck_spans for x in span]
        assert got == pytest.approx([x for span in expected for x in span], abs=0.01)

    qtbot.waitUntil(dipped, timeout=20_000)
    assert widget.files.sounding() == {talking}


def test_the_widget_decodes_every_track_and_draws_the_playlist(
        qtbot: QtBot, tmp_path: Path) -> None:
    a = write_wav(tmp_path / "a.wav", drum_song(120, 6.0))
    b = write_wav(tmp_path / "b.wav", drum_song(100, 5.0, seed=1))
    bed = AudioBed((MusicTrack(a, join_seconds=1.0), MusicTrack(b, join_seconds=1.0)))
    widget = WaveformWidget()
    qtbot.addWidget(widget)
    widget.resize(W, H)
    widget.show()
    widget.set_show(show(12.0, bed))
    widget.set_beats({a: BeatTrack(120.0, (0.0, 0.5, 1.0), 6.0)}, 2)

    def placed() -> None:
        layers = widget.layers()
        assert widget.layers_current() and layers is not None and len(layers.placed) >= 2

    qtbot.waitUntil(placed, timeout=20_000)
    layers = widget.layers()
    assert layers is not None
    assert [p.index for p in layers.placed[:2]] == [0, 1]
    assert layers.placed[1].show_start == pytest.approx(5.0, abs=0.01)  # 6 s - 1 s overlap
    assert layers.beats[:3] == pytest.approx((0.0, 0.5, 1.0))
    # a again, crossfading in: its beats count from the middle of the crossfade
    assert layers.beats[3] == pytest.approx(layers.placed[2].show_start + 0.5)
