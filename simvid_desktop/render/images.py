"""Decoding photos: every format a phone or camera makes, upright, 8-bit sRGB, no bigger
than needed. Everything that shows a photo (thumbnails, preview, render) calls
:func:`load_rgb` and :func:`probe_image`; no format-specific code lives anywhere else.

Formats: whatever Pillow reads (JPEG, PNG, WebP, TIFF, GIF, BMP; AVIF natively since
Pillow 11.3), HEIC/HEIF through pillow-heif (libheif), JPEG XL through pillow-jxl-plugin
(libjxl), camera RAW (DNG, CR2, CR3, NEF, ARW, RAF, ORF...) through rawpy (LibRaw). The
optional codecs are registered on first use; a missing one is logged once and a photo
that needs it fails with a one-line reason naming the package ("HEIC needs pillow-heif,
which is not installed"), never with an import error.

Orientation is applied exactly once. JPEG, TIFF, PNG, WebP: the EXIF orientation tag.
HEIF: libheif applies the container's own ``irot``/``imir`` transforms while decoding and
pillow-heif resets the EXIF tag to 1 in what it hands over (keeping the original value as
``original_orientation``). An iPhone writes both, with the same value: then the EXIF tag
is not applied again. A HEIF with no ``irot``/``imir`` but an EXIF orientation (some
converters and cameras write that) gets its EXIF orientation, as a JPEG does, so the photo
is upright whichever of the two says how to turn it. AVIF: Pillow reports ``irot``/``imir``
*as* the EXIF orientation (replacing whatever the EXIF block said), so the EXIF path
applies it. JPEG XL:
libjxl applies the codestream's orientation while decoding, and the standard says the Exif
box's tag is ignored; a JXL that losslessly wraps a JPEG is handed over as that JPEG,
whose EXIF orientation is then applied. Camera RAW: LibRaw's ``flip``.

Colour: an embedded ICC profile is converted to sRGB (iPhone HEICs are Display P3); a HEIF
without ICC but with an ``nclx`` colour box naming Display P3 or BT.2020 primaries is
converted by matrix; untagged or unknown is taken as sRGB, and so is a profile LittleCMS
cannot read (a broken profile must not reject the photo).

Camera RAW: two ways to get a photo that looks like the photo (not a dark linear dump):
(a) the camera's own full-size JPEG preview embedded in the file, or (b) LibRaw's
demosaic with the camera's white balance to 8-bit sRGB (``half_size`` when the needed
size allows: it skips demosaicing by binning each 2x2 Bayer block, 4x fewer pixels).
Measured on this machine (best of 3, two runs on a shared 2-core machine; a synthetic
24 MP 6000x4000 12-bit CFA DNG, and a 6000x4000 JPEG standing in for a full-size
preview), need 1920x1080:

    ================================================  =============
    open and read the header (``probe_image``)          0.1 ms
    6000x4000 JPEG preview, libjpeg draft to 1/2        0.06-0.10 s
    6000x4000 JPEG preview, full decode                 0.14-0.15 s
    postprocess, ``half_size`` (3000x2000)              0.26-0.35 s
    postprocess, full size (AHD demosaic)               1.9-3.0 s
    ================================================  =============

A compressed CR2/NEF/ARW adds its unpacking time to the postprocess rows only. So the
preview is used whenever it is there (a JPEG, or the 8-bit RGB bitmap some DNGs carry),
shows the whole frame (same aspect ratio) and is at least the needed size: 3x to 30x
faster. Otherwise LibRaw develops the RAW, at half size when that still covers the need;
with no size given (the full photo wanted) it always develops at full size. The preview
is the camera's own rendering (its picture style, lens corrections): what the
photographer saw on the camera's screen.

The policy on huge images is deliberate: the header is checked before anything is
decoded; up to :data:`MAX_DECODE_PIXELS` (300 MP, above the 200 MP phone photos that
exist) is accepted, anything larger is refused as a decompression bomb. JPEGs are
decoded at a reduced scale by libjpeg (``draft``), HEICs from their embedded thumbnail
when it is big enough, so a 100 MP photo for a 1080p show never exists at full resolution
in memory. pillow-jxl-plugin decodes the whole image when it opens the file, so a JPEG
XL's size is read from its codestream header first.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageCms, UnidentifiedImageError, features

from simvid_desktop.errors import ImageTooLarge, ImageUnreadable
from simvid_desktop.render.photo_headers import (
    codec_of,
    file_head,
    heif_transformed,
    is_raw,
    jxl_size,
)

logger = logging.getLogger(__name__)

MAX_DECODE_PIXELS = 300_000_000
_LIMIT_MP = MAX_DECODE_PIXELS // 10**6
# Pillow's own guard warns above this and raises above twice this; ours (below) refuses
# anything above it from the header, so Pillow never needs to warn.
Image.MAX_IMAGE_PIXELS = MAX_DECODE_PIXELS

_ROTATED = (5, 6, 7, 8)  # EXIF orientations that swap width and height
_SRGB = ImageCms.createProfile("sRGB")
_UNREADABLE = "not an image in a format Simvid can read"

#: What each optional codec needs, and the one line a user sees when it is missing.
_NEEDS = {
    "heif": "HEIC/HEIF needs pillow-heif, which is not installed",
    "avif": "AVIF needs a Pillow with AVIF support (11.3+) or pillow-heif; neither is installed",
    "jxl": "JPEG XL needs pillow-jxl-plugin, which is not installed",
    "raw": "camera RAW needs rawpy, which is not installed",
}


@dataclass(frozen=True)
class ImageInfo:
    """What the header says: displayed size (orientation applied) and format."""

    width: int
    height: int
    format: str
    orientation: int


@functools.cache
def _codecs() -> frozenset[str]:
    """Register the optional Pillow plugins once; the names of the codecs available.

    Lazy, so importing this module costs nothing, and safe: a plugin that is missing or
    fails to load (a wheel for another platform, a broken libheif) only removes its format.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an older Pillow warns that it knows no "avif"
        found = {"avif"} if features.check("avif") else set()
    try:
        import pillow_heif  # noqa: PLC0415 - optional; registered on first use

        pillow_heif.register_heif_opener()
        found.add("heif")
        # Pillow 11.3+ reads AVIF itself; pillow-heif only where its libheif has an AV1
        # decoder (its wheels have none since 1.0, and no register_avif_opener either).
        register_avif = getattr(pillow_heif, "register_avif_opener", None)
        decoders = pillow_heif.libheif_info().get("decoders", {})
        if ("avif" not in found and register_avif is not None
                and any(n in str(decoders) for n in ("dav1d", "aom"))):
            register_avif()
            found.add("avif")
    except Exception as exc:  # noqa: BLE001 - any failure only means no HEIF
        logger.info("HEIC/HEIF photos cannot be read: pillow-heif unavailable (%s)", exc)
    try:
        import pillow_jxl  # noqa: F401, PLC0415 - registers its Pillow plugin on import
        found.add("jxl")
    except Exception as exc:  # noqa: BLE001 - any failure only means no JPEG XL
        logger.info("JPEG XL photos cannot be read: pillow-jxl-plugin unavailable (%s)", exc)
    return frozenset(found)


def _open(path: Path) -> Image.Image:
    codecs = _codecs()
    head = file_head(path)
    codec = codec_of(head)
    if codec == "jxl" and codec in codecs:
        size = jxl_size(path)  # the plugin decodes everything as it opens the file
        if size is not None:
            _check_dimensions(path, *size)
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
        if codec is not None and codec not in codecs:
            raise ImageUnreadable(path, _NEEDS[codec]) from None
        raise ImageUnreadable(path, _UNREADABLE) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow refuses from the header before decoding; its message holds the count.
        m = re.search(r"\((\d+) pixels\)", str(exc))
        size_text = f"{int(m[1]) / 1e6:.0f} MP" if m else "the image"
        raise ImageTooLarge(path, f"{size_text} is larger than the {_LIMIT_MP} MP limit"
                            ) from None
    except (OSError, SyntaxError, ValueError, RuntimeError) as exc:
        raise ImageUnreadable(path, f"cannot be read ({exc})") from None


def _orientation(im: Image.Image) -> int:
    """The EXIF orientation still to apply (1 where the decoder applies it itself)."""
    if im.format == "JXL" and not getattr(im, "jpeg", False):
        return 1  # libjxl applied the codestream's orientation; Exif's is ignored
    if im.format == "HEIF":
        original = im.info.get("original_orientation", 1)
        filename = getattr(im, "filename", "")
        if original == 1 or not filename or heif_transformed(Path(filename)):
            return 1
        return original if isinstance(original, int) and 1 <= original <= 8 else 1
    try:
        value = im.getexif().get(0x0112, 1)
    except Exception:  # noqa: BLE001 - a broken EXIF block must not reject the photo
        logger.debug("unreadable EXIF in %s", getattr(im, "filename", "?"))
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _check_dimensions(path: Path, w: int, h: int) -> None:
    if w <= 0 or h <= 0:
        raise ImageUnreadable(path, "image has no pixels")
    if w * h > MAX_DECODE_PIXELS:
        mp = w * h / 1e6
        raise ImageTooLarge(path, f"{w}x{h} ({mp:.0f} MP) is larger than the {_LIMIT_MP} MP limit")


def _check_size(path: Path, im: Image.Image) -> None:
    _check_dimensions(path, *im.size)


def probe_image(path: str | Path) -> ImageInfo:
    """Read only the header: fast, allocates no pixels. Raises :class:`MediaError`."""
    p = Path(path)
    if is_raw(p, file_head(p)):
        return _probe_raw(p)
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


def _rgb_to_xyz(primaries: tuple[tuple[float, float], ...],
                white: tuple[float, float]) -> np.ndarray:
    """The linear RGB -> XYZ matrix of a colour space given by its xy chromaticities."""
    def xyz(x: float, y: float) -> np.ndarray:
        return np.array([x / y, 1.0, (1 - x - y) / y])

    m = np.stack([xyz(*p) for p in primaries], axis=1)
    return m * np.linalg.solve(m, xyz(*white))


_D65 = (0.3127, 0.3290)
_SRGB_TO_XYZ = _rgb_to_xyz(((0.64, 0.33), (0.30, 0.60), (0.15, 0.06)), _D65)
#: ``nclx`` colour_primaries (ITU-T H.273) we convert from -> linear RGB-to-sRGB matrix.
#: 1 (BT.709 = sRGB) and 2 (unspecified) need nothing; anything else unknown is taken as sRGB.
_NCLX_TO_SRGB = {
    12: np.linalg.solve(_SRGB_TO_XYZ,  # SMPTE EG 432-1: Display P3
                        _rgb_to_xyz(((0.680, 0.320), (0.265, 0.690), (0.150, 0.060)), _D65)),
    9: np.linalg.solve(_SRGB_TO_XYZ,  # BT.2020 / BT.2100
                       _rgb_to_xyz(((0.708, 0.292), (0.170, 0.797), (0.131, 0.046)), _D65)),
}
_HDR_TRANSFERS = (16, 18)  # PQ, HLG: not tone-mapped, only their primaries are converted


def _srgb_decode(v: np.ndarray) -> np.ndarray:
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def _srgb_encode(v: np.ndarray) -> np.ndarray:
    v = np.clip(v, 0.0, 1.0)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055)


def _nclx_to_srgb(im: Image.Image, nclx: object) -> Image.Image:
    """Convert a HEIF whose ``nclx`` box names wide-gamut primaries to sRGB (clipping).

    The transfer curve is taken as sRGB's (Display P3 uses it; BT.709's camera curve is
    shown that way by every browser too); an HDR transfer is logged, not tone-mapped.
    """
    if not isinstance(nclx, dict) or im.mode != "RGB":
        return im
    matrix = _NCLX_TO_SRGB.get(nclx.get("color_primaries", 2))
    if matrix is None:
        return im
    if nclx.get("transfer_characteristics") in _HDR_TRANSFERS:
        logger.info("HDR photo shown without tone mapping (nclx %s)", nclx)
    linear = _srgb_decode(np.asarray(im, np.float32) / 255.0)
    out = _srgb_encode(linear @ matrix.T.astype(np.float32)) * 255.0 + 0.5
    return Image.fromarray(out.astype(np.uint8))


def _colour(im: Image.Image) -> Image.Image:
    """``im`` (loaded) in 8-bit sRGB RGB: alpha composited first, then the colour
    profile (ICC, else a HEIF's nclx box) applied to what will be shown."""
    icc = im.info.get("icc_profile")
    if icc and im.mode == "CMYK":
        return _to_rgb(_to_srgb(im, icc))
    img = _to_rgb(im)
    if icc:
        return _to_srgb(img, icc)  # a grey or CMYK profile on RGB: ignored, taken as sRGB
    nclx = im.info.get("nclx_profile")
    return _nclx_to_srgb(img, nclx) if nclx is not None else img


def load_rgb(path: str | Path, need: tuple[int, int] | None = None) -> Image.Image:
    """Decode a photo upright as 8-bit sRGB RGB.

    Args:
        path: the image file; its format is sniffed from the content.
        need: the displayed size the caller will scale the photo to. JPEGs are decoded
            at the smallest libjpeg scale that is still at least this big; HEICs from an
            embedded thumbnail at least this big; RAWs from their embedded preview or at
            half size when that is at least this big.

    Raises:
        ImageUnreadable, ImageTooLarge: with the file name and the reason.
    """
    p = Path(path)
    if is_raw(p, file_head(p)):
        return _load_raw(p, need)
    with _open(p) as im:
        _check_size(p, im)
        orient = _orientation(im)
        try:
            if im.format != "HEIF":  # a HEIF opens on its primary image, not always 0
                im.seek(0)  # animated GIF/WebP, multi-page TIFF: the first frame
            if need is not None and im.format in ("JPEG", "HEIF"):
                w, h = need
                if orient in _ROTATED:
                    w, h = h, w
                im.draft("RGB" if im.mode == "RGB" else None, (max(1, w), max(1, h)))
            im.load()
            img = _colour(im)
        except (OSError, SyntaxError, ValueError, EOFError, RuntimeError) as exc:
            raise ImageUnreadable(p, f"cannot be decoded ({exc})") from None
        except MemoryError:
            raise ImageTooLarge(p, "not enough memory to decode this image") from None
    return _upright(img, orient)


#: EXIF orientation -> the transpose that shows the photo upright (as exif_transpose).
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _upright(img: Image.Image, orient: int) -> Image.Image:
    """Apply ``orient`` itself: ``exif_transpose`` would read the image's cached EXIF."""
    method = _TRANSPOSE.get(orient)
    return img if method is None else img.transpose(method)


# --- camera RAW --------------------------------------------------------------------------

#: LibRaw's ``flip`` (dcraw's: bit 2 transpose, bit 1 flip rows, bit 0 flip columns, as
#: LibRaw applies them to its own output) -> the EXIF orientation that does the same.
_FLIP_TO_EXIF = {0: 1, 1: 2, 2: 4, 3: 3, 4: 5, 5: 8, 6: 6, 7: 7}
_PREVIEW_ASPECT_TOLERANCE = 0.02


def _rawpy(path: Path) -> Any:
    try:
        import rawpy  # noqa: PLC0415 - optional, and heavy: loaded for RAW files only
    except ImportError:
        raise ImageUnreadable(path, _NEEDS["raw"]) from None
    return rawpy


def _raw_error(path: Path, exc: Exception) -> ImageUnreadable:
    name = type(exc).__name__
    if "Unsupported" in name:
        return ImageUnreadable(path, "a camera RAW file LibRaw does not support")
    detail = exc.args[0] if exc.args else name
    if isinstance(detail, bytes):  # LibRaw's messages arrive as bytes
        detail = detail.decode("utf-8", "replace")
    return ImageUnreadable(path, f"cannot be decoded as camera RAW ({detail})")


def _raw_geometry(path: Path, raw: Any) -> tuple[int, int, int]:
    """Displayed width, height and EXIF orientation of an open rawpy file."""
    sizes = raw.sizes
    w, h = int(sizes.iwidth), int(sizes.iheight)
    if (w, h) == (0, 0):
        w, h = int(sizes.width), int(sizes.height)
    _check_dimensions(path, w, h)
    orient = _FLIP_TO_EXIF.get(int(sizes.flip) & 7, 1)
    return (h, w, orient) if orient in _ROTATED else (w, h, orient)


@contextlib.contextmanager
def _raw_errors(path: Path, rawpy: Any) -> Iterator[None]:
    """LibRaw's failures as the one-line errors every photo gets."""
    try:
        yield
    except FileNotFoundError:
        raise ImageUnreadable(path, "file not found") from None
    except PermissionError:
        raise ImageUnreadable(path, "permission denied") from None
    except MemoryError:
        raise ImageTooLarge(path, "not enough memory to decode this image") from None
    except (rawpy.LibRawError, OSError, ValueError) as exc:
        raise _raw_error(path, exc) from None


def _probe_raw(path: Path) -> ImageInfo:
    rawpy = _rawpy(path)
    with _raw_errors(path, rawpy), rawpy.imread(str(path)) as raw:
        w, h, orient = _raw_geometry(path, raw)
    return ImageInfo(w, h, "RAW", orient)


def _load_raw(path: Path, need: tuple[int, int] | None) -> Image.Image:
    rawpy = _rawpy(path)
    with _raw_errors(path, rawpy), rawpy.imread(str(path)) as raw:
        w, h, orient = _raw_geometry(path, raw)
        if need is not None:
            preview = _raw_preview(raw, rawpy, (w, h), orient, need)
            if preview is not None:
                return preview
        half = need is not None and w // 2 >= need[0] and h // 2 >= need[1]
        rgb = raw.postprocess(use_camera_wb=True, half_size=half, output_bps=8,
                              output_color=rawpy.ColorSpace.sRGB)
    return Image.fromarray(np.ascontiguousarray(rgb, np.uint8))  # LibRaw flipped it


def _preview_image(thumb: Any, rawpy: Any) -> Image.Image | None:
    """The embedded preview as an (unloaded) image: a JPEG, or an 8-bit RGB bitmap."""
    if thumb.format == rawpy.ThumbFormat.JPEG:
        return Image.open(io.BytesIO(thumb.data))
    data = thumb.data
    if isinstance(data, np.ndarray) and data.ndim == 3 and data.shape[2] == 3:
        return Image.fromarray(np.ascontiguousarray(data, np.uint8))
    return None


def _raw_preview(raw: Any, rawpy: Any, size: tuple[int, int], orient: int,
                 need: tuple[int, int]) -> Image.Image | None:
    """The camera's embedded preview, upright and in sRGB, if it shows the whole frame and
    is at least ``need``; None otherwise (LibRaw develops the RAW instead)."""
    try:
        thumb = raw.extract_thumb()
    except (rawpy.LibRawError, OSError, ValueError):
        return None
    try:
        im = _preview_image(thumb, rawpy)
        if im is None:
            return None
        with im:
            own = _orientation(im)  # a preview that carries its own tag wins over flip
            turn = own if own != 1 else orient
            pw, ph = (im.height, im.width) if turn in _ROTATED else im.size
            w, h = size
            if (pw < need[0] or ph < need[1]
                    or abs(pw * h - ph * w) > _PREVIEW_ASPECT_TOLERANCE * ph * w):
                return None
            if im.format == "JPEG":
                dw, dh = (need[1], need[0]) if turn in _ROTATED else need
                im.draft("RGB", (max(1, dw), max(1, dh)))
            im.load()
            img = _colour(im)
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError):
        logger.debug("unusable RAW preview", exc_info=True)
        return None
    return _upright(img, turn)
