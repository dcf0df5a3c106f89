"""Placing a photo in the frame: letterbox, crop-to-fill, or over a blurred copy of itself."""

from __future__ import annotations

from PIL import Image, ImageEnhance, ImageFilter

from simvid_desktop.model.project import FitMode

_RESAMPLE = Image.Resampling.LANCZOS
_REDUCING_GAP = 2.5  # box-reduce first when shrinking a lot: same look, several times faster


def fitted_size(src: tuple[int, int], box: tuple[int, int], mode: FitMode) -> tuple[int, int]:
    """Size of the photo once scaled into ``box``: inside it (letterbox, blur) or covering it."""
    sw, sh = src
    bw, bh = box
    scale = max(bw / sw, bh / sh) if mode is FitMode.CROP else min(bw / sw, bh / sh)
    return max(1, round(sw * scale)), max(1, round(sh * scale))


def decode_size(src: tuple[int, int], box: tuple[int, int], mode: FitMode) -> tuple[int, int]:
    """The smallest decoded size that still gives full detail for this placement."""
    return fitted_size(src, box, mode)


def _blurred_background(img: Image.Image, canvas: Image.Image,
                        covered: tuple[int, int, int, int]) -> None:
    """Paint ``canvas`` with a blurred, darkened copy of ``img`` (cropped to fill it),
    except inside ``covered`` (left, top, right, bottom), where the photo goes."""
    bw, bh = canvas.size
    # Blur at 1/16 of the frame and scale up smoothly: the look of a huge Gaussian
    # radius for the cost of a thumbnail.
    small = (max(2, bw // 16), max(2, bh // 16))
    cover = fitted_size(img.size, small, FitMode.CROP)
    tiny = img.resize(cover, Image.Resampling.BOX, reducing_gap=2.0)
    left, top = (cover[0] - small[0]) // 2, (cover[1] - small[1]) // 2
    tiny = tiny.crop((left, top, left + small[0], top + small[1]))
    tiny = tiny.filter(ImageFilter.GaussianBlur(radius=max(1.0, small[0] / 60)))
    tiny = ImageEnhance.Brightness(tiny).enhance(0.6)  # keep the photo itself in front
    # Only the bars the photo leaves are scaled up (a 3:2 photo in a 16:9 frame leaves
    # 15 % of it): the same pixels as scaling up the whole frame, to within 2 levels in
    # a few pixels per 10,000 (the box's float arithmetic).
    cl, ct, cr, cb = covered
    fx, fy = small[0] / bw, small[1] / bh
    for x0, y0, x1, y1 in ((0, 0, bw, ct), (0, cb, bw, bh), (0, ct, cl, cb), (cr, ct, bw, cb)):
        if x1 > x0 and y1 > y0:
            part = tiny.resize((x1 - x0, y1 - y0), Image.Resampling.BICUBIC,
                               box=(x0 * fx, y0 * fy, x1 * fx, y1 * fy))
            canvas.paste(part, (x0, y0))


def compose_canvas(img: Image.Image, box: tuple[int, int], mode: FitMode) -> Image.Image:
    """The photo placed on a ``box``-sized RGB canvas according to ``mode``."""
    bw, bh = box
    tw, th = fitted_size(img.size, box, mode)
    scaled = img
    if (tw, th) != img.size:
        scaled = img.resize((tw, th), _RESAMPLE, reducing_gap=_REDUCING_GAP)
    if mode is FitMode.CROP:
        left, top = (tw - bw) // 2, (th - bh) // 2
        return scaled.crop((left, top, left + bw, top + bh))
    left, top = (bw - tw) // 2, (bh - th) // 2
    canvas = Image.new("RGB", box, (0, 0, 0))
    if mode is FitMode.BLUR and (tw, th) != (bw, bh):
        _blurred_background(img, canvas, (left, top, left + tw, top + th))
    canvas.paste(scaled, (left, top))
    return canvas
