"""Cuts on the beat: new slide durations whose boundaries fall on the music's beats.

Pure arithmetic on seconds (the beats come from ``render.beats``), so it is testable without
audio and usable from any layer.

The rules, chosen so the user's timing stays recognisable:

* The show starts at 0 (not at the first beat); every slide's END is a cut, and each cut
  is placed on a grid beat: every ``every``-th beat of ``beats`` (1, 2 or 4), counted from
  the first detected beat (downbeats are not known, so a 4-beat grid is "every fourth beat",
  not "every bar line").
* The user's durations are the guide: the cuts they imply (their cumulative sums) are the
  targets, and the cuts chosen minimise the total distance to those targets by dynamic
  programming (not greedily: a greedy choice can force a later slide far from its target
  to keep the minimum length). Cuts never go backwards, and every snapped slide lasts at
  least ``min_duration`` (spanning several beats when the beats are close).
* ``fixed[i]`` marks a slide whose length cannot change (a video clip: its trimmed length);
  its end is not snapped but carried (previous cut + its length), and the next free slide
  snaps again.
* The last slide's end is a cut like any other: the show ends on a beat. It is NOT
  stretched to the end of the music; the music is simply longer than the show (the
  soundtrack fades out as it already does).
* Slides whose guided end lies past the last grid beat (music shorter than the show, or no
  beats at all) keep their own durations, after the last snapped cut.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

_INF = math.inf


def beat_grid(beats: Sequence[float], every: int = 1) -> list[float]:
    """Every ``every``-th beat from the first, sorted, positive and distinct."""
    if every < 1:
        raise ValueError(f"every must be 1 or more, not {every}")
    clean = sorted({float(b) for b in beats if math.isfinite(b) and b > 0.0})
    return clean[::every]


def cut_on_beats(durations: Sequence[float], beats: Sequence[float], *, every: int = 1,
                 min_duration: float = 1.5,
                 fixed: Sequence[bool] | None = None) -> list[float]:
    """New durations, one per slide, with the cuts on beats (see the module docstring)."""
    n = len(durations)
    if fixed is None:
        fixed = [False] * n
    if len(fixed) != n:
        raise ValueError(f"{len(fixed)} fixed flags for {n} slides")
    if any(not math.isfinite(d) or d < 0 for d in durations):
        raise ValueError("durations must be finite and not negative")
    grid = beat_grid(beats, every)
    if n == 0:
        return []
    if not grid:
        return [float(d) for d in durations]
    step = (grid[-1] - grid[0]) / (len(grid) - 1) if len(grid) > 1 else grid[0]
    limit = grid[-1] + step / 2
    targets, total = [], 0.0
    for d in durations:
        total += d
        targets.append(total)
    # Snap the slides up to the last free slide whose guided end is within the beats;
    # shrink that count while no placement fits (minimum lengths that outrun the beats).
    free = [i for i in range(n) if not fixed[i] and targets[i] <= limit]
    cuts: dict[int, float] = {}
    while free:
        placed = _place(durations, fixed, targets, grid, free[-1] + 1, min_duration)
        if placed is not None:
            cuts = placed
            break
        free.pop()
    out, start = [], 0.0
    for i in range(n):
        end = cuts[i] if i in cuts else start + float(durations[i])
        out.append(end - start)
        start = end
    return out


def _place(durations: Sequence[float], fixed: Sequence[bool], targets: Sequence[float],
           grid: Sequence[float], count: int, min_duration: float) -> dict[int, float] | None:
    """The cut (a grid beat) for each free slide among the first ``count``, minimising
    the summed distance to the targets; None when the minimum lengths cannot all fit.

    State: after each free slide, which grid beat its cut is on. Between two free slides
    the fixed ones add their lengths, so the next free slide may end on beat j only if
    ``grid[j] >= grid[i] + carried + min_duration``: a prefix of the previous states, so a
    running minimum makes each step O(beats).
    """
    g = len(grid)
    # best[j]: the least cost with the latest free slide's cut on grid[j]; start = cut at 0.
    best: list[float] | None = None
    back: list[tuple[int, list[int]]] = []  # (slide, predecessor beat index per beat)
    carried = 0.0
    for i in range(count):
        if fixed[i]:
            carried += float(durations[i])
            continue
        cost = [abs(b - targets[i]) for b in grid]
        new = [_INF] * g
        pred = [-1] * g
        if best is None:
            earliest = carried + min_duration
            for j in range(g):
                if grid[j] >= earliest - 1e-9:
                    new[j] = cost[j]
        else:
            run_min, run_arg, k = _INF, -1, 0
            for j in range(g):
                # Predecessors k with grid[k] + carried + min_duration <= grid[j].
                while k < g and grid[k] + carried + min_duration <= grid[j] + 1e-9:
                    if best[k] < run_min:
                        run_min, run_arg = best[k], k
                    k += 1
                if run_arg >= 0:
                    new[j] = run_min + cost[j]
                    pred[j] = run_arg
        if all(v == _INF for v in new):
            return None
        best = new
        back.append((i, pred))
        carried = 0.0
    if best is None:
        return {}
    final = best
    j = min(range(g), key=lambda x: final[x])
    cuts: dict[int, float] = {}
    for slide, pred in reversed(back):
        cuts[slide] = grid[j]
        j = pred[j]
    return cuts


def nearest_beat(t: float, grid: Sequence[float]) -> float | None:
    """The grid beat closest to ``t`` (None without beats): handy for snapping one cut."""
    if not grid:
        return None
    k = bisect.bisect_left(grid, t)
    near = [grid[x] for x in (k - 1, k) if 0 <= x < len(grid)]
    return min(near, key=lambda b: abs(b - t))
