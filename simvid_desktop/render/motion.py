"""Ken Burns motion: where the camera looks on a slide at each moment.

Views are interpolated with sub-pixel precision (zoom geometrically, so the apparent speed
is constant; the centre linearly) and resampled with a float source box, so the picture
glides instead of stepping a whole pixel at a time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simvid_desktop.model.project import Motion, MotionMode, View

MAX_CANVAS_SCALE = 2.0  # detail kept for zooming; beyond it the view is upsampled

# Gentle moves that read as "Ken Burns" without making anyone seasick. Every view is
# reachable (the visible part stays inside the picture), so nothing stalls at an edge.
_AUTO_MOVES: tuple[tuple[View, View], ...] = (
    (View(1.0, 0.5, 0.5), View(1.18, 0.5, 0.46)),  # slow push in
    (View(1.18, 0.5, 0.5), View(1.0, 0.5, 0.5)),  # pull out
    (View(1.16, 0.432, 0.5), View(1.16, 0.568, 0.5)),  # pan left to right
    (View(1.08, 0.53, 0.47), View(1.22, 0.44, 0.54)),  # push in drifting left
    (View(1.16, 0.568, 0.5), View(1.16, 0.432, 0.5)),  # pan right to left
    (View(1.22, 0.46, 0.56), View(1.05, 0.51, 0.49)),  # pull out drifting up
)


@dataclass(frozen=True)
class MotionPath:
    start: View
    end: View

    @property
    def max_zoom(self) -> float:
        return max(self.start.zoom, self.end.zoom)

    def at(self, u: float) -> View:
        """The view at progress ``u`` in [0, 1] of the slide's visible time."""
        u = min(1.0, max(0.0, u))
        z0, z1 = self.start.zoom, self.end.zoom
        return View(
            zoom=z0 * (z1 / z0) ** u,
            x=self.start.x + (self.end.x - self.start.x) * u,
            y=self.start.y + (self.end.y - self.start.y) * u,
        )


def reachable(view: View) -> View:
    """The nearest view whose visible part lies inside the picture.

    Interpolating between two reachable views stays reachable (the limits are convex in
    the zoom), so a path through them never stalls against an edge.
    """
    zoom = max(1.0, view.zoom)
    half = 0.5 / zoom
    return View(zoom, min(max(view.x, half), 1 - half), min(max(view.y, half), 1 - half))


def motion_path(motion: Motion, index: int) -> MotionPath | None:
    """The path for a slide, or None for a still slide.

    AUTO steps through a list of moves by slide position, so neighbours never repeat.
    """
    if motion.mode is MotionMode.NONE:
        return None
    if motion.mode is MotionMode.CUSTOM and motion.start and motion.end:
        start, end = reachable(motion.start), reachable(motion.end)
        if start == end and start.zoom == 1.0:
            return None
        return MotionPath(start, end)
    return MotionPath(*_AUTO_MOVES[index % len(_AUTO_MOVES)])


def source_box(view: View, canvas: tuple[int, int]) -> tuple[float, float, float, float]:
    """The float (left, top, right, bottom) of the canvas that the view shows."""
    cw, ch = canvas
    w, h = cw / view.zoom, ch / view.zoom
    cx = min(max(view.x * cw, w / 2), cw - w / 2)
    cy = min(max(view.y * ch, h / 2), ch - h / 2)
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def canvas_scale(path: MotionPath | None) -> float:
    return 1.0 if path is None else min(MAX_CANVAS_SCALE, max(1.0, path.max_zoom))


def even(value: float) -> int:
    return max(2, 2 * math.ceil(value / 2))
