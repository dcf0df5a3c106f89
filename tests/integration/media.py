"""Making test media and reading rendered videos back, with the bundled ffmpeg only."""

from __future__ import annotations

import os
import re
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from simvid_desktop.render.ffmpeg import ffmpeg_exe

FF = ffmpeg_exe()


def solid(path: Path, color: tuple[int, int, int], size: tuple[int, int] = (320, 180),
          fmt: str | None = None) -> Path:
    Image.new("RGB", size, color).save(path, fmt)
    return path


def upright_marker(path: Path, size: tuple[int, int] = (180, 320)) -> Path:
    """A portrait photo whose DISPLAYED top is red and the rest blue, stored rotated with
    EXIF orientation 6 (so a renderer ignoring EXIF shows it sideways)."""
    w, h = size
    img = Image.new("RGB", (w, h), (20, 40, 220))
    img.paste((230, 20, 20), (0, 0, w, h // 4))
    stored = img.transpose(Image.Transpose.ROTATE_90)  # displayed = stored rotated 90 CW
    exif = Image.Exif()
    exif[0x0112] = 6
    stored.save(path, "JPEG", quality=95, exif=exif.tobytes())
    return path


def tone(path: Path, seconds: float, freq: int = 440) -> Path:
    subprocess.run(
        [FF, "-v", "error", "-y", "-f", "lavfi", "-i",
         f"sine=frequency={freq}:sample_rate=44100:duration={seconds}", "-ac", "2", str(path)],
        check=True,
    )
    return path


def bomb_png(path: Path, width: int = 30000, height: int = 30000) -> Path:
    """A valid PNG header announcing a huge image, with almost no data behind it."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
                     + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))
    return path


def probe(path: Path) -> dict[str, object]:
    err = subprocess.run([FF, "-hide_banner", "-i", str(path)], capture_output=True,
                         text=True).stderr
    info: dict[str, object] = {}
    m = re.search(r"Duration: (\d+):(\d+):([\d.]+)", err)
    info["duration"] = int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3]) if m else None
    v = re.search(r"Video: (\w+).*?, (yuv\w+)\(([^)]*)\), (\d+)x(\d+).*?([\d.]+) fps", err)
    if v:
        info.update(vcodec=v[1], pix_fmt=v[2], color=v[3], width=int(v[4]), height=int(v[5]),
                    fps=float(v[6]))
    a = re.search(r"Audio: (\w+).*?(\d+) Hz, (\w+)", err)
    info["audio"] = (a[1], int(a[2]), a[3]) if a else None
    info["faststart"] = _moov_before_mdat(path)
    return info


def _moov_before_mdat(path: Path) -> bool:
    data = path.read_bytes()
    moov, mdat = data.find(b"moov"), data.find(b"mdat")
    return 0 <= moov < mdat


def frames_rgb(path: Path, width: int, height: int) -> np.ndarray:
    """Every decoded frame as (N, H, W, 3) uint8."""
    raw = subprocess.run(
        [FF, "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True, check=True,
    ).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)


def audio_samples(path: Path, rate: int = 8000) -> np.ndarray:
    """The decoded audio, mono float32 at ``rate`` Hz."""
    raw = subprocess.run(
        [FF, "-v", "error", "-i", str(path), "-map", "0:a:0", "-ac", "1", "-ar", str(rate),
         "-f", "f32le", "-"], capture_output=True, check=True,
    ).stdout
    return np.frombuffer(raw, np.float32)


def ffmpeg_children() -> list[int]:
    """PIDs of live ffmpeg processes whose parent is this test process."""
    me = os.getpid()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.find("(") + 1 : stat.rfind(")")]
        fields = stat[stat.rfind(")") + 2 :].split()
        if "ffmpeg" in comm and int(fields[1]) == me and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".simvid-part" in p.name)
