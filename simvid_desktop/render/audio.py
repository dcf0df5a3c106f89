"""The soundtrack as ffmpeg input options and one filter graph: the music (a playlist), the
sound of the video clips and the voice-over, with the music ducked under both.

ffmpeg decodes, loops, trims, pads, fades, resamples and mixes while it encodes the video,
so no audio is held in Python and the result is exactly as long as the show (lengths come
from the decoded samples, never from an MP3 header). Every position is a sample count at
48 kHz taken from the timeline's own start and end of each slide, so a clip's sound starts
on the same sample its first frame does (no drift, no rounding that adds up).

The music bed is planned by :mod:`simvid_desktop.render.playlist_mix` from
:func:`simvid_desktop.model.playlist.place_tracks`. Clip sound and narration are buses of
their own, laid over the music; the music dips under both by the project's
:class:`~simvid_desktop.model.project.Ducking`, on the spans of
:func:`simvid_desktop.model.ducking.duck_spans` (what the waveform draws).

Voice-over level: each narration file is measured (BS.1770 integrated loudness, as the
final loudness stage measures) and brought to the loudness of the music it is laid on
(the bed as mixed, before ducking; :data:`VOICE_OVER_MUSIC_LU` above it), times its own
volume. Under the default -12 dB dip the voice then sits 12 LU over the music, whatever
the level the songs and the recording were mastered at; the final two-pass loudness then
brings the whole mix to its target. Without music a narration is brought to
:data:`VOICE_ALONE_LUFS`.

A project of one untrimmed track whose clips give no sound and that has no voice-over gets
exactly the music bed's chain of before (:func:`audio_plan`), byte for byte.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simvid_desktop.errors import RenderFailed
from simvid_desktop.model.ducking import duck_spans, placed_narrations
from simvid_desktop.model.project import AudioBed, Clip, Ducking, Narration, Project
from simvid_desktop.model.timeline import Timeline
from simvid_desktop.render.ebur128 import ebur128, file_loudness
from simvid_desktop.render.ffmpeg import probe_media, run_ffmpeg
from simvid_desktop.render.playlist_mix import (
    HEAD,
    MIX_RATE,
    is_legacy,
    playlist_graph,
    single_track_chain,
)

logger = logging.getLogger(__name__)

SAMPLE_RATE = MIX_RATE  #: every position in the mix is a sample count at this rate

#: A narration is brought to the music's loudness plus this (LU), before the dip.
VOICE_OVER_MUSIC_LU = 0.0
#: A narration over no music (or silent music) is brought to this (LUFS): speech at the
#: level of podcasts; the final loudness stage moves the whole mix anyway.
VOICE_ALONE_LUFS = -16.0
#: A narration's level is moved at most this far (dB): past it, the file is mostly noise.
MAX_VOICE_GAIN = 30.0
#: The envelope is evaluated once per block of this many samples (10 ms at 48 kHz): a
#: 0.3 s ramp is 30 steps of 0.4 dB, inaudible, at a cost of nothing.
_DUCK_BLOCK = 480
#: Samples faded at each end of a clip's sound (5 ms).
_DECLICK = 240
#: Clips add to the music, so peaks can pass full scale: a look-ahead limiter holds them
#: at -1 dBFS (room for the AAC encoder's overshoot). ``level=0``: no auto gain (the
#: filter's default would raise the whole mix); ``latency=1``: the look-ahead delay is
#: removed, so the sound stays on its sample.
_LIMITER = "alimiter=limit=0.891251:level=0:latency=1"
#: Where the loudness stage holds the true peak (dBTP): 0.5 dB under the -1 dBTP that
#: online and broadcast delivery ask for, as room for the AAC encoder's overshoot.
TRUE_PEAK_CEILING = -1.5
#: The loudness stage limits at four times the sample rate: a peak between two samples
#: (what a true-peak meter reads, BS.1770 oversamples 4x too) is then a sample the limiter
#: sees. At 48 kHz alone a limiter holds the samples and the waveform overshoots them.
_OVERSAMPLE = 4


@dataclass(frozen=True)
class AudioPlan:
    input_args: list[str]  #: options and ``-i`` for every extra input, in input order
    filter: str  #: a filter_complex graph ending in ``[aout]``


_SAMPLES_RE = re.compile(r"Number of samples:\s*(\d+)")


@functools.lru_cache(maxsize=256)
def _decoded_samples(path: Path, size: int, mtime_ns: int) -> int:
    code, _, err = run_ffmpeg(["-nostats", "-vn", "-i", str(path), "-map", "0:a:0", "-af",
                               f"aresample={SAMPLE_RATE},aformat=channel_layouts=mono,"
                               "astats=measure_perchannel=none:measure_overall=Number_of_samples",
                               "-f", "null", "-"], timeout=600)
    found = _SAMPLES_RE.findall(err)
    if code != 0 or not found:
        last = err.strip().splitlines()[-1] if err.strip() else "no audio could be decoded"
        raise RenderFailed(f"{path}: cannot decode its sound ({last})")
    return int(found[-1])


def decoded_length(path: Path) -> float:
    """The length (s) of the first audio stream of ``path`` as the mix decodes it: a whole
    number of samples at 48 kHz, counted by decoding (headers can lie; an MP3's encoder
    delay is already skipped). Cached while the file is unchanged.

    Raises:
        RenderFailed: naming the file, when its sound cannot be decoded.
    """
    try:
        st = path.stat()
    except OSError as exc:
        raise RenderFailed(f"{path}: {exc.strerror or 'cannot be read'}") from None
    return _decoded_samples(path, st.st_size, st.st_mtime_ns) / SAMPLE_RATE


def audio_plan(audio: AudioBed | None, total: float, input_index: int, *,
               track_length: Callable[[Path], float] = decoded_length) -> AudioPlan:
    """Plan the music bed of a show lasting ``total`` seconds; silence when there is none."""
    return _bed(audio, total, input_index, "aout", track_length)


def _bed(audio: AudioBed | None, total: float, input_index: int, label: str,
         track_length: Callable[[Path], float]) -> AudioPlan:
    samples = round(total * SAMPLE_RATE)
    if audio is None:
        silence = ["-f", "lavfi", "-i", f"anullsrc=r={SAMPLE_RATE}:cl=stereo"]
        return AudioPlan(silence, f"[{input_index}:a]{HEAD},apad,atrim=end_sample={samples}"
                                  f"[{label}]")
    if is_legacy(audio):
        graph = single_track_chain(audio, total, input_index, label)
    else:
        lengths = track_lengths(audio, track_length)
        graph = playlist_graph(audio, lengths, total, input_index, label)
    return AudioPlan(graph.input_args, graph.filter)


def track_lengths(audio: AudioBed,
                  track_length: Callable[[Path], float] = decoded_length) -> list[float]:
    """The decoded length of each track's file (each file decoded once)."""
    found = {path: track_length(path) for path in audio.paths}
    return [found[t.path] for t in audio.tracks]


@dataclass(frozen=True)
class ClipSound:
    """Where one clip's sound lies: samples ``[start, end)`` of the show."""

    clip: Clip
    start: int
    end: int


def clip_has_audio(path: Path) -> bool:
    """Whether the file has an audio stream (a file ffmpeg cannot read has none)."""
    info = probe_media(path)
    if info is None:
        logger.warning("cannot read %s; its sound is left out", path)
        return False
    return info.has_audio


def clip_sounds(project: Project, timeline: Timeline,
                has_audio: Callable[[Path], bool] = clip_has_audio) -> list[ClipSound]:
    """The clips that are heard: not muted, volume above 0, and with an audio stream."""
    known: dict[Path, bool] = {}
    sounds = []
    for index, clip in project.clips:
        if not clip.audible:
            continue
        if clip.path not in known:
            known[clip.path] = has_audio(clip.path)
        if not known[clip.path]:
            continue
        span = timeline.slides[index]
        start, end = round(span.start * SAMPLE_RATE), round(span.end * SAMPLE_RATE)
        if end > start:
            sounds.append(ClipSound(clip, start, end))
    return sounds


def _clip_input(sound: ClipSound) -> list[str]:
    clip = sound.clip
    # -ss before -i seeks accurately (the decoded audio is cut at that time); -t stops
    # decoding at the end of the trimmed part. -vn: the picture is not decoded here.
    return ["-ss", f"{clip.trim_in:.6f}", "-t", f"{clip.trimmed_length:.6f}", "-vn",
            "-i", str(clip.path)]


def _clip_chain(sound: ClipSound, input_index: int, gap: int, label: str) -> str:
    """One clip's sound, after ``gap`` samples of silence (from the previous clip's end)."""
    # first_pts=0 with a 1 ms hard compensation: a stream that starts later than the
    # picture (or has gaps) is padded with silence where its timestamps say, so the
    # sound stays where it is in the file relative to the video. 5.1 and mono become
    # stereo with ffmpeg's standard matrix (centre and surrounds at -3 dB, no LFE).
    # Then exactly its slide's length: cut, or padded where the sound ends early; its
    # first and last 5 ms fade, so a cut in the middle of a waveform does not click.
    length = sound.end - sound.start
    chain = (
        f"[{input_index}:a:0]aresample={SAMPLE_RATE}:first_pts=0:min_hard_comp=0.001,"
        "aformat=sample_fmts=fltp:channel_layouts=stereo,asetpts=N/SR/TB,"
        f"volume={sound.clip.volume:.4f},apad,atrim=end_sample={length}"
    )
    if length > 2 * _DECLICK:
        chain += f",afade=t=in:ns={_DECLICK},afade=t=out:ss={length - _DECLICK}:ns={_DECLICK}"
    if gap > 0:
        chain += f",adelay=delays={gap}S:all=1"
    return f"{chain}[{label}]"


def _duck_graph(spans: list[tuple[float, float]], ducking: Ducking, samples: int, src: str,
                dst: str) -> str:
    """Dip the music ``[src]`` under the spans into ``[dst]``.

    The gain is ``depth_db * f`` dB, where ``f`` (0..1) rises over the attack before a
    span and falls over the release after it (:func:`simvid_desktop.model.ducking.
    duck_gain_db`). The music is cut (on exact samples) into the parts around each span
    and the parts between; one ``volume`` filter works on each span's part alone, and the
    parts are joined again. So the work grows with the length of the show, not with its
    length times its sounds, and each expression stays short (one for all spans would hit
    ffmpeg's expression depth limit). Spans are at least an attack plus a release apart
    (:func:`~simvid_desktop.model.ducking.duck_spans`): the parts never overlap. The
    envelope is evaluated at the middle of each block of samples (the filter's
    ``nb_samples`` variable is not set per frame, so the block size is fixed first).
    """
    up, down = max(ducking.attack, 1e-6), max(ducking.release, 1e-6)
    k = -ducking.depth_db / 20 * math.log(10)
    t = f"(t+{_DUCK_BLOCK / SAMPLE_RATE / 2:.6f})"
    parts: list[tuple[int, tuple[float, float] | None]] = []  # (first sample, span)
    pos = 0
    for a, b in spans:
        lo = max(pos, round((a - up) * SAMPLE_RATE))
        hi = min(samples, round((b + down) * SAMPLE_RATE))
        if lo > pos:
            parts.append((pos, None))
        if hi > lo:
            parts.append((lo, (a, b)))
            pos = hi
    if pos < samples:
        parts.append((pos, None))
    cuts = "|".join(str(first) for first, _ in parts[1:])
    labels = [f"[{dst}{i}]" for i in range(len(parts))]
    graph = [f"[{src}]asetnsamples=n={_DUCK_BLOCK}:p=0,"
             + (f"asegment=samples={cuts}" if cuts else "anull") + "".join(labels)]
    joined = []
    for i, (_, span) in enumerate(parts):
        if span is None:
            joined.append(labels[i])
            continue
        a, b = span
        f = f"clip(min(({t}-{a - up:.6f})/{up:.6f},({b + down:.6f}-{t})/{down:.6f}),0,1)"
        graph.append(f"{labels[i]}volume='exp(-{k:.9f}*{f})':eval=frame:precision=float"
                     f"[{dst}{i}v]")
        joined.append(f"[{dst}{i}v]")
    graph.append(f"{''.join(joined)}concat=n={len(joined)}:v=0:a=1[{dst}]")
    return ";".join(graph)


@dataclass(frozen=True)
class VoiceSound:
    """Where one narration lies: samples ``[start, end)`` of the show, at ``gain_db``."""

    narration: Narration
    start: int
    end: int
    gain_db: float


def _stat(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return (-1, -1)  # ffmpeg names the file
    return (st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _measured_bed(input_args: tuple[str, ...], graph: str,
                  files: tuple[tuple[int, int], ...]) -> float | None:
    found = ebur128([*input_args, "-filter_complex",
                     f"{graph};[bedm]ebur128=peak=true:framelog=quiet[measured]",
                     "-map", "[measured]"])
    return None if found.silent else found.integrated


def _bed_loudness(bed: AudioBed, total: float,
                  track_length: Callable[[Path], float]) -> float | None:
    """The music's integrated loudness as mixed under the show, before any dip (None:
    silent). Cached while the plan and its files are unchanged: the loudness rounds of
    one render plan the mix several times."""
    plan = _bed(bed, total, 0, "bedm", track_length)
    return _measured_bed(tuple(plan.input_args), plan.filter,
                         tuple(_stat(p) for p in bed.paths))


def _placed_voices(project: Project, timeline: Timeline,
                   track_length: Callable[[Path], float]) -> list[tuple[Narration, int, int]]:
    """Each heard narration with samples ``[start, end)`` of the show (cut at its end)."""
    samples = round(timeline.total * SAMPLE_RATE)
    found = []
    for narration, t in placed_narrations(project, timeline):
        start = round(t * SAMPLE_RATE)
        if narration.volume <= 0 or start >= samples:
            continue
        end = min(samples, start + round(track_length(narration.path) * SAMPLE_RATE))
        if end > start:
            found.append((narration, start, end))
    return found


def voice_sounds(project: Project, timeline: Timeline,
                 track_length: Callable[[Path], float] = decoded_length) -> list[VoiceSound]:
    """Every narration heard in the show, placed, cut at the show's end, with its gain:
    brought to the music's loudness (see the module docstring), times its volume.

    Raises:
        RenderFailed: a narration file (named) cannot be decoded or measured.
    """
    placed = _placed_voices(project, timeline, track_length)
    if not placed:
        return []
    target = VOICE_ALONE_LUFS
    if project.audio is not None:
        music = _bed_loudness(project.audio, timeline.total, track_length)
        if music is not None:
            target = music + VOICE_OVER_MUSIC_LU
    found = []
    for narration, start, end in placed:
        level = file_loudness(narration.path)
        gain = 0.0 if level.silent else target - level.integrated
        gain = max(-MAX_VOICE_GAIN, min(MAX_VOICE_GAIN, gain)) + 20 * math.log10(narration.volume)
        found.append(VoiceSound(narration, start, end, gain))
    return found


def music_duck_spans(project: Project, timeline: Timeline | None = None, *,
                     has_audio: Callable[[Path], bool] = clip_has_audio,
                     track_length: Callable[[Path], float] = decoded_length,
                     ) -> list[tuple[float, float]]:
    """The spans (s) the music is fully down, as the render dips it: under every clip
    that is heard and every narration. With
    :func:`~simvid_desktop.model.ducking.duck_gain_db` and the bed's ``ducking``, the
    envelope to draw. Probes the clips and decodes the narrations' lengths (cached per
    file): run it off the UI thread.
    """
    timeline = timeline or Timeline(project)
    if project.audio is None:
        return []
    intervals = [(s.start / SAMPLE_RATE, s.end / SAMPLE_RATE)
                 for s in clip_sounds(project, timeline, has_audio)]
    intervals += [(a / SAMPLE_RATE, b / SAMPLE_RATE)
                  for _, a, b in _placed_voices(project, timeline, track_length)]
    return duck_spans(intervals, project.audio.ducking)


def _voice_buses(voices: list[VoiceSound], first_input: int,
                 graph: list[str]) -> tuple[list[str], list[str]]:
    """The narrations as buses of sounds that do not overlap (most shows: one), each a
    ``concat`` of silence and narrations; returns (input args, bus labels)."""
    args: list[str] = []
    buses: list[list[tuple[int, VoiceSound]]] = []
    for k, voice in enumerate(voices):
        for bus in buses:
            if bus[-1][1].end <= voice.start:
                bus.append((k, voice))
                break
        else:
            buses.append([(k, voice)])
    for voice in voices:
        args += ["-vn", "-i", str(voice.narration.path)]
    labels = []
    for b, bus in enumerate(buses):
        parts, previous_end = [], 0
        for k, voice in bus:
            length = voice.end - voice.start
            chain = (
                f"[{first_input + k}:a:0]aresample={SAMPLE_RATE}:first_pts=0:"
                "min_hard_comp=0.001,aformat=sample_fmts=fltp:channel_layouts=stereo,"
                f"asetpts=N/SR/TB,volume={voice.gain_db:.4f}dB:precision=float,apad,"
                f"atrim=end_sample={length}"
            )
            if length > 2 * _DECLICK:
                chain += (f",afade=t=in:ns={_DECLICK},"
                          f"afade=t=out:ss={length - _DECLICK}:ns={_DECLICK}")
            if voice.start > previous_end:
                chain += f",adelay=delays={voice.start - previous_end}S:all=1"
            graph.append(f"{chain}[voice{k}]")
            parts.append(f"[voice{k}]")
            previous_end = voice.end
        graph.append(f"{''.join(parts)}concat=n={len(parts)}:v=0:a=1[voices{b}]")
        labels.append(f"[voices{b}]")
    return args, labels


@dataclass(frozen=True)
class LoudnessGain:
    """How the mix is brought to its loudness: one gain, then a true-peak ceiling."""

    gain_db: float
    ceiling_db: float = TRUE_PEAK_CEILING  #: where the limiter holds the true peak (dBTP)


def loudness_stage(loudness: LoudnessGain, samples: int) -> str:
    """The last stage of a normalised mix: a fixed gain, then a true-peak limiter.

    One gain for the whole show (the loudness measured over all of it brought to the
    target), so quiet and loud parts keep their balance; the limiter only touches the
    peaks that the gain pushes over the ceiling. It runs oversampled
    (:data:`_OVERSAMPLE`), without its look-ahead delay (``latency=1``) and without auto
    gain (``level=0``); the result is cut to ``samples`` again, so the track lasts the show.
    """
    ceiling = 10 ** (loudness.ceiling_db / 20)
    return (
        f"volume={loudness.gain_db:.4f}dB:precision=float,"
        f"aresample={SAMPLE_RATE * _OVERSAMPLE},"
        f"alimiter=limit={ceiling:.6f}:level=0:latency=1,aresample={SAMPLE_RATE},"
        f"asetpts=N/SR/TB,apad,atrim=end_sample={samples}"
    )


def _with_loudness(plan: AudioPlan, loudness: LoudnessGain | None, total: float) -> AudioPlan:
    if loudness is None:
        return plan
    assert plan.filter.endswith("[aout]")
    stage = loudness_stage(loudness, round(total * SAMPLE_RATE))
    return AudioPlan(plan.input_args, f"{plan.filter[:-len('[aout]')]}[mix];[mix]{stage}[aout]")


def soundtrack_plan(project: Project, timeline: Timeline, first_input_index: int, *,
                    has_audio: Callable[[Path], bool] = clip_has_audio,
                    loudness: LoudnessGain | None = None) -> AudioPlan:
    """The soundtrack, brought to its loudness by ``loudness`` (decided by
    :func:`simvid_desktop.render.loudness.loudness_gain`, which measures the mix that
    :func:`mix_plan` plans); None: the mix as it is."""
    return _with_loudness(mix_plan(project, timeline, first_input_index, has_audio=has_audio),
                          loudness, timeline.total)


def mix_plan(project: Project, timeline: Timeline, first_input_index: int, *,
             has_audio: Callable[[Path], bool] = clip_has_audio,
             track_length: Callable[[Path], float] = decoded_length) -> AudioPlan:
    """Plan the whole soundtrack: the music (or silence), every audible clip's sound and
    every narration.

    Inputs are numbered from ``first_input_index`` in the order of ``input_args``: the
    music bed's first, then one input per heard clip, then one per narration. Each clip's
    sound plays samples ``[trim_in, trim_in + trimmed_length)`` of its file at exactly its
    slide's ``[start, end)``; each narration from its place on the show's clock
    (:func:`~simvid_desktop.model.ducking.placed_narrations`) to its end or the show's.
    The music dips under both by the project's ducking. ``has_audio`` tells which clip
    files have sound (by default each is probed once: a clip without an audio stream is
    silent, not an error); ``track_length`` the decoded length of a music or narration
    file.
    """
    total = timeline.total
    sounds = clip_sounds(project, timeline, has_audio)
    voices = voice_sounds(project, timeline, track_length)
    if not sounds and not voices:
        return audio_plan(project.audio, total, first_input_index, track_length=track_length)
    samples = round(total * SAMPLE_RATE)
    bed = _bed(project.audio, total, first_input_index, "music", track_length)
    args = list(bed.input_args)
    graph = [bed.filter]
    music = "music"
    ducking = project.audio.ducking if project.audio is not None else Ducking()
    intervals = [(s.start / SAMPLE_RATE, s.end / SAMPLE_RATE) for s in sounds]
    intervals += [(v.start / SAMPLE_RATE, v.end / SAMPLE_RATE) for v in voices]
    if project.audio is not None and ducking.depth_db < 0:
        graph.append(_duck_graph(duck_spans(intervals, ducking), ducking, samples, "music",
                                 "ducked"))
        music = "ducked"
    buses = [f"[{music}]"]
    next_input = first_input_index + args.count("-i")
    if sounds:
        # Clips follow each other on the timeline and never overlap: their sounds, each
        # after the silence since the previous one, make one track (the clip bus), which
        # the mix lays over the music.
        labels, previous_end = [], 0
        for k, sound in enumerate(sounds):
            args += _clip_input(sound)
            graph.append(_clip_chain(sound, next_input + k, sound.start - previous_end,
                                     f"clip{k}"))
            labels.append(f"[clip{k}]")
            previous_end = sound.end
        graph.append(f"{''.join(labels)}concat=n={len(labels)}:v=0:a=1[clips]")
        buses.append("[clips]")
        next_input += len(sounds)
    if voices:
        voice_args, voice_labels = _voice_buses(voices, next_input, graph)
        args += voice_args
        buses += voice_labels
    graph.append(
        f"{''.join(buses)}amix=inputs={len(buses)}:normalize=0:duration=first,"
        f"{_LIMITER},asetpts=N/SR/TB,apad,atrim=end_sample={samples}[aout]"
    )
    return AudioPlan(args, ";".join(graph))
