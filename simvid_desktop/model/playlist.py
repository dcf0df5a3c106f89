"""Where the music lies on the show's clock: the one arithmetic of the playlist.

The renderer mixes by it, the beat analysis places each track's beats by it, the waveform
draws by it and "fit slides to music" measures by it, so all four agree to the sample. Pure
arithmetic on seconds: the files' decoded lengths come from the caller (the renderer
decodes them, the window has them from its waveform decode).

The rules:

* Each track plays ``[start, end)`` of its file (``end`` None: to the file's end; both
  clamped to the decoded length). A track with nothing left to play is skipped.
* A track leads into the next by its ``join``: a CROSSFADE overlaps the two by
  ``join_seconds`` (the one fading out while the other fades in), at most half of either
  track, so a track is never in two crossfades at once; a GAP leaves ``join_seconds`` of
  silence.
* A looping playlist (``loop``) starts again with its first track after its last, joined
  by the last track's join, for as long as the show lasts; each pass plays every track's
  trimmed part again. A playlist of ONE track repeats straight onto itself (a crossfade
  of a song into itself is not a join; a gap is kept): one looping song sounds as it
  always has.
* Without ``loop`` the playlist plays once and silence follows.
* The playlist's own fade-in and fade-out (at the show's start and end) and the ducking
  are applied to the mix of the tracks, not here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from simvid_desktop.model.project import MAX_DURATION, AudioBed, MusicTrack, Project, TrackJoin

#: Passes of a looping playlist at most (a guard against a zero-length list, not a limit
#: a show reaches: a 1-second track under a 24-hour show is 86,400 passes).
_MAX_PIECES = 1_000_000


@dataclass(frozen=True)
class PlacedTrack:
    """One play of one track on the show's clock."""

    index: int  #: into ``bed.tracks``
    track: MusicTrack
    show_start: float  #: where it starts on the show's clock (s)
    show_end: float  #: where it ends (its natural end: the show may end before it)
    file_start: float  #: the file time at ``show_start`` (the track's trim in)
    fade_in: float  #: crossfade seconds at its start (0 for the first)
    fade_out: float  #: crossfade seconds at its end

    @property
    def length(self) -> float:
        return self.show_end - self.show_start

    @property
    def file_end(self) -> float:
        """The file time at ``show_end`` (the track's trim out)."""
        return self.file_start + self.length

    def file_time(self, show_time: float) -> float:
        """The file time playing at ``show_time`` (which lies in this play)."""
        return self.file_start + show_time - self.show_start


def trimmed(track: MusicTrack, length: float) -> tuple[float, float]:
    """The part of the file the track plays, ``(start, end)``, within its decoded length."""
    length = max(0.0, length)
    start = min(max(0.0, track.start), length)
    end = length if track.end is None else min(max(track.end, start), length)
    return start, end


def _joins(bed: AudioBed, parts: list[tuple[int, float, float]]) -> list[tuple[float, float]]:
    """(overlap, gap) after each playable track, into the next one (the last: into the
    first, used when the playlist loops)."""
    joins = []
    for k, (i, a, b) in enumerate(parts):
        track = bed.tracks[i]
        _, na, nb = parts[(k + 1) % len(parts)]
        seconds = max(0.0, track.join_seconds) if math.isfinite(track.join_seconds) else 0.0
        if track.join is TrackJoin.GAP:
            joins.append((0.0, seconds))
        elif len(parts) == 1:
            joins.append((0.0, 0.0))  # one song repeats onto itself
        else:
            joins.append((min(seconds, (b - a) / 2, (nb - na) / 2), 0.0))
    return joins


def _playable(bed: AudioBed, lengths: Sequence[float]) -> list[tuple[int, float, float]]:
    if len(lengths) != len(bed.tracks):
        raise ValueError(f"{len(lengths)} lengths for {len(bed.tracks)} tracks")
    parts = []
    for i, (track, length) in enumerate(zip(bed.tracks, lengths, strict=True)):
        a, b = trimmed(track, length)
        if b > a:
            parts.append((i, a, b))
    return parts


def place_tracks(bed: AudioBed, lengths: Sequence[float], until: float) -> list[PlacedTrack]:
    """Every play of every track that starts before ``until`` (the show's length), in order.

    ``lengths[i]`` is the decoded length (s) of ``bed.tracks[i]``'s file. Without
    ``bed.loop`` each track plays once. The last play keeps its natural end; the caller
    cuts at the show's end.
    """
    parts = _playable(bed, lengths)
    if not parts:
        return []
    joins = _joins(bed, parts)
    placed: list[PlacedTrack] = []
    t, k, fade_in = 0.0, 0, 0.0
    while t < until and len(placed) < _MAX_PIECES:
        slot = k % len(parts)
        if k == len(parts) and not bed.loop:
            break
        i, a, b = parts[slot]
        overlap, gap = joins[slot]
        last_pass = not bed.loop and slot == len(parts) - 1
        fade_out = 0.0 if last_pass else overlap
        placed.append(PlacedTrack(index=i, track=bed.tracks[i], show_start=t,
                                  show_end=t + (b - a), file_start=a, fade_in=fade_in,
                                  fade_out=fade_out))
        step = (b - a) - overlap + gap
        if step <= 0:
            break
        t += step
        fade_in = overlap
        k += 1
    return placed


def playlist_length(bed: AudioBed, lengths: Sequence[float]) -> float:
    """How long one pass through the playlist lasts: the tracks' trimmed parts, less the
    crossfades between them, plus the gaps (the join from the last track back to the first
    is not counted)."""
    parts = _playable(bed, lengths)
    if not parts:
        return 0.0
    joins = _joins(bed, parts)[:-1]
    return (sum(b - a for _, a, b in parts) - sum(o for o, _ in joins)
            + sum(g for _, g in joins))


def fit_slides_to_music(project: Project, playlist_seconds: float) -> Project:
    """Scale every slide so the show ends with the playlist (one pass of it:
    :func:`playlist_length`).

    Slides keep their proportions: with no per-slide durations each gets an equal share;
    customised ones keep their ratios. Raises ValueError with a user-facing reason.
    """
    if not project.slides:
        raise ValueError("the show has no slides yet")
    if playlist_seconds <= 0:
        raise ValueError("the music has nothing left to play after its trims")
    k = playlist_seconds / project.total_duration
    slides = tuple(s if s.duration is None else replace(s, duration=s.duration * k)
                   for s in project.slides)
    uses_default = any(s.duration is None for s in project.slides)
    default = project.default_duration * k if uses_default else project.default_duration
    longest = max(default if uses_default else 0.0,
                  *(s.duration for s in slides if s.duration is not None), 0.0)
    if longest > MAX_DURATION:
        raise ValueError("the slides would last more than an hour each")
    return replace(project, slides=slides, default_duration=default)


def beats_on_clock(placed: Sequence[PlacedTrack], beats: Sequence[Sequence[float]],
                   until: float = math.inf) -> list[float]:
    """The beats of a playlist on the show's clock, up to ``until``.

    ``beats[i]`` are the beat times of ``bed.tracks[i]``'s file (seconds of the file). Each
    play contributes the beats of its trimmed part; where two plays crossfade, the one
    fading out keeps the first half of the overlap and the one fading in the second, so a
    tempo change at a track boundary is followed from the middle of the crossfade.
    """
    out: list[float] = []
    for k, play in enumerate(placed):
        lo = play.show_start + play.fade_in / 2
        hi = play.show_end - play.fade_out / 2
        if k == len(placed) - 1 or play.fade_out == 0:
            hi = play.show_end
        for b in sorted(beats[play.index]):
            t = play.show_start + b - play.file_start
            if lo <= t < hi and t <= until and play.file_start <= b <= play.file_end:
                out.append(round(t, 6))
    return sorted(set(out))
