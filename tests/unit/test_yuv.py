"""YUV 4:2:0 frames: layout and BT.709 limited-range conversion."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from simvid_desktop.render.yuv import (
    Frame,
    frame_from_rgb,
    frame_to_rgb,
    plane_images,
    rgb_to_planes,
)

KR, KB = 0.2126, 0.0722
KG = 1 - KR - KB


def _bt709(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    r, g, b = (c / 255 for c in rgb)
    y = KR * r + KG * g + KB * b
    cb = (b - y) / (2 * (1 - KB))
    cr = (r - y) / (2 * (1 - KR))
    return 16 + 219 * y, 128 + 224 * cb, 128 + 224 * cr


def _solid(rgb: tuple[int, int, int], size: tuple[int, int] = (16, 8)) -> Frame:
    return frame_from_rgb(Image.new("RGB", size, rgb))


def _yuv(frame: Frame) -> tuple[int, int, int]:
    assert frame.y.min() == frame.y.max()
    assert frame.u.min() == frame.u.max()
    assert frame.v.min() == frame.v.max()
    return int(frame.y[0, 0]), int(frame.u[0, 0]), int(frame.v[0, 0])


def _smooth_image(w: int = 128, h: int = 96) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 40 + 70 * xx / (w - 1) + 40 * yy / (h - 1)
    g = 220 - 50 * yy / (h - 1)
    b = 128 + 45 * np.sin(xx / 90.0 + 0.3) * np.cos(yy / 70.0)
    return np.clip(np.stack([r, g, b], axis=-1) + 0.5, 0, 255).astype(np.uint8)


# -- layout ---------------------------------------------------------------------------------------
def test_frame_layout() -> None:
    f = Frame.empty(16, 8)
    assert f.buf.shape == (16 * 8 * 3 // 2,)
    assert f.buf.dtype == np.uint8
    assert f.y.shape == (8, 16)
    assert f.u.shape == (4, 8)
    assert f.v.shape == (4, 8)
    f.buf[:] = 0
    f.y[:] = 1
    f.u[:] = 2
    f.v[:] = 3
    # planar, contiguous: Y then U then V
    assert f.buf.tolist() == [1] * 128 + [2] * 32 + [3] * 32
    assert [p.shape for p in f.planes()] == [(8, 16), (4, 8), (4, 8)]


def test_planes_are_views_into_the_buffer() -> None:
    f = Frame.blank(16, 8)
    f.y[1, 2] = 99
    assert f.buf[16 + 2] == 99
    f.v[3, 7] = 77
    assert f.buf[-1] == 77


def test_blank_is_tv_black() -> None:
    f = Frame.blank(32, 16)
    assert _yuv(f) == (16, 128, 128)
    assert _yuv(Frame.blank(32, 16, luma=235)) == (235, 128, 128)
    assert np.all(frame_to_rgb(f) == 0)


def test_copy_is_independent() -> None:
    f = Frame.blank(16, 8)
    g = f.copy()
    g.y[:] = 200
    assert _yuv(f) == (16, 128, 128)
    assert (g.width, g.height) == (16, 8)


def test_plane_images() -> None:
    f = Frame.blank(32, 16)
    f.u[:] = 90
    f.v[5:, :] = 70
    y, u, v = plane_images(f)
    assert (y.mode, y.size) == ("L", (32, 16))
    assert (u.mode, u.size) == ("L", (16, 8))
    assert (v.mode, v.size) == ("L", (16, 8))
    assert y.getpixel((3, 3)) == 16
    assert u.getpixel((0, 0)) == 90
    assert np.array_equal(np.asarray(v), f.v)


def test_plane_images_are_copies() -> None:
    f = Frame.blank(32, 16)
    f.u[:] = 90
    _, u, _ = plane_images(f)
    f.u[:] = 10
    assert u.getpixel((0, 0)) == 90


# -- conversion -----------------------------------------------------------------------------------
def test_black_and_white() -> None:
    assert _yuv(_solid((0, 0, 0))) == (16, 128, 128)
    assert _yuv(_solid((255, 255, 255))) == (235, 128, 128)


@pytest.mark.parametrize("level", [0, 1, 50, 128, 200, 254, 255])
def test_greys_have_neutral_chroma(level: int) -> None:
    y, u, v = _yuv(_solid((level, level, level)))
    assert abs(y - (16 + 219 * level / 255)) <= 1
    assert abs(u - 128) <= 1 and abs(v - 128) <= 1


@pytest.mark.parametrize(
    ("rgb", "expected"),
    [
        ((255, 0, 0), (63, 102, 240)),
        ((0, 255, 0), (173, 42, 26)),
        ((0, 0, 255), (32, 240, 118)),
        ((255, 255, 0), (219, 16, 138)),
        ((0, 255, 255), (188, 154, 16)),
        ((255, 0, 255), (78, 214, 230)),
    ],
)
def test_primaries_match_bt709_limited_range(
    rgb: tuple[int, int, int], expected: tuple[int, int, int]
) -> None:
    got = _yuv(_solid(rgb))
    exact = _bt709(rgb)
    for g, e, x in zip(got, expected, exact, strict=True):
        assert abs(g - e) <= 1
        assert abs(g - x) <= 1


def test_random_colours_match_the_formula() -> None:
    rng = np.random.default_rng(3)
    for rgb in rng.integers(0, 256, (40, 3)):
        colour = tuple(int(c) for c in rgb)
        got = _yuv(_solid(colour))  # type: ignore[arg-type]
        for g, x in zip(got, _bt709(colour), strict=True):  # type: ignore[arg-type]
            assert abs(g - x) <= 1, colour


def test_chroma_is_the_2x2_average() -> None:
    img = Image.new("RGB", (2, 2))
    img.putpixel((0, 0), (255, 0, 0))
    img.putpixel((1, 0), (0, 0, 255))
    img.putpixel((0, 1), (255, 0, 0))
    img.putpixel((1, 1), (0, 0, 255))
    f = frame_from_rgb(img)
    avg = _bt709((128, 0, 128))
    assert abs(int(f.u[0, 0]) - avg[1]) <= 1
    assert abs(int(f.v[0, 0]) - avg[2]) <= 1
    assert f.y.tolist() == [[63, 32], [63, 32]]  # luma stays full resolution


@pytest.mark.parametrize("colour", [(0, 0, 0), (255, 255, 255), (255, 0, 0), (0, 255, 0),
                                    (0, 0, 255), (12, 200, 99), (128, 128, 128)])
def test_solid_round_trip(colour: tuple[int, int, int]) -> None:
    rgb = frame_to_rgb(_solid(colour))
    assert rgb.shape == (8, 16, 3) and rgb.dtype == np.uint8
    assert np.max(np.abs(rgb.astype(int) - np.array(colour))) <= 2


def _ideal_frame(src: np.ndarray) -> Frame:
    """Exact BT.709 per pixel, chroma averaged over 2x2 in float, each plane rounded once."""
    c = src.astype(np.float64) / 255
    y = KR * c[..., 0] + KG * c[..., 1] + KB * c[..., 2]
    cb = (c[..., 2] - y) / (2 * (1 - KB))
    cr = (c[..., 0] - y) / (2 * (1 - KR))
    h, w = y.shape
    f = Frame.empty(w, h)
    f.y[:] = np.clip(np.round(16 + 219 * y), 0, 255)
    f.u[:] = np.clip(np.round(128 + 224 * cb.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))),
                     0, 255)
    f.v[:] = np.clip(np.round(128 + 224 * cr.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))),
                     0, 255)
    return f


def test_conversion_matches_exact_bt709_within_one_code() -> None:
    rng = np.random.default_rng(11)
    for src in (_smooth_image(), rng.integers(0, 256, (32, 48, 3), dtype=np.uint8)):
        got, ideal = frame_from_rgb(Image.fromarray(src)), _ideal_frame(src)
        for g, i in zip(got.planes(), ideal.planes(), strict=True):
            assert np.max(np.abs(g.astype(int) - i.astype(int))) <= 1


def test_block_image_round_trip_within_two() -> None:
    """Colour constant over each 2x2 chroma block: only quantisation is lost."""
    rng = np.random.default_rng(0)
    colours = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    src = np.repeat(np.repeat(colours, 2, axis=0), 2, axis=1)
    out = frame_to_rgb(frame_from_rgb(Image.fromarray(src)))
    assert np.max(np.abs(out.astype(int) - src.astype(int))) <= 2


def test_smooth_image_round_trip_within_two() -> None:
    """Smooth photos come back within +-2 per channel almost everywhere.

    8-bit 4:2:0 cannot do better everywhere: even an exact converter (``_ideal_frame``)
    is 3 off at a few pixels where a 2x2 block straddles a step of the source values.
    """
    src = _smooth_image()
    out = frame_to_rgb(frame_from_rgb(Image.fromarray(src)))
    assert out.shape == src.shape
    err = np.abs(out.astype(int) - src.astype(int))
    ideal_err = np.abs(frame_to_rgb(_ideal_frame(src)).astype(int) - src.astype(int))
    assert err.max() <= max(3, int(ideal_err.max()))
    assert np.mean(err <= 2) > 0.99
    assert err.mean() < 1.0


def test_smooth_gradient_round_trip_every_level() -> None:
    ramp = np.repeat(np.arange(256, dtype=np.uint8)[None, :], 4, axis=0)
    src = np.stack([ramp, ramp[:, ::-1], ramp], axis=-1)  # (4, 256, 3)
    out = frame_to_rgb(frame_from_rgb(Image.fromarray(src)))
    assert np.max(np.abs(out.astype(int) - src.astype(int))) <= 2


def test_ndarray_input_equals_image_input() -> None:
    src = _smooth_image(32, 16)
    a = frame_from_rgb(src)
    b = frame_from_rgb(Image.fromarray(src))
    assert (a.width, a.height) == (32, 16)
    assert np.array_equal(a.buf, b.buf)


@pytest.mark.parametrize("mode", ["L", "RGBA", "P"])
def test_other_modes_are_converted(mode: str) -> None:
    img = Image.new("RGB", (16, 8), (200, 40, 40)).convert(mode)
    y, u, v = rgb_to_planes(img)
    ref = rgb_to_planes(img.convert("RGB"))
    assert y.shape == (8, 16) and u.shape == (4, 8) and v.shape == (4, 8)
    assert np.array_equal(y, ref[0]) and np.array_equal(u, ref[1]) and np.array_equal(v, ref[2])


def test_out_of_gamut_yuv_is_clipped_on_display() -> None:
    f = Frame.blank(16, 8, luma=255)
    f.v[:] = 255
    rgb = frame_to_rgb(f)
    assert rgb.dtype == np.uint8
    assert rgb[0, 0, 0] == 255  # clipped, not wrapped around
