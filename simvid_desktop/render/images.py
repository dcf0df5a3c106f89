"""Decoding photos: any format Pillow sniffs, upright, 8-bit sRGB-ish RGB, no bigger than needed.

The policy on huge images is deliberate: the header is checked before anything is
decoded; up to :data:`MAX_DECODE_PIXELS` (300 MP, above the 200 MP phone photos that
exist) is accepted, anything larger is refused as a decompression bomb. JPEGs are
decoded at a reduced scale by libjpeg (``draft``) so a 100 MP photo for a 1080p show
never exists at full resolution in memory.
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from simvid_desktop.errors import ImageTooLarge, ImageUnreadable

logger = logging.getLogger(__name__)

MAX_DECODE_PIXELS = 300_000_000
_LIMIT_MP = MAX_DECODE_PIXELS // 10**6
# Pillow's own guard warns above this and raises above twice this; ours (below) refuses
# anything above it from the header, so Pillow never needs to warn.
Image.MAX_IMAGE_PIXELS = MAX_DECODE_PIXELS

_ROTATED = (5, 6, 7, 8)  # EXIF orientations that swap width and height
_SRGB = ImageCms.createProfile("sRGB")


@dataclass(frozen=True)
class ImageInfo:
    """What the header says: displayed size (EXIF orientation applied) and format."""

    width: int
    height: int
    format: str
    orientation: int


def _open(path: Path) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Above our limit, _check_size refuses it with the size in the message.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(path)
    except FileNotFoundError:
        raise ImageUnreadable(path, "file not found") from None
    except IsADirectoryError:
        raise ImageUnreadable(path, "is a folder, not an image") from None
    except PermissionError:
        raise ImageUnreadable(path, "permission denied") from None
    except UnidentifiedImageError:
        raise ImageUnreadable(path, "not an image in a format Simvid can read") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow refuses from the header before decoding; its message holds the count.
        m = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(m[1]) / 1e6:.0f} MP" if m else "the image"
        raise ImageTooLarge(path, f"{size} is larger than the {_LIMIT_MP} MP limit") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageUnreadable(path, f"cannot be read ({exc})") from None


def _orientation(im: Image.Image) -> int:
    try:
        value = im.getexif().get(0x0112, 1)
    except Exception:  # noqa: BLE001 - a broken EXIF block must not reject the photo
        logger.debug("unreadable EXIF in %s", getattr(im, "filename", "?"))
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _check_size(path: Path, im: Image.Image) -> None:
    w, h = im.size
    if w <= 0 or h <= 0:
        raise ImageUnreadable(path, "image has no pixels")
    if w * h > MAX_DECODE_PIXELS:
        mp = w * h / 1e6
        raise ImageTooLarge(path, f"{w}x{h} ({mp:.0f} MP) is larger than the {_LIMIT_MP} MP limit")


def probe_image(path: str | Path) -> ImageInfo:
    """Read only the header: fast, allocates no pixels. Raises :class:`MediaError`."""
    p = Path(path)
    with _open(p) as im:
        _check_size(p, im)
        orient = _orientation(im)
        w, h = im.size
        if orient in _ROTATED:
            w, h = h, w
        return ImageInfo(w, h, im.format or "?", orient)


def _to_rgb(im: Image.Image) -> Image.Image:
    """Convert any Pillow mode to 8-bit RGB without clipping or showing hidden pixels."""
    mode = im.mode
    if mode == "RGB":
        return im
    if mode.startswith("I;16") or mode in ("I", "F"):
        arr = np.asarray(im).astype(np.float32)
        top = float(arr.max()) if arr.size else 0.0
        if mode.startswith("I;16") or top > 255.0:
            arr = arr / 257.0  # 16-bit: 65535 -> 255
        elif mode == "F" and top <= 1.0:
            arr = arr * 255.0  # float images in 0..1
        grey = Image.fromarray(np.clip(arr + 0.5, 0, 255).astype(np.uint8))
        return grey.convert("RGB")
    if mode == "P" and "transparency" not in im.info:
        return im.convert("RGB")
    if mode in ("RGBA", "LA", "PA", "P", "La", "RGBa"):
        rgba = im.convert("RGBA")
        black = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        return Image.alpha_composite(black, rgba).convert("RGB")
    return im.convert("RGB")  # L, 1, CMYK, YCbCr, LAB, HSV


def _to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    if not icc:
        return im
    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if im.mode not in ("RGB", "CMYK", "L"):
            return im
        out = ImageCms.profileToProfile(im, src, _SRGB, outputMode="RGB")
        return out if out is not None else im
    except (ImageCms.PyCMSError, OSError, ValueError) as exc:
        logger.debug("colour profile ignored (%s)", exc)
        return im


def load_rgb(path: str | Path, need: tuple[int, int] | None = None) -> Image.Image:
    """Decode a photo upright as RGB.

    Args:
        path: the image file; its format is sniffed from the content.
        need: the displayed size the caller will scale the photo to. JPEGs are decoded
            at the smallest libjpeg scale that is still at least this big.

    Raises:
        ImageUnreadable, ImageTooLarge: with the file name and the reason.
    """
    p = Path(path)
    with _open(p) as im:
        _check_size(p, im)
        orient = _orientation(im)
        try:
            im.seek(0)  # animated GIF/WebP, multi-page TIFF: the first frame
            if need is not None and im.format == "JPEG":
                w, h = need
                if orient in _ROTATED:
                    w, h = h, w
                im.draft("RGB" if im.mode == "RGB" else None, (max(1, w), max(1, h)))
            icc = im.info.get("icc_profile")
            im.load()
            img = _to_srgb(im, icc) if im.mode in ("RGB", "CMYK") else im
            img = _to_rgb(img)
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ImageUnreadable(p, f"cannot be decoded ({exc})") from None
        except MemoryError:
            raise ImageTooLarge(p, "not enough memory to decode this image") from None
    if orient != 1:
        img.info["exif"] = b""  # keep exif_transpose from reading a stale block
        img = ImageOps.exif_transpose(_with_orientation(img, orient))
    return img


def _with_orientation(img: Image.Image, orient: int) -> Image.Image:
    exif = Image.Exif()
    exif[0x0112] = orient
    img.info["exif"] = exif.tobytes()
    return img
