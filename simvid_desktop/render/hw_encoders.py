"""The machine's video hardware as H.264 encoders: which of them work here, which meet the
chosen quality, and the ffmpeg options of each.

The bundled ffmpeg is built with NVENC, Quick Sync, VA-API and AMF (and VideoToolbox on
macOS), whatever the machine has. So nothing is assumed:

- **Works** is decided by a real encode of one frame with the encoder (a missing driver or
  device fails in a fraction of a second).
- **Meets the quality** is measured: a short moving test picture (pans and a dissolve,
  like a slideshow's) is encoded by x264 at the chosen quality and by the hardware encoder
  at its matching setting, and the hardware encoder qualifies when its SSIM against the
  source is no more than :data:`SSIM_SLACK` below x264's. Only then does ``auto`` use it.

Both answers are kept in the cache folder, per ffmpeg binary and per boot of this machine
(a driver installed or removed takes a reboot), so a render does not pay for them again.

A hardware encoder can still fail in the middle of a render (a driver reset, another
program holding the device): the engine then renders in software and says so.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simvid_desktop.model.project import VideoEncoder
from simvid_desktop.paths import cache_dir
from simvid_desktop.render.ffmpeg import ffmpeg_exe, run_ffmpeg

logger = logging.getLogger(__name__)

#: How far below x264's SSIM a hardware encoder may be and still count as the same quality.
SSIM_SLACK = 0.002
_CACHE_VERSION = 1


@dataclass(frozen=True)
class EncoderSpec:
    """How ffmpeg drives one hardware encoder."""

    label: str  #: what the window and messages call it
    codec: str  #: the ffmpeg encoder
    #: rate-control options for a quality given as an x264 CRF (lower: better)
    quality: Callable[[int], list[str]]
    global_args: tuple[str, ...] = ()  #: before the inputs (a device to open)
    upload: str = ""  #: appended to the video filter (frames into the device's memory)
    pix_fmt: str = "yuv420p"


HARDWARE: dict[VideoEncoder, EncoderSpec] = {
    VideoEncoder.NVENC: EncoderSpec(
        "NVIDIA NVENC", "h264_nvenc",
        lambda crf: ["-preset", "p5", "-tune", "hq", "-rc", "vbr", "-cq", str(crf), "-b:v", "0"]),
    VideoEncoder.QSV: EncoderSpec(
        "Intel Quick Sync", "h264_qsv",
        lambda crf: ["-preset", "medium", "-global_quality", str(crf)], pix_fmt="nv12"),
    VideoEncoder.VAAPI: EncoderSpec(
        "VA-API", "h264_vaapi", lambda crf: ["-rc_mode", "CQP", "-qp", str(crf)],
        global_args=("-vaapi_device", "/dev/dri/renderD128"), upload="format=nv12,hwupload",
        pix_fmt=""),
    VideoEncoder.AMF: EncoderSpec(
        "AMD AMF", "h264_amf",
        lambda crf: ["-quality", "quality", "-rc", "cqp", "-qp_i", str(crf),
                     "-qp_p", str(crf), "-qp_b", str(crf)]),
    VideoEncoder.VIDEOTOOLBOX: EncoderSpec(
        "Apple VideoToolbox", "h264_videotoolbox",
        lambda crf: ["-q:v", str(max(1, min(100, 100 - 2 * crf)))]),
}


def codec_args(encoder: VideoEncoder, crf: float, x264_preset: str,
               x264_params: str = "") -> list[str]:
    """The ``-c:v`` options of ``encoder`` (SOFTWARE: x264) at quality ``crf``;
    ``x264_params`` (a quality preset's tuning, ``key=value:...``) and a fractional CRF are
    for x264 only: hardware encoders keep their own mapping of the (rounded) CRF."""
    spec = HARDWARE.get(encoder)
    if spec is None:
        tuned = ["-x264-params", x264_params] if x264_params else []
        return ["-c:v", "libx264", "-preset", x264_preset, "-crf", f"{crf:g}", *tuned,
                "-pix_fmt", "yuv420p"]
    return ["-c:v", spec.codec, *spec.quality(round(crf)),
            *(["-pix_fmt", spec.pix_fmt] if spec.pix_fmt else [])]


def global_args(encoder: VideoEncoder) -> list[str]:
    spec = HARDWARE.get(encoder)
    return list(spec.global_args) if spec else []


def upload_filter(encoder: VideoEncoder) -> str:
    """``,filters`` to append to the video filter chain ("" for software)."""
    spec = HARDWARE.get(encoder)
    return f",{spec.upload}" if spec and spec.upload else ""


# -- what works here ------------------------------------------------------------------------
def _test_encode(encoder: VideoEncoder) -> bool:
    """One frame through the encoder: the driver, the device and the library all answer."""
    code, _, log = run_ffmpeg([
        "-v", "error", *global_args(encoder), "-f", "lavfi", "-i",
        "testsrc2=size=256x144:rate=30:duration=0.1", "-frames:v", "2",
        *(["-vf", upload_filter(encoder)[1:]] if upload_filter(encoder) else []),
        *codec_args(encoder, 23, "medium"), "-f", "null", "-"], timeout=30)
    if code != 0:
        logger.info("%s does not work here: %s", encoder.value,
                    (log.splitlines() or ["?"])[-1])
    return code == 0


_TEST_SHOW = ("testsrc2=size=640x360:rate=30:duration=3,"
              "zoompan=z='1+0.1*on/90':x='iw/2-(iw/zoom/2)+on':y='ih/2-(ih/zoom/2)':"
              "d=1:s=640x360:fps=30")


def _ssim(encoder: VideoEncoder, crf: float, x264_preset: str) -> float | None:
    """SSIM of ``encoder`` at ``crf`` on the test show against the show itself."""
    with tempfile.TemporaryDirectory(prefix="simvid-hw-") as folder:
        clip = Path(folder) / "test.mkv"
        code, _, _ = run_ffmpeg([
            "-v", "error", *global_args(encoder), "-f", "lavfi", "-i", _TEST_SHOW,
            "-vf", f"format=yuv420p{upload_filter(encoder)}",
            *codec_args(encoder, crf, x264_preset), str(clip)], timeout=120)
        if code != 0:
            return None
        code, _, log = run_ffmpeg([
            "-v", "info", "-nostats", "-i", str(clip), "-f", "lavfi", "-i", _TEST_SHOW,
            "-lavfi", "[0:v]format=yuv420p[a];[1:v]format=yuv420p[b];[a][b]ssim",
            "-f", "null", "-"], timeout=120)
    found = re.search(r"SSIM Y:[\d.]+ .*All:([\d.]+)", log)
    return float(found[1]) if code == 0 and found else None


@dataclass
class _Findings:
    works: dict[str, bool]
    meets: dict[str, bool]  #: "encoder@crf/preset" -> whether it meets x264 there


_lock = threading.Lock()
_memory: _Findings | None = None


def _cache_file() -> Path:
    return cache_dir() / "hw-encoders.json"


def _cache_key() -> str:
    exe = Path(ffmpeg_exe())
    try:
        stat = exe.stat()
        made = f"{stat.st_size}:{stat.st_mtime_ns}"
    except OSError:
        made = "?"
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = "?"  # elsewhere: kept until the ffmpeg binary changes
    return f"v{_CACHE_VERSION}:{socket.gethostname()}:{exe}:{made}:{boot}"


def _load() -> _Findings:
    global _memory  # noqa: PLW0603 - one answer per process, read from disk once
    if _memory is not None:
        return _memory
    findings = _Findings({}, {})
    try:
        data = json.loads(_cache_file().read_text(encoding="utf-8"))
        if data.get("key") == _cache_key():
            findings = _Findings(dict(data["works"]), dict(data["meets"]))
    except (OSError, ValueError, KeyError, TypeError):
        pass  # no cache yet, or another machine's: ask again
    _memory = findings
    return findings


def _save(findings: _Findings) -> None:
    target = _cache_file()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}")
        tmp.write_text(json.dumps({"key": _cache_key(), "works": findings.works,
                                   "meets": findings.meets}), encoding="utf-8")
        os.replace(tmp, target)
    except OSError as exc:
        logger.debug("hardware encoder findings not cached (%s)", exc)


def forget() -> None:
    """Ask the hardware again next time (tests; a driver installed without a reboot)."""
    global _memory  # noqa: PLW0603
    with _lock:
        _memory = None
        _cache_file().unlink(missing_ok=True)


def works(encoder: VideoEncoder) -> bool:
    if encoder not in HARDWARE:
        return encoder is VideoEncoder.SOFTWARE
    with _lock:
        findings = _load()
        if encoder.value not in findings.works:
            findings.works[encoder.value] = _test_encode(encoder)
            _save(findings)
        return findings.works[encoder.value]


def available() -> list[VideoEncoder]:
    """The hardware encoders that work on this machine."""
    return [e for e in HARDWARE if works(e)]


def meets_quality(encoder: VideoEncoder, crf: float, x264_preset: str) -> bool:
    """Whether ``encoder`` matches x264's SSIM at this quality (measured once, kept)."""
    if not works(encoder):
        return False
    key = f"{encoder.value}@{crf:g}/{x264_preset}"
    with _lock:
        findings = _load()
        if key not in findings.meets:
            theirs = _ssim(encoder, crf, x264_preset)
            ours = _ssim(VideoEncoder.SOFTWARE, crf, x264_preset)
            findings.meets[key] = (theirs is not None and ours is not None
                                   and theirs >= ours - SSIM_SLACK)
            logger.info("%s at CRF %g: SSIM %s against x264's %s", encoder.value, crf,
                        theirs, ours)
            _save(findings)
        return findings.meets[key]


def resolve(choice: VideoEncoder, crf: float, x264_preset: str) -> VideoEncoder:
    """The encoder a render uses for ``choice``: SOFTWARE or one hardware encoder."""
    if choice is VideoEncoder.SOFTWARE:
        return choice
    if choice is VideoEncoder.AUTO:
        for encoder in available():
            if meets_quality(encoder, crf, x264_preset):
                return encoder
        return VideoEncoder.SOFTWARE
    if works(choice):
        return choice
    logger.warning("%s was chosen but does not work on this machine: rendering in software",
                   HARDWARE[choice].label)
    return VideoEncoder.SOFTWARE
