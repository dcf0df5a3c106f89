"""Title cards: drawn at the output's resolution, text inside the title-safe area, the
backgrounds as asked, and fonts found by the names a user sees."""

from __future__ import annotations

import logging
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simvid_desktop.errors import MediaError
from simvid_desktop.model.project import TextAlign, TitleBackground, TitleCard
from simvid_desktop.render import fonts
from simvid_desktop.render.titles import find_font, font_families, render_title
from simvid_desktop.render.yuv import frame_from_rgb
from tests.integration.media import solid

SIZES = [(1920, 1080), (1080, 1920), (1080, 1080)]
SHORT = TitleCard("Summer in Lisbon", "July 2026")
LONG = TitleCard(
    "A really very long title that goes on and on about the wonderful holiday we had in "
    "the mountains of northern Portugal last summer, with Supercalifragilisticexpialidocious"
    "AndAnUnbreakableWordThatIsFarTooLongForAnyLineAtAll",
    "And an equally verbose subtitle explaining in detail who was there, what we ate, "
    "where we slept, and why we will go back again next year, probably in June " * 2,
    size=0.3,
)


def text_mask(card: TitleCard, size: tuple[int, int]) -> np.ndarray:
    """Where the card's text (shadow included) changed the background: True per pixel."""
    with_text = np.asarray(render_title(card, size), dtype=np.int16)
    without = np.asarray(render_title(replace(card, text="", subtitle=""), size), np.int16)
    return np.abs(with_text - without).max(axis=2) > 0


def bbox(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the True pixels, right and bottom exclusive."""
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def assert_inside_safe_area(mask: np.ndarray) -> None:
    h, w = mask.shape
    left, top, right, bottom = bbox(mask)
    assert left >= 0.1 * w and right <= 0.9 * w, (left, right, w)
    assert top >= 0.1 * h and bottom <= 0.9 * h, (top, bottom, h)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("card", [SHORT, LONG], ids=["short", "long"])
def test_text_stays_inside_the_title_safe_area(card: TitleCard, size: tuple[int, int]) -> None:
    for align in TextAlign:
        mask = text_mask(replace(card, align=align), size)
        assert mask.any()
        assert_inside_safe_area(mask)


def test_long_text_wraps_and_fills_the_safe_area_rather_than_vanishing() -> None:
    w, h = 1920, 1080
    left, top, right, bottom = bbox(text_mask(LONG, (w, h)))
    assert right - left > 0.6 * w  # it wrapped into wide lines...
    assert bottom - top > 0.4 * h  # ...several of them, at a readable size


def test_text_on_a_photo_stays_inside_the_safe_area(tmp_path: Path) -> None:
    photo = solid(tmp_path / "p.jpg", (250, 250, 250), (64, 48))  # a white photo: worst case
    card = replace(LONG, background=TitleBackground.PHOTO, photo=photo)
    assert_inside_safe_area(text_mask(card, (1280, 720)))


@pytest.mark.parametrize("size", [(16, 16), (33, 17), (64, 36)])
def test_tiny_frames_render_at_their_exact_size_without_overflow(size: tuple[int, int]) -> None:
    img = render_title(LONG, size)
    assert img.size == size and img.mode == "RGB"
    mask = text_mask(LONG, size)
    if mask.any():
        assert_inside_safe_area(mask)


def test_solid_background_is_exact_where_there_is_no_text() -> None:
    card = TitleCard("Hello", "world", color="#336699")
    img = np.asarray(render_title(card, (320, 180)))
    assert tuple(img[0, 0]) == (0x33, 0x66, 0x99)
    assert (img[:18] == (0x33, 0x66, 0x99)).all()  # the top margin: outside the safe area
    assert (np.asarray(render_title(replace(card, text="", subtitle=""), (320, 180)))
            == (0x33, 0x66, 0x99)).all()


def test_gradient_runs_from_color_at_the_top_to_color2_at_the_bottom_without_bands() -> None:
    card = TitleCard(background=TitleBackground.GRADIENT, color="#204060", color2="#a08070")
    img = np.asarray(render_title(card, (400, 400))).astype(float)
    assert np.abs(img[0].mean(axis=0) - (0x20, 0x40, 0x60)).max() < 0.2
    assert np.abs(img[-1].mean(axis=0) - (0xA0, 0x80, 0x70)).max() < 0.2
    assert (np.median(img[0], axis=0) == (0x20, 0x40, 0x60)).all()
    exact = np.linspace(0x40, 0x80, 400)  # the green channel, row by row
    assert np.abs(img[:, :, 1].mean(axis=1) - exact).max() < 0.2  # the rows average exactly
    # Dithered: a row between two whole values mixes them instead of being one flat band.
    assert len(np.unique(img[100, :, 1])) >= 2
    assert np.abs(img[:, :, 1] - exact[:, None]).max() < 1.5  # dither: within a level


def test_gradient_stays_smooth_once_converted_to_8_bit_yuv_frames() -> None:
    """A slow, dark gradient (16 levels over 1080 rows) is where bands show most."""
    card = TitleCard(background=TitleBackground.GRADIENT, color="#1a2030", color2="#101418")
    luma = frame_from_rgb(render_title(card, (480, 1080))).y.astype(float)
    rows = luma.mean(axis=1)
    # Plain 8-bit rows would make a staircase of ~10 flat bands, ~100 rows each.
    steps = np.flatnonzero(np.abs(np.diff(rows)) > 1e-9)
    assert np.diff(steps).max() < 10, "a band of rows with exactly the same luma"
    ideal = np.linspace(rows[0], rows[-1], len(rows))
    assert np.abs(rows - ideal).max() < 0.6


def test_a_corrupt_font_file_falls_back_to_the_default(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttf"
    bad.write_bytes(b"not a font at all")
    font = fonts.load_font(fonts.FontFace(bad), 20)
    assert font.getname() == ("DejaVu Sans", "Bold")


def test_photo_background_shows_the_photo_darkened(tmp_path: Path) -> None:
    photo = solid(tmp_path / "red.png", (200, 60, 40), (40, 30))
    card = TitleCard("On a photo", background=TitleBackground.PHOTO, photo=photo)
    img = np.asarray(render_title(card, (320, 180))).astype(int)
    r, g, b = img[5, 5]
    assert r > 2 * g and r > 2 * b  # the photo's red shows through...
    assert 70 < r < 160  # ...darker than the photo's 200


def test_a_missing_photo_raises_a_media_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "gone.jpg"
    card = TitleCard("x", background=TitleBackground.PHOTO, photo=missing)
    with pytest.raises(MediaError, match="gone.jpg"):
        render_title(card, (64, 36))


def test_alignment_moves_the_text() -> None:
    w, h = 1280, 720
    boxes = {a: bbox(text_mask(TitleCard("Align me", align=a), (w, h))) for a in TextAlign}
    left, center, right = boxes[TextAlign.LEFT], boxes[TextAlign.CENTER], boxes[TextAlign.RIGHT]
    assert left[0] < center[0] < right[0]
    assert left[0] < 0.1 * w + 20  # flush with the safe area's left edge
    assert right[2] > 0.9 * w - 20  # flush with its right edge
    assert abs((center[0] + center[2]) / 2 - w / 2) < 8  # centred (its shadow leans right)


def test_size_scales_the_text_height() -> None:
    def height(size: float) -> int:
        _, top, _, bottom = bbox(text_mask(TitleCard("Hdx", size=size), (1280, 720)))
        return bottom - top

    small, large = height(0.05), height(0.15)
    assert 2.6 < large / small < 3.4


def _high_frequency(img: Image.Image) -> float:
    """Mean absolute Laplacian of the luma: how much sharp detail an image holds."""
    y = np.asarray(img.convert("L"), dtype=np.float32)
    lap = 4 * y[1:-1, 1:-1] - y[:-2, 1:-1] - y[2:, 1:-1] - y[1:-1, :-2] - y[1:-1, 2:]
    return float(np.abs(lap).mean())


def test_text_is_drawn_at_the_output_resolution_not_scaled_up() -> None:
    card = TitleCard("Crisp Edges", "at every size")
    big = render_title(card, (3840, 2160))
    upscaled = render_title(card, (960, 540)).resize((3840, 2160), Image.Resampling.BICUBIC)
    assert _high_frequency(big) > 2 * _high_frequency(upscaled)
    # Antialiased glyph edges are about a pixel wide: few pixels are neither text nor
    # background, compared with the number of pixels inside the glyphs.
    y = np.asarray(big.convert("L"), dtype=np.int16)
    background = int(y[0, 0])
    text = y >= 250
    between = (np.abs(y - background) > 40) & ~text
    assert between.sum() < 0.35 * text.sum()


def test_rendering_is_deterministic() -> None:
    card = TitleCard("Same", "every time", background=TitleBackground.GRADIENT)
    assert render_title(card, (160, 90)).tobytes() == render_title(card, (160, 90)).tobytes()


def test_an_unknown_font_falls_back_to_the_shipped_one_with_a_warning(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fonts, "_warned", set())  # it warns once per name and process
    card = TitleCard("Fallback", font="No Such Font 4711")
    with caplog.at_level(logging.WARNING, logger="simvid_desktop.render.fonts"):
        img = render_title(card, (320, 180))
    assert img.tobytes() == render_title(replace(card, font="DejaVu Sans Bold"),
                                         (320, 180)).tobytes()
    assert "No Such Font 4711" in caplog.text


def test_the_font_changes_the_text() -> None:
    bold = render_title(TitleCard("Font", font="DejaVu Sans Bold"), (320, 180))
    book = render_title(TitleCard("Font", font="DejaVu Sans"), (320, 180))
    assert bold.tobytes() != book.tobytes()


def test_font_families_lists_the_shipped_fonts_first_and_find_font_finds_them() -> None:
    families = font_families()
    assert families[:2] == ["DejaVu Sans Bold", "DejaVu Sans"]
    assert len(families) == len(set(families))
    path = find_font("DejaVu Sans Bold")
    assert path is not None and path.name == "DejaVuSans-Bold.ttf" and path.is_file()
    assert find_font("dejavu sans bold") == path  # case does not matter
    assert find_font("DejaVu Sans Book") == find_font("DejaVu Sans")  # nor a plain style
    assert find_font("No Such Font 4711") is None


def test_a_font_folder_is_scanned_for_family_and_style_names(tmp_path: Path) -> None:
    shipped = fonts.shipped_faces()
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    shutil.copy(shipped["DejaVu Sans"].path, nested / "whatever.TTF")
    (tmp_path / "broken.ttf").write_bytes(b"not a font")
    (tmp_path / "notes.txt").write_text("not a font either")
    found = fonts.scan([tmp_path, tmp_path / "missing"])
    assert found == {"DejaVu Sans": fonts.FontFace(nested / "whatever.TTF")}


@pytest.mark.parametrize(("family", "style", "name"), [
    ("DejaVu Sans", "Book", "DejaVu Sans"),
    ("DejaVu Serif", "Italic", "DejaVu Serif Italic"),
    ("DejaVu Sans", "Condensed Bold", "DejaVu Sans Condensed Bold"),
    ("Roboto Light", "Light", "Roboto Light"),
    ("Noto  Sans", "Regular", "Noto Sans"),
    (None, "Bold", None),
])
def test_face_names_are_family_and_style_without_plain_styles(
    family: str | None, style: str, name: str | None,
) -> None:
    assert fonts.face_name(family, style) == name
