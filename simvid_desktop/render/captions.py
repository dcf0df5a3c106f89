"""Captions burned into the picture: readable size, white with a dark outline, bottom centre."""

from __future__ import annotations

import logging
import textwrap
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from simvid_desktop.paths import resource
from simvid_desktop.render.fonts import FREETYPE_LOCK
from simvid_desktop.render.yuv import Frame, rgb_to_planes

logger = logging.getLogger(__name__)

FONT_FILE = ("fonts", "DejaVuSans-Bold.ttf")


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = resource(*FONT_FILE)
    try:
        return ImageFont.truetype(str(path), size)
    except OSError:
        logger.warning("caption font %s missing; using Pillow's built-in font", path)
        return ImageFont.load_default(size)


@dataclass(eq=False)
class CaptionOverlay:
    """A caption converted once to YUV planes plus alpha, placed at an even (x, y).

    Kept premultiplied in 8-bit fixed point (``src * alpha`` and ``256 - alpha`` as
    uint16), so drawing it on each frame of a moving slide is three integer passes over
    the caption's rectangle, trimmed to the rows and columns the text covers.
    """

    x: int
    y: int
    planes: tuple[np.ndarray, np.ndarray, np.ndarray]
    alpha_luma: np.ndarray  # float32 0..1, full resolution
    alpha_chroma: np.ndarray  # float32 0..1, half resolution

    def __post_init__(self) -> None:
        self._parts = [
            _premultiplied(src, alpha, self.x // scale, self.y // scale)
            for src, alpha, scale in zip(
                self.planes,
                (self.alpha_luma, self.alpha_chroma, self.alpha_chroma),
                (1, 2, 2),
                strict=True,
            )
        ]

    def apply(self, frame: Frame) -> None:
        """Blend onto ``frame`` in place (only the caption's rectangle is touched)."""
        for plane, part in zip(frame.planes(), self._parts, strict=True):
            if part is None:
                continue
            (y0, y1, x0, x1), colour, keep = part
            region = plane[y0:y1, x0:x1]
            mixed = region * keep  # uint16: region (uint8) * keep (uint16)
            mixed += colour
            mixed >>= 8
            region[:] = mixed


_Part = tuple[tuple[int, int, int, int], np.ndarray, np.ndarray]


def _premultiplied(src: np.ndarray, alpha: np.ndarray, x: int, y: int) -> _Part | None:
    """The rectangle (y0, y1, x0, x1) of the plane where ``alpha`` > 0, with
    ``src * a + 128`` and ``256 - a`` (``a`` = alpha in 1/256) over it."""
    a = np.rint(alpha * 256).astype(np.uint16)
    rows, cols = np.flatnonzero(a.any(axis=1)), np.flatnonzero(a.any(axis=0))
    if not rows.size:
        return None
    r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    a = a[r0:r1, c0:c1]
    colour = src[r0:r1, c0:c1].astype(np.uint16) * a + 128
    return (y + r0, y + r1, x + c0, x + c1), colour, (256 - a).astype(np.uint16)


def make_caption(text: str, size: tuple[int, int]) -> CaptionOverlay | None:
    """Lay out ``text`` for a frame of ``size``; None for an empty caption."""
    text = text.strip()
    if not text:
        return None
    with FREETYPE_LOCK:
        return _lay_out(text, size)


def _lay_out(text: str, size: tuple[int, int]) -> CaptionOverlay:
    width, height = size
    font_px = max(12, round(min(height, width * 9 / 16) * 0.055))
    font = _font(font_px)
    stroke = max(1, round(font_px / 12))
    # Wrap to ~85 % of the frame width, estimated from the average glyph width.
    avg = max(1.0, font.getlength("abcdefghijklmnopqrstuvwxyz ABCDEFG") / 34)
    columns = max(8, int(width * 0.85 / avg))
    lines = []
    for para in text.splitlines() or [text]:
        lines.extend(textwrap.wrap(para, columns) or [""])
    body = "\n".join(lines[:4])
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    left, top, right, bottom = probe.multiline_textbbox(
        (0, 0), body, font=font, stroke_width=stroke, align="center", spacing=font_px // 4
    )
    pad = 2 * stroke + 2
    bw = min(width, int(right - left) + 2 * pad)
    bh = min(height, int(bottom - top) + 2 * pad)
    bw, bh = bw + bw % 2, bh + bh % 2
    rgba = Image.new("RGBA", (bw, bh), (0, 0, 0, 0))
    ImageDraw.Draw(rgba).multiline_text(
        (pad - left, pad - top), body, font=font, fill=(255, 255, 255, 255),
        stroke_width=stroke, stroke_fill=(0, 0, 0, 230), align="center", spacing=font_px // 4,
    )
    alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32) / 255.0
    # Pillow keeps straight (not premultiplied) colour beside alpha: convert it as is.
    y_plane, u_plane, v_plane = rgb_to_planes(rgba.convert("RGB"))
    alpha_c = alpha.reshape(bh // 2, 2, bw // 2, 2).mean(axis=(1, 3))
    x = (width - bw) // 2
    y = height - bh - round(height * 0.06)
    return CaptionOverlay(
        x=x - x % 2, y=max(0, y - y % 2), planes=(y_plane, u_plane, v_plane),
        alpha_luma=alpha, alpha_chroma=alpha_c,
    )
