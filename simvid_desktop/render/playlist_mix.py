"""The music bed as an ffmpeg filter graph: a playlist, trimmed, joined, looped and faded.

Where each track plays comes from :func:`simvid_desktop.model.playlist.place_tracks` (the
same arithmetic the waveform, the beats and "fit slides to music" use); this module only
turns those plays into filters, on exact samples at 48 kHz:

* one input per track, looped by ffmpeg (``-stream_loop -1``) when the track plays more
  than once; after resampling its samples are renumbered, so pass ``j`` of a track whose
  file decodes to ``L`` samples is samples ``[j L + start, j L + end)`` of that input,
  cut out by one ``asegment`` (every sample goes to exactly one place: a play, or a sink);
* each play gets its track's volume and its crossfades (equal power: a quarter sine in,
  a quarter cosine out, so two unrelated songs keep their loudness through the join);
* plays alternate between two buses (A, B), each a ``concat`` of silence and plays, so a
  crossfade is two buses overlapping and the work grows with the show's length, not with
  its length times the number of plays (a crossfade takes at most half of a track, so
  the plays on one bus never overlap);
* the buses are summed, cut to the show, and the playlist's own fade in and out applied.

A playlist of one track that is not trimmed at its end, and is either not trimmed at its
start or not looped, is planned with the graph Simvid always had for one track
(:func:`single_track_chain`): such projects render byte for byte as before, and need no
decode to find the file's length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from simvid_desktop.model.playlist import PlacedTrack, place_tracks
from simvid_desktop.model.project import AudioBed

MIX_RATE = SAMPLE_RATE = 48000

#: Every input is brought to this before anything else: 48 kHz, float, stereo (mono is
#: copied to both sides, 5.1 folded down with ffmpeg's standard matrix), its samples
#: renumbered from 0 so a looped file's restarting timestamps are counted straight on.
HEAD = (f"aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo,"
        "asetpts=N/SR/TB")


@dataclass(frozen=True)
class BedGraph:
    input_args: list[str]  #: options and ``-i`` of the bed's inputs, in input order
    filter: str  #: filters ending in ``[label]``


def is_legacy(bed: AudioBed) -> bool:
    """Whether the bed plays exactly as the one-track graph of before plays it."""
    if len(bed.tracks) != 1:
        return False
    track = bed.tracks[0]
    return track.end is None and (track.start <= 0 or not bed.loop)


def _fades(bed: AudioBed, total: float) -> list[str]:
    chain = []
    if bed.fade_in > 0:
        chain.append(f"afade=t=in:st=0:d={min(bed.fade_in, total):.6f}")
    if bed.fade_out > 0:
        d = min(bed.fade_out, total)
        chain.append(f"afade=t=out:st={total - d:.6f}:d={d:.6f}")
    return chain


def single_track_chain(bed: AudioBed, total: float, input_index: int, label: str) -> BedGraph:
    """One track, as Simvid has always played it: from its start offset, looped from the
    file's beginning (``-stream_loop``) or padded with silence, cut at the show's end."""
    track = bed.tracks[0]
    samples = round(total * SAMPLE_RATE)
    args: list[str] = []
    if bed.loop:
        args += ["-stream_loop", "-1"]
    args += ["-vn", "-i", str(track.path)]
    chain = [HEAD]
    if track.start > 0:
        # Cut on the exact sample, not with -ss: after a seek in AAC (M4A) the samples
        # lie up to ~20 ms from where their timestamps say, and they are renumbered here.
        chain += [f"atrim=start_sample={round(track.start * SAMPLE_RATE)}", "asetpts=N/SR/TB"]
    chain += [f"volume={track.volume:.4f}", f"apad,atrim=end_sample={samples}"]
    chain += _fades(bed, total)
    return BedGraph(args, f"[{input_index}:a:0]" + ",".join(chain) + f"[{label}]")


def _s(seconds: float) -> int:
    return round(seconds * SAMPLE_RATE)


@dataclass(frozen=True)
class _Play:
    place: PlacedTrack
    start: int  #: first sample on the show's clock
    length: int  #: samples
    fade_in: int
    fade_out: int


def _plays(bed: AudioBed, lengths: Sequence[float], total: float) -> list[_Play]:
    samples = _s(total)
    plays = []
    for place in place_tracks(bed, lengths, total):
        start = _s(place.show_start)
        length = _s(place.file_end) - _s(place.file_start)
        if start >= samples or length <= 0:
            continue
        plays.append(_Play(place, start, length, _s(place.fade_in), _s(place.fade_out)))
    return plays


def _track_cuts(plays: list[tuple[int, _Play]], file_samples: int,
                label: str) -> tuple[str, dict[int, str]]:
    """Cut one (looped) track input into its plays: the ``asegment`` after ``[label]``,
    and the output label of each play (by its number on the show)."""
    outputs: dict[int, str] = {}
    points: list[tuple[int, int | None]] = []  # (first sample, play number or None: dropped)
    pos = 0
    for j, (k, each) in enumerate(plays):
        a = j * file_samples + _s(each.place.file_start)
        b = a + each.length
        if a > pos:
            points.append((pos, None))
        points.append((a, k))
        pos = b
    end = pos
    cuts = "|".join(str(first) for first, _ in points[1:])
    names = [f"[{label}p{play}]" if play is not None else f"[{label}x{i}]"
             for i, (_, play) in enumerate(points)]
    graph = [f"[{label}]atrim=end_sample={end},"
             + (f"asegment=samples={cuts}" if cuts else "anull") + "".join(names)]
    for i, (_, play) in enumerate(points):
        if play is None:
            graph.append(f"[{label}x{i}]anullsink")
        else:
            outputs[play] = f"[{label}p{play}]"
    return ";".join(graph), outputs


def playlist_graph(bed: AudioBed, lengths: Sequence[float], total: float, input_index: int,
                   label: str) -> BedGraph:
    """The bed of a show lasting ``total`` seconds, into ``[label]``; ``lengths[i]``: the
    decoded length (s) of ``bed.tracks[i]``'s file at 48 kHz (so ``lengths[i] * 48000`` is
    a whole number of samples)."""
    samples = _s(total)
    plays = _plays(bed, lengths, total)
    if not plays:
        silence = ["-f", "lavfi", "-i", f"anullsrc=r={SAMPLE_RATE}:cl=stereo"]
        return BedGraph(silence, f"[{input_index}:a]{HEAD},apad,"
                                 f"atrim=end_sample={samples}[{label}]")
    args: list[str] = []
    graph: list[str] = []
    play_out: dict[int, str] = {}
    used = sorted({p.place.index for p in plays})
    for n, i in enumerate(used):
        own = [(k, p) for k, p in enumerate(plays) if p.place.index == i]
        if len(own) > 1:
            args += ["-stream_loop", "-1"]
        args += ["-vn", "-i", str(bed.tracks[i].path)]
        src = f"{label}t{i}"
        graph.append(f"[{input_index + n}:a:0]{HEAD}[{src}]")
        cuts, outputs = _track_cuts(own, _s(lengths[i]), src)
        graph.append(cuts)
        play_out.update(outputs)
    buses: list[list[str]] = [[], []]
    ends = [0, 0]
    for k, play in enumerate(plays):
        bus = k % 2
        chain = [f"asetpts=N/SR/TB,volume={play.place.track.volume:.4f}"]
        if play.fade_in > 0:
            chain.append(f"afade=t=in:ns={play.fade_in}:curve=qsin")
        if play.fade_out > 0:
            chain.append(f"afade=t=out:ss={play.length - play.fade_out}:ns={play.fade_out}"
                         ":curve=qsin")
        gap = play.start - ends[bus]
        if gap > 0:
            chain.append(f"adelay=delays={gap}S:all=1")
        graph.append(f"{play_out[k]}{','.join(chain)}[{label}q{k}]")
        buses[bus].append(f"[{label}q{k}]")
        ends[bus] = play.start + play.length
    summed = []
    for b, parts in enumerate(buses):
        if parts:
            graph.append(f"{''.join(parts)}concat=n={len(parts)}:v=0:a=1[{label}b{b}]")
            summed.append(f"[{label}b{b}]")
    mix = (f"{''.join(summed)}amix=inputs={len(summed)}:normalize=0:duration=longest,"
           if len(summed) > 1 else f"{summed[0]}")
    tail = ",".join(["asetpts=N/SR/TB", "apad", f"atrim=end_sample={samples}",
                     *_fades(bed, total)])
    graph.append(f"{mix}{tail}[{label}]")
    return BedGraph(args, ";".join(graph))
