"""When each slide and transition happens: pure arithmetic, shared by render and preview.

Rules: the show lasts exactly the sum of the slide durations; the transition after slide
``i`` is centred on the boundary between ``i`` and ``i + 1`` and never changes the length.
A transition is shortened to fit when its slides are shorter than it (each slide gives at
most half its time to each neighbour). Frame ``n`` shows the show at ``(n + 0.5) / fps``.
A video clip lasts its trimmed length and plays in step with the show's clock
(:meth:`Timeline.clip_time`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simvid_desktop.model.project import Project, TransitionKind


@dataclass(frozen=True)
class SlideSpan:
    index: int
    start: float  #: nominal start (sum of the durations before it)
    end: float
    visible_start: float  #: including the incoming transition
    visible_end: float  #: including the outgoing transition

    def progress(self, t: float) -> float:
        """0..1 through the time the slide is on screen (drives its motion)."""
        span = self.visible_end - self.visible_start
        return 0.0 if span <= 0 else min(1.0, max(0.0, (t - self.visible_start) / span))


@dataclass(frozen=True)
class TransitionSpan:
    index: int  #: from slide ``index`` to ``index + 1``
    kind: TransitionKind
    start: float
    end: float


@dataclass(frozen=True)
class Shot:
    """What one frame shows: slide ``a`` alone, or a transition from ``a`` to ``b``."""

    a: int
    b: int | None = None
    progress: float = 0.0  #: 0..1 through the transition
    kind: TransitionKind | None = None

    @property
    def main_slide(self) -> int:
        """The slide that dominates the frame (for "Processing image k/N")."""
        return self.b if self.b is not None and self.progress >= 0.5 else self.a


@dataclass(frozen=True)
class FrameRange:
    """Frames ``first`` up to (not including) ``end``."""

    first: int
    end: int

    @property
    def frames(self) -> int:
        return self.end - self.first


class Timeline:
    def __init__(self, project: Project) -> None:
        n = len(project.slides)
        self.fps = project.output.fps
        durations = [project.duration_of(i) for i in range(n)]
        starts = [0.0]
        for d in durations[:-1]:
            starts.append(starts[-1] + d)
        self.total = math.fsum(durations)
        self.frame_count = max(1, round(self.total * self.fps))
        self.transitions: list[TransitionSpan] = []
        half_in = [0.0] * n
        half_out = [0.0] * n
        for i in range(n - 1):
            tr = project.transition_after(i)
            dur = min(tr.duration, durations[i], durations[i + 1])
            if tr.kind is TransitionKind.NONE or dur <= 0:
                continue
            boundary = starts[i + 1]
            self.transitions.append(
                TransitionSpan(i, tr.kind, boundary - dur / 2, boundary + dur / 2)
            )
            half_out[i] = half_in[i + 1] = dur / 2
        self.slides = [
            SlideSpan(
                i, starts[i], starts[i] + durations[i],
                starts[i] - half_in[i], starts[i] + durations[i] + half_out[i],
            )
            for i in range(n)
        ]
        self._by_slide = {t.index: t for t in self.transitions}
        self._trim_in = {i: clip.trim_in for i, clip in project.clips}

    def clip_time(self, index: int, t: float) -> float:
        """Where in its file clip ``index`` is at show time ``t``: its trim-in point at the
        slide's nominal start, then in step with the show's clock. During the transitions
        on either side it goes on playing (the file's frames before the trim-in point and
        after the trim-out point, where there are any; the reader holds the first and last
        frame beyond them), so its picture and its sound, which plays exactly from ``start``
        to ``end``, stay in sync."""
        return self._trim_in[index] + (t - self.slides[index].start)

    def slide_start_frames(self) -> list[int]:
        """The frame where each slide begins (its nominal start): where a player seeking
        to it lands, so the encoder puts a keyframe there."""
        return [round(span.start * self.fps) for span in self.slides]

    def time_of(self, frame: int) -> float:
        return (frame + 0.5) / self.fps

    def frame_at_time(self, t: float) -> int:
        """The frame a player shows at time ``t``."""
        return min(self.frame_count - 1, max(0, math.floor(t * self.fps + 1e-9)))

    def slide_at(self, t: float) -> int:
        """Index of the slide whose nominal time contains ``t`` (binary search)."""
        lo, hi = 0, len(self.slides) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.slides[mid].start <= t:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def shot(self, t: float) -> Shot:
        i = self.slide_at(t)
        for tr in (self._by_slide.get(i - 1), self._by_slide.get(i)):
            if tr is not None and tr.start <= t < tr.end:
                p = (t - tr.start) / (tr.end - tr.start)
                return Shot(a=tr.index, b=tr.index + 1, progress=p, kind=tr.kind)
        return Shot(a=i)

    def shot_for_frame(self, frame: int) -> Shot:
        return self.shot(self.time_of(frame))

    def scenes(self) -> list[FrameRange]:
        """The show's frames cut into scenes, in order and without gaps: each stretch where
        one slide is shown alone, and each transition (both of its slides)."""
        scenes: list[FrameRange] = []
        first, key = 0, None
        for n in range(self.frame_count):
            shot = self.shot_for_frame(n)
            if key is not None and (shot.a, shot.b) != key:
                scenes.append(FrameRange(first, n))
                first = n
            key = (shot.a, shot.b)
        scenes.append(FrameRange(first, self.frame_count))
        return scenes
