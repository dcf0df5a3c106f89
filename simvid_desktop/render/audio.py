"""The soundtrack as ffmpeg input options and one filter graph: the music bed and the sound
of the video clips, with the music ducked under them.

ffmpeg decodes, loops, trims, pads, fades, resamples and mixes while it encodes the video,
so no audio is held in Python and the result is exactly as long as the show (lengths come
from the decoded samples, never from an MP3 header). Every position is a sample count at
48 kHz taken from the timeline's own start and end of each slide, so a clip's sound starts
on the same sample its first frame does (no drift, no rounding that adds up).

A project whose clips give no sound gets exactly the music bed's chain of before
(:func:`audio_plan`), byte for byte.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simvid_desktop.model.project import AudioBed, Clip, Project
from simvid_desktop.model.timeline import Timeline
from simvid_desktop.render.ffmpeg import probe_media

logger = logging.getLogger(__name__)

SAMPLE_RATE = 48000
#: How far the music dips under a clip's sound. An envelope, not a sidechain compressor:
#: the same project always sounds the same, and the music drops by the same amount under a
#: quiet clip as under a loud one (a compressor follows the clip's level and pumps).
DUCK_DB = -12.0
#: The music is fully down from the clip's first sample to its last; it ramps down in
#: the ramp before and back up in the ramp after (in dB, so the change sounds even).
DUCK_RAMP = 0.3
#: Clips closer than this share one dip (the music does not bob up between them). More
#: than two ramps, so the dips of two spans never overlap (see :func:`_duck_graph`).
DUCK_BRIDGE = 1.0
assert DUCK_BRIDGE > 2 * DUCK_RAMP
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


def audio_plan(audio: AudioBed | None, total: float, input_index: int) -> AudioPlan:
    """Plan the music bed of a show lasting ``total`` seconds; silence when there is none."""
    return _bed(audio, total, input_index, "aout")


def _bed(audio: AudioBed | None, total: float, input_index: int, label: str) -> AudioPlan:
    samples = round(total * SAMPLE_RATE)
    # Timestamps are renumbered from the sample count before trimming, so a looped
    # track (whose timestamps restart or jump) is cut at exactly ``samples``.
    head = (
        f"aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo,"
        "asetpts=N/SR/TB"
    )
    tail = f"apad,atrim=end_sample={samples}"
    if audio is None:
        silence = ["-f", "lavfi", "-i", f"anullsrc=r={SAMPLE_RATE}:cl=stereo"]
        return AudioPlan(silence, f"[{input_index}:a]{head},{tail}[{label}]")
    track = audio.tracks[0]
    args: list[str] = []
    if audio.loop:
        args += ["-stream_loop", "-1"]
    args += ["-vn", "-i", str(track.path)]
    chain = [head]
    if track.start > 0:
        # Cut on the exact sample, not with -ss: after a seek in AAC (M4A) the samples
        # lie up to ~20 ms from where their timestamps say, and they are renumbered
        # here. Skipped once: a looped track starts again from its beginning.
        chain += [f"atrim=start_sample={round(track.start * SAMPLE_RATE)}", "asetpts=N/SR/TB"]
    chain += [f"volume={track.volume:.4f}", tail]
    if audio.fade_in > 0:
        chain.append(f"afade=t=in:st=0:d={min(audio.fade_in, total):.6f}")
    if audio.fade_out > 0:
        d = min(audio.fade_out, total)
        chain.append(f"afade=t=out:st={total - d:.6f}:d={d:.6f}")
    return AudioPlan(args, f"[{input_index}:a:0]" + ",".join(chain) + f"[{label}]")


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


def duck_spans(sounds: list[ClipSound]) -> list[tuple[float, float]]:
    """The times (seconds) the music is fully down: each clip, near neighbours joined."""
    spans: list[tuple[float, float]] = []
    for s in sorted(sounds, key=lambda s: s.start):
        start, end = s.start / SAMPLE_RATE, s.end / SAMPLE_RATE
        if spans and start - spans[-1][1] < DUCK_BRIDGE:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans


def _duck_graph(spans: list[tuple[float, float]], samples: int, src: str, dst: str) -> str:
    """Dip the music ``[src]`` under the spans into ``[dst]``.

    The gain is ``DUCK_DB * f`` dB, where ``f`` (0..1) rises over the ramp before a span
    and falls over the ramp after it. The music is cut (on exact samples) into the parts
    around each span and the parts between; one ``volume`` filter works on each span's
    part alone, and the parts are joined again. So the work grows with the length of the
    show, not with its length times its clips, and each expression stays short (one for
    all spans would hit ffmpeg's expression depth limit). Spans are at least
    :data:`DUCK_BRIDGE` apart, more than two ramps: the parts never overlap. The envelope
    is evaluated at the middle of each block of samples (the filter's ``nb_samples``
    variable is not set per frame, so the block size is fixed first).
    """
    r, k = DUCK_RAMP, -DUCK_DB / 20 * math.log(10)
    t = f"(t+{_DUCK_BLOCK / SAMPLE_RATE / 2:.6f})"
    parts: list[tuple[int, tuple[float, float] | None]] = []  # (first sample, span)
    pos = 0
    for a, b in spans:
        lo = max(pos, round((a - r) * SAMPLE_RATE))
        hi = min(samples, round((b + r) * SAMPLE_RATE))
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
        f = f"clip(min(({t}-{a - r:.6f})/{r},({b + r:.6f}-{t})/{r}),0,1)"
        graph.append(f"{labels[i]}volume='exp(-{k:.9f}*{f})':eval=frame:precision=float"
                     f"[{dst}{i}v]")
        joined.append(f"[{dst}{i}v]")
    graph.append(f"{''.join(joined)}concat=n={len(joined)}:v=0:a=1[{dst}]")
    return ";".join(graph)


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
             has_audio: Callable[[Path], bool] = clip_has_audio) -> AudioPlan:
    """Plan the whole soundtrack: the music (or silence) and every audible clip's sound.

    Inputs are numbered from ``first_input_index`` in the order of ``input_args``: the
    music bed first, then one input per heard clip. Each clip's sound plays samples
    ``[trim_in, trim_in + trimmed_length)`` of its file at exactly its slide's
    ``[start, end)``; the music dips by :data:`DUCK_DB` under it. ``has_audio`` tells
    which clip files have sound (by default each is probed once: a clip without an
    audio stream is silent, not an error).
    """
    total = timeline.total
    sounds = clip_sounds(project, timeline, has_audio)
    if not sounds:
        return audio_plan(project.audio, total, first_input_index)
    samples = round(total * SAMPLE_RATE)
    bed = _bed(project.audio, total, first_input_index, "music")
    args = list(bed.input_args)
    graph = [bed.filter]
    music = "music"
    if project.audio is not None:
        graph.append(_duck_graph(duck_spans(sounds), samples, "music", "ducked"))
        music = "ducked"
    # Clips follow each other on the timeline and never overlap: their sounds, each
    # after the silence since the previous one, make one track (the clip bus), which
    # the mix lays over the music.
    labels, previous_end = [], 0
    for k, sound in enumerate(sounds):
        args += _clip_input(sound)
        graph.append(_clip_chain(sound, first_input_index + 1 + k, sound.start - previous_end,
                                 f"clip{k}"))
        labels.append(f"[clip{k}]")
        previous_end = sound.end
    graph.append(f"{''.join(labels)}concat=n={len(labels)}:v=0:a=1[clips]")
    graph.append(
        f"[{music}][clips]amix=inputs=2:normalize=0:duration=first,"
        f"{_LIMITER},asetpts=N/SR/TB,apad,atrim=end_sample={samples}[aout]"
    )
    return AudioPlan(args, ";".join(graph))
