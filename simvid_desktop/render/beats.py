"""Where the beats of a music track fall: tempo and beat times, so slides can cut on the beat.

The method is the classic one (Ellis 2007, "Beat tracking by dynamic programming"), with a
local tempo so a song that speeds up or slows down is followed:

1. decode mono PCM at 22.05 kHz with the bundled ffmpeg (the decoded length is trusted, not
   the header: MP3 headers can lie, see PITFALLS.md);
2. an onset-strength envelope: STFT magnitude on a mel scale, log-compressed, half-wave
   rectified spectral flux, one value per ~10 ms;
3. the tempo: autocorrelation of the envelope in overlapping ~12 s windows, weighted by a
   log-normal prior around 120 BPM; octave errors (hi-hat eighths read as the beat, or two
   beats read as one) are settled by the low bands alone: the beat is the fastest level at
   which kick and bass repeat. Then a smooth tempo path through the windows (Viterbi, a
   jump to another octave costing much more than a drift), so the tracker neither flips
   between double and half time nor misses a real tempo change;
4. the beats: dynamic programming that maximises the onset strength at the beats minus a
   penalty on each inter-beat interval's deviation from the local period; beats in silence
   at either end are trimmed.

numpy only, on purpose: librosa would pull scipy, numba and llvmlite (about 150 MB in the
installer) and numba's compile-on-first-use would stall the window; none of it is needed for
a few FFTs and a loop. Analysing a 5-minute song takes 2-3 s (decoding included) on a
2-core machine; a cached result comes back in milliseconds.

Results are cached per file (absolute path, size, mtime, analysis version) as small JSON
files in the user cache folder; writers go through a temporary file and ``os.replace`` so
two processes analysing the same song at once never leave half a file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simvid_desktop import paths
from simvid_desktop.errors import RenderCancelled
from simvid_desktop.model.playlist import beats_on_clock, place_tracks
from simvid_desktop.model.project import AudioBed
from simvid_desktop.render.pcm import mono_chunks

logger = logging.getLogger(__name__)

ANALYSIS_VERSION = 1  #: bump when the results would change: old cache entries are ignored
SAMPLE_RATE = 22050
N_FFT = 1024  #: 46 ms: enough frequency resolution to tell a kick from a hi-hat
HOP = 220  #: ~10 ms between envelope values
FPS = SAMPLE_RATE / HOP
N_MELS = 48
_LOW_BANDS = 10  #: the mel bands under ~570 Hz
LOW_WEIGHT = 2.0  #: weight of the low bands in the tempo score (see _tempo_scores)
COMPRESSION = 100.0  #: log(1 + 100 x) of the normalised magnitude (see onset_envelope)
MIN_BPM, MAX_BPM = 40.0, 240.0
PRIOR_BPM = 120.0
PRIOR_OCTAVES = 1.0  #: standard deviation of the log-normal tempo prior, in octaves
WINDOW_S = 12.0  #: tempo is estimated per window this long...
WINDOW_HOP_S = 1.0  #: ...every this often
TIGHTNESS = 100.0  #: how strongly beat intervals stick to the local period (Ellis's alpha)
_FRAMES_PER_BLOCK = 2048  #: STFT frames computed at once: ~8 MB of spectrum at a time


def _never() -> bool:
    return False


@dataclass(frozen=True)
class BeatTrack:
    """The beats of one track. ``tempo_bpm`` is the median tempo; ``beats`` are seconds from
    the file's start, increasing; ``duration`` is the decoded length in seconds."""

    tempo_bpm: float
    beats: tuple[float, ...]
    duration: float


def analyse_beats(path: Path | str, cancelled: Callable[[], bool] = _never) -> BeatTrack:
    """The beats of ``path``, from the cache when the file is unchanged since last time.

    Raises AudioUnreadable naming the file when it has no decodable sound, and
    RenderCancelled (ffmpeg stopped) as soon as ``cancelled()`` turns true: the window runs
    this on a pool thread and may drop the request when the user picks another song.
    """
    path = Path(path)
    key = _cache_key(path)
    if key is not None:
        cached = _read_cache(key)
        if cached is not None:
            return cached
    samples = _decode_mono(path, cancelled)
    track = beats_of_samples(samples, SAMPLE_RATE, cancelled)
    if key is not None:
        _write_cache(key, track)
    return track


def playlist_beats(bed: AudioBed, until: float,
                   cancelled: Callable[[], bool] = _never) -> list[float]:
    """The beats of the whole playlist on the show's clock, up to ``until`` seconds.

    Each track's file is analysed on its own (:func:`analyse_beats`: cached per file), and
    its beats are placed where :func:`~simvid_desktop.model.playlist.place_tracks` plays
    it, trims, crossfades, gaps and loops included; so a tempo change at a track boundary
    is followed by construction. The file lengths are the analysis' decoded ones.

    Raises AudioUnreadable naming a file that has no decodable sound, and RenderCancelled
    as :func:`analyse_beats` does.
    """
    found = {path: analyse_beats(path, cancelled) for path in bed.paths}
    tracks = [found[t.path] for t in bed.tracks]
    placed = place_tracks(bed, [t.duration for t in tracks], until)
    return beats_on_clock(placed, [t.beats for t in tracks], until)


def beats_of_samples(samples: np.ndarray, rate: int = SAMPLE_RATE,
                     cancelled: Callable[[], bool] = _never) -> BeatTrack:
    """The beats of mono float samples at ``rate`` Hz (resampled by ffmpeg beforehand: the
    constants here assume 22.05 kHz)."""
    if rate != SAMPLE_RATE:
        raise ValueError(f"beats_of_samples needs {SAMPLE_RATE} Hz samples, not {rate} Hz")
    duration = samples.size / rate
    envelope, low = onset_envelopes(samples)
    if envelope.size < int(2 * FPS) or not np.any(envelope > 0):
        return BeatTrack(0.0, (), duration)
    _check(cancelled)
    periods = local_periods(envelope, low)
    _check(cancelled)
    frames = track_beats(envelope, periods)
    beats = tuple(round(float(f) / FPS + _LATENCY_S, 4) for f in frames)
    beats = tuple(b for b in beats if 0.0 <= b <= duration)
    if len(beats) >= 2:
        tempo = 60.0 / float(np.median(np.diff(beats)))
    else:
        tempo = 60.0 * FPS / float(np.median(periods))
    return BeatTrack(round(tempo, 2), beats, duration)


# -- decoding ------------------------------------------------------------------------------


def _decode_mono(path: Path, cancelled: Callable[[], bool] = _never) -> np.ndarray:
    """The whole track as mono float32 at SAMPLE_RATE (a 5-minute song is 26 MB)."""
    return np.concatenate(list(mono_chunks(path, SAMPLE_RATE, cancelled, 1 << 18)))


def _check(cancelled: Callable[[], bool]) -> None:
    if cancelled():
        raise RenderCancelled("beat analysis cancelled")


# -- onset envelope ------------------------------------------------------------------------


def _mel_filterbank() -> np.ndarray:
    """(N_MELS, N_FFT//2+1) triangular filters, 30 Hz to 8 kHz: the mel scale keeps the many
    high-frequency bins from drowning the kick drum in the flux."""
    def mel(f: np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + f / 700.0)

    def hz(m: np.ndarray) -> np.ndarray:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)

    edges = hz(np.linspace(mel(np.array(30.0)), mel(np.array(8000.0)), N_MELS + 2))
    bins = np.fft.rfftfreq(N_FFT, 1.0 / SAMPLE_RATE)
    bank = np.zeros((N_MELS, bins.size), np.float32)
    for i in range(N_MELS):
        lo, mid, hi = edges[i], edges[i + 1], edges[i + 2]
        rise = (bins - lo) / max(mid - lo, 1e-9)
        fall = (hi - bins) / max(hi - mid, 1e-9)
        bank[i] = np.clip(np.minimum(rise, fall), 0.0, None)
    return bank


def onset_envelope(samples: np.ndarray) -> np.ndarray:
    """Spectral flux of the log mel spectrum, one value per HOP samples, frame k centred on
    sample k*HOP; normalised to unit standard deviation."""
    return onset_envelopes(samples)[0]


def onset_envelopes(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The onset envelope of all bands, and of the bands under LOW_HZ alone (kick, bass,
    snare body: the instruments that mark the beat rather than its subdivisions)."""
    x = np.asarray(samples, np.float32)
    if x.size < N_FFT:
        x = np.pad(x, (0, N_FFT - x.size))
    x = np.pad(x, (N_FFT // 2, N_FFT // 2))
    n_frames = 1 + (x.size - N_FFT) // HOP
    window = np.hanning(N_FFT).astype(np.float32)
    bank = _mel_filterbank()
    frames_view = np.lib.stride_tricks.sliding_window_view(x, N_FFT)[::HOP]
    logmel = np.empty((n_frames, N_MELS), np.float32)
    for start in range(0, n_frames, _FRAMES_PER_BLOCK):
        block = frames_view[start:start + _FRAMES_PER_BLOCK] * window
        power = np.abs(np.fft.rfft(block, axis=1)).astype(np.float32) ** 2
        logmel[start:start + block.shape[0]] = power @ bank.T
    # log(1 + gamma * magnitude): logarithmic for loud sounds, linear for quiet ones, so
    # a faint hi-hat over silence does not count as much as a kick (it would in dB).
    logmel = np.log1p(COMPRESSION * np.sqrt(logmel / max(float(logmel.max()), 1e-20)))
    rise = np.maximum(np.diff(logmel, axis=0, prepend=logmel[:1]), 0.0)
    return _normalised(rise.mean(axis=1)), _normalised(rise[:, :_LOW_BANDS].mean(axis=1))


def _normalised(flux: np.ndarray) -> np.ndarray:
    """Flux minus its slowly varying part (a crescendo is not an onset), unit deviation."""
    smooth = _moving_average(flux, int(FPS))
    env: np.ndarray = np.maximum(flux - smooth, 0.0).astype(np.float64)
    std = float(env.std())
    if std > 0:
        env /= std
    return env


def _moving_average(x: np.ndarray, width: int) -> np.ndarray:
    width = max(1, width | 1)
    kernel = np.ones(width) / width
    padded = np.pad(x, (width // 2, width // 2), mode="edge")
    return np.convolve(padded, kernel, mode="valid")


#: Measured on the benchmark's tracks: the flux peaks this long before the true onset's
#: frame centre (the attack enters the window before the centre reaches it).
_LATENCY_S = 0.006


# -- tempo ---------------------------------------------------------------------------------


def _lags() -> np.ndarray:
    return np.arange(math.floor(60.0 * FPS / MAX_BPM), math.ceil(60.0 * FPS / MIN_BPM) + 1)


def _autocorrelation(seg: np.ndarray, hann: np.ndarray, max_lag: int) -> np.ndarray:
    """Normalised, unbiased, non-negative autocorrelation of a window of an envelope, each
    lag holding the best of itself and its neighbours (tolerance for a rounded period)."""
    seg = (seg - seg.mean()) * hann[:seg.size]
    spec = np.fft.rfft(seg, 2 * seg.size)
    acf = np.fft.irfft(np.abs(spec) ** 2)[:max_lag]
    acf = acf / np.maximum(seg.size - np.arange(max_lag), 1)
    acf = acf / acf[0] if acf[0] > 0 else acf
    acf = np.maximum(acf, 0.0)
    local: np.ndarray = np.maximum(np.maximum(acf, np.roll(acf, 1)), np.roll(acf, -1))
    return local


def _tempo_scores(envelope: np.ndarray, low: np.ndarray, lags: np.ndarray) -> np.ndarray:
    """(n_windows, n_lags) log-score of each period in each window, from:

    * the autocorrelation of the full envelope at the lag, plus half of it at twice the lag
      (the period whose multiples are also strong: the bar pattern, not noise);
    * the low bands' autocorrelation at the lag, minus half of it at HALF the lag: the beat
      is the fastest level the kick and bass repeat at, so a period whose half is also
      periodic in the low bands is probably two beats (the hi-hats' eighths are not in the
      low bands, so they cannot make the tempo double);
    * the log-normal prior around PRIOR_BPM."""
    win = int(WINDOW_S * FPS)
    hop = int(WINDOW_HOP_S * FPS)
    n = envelope.size
    starts = [0] if n <= win else list(range(0, n - win + 1, hop))
    if n > win and starts[-1] != n - win:
        starts.append(n - win)
    bpm = 60.0 * FPS / lags
    log_prior = -0.5 * (np.log2(bpm / PRIOR_BPM) / PRIOR_OCTAVES) ** 2
    hann = np.hanning(min(win, n))
    scores = np.empty((len(starts), lags.size))
    max_lag = 2 * int(lags[-1]) + 1
    double = np.minimum(2 * lags, max_lag - 1)
    half = lags // 2
    for w, s in enumerate(starts):
        full_acf = _autocorrelation(envelope[s:s + win], hann, max_lag)
        low_acf = _autocorrelation(low[s:s + win], hann, max_lag)
        strength = (full_acf[lags] + 0.5 * full_acf[double]
                    + LOW_WEIGHT * (low_acf[lags] - 0.5 * low_acf[half]))
        scores[w] = np.log(np.maximum(strength, 0.0) + 1e-3) + log_prior
    return scores


def local_periods(envelope: np.ndarray, low: np.ndarray | None = None) -> np.ndarray:
    """The beat period (in frames) at every envelope frame: a smooth path through the
    windows' tempo scores (Viterbi), interpolated between window centres."""
    lags = _lags()
    scores = _tempo_scores(envelope, envelope if low is None else low, lags)
    log_lag = np.log2(lags.astype(np.float64))
    # Transition cost: drifting a few percent per second is free-ish, an octave jump is not.
    jump = np.abs(log_lag[:, None] - log_lag[None, :])
    trans = -40.0 * jump ** 2
    best = scores[0].copy()
    back = np.zeros(scores.shape, np.int64)
    for w in range(1, scores.shape[0]):
        cand = best[:, None] + trans  # from (rows) -> to (columns)
        back[w] = np.argmax(cand, axis=0)
        best = cand[back[w], np.arange(lags.size)] + scores[w]
    path = np.empty(scores.shape[0], np.int64)
    path[-1] = int(np.argmax(best))
    for w in range(scores.shape[0] - 1, 0, -1):
        path[w - 1] = back[w, path[w]]
    chosen = lags[path].astype(np.float64)
    win = int(WINDOW_S * FPS)
    hop = int(WINDOW_HOP_S * FPS)
    n = envelope.size
    if chosen.size == 1:
        return np.full(n, chosen[0])
    centres = np.minimum(np.arange(chosen.size) * hop + win / 2, n - win / 2)
    return np.interp(np.arange(n), centres, chosen)


# -- beat tracking -------------------------------------------------------------------------


def track_beats(envelope: np.ndarray, periods: np.ndarray) -> np.ndarray:
    """Beat frames maximising onset strength at the beats minus TIGHTNESS * (log of each
    interval over the local period)^2, by dynamic programming; then trimmed of the beats
    that fall in silence at either end."""
    median_period = float(np.median(periods))
    # Local score: the envelope smoothed over a narrow Gaussian, so a beat a frame or two off
    # the peak still scores (as in librosa).
    half = round(median_period / 8)
    t = np.arange(-half, half + 1)
    gauss = np.exp(-0.5 * (t * 32.0 / median_period) ** 2)
    local = np.convolve(envelope, gauss, mode="same")
    n = local.size
    cum = np.zeros(n)
    back = np.full(n, -1, np.int64)
    # A predecessor is searched between half and twice the local period back.
    for i in range(n):
        p = float(periods[i])
        lo = max(0, i - round(2 * p))
        hi = i - round(p / 2)
        if hi <= lo:
            cum[i] = local[i]
            continue
        prev = np.arange(lo, hi)
        penalty = -TIGHTNESS * np.log((i - prev) / p) ** 2
        cand = cum[lo:hi] + penalty
        j = int(np.argmax(cand))
        if cand[j] > 0:
            cum[i] = local[i] + cand[j]
            back[i] = lo + j
        else:
            cum[i] = local[i]
    # The last beat: the last local maximum of the cumulative score that is strong enough.
    peaks = np.flatnonzero((cum[1:-1] > cum[:-2]) & (cum[1:-1] >= cum[2:])) + 1
    if peaks.size == 0:
        return np.empty(0, np.int64)
    threshold = 0.5 * float(np.median(cum[peaks]))
    last = int(peaks[cum[peaks] >= threshold][-1])
    beats = [last]
    while back[beats[-1]] >= 0:
        beats.append(int(back[beats[-1]]))
    frames = np.array(beats[::-1], np.int64)
    return _trim(frames, local)


def _trim(frames: np.ndarray, local: np.ndarray) -> np.ndarray:
    """Drop leading and trailing beats whose onset strength is under half the RMS of the
    beats' strengths: beats the tracker extrapolated into silence or a held final chord."""
    if frames.size == 0:
        return frames
    strength = local[frames]
    threshold = 0.5 * float(np.sqrt(np.mean(strength ** 2)))
    strong = np.flatnonzero(strength >= threshold)
    if strong.size == 0:
        return frames[:0]
    return frames[strong[0]:strong[-1] + 1]


# -- cache ---------------------------------------------------------------------------------


def _cache_key(path: Path) -> str | None:
    try:
        absolute = path.resolve()
        st = absolute.stat()
    except OSError:
        return None  # the decoder reports the missing file
    ident = f"{absolute}\0{st.st_size}\0{st.st_mtime_ns}\0{ANALYSIS_VERSION}"
    return hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()


def _cache_file(key: str) -> Path:
    return paths.cache_dir() / "beats" / f"{key}.json"


def _read_cache(key: str) -> BeatTrack | None:
    file = _cache_file(key)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        track = BeatTrack(float(data["tempo_bpm"]), tuple(float(b) for b in data["beats"]),
                          float(data["duration"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
        logger.warning("ignoring unreadable beat cache %s: %s", file, exc)
        return None
    if not all(math.isfinite(v) for v in (track.tempo_bpm, track.duration, *track.beats)):
        return None
    return track


def _write_cache(key: str, track: BeatTrack) -> None:
    """Best effort: a cache that cannot be written only costs the next analysis."""
    file = _cache_file(key)
    data = {"version": ANALYSIS_VERSION, "tempo_bpm": track.tempo_bpm,
            "beats": list(track.beats), "duration": track.duration}
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{key[:16]}-", suffix=".tmp", dir=file.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out)
            os.replace(tmp, file)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        logger.warning("could not write the beat cache %s: %s", file, exc)
