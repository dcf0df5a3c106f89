"""What a video clip is, read from what ``ffmpeg -i CLIP`` prints (there is no ffprobe).

The render needs, before it starts the decoder: the displayed size (rotation and pixel
aspect applied, so the frame can be placed), the colour tags (to pick the conversion to
BT.709), whether the frames are interlaced, and the clip's length and rate. All of it is
on the first ``Stream #0:N: Video:`` line and the lines under it; a file that has no such
line, or that ffmpeg cannot open, raises :class:`ClipUnreadable` with a one-line reason.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from simvid_desktop.errors import ClipUnreadable
from simvid_desktop.render.ffmpeg import duration_in, run_ffmpeg

logger = logging.getLogger(__name__)

#: Transfer functions of HDR video: PQ (HDR10, Dolby Vision base layer) and HLG.
HDR_TRANSFERS = frozenset({"smpte2084", "arib-std-b67"})

# When ffmpeg prints a single colour name, the matrix, primaries and transfer share one
# number: these are the primaries and transfer names of that number.
_SAME_NUMBER = {
    "bt709": ("bt709", "bt709"),
    "bt470bg": ("bt470bg", "gamma28"),
    "smpte170m": ("smpte170m", "smpte170m"),
    "smpte240m": ("smpte240m", "smpte240m"),
    "bt2020nc": ("bt2020", None),
}
_FIELD_ORDERS = {"progressive": False, "top first": True, "bottom first": True,
                 "top coded first (swapped)": True, "bottom coded first (swapped)": True}
_CHANNEL_NAMES = {"mono": 1, "stereo": 2, "downmix": 2, "binaural": 2, "quad": 4,
                  "hexagonal": 6, "octagonal": 8, "cube": 8, "hexadecagonal": 16}
_STILL_FORMATS = re.compile(r"Input #0, (image2|\w+_pipe|gif|apng|webp)\b")


@dataclass(frozen=True)
class ClipInfo:
    """One video clip as the renderer sees it. Sizes are what a player displays."""

    path: Path
    width: int  #: displayed size: rotation and pixel aspect applied
    height: int
    rotation: int  #: 0, 90, 180 or 270: clockwise degrees the player turns the stored frames
    duration: float  #: seconds of video (the container's header value)
    fps: float  #: average frame rate
    start: float  #: the container's start time (seconds): clip time 0
    codec: str
    pix_fmt: str
    color_range: str | None  #: "tv"/"pc"; None when untagged
    color_space: str | None  #: matrix, e.g. "bt709", "bt470bg", "smpte170m", "bt2020nc"
    color_primaries: str | None
    color_transfer: str | None  #: e.g. "arib-std-b67" (HLG), "smpte2084" (PQ)
    interlaced: bool
    has_audio: bool
    audio_channels: int
    #: Stored (coded) size before rotation and pixel aspect; what the decoder outputs.
    coded_width: int = 0
    coded_height: int = 0

    @property
    def hdr(self) -> bool:
        """PQ or HLG: needs tone mapping to look right in SDR BT.709."""
        return self.color_transfer in HDR_TRANSFERS

    @property
    def bit_depth(self) -> int:
        m = re.search(r"p(\d+)(?:le|be)$", self.pix_fmt)
        return int(m[1]) if m else 8


def _number(text: str) -> float:
    """ffmpeg's short numbers: "29.97", "25", "1k", "90k"."""
    return float(text[:-1]) * 1000 if text.endswith("k") else float(text)


def _channels(layout: str) -> int:
    layout = layout.strip()
    if layout in _CHANNEL_NAMES:
        return _CHANNEL_NAMES[layout]
    m = re.fullmatch(r"(\d+) channels?(?: \(.*\))?", layout)
    if m:
        return int(m[1])
    m = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", layout)  # 5.1, 7.1(wide), 5.1.2
    if m:
        return sum(int(g) for g in m.groups() if g)
    return 2


def _split_top(text: str) -> list[str]:
    """Split on ", " outside parentheses."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    parts.append(cur.strip())
    return [p for p in parts if p]


def _tag(value: str) -> str | None:
    return None if value in {"unknown", "reserved", "unspecified", ""} else value


@dataclass(frozen=True)
class _Colour:
    range: str | None = None
    space: str | None = None
    primaries: str | None = None
    transfer: str | None = None
    interlaced: bool = False


def _colour(inside: str) -> _Colour:
    """``tv, bt2020nc/bt2020/arib-std-b67, progressive`` (any part may be missing)."""
    rng = space = prim = trc = None
    interlaced = False
    for item in (p.strip() for p in inside.split(", ")):
        if item in {"tv", "pc"}:
            rng = item
        elif item in _FIELD_ORDERS:
            interlaced = _FIELD_ORDERS[item]
        elif "/" in item:
            s, p, t = [*item.split("/"), "", ""][:3]
            space, prim, trc = _tag(s), _tag(p), _tag(t)
        elif re.fullmatch(r"[a-z][\w-]*", item) and item not in {"left", "center", "topleft",
                                                               "top", "bottomleft", "bottom"}:
            space = _tag(item)
            prim, trc = _SAME_NUMBER.get(item, (space, space))
    return _Colour(rng, space, prim, trc, interlaced)


def _rotation(block: str) -> int:
    """Clockwise display rotation from "Display Matrix: rotation of -90.00 degrees".

    ffmpeg prints the matrix angle counter-clockwise; players turn the picture the other
    way round. Angles that are not a quarter turn (a broken or odd matrix) are ignored,
    as most players ignore them.
    """
    m = re.search(r"rotation of (-?[\d.]+) degrees", block)
    if not m:
        return 0
    ccw = float(m[1])
    quarter = round(ccw / 90)
    if abs(ccw - 90 * quarter) > 2:
        logger.warning("ignoring a display rotation of %s degrees (not a quarter turn)", ccw)
        return 0
    return (-90 * quarter) % 360


def _stream_blocks(err: str) -> list[tuple[str, str]]:
    """(stream line, the indented lines under it) for each ``Stream #0:N`` of input 0."""
    blocks: list[tuple[str, str]] = []
    lines = err.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"\s*Stream #0:\d+", line):
            below = []
            for nxt in lines[i + 1 :]:
                if re.match(r"\s*(Stream #|Input #|Output #|At least)", nxt):
                    break
                below.append(nxt)
            blocks.append((line, "\n".join(below)))
    return blocks


def _counted_duration(path: Path, fps: float) -> float:
    """Length of a stream whose header has none (a raw .h264, a cut recording): count its
    packets by copying them to nowhere (no decoding: fast)."""
    _, _, err = run_ffmpeg(["-nostats", "-i", str(path), "-map", "0:v:0", "-c", "copy",
                            "-f", "null", "-"], timeout=120)
    frames = re.findall(r"frame=\s*(\d+)", err)
    if not frames or int(frames[-1]) == 0:
        raise ClipUnreadable(path, "is empty or truncated (no video frames)")
    return int(frames[-1]) / fps


def parse_probe(path: Path, err: str, head: bytes = b"") -> ClipInfo:
    """Build a :class:`ClipInfo` from ``ffmpeg -i`` stderr (raises ClipUnreadable).

    ``head``, the file's first bytes, tells a cut-off MP4/MOV (an ``ftyp`` box, no index
    yet) from any other file that the MP4 demuxer was tried on because of its name.
    """
    if "No such file or directory" in err:
        raise ClipUnreadable(path, "file not found")
    if "Permission denied" in err:
        raise ClipUnreadable(path, "cannot be read (permission denied)")
    blocks = _stream_blocks(err)
    looks_mp4 = head[4:8] in {b"ftyp", b"moov", b"mdat", b"free", b"wide"}
    if not blocks and (("moov atom not found" in err and looks_mp4) or "End of file" in err):
        raise ClipUnreadable(path, "is empty or truncated")
    if not blocks:
        raise ClipUnreadable(path, "not a video ffmpeg can read")
    videos = [(s, b) for s, b in blocks
              if ": Video:" in s and "(attached pic)" not in s and "(thumbnail)" not in s]
    audios = [s for s, _ in blocks if ": Audio:" in s]
    if not videos:
        raise ClipUnreadable(path, "has no video stream")
    if _STILL_FORMATS.search(err):
        raise ClipUnreadable(path, "is a still image, not a video clip")
    line, below = videos[0]
    body = line.split(": Video:", 1)[1]
    parts = _split_top(body)
    codec = parts[0].split()[0] if parts else "unknown"
    pix_fmt, colour = "unknown", _Colour()
    size: tuple[int, int] | None = None
    sar = (1, 1)
    for part in parts[1:]:
        pm = re.fullmatch(r"([a-z0-9_]+)(?:\((.*)\))?", part)
        if pix_fmt == "unknown" and pm and size is None and not re.match(r"\d", part):
            pix_fmt = pm[1]
            colour = _colour(pm[2] or "")
            continue
        sm = re.match(r"(\d+)x(\d+)(?: \[SAR (\d+):(\d+) DAR \d+:\d+\])?", part)
        if sm and size is None:
            size = (int(sm[1]), int(sm[2]))
            if sm[3] and int(sm[3]) > 0 and int(sm[4]) > 0:
                sar = (int(sm[3]), int(sm[4]))
    if size is None or size[0] <= 0 or size[1] <= 0:
        raise ClipUnreadable(path, "has a video stream of unknown size (damaged header?)")
    fps_m = re.search(r"([\d.]+k?) fps", body) or re.search(r"([\d.]+k?) tbr", body)
    fps = _number(fps_m[1]) if fps_m else 0.0
    if not 0 < fps <= 1000:
        fps = 25.0
    start_m = re.search(r"start: (-?[\d.]+)", err)
    duration = duration_in(err)
    if duration is None or duration <= 0:
        duration = _counted_duration(path, fps)
    rotation = _rotation(below)
    cw, ch = size
    dw = max(2, round(cw * sar[0] / sar[1]))
    width, height = (ch, dw) if rotation in (90, 270) else (dw, ch)
    channels = 0
    if audios:
        am = re.search(r"\d+ Hz, ([^,]+(?:\([^)]*\))?)", audios[0])
        channels = _channels(am[1]) if am else 2
    return ClipInfo(
        path=path, width=width, height=height, rotation=rotation, duration=duration, fps=fps,
        start=float(start_m[1]) if start_m else 0.0, codec=codec, pix_fmt=pix_fmt,
        color_range=colour.range, color_space=colour.space,
        color_primaries=colour.primaries, color_transfer=colour.transfer,
        interlaced=colour.interlaced, has_audio=bool(audios), audio_channels=channels,
        coded_width=cw, coded_height=ch,
    )


def probe_clip(path: Path | str) -> ClipInfo:
    """Read a clip's header with ``ffmpeg -i``; ClipUnreadable says why it cannot be used."""
    path = Path(path)
    if not path.is_file():
        raise ClipUnreadable(path, "file not found" if not path.exists() else "is not a file")
    if path.stat().st_size == 0:
        raise ClipUnreadable(path, "is empty or truncated")
    with path.open("rb") as file:
        head = file.read(16)
    _, _, err = run_ffmpeg(["-i", str(path)], timeout=60)
    return parse_probe(path, err, head)
