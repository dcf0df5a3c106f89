"""When and how far the music dips: under clip sound and voice-over.

Pure arithmetic on seconds, shared by the renderer (which builds its gain envelope from
these spans) and the waveform (which draws :func:`duck_gain_db`), so what is drawn is what
is heard. The dip is an envelope, not a sidechain compressor: the same project always
sounds the same, and the music drops by the same amount under a quiet voice as under a
loud one (a compressor follows the voice's level and pumps).

The gain is ``depth_db * f`` dB, where ``f`` rises from 0 to 1 over the ``attack`` before a
span and falls back over the ``release`` after it: linear in dB, so the change sounds
even.
"""

from __future__ import annotations

from collections.abc import Sequence

from simvid_desktop.model.project import Ducking, Narration, Project
from simvid_desktop.model.timeline import Timeline

#: Sounds closer than this (s) share one dip: the music does not bob up between them.
#: Never less than a ramp down plus a ramp up, so the dips of two spans never overlap.
DUCK_BRIDGE = 1.0


def bridge(ducking: Ducking) -> float:
    """Sounds closer than this share one dip (see :data:`DUCK_BRIDGE`)."""
    return max(DUCK_BRIDGE, ducking.attack + ducking.release)


def duck_spans(intervals: Sequence[tuple[float, float]],
               ducking: Ducking) -> list[tuple[float, float]]:
    """The times (s) the music is fully down: each interval, near neighbours joined.

    Consecutive spans are at least :func:`bridge` apart, so each one's ramps lie between
    it and the next.
    """
    gap = bridge(ducking)
    spans: list[tuple[float, float]] = []
    for start, end in sorted((a, b) for a, b in intervals if b > a):
        if spans and start - spans[-1][1] < gap:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans


def duck_amount(t: float, span: tuple[float, float], ducking: Ducking) -> float:
    """How far down (0..1) the music is at ``t`` because of ``span``."""
    a, b = span
    if a <= t <= b:
        return 1.0
    if t < a:
        r = ducking.attack
        return 0.0 if r <= 0 or t <= a - r else (t - (a - r)) / r
    r = ducking.release
    return 0.0 if r <= 0 or t >= b + r else ((b + r) - t) / r


def duck_gain_db(t: float, spans: Sequence[tuple[float, float]], ducking: Ducking) -> float:
    """The music's gain (dB, 0 or below) at show time ``t``: for drawing the envelope."""
    f = max((duck_amount(t, s, ducking) for s in spans), default=0.0)
    return ducking.depth_db * f


def placed_narrations(project: Project,
                      timeline: Timeline | None = None) -> list[tuple[Narration, float]]:
    """Every narration with the show time it starts at: the project's voice-over at its
    ``start``, and each slide's at the slide's start plus its own ``start``."""
    found: list[tuple[Narration, float]] = []
    if project.voice_over is not None:
        found.append((project.voice_over, project.voice_over.start))
    if any(s.narration is not None for s in project.slides):
        timeline = timeline or Timeline(project)
        for i, slide in enumerate(project.slides):
            if slide.narration is not None:
                found.append((slide.narration, timeline.slides[i].start + slide.narration.start))
    return sorted(found, key=lambda f: f[1])
