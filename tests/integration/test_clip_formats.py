"""Every container and codec a clip arrives in: sniffed as video by its content, probed,
and its frames read in the right colour, position and length."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from simvid_desktop.model.media_types import MediaKind, sniff_file
from simvid_desktop.model.project import FitMode
from simvid_desktop.render.clips import ClipReader, probe_clip
from simvid_desktop.render.yuv import frame_to_rgb
from tests.integration.media import FF

RED, BLUE = (230, 20, 20), (20, 40, 220)

#: (file name, ffmpeg codec options): the containers and codecs phones, cameras and
#: editors write.
FORMATS = [
    ("h264.mp4", ["-c:v", "libx264", "-pix_fmt", "yuv420p"]),
    ("hevc10.mov", ["-c:v", "libx265", "-pix_fmt", "yuv420p10le", "-tag:v", "hvc1",
                    "-x265-params", "log-level=error"]),
    ("vp9.webm", ["-c:v", "libvpx-vp9", "-pix_fmt", "yuv420p", "-b:v", "0", "-crf", "20",
                  "-deadline", "realtime", "-cpu-used", "8"]),
    ("av1.mkv", ["-c:v", "libsvtav1", "-pix_fmt", "yuv420p", "-crf", "30", "-preset", "12"]),
    ("prores.mov", ["-c:v", "prores_ks", "-profile:v", "2", "-pix_fmt", "yuv422p10le"]),
    ("mjpeg.avi", ["-c:v", "mjpeg", "-pix_fmt", "yuvj420p", "-q:v", "2"]),
    ("phone.3gp", ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-profile:v", "baseline"]),
]


def clip(path: Path, options: list[str]) -> Path:
    """1 s at 25 fps of 128x72: red left half, blue right half, coded and tagged BT.709
    as cameras do (MJPEG: BT.601 full range, as JPEG is)."""
    tags = ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709"]
    matrix = "bt601:out_range=pc" if "mjpeg" in options else "bt709:out_range=tv"
    subprocess.run([FF, "-v", "error", "-y", "-f", "lavfi", "-i",
                    "color=c=0x1428DC:s=128x72:r=25:d=1", "-vf",
                    "drawbox=x=0:y=0:w=64:h=72:color=0xE61414:t=fill,"
                    f"scale=out_color_matrix={matrix}", *options,
                    *([] if "mjpeg" in options else tags), str(path)], check=True)
    return path


@pytest.mark.parametrize(("name", "options"), FORMATS, ids=[n for n, _ in FORMATS])
def test_clip_format(tmp_path: Path, name: str, options: list[str]) -> None:
    path = clip(tmp_path / name, options)
    renamed = path.rename(tmp_path / "no_suffix")  # what it is comes from its bytes
    assert sniff_file(renamed) is MediaKind.VIDEO
    info = probe_clip(renamed)
    assert (info.width, info.height) == (128, 72)
    assert abs(info.duration - 1.0) < 0.05 and abs(info.fps - 25) < 0.01, info
    with ClipReader(info, (128, 72), FitMode.LETTERBOX, 25) as reader:
        rgb = frame_to_rgb(reader.frame_at(0.5)).astype(int)
    assert np.abs(rgb[36, 20] - RED).max() <= 16, rgb[36, 20]
    assert np.abs(rgb[36, 108] - BLUE).max() <= 16, rgb[36, 108]
