"""Ken Burns motion: interpolation, the source box, sub-pixel smoothness, AUTO moves."""

from __future__ import annotations

import math
from itertools import pairwise

import pytest

from simvid_desktop.model.project import Motion, MotionMode, View
from simvid_desktop.render.motion import (
    MAX_CANVAS_SCALE,
    MotionPath,
    canvas_scale,
    even,
    motion_path,
    source_box,
)

AUTO = Motion(MotionMode.AUTO)
CANVASES = [(1920, 1080), (1280, 720), (1080, 1920), (1080, 1080), (2880, 1620), (16, 16)]


def _frames(path: MotionPath, n: int = 90) -> list[View]:
    return [path.at(k / (n - 1)) for k in range(n)]


def _diffs(values: list[float]) -> list[float]:
    return [b - a for a, b in pairwise(values)]


# -- MotionPath.at --------------------------------------------------------------------------------
def test_at_endpoints() -> None:
    path = MotionPath(View(1.0, 0.3, 0.6), View(1.5, 0.7, 0.4))
    assert path.at(0.0) == View(1.0, 0.3, 0.6)
    end = path.at(1.0)
    assert end.zoom == pytest.approx(1.5)
    assert end.x == pytest.approx(0.7)
    assert end.y == pytest.approx(0.4)


@pytest.mark.parametrize(("u", "expected"), [(-0.5, 0.0), (-1e9, 0.0), (1.5, 1.0), (1e9, 1.0)])
def test_at_clamps_u(u: float, expected: float) -> None:
    path = MotionPath(View(1.2, 0.4, 0.5), View(2.0, 0.6, 0.5))
    assert path.at(u) == path.at(expected)


def test_zoom_is_geometric() -> None:
    path = MotionPath(View(1.0, 0.5, 0.5), View(4.0, 0.5, 0.5))
    assert path.at(0.5).zoom == pytest.approx(2.0)  # not 2.5
    assert path.at(0.25).zoom == pytest.approx(math.sqrt(2.0))
    zooms = [v.zoom for v in _frames(path, 50)]
    ratios = [b / a for a, b in pairwise(zooms)]
    assert max(ratios) == pytest.approx(min(ratios), rel=1e-9)  # constant apparent speed


def test_zoom_out_is_geometric_too() -> None:
    path = MotionPath(View(2.0, 0.5, 0.5), View(1.0, 0.5, 0.5))
    assert path.at(0.5).zoom == pytest.approx(math.sqrt(2.0))
    zooms = [v.zoom for v in _frames(path, 20)]
    assert all(b < a for a, b in pairwise(zooms))


def test_centre_is_linear() -> None:
    path = MotionPath(View(1.5, 0.2, 0.8), View(1.5, 0.6, 0.4))
    for u in (0.0, 0.1, 0.25, 0.5, 0.9, 1.0):
        v = path.at(u)
        assert v.x == pytest.approx(0.2 + 0.4 * u)
        assert v.y == pytest.approx(0.8 - 0.4 * u)
        assert v.zoom == pytest.approx(1.5)


def test_max_zoom() -> None:
    assert MotionPath(View(1.3), View(1.1)).max_zoom == 1.3
    assert MotionPath(View(1.0), View(2.5)).max_zoom == 2.5


# -- motion_path ----------------------------------------------------------------------------------
def test_no_motion_gives_no_path() -> None:
    assert motion_path(Motion(MotionMode.NONE), 0) is None


def test_custom_motion_uses_its_views() -> None:
    start, end = View(1.4, 0.4, 0.6), View(1.0, 0.5, 0.5)
    assert motion_path(Motion(MotionMode.CUSTOM, start, end), 7) == MotionPath(start, end)


def test_custom_views_are_made_reachable() -> None:
    # At zoom 1.4 the centre can go no closer to an edge than 0.5 / 1.4 of the frame.
    start, end = View(1.4, 0.3, 0.9), View(1.0, 0.5, 0.5)
    path = motion_path(Motion(MotionMode.CUSTOM, start, end), 0)
    assert path is not None
    assert path.start == View(1.4, 0.5 / 1.4, 1 - 0.5 / 1.4)


def test_custom_motion_that_does_not_move_is_still() -> None:
    v = View(1.0, 0.5, 0.5)
    assert motion_path(Motion(MotionMode.CUSTOM, v, v), 0) is None


def test_custom_static_zoom_is_kept() -> None:
    v = View(1.5, 0.4, 0.5)
    assert motion_path(Motion(MotionMode.CUSTOM, v, v), 0) == MotionPath(v, v)


def test_auto_is_deterministic_for_the_same_position() -> None:
    for i in range(40):
        first = motion_path(AUTO, i)
        assert first is not None
        assert motion_path(AUTO, i) == first


def test_auto_views_are_gentle_and_valid() -> None:
    seen = set()
    for i in range(200):
        path = motion_path(AUTO, i)
        assert path is not None
        seen.add(path)
        for v in (path.start, path.end):
            assert 1.0 <= v.zoom <= 1.5
            assert 0.0 <= v.x <= 1.0 and 0.0 <= v.y <= 1.0
        assert path.start != path.end  # every AUTO move moves
    assert len(seen) >= 4  # a variety of moves, not one


def test_auto_consecutive_slides_differ() -> None:
    for i in range(60):
        assert motion_path(AUTO, i) != motion_path(AUTO, i + 1), i


# -- source_box -----------------------------------------------------------------------------------
def test_zoom_one_shows_the_whole_canvas() -> None:
    for x, y in [(0.5, 0.5), (0.0, 0.0), (1.0, 0.3)]:
        assert source_box(View(1.0, x, y), (1920, 1080)) == (0.0, 0.0, 1920.0, 1080.0)


def test_centred_zoom_two() -> None:
    assert source_box(View(2.0, 0.5, 0.5), (1920, 1080)) == (480.0, 270.0, 1440.0, 810.0)


def test_off_centre_box_follows_the_centre() -> None:
    left, top, right, bottom = source_box(View(2.0, 0.4, 0.6), (1000, 500))
    assert ((left + right) / 2, (top + bottom) / 2) == pytest.approx((400.0, 300.0))


def test_box_is_clamped_to_the_edges() -> None:
    assert source_box(View(2.0, 0.0, 0.0), (100, 50)) == (0.0, 0.0, 50.0, 25.0)
    assert source_box(View(2.0, 1.0, 1.0), (100, 50)) == (50.0, 25.0, 100.0, 50.0)


@pytest.mark.parametrize("canvas", CANVASES)
def test_box_inside_canvas_with_output_aspect(canvas: tuple[int, int]) -> None:
    cw, ch = canvas
    for zoom in (1.0, 1.001, 1.18, 1.5, 2.0, 3.7, 8.0):
        for x in (0.0, 0.01, 0.25, 0.5, 0.77, 0.99, 1.0):
            for y in (0.0, 0.33, 0.5, 1.0):
                left, top, right, bottom = source_box(View(zoom, x, y), canvas)
                assert 0.0 <= left < right <= cw
                assert 0.0 <= top < bottom <= ch
                assert (right - left) / (bottom - top) == pytest.approx(cw / ch, rel=1e-12)
                assert right - left == pytest.approx(cw / zoom)


def _lefts(path: MotionPath, canvas: tuple[int, int], n: int = 90) -> list[float]:
    return [source_box(v, canvas)[0] for v in _frames(path, n)]


def test_pan_is_subpixel_smooth() -> None:
    """A slow pan moves the box by a constant fraction of a pixel per frame: no stepping."""
    canvas = (2880, 1620)  # 1080p output with the zoom headroom the compositor adds
    path = MotionPath(View(1.5, 0.45, 0.5), View(1.5, 0.55, 0.5))
    lefts = _lefts(path, canvas)
    steps = _diffs(lefts)
    assert all(s > 0 for s in steps)  # strictly monotonic
    assert max(steps) - min(steps) < 1e-6  # nearly constant increments
    assert 0 < steps[0] < 5
    # not quantised to whole pixels: most positions are fractional
    assert sum(1 for v in lefts if abs(v - round(v)) > 1e-3) > len(lefts) * 0.8
    assert lefts[-1] - lefts[0] == pytest.approx(0.1 * canvas[0])
    tops = [source_box(v, canvas)[1] for v in _frames(path)]
    assert max(tops) == min(tops)  # a horizontal pan does not drift vertically


def test_vertical_pan_is_subpixel_smooth() -> None:
    path = MotionPath(View(1.3, 0.5, 0.58), View(1.3, 0.5, 0.42))
    tops = [source_box(v, (1920, 1080))[1] for v in _frames(path)]
    steps = _diffs(tops)
    assert all(s < 0 for s in steps)
    assert max(steps) - min(steps) < 1e-6
    assert all(abs(s) < 3 for s in steps)


def test_push_in_shrinks_the_box_smoothly() -> None:
    path = MotionPath(View(1.0, 0.5, 0.5), View(1.18, 0.5, 0.5))
    widths = [b[2] - b[0] for b in (source_box(v, (1920, 1080)) for v in _frames(path))]
    assert all(b < a for a, b in pairwise(widths))
    ratios = [b / a for a, b in pairwise(widths)]
    assert max(ratios) - min(ratios) < 1e-9
    assert all(abs(w - round(w)) > 1e-6 for w in widths[1:-1])  # fractional sizes


def test_every_auto_move_keeps_moving() -> None:
    moves = {motion_path(AUTO, i) for i in range(100)}
    for path in moves:
        assert path is not None
        boxes = [source_box(v, (1920, 1080)) for v in _frames(path)]
        for a, b in pairwise(boxes):
            assert a != b, path


# -- canvas helpers -------------------------------------------------------------------------------
def test_canvas_scale() -> None:
    assert canvas_scale(None) == 1.0
    assert canvas_scale(MotionPath(View(1.0), View(1.18))) == pytest.approx(1.18)
    assert canvas_scale(MotionPath(View(4.0), View(1.0))) == MAX_CANVAS_SCALE == 2.0


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 2), (1, 2), (2, 2), (2.1, 4), (3, 4), (1080.2, 1082), (1921, 1922)]
)
def test_even(value: float, expected: int) -> None:
    assert even(value) == expected
