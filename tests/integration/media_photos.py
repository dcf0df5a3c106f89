"""Making test photos in the formats phones and cameras write: HEIC (with each way of
storing orientation), AVIF, WebP, JPEG XL, DNG, and wide-gamut (Display P3) tagged ones.

Everything is generated: no binary photo or ICC profile is committed. The libraries that
write them (pillow-heif, pillow-jxl-plugin, tifffile) are imported inside the functions,
so a test module can skip cleanly where one is missing.
"""

from __future__ import annotations

import struct
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image

RED, BLUE, GREEN = (230, 20, 20), (20, 40, 220), (20, 200, 40)


def marker(size: tuple[int, int] = (96, 160)) -> Image.Image:
    """A photo as it must be DISPLAYED: red block top-left, green strip along the bottom,
    blue elsewhere, so a rotation, a mirror or a flip each moves a colour somewhere else."""
    w, h = size
    img = Image.new("RGB", size, BLUE)
    img.paste(RED, (0, 0, w // 3, h // 4))
    img.paste(GREEN, (0, h * 3 // 4, w, h))
    return img


def marker_ok(arr: np.ndarray, size: tuple[int, int] = (96, 160), tol: int = 40) -> bool:
    """Whether ``arr`` (H, W, 3) is :func:`marker` of ``size`` displayed upright."""
    w, h = size
    if arr.shape[:2] != (h, w):
        return False
    at = {(w // 6, h // 8): RED, (w * 5 // 6, h // 8): BLUE, (w // 2, h // 2): BLUE,
          (w // 6, h * 7 // 8): GREEN, (w * 5 // 6, h * 7 // 8): GREEN}
    return all(np.abs(arr[y, x].astype(int) - c).max() <= tol for (x, y), c in at.items())


def exif_with_orientation(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    return exif.tobytes()


def _set_exif_orientation(path: Path, old: int, new: int) -> None:
    """Rewrite the EXIF orientation entry in place (tag 0x0112, type SHORT, count 1,
    value, in the block's byte order). The entry keeps its length, so no offset in the
    file moves."""
    data = path.read_bytes()
    for order in "<>":
        entry = struct.pack(f"{order}HHIH", 0x0112, 3, 1, old)
        if data.count(entry) == 1:
            path.write_bytes(data.replace(entry, struct.pack(f"{order}HHIH", 0x0112, 3, 1, new)))
            return
    raise AssertionError("expected exactly one EXIF orientation entry")


def heic(path: Path, img: Image.Image, **kwargs: object) -> Path:
    from pillow_heif import from_pillow

    from_pillow(img).save(path, quality=95, chroma=444, **kwargs)
    return path


def heic_iphone(path: Path) -> Path:
    """What an iPhone writes for a portrait photo: pixels stored sideways, an ``irot``
    transform AND the EXIF orientation 6 saying the same (pillow-heif turns the EXIF
    orientation it is given into ``irot`` and keeps the tag)."""
    stored = marker().transpose(Image.Transpose.ROTATE_90)  # displayed = stored turned CW
    heic(path, stored, exif=exif_with_orientation(6))
    assert b"irot" in path.read_bytes()
    return path


def heic_irot_only(path: Path) -> Path:
    """Pixels stored sideways, an ``irot`` transform, EXIF orientation 1."""
    heic_iphone(path)
    _set_exif_orientation(path, 6, 1)
    return path


def heic_exif_only(path: Path) -> Path:
    """Pixels stored sideways, no ``irot``, EXIF orientation 6: the HEIF standards make the
    container's transforms the only orientation, so this one displays as stored."""
    stored = marker().transpose(Image.Transpose.ROTATE_90)
    heic(path, stored, exif=exif_with_orientation(1))
    assert b"irot" not in path.read_bytes()
    _set_exif_orientation(path, 1, 6)
    return path


# --- ICC profiles -------------------------------------------------------------------------

D65 = (0.3127, 0.3290)
SRGB_PRIMARIES = ((0.64, 0.33), (0.30, 0.60), (0.15, 0.06))
P3_PRIMARIES = ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060))
_BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367],
                      [0.0389, -0.0685, 1.0296]])
_D50_XYZ = np.array([0.9642, 1.0, 0.8249])


def rgb_to_xyz(primaries: tuple[tuple[float, float], ...],
               white: tuple[float, float] = D65) -> np.ndarray:
    """Linear RGB -> XYZ matrix of an RGB space given by its xy chromaticities."""
    def xyz(x: float, y: float) -> np.ndarray:
        return np.array([x / y, 1.0, (1 - x - y) / y])

    m = np.stack([xyz(*p) for p in primaries], axis=1)
    return m * np.linalg.solve(m, xyz(*white))


def srgb_decode(v: np.ndarray) -> np.ndarray:
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def srgb_encode(v: np.ndarray) -> np.ndarray:
    v = np.clip(v, 0.0, 1.0)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055)


def p3_to_srgb(rgb: tuple[int, int, int]) -> np.ndarray:
    """What a Display P3 colour is in sRGB (clipped), computed here independently of
    LittleCMS: decode the sRGB curve, P3 -> XYZ -> sRGB, clip, encode."""
    m = np.linalg.solve(rgb_to_xyz(SRGB_PRIMARIES), rgb_to_xyz(P3_PRIMARIES))
    linear = srgb_decode(np.array(rgb, float) / 255.0)
    return srgb_encode(m @ linear) * 255.0


def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def _tag_xyz(xyz: np.ndarray) -> bytes:
    return b"XYZ \0\0\0\0" + b"".join(_s15(float(c)) for c in xyz)


def _tag_desc(text: str) -> bytes:
    """ICC v2 textDescriptionType: ASCII part, empty Unicode and ScriptCode parts."""
    ascii_ = text.encode("ascii") + b"\0"
    return (b"desc\0\0\0\0" + struct.pack(">I", len(ascii_)) + ascii_
            + struct.pack(">II", 0, 0) + struct.pack(">HB", 0, 0) + b"\0" * 67)


def _tag_srgb_curve() -> bytes:
    """curveType sampled from the sRGB transfer function (Display P3 uses the same)."""
    n = 1024
    table = np.round(srgb_decode(np.linspace(0, 1, n)) * 65535).astype(">u2")
    return b"curv\0\0\0\0" + struct.pack(">I", n) + table.tobytes()


def matrix_trc_icc(primaries: tuple[tuple[float, float], ...], name: str) -> bytes:
    """A minimal ICC v2 display profile (matrix/TRC, the kind cameras and phones embed).

    Header (128 bytes), tag table, then the tags: ``desc``, ``cprt``, ``wtpt`` (D50, as
    v2 display profiles state it after adaptation), ``rXYZ``/``gXYZ``/``bXYZ`` (the
    primaries' columns of the RGB -> XYZ matrix, Bradford-adapted from D65 to the D50 PCS)
    and one shared sRGB-curve ``rTRC``/``gTRC``/``bTRC``. Tag data is 4-byte aligned.
    """
    m = rgb_to_xyz(primaries)
    src_white = m @ np.ones(3)
    scale = (_BRADFORD @ _D50_XYZ) / (_BRADFORD @ src_white)
    m50 = np.linalg.inv(_BRADFORD) @ np.diag(scale) @ _BRADFORD @ m
    curve = _tag_srgb_curve()
    tags: list[tuple[bytes, bytes]] = [
        (b"desc", _tag_desc(name)),
        (b"cprt", b"text\0\0\0\0" + b"No copyright, generated for tests\0"),
        (b"wtpt", _tag_xyz(_D50_XYZ)),
        (b"rXYZ", _tag_xyz(m50[:, 0])), (b"gXYZ", _tag_xyz(m50[:, 1])),
        (b"bXYZ", _tag_xyz(m50[:, 2])),
        (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve),
    ]
    table_size = 4 + 12 * len(tags)
    offset = 128 + table_size
    entries, blobs, placed = [], b"", {}
    for sig, data in tags:
        if data not in placed:  # the three TRCs share one copy
            placed[data] = offset + len(blobs)
            blobs += data + b"\0" * (-len(data) % 4)
        entries.append(struct.pack(">4sII", sig, placed[data], len(data)))
    body = struct.pack(">I", len(tags)) + b"".join(entries) + blobs
    size = 128 + len(body)
    header = (struct.pack(">I", size) + b"none" + bytes((2, 0x10, 0, 0)) + b"mntr"
              + b"RGB " + b"XYZ " + struct.pack(">6H", 2026, 1, 1, 0, 0, 0) + b"acsp"
              + b"\0" * 4 + struct.pack(">I", 0) + b"\0" * 8 + struct.pack(">Q", 0)
              + struct.pack(">I", 0) + b"".join(_s15(v) for v in _D50_XYZ) + b"none"
              + b"\0" * 16 + b"\0" * 28)
    assert len(header) == 128
    return header + body


def display_p3_icc() -> bytes:
    return matrix_trc_icc(P3_PRIMARIES, "Display P3 (test)")


# --- camera RAW ---------------------------------------------------------------------------

def _rationals(values: np.ndarray | list[float]) -> list[int]:
    out: list[int] = []
    for v in np.asarray(values, float).ravel():
        f = Fraction(float(v)).limit_denominator(100000)
        out += [f.numerator, f.denominator]
    return out


def raw_scene(size: tuple[int, int] = (96, 64)) -> np.ndarray:
    """Linear scene light (H, W, 3) as DISPLAYED: an 18 % grey left half, a red right half,
    a blue marker in the top-left corner."""
    w, h = size
    lin = np.zeros((h, w, 3))
    lin[:, : w // 2] = 0.18
    lin[:, w // 2 :] = (0.5, 0.03, 0.03)
    lin[: h // 4, : w // 6] = (0.02, 0.02, 0.6)
    return lin


def dng(path: Path, scene: np.ndarray, orientation: int = 1,
        preview: np.ndarray | None = None) -> Path:
    """A minimal valid CFA DNG 1.4 of ``scene`` (linear light, displayed orientation).

    The sensor is an RGGB Bayer mosaic, 12-bit, whose colour filters are exactly linear
    sRGB, so ``ColorMatrix1`` (XYZ -> camera, under D65 = ``CalibrationIlluminant1`` 21) is
    the XYZ -> linear sRGB matrix, and ``AsShotNeutral`` 1, 1, 1 says grey is grey.
    ``orientation`` (an EXIF/TIFF value) is written as the Orientation tag and the mosaic is
    stored accordingly, as a camera held sideways stores it. With ``preview`` (8-bit RGB,
    displayed orientation), IFD0 holds that preview and the mosaic goes in a SubIFD, the
    layout of camera DNGs.
    """
    import tifffile

    stored = _store(scene, orientation)
    white = 4095
    cfa = np.zeros(stored.shape[:2], np.uint16)
    for (dy, dx), ch in (((0, 0), 0), ((0, 1), 1), ((1, 0), 1), ((1, 1), 2)):
        cfa[dy::2, dx::2] = np.round(np.clip(stored[dy::2, dx::2, ch], 0, 1) * white)
    xyz_to_cam = np.linalg.inv(rgb_to_xyz(SRGB_PRIMARIES))
    dng_tags = [
        (50706, "B", 4, (1, 4, 0, 0), True),  # DNGVersion
        (50707, "B", 4, (1, 1, 0, 0), True),  # DNGBackwardVersion
        (50708, "s", 0, "Simvid Test Camera", True),  # UniqueCameraModel
        (50721, "2i", 9, _rationals(xyz_to_cam), True),  # ColorMatrix1
        (50778, "H", 1, 21, True),  # CalibrationIlluminant1: D65
        (50728, "2I", 3, _rationals([1, 1, 1]), True),  # AsShotNeutral
        (274, "H", 1, orientation, True),  # Orientation
    ]
    cfa_tags = [
        (33421, "H", 2, (2, 2), True),  # CFARepeatPatternDim
        (33422, "B", 4, (0, 1, 1, 2), True),  # CFAPattern: R G / G B
        (50717, "I", 1, white, True),  # WhiteLevel
    ]
    with tifffile.TiffWriter(path) as tif:
        if preview is None:
            tif.write(cfa, photometric=32803, subfiletype=0, extratags=dng_tags + cfa_tags,
                      metadata=None)
        else:
            tif.write(_store(preview, orientation), photometric="rgb", subfiletype=1,
                      subifds=1, extratags=dng_tags, metadata=None)
            tif.write(cfa, photometric=32803, subfiletype=0, extratags=cfa_tags,
                      metadata=None)
    return path


def _store(displayed: np.ndarray, orientation: int) -> np.ndarray:
    """The pixels as a camera stores them for ``orientation`` 1, 3, 6 or 8."""
    turns = {1: 0, 3: 2, 6: 1, 8: 3}[orientation]  # np.rot90 turns counter-clockwise
    return np.ascontiguousarray(np.rot90(displayed, turns))
