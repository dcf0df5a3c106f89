#!/usr/bin/env python3
"""Render benchmark: Simvid against three reference renderers of the same slideshow.

    python benchmarks/render_bench.py [--images 10,40] [--repeat 1] [--only a,b,c,d]
                                      [--size 1920x1080] [--workdir DIR] [--json FILE] [--keep]

The reference case: N photos (deterministic 2-24 MP JPEGs from fixtures.py, one in five
turned by EXIF), 3 s per photo, 1 s crossfades, i.e. N*3-(N-1)*1 s of video (21 s = 630
frames for 10 photos) at 30 fps, a music track trimmed to the video, libx264 -preset
medium CRF 23, AAC.

  a  naive moviepy   ImageClip per photo (EXIF-corrected with Pillow), resized to fit
                     and centred on black, CrossFadeIn on all but the first,
                     concatenate_videoclips(method="compose", padding=-1),
                     AudioFileClip subclipped, write_videofile(libx264, aac, medium).
  b  ffmpeg loop     ONE hand-written ffmpeg command: every photo a single-frame input,
                     scaled/padded once and repeated with the `loop` filter, chained
                     xfade fades, atrim'd audio.
  c  encode floor    the same frames (letterboxed photos and real crossfades) composed
                     ONCE before timing into raw yuv420p files; the timed run only loads
                     them and pipes them into the same encoder settings, with the audio.
  d  Simvid (ours)   python -m simvid_desktop render PROJECT.simvid -o OUT.mp4
                     --x264-preset medium --crf 23 --progress none

Every renderer runs as its own child process, started by a fresh, tiny intermediate
process that times it and reports getrusage(RUSAGE_CHILDREN).ru_maxrss -- the peak
resident set of the largest process in the renderer's tree (including the ffmpeg it
waits for).  The intermediate also samples /proc to record the peak of the whole tree
(sum of all its processes) for the JSON report.  Every output is verified (frame count,
size, pixel format, codec, AAC audio, duration, and the photos' orientation marker);
a renderer whose output fails is reported as FAILED.

Uses only the standard library, numpy, Pillow, moviepy and imageio-ffmpeg (its ffmpeg).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import numpy as np
from PIL import Image, ImageOps

try:  # run as `python -m benchmarks.render_bench`
    from . import fixtures
except ImportError:  # run as `python benchmarks/render_bench.py`
    import fixtures  # type: ignore[no-redef]

SCRIPT = Path(__file__).resolve()
REPO_ROOT = SCRIPT.parent.parent

FPS = 30
SLIDE_SECONDS = 3.0  # D: time each photo is on screen, fades included
FADE_SECONDS = 1.0  # F: crossfade length
X264_PRESET = "medium"
CRF = 23
FIXTURE_SEED = 2024

RENDERERS: dict[str, str] = {
    "a": "naive moviepy",
    "b": "ffmpeg loop filter",
    "c": "encode floor",
    "d": "Simvid (ours)",
}
OURS, FLOOR, NAIVE = "d", "c", "a"

# Targets for Simvid.
TARGET_FLOOR_RATIO = 1.10
TARGET_NAIVE_SPEEDUP = 3.0
TARGET_PEAK_MB = 600.0
BUSY_SHARE = 0.10  # warn when other processes used more than this share of all CPUs
TARGET_PEAK_GROWTH = 0.10  # "not growing": at most +10 % from the smallest to the largest count


def ffmpeg_exe() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def parse_size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"size must look like 1920x1080, not {text!r}")
    w, h = int(m[1]), int(m[2])
    if w % 2 or h % 2 or w < 16 or h < 16:
        raise argparse.ArgumentTypeError("width and height must be even and at least 16")
    return w, h


@dataclass(frozen=True)
class Timeline:
    """Frame arithmetic of the reference slideshow: photo k starts at k*(D-F) seconds."""

    photos: int
    width: int
    height: int
    fps: int = FPS
    slide_s: float = SLIDE_SECONDS
    fade_s: float = FADE_SECONDS

    @property
    def total_s(self) -> float:
        return self.photos * self.slide_s - (self.photos - 1) * self.fade_s

    @property
    def total_frames(self) -> int:
        return round(self.total_s * self.fps)

    @property
    def slide_frames(self) -> int:
        return round(self.slide_s * self.fps)

    @property
    def fade_frames(self) -> int:
        return round(self.fade_s * self.fps) if self.photos > 1 else 0

    def solo_frames(self, k: int) -> int:
        """Frames in which photo k is shown alone (not part of a fade)."""
        fades = (k > 0) + (k < self.photos - 1)
        return self.slide_frames - fades * self.fade_frames

    def solo_middle_frame(self, k: int) -> int:
        start = k * (self.slide_frames - self.fade_frames) + (self.fade_frames if k > 0 else 0)
        return start + self.solo_frames(k) // 2

    def simvid_durations(self) -> list[float]:
        """Slide durations for Simvid, whose show lasts the sum of the durations and whose
        transitions are centred on slide boundaries: D-F/2 at both ends, D-F in between."""
        if self.photos == 1:
            return [self.slide_s]
        ends = self.slide_s - self.fade_s / 2
        return [ends] + [self.slide_s - self.fade_s] * (self.photos - 2) + [ends]


def fixture_paths(fixdir: Path, manifest: dict[str, Any]) -> tuple[list[Path], Path]:
    photos = [fixdir / entry["file"] for entry in manifest["images"]]
    return photos, fixdir / manifest["audio"]["file"]


# --------------------------------------------------------------------------------------
# (a) naive moviepy -- runs inside its own child process (`_naive`)
# --------------------------------------------------------------------------------------


def run_naive_moviepy(fixdir: Path, out: Path, tl: Timeline) -> None:
    # moviepy is heavy and only this child needs it, so it is imported here.
    from moviepy import (
        AudioFileClip,
        CompositeVideoClip,
        ImageClip,
        concatenate_videoclips,
        vfx,
    )

    manifest = json.loads((fixdir / fixtures.MANIFEST).read_text(encoding="utf-8"))
    photos, track = fixture_paths(fixdir, manifest)
    slides = []
    for index, photo in enumerate(photos):
        with Image.open(photo) as im:
            pixels = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
        clip = ImageClip(pixels).with_duration(tl.slide_s)
        fit = min(tl.width / clip.w, tl.height / clip.h)
        clip = clip.resized(new_size=(max(1, round(clip.w * fit)), max(1, round(clip.h * fit))))
        slide = CompositeVideoClip(
            [clip.with_position("center")], size=(tl.width, tl.height), bg_color=(0, 0, 0)
        ).with_duration(tl.slide_s)
        if index > 0:
            slide = slide.with_effects([vfx.CrossFadeIn(tl.fade_s)])
        slides.append(slide)
    video = concatenate_videoclips(slides, method="compose", padding=-tl.fade_s)
    music = AudioFileClip(str(track))
    music = music.subclipped(0, min(video.duration, music.duration))
    video = video.with_audio(music)
    with tempfile.TemporaryDirectory(prefix="simvid-bench-naive-") as tmp:
        video.write_videofile(
            str(out),
            fps=tl.fps,
            codec="libx264",
            audio_codec="aac",
            preset=X264_PRESET,
            ffmpeg_params=["-crf", str(CRF)],
            temp_audiofile_path=tmp,
            logger=None,
        )
    music.close()
    video.close()


# --------------------------------------------------------------------------------------
# (b) one ffmpeg command, "decode once + loop filter"
# --------------------------------------------------------------------------------------


def loop_filter_command(photos: list[Path], track: Path, out: Path, tl: Timeline) -> list[str]:
    w, h, n = tl.width, tl.height, len(photos)
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    for photo in photos:
        # One frame per photo; with -framerate the stream's time base is 1/fps, so after
        # the loop filter `setpts=N` numbers the repeated frames at exactly fps.
        # (This ffmpeg applies the JPEG's EXIF orientation itself.)
        cmd += ["-framerate", str(tl.fps), "-i", str(photo)]
    cmd += ["-i", str(track)]
    graph = []
    for k in range(n):
        graph.append(
            f"[{k}:v]scale={w}:{h}:force_original_aspect_ratio=decrease:out_range=limited,"
            f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:black,setsar=1,format=yuv420p,"
            f"loop=loop={tl.slide_frames - 1}:size=1:start=0,setpts=N[p{k}]"
        )
    current = "p0"
    for k in range(1, n):
        offset = k * (tl.slide_s - tl.fade_s)
        graph.append(
            f"[{current}][p{k}]xfade=transition=fade:duration={tl.fade_s:g}:offset={offset:g}[f{k}]"
        )
        current = f"f{k}"
    graph.append(f"[{n}:a]atrim=end={tl.total_s:.6f},asetpts=PTS-STARTPTS[music]")
    cmd += [
        "-filter_complex", ";".join(graph), "-map", f"[{current}]", "-map", "[music]",
        "-c:v", "libx264", "-preset", X264_PRESET, "-crf", str(CRF), "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-movflags", "+faststart", str(out),
    ]  # fmt: skip
    return cmd


# --------------------------------------------------------------------------------------
# (c) encode floor: frames composed once (untimed), then only loaded and piped (`_floor`)
# --------------------------------------------------------------------------------------


def letterboxed_rgb(photo: Path, w: int, h: int) -> np.ndarray:
    """The photo, EXIF-corrected, fitted inside w x h and centred on black (uint8 h x w x 3)."""
    with Image.open(photo) as im:
        upright = ImageOps.exif_transpose(im).convert("RGB")
    fitted = ImageOps.contain(upright, (w, h), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (w, h))
    canvas.paste(fitted, ((w - fitted.width) // 2, (h - fitted.height) // 2))
    return np.asarray(canvas)


def rgb_to_yuv420p(rgb: np.ndarray) -> np.ndarray:
    """BT.601 limited-range planar 4:2:0 (what ffmpeg assumes for untagged SD/HD input),
    returned as one flat uint8 array: Y plane, then U, then V."""
    h, w, _ = rgb.shape
    f = rgb.astype(np.float32)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    y = 16.0 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0
    # Chroma from the 2x2-averaged colour (the conversion is linear, so average first).
    q = f.reshape(h // 2, 2, w // 2, 2, 3).mean(axis=(1, 3))
    qr, qg, qb = q[..., 0], q[..., 1], q[..., 2]
    u = 128.0 + (-37.797 * qr - 74.203 * qg + 112.0 * qb) / 255.0
    v = 128.0 + (112.0 * qr - 93.786 * qg - 18.214 * qb) / 255.0
    planes = [np.clip(np.rint(p), 0, 255).astype(np.uint8).ravel() for p in (y, u, v)]
    return np.concatenate(planes)


def floor_cache_params(tl: Timeline, manifest: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": "yuv420p",
        "width": tl.width,
        "height": tl.height,
        "fade_frames": tl.fade_frames,
        "fixtures": manifest["params"],
        "photos": [entry["file"] for entry in manifest["images"]],
    }


def prepare_floor_cache(fixdir: Path, manifest: dict[str, Any], tl: Timeline, cache: Path) -> float:
    """Compose every distinct frame once: one still per photo, and the fade frames
    between neighbours blended plane by plane. Returns the seconds it took."""
    params = floor_cache_params(tl, manifest)
    done = cache / "complete.json"
    try:
        if json.loads(done.read_text(encoding="utf-8")) == params:
            return 0.0
    except (OSError, ValueError):
        pass
    t0 = time.perf_counter()
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True)
    photos, _ = fixture_paths(fixdir, manifest)
    ysize = tl.width * tl.height
    csize = ysize // 4
    plane_slices = [slice(0, ysize), slice(ysize, ysize + csize), slice(ysize + csize, None)]
    previous: np.ndarray | None = None
    for k, photo in enumerate(photos):
        still = rgb_to_yuv420p(letterboxed_rgb(photo, tl.width, tl.height))
        (cache / f"still_{k:03d}.yuv").write_bytes(still.tobytes())
        if previous is not None:
            a, b = previous.astype(np.float32), still.astype(np.float32)
            blended = np.empty_like(still)
            with open(cache / f"fade_{k - 1:03d}.yuv", "wb") as fh:
                for j in range(tl.fade_frames):
                    weight = (j + 1) / (tl.fade_frames + 1)  # share of the incoming photo
                    for sl in plane_slices:
                        mixed = a[sl] + (b[sl] - a[sl]) * weight
                        blended[sl] = np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
                    fh.write(blended.tobytes())
        previous = still
    done.write_text(json.dumps(params), encoding="utf-8")
    return time.perf_counter() - t0


def floor_encoder_command(track: Path, out: Path, tl: Timeline) -> list[str]:
    return [
        ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{tl.width}x{tl.height}",
        "-framerate", str(tl.fps), "-i", "pipe:0", "-i", str(track),
        "-map", "0:v", "-map", "1:a", "-af", f"atrim=end={tl.total_s:.6f},asetpts=PTS-STARTPTS",
        "-c:v", "libx264", "-preset", X264_PRESET, "-crf", str(CRF), "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-movflags", "+faststart", str(out),
    ]  # fmt: skip


def run_floor(cache: Path, track: Path, out: Path, tl: Timeline) -> int:
    """The timed part of the floor: read the composed frames and pipe them to the encoder."""
    frame_bytes = tl.width * tl.height * 3 // 2
    proc = subprocess.Popen(floor_encoder_command(track, out, tl), stdin=subprocess.PIPE)
    assert proc.stdin is not None
    sink = proc.stdin
    buf = bytearray(frame_bytes)
    written = 0
    try:
        for k in range(tl.photos):
            still = (cache / f"still_{k:03d}.yuv").read_bytes()
            for _ in range(tl.solo_frames(k)):
                sink.write(still)
                written += 1
            if k < tl.photos - 1:
                with open(cache / f"fade_{k:03d}.yuv", "rb", buffering=0) as fh:
                    for _ in range(tl.fade_frames):
                        if fh.readinto(buf) != frame_bytes:
                            raise RuntimeError(f"floor cache: fade_{k:03d}.yuv is short")
                        sink.write(buf)
                        written += 1
        sink.close()
    except BrokenPipeError:
        pass
    rc = proc.wait()
    if rc == 0 and written != tl.total_frames:
        print(f"floor wrote {written} frames, expected {tl.total_frames}", file=sys.stderr)
        return 3
    return rc


# --------------------------------------------------------------------------------------
# (d) Simvid: project file
# --------------------------------------------------------------------------------------


def write_simvid_project(fixdir: Path, manifest: dict[str, Any], tl: Timeline, path: Path) -> None:
    photos, track = fixture_paths(fixdir, manifest)
    project = {
        "schema_version": 1,
        "slides": [
            {"image": str(photo.resolve()), "duration": duration}
            for photo, duration in zip(photos, tl.simvid_durations(), strict=True)
        ],
        "default_duration": tl.slide_s,
        "transition": {"name": "fade", "duration": tl.fade_s},
        "audio": {
            "path": str(track.resolve()),
            "volume": 1.0,
            "fade_in": 0.0,
            "fade_out": 0.0,
            "start": 0.0,
            "loop": False,
        },
        "output": {
            "resolution": f"{tl.width}x{tl.height}",
            "fps": tl.fps,
            "quality": "standard",
            "fit": "letterbox",
        },
    }
    path.write_text(json.dumps(project, indent=2), encoding="utf-8")


def simvid_command(project: Path, out: Path) -> list[str]:
    return [
        sys.executable, "-m", "simvid_desktop", "render", str(project), "-o", str(out),
        "--x264-preset", X264_PRESET, "--crf", str(CRF), "--progress", "none",
    ]  # fmt: skip


# --------------------------------------------------------------------------------------
# Measurement: a fresh intermediate process (`_measure`) per run
# --------------------------------------------------------------------------------------


def _proc_table() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, resident kB) for every process we can read."""
    page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # Fields after the command name (which may itself contain spaces or parentheses).
        rest = stat[stat.rfind(b")") + 2 :].split()
        if len(rest) > 21:
            table[int(entry)] = (int(rest[1]), int(rest[21]) * page_kb)
    return table


class TreeSampler(threading.Thread):
    """Samples the resident memory of a process and all its descendants."""

    def __init__(self, root: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.stop = threading.Event()
        self.peak_total_kb = 0
        self.peak_single_kb = 0

    def run(self) -> None:
        while not self.stop.is_set():
            table = _proc_table()
            children: dict[int, list[int]] = {}
            for pid, (ppid, _) in table.items():
                children.setdefault(ppid, []).append(pid)
            tree, todo = [], [self.root]
            while todo:
                pid = todo.pop()
                if pid in table:
                    tree.append(pid)
                    todo.extend(children.get(pid, []))
            sizes = [table[pid][1] for pid in tree]
            if sizes:
                self.peak_total_kb = max(self.peak_total_kb, sum(sizes))
                self.peak_single_kb = max(self.peak_single_kb, *sizes)
            self.stop.wait(self.interval)


def _cpu_busy_seconds() -> float:
    """CPU time (all cores, all processes) spent not idle since boot, from /proc/stat."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = [int(v) for v in fh.readline().split()[1:9]]
    except (OSError, ValueError):
        return float("nan")
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def measure_main(argv: list[str]) -> int:
    """Intermediate process: run the command, report wall time and peak memory as JSON."""
    ap = argparse.ArgumentParser(prog="render_bench.py _measure")
    ap.add_argument("--log", required=True)
    ap.add_argument("--cwd")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    load_before = os.getloadavg()[0]
    with open(args.log, "wb") as log:
        busy0 = _cpu_busy_seconds()
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=args.cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
        sampler = TreeSampler(proc.pid)
        sampler.start()
        rc = proc.wait()
        wall = time.perf_counter() - t0
        busy = _cpu_busy_seconds() - busy0
        sampler.stop.set()
        sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # only the tree we just waited for
    report = {
        "rc": rc,
        "wall_s": wall,
        "maxrss_kb": usage.ru_maxrss,  # Linux: kB, largest single process in the tree
        "sampled_tree_peak_kb": sampler.peak_total_kb,
        "sampled_single_peak_kb": sampler.peak_single_kb,
        "user_s": usage.ru_utime,
        "sys_s": usage.ru_stime,
        # CPU seconds the rest of the machine used meanwhile (other processes, including
        # this wrapper's sampler): a large value means the timing is disturbed.
        "foreign_cpu_s": busy - usage.ru_utime - usage.ru_stime,
        "loadavg_before": load_before,
    }
    sys.stdout.write(json.dumps(report) + "\n")
    return 0


def measure(
    cmd: list[str], log: Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> dict[str, Any]:
    wrapper = [sys.executable, str(SCRIPT), "_measure", "--log", str(log)]
    if cwd is not None:
        wrapper += ["--cwd", str(cwd)]
    done = subprocess.run(
        [*wrapper, "--", *cmd], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"measurement wrapper failed: {done.stderr.strip()}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------------------


def _split_top_level(text: str) -> list[str]:
    """Split a stream description on commas that are not inside brackets."""
    parts, depth, current = [], 0, []
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    parts.append("".join(current).strip())
    return parts


def probe(path: Path) -> dict[str, Any]:
    """Stream facts parsed from `ffmpeg -i` plus the decoded frame count."""
    err = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
        capture_output=True, text=True, check=False,
    ).stderr  # fmt: skip
    info: dict[str, Any] = {}
    m = re.search(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)", err)
    if m:
        info["duration_s"] = int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3])
    video = re.search(r"Stream #[^\n]*?: Video: ([^\n]*)", err)
    if video:
        parts = _split_top_level(video[1])
        info["vcodec"] = parts[0].split()[0]
        if len(parts) > 1:
            fmt = re.match(r"(\w+)(?:\((.*)\))?", parts[1])
            if fmt:
                info["pix_fmt"] = fmt[1]
                info["pix_fmt_details"] = fmt[2] or ""
        for part in parts[2:]:
            dims = re.match(r"(\d+)x(\d+)", part)
            if dims:
                info["width"], info["height"] = int(dims[1]), int(dims[2])
                break
        for part in parts:
            rate = re.fullmatch(r"([\d.]+) fps", part)
            if rate:
                info["fps"] = float(rate[1])
    audio = re.search(r"Stream #[^\n]*?: Audio: ([^\n]*)", err)
    if audio:
        parts = _split_top_level(audio[1])
        info["acodec"] = parts[0].split()[0]
        info["audio"] = ", ".join(parts[:3])
    try:
        frames, secs = imageio_ffmpeg.count_frames_and_secs(str(path))
        info["frames"], info["video_s"] = frames, secs
    except (RuntimeError, OSError, ValueError) as exc:
        info["frames_error"] = str(exc)
    return info


def check_orientation(path: Path, tl: Timeline, manifest: dict[str, Any]) -> list[str]:
    """Decode one frame from the middle of every photo's solo stretch (downscaled) and
    check the fixture's red top band sits along the top of the fitted photo."""
    small_w = 480
    small_h = tl.height * small_w // tl.width
    wanted = [tl.solo_middle_frame(k) for k in range(tl.photos)]
    select = "+".join(f"eq(n\\,{n})" for n in wanted)
    raw = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path),
         "-an", "-vf", f"select='{select}',scale={small_w}:{small_h}:flags=area",
         "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
        capture_output=True, check=False,
    ).stdout  # fmt: skip
    frame_len = small_w * small_h * 3
    got = len(raw) // frame_len
    if got != len(wanted):
        return [f"orientation check: decoded {got} of {len(wanted)} sample frames"]
    frames = np.frombuffer(raw, np.uint8).reshape(got, small_h, small_w, 3)
    scale = small_w / tl.width
    problems = []
    for k, entry in enumerate(manifest["images"]):
        dw, dh = entry["display_size"]
        fit = min(tl.width / dw, tl.height / dh)
        pw, ph = dw * fit * scale, dh * fit * scale
        x0, y0 = (small_w - pw) / 2, (small_h - ph) / 2
        band = entry["marker_height"] * fit * scale
        ya, yb = int(y0 + band * 0.25), max(int(y0 + band * 0.25) + 1, int(y0 + band * 0.75))
        xa, xb = int(x0 + pw * 0.1), int(x0 + pw * 0.9)
        r, g, b = frames[k, ya:yb, xa:xb].reshape(-1, 3).mean(axis=0)
        if not (r > 170 and g < 100 and b < 100):
            problems.append(
                f"photo {k} ({entry['label']}): top band colour ({r:.0f},{g:.0f},{b:.0f}) "
                "is not the red marker -> wrong orientation, fit or placement"
            )
    return problems


def verify(path: Path, tl: Timeline, manifest: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    if not path.is_file() or path.stat().st_size == 0:
        return ["no output file"], {}
    info = probe(path)
    problems = []
    if (info.get("width"), info.get("height")) != (tl.width, tl.height):
        problems.append(f"size {info.get('width')}x{info.get('height')}")
    if info.get("pix_fmt") != "yuv420p":
        problems.append(f"pixel format {info.get('pix_fmt')}")
    elif "pc" in re.split(r"[\s,/]+", info.get("pix_fmt_details", "")):
        problems.append("full-range (pc) video; players expect limited (tv) range")
    if info.get("vcodec") != "h264":
        problems.append(f"video codec {info.get('vcodec')}")
    if info.get("acodec") != "aac":
        problems.append(f"audio: {info.get('audio', 'none')}")
    frames = info.get("frames")
    if frames is None or abs(frames - tl.total_frames) > 1:
        problems.append(f"{frames} frames, expected {tl.total_frames}")
    duration = info.get("duration_s")
    if duration is None or abs(duration - tl.total_s) > 0.1:
        problems.append(f"duration {duration} s, expected {tl.total_s:g} s")
    if not problems:
        problems += check_orientation(path, tl, manifest)
    return problems, info


# --------------------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------------------


@dataclass
class Result:
    key: str
    photos: int
    command: list[str]
    runs: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    probe: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return RENDERERS[self.key]

    @property
    def ok(self) -> bool:
        return bool(self.runs) and not self.problems

    @property
    def wall_s(self) -> float | None:
        return statistics.median(r["wall_s"] for r in self.runs) if self.runs else None

    @property
    def peak_mb(self) -> float | None:
        return statistics.median(r["maxrss_kb"] for r in self.runs) / 1024 if self.runs else None

    @property
    def tree_peak_mb(self) -> float | None:
        if not self.runs:
            return None
        return statistics.median(r["sampled_tree_peak_kb"] for r in self.runs) / 1024

    def as_dict(self) -> dict[str, Any]:
        return {
            "renderer": self.name,
            "key": self.key,
            "photos": self.photos,
            "ok": self.ok,
            "wall_s": self.wall_s,
            "peak_mb": self.peak_mb,
            "sampled_tree_peak_mb": self.tree_peak_mb,
            "runs": self.runs,
            "problems": self.problems,
            "probe": self.probe,
            "command": self.command,
        }


def _tail(path: Path, lines: int = 12) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def bench_count(
    photos_n: int, selected: list[str], args: argparse.Namespace, workdir: Path
) -> list[Result]:
    w, h = args.size
    tl = Timeline(photos_n, w, h)
    say = print  # progress on stderr
    fixdir = workdir / f"fixtures-{photos_n}"
    audio_seconds = math.ceil(tl.total_s) + 15
    t0 = time.perf_counter()
    manifest = fixtures.ensure_fixtures(fixdir, photos_n, FIXTURE_SEED, audio_seconds, sys.stderr)
    say(f"[{photos_n} photos] fixtures ready in {fixdir} ({time.perf_counter() - t0:.1f} s); "
        f"timeline {tl.total_s:g} s = {tl.total_frames} frames at {tl.fps} fps",
        file=sys.stderr, flush=True)  # fmt: skip
    photos, track = fixture_paths(fixdir, manifest)
    outdir = workdir / f"out-{photos_n}-{w}x{h}"
    outdir.mkdir(parents=True, exist_ok=True)
    floor_cache = workdir / f"floor-cache-{photos_n}-{w}x{h}"
    project = fixdir / f"bench-{w}x{h}.simvid"

    commands: dict[str, tuple[list[str], Path | None, dict[str, str] | None]] = {}
    outputs = {key: outdir / f"{key}-{RENDERERS[key].split()[0].lower()}.mp4" for key in selected}
    for key in selected:
        out = outputs[key]
        if key == "a":
            cmd = [sys.executable, str(SCRIPT), "_naive", str(fixdir), str(out),
                   "--size", f"{w}x{h}"]  # fmt: skip
            commands[key] = (cmd, None, None)
        elif key == "b":
            commands[key] = (loop_filter_command(photos, track, out, tl), None, None)
        elif key == "c":
            spent = prepare_floor_cache(fixdir, manifest, tl, floor_cache)
            if spent:
                say(f"[{photos_n} photos] composed the floor's frames once in {spent:.1f} s "
                    f"({floor_cache}, untimed)", file=sys.stderr, flush=True)  # fmt: skip
            cmd = [sys.executable, str(SCRIPT), "_floor", str(floor_cache), str(track),
                   str(out), "--photos", str(photos_n), "--size", f"{w}x{h}"]  # fmt: skip
            commands[key] = (cmd, None, None)
        elif key == "d":
            write_simvid_project(fixdir, manifest, tl, project)
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p
            )
            commands[key] = (simvid_command(project, out), REPO_ROOT, env)

    results = {key: Result(key, photos_n, commands[key][0]) for key in selected}
    for rep in range(args.repeat):
        for key in selected:
            cmd, cwd, env = commands[key]
            out, log = outputs[key], outputs[key].with_suffix(".log")
            out.unlink(missing_ok=True)
            say(f"[{photos_n} photos] ({key}) {RENDERERS[key]}, run {rep + 1}/{args.repeat} ...",
                end=" ", file=sys.stderr, flush=True)  # fmt: skip
            run = measure(cmd, log, cwd, env)
            res = results[key]
            res.runs.append(run)
            problems: list[str] = []
            if run["rc"] != 0:
                problems.append(f"exit status {run['rc']}")
                tail = _tail(log)
                if tail:
                    problems.append("log tail:\n      " + tail.replace("\n", "\n      "))
            else:
                problems, res.probe = verify(out, tl, manifest)
            res.problems += [f"run {rep + 1}: {p}" for p in problems]
            say(f"{run['wall_s']:.1f} s, peak {run['maxrss_kb'] / 1024:.0f} MB, "
                f"{'OK' if not problems else 'FAILED: ' + problems[0]}",
                file=sys.stderr, flush=True)  # fmt: skip
    if not args.keep:
        for out in outputs.values():
            out.unlink(missing_ok=True)
        shutil.rmtree(floor_cache, ignore_errors=True)
    return [results[key] for key in selected]


def _fmt(value: float | None, spec: str, suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{suffix}"


def report(results: list[Result]) -> tuple[str, list[dict[str, Any]]]:
    by = {(r.key, r.photos): r for r in results}
    counts = sorted({r.photos for r in results})

    def good_wall(key: str, n: int) -> float | None:
        res = by.get((key, n))
        return res.wall_s if res is not None and res.ok else None

    lines = [
        "| renderer | photos | wall s | ratio to floor | ours speed-up vs it | peak MB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for n in counts:
        floor, ours = good_wall(FLOOR, n), good_wall(OURS, n)
        for key in RENDERERS:
            res = by.get((key, n))
            if res is None:
                continue
            wall = res.wall_s if res.ok else None
            wall_txt = _fmt(wall, ".1f") if res.ok else "FAILED"
            ratio = wall / floor if wall is not None and floor else None
            speedup = wall / ours if wall is not None and ours else None
            lines.append(
                f"| {res.name} | {n} | {wall_txt} | {_fmt(ratio, '.2f', 'x')} | "
                f"{_fmt(speedup, '.2f', 'x')} | {_fmt(res.peak_mb, '.0f')} |"
            )
    cpus = os.cpu_count() or 1
    busy_notes = []
    for res in results:
        for number, run in enumerate(res.runs, 1):
            share = run.get("foreign_cpu_s", 0.0) / max(run["wall_s"] * cpus, 1e-9)
            if share > BUSY_SHARE:
                busy_notes.append(
                    f"- {res.name}, {res.photos} photos, run {number}: other processes used "
                    f"{run['foreign_cpu_s']:.0f} CPU-s ({share:.0%} of the machine) meanwhile"
                )
    if busy_notes:
        lines += ["", "Warning: the machine was busy, these timings are disturbed:", *busy_notes]
    failures = [r for r in results if not r.ok]
    if failures:
        lines += ["", "Failures:"]
        for res in failures:
            lines.append(f"- {res.name}, {res.photos} photos:")
            lines += [f"    - {p}" for p in res.problems] or ["    - did not run"]

    targets: list[dict[str, Any]] = []

    def target(text: str, value: str, passed: bool | None) -> None:
        verdict = {True: "PASS", False: "FAIL", None: "n/a"}[passed]
        targets.append({"target": text, "value": value, "result": verdict})

    for n in counts:
        ours_res = by.get((OURS, n))
        ours, floor, naive = good_wall(OURS, n), good_wall(FLOOR, n), good_wall(NAIVE, n)
        if ours is not None and floor:
            target(f"ours <= {TARGET_FLOOR_RATIO:.2f}x floor ({n} photos)",
                   f"{ours:.1f} s / {floor:.1f} s = {ours / floor:.2f}x",
                   ours / floor <= TARGET_FLOOR_RATIO)  # fmt: skip
        else:
            target(f"ours <= {TARGET_FLOOR_RATIO:.2f}x floor ({n} photos)", "not measured", None)
        if ours and naive is not None:
            target(f"ours >= {TARGET_NAIVE_SPEEDUP:g}x faster than naive moviepy ({n} photos)",
                   f"{naive:.1f} s / {ours:.1f} s = {naive / ours:.2f}x",
                   naive / ours >= TARGET_NAIVE_SPEEDUP)  # fmt: skip
        else:
            target(f"ours >= {TARGET_NAIVE_SPEEDUP:g}x faster than naive moviepy ({n} photos)",
                   "not measured", None)  # fmt: skip
        if ours_res is not None and ours_res.ok and ours_res.peak_mb is not None:
            target(f"ours peak < {TARGET_PEAK_MB:.0f} MB ({n} photos)",
                   f"{ours_res.peak_mb:.0f} MB", ours_res.peak_mb < TARGET_PEAK_MB)  # fmt: skip
        else:
            target(f"ours peak < {TARGET_PEAK_MB:.0f} MB ({n} photos)", "not measured", None)
    ours_peaks = {
        n: r.peak_mb for n in counts
        if (r := by.get((OURS, n))) is not None and r.ok and r.peak_mb is not None
    }  # fmt: skip
    if {10, 40} <= set(counts) or len(counts) < 2:
        lo, hi = 10, 40
    else:
        lo, hi = min(counts), max(counts)
    growth_text = (
        f"ours peak at {hi} photos vs {lo} photos (not growing: <= +{TARGET_PEAK_GROWTH:.0%})"
    )
    if lo != hi and lo in ours_peaks and hi in ours_peaks:
        growth = ours_peaks[hi] / ours_peaks[lo] - 1
        target(growth_text, f"{ours_peaks[hi]:.0f} MB vs {ours_peaks[lo]:.0f} MB ({growth:+.0%})",
               growth <= TARGET_PEAK_GROWTH)  # fmt: skip
    else:
        target(growth_text, "needs ours measured at two photo counts (e.g. --images 10,40)", None)

    lines += ["", "Targets:"]
    lines += [f"- {t['target']}: {t['value']} -> {t['result']}" for t in targets]
    return "\n".join(lines), targets


def environment() -> dict[str, Any]:
    version = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-version"], capture_output=True, text=True, check=False
    ).stdout.splitlines()
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "ffmpeg": version[0] if version else "unknown",
        "imageio_ffmpeg": imageio_ffmpeg.__version__,
    }


def parse_only(text: str) -> list[str]:
    keys = [k.strip().lower() for k in text.split(",") if k.strip()]
    bad = [k for k in keys if k not in RENDERERS]
    if bad or not keys:
        raise argparse.ArgumentTypeError(f"--only takes letters from {','.join(RENDERERS)}")
    return [k for k in RENDERERS if k in keys]  # canonical order


def parse_counts(text: str) -> list[int]:
    try:
        counts = sorted({int(v) for v in text.split(",") if v.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError("--images takes counts like 10 or 10,40") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("photo counts must be >= 1")
    return counts


def bench_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(
        description="Simvid render benchmark (see the module docstring for the renderers).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(f"  {k}  {v}" for k, v in RENDERERS.items()),
    )
    ap.add_argument("--images", type=parse_counts, default=[10],
                    help="photo counts to run, comma separated (default 10)")  # fmt: skip
    ap.add_argument("--repeat", type=int, default=1, help="runs per renderer; the median counts")
    ap.add_argument("--only", type=parse_only, default=list(RENDERERS),
                    help="which renderers to run, e.g. a,b,c (default a,b,c,d)")  # fmt: skip
    ap.add_argument("--workdir", type=Path,
                    default=Path(tempfile.gettempdir()) / "simvid-bench",
                    help="fixtures, outputs and caches (default: %(default)s)")  # fmt: skip
    ap.add_argument("--size", type=parse_size, default=(1920, 1080), help="output WxH")
    ap.add_argument("--json", type=Path, help="also write all figures to this JSON file")
    ap.add_argument(
        "--keep",
        action="store_true",
        help="keep the rendered MP4s and the floor's frame cache (logs are always kept)",
    )
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be >= 1")
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    results: list[Result] = []
    for count in args.images:
        results += bench_count(count, args.only, args, workdir)
    table, targets = report(results)
    w, h = args.size
    print(f"\nSimvid render benchmark: {w}x{h} @ {FPS} fps, {SLIDE_SECONDS:g} s per photo, "
          f"{FADE_SECONDS:g} s crossfades, libx264 -preset {X264_PRESET} CRF {CRF}, AAC; "
          f"median of {args.repeat} run(s); "
          "peak MB = largest process in the renderer's tree\n")  # fmt: skip
    print(table)
    if args.json:
        payload = {
            "settings": {
                "size": [w, h], "fps": FPS, "slide_s": SLIDE_SECONDS, "fade_s": FADE_SECONDS,
                "x264_preset": X264_PRESET, "crf": CRF, "repeat": args.repeat,
                "images": args.images, "renderers": {k: RENDERERS[k] for k in args.only},
                "fixture_seed": FIXTURE_SEED, "workdir": str(workdir),
            },
            "environment": environment(),
            "results": [r.as_dict() for r in results],
            "targets": targets,
            "benchmark_seconds": round(time.perf_counter() - started, 1),
        }  # fmt: skip
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=1), encoding="utf-8")
        print(f"\nfigures written to {args.json}")
    return 0 if all(r.ok for r in results) else 1


def _child_args(prog: str, argv: list[str], positional: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog=f"render_bench.py {prog}")
    for name in positional:
        ap.add_argument(name, type=Path)
    ap.add_argument("--size", type=parse_size, default=(1920, 1080))
    ap.add_argument("--photos", type=int, default=0)
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_measure"]:
        return measure_main(argv[1:])
    if argv[:1] == ["_naive"]:
        args = _child_args("_naive", argv[1:], ["fixdir", "out"])
        manifest = json.loads((args.fixdir / fixtures.MANIFEST).read_text(encoding="utf-8"))
        run_naive_moviepy(args.fixdir, args.out, Timeline(len(manifest["images"]), *args.size))
        return 0
    if argv[:1] == ["_floor"]:
        args = _child_args("_floor", argv[1:], ["cache", "track", "out"])
        return run_floor(args.cache, args.track, args.out, Timeline(args.photos, *args.size))
    return bench_main(argv)


if __name__ == "__main__":
    sys.exit(main())
