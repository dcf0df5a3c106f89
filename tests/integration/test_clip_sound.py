"""A clip's sound in the soundtrack: on its samples, at its volume, the music ducked under it.

Tested through the soundtrack's own path (the plan run by ffmpeg into a WAV, as the render
runs it into the video), read back sample by sample. Loudness normalisation is off here:
these tests are about the mix itself, at the levels it is made (see test_loudness.py).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from simvid_desktop.model.project import (
    AudioBed,
    Clip,
    Loudness,
    OutputSettings,
    Project,
    Resolution,
    Slide,
)
from simvid_desktop.model.timeline import Timeline
from simvid_desktop.render.audio import SAMPLE_RATE, audio_plan, soundtrack_plan
from simvid_desktop.render.encoder import audio_args
from simvid_desktop.render.ffmpeg import FFmpegProcess
from simvid_desktop.render.soundtrack import write_soundtrack
from tests.integration.media import FF, audio_samples, solid, tone

FPS = 30
MUSIC_HZ, CLIP_HZ = 200, 1000
#: 64x36 at 30 fps, the mix at the level it is made (no loudness normalisation).
OUTPUT = OutputSettings(resolution=Resolution("64x36"), fps=FPS, loudness=Loudness.OFF)


def make_clip(path: Path, seconds: float, audio: str | None = f"0.5*sin(2*PI*{CLIP_HZ}*t)",
              channels: int = 2) -> Path:
    """A tiny video clip; its sound is ``audio``, an expression of the clip's own ``t``."""
    args = [FF, "-v", "error", "-y", "-f", "lavfi",
            "-i", f"testsrc=size=64x36:rate={FPS}:duration={seconds}"]
    if audio is not None:
        args += ["-f", "lavfi", "-i", f"aevalsrc='{audio}':s=44100:d={seconds}",
                 "-c:a", "aac", "-b:a", "128k", "-ac", str(channels)]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)]
    subprocess.run(args, check=True)
    return path


def show(tmp_path: Path, clip: Clip, music: bool = False, before: float = 1.0) -> Project:
    """A photo (``before`` seconds), the clip, a photo of 1 s: 64x36 at 30 fps."""
    photo = solid(tmp_path / "p.jpg", (200, 30, 30), (64, 36))
    bed = (AudioBed.single(tone(tmp_path / "music.wav", 8.0, MUSIC_HZ), fade_out=0) if music
           else None)
    return Project(
        slides=(Slide(photo, duration=before), Slide(clip=clip), Slide(photo, duration=1.0)),
        audio=bed, output=OUTPUT,
    )


def pcm(project: Project, out: Path) -> np.ndarray:
    """The soundtrack as (samples, 2) float32 at 48 kHz, as mixed (no lossy codec)."""
    write_soundtrack(project, out, codec="pcm_f32le")
    raw = subprocess.run([FF, "-v", "error", "-i", str(out), "-f", "f32le", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.float32).reshape(-1, 2)


def level(x: np.ndarray, hz: int) -> float:
    """Amplitude of the ``hz`` component of ``x`` (a windowed FFT peak)."""
    w = np.hanning(len(x))
    spectrum = np.abs(np.fft.rfft(x * w)) * 2 / w.sum()
    freqs = np.fft.rfftfreq(len(x), 1 / SAMPLE_RATE)
    return float(spectrum[np.abs(freqs - hz) < 30].max())


def seconds(x: np.ndarray, a: float, b: float) -> np.ndarray:
    return x[round(a * SAMPLE_RATE):round(b * SAMPLE_RATE)]


def test_a_show_without_clip_sound_keeps_the_music_plan_unchanged(tmp_path: Path) -> None:
    """No clip, or a muted one, or one at volume 0: exactly the music bed's graph of before."""
    for clip in (None, Clip(tmp_path / "c.mp4", 2.0, muted=True),
                 Clip(tmp_path / "c.mp4", 2.0, volume=0.0)):
        project = show(tmp_path, clip or Clip(tmp_path / "c.mp4", 2.0), music=True)
        if clip is None:
            project = project.with_slides(project.slides[::2])
        plan = soundtrack_plan(project, Timeline(project), 1,
                               has_audio=lambda _p: pytest.fail("a silent clip was probed"))
        assert plan == audio_plan(project.audio, project.total_duration, 1)


def test_the_clip_sounds_exactly_during_its_slide_from_its_trim_in(tmp_path: Path) -> None:
    # The clip's tone starts 0.5 s into the file; trimmed in at 0.3 s and placed at 1.0 s,
    # the tone must start at 1.2 s and stop at the slide's end, 1.0 + 1.2 = 2.2 s.
    path = make_clip(tmp_path / "c.mp4", 2.0, f"if(gte(t,0.5),0.5*sin(2*PI*{CLIP_HZ}*t),0)")
    project = show(tmp_path, Clip(path, 2.0, trim_in=0.3, trim_out=1.5))
    x = pcm(project, tmp_path / "out.wav")[:, 0]
    assert len(x) == round(3.2 * SAMPLE_RATE)  # 1 + 1.2 + 1 s, to the sample
    loud = np.flatnonzero(np.abs(x) > 1e-3)
    onset, offset = loud[0] / SAMPLE_RATE, (loud[-1] + 1) / SAMPLE_RATE
    # The rule is one frame (33 ms); it lands within 2 ms (the AAC clip's own precision).
    assert abs(onset - 1.2) < 0.002, onset
    assert abs(offset - 2.2) < 0.002, offset
    assert level(seconds(x, 1.3, 2.1), CLIP_HZ) == pytest.approx(0.5 * 0.7071, rel=0.05)


def test_volume_scales_the_clip_and_mute_silences_it(tmp_path: Path) -> None:
    path = make_clip(tmp_path / "c.mp4", 1.0)
    levels = {}
    for volume in (1.0, 0.5):
        x = pcm(show(tmp_path, Clip(path, 1.0, volume=volume)), tmp_path / "v.wav")[:, 0]
        levels[volume] = level(seconds(x, 1.1, 1.9), CLIP_HZ)
    assert levels[0.5] / levels[1.0] == pytest.approx(0.5, rel=0.01)
    muted = pcm(show(tmp_path, Clip(path, 1.0, muted=True)), tmp_path / "m.wav")
    assert len(muted) == 3 * SAMPLE_RATE
    assert np.abs(muted).max() == 0.0


def test_the_music_dips_12_db_under_the_clip(tmp_path: Path) -> None:
    path = make_clip(tmp_path / "c.mp4", 2.0)
    x = pcm(show(tmp_path, Clip(path, 2.0), music=True, before=2.0), tmp_path / "d.wav")[:, 0]
    assert len(x) == 5 * SAMPLE_RATE
    before, under, after = (level(seconds(x, a, b), MUSIC_HZ)
                            for a, b in ((0.2, 1.6), (2.1, 3.9), (4.4, 5.0)))
    dip = 20 * np.log10(under / before)
    assert dip == pytest.approx(-12.0, abs=0.3), dip
    assert after == pytest.approx(before, rel=0.02)
    # A ramp, not a jump: halfway down 0.15 s before the clip.
    halfway = 20 * np.log10(level(seconds(x, 1.8, 1.9), MUSIC_HZ) / before)
    assert -9.0 < halfway < -3.0, halfway
    # The clip itself is mixed at full level over the ducked music.
    assert level(seconds(x, 2.1, 3.9), CLIP_HZ) == pytest.approx(0.5 * 0.7071, rel=0.05)


def test_a_clip_without_sound_is_silent_and_ducks_nothing(tmp_path: Path) -> None:
    path = make_clip(tmp_path / "c.mp4", 1.0, audio=None)
    project = show(tmp_path, Clip(path, 1.0), music=True)
    assert soundtrack_plan(project, Timeline(project), 0) == audio_plan(project.audio, 3.0, 0)
    x = pcm(project, tmp_path / "n.wav")[:, 0]
    assert len(x) == 3 * SAMPLE_RATE
    assert level(seconds(x, 1.1, 1.9), MUSIC_HZ) == pytest.approx(
        level(seconds(x, 0.1, 0.9), MUSIC_HZ), rel=0.02)


def test_a_5_1_clip_is_mixed_down_to_stereo(tmp_path: Path) -> None:
    path = make_clip(tmp_path / "c51.mp4", 1.0, channels=6)
    assert "5.1" in subprocess.run([FF, "-hide_banner", "-i", str(path)],
                                   capture_output=True, text=True).stderr
    x = pcm(show(tmp_path, Clip(path, 1.0)), tmp_path / "s.wav")
    assert x.shape == (3 * SAMPLE_RATE, 2)
    left, right = (level(seconds(x[:, c], 1.1, 1.9), CLIP_HZ) for c in (0, 1))
    assert left == pytest.approx(right, rel=0.01)
    assert 0.2 < left < 0.89  # heard, and held under the limiter's ceiling
    assert np.abs(seconds(x, 0.0, 0.99)).max() == 0.0


def test_the_encoded_soundtrack_lasts_exactly_the_show(tmp_path: Path) -> None:
    """The AAC the render muxes (render_audio's arguments) carries the clip on its time."""
    path = make_clip(tmp_path / "c.mp4", 2.0)
    project = show(tmp_path, Clip(path, 2.0, trim_in=0.5), music=True)
    out = tmp_path / "a.m4a"
    plan = soundtrack_plan(project, Timeline(project), 0)
    with FFmpegProcess(audio_args(plan, out)) as proc:
        assert proc.finish() == 0, proc.log_tail()
    pcm8k = audio_samples(out)
    assert abs(len(pcm8k) / 8000 - 3.5) < 0.03
    x = pcm8k.astype(np.float64)
    inside, outside = x[int(1.1 * 8000):int(2.4 * 8000)], x[int(2.6 * 8000):int(3.4 * 8000)]
    assert np.sqrt(np.mean(inside ** 2)) > 2 * np.sqrt(np.mean(outside ** 2))


def test_clips_at_the_ends_and_close_together_share_dips(tmp_path: Path) -> None:
    """A clip at 0 s, two clips 0.5 s apart (one dip: the music stays down between them),
    a clip ending the show; each clip heard on its own slide only."""
    path = make_clip(tmp_path / "c.mp4", 1.0)
    photo = solid(tmp_path / "p.jpg", (200, 30, 30), (64, 36))
    clip, gap = Slide(clip=Clip(path, 1.0)), Slide(photo, duration=0.5)
    slides = (clip, Slide(photo, duration=2.0), clip, gap, clip, Slide(photo, duration=2.0), clip)
    project = Project(slides=slides,
                      audio=AudioBed.single(tone(tmp_path / "music.wav", 9.0, MUSIC_HZ),
                                            fade_out=0),
                      output=OUTPUT)
    x = pcm(project, tmp_path / "e.wav")[:, 0]
    assert len(x) == round(8.5 * SAMPLE_RATE)
    full = level(seconds(x, 1.5, 2.5), MUSIC_HZ)  # between the first clip and the next
    for a, b in ((0.0, 1.0), (3.0, 4.0), (4.0, 4.5), (4.5, 5.5), (7.5, 8.5)):
        dip = 20 * np.log10(level(seconds(x, a + 0.05, b - 0.05), MUSIC_HZ) / full)
        assert dip == pytest.approx(-12.0, abs=0.3), (a, dip)
    for a, b, heard in ((0.0, 1.0, True), (1.0, 3.0, False), (3.0, 4.0, True),
                        (4.0, 4.5, False), (5.5, 7.5, False), (7.5, 8.5, True)):
        clip_level = level(seconds(x, a + 0.05, b - 0.05), CLIP_HZ)
        assert (clip_level > 0.3) is heard and (clip_level < 1e-3) is not heard, (a, b)


def test_a_loud_clip_is_held_under_full_scale(tmp_path: Path) -> None:
    path = make_clip(tmp_path / "c.mp4", 1.0, audio=f"0.9*sin(2*PI*{CLIP_HZ}*t)")
    x = pcm(show(tmp_path, Clip(path, 1.0, volume=4.0), music=True), tmp_path / "l.wav")
    assert np.abs(x).max() <= 0.8913 + 1e-3  # the limiter's -1 dBFS
    assert level(seconds(x[:, 0], 1.2, 1.8), CLIP_HZ) > 0.6  # limited, not silenced


def test_a_show_of_many_clips_with_sound_renders_its_soundtrack(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """150 clips with sound make a filter graph past Windows' 32,767-character command
    line: it goes to ffmpeg through a file, removed afterwards."""
    clip = make_clip(tmp_path / "c.mp4", 0.2)
    project = Project(slides=tuple(Slide(clip=Clip(clip, 0.2)) for _ in range(150)),
                      audio=AudioBed.single(tone(tmp_path / "m.wav", 2.0)),
                      output=OutputSettings(resolution=Resolution("64x36"), fps=25,
                                             loudness=Loudness.OFF))
    plan = soundtrack_plan(project, Timeline(project), first_input_index=0)
    assert len(plan.filter) > 32767
    before = set(Path(tempfile.gettempdir()).glob("simvid-ffmpeg-*"))
    commands: list[list[str]] = []
    spilled = FFmpegProcess._spilled

    def spy(self: FFmpegProcess, args: list[str]) -> list[str]:
        commands.append(spilled(self, args))
        return commands[-1]

    monkeypatch.setattr(FFmpegProcess, "_spilled", spy)
    out = write_soundtrack(project, tmp_path / "s.wav")
    graph = [c for c in commands if "-/filter_complex" in c]
    assert len(graph) == 1 and max(map(len, graph[0])) < 8000
    assert abs(len(audio_samples(out)) / 8000 - 30.0) < 0.01
    assert set(Path(tempfile.gettempdir()).glob("simvid-ffmpeg-*")) == before
