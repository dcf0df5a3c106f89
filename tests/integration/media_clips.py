"""Tiny test clips made with the bundled ffmpeg: numbered frames, colours, rotation, HDR."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.integration.media import FF

#: Frame N of a numbered clip has luma 16 + 4 N (lossless), so a frame names itself.
LUMA0, LUMA_STEP = 16, 4


def _ff(*args: str) -> None:
    subprocess.run([FF, "-v", "error", "-y", *args], check=True)


def numbered(path: Path, *, seconds: float = 2.0, fps: int = 25, size: str = "64x36",
             vfr: bool = False, gop: int = 10, codec: str = "libx264",
             gap: float = 0.5) -> Path:
    """Grey frames numbered by their luma, losslessly coded with a keyframe every ``gop``.

    ``vfr``: frame N is stamped N/fps + 0.015 (N mod 3), and from frame 20 on ``gap`` s later
    (a long gap), in a 1 ms time base: real variable-rate timing (see :func:`vfr_stamp`).
    ``codec`` libx265 makes open-GOP HEVC (leading pictures before each keyframe).
    """
    vf = f"color=c=black:s={size}:r={fps}:d={seconds},format=yuv420p," \
         f"geq=lum='{LUMA0}+{LUMA_STEP}*N':cb=128:cr=128"
    extra: list[str] = []
    if vfr:
        vf += f",settb=1/1000,setpts='(N/{fps}+0.015*mod(N,3)+if(gte(N,20),{gap},0))/TB'"
        extra = ["-fps_mode", "vfr", "-enc_time_base", "1/1000"]
    if codec == "libx265":
        extra += ["-x265-params", f"log-level=error:lossless=1:keyint={gop}:min-keyint={gop}"
                  ":open-gop=1:bframes=3"]
    else:
        extra += ["-qp", "0", "-g", str(gop)]
    _ff("-f", "lavfi", "-i", vf, *extra, "-c:v", codec, str(path))
    return path


def vfr_stamp(n: int, fps: int = 25, gap: float = 0.5) -> float:
    """When frame n of ``numbered(vfr=True, fps=fps, gap=gap)`` is stamped (seconds)."""
    return n / fps + 0.015 * (n % 3) + (gap if n >= 20 else 0.0)


def frame_number(luma_mean: float) -> int:
    return round((luma_mean - LUMA0) / LUMA_STEP)


def coloured(path: Path, rgb: tuple[int, int, int], *, matrix: str = "bt709",
             full_range: bool = False, tagged: bool = True, size: str = "64x36") -> Path:
    """A solid ``rgb`` clip coded with ``matrix`` (bt709, bt601) and range, tagged so."""
    hexcolor = "0x{:02X}{:02X}{:02X}".format(*rgb)
    rng = "pc" if full_range else "tv"
    tag = {"bt709": "bt709", "bt601": "smpte170m"}[matrix]
    vf = f"format=rgb24,scale=out_color_matrix={matrix}:out_range={rng},format=yuv420p"
    if tagged:
        vf += f",setparams=colorspace={tag}:color_primaries={tag}:color_trc={tag}:range={rng}"
    _ff("-f", "lavfi", "-i", f"color=c={hexcolor}:s={size}:r=25:d=0.4", "-vf", vf,
        "-c:v", "libx264", "-qp", "0", str(path))
    return path


def bt2020(path: Path, rgb: tuple[int, int, int], *, transfer: str = "bt2020-10",
           size: str = "64x36") -> Path:
    """10-bit HEVC in BT.2020 of a BT.709 ``rgb`` colour: SDR (bt2020-10) or HLG/PQ.

    The HDR versions map SDR white to 100 nits (zscale ``npl=100``), as a camera would
    put a diffuse white below the HDR peak.
    """
    hexcolor = "0x{:02X}{:02X}{:02X}".format(*rgb)
    vf = ("format=gbrp,setparams=colorspace=gbr:color_primaries=bt709:color_trc=bt709:range=pc,"
          f"zscale=p=2020:t={transfer}:m=2020_ncl:r=limited:npl=100,format=yuv420p10le,"
          f"setparams=colorspace=bt2020nc:color_primaries=bt2020:color_trc={transfer}"
          ":range=tv")
    _ff("-f", "lavfi", "-i", f"color=c={hexcolor}:s={size}:r=25:d=0.4", "-vf", vf,
        "-c:v", "libx265", "-x265-params", "log-level=error:lossless=1", str(path))
    return path


def marked(path: Path, *, size: str = "64x36", rotation: int | None = None,
           sar: str = "1") -> Path:
    """Blue landscape frames with a red left quarter; ``rotation`` adds a display matrix
    (``-display_rotation``, counter-clockwise degrees) by remuxing, like a phone does;
    ``sar`` makes the pixels non-square (anamorphic), e.g. "2" for twice as wide."""
    w, h = (int(v) for v in size.split("x"))
    raw = path.with_suffix(".raw.mp4") if rotation is not None else path
    _ff("-f", "lavfi", "-i", f"color=c=0x1428DC:s={size}:r=25:d=0.4", "-vf",
        f"drawbox=x=0:y=0:w={w // 4}:h={h}:color=0xE61414:t=fill,setsar={sar},format=yuv420p",
        "-c:v", "libx264", "-crf", "10", str(raw))
    if rotation is not None:
        _ff("-display_rotation", str(rotation), "-i", str(raw), "-c", "copy", str(path))
        raw.unlink()
    return path


def interlaced(path: Path, size: str = "160x96") -> Path:
    """Interlaced H.264 (top field first) of a fast-moving picture: combs if woven."""
    _ff("-f", "lavfi", "-i", f"testsrc2=size={size}:rate=50:duration=0.6",
        "-vf", "interlace=scan=tff,setfield=tff,format=yuv420p", "-c:v", "libx264",
        "-flags", "+ilme+ildct", "-field_order", "tt", "-crf", "12", str(path))
    return path


def with_audio(path: Path, channels: int = 6, size: str = "64x36") -> Path:
    _ff("-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25:duration=0.5",
        "-f", "lavfi", "-i", "sine=frequency=440:duration=0.5", "-ac", str(channels),
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(path))
    return path


def huge(path: Path, size: str = "7680x4320") -> Path:
    """Two frames of an 8K clip (fast to make, heavy to decode)."""
    _ff("-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25:duration=0.08",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path))
    return path


def big(path: Path, size: str = "3840x2160", fps: int = 60, seconds: float = 3.0) -> Path:
    """A 4K 60 fps clip for timing the reader against a plain decode."""
    _ff("-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}:duration={seconds}",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path))
    return path


def phone_portrait(path: Path, tone_hz: int = 880) -> Path:
    """A portrait phone clip as phones store it: landscape pixels (red left quarter, blue
    elsewhere), a display matrix turning it a quarter, and a tone."""
    raw = path.with_suffix(".raw.mp4")
    subprocess.run([
        FF, "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=0x1428DC:s=128x72:r=30:d=1.2",
        "-f", "lavfi", "-i", f"sine=frequency={tone_hz}:sample_rate=48000:duration=1.2",
        "-vf", "drawbox=x=0:y=0:w=32:h=72:color=0xE61414:t=fill,format=yuv420p",
        "-c:v", "libx264", "-crf", "12", "-c:a", "aac", "-shortest", str(raw)], check=True)
    subprocess.run([FF, "-v", "error", "-y", "-display_rotation", "90", "-i", str(raw),
                    "-c", "copy", str(path)], check=True)
    raw.unlink()
    return path
