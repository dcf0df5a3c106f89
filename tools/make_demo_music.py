#!/usr/bin/env python3
"""Generate Simvid Desktop's demo soundtrack (resources/music/demo_music.m4a).

It makes a 25-second piece in C major at 80 BPM: eight bars with the chords
C - G - Am - F - C - G - F - C (I-V-vi-IV, then a plagal close).
There are four parts:

* a soft electric-piano arpeggio in eighth notes, built from several
  harmonics that each die away at their own rate, panned a little left and
  right;
* a warm pad of slightly detuned voices that swells on each chord;
* a round bass on beats 1 and 3;
* a bell-like melody that comes in at bar 3.

Every note fades in and out smoothly, so there are no clicks. The mix goes
through a small synthetic reverb (noise that dies away, convolved by FFT),
a zero-phase high-pass filter that removes DC and sub-bass, and is then
normalised to -3 dBFS. ffmpeg (the binary that imageio-ffmpeg ships) encodes
the result to AAC-LC at 128 kbit/s, stereo, 44.1 kHz, in an .m4a file.

Usage:
    python tools/make_demo_music.py resources/music/demo_music.m4a [--wav out.wav]

Needs only numpy, imageio_ffmpeg and the standard library. A fixed random
seed makes the output the same on every run. The output is CC0.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import wave
from pathlib import Path

import imageio_ffmpeg
import numpy as np

SR = 44_100
DURATION = 25.0
BPM = 80.0
BEAT = 60.0 / BPM  # 0.75 s
BAR = 4 * BEAT  # 3.0 s
PEAK_DBFS = -3.0
SEED = 20240611

# Chords by bar as MIDI note numbers (root, third, fifth) in the 4th octave.
C, G, AM, F = (60, 64, 67), (55, 59, 62), (57, 60, 64), (53, 57, 60)
PROGRESSION = [C, G, AM, F, C, G, F, C]

# Melody: (bar, beat offset within the bar, length in beats, MIDI note).
_MELODY_BARS = {
    2: [(0, 1, 76), (1, 1, 81), (2, 1, 79), (3, 1, 76)],  # Am: E A G E
    3: [(0, 1.5, 77), (1.5, 0.5, 76), (2, 2, 72)],  # F:  F. E C
    4: [(0, 1, 76), (1, 1, 79), (2, 2, 84)],  # C:  E G C'
    5: [(0, 1, 83), (1, 0.5, 81), (1.5, 0.5, 79), (2, 2, 74)],  # G: B A G D
    6: [(0, 1, 72), (1, 1, 77), (2, 1, 81), (3, 1, 79)],  # F:  C F A G
    7: [(0, 1, 76), (1, 1, 74), (2, 2.6, 72)],  # C:  E D C (held)
}
MELODY = [
    (bar, off, length, note) for bar, notes in _MELODY_BARS.items() for off, length, note in notes
]


def midi_hz(note: float) -> float:
    return 440.0 * 2.0 ** ((note - 69) / 12.0)


def smooth_edges(n: int, attack: float, release: float) -> np.ndarray:
    """Raised-cosine fade-in and fade-out over `n` samples (times in seconds)."""
    env = np.ones(n)
    a = max(1, min(n // 2, int(attack * SR)))
    r = max(1, min(n - a, int(release * SR)))
    env[:a] = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, a))
    env[n - r :] *= 0.5 + 0.5 * np.cos(np.linspace(0, np.pi, r))
    return env


class Mixer:
    """A stereo float buffer that notes are added into."""

    def __init__(self, seconds: float) -> None:
        self.n = round(seconds * SR)
        self.buf = np.zeros((2, self.n))

    def add(self, start: float, mono: np.ndarray, gain: float, pan: float = 0.0) -> None:
        """Add `mono` at `start` s; pan -1 is left, +1 is right (equal power)."""
        i = round(start * SR)
        if i >= self.n:
            return
        seg = mono[: self.n - i]
        theta = (pan + 1.0) * np.pi / 4.0
        self.buf[0, i : i + len(seg)] += gain * np.cos(theta) * seg
        self.buf[1, i : i + len(seg)] += gain * np.sin(theta) * seg


def epiano(freq: float, seconds: float, velocity: float) -> np.ndarray:
    """Soft electric-piano tone. Higher harmonics die away faster."""
    t = np.arange(int(seconds * SR)) / SR
    out = np.zeros_like(t)
    for k in range(1, 9):
        fk = freq * k * (1.0 + 0.0004 * (k - 1) ** 2)  # a touch of inharmonicity
        if fk > 16_000:
            break
        amp = velocity ** (0.6 + 0.15 * k) / k**1.4
        decay = 1.6 + 1.1 * k**1.25
        out += amp * np.exp(-decay * t) * np.sin(2 * np.pi * fk * t + 0.3 * k)
    # slight tine "bell" partial gives an e-piano colour
    out += 0.12 * velocity * np.exp(-9.0 * t) * np.sin(2 * np.pi * freq * 7.1 * t)
    return out * smooth_edges(len(t), 0.004, 0.08)


def bell(freq: float, seconds: float, velocity: float) -> np.ndarray:
    """Melody voice: a mellow bell/marimba mix with gentle, delayed vibrato."""
    t = np.arange(int(seconds * SR)) / SR
    vib = 1.0 + 0.003 * np.sin(2 * np.pi * 5.2 * t) * np.clip((t - 0.25) / 0.4, 0, 1)
    phase = 2 * np.pi * freq * np.cumsum(vib) / SR
    body = (
        np.sin(phase)
        + 0.35 * np.sin(2 * phase) * np.exp(-3 * t)
        + 0.12 * np.sin(3 * phase) * np.exp(-5 * t)
    )
    shimmer = 0.18 * np.exp(-6 * t) * np.sin(2 * np.pi * freq * 4.0 * t)
    env = np.exp(-1.3 * t)
    return velocity * (env * body + shimmer) * smooth_edges(len(t), 0.012, 0.25)


def pad(notes: tuple[int, ...], seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Warm, slowly swelling chord pad (stereo: shape (2, n)) of detuned voices."""
    n = int(seconds * SR)
    t = np.arange(n) / SR
    out = np.zeros((2, n))
    for note in notes:
        f0 = midi_hz(note)
        for ch, cents in ((0, -5.0), (1, 5.0), (0, 2.0), (1, -2.0)):
            f = f0 * 2 ** (cents / 1200)
            ph = rng.uniform(0, 2 * np.pi)
            for k, amp in ((1, 1.0), (2, 0.28), (3, 0.12), (4, 0.05)):
                out[ch] += amp * np.sin(2 * np.pi * f * k * t + ph * k)
    # slow swell with a little tremolo
    swell = smooth_edges(n, 0.9, 1.1) * (1 + 0.06 * np.sin(2 * np.pi * 0.4 * t))
    return out * swell / (2 * len(notes))


def bass(freq: float, seconds: float, velocity: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    tone = (
        np.sin(2 * np.pi * freq * t)
        + 0.35 * np.sin(4 * np.pi * freq * t) * np.exp(-4 * t)
        + 0.15 * np.sin(6 * np.pi * freq * t) * np.exp(-7 * t)
    )
    return velocity * tone * np.exp(-1.8 * t) * smooth_edges(len(t), 0.01, 0.15)


def reverb(
    x: np.ndarray,
    rng: np.random.Generator,
    t60: float = 1.9,
    wet: float = 0.22,
    predelay: float = 0.025,
) -> np.ndarray:
    """Convolve each channel with its own noise tail that dies away exponentially (stereo width)."""
    n_ir = int(2.4 * SR)
    t = np.arange(n_ir) / SR
    out = np.empty_like(x)
    nfft = 1 << int(np.ceil(np.log2(x.shape[1] + n_ir)))
    for ch in range(2):
        noise = rng.standard_normal(n_ir)
        # darker tail: moving-average low-pass that gets stronger over time
        smooth = np.convolve(noise, np.ones(6) / 6, mode="same")
        mix = np.clip(t / 1.2, 0, 1)
        ir = ((1 - mix) * noise + mix * smooth) * np.exp(-6.91 * t / t60)
        ir *= smooth_edges(n_ir, 0.003, 0.2)
        ir = np.concatenate([np.zeros(int(predelay * SR)), ir])[:n_ir]
        ir /= np.sqrt(np.sum(ir**2))
        y = np.fft.irfft(np.fft.rfft(x[ch], nfft) * np.fft.rfft(ir, nfft), nfft)[: x.shape[1]]
        out[ch] = x[ch] + wet * y
    return out


def highpass(x: np.ndarray, lo: float = 12.0, hi: float = 35.0) -> np.ndarray:
    """Zero-phase high-pass: removes DC and inaudible rumble (raised-cosine ramp lo..hi Hz)."""
    n = x.shape[1]
    nfft = 1 << int(np.ceil(np.log2(n * 2)))
    f = np.fft.rfftfreq(nfft, 1 / SR)
    h = np.clip((f - lo) / (hi - lo), 0, 1)
    h = 0.5 - 0.5 * np.cos(np.pi * h)
    return np.fft.irfft(np.fft.rfft(x, nfft, axis=1) * h, nfft, axis=1)[:, :n]


def compose() -> np.ndarray:
    rng = np.random.default_rng(SEED)
    mix = Mixer(DURATION)
    last_bar = len(PROGRESSION) - 1

    for bar, chord in enumerate(PROGRESSION):
        t0 = bar * BAR
        root, third, fifth = chord

        # Pad: each chord overlaps the next a little so the swells cross-fade.
        pad_len = BAR + 1.2 if bar < last_bar else DURATION - t0 - 0.2
        voiced = (
            (root - 12, fifth - 12, third, fifth)
            if bar != last_bar
            else (root - 12, fifth - 12, third, root + 12)
        )
        p = pad(voiced, pad_len, rng)
        start = max(0.0, t0 - 0.3)
        for ch in range(2):
            i = int(start * SR)
            seg = p[ch][: mix.n - i]
            mix.buf[ch, i : i + len(seg)] += 0.11 * seg

        # Bass on beats 1 and 3, then a long note to end. The root sits in C2..B2
        # (65-123 Hz), low enough to be bass and still audible on small speakers.
        bass_note = root - 24 if root - 24 >= 36 else root - 12
        if bar < last_bar:
            mix.add(t0, bass(midi_hz(bass_note), 1.6, 0.95), 0.24)
            mix.add(t0 + 2 * BEAT, bass(midi_hz(bass_note), 1.6, 0.75), 0.24)
        else:
            mix.add(t0, bass(midi_hz(bass_note), DURATION - t0 - 0.3, 1.0), 0.24)

        # Arpeggio: eighth notes over the chord; the last bar is one rolled chord.
        if bar < last_bar:
            pattern = [root - 12, fifth - 12, root, third, fifth, third, root, fifth - 12]
            for i, note in enumerate(pattern):
                vel = (0.78 if i % 2 == 0 else 0.62) * rng.uniform(0.93, 1.05)
                if i == 0:
                    vel *= 1.12
                pan = -0.35 if i % 2 == 0 else 0.35
                mix.add(t0 + i * BEAT / 2, epiano(midi_hz(note), 1.6, vel), 0.16, pan)
        else:
            roll = [root - 12, fifth - 12, root, third, fifth, root + 12]
            for i, note in enumerate(roll):
                mix.add(
                    t0 + i * 0.055,
                    epiano(midi_hz(note), DURATION - t0 - 0.4, 0.8),
                    0.15,
                    -0.5 + i * 0.2,
                )

    for bar, off, length, note in MELODY:
        start = bar * BAR + off * BEAT
        ring = min(length * BEAT + 0.9, DURATION - start - 0.2)
        vel = 0.85 if off == 0 else 0.72
        mix.add(start, bell(midi_hz(note), ring, vel), 0.17, 0.2)

    x = reverb(mix.buf, rng)
    x = highpass(x)
    x -= x.mean(axis=1, keepdims=True)  # belt and braces: exactly zero DC
    x *= smooth_edges(x.shape[1], 0.02, 1.2)  # gentle final fade
    x *= 10 ** (PEAK_DBFS / 20) / np.max(np.abs(x))
    return x.astype(np.float32)


def write_wav(path: Path, x: np.ndarray) -> None:
    pcm = np.clip(np.round(x.T * 32767), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.tobytes())


def encode_m4a(path: Path, x: np.ndarray, bitrate: str = "128k") -> None:
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    cmd = [
        ffmpeg,
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "f32le",
        "-ar",
        str(SR),
        "-ac",
        "2",
        "-i",
        "pipe:0",
        "-c:a",
        "aac",
        "-b:a",
        bitrate,
        "-ar",
        str(SR),
        "-ac",
        "2",
        "-metadata",
        "title=Simvid Desktop demo music",
        "-metadata",
        "comment=Generated by tools/make_demo_music.py; CC0 1.0",
        "-movflags",
        "+faststart",
        str(path),
    ]
    interleaved = np.ascontiguousarray(x.T).astype("<f4").tobytes()
    proc = subprocess.run(cmd, input=interleaved, capture_output=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode(errors="replace"))
        raise SystemExit(f"ffmpeg failed with exit code {proc.returncode}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("output", type=Path, help="output .m4a path")
    ap.add_argument("--wav", type=Path, help="also write the 16-bit PCM mix here")
    ap.add_argument("--bitrate", default="128k", help="AAC bitrate (default 128k)")
    args = ap.parse_args(argv)

    x = compose()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if args.wav:
        write_wav(args.wav, x)
    encode_m4a(args.output, x, args.bitrate)
    peak = 20 * np.log10(np.max(np.abs(x)))
    print(f"wrote {args.output} ({len(x[0]) / SR:.2f} s, mix peak {peak:.2f} dBFS)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
