"""Every photo a phone or camera makes decodes upright, in sRGB, and renders.

HEIC (each way of storing orientation), AVIF, WebP, JPEG XL, camera RAW (DNG), Display P3
tagged photos, a missing codec, and a render of a folder of them end to end.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simvid_desktop.errors import ImageTooLarge, ImageUnreadable
from simvid_desktop.render import images, photo_headers
from simvid_desktop.render.images import load_rgb, probe_image
from tests.integration.media import frames_rgb
from tests.integration.media_photos import (
    BLUE,
    GREEN,
    RED,
    display_p3_icc,
    dng,
    exif_with_orientation,
    heic,
    heic_exif_only,
    heic_iphone,
    heic_irot_only,
    marker,
    marker_ok,
    p3_to_srgb,
    raw_scene,
)

pytest.importorskip("pillow_heif")
pytest.importorskip("pillow_jxl")
pytest.importorskip("rawpy")
pytest.importorskip("tifffile")

ROOT = Path(__file__).resolve().parents[2]


def pixels(path: Path, need: tuple[int, int] | None = None) -> np.ndarray:
    return np.asarray(load_rgb(path, need)).astype(int)


# --- HEIC orientation --------------------------------------------------------------------

@pytest.mark.parametrize("make", [heic_iphone, heic_irot_only],
                         ids=["irot-and-exif-6 (iPhone)", "irot-only"])
def test_heic_rotated_by_irot_is_upright_once(tmp_path: Path, make: object) -> None:
    path = make(tmp_path / "IMG_0001.HEIC")  # type: ignore[operator]
    info = probe_image(path)
    assert (info.width, info.height, info.format) == (96, 160, "HEIF")
    assert info.orientation == 1  # libheif applies irot; nothing left to apply
    assert marker_ok(pixels(path))


def test_heic_exif_orientation_without_irot_is_applied(tmp_path: Path) -> None:
    """Some converters write a HEIF with the pixels sideways, no irot/imir, and an EXIF
    orientation: the photo is upright, turned once (as a JPEG with that tag is)."""
    path = heic_exif_only(tmp_path / "exif.heic")
    info = probe_image(path)
    assert (info.width, info.height) == (96, 160)
    assert marker_ok(pixels(path))
    assert marker_ok(pixels(path, need=(24, 40)))


def test_heic_plain_and_thumbnail_sized(tmp_path: Path) -> None:
    path = heic(tmp_path / "plain.heif", marker())
    assert marker_ok(pixels(path))
    small = pixels(path, need=(24, 40))  # draft: a thumbnail only if one is big enough
    assert marker_ok(small)


# --- AVIF, WebP, JPEG XL -----------------------------------------------------------------

@pytest.mark.parametrize(("fmt", "suffix", "kwargs"), [
    ("AVIF", ".avif", {"quality": 95}),
    ("WEBP", ".webp", {"lossless": True}),
    ("JXL", ".jxl", {"lossless": True}),
])
def test_round_trip(tmp_path: Path, fmt: str, suffix: str, kwargs: dict[str, object]) -> None:
    images._codecs()  # registers the JPEG XL writer too
    path = tmp_path / f"m{suffix}"
    marker().save(path, fmt, **kwargs)
    info = probe_image(path)
    assert (info.width, info.height) == (96, 160)
    assert marker_ok(pixels(path), tol=40 if fmt == "AVIF" else 0)


def test_avif_orientation_applied_once(tmp_path: Path) -> None:
    """Pillow writes the EXIF orientation as AVIF irot and reads irot back as EXIF."""
    path = tmp_path / "r.avif"
    marker().transpose(Image.Transpose.ROTATE_90).save(
        path, "AVIF", quality=95, exif=exif_with_orientation(6))
    info = probe_image(path)
    assert (info.width, info.height, info.orientation) == (96, 160, 6)
    assert marker_ok(pixels(path))


def test_jxl_header_size_checked_before_decoding(tmp_path: Path) -> None:
    images._codecs()
    for size in ((96, 160), (300, 200), (8, 8), (1000, 1)):
        Image.new("RGB", size, RED).save(tmp_path / "s.jxl", "JXL", lossless=True)
        assert photo_headers.jxl_size(tmp_path / "s.jxl") == size
        Image.new("RGB", size, RED).save(tmp_path / "c.jxl", "JXL", lossless=True,
                                         use_container=True)
        assert photo_headers.jxl_size(tmp_path / "c.jxl") == size


# --- colour management -------------------------------------------------------------------

P3_PATCHES = [(255, 0, 0), (0, 255, 0), (200, 120, 80), (128, 128, 128)]


def p3_photo() -> Image.Image:
    img = Image.new("RGB", (64, 64))
    for i, colour in enumerate(P3_PATCHES):
        img.paste(colour, ((i % 2) * 32, (i // 2) * 32, (i % 2) * 32 + 32, (i // 2) * 32 + 32))
    return img


def patch_colours(arr: np.ndarray) -> list[np.ndarray]:
    return [arr[(i // 2) * 32 + 16, (i % 2) * 32 + 16] for i in range(len(P3_PATCHES))]


@pytest.mark.parametrize("suffix", [".png", ".heic", ".avif"])
def test_display_p3_converted_to_srgb(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"p3{suffix}"
    tagged, untagged = tmp_path / f"tagged{suffix}", tmp_path / f"untagged{suffix}"
    if suffix == ".heic":
        heic(tagged, p3_photo(), icc_profile=display_p3_icc())
        heic(untagged, p3_photo())
    else:
        p3_photo().save(tagged, icc_profile=display_p3_icc(), quality=100)
        p3_photo().save(untagged, quality=100)
    del path
    tol = 1 if suffix == ".png" else 6
    got = patch_colours(pixels(tagged))
    for colour, out in zip(P3_PATCHES, got, strict=True):
        assert np.abs(out - p3_to_srgb(colour)).max() <= tol + 1, (colour, out)
    # the saturated P3 red is outside sRGB: clipped to sRGB's own red
    assert got[0][0] >= 250 and got[0][1] <= 5 + tol and got[0][2] <= 5 + tol
    assert got[2][0] >= 208 and got[2][2] <= 76  # untagged it would be (200, 120, 80)
    for colour, out in zip(P3_PATCHES, patch_colours(pixels(untagged)), strict=True):
        assert np.abs(out - colour).max() <= tol, (colour, out)  # untagged: unchanged


def test_heic_nclx_display_p3_converted(tmp_path: Path) -> None:
    """No ICC, only an nclx colour box naming Display P3 primaries (Android phones)."""
    tagged = heic(tmp_path / "nclx.heic", p3_photo(), color_primaries=12,
                  transfer_characteristics=13, matrix_coefficients=1, full_range_flag=1)
    got = patch_colours(pixels(tagged))
    for colour, out in zip(P3_PATCHES, got, strict=True):
        assert np.abs(out - p3_to_srgb(colour)).max() <= 7, (colour, out)
    plain = heic(tmp_path / "bt709.heic", p3_photo(), color_primaries=1,
                 transfer_characteristics=13, matrix_coefficients=1, full_range_flag=1)
    for colour, out in zip(P3_PATCHES, patch_colours(pixels(plain)), strict=True):
        assert np.abs(out - colour).max() <= 6, (colour, out)


def test_broken_profile_is_taken_as_srgb(tmp_path: Path) -> None:
    broken = display_p3_icc()[:200]
    p3_photo().save(tmp_path / "b.png", icc_profile=broken)
    for colour, out in zip(P3_PATCHES, patch_colours(pixels(tmp_path / "b.png")), strict=True):
        assert tuple(out) == colour


# --- camera RAW ----------------------------------------------------------------------------

def test_dng_develops_to_the_right_colours(tmp_path: Path) -> None:
    path = dng(tmp_path / "IMG_0001.DNG", raw_scene())
    info = probe_image(path)
    assert (info.width, info.height, info.format) == (96, 64, "RAW")
    out = pixels(path)
    assert out.shape == (64, 96, 3)
    grey, red, blue = out[40, 20], out[40, 70], out[4, 4]
    assert np.ptp(grey) <= 6 and 100 <= grey.mean() <= 200  # grey stays grey, not dark
    assert red[0] > 180 and red[1] < 80 and red[2] < 80
    assert blue[2] > 180 and blue[0] < 80 and blue[1] < 80


@pytest.mark.parametrize("orientation", [6, 8, 3])
def test_dng_orientation_applied_once(tmp_path: Path, orientation: int) -> None:
    path = dng(tmp_path / "r.dng", raw_scene(), orientation=orientation)
    info = probe_image(path)
    assert (info.width, info.height, info.orientation) == (96, 64, orientation)
    for need in (None, (40, 30)):  # full develop; half size
        out = pixels(path, need)
        h, w = out.shape[:2]
        assert (w, h) == ((96, 64) if need is None else (48, 32))
        assert out[h // 16, w // 24, 2] > 180  # the blue marker is top-left
        assert out[h // 2, w * 3 // 4, 0] > 180  # red on the right


def test_dng_embedded_preview_used_when_big_enough(tmp_path: Path) -> None:
    """The preview is the camera's own rendering: here a green one, to tell it apart."""
    preview = np.zeros((64, 96, 3), np.uint8)
    preview[:] = GREEN
    preview[:16, :16] = BLUE
    path = dng(tmp_path / "p.dng", raw_scene(), orientation=6, preview=preview)
    assert (probe_image(path).width, probe_image(path).height) == (96, 64)
    small = pixels(path, need=(48, 32))
    assert small.shape == (64, 96, 3)  # the preview, upright
    assert tuple(small[30, 60]) == GREEN and tuple(small[4, 4]) == BLUE
    big = pixels(path, need=(192, 128))  # bigger than the preview: LibRaw develops it
    assert big.shape == (64, 96, 3) and big[40, 70, 0] > 180 and big[4, 4, 2] > 180


def test_raw_named_file_that_is_a_jpeg_still_opens(tmp_path: Path) -> None:
    marker().save(tmp_path / "odd.dng", "JPEG", quality=95)
    assert marker_ok(pixels(tmp_path / "odd.dng"))


@pytest.mark.parametrize(("name", "data"), [
    ("bad.nef", b"II*\x00\x08\x00\x00\x00" + b"\x00" * 64),
    ("bad.raf", b"FUJIFILMCCD-RAW 0201" + b"\x00" * 64),
])
def test_corrupt_raw_is_one_clear_line(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    for call in (probe_image, load_rgb):
        with pytest.raises(ImageUnreadable) as err:
            call(path)
        message = str(err.value)
        assert message.startswith(f"{path}: ") and "\n" not in message and "b'" not in message


# --- missing codecs ------------------------------------------------------------------------

def test_missing_rawpy_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = dng(tmp_path / "x.dng", raw_scene())
    monkeypatch.setitem(sys.modules, "rawpy", None)  # import rawpy -> ImportError
    for call in (probe_image, load_rgb):
        with pytest.raises(ImageUnreadable) as err:
            call(path)
        assert str(err.value) == f"{path}: camera RAW needs rawpy, which is not installed"


def test_missing_heif_and_jxl_plugins_are_one_clear_line(tmp_path: Path) -> None:
    """In a fresh process where pillow-heif and pillow-jxl-plugin cannot be imported."""
    heic(tmp_path / "a.heic", marker())
    images._codecs()
    marker().save(tmp_path / "a.jxl", "JXL", lossless=True)
    code = (
        "import sys\n"
        "sys.modules['pillow_heif'] = None\n"
        "sys.modules['pillow_jxl'] = None\n"
        "from simvid_desktop.render.images import probe_image\n"
        "from simvid_desktop.errors import ImageTooLarge, ImageUnreadable\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n"
        "        probe_image(name)\n"
        "    except ImageUnreadable as exc:\n"
        "        print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "a.heic"), str(tmp_path / "a.jxl")],
        capture_output=True, text=True, check=True, cwd=ROOT, timeout=60,
    ).stdout.splitlines()
    assert out == [f"{tmp_path / 'a.heic'}: HEIC/HEIF needs pillow-heif, which is not installed",
                   f"{tmp_path / 'a.jxl'}: JPEG XL needs pillow-jxl-plugin, which is not installed"]


# --- end to end --------------------------------------------------------------------------

def test_render_a_folder_of_phone_and_camera_photos(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    solid = Image.new("RGB", (160, 90), RED)
    heic(folder / "1.heic", solid)
    Image.new("RGB", (160, 90), BLUE).save(folder / "2.avif", quality=95)
    images._codecs()
    Image.new("RGB", (160, 90), GREEN).save(folder / "3.jxl", "JXL", lossless=True)
    Image.new("RGB", (160, 90), (230, 230, 230)).save(folder / "4.webp", lossless=True)
    dng(folder / "5.dng", np.full((90, 160, 3), 0.18))
    out = tmp_path / "out.mp4"
    result = subprocess.run(
        [sys.executable, "-m", "simvid_desktop", "render", str(folder), "-o", str(out),
         "--resolution", "160x90", "--duration", "1", "--transition", "none",
         "--motion", "none", "--fps", "24", "--progress", "none"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    frames = frames_rgb(out, 160, 90).astype(int)
    n = len(frames)
    assert n >= 5 * 24
    mids = [frames[int((i + 0.5) * n / 5)][45, 80] for i in range(5)]
    assert mids[0][0] > 180 and mids[0][1] < 60  # HEIC red
    assert mids[1][2] > 180 and mids[1][0] < 60  # AVIF blue
    assert mids[2][1] > 160 and mids[2][0] < 60  # JXL green
    assert mids[3].min() > 200  # WebP near white
    assert np.ptp(mids[4]) < 12 and mids[4].mean() > 60  # DNG grey, not dark


# --- more edge cases -----------------------------------------------------------------------

def test_transparent_p3_photo_is_composited_then_converted(tmp_path: Path) -> None:
    rgba = Image.new("RGBA", (32, 32), (200, 120, 80, 255))
    rgba.paste((255, 0, 0, 0), (0, 0, 16, 32))  # hidden red must not show
    rgba.save(tmp_path / "a.png", icc_profile=display_p3_icc())
    out = pixels(tmp_path / "a.png")
    assert tuple(out[16, 8]) == (0, 0, 0)
    assert np.abs(out[16, 24] - p3_to_srgb((200, 120, 80))).max() <= 2


def test_heic_primary_image_is_the_one_shown(tmp_path: Path) -> None:
    from pillow_heif import from_pillow

    heif = from_pillow(Image.new("RGB", (64, 48), BLUE))
    heif.add_from_pillow(Image.new("RGB", (64, 48), RED))
    heif.save(tmp_path / "two.heic", quality=95, primary_index=1)
    assert tuple(pixels(tmp_path / "two.heic")[24, 32]) == pytest.approx(RED, abs=12)


def _jxl_header(width: int, height: int) -> bytes:
    """A JPEG XL codestream signature and SizeHeader (no image data behind it)."""
    bits = [0]  # div8 = 0
    for value in (height, width):  # each a U32 with selector 3: 1 + u(30)
        bits += [1, 1] + [((value - 1) >> i) & 1 for i in range(30)]
        if value == height:
            bits += [0, 0, 0]  # ratio 0: the width follows
    data = bytearray((len(bits) + 7) // 8 + 8)
    for i, bit in enumerate(bits):
        data[i >> 3] |= bit << (i & 7)
    return b"\xff\x0a" + bytes(data)


def test_huge_jxl_refused_from_its_header(tmp_path: Path) -> None:
    path = tmp_path / "bomb.jxl"
    path.write_bytes(_jxl_header(40000, 30000))
    assert photo_headers.jxl_size(path) == (40000, 30000)
    for call in (probe_image, load_rgb):
        with pytest.raises(ImageTooLarge, match="40000x30000"):
            call(path)
