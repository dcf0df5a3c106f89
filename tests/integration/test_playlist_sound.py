"""The playlist, the voice-over and the ducking, measured in rendered MP4s.

Each test renders a tiny video (32x18, black) with loudness normalisation off (the mix at
the level it is made; test_loudness.py covers the final stage) and reads its sound back
on the file's own clock (AAC priming removed, as a player does): levels of each tone in
short windows, and click onsets to the millisecond.
"""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import numpy as np
import pytest

from simvid_desktop.model.ducking import duck_gain_db
from simvid_desktop.model.project import (
    AudioBed,
    Clip,
    Ducking,
    Loudness,
    MusicTrack,
    Narration,
    OutputSettings,
    Project,
    Resolution,
    Slide,
    TrackJoin,
)
from simvid_desktop.render.audio import music_duck_spans
from simvid_desktop.render.engine import RenderSpec, render
from tests.integration.media import FF
from tests.integration.media_sync import FPS, HEIGHT, WIDTH, click_wav, find_clicks, stills

RATE = 48000
OUTPUT_OFF = OutputSettings(resolution=Resolution(f"{WIDTH}x{HEIGHT}"), fps=FPS,
                            loudness=Loudness.OFF)
A, B, VOICE = 440, 660, 1000  #: the tones of the two tracks and of the voice


def tone_file(path: Path, seconds: float, hz: int, amplitude: float = 0.5, *,
              rate: int = 44100, channels: int = 2) -> Path:
    codec = ["-c:a", "libmp3lame", "-b:a", "192k"] if path.suffix == ".mp3" else []
    subprocess.run([FF, "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"aevalsrc={amplitude}*sin(2*PI*{hz}*t):s={rate}:d={seconds}",
                    "-ac", str(channels), *codec, str(path)], check=True)
    return path


def tone_video(path: Path, seconds: float, hz: int, amplitude: float = 0.5) -> Path:
    """A tiny MP4 (H.264 + AAC) whose sound is a tone."""
    subprocess.run([FF, "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"color=c=black:s={WIDTH}x{HEIGHT}:r={FPS}:d={seconds}", "-f", "lavfi",
                    "-i", f"aevalsrc={amplitude}*sin(2*PI*{hz}*t):s=48000:d={seconds}",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-b:a", "128k", "-ac", "2", str(path)], check=True)
    return path


def video(folder: Path, seconds: float, audio: AudioBed | None, **kwargs: object) -> Path:
    """Render a black show of ``seconds`` with ``audio`` and return its sound, mono."""
    black, _ = stills(folder)
    project = Project(slides=(Slide(black, duration=seconds),), audio=audio,
                      output=OUTPUT_OFF, **kwargs)  # type: ignore[arg-type]
    return render(RenderSpec(project, folder / "show.mp4")).output


def sound(path: Path) -> np.ndarray:
    raw = subprocess.run([FF, "-v", "error", "-copyts", "-i", str(path), "-map", "0:a:0",
                          "-af", f"aresample={RATE}:async=1:first_pts=0", "-ac", "1",
                          "-f", "f32le", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.float32)


def level(x: np.ndarray, t: float, hz: int, width: float = 0.04) -> float:
    """Amplitude of the ``hz`` tone in the ``width`` s around ``t`` (Hann-windowed, at
    exactly ``hz``: no FFT bin between it and the tone)."""
    a = round((t - width / 2) * RATE)
    seg = x[a:a + round(width * RATE)].astype(np.float64)
    w = np.hanning(len(seg))
    phase = np.exp(-2j * np.pi * hz * np.arange(len(seg)) / RATE)
    return float(2 * abs(np.sum(seg * w * phase)) / w.sum())


def db(ratio: float) -> float:
    return 20 * math.log10(max(ratio, 1e-9))


def rms(x: np.ndarray, a: float, b: float) -> float:
    seg = x[round(a * RATE):round(b * RATE)]
    return float(np.sqrt(np.mean(seg.astype(np.float64) ** 2)))


def test_a_crossfade_keeps_the_level_and_hands_over(tmp_path: Path) -> None:
    one = tone_file(tmp_path / "one.wav", 4.0, A, rate=44100, channels=1)
    two = tone_file(tmp_path / "two.mp3", 4.0, B, rate=48000)
    bed = AudioBed((MusicTrack(one, join_seconds=1.0), MusicTrack(two)), fade_out=0.0,
                   loop=False)
    x = sound(video(tmp_path, 7.0, bed))
    assert len(x) == pytest.approx(7.0 * RATE, abs=RATE * 0.04)
    full = level(x, 1.5, A)
    assert full == pytest.approx(0.5, rel=0.03)
    assert level(x, 1.5, B) < 0.005 and level(x, 5.5, A) < 0.005
    assert db(level(x, 5.5, B) / full) == pytest.approx(0, abs=0.3)
    # The crossfade is 3..4 s: half way, each at -3 dB (equal power), the sum as loud.
    assert db(level(x, 3.5, A) / full) == pytest.approx(-3.0, abs=0.5)
    assert db(level(x, 3.5, B) / full) == pytest.approx(-3.0, abs=0.5)
    steady = rms(x, 1.0, 2.0)
    print("crossfade level (dB against before it): " + ", ".join(
        f"{t}: {db(rms(x, t - 0.05, t + 0.05) / rms(x, 1.0, 2.0)):+.2f}"
        for t in (3.1, 3.3, 3.5, 3.7, 3.9)))  # shown with -rP
    for t in (3.1, 3.3, 3.5, 3.7, 3.9):
        assert db(rms(x, t - 0.05, t + 0.05) / steady) == pytest.approx(0, abs=1.0), t
    assert level(x, 3.02, B) < 0.1 * full and level(x, 3.98, A) < 0.1 * full


def test_a_gap_is_silence_and_trims_land_on_their_samples(tmp_path: Path) -> None:
    """Track one plays [0.4, 2.0) of its file, then 0.3 s of silence, then track two from
    0.2 s of its file: a click at file time t lands at the show time the trims say."""
    one = click_wav(tmp_path / "one.wav", [0.5, 1.6, 2.2], 2.5, rate=44100)
    two = click_wav(tmp_path / "two.wav", [0.9], 2.0, rate=48000)
    bed = AudioBed((MusicTrack(one, start=0.4, end=2.0, join=TrackJoin.GAP, join_seconds=0.3),
                    MusicTrack(two, start=0.2)), fade_out=0.0, loop=False)
    x = sound(video(tmp_path, 3.5, bed))
    clicks = find_clicks(x, RATE)
    expected = [0.5 - 0.4, 1.6 - 0.4, 1.9 + 0.9 - 0.2]  # 2.2 s is trimmed away
    assert len(clicks) == len(expected), clicks
    for got, want in zip(clicks, expected, strict=True):
        assert abs(got - want) <= 0.001, (got, want)


def test_a_gap_between_tones_is_silent_and_a_video_s_sound_is_a_track(tmp_path: Path) -> None:
    one = tone_file(tmp_path / "one.wav", 2.0, A)
    two = tone_video(tmp_path / "two.mp4", 2.0, B)
    bed = AudioBed((MusicTrack(one, join=TrackJoin.GAP, join_seconds=0.5), MusicTrack(two)),
                   fade_out=0.0, loop=False)
    x = sound(video(tmp_path, 4.5, bed))
    assert db(rms(x, 2.03, 2.47) / rms(x, 0.5, 1.5)) < -50  # AAC's edges aside
    assert level(x, 3.0, B) == pytest.approx(0.5, rel=0.03)


def test_the_music_dips_under_a_voice_over_with_its_ramps(tmp_path: Path) -> None:
    music = tone_file(tmp_path / "music.wav", 6.0, A, amplitude=0.4)
    voice = tone_file(tmp_path / "voice.wav", 1.0, VOICE, amplitude=0.1, channels=1)
    ducking = Ducking(depth_db=-12.0, attack=0.3, release=0.6)
    bed = AudioBed((MusicTrack(music),), fade_out=0.0, loop=False, ducking=ducking)
    x = sound(video(tmp_path, 6.0, bed, voice_over=Narration(voice, start=2.0)))
    full = level(x, 1.0, A)
    assert db(level(x, 2.5, A, 0.2) / full) == pytest.approx(-12.0, abs=0.3)
    assert db(level(x, 4.5, A) / full) == pytest.approx(0.0, abs=0.3)
    # The gain moves linearly in dB: half way down the attack, half way up the release.
    assert db(level(x, 1.85, A, 0.02) / full) == pytest.approx(-6.0, abs=0.6)
    assert db(level(x, 3.3, A, 0.02) / full) == pytest.approx(-6.0, abs=0.6)
    # Ramp lengths: from -1 dB to -11 dB is 10/12 of the ramp.
    times = np.arange(1.5, 4.0, 0.005)
    gains = np.array([db(level(x, t, A, 0.02) / full) for t in times])
    down = times[np.argmax(gains < -11)] - times[np.argmax(gains < -1)]
    after = times > 3.0
    up = times[after][np.argmax(gains[after] > -1)] - times[after][np.argmax(gains[after] > -11)]
    print(f"ducking: {db(level(x, 2.5, A, 0.2) / full):+.2f} dB under the voice; half way "
          f"{db(level(x, 1.85, A, 0.02) / full):+.2f} / {db(level(x, 3.3, A, 0.02) / full):+.2f}"
          f" dB; ramps {down:.3f} s / {up:.3f} s from -1 to -11 dB")  # shown with -rP
    assert down == pytest.approx(0.3 * 10 / 12, abs=0.02)
    assert up == pytest.approx(0.6 * 10 / 12, abs=0.02)


def test_voice_overs_are_brought_to_the_music_s_loudness(tmp_path: Path) -> None:
    """A whisper (-36 dBFS) and a shout (-6 dBFS), as the project's voice-over and as a
    slide's narration: both come out as loud as the music (then ducked under them)."""
    music = tone_file(tmp_path / "music.wav", 6.0, A, amplitude=0.3)
    quiet = tone_file(tmp_path / "quiet.wav", 1.0, VOICE, amplitude=0.0158)
    loud = tone_file(tmp_path / "loud.m4a", 1.0, VOICE, amplitude=0.5, rate=48000)
    black, _ = stills(tmp_path)
    bed = AudioBed((MusicTrack(music),), fade_out=0.0, loop=False)
    project = Project(
        slides=(Slide(black, duration=3.0),
                Slide(black, duration=3.0, narration=Narration(loud, start=1.0))),
        audio=bed, voice_over=Narration(quiet, start=1.0), output=OUTPUT_OFF)
    x = sound(render(RenderSpec(project, tmp_path / "show.mp4")).output)
    music_level = level(x, 0.5, A)
    print(f"voice over music: whisper {db(level(x, 1.5, VOICE, 0.2) / music_level):+.2f} dB, "
          f"shout {db(level(x, 4.5, VOICE, 0.2) / music_level):+.2f} dB")  # shown with -rP
    assert db(level(x, 1.5, VOICE, 0.2) / music_level) == pytest.approx(0.0, abs=1.0)
    assert db(level(x, 4.5, VOICE, 0.2) / music_level) == pytest.approx(0.0, abs=1.0)
    assert db(level(x, 4.5, A, 0.2) / music_level) == pytest.approx(-12.0, abs=0.5)


def test_the_music_dips_under_a_clip_s_sound_by_the_project_s_depth(tmp_path: Path) -> None:
    music = tone_file(tmp_path / "music.wav", 5.0, A, amplitude=0.4)
    clip = tone_video(tmp_path / "clip.mp4", 1.0, VOICE, amplitude=0.2)
    black, _ = stills(tmp_path)
    bed = AudioBed((MusicTrack(music),), fade_out=0.0, loop=False,
                   ducking=Ducking(depth_db=-20.0, attack=0.2, release=0.2))
    project = Project(slides=(Slide(black, duration=2.0), Slide(clip=Clip(clip, 1.0)),
                              Slide(black, duration=2.0)), audio=bed, output=OUTPUT_OFF)
    x = sound(render(RenderSpec(project, tmp_path / "show.mp4")).output)
    full = level(x, 1.0, A)
    assert db(level(x, 2.5, A, 0.2) / full) == pytest.approx(-20.0, abs=0.3)
    spans = music_duck_spans(project)  # what the waveform draws is what is heard
    assert spans == [(2.0, 3.0)]
    for t in (1.85, 1.9, 3.1, 3.15):
        drawn = duck_gain_db(t, spans, bed.ducking)
        assert db(level(x, t, A, 0.02) / full) == pytest.approx(drawn, abs=0.8), t
    assert db(level(x, 4.0, A) / full) == pytest.approx(0.0, abs=0.3)
    assert level(x, 2.5, VOICE, 0.2) == pytest.approx(0.2, rel=0.05)
