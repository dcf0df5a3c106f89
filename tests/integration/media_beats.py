"""Music with known beats, made with numpy: drums (kick on every beat, snare on 2 and 4,
hi-hats on eighths, optionally swung) over a sustained pad chord, optionally with a tempo
change and noise. The beat times are returned with the samples: they are the reference the
beat tracker is measured against."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 22050


@dataclass(frozen=True)
class Song:
    samples: np.ndarray  #: mono float32 in [-1, 1]
    beats: tuple[float, ...]  #: reference beat times, seconds
    rate: int = RATE


def beat_times(bpm: float, seconds: float, change_to: float | None = None,
               change_at: float | None = None) -> list[float]:
    """Beats from t=0; with ``change_to`` the tempo switches at the first beat past
    ``change_at`` (default: halfway)."""
    switch = seconds / 2 if change_at is None else change_at
    beats, t, period = [], 0.0, 60.0 / bpm
    while t < seconds - 0.05:
        beats.append(round(t, 6))
        if change_to is not None and t >= switch:
            period = 60.0 / change_to
        t += period
    return beats


def _kick(rate: int) -> np.ndarray:
    t = np.arange(int(0.25 * rate)) / rate
    freq = 50 + 90 * np.exp(-t / 0.03)
    phase = 2 * np.pi * np.cumsum(freq) / rate
    return (np.sin(phase) * np.exp(-t / 0.09)).astype(np.float32)


def _snare(rate: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(0.18 * rate)) / rate
    noise = rng.standard_normal(t.size) * np.exp(-t / 0.05)
    body = np.sin(2 * np.pi * 185 * t) * np.exp(-t / 0.04)
    return (0.45 * noise + 0.5 * body).astype(np.float32)


def _hat(rate: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(0.05 * rate)) / rate
    noise = np.diff(rng.standard_normal(t.size + 1))  # crude high-pass
    return (0.12 * noise * np.exp(-t / 0.012)).astype(np.float32)


def _add(out: np.ndarray, at: float, sound: np.ndarray, gain: float, rate: int) -> None:
    i = round(at * rate)
    if i >= out.size:
        return
    n = min(sound.size, out.size - i)
    out[i:i + n] += gain * sound[:n]


def drum_song(bpm: float, seconds: float, *, change_to: float | None = None,
              swing: float = 0.0, noise: float = 0.0, pad: float = 0.25, seed: int = 0,
              four_on_the_floor: bool = True, rate: int = RATE) -> Song:
    """Without ``four_on_the_floor`` the kick plays beats 1 and 3 only (a rock beat).
    ``swing`` moves each off-beat hi-hat later by that fraction of a beat (0.17 makes a
    triplet feel); ``noise`` is the level of white noise added under everything."""
    rng = np.random.default_rng(seed)
    beats = beat_times(bpm, seconds, change_to)
    out = np.zeros(int(seconds * rate), np.float32)
    kick, snare, hat = _kick(rate), _snare(rate, rng), _hat(rate, rng)
    for k, b in enumerate(beats):
        period = (beats[k + 1] - b) if k + 1 < len(beats) else (b - beats[k - 1])
        if four_on_the_floor or k % 2 == 0:
            _add(out, b, kick, 0.8, rate)
        if k % 2 == 1:
            _add(out, b, snare, 0.7, rate)
        _add(out, b, hat, 1.0, rate)
        _add(out, b + period * (0.5 + swing), hat, 0.8, rate)
    if pad:
        t = np.arange(out.size) / rate
        chord = sum(np.sin(2 * np.pi * f * t) for f in (130.81, 164.81, 196.0, 261.63))
        swell = 0.6 + 0.4 * np.sin(2 * np.pi * t / 7.0)
        out += (pad * 0.25 * chord * swell).astype(np.float32)
    if noise:
        out += (noise * rng.standard_normal(out.size)).astype(np.float32)
    peak = float(np.abs(out).max()) or 1.0
    return Song((0.9 * out / peak).astype(np.float32), tuple(beats), rate)


def write_wav(path: Path, song: Song) -> Path:
    pcm = (np.clip(song.samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(song.rate)
        out.writeframes(pcm.tobytes())
    return path


def f_measure(detected: list[float] | tuple[float, ...], reference: list[float] | tuple[float, ...],
              tolerance: float = 0.07) -> float:
    """Beat F-measure: detected beats matched one-to-one to reference beats within
    ``tolerance`` seconds (greedy in time order, which is optimal for sorted points on a
    line when each may match within the window)."""
    if not detected and not reference:
        return 1.0
    if not detected or not reference:
        return 0.0
    matched, i, j = 0, 0, 0
    det, ref = sorted(detected), sorted(reference)
    while i < len(det) and j < len(ref):
        if abs(det[i] - ref[j]) <= tolerance:
            matched += 1
            i += 1
            j += 1
        elif det[i] < ref[j]:
            i += 1
        else:
            j += 1
    precision, recall = matched / len(det), matched / len(ref)
    return 0.0 if matched == 0 else 2 * precision * recall / (precision + recall)
