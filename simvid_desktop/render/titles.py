"""Title cards: a title and a subtitle over a colour, a gradient or a blurred photo.

A card is drawn at the output's own resolution, so its text is as sharp in 4K as in
720p: nothing is drawn small and scaled up. Text stays inside the title-safe area (the
central 80 % of each side, which every player and TV shows): a title that is too wide
first shrinks, down to :data:`SHRINK_FLOOR` of its size, then wraps onto more lines;
if the lines are then too tall for the area, both texts shrink further, and at the
smallest size lines that still do not fit are cut with an ellipsis. Text never leaves
the safe area, its shadow included.

A card is a still: the compositor converts this RGB image to a frame once per slide.
"""

from __future__ import annotations

import functools
import logging
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops, ImageColor, ImageDraw, ImageEnhance, ImageFilter, ImageFont

from simvid_desktop.model.project import FitMode, TextAlign, TitleBackground, TitleCard
from simvid_desktop.render.fit import fitted_size
from simvid_desktop.render.fonts import (
    FREETYPE_LOCK,
    FontFace,
    find_face,
    find_font,
    font_families,
    load_font,
    resolve_face,
)
from simvid_desktop.render.images import load_rgb

__all__ = ["find_face", "find_font", "font_families", "render_title", "safe_area"]

logger = logging.getLogger(__name__)

#: Title-safe margin on each side, as a fraction of the frame's width and height.
SAFE_MARGIN = 0.10
#: A too-wide title shrinks to this fraction of its size before it wraps.
SHRINK_FLOOR = 0.7
#: The subtitle's size relative to the title's.
SUBTITLE_RATIO = 0.5
#: How opaque the subtitle is: a little of the background shows through, so it reads as
#: secondary to the title in any colour.
SUBTITLE_OPACITY = 0.82
#: Baseline to baseline, as a multiple of the font size.
TITLE_LEADING = 1.12
SUBTITLE_LEADING = 1.3
#: Space between the title's last baseline and the subtitle's cap line, in title sizes.
TITLE_GAP = 0.55
#: Smallest font size (pixels) text shrinks to before lines are cut.
MIN_PX = 6
#: Darkening of a photo background (1 = as is): white text reads on a bright photo.
PHOTO_BRIGHTNESS = 0.55

_ELLIPSIS = "…"
_NOISE_TILE = 256


def safe_area(size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The title-safe rectangle (left, top, right, bottom; right and bottom exclusive)."""
    w, h = size
    mx, my = math.ceil(w * SAFE_MARGIN), math.ceil(h * SAFE_MARGIN)
    return mx, my, w - mx, h - my


# -- backgrounds -------------------------------------------------------------------


def _rgb(color: str) -> tuple[int, int, int]:
    r, g, b = ImageColor.getrgb(color)[:3]
    return r, g, b


def _gradient(top: tuple[int, int, int], bottom: tuple[int, int, int],
              size: tuple[int, int]) -> Image.Image:
    """A vertical gradient, dithered: no bands of flat colour, even after 8-bit encoding.

    Triangular dither of one level either way before rounding: the average of any area
    is the exact gradient, and the noise is the same everywhere, so no run of rows
    stays one flat colour (simple rounding makes visible steps on a slow, dark
    gradient, and the conversion to 8-bit YUV would keep them). The noise comes from a
    fixed tile: the same card renders the same pixels every time.
    """
    w, h = size
    if top == bottom:
        return Image.new("RGB", size, top)
    t = np.arange(h, dtype=np.float32) / max(1, h - 1)
    a, b = np.asarray(top, np.float32), np.asarray(bottom, np.float32)
    rows = a[None, :] + (b - a)[None, :] * t[:, None] + 0.5  # (h, 3), + 0.5: rounding
    rng = np.random.default_rng(0x5EED)
    tile = (rng.random((_NOISE_TILE, _NOISE_TILE, 3), dtype=np.float32)
            - rng.random((_NOISE_TILE, _NOISE_TILE, 3), dtype=np.float32))
    reps = (-(-h // _NOISE_TILE), -(-w // _NOISE_TILE), 1)
    noise = np.tile(tile, reps)[:h, :w]
    noise += rows[:, None, :]
    np.floor(noise, out=noise)
    return Image.fromarray(np.clip(noise, 0, 255).astype(np.uint8))


def _photo_background(card: TitleCard, size: tuple[int, int]) -> Image.Image:
    """The photo covering the frame, blurred and darkened so text in front of it reads.

    Blurred at a quarter of the frame and scaled up: a wide blur for little work, and
    nothing in it is meant to be sharp.
    """
    w, h = size
    if card.photo is None:  # check_project refuses this; a preview mid-edit may not
        logger.warning("a photo title card without a photo: showing its colour instead")
        return Image.new("RGB", size, _rgb(card.color))
    photo = load_rgb(card.photo, need=size)
    small = (max(2, w // 4), max(2, h // 4))
    cover = fitted_size(photo.size, small, FitMode.CROP)
    scaled = photo.resize(cover, Image.Resampling.BOX if cover[0] < photo.width
                          else Image.Resampling.BICUBIC, reducing_gap=2.0)
    left, top = (cover[0] - small[0]) // 2, (cover[1] - small[1]) // 2
    scaled = scaled.crop((left, top, left + small[0], top + small[1]))
    blurred = scaled.filter(ImageFilter.GaussianBlur(radius=max(1.0, small[0] / 90)))
    darker = ImageEnhance.Brightness(blurred).enhance(PHOTO_BRIGHTNESS)
    return darker.resize(size, Image.Resampling.BICUBIC)


def _background(card: TitleCard, size: tuple[int, int]) -> Image.Image:
    if card.background is TitleBackground.PHOTO:
        return _photo_background(card, size)
    if card.background is TitleBackground.GRADIENT:
        return _gradient(_rgb(card.color), _rgb(card.color2), size)
    return Image.new("RGB", size, _rgb(card.color))


# -- layout ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    text: str
    font: ImageFont.FreeTypeFont
    x: int  # the pen position (left end of the baseline)
    baseline: int
    opacity: float


def _ink_width(font: ImageFont.FreeTypeFont, text: str) -> int:
    left, _, right, _ = font.getbbox(text, anchor="ls")
    return math.ceil(right - left)


@functools.lru_cache(maxsize=8192)
def _advance(font: ImageFont.FreeTypeFont, text: str) -> float:
    """How far the pen moves over ``text``: what wrapping adds up (cached per word)."""
    return float(font.getlength(text))


def _split_long_word(word: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """A word wider than a line, cut into pieces that fit (a URL, a long compound)."""
    pieces: list[str] = []
    start = 0
    for end in range(1, len(word) + 1):
        if end - start > 1 and _advance(font, word[start:end]) > width:
            pieces.append(word[start:end - 1])
            start = end - 1
    pieces.append(word[start:])
    return pieces


def _greedy(words: list[str], font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Fill each line with as many words as fit, measured by advance (fast, cached)."""
    space = _advance(font, " ")
    lines: list[str] = []
    current: list[str] = []
    length = 0.0
    for word in words:
        advance = _advance(font, word)
        if current and length + space + advance <= width:
            current.append(word)
            length += space + advance
            continue
        if current:
            lines.append(" ".join(current))
        if advance <= width:
            current, length = [word], advance
        else:
            *full, last = _split_long_word(word, font, int(width))
            lines.extend(full)
            current, length = [last], _advance(font, last)
    if current:
        lines.append(" ".join(current))
    return lines


def _wrap_paragraph(words: list[str], font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy wrap whose every line's ink fits ``width``.

    Advances ignore overhangs (an italic's last letter leans past its advance); the
    lines are checked by ink, and rewrapped a little narrower in the rare case one
    overflows.
    """
    target = float(width)
    for _ in range(8):
        lines = _greedy(words, font, target)
        too_wide = [w - width for w in map(functools.partial(_ink_width, font), lines)
                    if w > width]
        if not too_wide or target < 1:
            return lines  # a lone letter wider than the frame: dropped later
        target -= max(too_wide)
    return lines


def _balanced(words: list[str], font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Word wrap into as few lines as greedy wrapping needs, but of even lengths.

    "Our Wedding Day" over two lines reads better as it is than as a full line and a
    lonely last word: the narrowest width that still needs no more lines is found by
    bisection, and the words are wrapped to it.
    """
    lines = _wrap_paragraph(words, font, width)
    widest_word = max(_advance(font, w) for w in words)
    if len(lines) < 2 or widest_word > width:
        return lines
    low, high = math.ceil(widest_word), width
    while low < high:
        mid = (low + high) // 2
        if len(_greedy(words, font, mid)) <= len(lines):
            high = mid
        else:
            low = mid + 1
    balanced = _wrap_paragraph(words, font, high)
    return balanced if len(balanced) <= len(lines) else lines


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, *, balance: bool = True,
          ) -> list[str]:
    """Word wrap by measured width; the user's own line breaks are kept."""
    lines: list[str] = []
    for paragraph in text.splitlines():
        words = paragraph.split()
        if words:  # blank lines in a title would add nothing but height
            lines.extend(_balanced(words, font, width) if balance
                         else _wrap_paragraph(words, font, width))
    return lines


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in text.splitlines() if p.strip()]


def _fit_px(paragraphs: list[str], face: FontFace, px: int, width: int) -> int:
    """The size at which every paragraph fits on one line, not below the shrink floor."""
    floor = max(MIN_PX, math.ceil(px * SHRINK_FLOOR))
    while px > floor:
        font = load_font(face, px)
        widest = max(_ink_width(font, p) for p in paragraphs)
        if widest <= width:
            return px
        px = max(floor, min(px - 1, int(px * width / widest)))
    return px


@dataclass(frozen=True)
class _Block:
    title: list[str]
    subtitle: list[str]
    title_font: ImageFont.FreeTypeFont | None
    subtitle_font: ImageFont.FreeTypeFont | None


def _cap_height(font: ImageFont.FreeTypeFont) -> int:
    return int(-font.getbbox("H", anchor="ls")[1])


def _rows(block: _Block) -> list[tuple[str, ImageFont.FreeTypeFont, int, float]]:
    """(text, font, baseline, opacity) of each line, with the title's cap line at y = 0."""
    rows: list[tuple[str, ImageFont.FreeTypeFont, int, float]] = []
    groups = ((block.title, block.title_font, TITLE_LEADING, 1.0),
              (block.subtitle, block.subtitle_font, SUBTITLE_LEADING, SUBTITLE_OPACITY))
    for texts, font, leading, opacity in groups:
        if font is None or not texts:
            continue
        cap_line = 0
        if rows:
            assert block.title_font is not None
            cap_line = rows[-1][2] + round(block.title_font.size * TITLE_GAP)
        baseline = cap_line + _cap_height(font)
        for text in texts:
            rows.append((text, font, baseline, opacity))
            baseline += round(font.size * leading)
    return rows


def _extent(block: _Block) -> tuple[int, int, int]:
    """(ink top, ink bottom, type bottom) relative to the cap line.

    The type box runs from the cap line to the last line's descent: that is what is
    centred. The ink can reach past it (an accent on a capital, an ascender above the
    cap height): that is what must stay inside the safe area.
    """
    rows = _rows(block)
    if not rows:
        return 0, 0, 0
    ink_top, ink_bottom = 0, 0
    for text, font, baseline, _ in rows:
        _, top, _, bottom = font.getbbox(text, anchor="ls")
        ink_top = min(ink_top, baseline + math.floor(top))
        ink_bottom = max(ink_bottom, baseline + math.ceil(bottom))
    _, font, baseline, _ = rows[-1][0], rows[-1][1], rows[-1][2], rows[-1][3]
    return ink_top, ink_bottom, baseline + font.getmetrics()[1]


def _block_height(block: _Block) -> int:
    """The height the block needs: its type box and its ink, whichever reaches further."""
    ink_top, ink_bottom, type_bottom = _extent(block)
    return max(ink_bottom, type_bottom) - ink_top


def _lay_out(card: TitleCard, face: FontFace, size: tuple[int, int],
             box: tuple[int, int]) -> _Block:
    """Choose sizes and line breaks so both texts fit ``box`` (width, height)."""
    h = min(size)  # text sizes follow the shorter side: the same look in a vertical video
    bw, bh = box
    title_p, sub_p = _paragraphs(card.text), _paragraphs(card.subtitle)
    tpx0 = max(MIN_PX, round(card.size * h))
    # A subtitle half the title's size, but not unreadably small under a small title.
    spx0 = max(MIN_PX, round(max(tpx0 * SUBTITLE_RATIO, min(tpx0, 0.028 * h))))
    tpx = _fit_px(title_p, face, tpx0, bw) if title_p else tpx0
    spx = _fit_px(sub_p, face, spx0, bw) if sub_p else spx0

    def wrapped(tpx: int, spx: int, balance: bool) -> _Block:
        tfont = load_font(face, tpx) if title_p else None
        sfont = load_font(face, spx) if sub_p else None
        return _Block(_wrap(card.text, tfont, bw, balance=balance) if tfont else [],
                      _wrap(card.subtitle, sfont, bw, balance=balance) if sfont else [],
                      tfont, sfont)

    # Shrink both until the block is short enough: text area grows with the square of
    # the size, so a step of the square root of the overshoot lands close in few tries.
    while True:
        height = _block_height(wrapped(tpx, spx, balance=False))
        if height <= bh or max(tpx, spx) <= MIN_PX:
            break
        step = min(0.95, max(0.5, math.sqrt(bh / height)))
        tpx = max(MIN_PX, min(tpx - 1, int(tpx * step)))
        spx = max(MIN_PX, min(spx - 1, int(spx * step)))
    block = wrapped(tpx, spx, balance=True)
    if _block_height(block) > bh:  # balancing never adds lines, but be sure
        block = wrapped(tpx, spx, balance=False)
    return _trim_to_height(_drop_too_wide(block, bw), bw, bh)


def _drop_too_wide(block: _Block, width: int) -> _Block:
    """Lines wider than the box (a single letter in a frame a few pixels wide) go."""
    def fitting(lines: list[str], font: ImageFont.FreeTypeFont | None) -> list[str]:
        return [] if font is None else [t for t in lines if _ink_width(font, t) <= width]
    return _Block(fitting(block.title, block.title_font),
                  fitting(block.subtitle, block.subtitle_font),
                  block.title_font, block.subtitle_font)


def _cut(block: _Block, keep: int) -> _Block:
    """The block's first ``keep`` lines (title lines first)."""
    return _Block(block.title[:keep], block.subtitle[:max(0, keep - len(block.title))],
                  block.title_font, block.subtitle_font)


def _trim_to_height(block: _Block, width: int, height: int) -> _Block:
    """At the smallest size, keep the lines that fit and end the last with an ellipsis."""
    total = len(block.title) + len(block.subtitle)
    if _block_height(block) <= height:
        return block
    low, high = 0, total - 1  # the most lines that fit: bisection, heights only grow
    while low < high:
        mid = (low + high + 1) // 2
        if _block_height(_cut(block, mid)) <= height:
            low = mid
        else:
            high = mid - 1
    cut = _cut(block, low)
    if cut.subtitle and cut.subtitle_font is not None:
        lines = [*cut.subtitle[:-1], _with_ellipsis(cut.subtitle[-1], cut.subtitle_font, width)]
        return _Block(cut.title, lines, cut.title_font, cut.subtitle_font)
    if len(cut.title) < len(block.title) and cut.title and cut.title_font is not None:
        lines = [*cut.title[:-1], _with_ellipsis(cut.title[-1], cut.title_font, width)]
        return _Block(lines, [], cut.title_font, cut.subtitle_font)
    return cut


def _with_ellipsis(line: str, font: ImageFont.FreeTypeFont, width: int) -> str:
    """The line, shortened as needed, ending with "…" (nothing if not even that fits)."""
    while line and _ink_width(font, line.rstrip() + _ELLIPSIS) > width:
        line = line[:-1]
    marked = line.rstrip() + _ELLIPSIS
    return marked if _ink_width(font, marked) <= width else line


def _place(block: _Block, align: TextAlign, area: tuple[int, int, int, int],
           frame_h: int) -> list[_Line]:
    """Pen positions: the type box centred on the frame's middle, each line aligned, the
    ink inside ``area``."""
    left, top, right, bottom = area
    ink_top, ink_bottom, type_bottom = _extent(block)
    cap_line = round((frame_h - type_bottom) / 2)
    cap_line = max(cap_line, top - ink_top)  # the ink inside the area, always
    cap_line = min(cap_line, bottom - ink_bottom)
    lines: list[_Line] = []
    for text, font, baseline, opacity in _rows(block):
        ink_left, _, ink_right, _ = font.getbbox(text, anchor="ls")
        if align is TextAlign.LEFT:
            x = left - ink_left
        elif align is TextAlign.RIGHT:
            x = right - ink_right
        else:
            x = round((left + right - (ink_right - ink_left)) / 2 - ink_left)
        lines.append(_Line(text, font, math.floor(x), cap_line + baseline, opacity))
    return lines


# -- drawing -----------------------------------------------------------------------


def _luma(color: tuple[int, int, int]) -> float:
    r, g, b = color
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def _shadow_extent(px: int) -> int:
    """How far a shadow reaches beyond the glyphs of a ``px`` font: kept inside the area."""
    offset, blur = _shadow_geometry(px)
    return math.ceil(offset + 2 * blur) + 1


def _shadow_geometry(px: int) -> tuple[int, float]:
    return max(1, round(px * 0.025)), max(1.0, px * 0.045)


def _draw(canvas: Image.Image, lines: list[_Line], color: tuple[int, int, int],
          clip: tuple[int, int, int, int]) -> None:
    """Text with a soft drop shadow, blended in place; nothing is drawn outside ``clip``."""
    w, h = canvas.size
    mask = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(mask)
    for line in lines:
        draw.text((line.x, line.baseline), line.text, font=line.font, anchor="ls",
                  fill=round(255 * line.opacity))
    ink = mask.getbbox()
    if ink is None:
        return
    title_px = round(max(line.font.size for line in lines))
    offset, blur = _shadow_geometry(title_px)
    reach = _shadow_extent(title_px)
    region = (max(0, ink[0] - reach), max(0, ink[1] - reach),
              min(w, ink[2] + reach), min(h, ink[3] + reach))
    text_mask = mask.crop(region)
    # The shadow: a tight halo (an outline without hard edges) plus a drop below it.
    halo = text_mask.filter(ImageFilter.GaussianBlur(blur * 0.35))
    drop = ImageChops.offset(text_mask, offset, offset).filter(ImageFilter.GaussianBlur(blur))
    dark_text = _luma(color) < 0.45  # dark text casts a light glow instead of a dark shadow
    shadow = ImageChops.lighter(halo.point(lambda v: v * (0.25 if dark_text else 0.45)),
                                drop.point(lambda v: v * (0.25 if dark_text else 0.55)))
    keep = Image.new("L", shadow.size, 0)  # the clip rectangle, in the region's coordinates
    keep.paste(255, (clip[0] - region[0], clip[1] - region[1],
                     clip[2] - region[0], clip[3] - region[1]))
    shadow = ImageChops.multiply(shadow, keep)
    patch = canvas.crop(region)
    shade = (255, 255, 255) if dark_text else (0, 0, 0)
    patch.paste(shade, (0, 0, *patch.size), shadow)
    patch.paste(color, (0, 0, *patch.size), text_mask)
    canvas.paste(patch, region[:2])


def render_title(card: TitleCard, size: tuple[int, int]) -> Image.Image:
    """The card as an RGB image of exactly ``size``, drawn at that resolution.

    Raises:
        MediaError: the photo of a PHOTO background cannot be read (the message names it).
    """
    w, h = size
    canvas = _background(card, (w, h))
    if not (card.text.strip() or card.subtitle.strip()):
        return canvas
    with FREETYPE_LOCK:
        _draw_text(canvas, card)
    return canvas


def _draw_text(canvas: Image.Image, card: TitleCard) -> None:
    w, h = canvas.size
    face = resolve_face(card.font)
    area = safe_area((w, h))
    reach = _shadow_extent(max(MIN_PX, round(card.size * min(w, h))))
    # In a tiny frame the shadow gives way (it is clipped to the area anyway): the text
    # keeps at least half the area.
    reach = min(reach, (area[2] - area[0]) // 4, (area[3] - area[1]) // 4)
    inner = (area[0] + reach, area[1] + reach, area[2] - reach, area[3] - reach)
    box = (max(1, inner[2] - inner[0]), max(1, inner[3] - inner[1]))
    block = _lay_out(card, face, (w, h), box)
    lines = _place(block, card.align, inner, h)
    if lines:
        _draw(canvas, lines, _rgb(card.text_color), area)

