"""Transitions on tiny synthetic YUV 4:2:0 frames."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from simvid_desktop.model.project import TransitionKind
from simvid_desktop.render.transitions import Blender, ease, render_transition
from simvid_desktop.render.yuv import Frame

W, H = 32, 16

# distinct values per plane so a mix-up of planes shows
A_VALUES = (40, 90, 160)
B_VALUES = (200, 170, 60)


@pytest.fixture(autouse=True)
def _both_backends(kernel_backend: str) -> str:
    """Every test here runs with the compiled kernels and with numpy."""
    return kernel_backend


def _const(width: int, height: int, values: tuple[int, int, int]) -> Frame:
    f = Frame.empty(width, height)
    for plane, v in zip(f.planes(), values, strict=True):
        plane[:] = v
    return f


def _a() -> Frame:
    return _const(W, H, A_VALUES)


def _b() -> Frame:
    return _const(W, H, B_VALUES)


def _render(kind: TransitionKind, p: float, a: Frame | None = None,
            b: Frame | None = None) -> Frame:
    return render_transition(kind, a or _a(), b or _b(), p, Blender())


def _is_const(plane: np.ndarray, value: int) -> bool:
    return bool(np.all(plane == value))


# -- ease -----------------------------------------------------------------------------------------
def test_ease() -> None:
    assert ease(0.0) == 0.0
    assert ease(1.0) == 1.0
    assert ease(0.5) == 0.5
    assert ease(-3.0) == 0.0
    assert ease(7.0) == 1.0
    assert ease(0.25) == pytest.approx(0.15625)
    values = [ease(k / 100) for k in range(101)]
    assert all(b > a for a, b in pairwise(values))
    # smooth start and stop: slow near the ends, fastest in the middle
    assert values[1] - values[0] < values[51] - values[50]
    assert values[100] - values[99] < values[51] - values[50]


# -- fades ----------------------------------------------------------------------------------------
def test_fade_at_zero_is_a() -> None:
    out = _render(TransitionKind.FADE, 0.0)
    assert np.array_equal(out.buf, _a().buf)


def test_fade_at_one_is_b() -> None:
    out = _render(TransitionKind.FADE, 1.0)
    assert np.array_equal(out.buf, _b().buf)


@pytest.mark.parametrize("p", [0.1, 0.25, 0.5, 0.75, 0.9])
def test_fade_is_a_linear_blend(p: float) -> None:
    out = _render(TransitionKind.FADE, p)
    for plane, va, vb in zip(out.planes(), A_VALUES, B_VALUES, strict=True):
        exact = va * (1 - p) + vb * p
        assert np.all(np.abs(plane.astype(float) - exact) <= 1.0)
        assert plane.min() == plane.max()


def test_fade_half_is_the_midpoint() -> None:
    out = _render(TransitionKind.FADE, 0.5)
    for plane, va, vb in zip(out.planes(), A_VALUES, B_VALUES, strict=True):
        assert abs(int(plane[0, 0]) - (va + vb) / 2) <= 0.5


def test_fadeblack_passes_through_black() -> None:
    out = _render(TransitionKind.FADE_BLACK, 0.5)
    assert _is_const(out.y, 16)
    assert _is_const(out.u, 128)
    assert _is_const(out.v, 128)


def test_fadeblack_ends() -> None:
    assert np.array_equal(_render(TransitionKind.FADE_BLACK, 0.0).buf, _a().buf)
    assert np.array_equal(_render(TransitionKind.FADE_BLACK, 1.0).buf, _b().buf)


def test_fadeblack_first_half_darkens_a_second_half_reveals_b() -> None:
    first = _render(TransitionKind.FADE_BLACK, 0.25)  # halfway from A to black
    for plane, va, black in zip(first.planes(), A_VALUES, (16, 128, 128), strict=True):
        assert abs(int(plane[0, 0]) - (va + black) / 2) <= 1
    second = _render(TransitionKind.FADE_BLACK, 0.75)  # halfway from black to B
    for plane, vb, black in zip(second.planes(), B_VALUES, (16, 128, 128), strict=True):
        assert abs(int(plane[0, 0]) - (vb + black) / 2) <= 1


def test_fadeblack_luma_dips_monotonically() -> None:
    lumas = [int(_render(TransitionKind.FADE_BLACK, k / 20).y[0, 0]) for k in range(21)]
    assert lumas[10] == 16
    assert all(b <= a for a, b in pairwise(lumas[:11]))
    assert all(b >= a for a, b in pairwise(lumas[10:]))


# -- slides (push) --------------------------------------------------------------------------------
def _halves(plane: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    n = plane.shape[axis]
    if axis == 1:
        return plane[:, : n // 2], plane[:, n // 2 :]
    return plane[: n // 2], plane[n // 2 :]


@pytest.mark.parametrize(
    ("kind", "axis", "b_first"),
    [
        # slide-left: content moves left, B enters from the right -> A left, B right
        (TransitionKind.SLIDE_LEFT, 1, False),
        (TransitionKind.SLIDE_RIGHT, 1, True),
        # slide-up: content moves up, B enters from the bottom -> A top, B bottom
        (TransitionKind.SLIDE_UP, 0, False),
        (TransitionKind.SLIDE_DOWN, 0, True),
        # wipe-left: the edge travels leftwards, B revealed first at the right
        (TransitionKind.WIPE_LEFT, 1, False),
        (TransitionKind.WIPE_RIGHT, 1, True),
        (TransitionKind.WIPE_UP, 0, False),
        (TransitionKind.WIPE_DOWN, 0, True),
    ],
)
def test_moves_at_half_show_a_on_one_side_b_on_the_other(
    kind: TransitionKind, axis: int, b_first: bool
) -> None:
    out = _render(kind, 0.5)
    for plane, va, vb in zip(out.planes(), A_VALUES, B_VALUES, strict=True):
        first, second = _halves(plane, axis)
        a_side, b_side = (second, first) if b_first else (first, second)
        # the far edges are pure A / pure B (wipes have a soft edge in the middle)
        a_edge = a_side[:, :1] if axis == 1 else a_side[:1]
        b_edge = b_side[:, -1:] if axis == 1 else b_side[-1:]
        if b_first:
            a_edge = a_side[:, -1:] if axis == 1 else a_side[-1:]
            b_edge = b_side[:, :1] if axis == 1 else b_side[:1]
        assert _is_const(a_edge, va), (kind, plane.shape)
        assert _is_const(b_edge, vb), (kind, plane.shape)
        # mostly A on A's side, mostly B on B's side
        assert np.abs(a_side.astype(int) - va).mean() < np.abs(a_side.astype(int) - vb).mean()
        assert np.abs(b_side.astype(int) - vb).mean() < np.abs(b_side.astype(int) - va).mean()


@pytest.mark.parametrize(
    "kind",
    [TransitionKind.SLIDE_LEFT, TransitionKind.SLIDE_RIGHT, TransitionKind.SLIDE_UP,
     TransitionKind.SLIDE_DOWN],
)
def test_slides_at_half_split_exactly_in_two(kind: TransitionKind) -> None:
    out = _render(kind, 0.5)
    axis = 1 if kind in (TransitionKind.SLIDE_LEFT, TransitionKind.SLIDE_RIGHT) else 0
    b_first = kind in (TransitionKind.SLIDE_RIGHT, TransitionKind.SLIDE_DOWN)
    for plane, va, vb in zip(out.planes(), A_VALUES, B_VALUES, strict=True):
        first, second = _halves(plane, axis)
        assert _is_const(first, vb if b_first else va)
        assert _is_const(second, va if b_first else vb)


def _gradient_frame(width: int, height: int, *, horizontal: bool) -> Frame:
    """Luma = x (or y) coordinate; chroma likewise at half resolution."""
    f = Frame.empty(width, height)
    for plane in f.planes():
        h, w = plane.shape
        if horizontal:
            plane[:] = np.arange(w, dtype=np.uint8)[None, :]
        else:
            plane[:] = np.arange(h, dtype=np.uint8)[:, None]
    return f


def test_slide_left_moves_content_left() -> None:
    a = _gradient_frame(W, H, horizontal=True)
    out = render_transition(TransitionKind.SLIDE_LEFT, a, _b(), 0.5, Blender())
    # the left half now shows what was A's right half
    assert np.array_equal(out.y[:, : W // 2], a.y[:, W // 2 :])
    assert np.array_equal(out.u[:, : W // 4], a.u[:, W // 4 :])


def test_slide_right_moves_content_right() -> None:
    a = _gradient_frame(W, H, horizontal=True)
    out = render_transition(TransitionKind.SLIDE_RIGHT, a, _b(), 0.5, Blender())
    assert np.array_equal(out.y[:, W // 2 :], a.y[:, : W // 2])


def test_slide_up_moves_content_up_and_b_enters_from_below() -> None:
    a = _gradient_frame(W, H, horizontal=False)
    b = _gradient_frame(W, H, horizontal=False)
    b.y[:] += 100
    out = render_transition(TransitionKind.SLIDE_UP, a, b, 0.5, Blender())
    assert np.array_equal(out.y[: H // 2], a.y[H // 2 :])
    assert np.array_equal(out.y[H // 2 :], b.y[: H // 2])  # B's top edge leads


def test_slide_down_brings_bs_bottom_first() -> None:
    a = _gradient_frame(W, H, horizontal=False)
    b = _gradient_frame(W, H, horizontal=False)
    b.y[:] += 100
    out = render_transition(TransitionKind.SLIDE_DOWN, a, b, 0.5, Blender())
    assert np.array_equal(out.y[: H // 2], b.y[H // 2 :])
    assert np.array_equal(out.y[H // 2 :], a.y[: H // 2])


@pytest.mark.parametrize(
    ("kind", "b_at"),
    [
        (TransitionKind.SLIDE_LEFT, "right"), (TransitionKind.SLIDE_RIGHT, "left"),
        (TransitionKind.WIPE_LEFT, "right"), (TransitionKind.WIPE_RIGHT, "left"),
    ],
)
def test_b_appears_first_on_the_documented_side(kind: TransitionKind, b_at: str) -> None:
    w, h = 128, 16
    out = render_transition(kind, _const(w, h, A_VALUES), _const(w, h, B_VALUES), 0.15,
                            Blender())
    b_cols = np.flatnonzero(np.any(out.y != A_VALUES[0], axis=0))
    assert 0 < len(b_cols) < w // 2
    if b_at == "right":
        assert b_cols.max() == w - 1 and b_cols.min() > w // 2
    else:
        assert b_cols.min() == 0 and b_cols.max() < w // 2


@pytest.mark.parametrize(
    ("kind", "b_at"),
    [
        (TransitionKind.SLIDE_UP, "bottom"), (TransitionKind.SLIDE_DOWN, "top"),
        (TransitionKind.WIPE_UP, "bottom"), (TransitionKind.WIPE_DOWN, "top"),
    ],
)
def test_b_appears_first_on_the_documented_side_vertically(
    kind: TransitionKind, b_at: str
) -> None:
    w, h = 16, 128
    out = render_transition(kind, _const(w, h, A_VALUES), _const(w, h, B_VALUES), 0.15,
                            Blender())
    b_rows = np.flatnonzero(np.any(out.y != A_VALUES[0], axis=1))
    assert 0 < len(b_rows) < h // 2
    if b_at == "bottom":
        assert b_rows.max() == h - 1 and b_rows.min() > h // 2
    else:
        assert b_rows.min() == 0 and b_rows.max() < h // 2


@pytest.mark.parametrize(
    "kind",
    [TransitionKind.SLIDE_LEFT, TransitionKind.SLIDE_RIGHT, TransitionKind.SLIDE_UP,
     TransitionKind.SLIDE_DOWN, TransitionKind.WIPE_LEFT, TransitionKind.WIPE_RIGHT,
     TransitionKind.WIPE_UP, TransitionKind.WIPE_DOWN, TransitionKind.ZOOM,
     TransitionKind.FADE, TransitionKind.FADE_BLACK],
)
def test_every_transition_starts_at_a_and_ends_at_b(kind: TransitionKind) -> None:
    assert np.array_equal(_render(kind, 0.0).buf, _a().buf)
    assert np.array_equal(_render(kind, 1.0).buf, _b().buf)


@pytest.mark.parametrize(
    "kind", [TransitionKind.WIPE_LEFT, TransitionKind.WIPE_RIGHT, TransitionKind.WIPE_UP,
             TransitionKind.WIPE_DOWN]
)
def test_wipe_edge_is_soft_and_monotonic(kind: TransitionKind) -> None:
    w, h = 160, 160
    out = render_transition(kind, _const(w, h, (0, 0, 0)), _const(w, h, (200, 200, 200)), 0.5,
                            Blender())
    profile = out.y[h // 2, :] if kind in (TransitionKind.WIPE_LEFT,
                                          TransitionKind.WIPE_RIGHT) else out.y[:, w // 2]
    profile = profile.astype(int)
    if kind in (TransitionKind.WIPE_RIGHT, TransitionKind.WIPE_DOWN):
        profile = profile[::-1]  # B side last
    assert all(b >= a for a, b in pairwise(profile))
    assert profile[0] == 0 and profile[-1] == 200
    assert len(set(profile.tolist()) - {0, 200}) >= 2  # intermediate values: a feathered edge


@pytest.mark.parametrize("kind", list(TransitionKind))
def test_inputs_are_not_modified_and_output_has_the_same_shape(kind: TransitionKind) -> None:
    a, b = _gradient_frame(W, H, horizontal=True), _b()
    a_before, b_before = a.buf.copy(), b.buf.copy()
    out = render_transition(kind, a, b, 0.37, Blender())
    assert (out.width, out.height) == (W, H)
    assert out.buf.dtype == np.uint8 and out.buf.shape == (W * H * 3 // 2,)
    assert np.array_equal(a.buf, a_before)
    assert np.array_equal(b.buf, b_before)


def test_moves_progress_monotonically() -> None:
    w, h = 64, 16
    a, b = _const(w, h, A_VALUES), _const(w, h, B_VALUES)
    for kind in (TransitionKind.SLIDE_LEFT, TransitionKind.WIPE_LEFT):
        counts = [int(np.sum(render_transition(kind, a, b, k / 20, Blender()).y == B_VALUES[0]))
                  for k in range(21)]
        assert counts[0] == 0 and counts[-1] == w * h
        assert all(y >= x for x, y in pairwise(counts)), kind


def test_slide_offsets_are_even_so_chroma_stays_aligned() -> None:
    w, h = 64, 16
    a, b = _const(w, h, A_VALUES), _const(w, h, B_VALUES)
    for k in range(1, 40):
        out = render_transition(TransitionKind.SLIDE_LEFT, a, b, k / 40, Blender())
        luma_b = int(np.sum(out.y[0] == B_VALUES[0]))
        chroma_b = int(np.sum(out.u[0] == B_VALUES[1]))
        assert luma_b % 2 == 0
        assert chroma_b * 2 == luma_b


# -- zoom and cut ---------------------------------------------------------------------------------
def test_zoom_blends_constant_frames() -> None:
    for p in (0.25, 0.5, 0.75):
        out = _render(TransitionKind.ZOOM, p)
        e = ease(p)
        for plane, va, vb in zip(out.planes(), A_VALUES, B_VALUES, strict=True):
            exact = va * (1 - e) + vb * e
            assert np.all(np.abs(plane.astype(float) - exact) <= 1.0)


def test_zoom_enlarges_a_towards_the_centre() -> None:
    w, h = 64, 32
    a = _const(w, h, (16, 128, 128))
    a.y[:, : w // 2] = 235  # bright left half, dark right half
    b = a.copy()  # same picture: only the zoom changes anything
    out = render_transition(TransitionKind.ZOOM, a, b, 0.5, Blender())
    # a zoomed-in copy blended with b keeps the split at the centre and its sides
    assert out.y[h // 2, 0] == 235 and out.y[h // 2, -1] == 16
    assert out.y[h // 2, w // 2 - 1] > 16  # edge stays near the middle
    assert out.y[h // 2, w // 2] < 235


def test_none_is_a_cut_at_half() -> None:
    a, b = _a(), _b()
    assert render_transition(TransitionKind.NONE, a, b, 0.0, Blender()) is a
    assert render_transition(TransitionKind.NONE, a, b, 0.49, Blender()) is a
    assert render_transition(TransitionKind.NONE, a, b, 0.5, Blender()) is b
    assert render_transition(TransitionKind.NONE, a, b, 0.99, Blender()) is b


# -- Blender --------------------------------------------------------------------------------------
def _random_frame(rng: np.random.Generator, width: int = 48, height: int = 24) -> Frame:
    return Frame(rng.integers(0, 256, width * height * 3 // 2, dtype=np.uint8), width, height)


def _ramp_pair() -> tuple[Frame, Frame]:
    """Every value 0..255 against its mirror: all differences -255..255 occur."""
    ramp = np.tile(np.arange(256, dtype=np.uint8), 6)
    return Frame(ramp.copy(), 32, 32), Frame(ramp[::-1].copy(), 32, 32)


def test_blender_rounds_exactly_on_its_weight_grid() -> None:
    a, b = _ramp_pair()
    a.buf[:4] = (0, 255, 0, 255)  # the extremes, where int16 overflow would show
    b.buf[:4] = (255, 0, 0, 255)
    blender = Blender()
    af, bf = a.buf.astype(np.float64), b.buf.astype(np.float64)
    for k in range(129):
        w = k / Blender.STEPS
        out = blender.blend(a, b, w)
        assert np.max(np.abs(out.buf - (af * (1 - w) + bf * w))) <= 0.5, w


def test_blender_random_frames_within_one() -> None:
    rng = np.random.default_rng(7)
    a, b = _random_frame(rng), _random_frame(rng)
    af, bf = a.buf.astype(np.float64), b.buf.astype(np.float64)
    blender = Blender()
    for w in (0.0, 0.125, 0.25, 0.5, 0.75, 1.0):
        out = blender.blend(a, b, w)
        assert np.max(np.abs(out.buf - (af * (1 - w) + bf * w))) <= 1.0, w


def test_blender_within_one_of_the_quantised_weight() -> None:
    # By design the weight is quantised to 1/128 (int16 arithmetic, one pass per frame);
    # for any weight the result is within one level of the blend at the quantised weight.
    a, b = _ramp_pair()
    af, bf = a.buf.astype(np.float64), b.buf.astype(np.float64)
    blender = Blender()
    worst = 0.0
    for k in range(1001):
        w = round(k / 1000 * Blender.STEPS) / Blender.STEPS
        got = blender.blend(a, b, k / 1000).buf
        worst = max(worst, float(np.max(np.abs(got - (af * (1 - w) + bf * w)))))
    assert worst <= 1.0


def test_blender_rounds_rather_than_truncates() -> None:
    a = _const(16, 8, (0, 0, 0))
    b = _const(16, 8, (255, 255, 255))
    # 255 * 64/128 = 127.5: rounding gives 128, truncation 127; 255 * 1/128 = 1.99 -> 2
    assert Blender().blend(a, b, 0.5).y[0, 0] == 128
    assert Blender().blend(a, b, 1 / 128).y[0, 0] == 2
    assert Blender().blend(b, a, 1 / 128).y[0, 0] == 253


def test_blender_extremes_and_clamping() -> None:
    a, b = _a(), _b()
    blender = Blender()
    assert np.array_equal(blender.blend(a, b, 0.0).buf, a.buf)
    assert np.array_equal(blender.blend(a, b, 1.0).buf, b.buf)
    assert np.array_equal(blender.blend(a, b, -0.5).buf, a.buf)
    assert np.array_equal(blender.blend(a, b, 7.0).buf, b.buf)


def test_blender_returns_new_frames() -> None:
    a, b = _a(), _b()
    blender = Blender()
    first = blender.blend(a, b, 0.3)
    second = blender.blend(a, b, 0.3)
    assert first is not second and first.buf is not second.buf
    assert first.buf is not a.buf
    assert np.array_equal(first.buf, second.buf)


def test_blender_cache_follows_the_pair() -> None:
    blender = Blender()
    a, b, c = _a(), _b(), _const(W, H, (100, 100, 100))
    assert blender.blend(a, b, 0.5).y[0, 0] == 120
    assert blender.blend(a, c, 0.5).y[0, 0] == 70  # new pair: not the cached b - a
    assert blender.blend(c, b, 0.5).y[0, 0] == 150
    blender.forget()
    assert blender.blend(a, b, 0.5).y[0, 0] == 120


def test_blender_is_correct_for_fresh_frames_every_call() -> None:
    """Regression: the cache was keyed on id(buf), which CPython reuses for new frames."""
    blender = Blender()
    wrong = []
    for v in range(20, 200, 4):
        got = int(blender.blend(Frame.blank(W, H, v), Frame.blank(W, H, v + 50), 0.5).y[0, 0])
        if got != v + 25:
            wrong.append((v, got))
    assert wrong == []


def test_blender_cache_survives_identical_looking_new_pairs() -> None:
    """A new pair of frames with other content is never mistaken for the cached pair."""
    blender = Blender()
    results = []
    for v in (20, 60, 100, 140):
        a, b = Frame.blank(16, 8, v), Frame.blank(16, 8, v + 50)
        results.append(int(blender.blend(a, b, 0.5).y[0, 0]))
        del a, b
    assert results == [45, 85, 125, 165]
