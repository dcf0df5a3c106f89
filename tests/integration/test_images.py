"""Photo decoding: every awkward kind of image comes out upright, 8-bit RGB and correct."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simvid_desktop.errors import ImageTooLarge, ImageUnreadable
from simvid_desktop.render.images import load_rgb, probe_image
from tests.integration.media import bomb_png, upright_marker


def test_exif_orientation_applied(tmp_path: Path) -> None:
    path = upright_marker(tmp_path / "r.jpg")
    info = probe_image(path)
    assert (info.width, info.height, info.orientation) == (180, 320, 6)
    img = np.asarray(load_rgb(path)).astype(int)
    assert img.shape == (320, 180, 3)
    assert img[10, 90, 0] > 180 and img[300, 90, 2] > 180  # red on top, blue below


def test_16_bit_grey_is_scaled_not_clipped(tmp_path: Path) -> None:
    arr = np.full((40, 40), 32768, np.uint16)
    Image.fromarray(arr).save(tmp_path / "g16.png")
    out = np.asarray(load_rgb(tmp_path / "g16.png"))
    assert abs(int(out[5, 5, 0]) - 128) <= 1 and out[5, 5, 0] == out[5, 5, 2]


def test_alpha_is_composited_not_revealed(tmp_path: Path) -> None:
    rgba = Image.new("RGBA", (20, 20), (255, 0, 0, 0))  # red hidden under alpha 0
    rgba.paste((0, 200, 0, 255), (0, 0, 10, 20))
    rgba.save(tmp_path / "a.png")
    out = np.asarray(load_rgb(tmp_path / "a.png"))
    assert tuple(out[5, 15]) == (0, 0, 0)
    assert tuple(out[5, 5]) == (0, 200, 0)


def test_palette_with_transparency(tmp_path: Path) -> None:
    p = Image.new("P", (10, 10), 1)
    p.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    p.info["transparency"] = 0
    p.paste(0, (0, 0, 5, 10))
    p.save(tmp_path / "p.png", transparency=0)
    out = np.asarray(load_rgb(tmp_path / "p.png"))
    assert tuple(out[5, 2]) == (0, 0, 0) and tuple(out[5, 8]) == (0, 0, 255)


def test_cmyk_greyscale_and_animated(tmp_path: Path) -> None:
    Image.new("CMYK", (16, 16), (0, 255, 255, 0)).save(tmp_path / "c.jpg")
    red = np.asarray(load_rgb(tmp_path / "c.jpg")).astype(int)[8, 8]
    assert red[0] > 200 and red[1] < 50 and red[2] < 50
    Image.new("L", (16, 16), 77).save(tmp_path / "l.png")
    assert tuple(np.asarray(load_rgb(tmp_path / "l.png"))[3, 3]) == (77, 77, 77)
    frames = [Image.new("RGB", (16, 16), c) for c in ((0, 0, 255), (255, 0, 0))]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    first = np.asarray(load_rgb(tmp_path / "anim.gif")).astype(int)[8, 8]
    assert first[2] > 200 and first[0] < 50


def test_format_sniffed_by_content(tmp_path: Path) -> None:
    Image.new("RGB", (8, 8), (10, 20, 30)).save(tmp_path / "really_png.jpg", "PNG")
    assert probe_image(tmp_path / "really_png.jpg").format == "PNG"
    (tmp_path / "text.jpg").write_text("not an image")
    with pytest.raises(ImageUnreadable, match="text.jpg: not an image"):
        probe_image(tmp_path / "text.jpg")


def test_bomb_rejected_before_decoding(tmp_path: Path) -> None:
    with pytest.raises(ImageTooLarge, match=r"bomb.png: 900 MP is larger than the 300 MP limit"):
        load_rgb(bomb_png(tmp_path / "bomb.png"))
    # Between our limit and Pillow's (2x): refused by our own header check.
    with pytest.raises(ImageTooLarge, match=r"20000x20000 \(400 MP\) is larger"):
        probe_image(bomb_png(tmp_path / "bomb2.png", 20000, 20000))


def test_truncated_and_missing(tmp_path: Path) -> None:
    Image.new("RGB", (64, 64), (1, 2, 3)).save(tmp_path / "t.jpg")
    data = (tmp_path / "t.jpg").read_bytes()
    (tmp_path / "t.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageUnreadable, match="t.jpg"):
        load_rgb(tmp_path / "t.jpg")
    with pytest.raises(ImageUnreadable, match="file not found"):
        load_rgb(tmp_path / "nope.jpg")


def test_jpeg_decoded_at_reduced_scale(tmp_path: Path) -> None:
    Image.new("RGB", (4000, 3000), (9, 9, 9)).save(tmp_path / "big.jpg")
    img = load_rgb(tmp_path / "big.jpg", need=(640, 480))
    assert img.size == (1000, 750)  # libjpeg's 1/4 scale, still >= the need
