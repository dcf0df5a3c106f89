#!/usr/bin/env python3
"""How well ``render.beats`` finds the beats, on music whose beats are known.

    python benchmarks/beat_bench.py [--quick]

Generates drum tracks with numpy (tests/integration/media_beats.py: kick, snare on 2 and 4,
hi-hats on eighths, a sustained pad chord) in several classes: steady tempos from 60 to
180 BPM, a rock beat (kick on 1 and 3 only), tempo changes halfway, swung hi-hats, added
noise, and one MP3 (encoded with the bundled ffmpeg). Each is written to a file and analysed
through ``analyse_beats`` (decoding included, cache cold), and scored with the standard beat
F-measure at +-70 ms (one-to-one matching of detected to reference beats).

Playlists: two generated songs of different tempos played one after the other (crossfading
over 2 s, or 1 s apart), their beats found by ``playlist_beats`` (each file analysed on its
own, its beats placed on the show's clock by ``place_tracks``) and scored against the two
songs' beats placed the same way: the tempo changes at the boundary.

Also: the bundled demo music, whose reference beats come from its generator
(tools/make_demo_music.py: 80 BPM, beats every 0.75 s from 0 s, seven bars of rhythm and a
final rolled chord at 21 s; not a human annotation), and the time to analyse a generated
5-minute song.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simvid_desktop.model.project import AudioBed, MusicTrack, TrackJoin  # noqa: E402
from simvid_desktop.paths import resource  # noqa: E402
from simvid_desktop.render.beats import analyse_beats, playlist_beats  # noqa: E402
from simvid_desktop.render.ffmpeg import run_ffmpeg  # noqa: E402
from tests.integration.media_beats import Song, drum_song, f_measure, write_wav  # noqa: E402

#: (class, name, generator arguments)
TRACKS: list[tuple[str, str, dict[str, object]]] = [
    ("steady", "60 BPM", {"bpm": 60, "seconds": 60.0}),
    ("steady", "90 BPM", {"bpm": 90, "seconds": 45.0}),
    ("steady", "120 BPM", {"bpm": 120, "seconds": 40.0}),
    ("steady", "150 BPM", {"bpm": 150, "seconds": 30.0}),
    ("steady", "180 BPM", {"bpm": 180, "seconds": 30.0}),
    ("rock", "75 BPM, kick 1+3", {"bpm": 75, "seconds": 45.0, "four_on_the_floor": False}),
    ("rock", "135 BPM, kick 1+3", {"bpm": 135, "seconds": 35.0, "four_on_the_floor": False}),
    ("change", "100->130 BPM", {"bpm": 100, "seconds": 50.0, "change_to": 130}),
    ("change", "140->105 BPM", {"bpm": 140, "seconds": 50.0, "change_to": 105}),
    ("swing", "110 BPM swung", {"bpm": 110, "seconds": 40.0, "swing": 0.17}),
    ("swing", "84 BPM swung", {"bpm": 84, "seconds": 45.0, "swing": 0.17, "seed": 5}),
    ("noise", "128 BPM + noise", {"bpm": 128, "seconds": 40.0, "noise": 0.15, "seed": 3}),
    ("noise", "96 BPM + loud noise", {"bpm": 96, "seconds": 40.0, "noise": 0.3, "seed": 4}),
]
MP3_TRACK = ("mp3", "122 BPM, MP3 128k", {"bpm": 122, "seconds": 40.0, "seed": 7})
#: (name, first BPM, second BPM, join, join seconds): two 30 s songs in a playlist.
PLAYLISTS: list[tuple[str, float, float, TrackJoin, float]] = [
    ("96 -> 144 BPM, 2 s crossfade", 96, 144, TrackJoin.CROSSFADE, 2.0),
    ("150 -> 84 BPM, 2 s crossfade", 150, 84, TrackJoin.CROSSFADE, 2.0),
    ("120 -> 175 BPM, 1 s gap", 120, 175, TrackJoin.GAP, 1.0),
]
PLAYLIST_SONG = 30.0


def playlist_rows(work: Path) -> list[float]:
    """The playlist cases: F of ``playlist_beats`` against the songs' own beats, placed
    where each song plays (the first's up to the middle of a crossfade, the second's
    after it)."""
    print("\n| playlist (two 30 s songs) | beats found/ref | F (+-70 ms) | time |")
    print("|---|---|---|---|")
    scores = []
    for k, (name, first, second, join, seconds) in enumerate(PLAYLISTS):
        songs = [drum_song(first, PLAYLIST_SONG, seed=20 + k),
                 drum_song(second, PLAYLIST_SONG, seed=40 + k)]
        paths = [write_wav(work / f"playlist{k}-{n}.wav", song) for n, song in enumerate(songs)]
        bed = AudioBed((MusicTrack(paths[0], join=join, join_seconds=seconds),
                        MusicTrack(paths[1])), loop=False)
        overlap = seconds if join is TrackJoin.CROSSFADE else -seconds
        second_start = PLAYLIST_SONG - overlap
        switch = PLAYLIST_SONG - max(overlap, 0.0) / 2
        reference = [b for b in songs[0].beats if b < switch]
        reference += [b + second_start for b in songs[1].beats if b + second_start >= switch]
        t0 = time.perf_counter()
        found = playlist_beats(bed, until=second_start + PLAYLIST_SONG)
        elapsed = time.perf_counter() - t0
        f = f_measure(found, reference)
        scores.append(f)
        print(f"| {name} | {len(found)}/{len(reference)} | {f:.3f} | {elapsed:.2f} s |")
    return scores


def to_mp3(wav: Path) -> Path:
    mp3 = wav.with_suffix(".mp3")
    code, _, log = run_ffmpeg(["-v", "error", "-y", "-i", str(wav), "-c:a", "libmp3lame",
                               "-b:a", "128k", str(mp3)])
    if code != 0:
        raise SystemExit(f"mp3 encoding failed: {log}")
    return mp3


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="beat-bench-"))
    try:
        return bench(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bench(work: Path) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 5-minute timing")
    args = parser.parse_args()
    os.environ["SIMVID_DATA_DIR"] = str(work / "data")  # a cold, private cache
    rows = []
    print("| class | track | reference BPM | found BPM | beats found/ref | F (+-70 ms) | time |")
    print("|---|---|---|---|---|---|---|")
    for cls, name, kw in [*TRACKS, MP3_TRACK]:
        song = drum_song(**kw)  # type: ignore[arg-type]
        path = write_wav(work / f"{len(rows):02d}.wav", song)
        if cls == "mp3":
            path = to_mp3(path)
        t0 = time.perf_counter()
        track = analyse_beats(path)
        elapsed = time.perf_counter() - t0
        f = f_measure(track.beats, song.beats)
        first = 60 / (song.beats[1] - song.beats[0])
        last = 60 / (song.beats[-1] - song.beats[-2])
        ref = f"{first:.0f}" if abs(first - last) < 0.5 else f"{first:.0f}->{last:.0f}"
        rows.append((cls, f))
        print(f"| {cls} | {name} | {ref} | {track.tempo_bpm:.1f} (median) | "
              f"{len(track.beats)}/{len(song.beats)} | {f:.3f} | {elapsed:.2f} s |")
    classes = sorted({c for c, _ in rows}, key=[c for c, _ in rows].index)
    print()
    print("| class | min F | mean F |")
    print("|---|---|---|")
    for cls in classes:
        fs = [f for c, f in rows if c == cls]
        print(f"| {cls} | {min(fs):.3f} | {statistics.mean(fs):.3f} |")
    print(f"\nmean F over all {len(rows)} tracks: {statistics.mean(f for _, f in rows):.3f}")
    scores = playlist_rows(work)
    print(f"\nplaylists: min F {min(scores):.3f}, mean F {statistics.mean(scores):.3f}")

    demo = resource("music", "demo_music.m4a")
    track = analyse_beats(demo)
    reference = [0.75 * k for k in range(29)]  # the generator's beats, 0 to 21 s
    print(f"\ndemo_music.m4a: {track.tempo_bpm:.1f} BPM (generator: 80), {len(track.beats)} "
          f"beats from {track.beats[0]:.2f} s to {track.beats[-1]:.2f} s; F against the "
          f"generator's beat grid: {f_measure(track.beats, reference):.3f}")

    if not args.quick:
        long_song = drum_song(124, 300.0, seed=11)
        long_path = write_wav(work / "five_minutes.wav", Song(long_song.samples, ()))
        t0 = time.perf_counter()
        track = analyse_beats(long_path)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        analyse_beats(long_path)
        warm = time.perf_counter() - t0
        print(f"\n5-minute song (WAV, 124 BPM): analysed in {cold:.2f} s (decode included, "
              f"{os.cpu_count()} CPUs); from the cache in {warm * 1000:.1f} ms; "
              f"F {f_measure(track.beats, long_song.beats):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
