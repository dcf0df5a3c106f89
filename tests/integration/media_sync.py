"""Shows for checking audio/video sync, and reading the sync back out of a rendered video.

A sync show is black frames with a white flash frame at chosen instants, and music that is
silence with a click (a 5 ms tone burst) at the same instants. A video clip can sit on the
timeline too, its own picture flashing where its own sound clicks. The video is tiny
(32x18) and the slides are stills, so a ten-minute show renders in seconds.

The measurement reads the OUTPUT as a player would: every frame with its timestamp (the
``showinfo`` filter, timestamps as stored: ``-copyts``), and the sound as PCM placed on the
same clock (``aresample`` pads or trims the start to the stream's first timestamp). A flash
is a frame whose mean luma is high; a click is where the sound first reaches half of its
burst's peak.
"""

from __future__ import annotations

import math
import re
import struct
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from simvid_desktop.model.project import (
    DEFAULT_LOUDNESS,
    AudioBed,
    Clip,
    Loudness,
    OutputSettings,
    Project,
    Quality,
    Resolution,
    Slide,
    Transition,
    TransitionKind,
)
from tests.integration.media import FF

FPS = 25
FRAME = 1.0 / FPS
WIDTH, HEIGHT = 32, 18
#: The click: a burst of this tone, this long, at this amplitude (full scale = 1).
CLICK_HZ, CLICK_SECONDS, CLICK_LEVEL = 1000, 0.005, 0.8
#: Clicks closer than this are one click (an encoder's pre-echo belongs to its burst).
_SAME_CLICK = 0.1


def _ff(*args: str) -> None:
    subprocess.run([FF, "-v", "error", "-y", *args], check=True)


def stills(folder: Path) -> tuple[Path, Path]:
    """A black and a white PNG of the show's size."""
    black, white = folder / "black.png", folder / "white.png"
    Image.new("RGB", (WIDTH, HEIGHT), (0, 0, 0)).save(black)
    Image.new("RGB", (WIDTH, HEIGHT), (255, 255, 255)).save(white)
    return black, white


# -- sound -------------------------------------------------------------------------------
def _burst(rate: int) -> np.ndarray:
    n = round(CLICK_SECONDS * rate)
    return (CLICK_LEVEL * np.sin(2 * np.pi * CLICK_HZ * np.arange(n) / rate)).astype(np.float32)


def _wav_header(frames: int, rate: int, channels: int) -> bytes:
    """A 16-bit PCM WAV header (WAVE_FORMAT_EXTENSIBLE with the 5.1 mask for 6 channels)."""
    block = 2 * channels
    if channels <= 2:
        fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * block, block, 16)
    else:
        fmt = struct.pack("<HHIIHHHHI16s", 0xFFFE, channels, rate, rate * block, block, 16,
                          22, 16, _MASK[channels], _PCM_GUID)
    data = frames * block
    return (b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + data) + b"WAVE"
            + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", data))


_MASK = {6: 0x3F}  #: FL FR FC LFE BL BR
_PCM_GUID = bytes.fromhex("0100000000001000800000aa00389b71")


def click_wav(path: Path, clicks: Iterable[float], seconds: float, *, rate: int = 44100,
              channels: int = 1) -> Path:
    """A WAV of ``seconds`` of silence with a click starting at each of ``clicks``, in
    every channel but the LFE (ffmpeg's standard downmix to stereo drops the LFE).

    Written sparse: only the clicks are written, the silence is a hole in the file, so
    ten minutes of 5.1 (345 MB) cost nothing to make.
    """
    frames = round(seconds * rate)
    gains = np.ones(channels, np.float32)
    if channels == 6:
        gains[3] = 0.0
    burst = (_burst(rate)[:, None] * gains[None, :] * 32767).astype("<i2")
    header = _wav_header(frames, rate, channels)
    with open(path, "wb") as f:
        f.write(header)
        for t in clicks:
            start = round(t * rate)
            f.seek(len(header) + start * 2 * channels)
            f.write(burst[:max(0, frames - start)].tobytes())
        f.truncate(len(header) + frames * 2 * channels)
    return path


#: Codecs by suffix: FLAC, MP3 (libmp3lame writes a LAME/Xing header naming its encoder
#: delay, which decoders skip), AAC in M4A (its priming given by an edit list).
SOUND_CODECS = {
    ".flac": ["-c:a", "flac"],
    ".mp3": ["-c:a", "libmp3lame", "-b:a", "64k"],
    ".m4a": ["-c:a", "aac", "-b:a", "96k"],
}


def click_track(path: Path, clicks: Iterable[float], seconds: float, *, rate: int = 44100,
                channels: int = 1) -> Path:
    """Music of ``seconds`` with a click at each time of ``clicks``, as a WAV or coded
    as the suffix of ``path`` says (see :data:`SOUND_CODECS`)."""
    if path.suffix == ".wav":
        return click_wav(path, clicks, seconds, rate=rate, channels=channels)
    wav = click_wav(path.with_suffix(".src.wav"), clicks, seconds, rate=rate,
                    channels=channels)
    try:
        _ff("-i", str(wav), *SOUND_CODECS[path.suffix], str(path))
    finally:
        wav.unlink()
    return path


def flash_clip(path: Path, seconds: float, flash: float, *, rate: int = 48000,
               sound_late: float = 0.0) -> Path:
    """A video clip (H.264 + AAC in MP4) of ``seconds``: black frames with one white
    frame at ``flash`` (seconds from the file's start) and, on its sound, a click at the
    same instant.

    ``sound_late``: the sound stream starts this long after the picture (negative: the
    picture starts later), as in many cameras' files; the flash and the click still
    coincide in the file.
    """
    picture_at, sound_at = max(0.0, -sound_late), max(0.0, sound_late)
    frame = round((flash - picture_at) * FPS)
    picture = (f"color=c=black:s={WIDTH}x{HEIGHT}:r={FPS}:d={seconds - picture_at},"
               f"format=yuv420p,geq=lum='if(eq(N,{frame}),235,16)':cb=128:cr=128")
    sound = click_wav(path.with_suffix(".clicks.wav"), [flash - sound_at],
                      seconds - sound_at, rate=rate, channels=2)
    try:
        _ff("-itsoffset", f"{picture_at}", "-f", "lavfi", "-i", picture,
            "-itsoffset", f"{sound_at}", "-i", str(sound), "-c:v", "libx264", "-preset",
            "ultrafast", "-qp", "0", "-c:a", "aac", "-b:a", "128k", str(path))
    finally:
        sound.unlink()
    return path


# -- the show ----------------------------------------------------------------------------
@dataclass(frozen=True)
class SyncShow:
    project: Project
    #: When each flash frame starts, in show time; the music or the clip clicks there.
    flashes: tuple[float, ...]

    @property
    def total(self) -> float:
        return self.project.total_duration


def sync_show(folder: Path, music: Path, flashes: Sequence[float], total: float, *,
              clip: tuple[float, Clip, float] | None = None,
              quality: Quality = Quality.DRAFT,
              loudness: Loudness = DEFAULT_LOUDNESS) -> SyncShow:
    """Black slides, a one-frame white slide at each of ``flashes`` (frame boundaries,
    sorted), and ``music`` under it all (no fades, no loop, no transitions).

    ``clip``: ``(start, clip, flash)`` puts ``clip`` at show time ``start``; its picture
    flashes (and its sound clicks) at ``flash`` seconds of its own time, which is added
    to the show's flashes. Music clicks must keep clear of it (the music dips under a
    clip's sound).
    """
    black, white = stills(folder)
    events: list[tuple[float, Slide, float]] = [(t, Slide(white, duration=FRAME), FRAME)
                                                for t in flashes]
    shown = list(flashes)
    if clip is not None:
        start, shown_clip, flash = clip
        length = shown_clip.trimmed_length
        events.append((start, Slide(clip=shown_clip), length))
        shown.append(start + flash - shown_clip.trim_in)
    slides: list[Slide] = []
    pos = 0.0
    for start, slide, length in sorted(events, key=lambda e: e[0]):
        if start - pos > 1e-9:
            slides.append(Slide(black, duration=round(start - pos, 9)))
        slides.append(slide)
        pos = start + length
    if total - pos > 1e-9:
        slides.append(Slide(black, duration=round(total - pos, 9)))
    project = Project(
        slides=tuple(slides), transition=Transition(TransitionKind.NONE, 0.0),
        audio=AudioBed.single(music, fade_in=0.0, fade_out=0.0, loop=False),
        output=OutputSettings(resolution=Resolution(f"{WIDTH}x{HEIGHT}"), fps=FPS,
                              quality=quality, loudness=loudness),
    )
    assert math.isclose(project.total_duration, total, abs_tol=1e-6), project.total_duration
    return SyncShow(project, tuple(sorted(shown)))


# -- reading the output --------------------------------------------------------------------
@dataclass(frozen=True)
class Measured:
    frames: int
    video_end: float  #: the last frame's timestamp plus its duration
    audio_start: float  #: the first sample's timestamp
    audio_end: float
    flashes: tuple[float, ...]  #: timestamps of the white frames
    clicks: tuple[float, ...]  #: where each click first reaches half its peak


_SHOWINFO = re.compile(r"pts_time:\s*(-?[\d.]+).*?mean:\[(\d+)")
_ASHOWINFO = re.compile(r"pts_time:\s*(-?[\d.]+)")


def _video_args(path: Path) -> list[str]:
    """Each frame's timestamp and mean luma (``showinfo``), with the file's timestamps."""
    return [FF, "-hide_banner", "-nostats", "-copyts", "-i", str(path), "-map", "0:v:0",
            "-fps_mode", "passthrough", "-vf", "showinfo", "-f", "null", "-"]


def _audio_start(path: Path) -> float:
    err = subprocess.run(
        [FF, "-hide_banner", "-nostats", "-copyts", "-i", str(path), "-map", "0:a:0",
         "-af", "ashowinfo", "-frames:a", "1", "-f", "null", "-"],
        capture_output=True, text=True, check=True).stderr
    m = _ASHOWINFO.search(err)
    assert m, err[-2000:]
    return float(m[1])


def _audio_args(path: Path, rate: int) -> list[str]:
    """The sound, mono float32, sample 0 at time 0 of the file's clock (a stream starting
    later is padded with silence, one starting earlier is cut)."""
    return [FF, "-v", "error", "-copyts", "-i", str(path), "-map", "0:a:0",
            "-af", f"aresample={rate}:async=1:first_pts=0", "-ac", "1", "-f", "f32le", "-"]


#: How long after its start a burst first reaches half its peak (a sine from phase 0).
_HALF_PEAK = math.asin(0.5) / (2 * math.pi * CLICK_HZ)


def find_clicks(x: np.ndarray, rate: int) -> list[float]:
    """Where each burst in ``x`` starts: where it first reaches half its own peak, less
    the time a burst takes to get there."""
    level = np.abs(x)
    loud = np.flatnonzero(level > 0.1 * CLICK_LEVEL)
    if loud.size == 0:
        return []
    gap = round(_SAME_CLICK * rate)
    groups = np.split(loud, np.flatnonzero(np.diff(loud) > gap) + 1)
    onsets = []
    for g in groups:
        lo, hi = g[0], g[-1] + 1
        peak = level[lo:hi].max()
        first = lo + int(np.argmax(level[lo:hi] >= 0.5 * peak))
        onsets.append(first / rate - _HALF_PEAK)
    return onsets


def measure(path: Path, rate: int = 48000) -> Measured:
    """Read the flashes, the clicks and both streams' extent out of the video ``path``
    (the picture and the sound are decoded at the same time, by two ffmpeg runs)."""
    with subprocess.Popen(_video_args(path), stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True) as video:
        sound = subprocess.run(_audio_args(path, rate), capture_output=True, check=True)
        log = video.communicate()[1]
    assert video.returncode == 0, log[-2000:]
    found = _SHOWINFO.findall(log)
    assert found, f"no frames in {path}"
    times = [float(t) for t, _ in found]
    pcm = np.frombuffer(sound.stdout, np.float32)
    flashes = tuple(float(t) for t, y in found if float(y) > 128)
    return Measured(
        frames=len(times), video_end=times[-1] + FRAME, audio_start=_audio_start(path),
        audio_end=len(pcm) / rate, flashes=flashes, clicks=tuple(find_clicks(pcm, rate)),
    )


@dataclass(frozen=True)
class Pair:
    expected: float
    flash: float
    click: float

    @property
    def offset_ms(self) -> float:
        """Sound minus picture, in milliseconds (positive: the sound is late)."""
        return 1000 * (self.click - self.flash)


def pairs(show: SyncShow, got: Measured) -> list[Pair]:
    """Each expected flash with the flash and the click measured nearest to it."""
    out = []
    for t in show.flashes:
        flash = min(got.flashes, key=lambda f: abs(f - t), default=math.inf)
        click = min(got.clicks, key=lambda c: abs(c - t), default=math.inf)
        out.append(Pair(t, flash, click))
    return out


def check_sync(show: SyncShow, got: Measured, within: float = FRAME) -> list[Pair]:
    """Assert the output is in sync: as many frames as the show, every flash on its
    frame, every click within ``within`` seconds of its flash (one frame: the contract),
    nothing extra, and the sound starting with the picture and lasting as long ± 1 frame.
    Returns the pairs (for reporting offsets)."""
    assert got.frames == round(show.total * FPS), (got.frames, show.total)
    assert abs(got.video_end - show.total) < FRAME / 2, got.video_end
    assert abs(got.audio_start) <= FRAME, f"the sound starts at {got.audio_start:.4f} s"
    assert abs(got.audio_end - got.video_end) <= FRAME, (
        f"sound lasts {got.audio_end:.4f} s, picture {got.video_end:.4f} s")
    assert len(got.flashes) == len(show.flashes), (got.flashes, show.flashes)
    assert len(got.clicks) == len(show.flashes), (got.clicks, show.flashes)
    found = pairs(show, got)
    offsets = [round(p.offset_ms, 1) for p in found]
    for p in found:
        assert abs(p.flash - p.expected) < FRAME / 2, f"flash due at {p.expected} at {p.flash}"
        assert abs(p.click - p.flash) <= within + 1e-6, (
            f"at {p.expected:.2f} s the click is {p.offset_ms:+.1f} ms from its flash "
            f"(all, ms: {offsets})")
    return found


def report(name: str, found: list[Pair], got: Measured) -> str:
    """One line: offsets (ms) at the start, middle and end, and the length difference."""
    mid = found[len(found) // 2]
    return (f"{name}: offsets start {found[0].offset_ms:+.1f} ms, middle "
            f"{mid.offset_ms:+.1f} ms (t={mid.expected:.2f} s), end "
            f"{found[-1].offset_ms:+.1f} ms; sound - picture length "
            f"{1000 * (got.audio_end - got.video_end):+.1f} ms")
