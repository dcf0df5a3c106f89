#!/usr/bin/env python3
"""Output formats benchmark: speed, size and quality of each format on the benchmark show.

    python benchmarks/format_bench.py [--formats mp4,webm-vp9,...] [--size 1920x1080]
                                      [--quality standard] [--no-ssim] [--workdir DIR]
                                      [--json FILE] [--keep]

The show: 8 photos (deterministic 2-24 MP JPEGs from fixtures.py, one in five turned by
EXIF) at 3 s each with 1 s crossfades (about 20 s), Ken Burns motion, 30 fps, music.
Each format is rendered by ``python -m simvid_desktop render show.simvid -o OUT --format
F`` as its own process tree (wall time, and CPU time: user + sys of the whole tree, which
the other users of a shared machine do not disturb), one after the other, in one run.

Quality: SSIM (All) of each video against a lossless render of the same show (x264 CRF 0,
made once, untimed), both as 4:2:0; the GIF is left out (another size and frame rate).

Uses the standard library and the package itself (and its ffmpeg).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

try:  # run as `python -m benchmarks.format_bench`
    from . import fixtures
    from .render_bench import measure
except ImportError:  # run as `python benchmarks/format_bench.py`
    import fixtures  # type: ignore[no-redef]
    from render_bench import measure  # type: ignore[no-redef]

SCRIPT = Path(__file__).resolve()
REPO_ROOT = SCRIPT.parent.parent
sys.path.insert(0, str(REPO_ROOT))

PHOTOS, PHOTO_SECONDS, FADE_SECONDS, FPS = 8, 3.0, 1.0, 30


def write_project(work: Path, size: str, quality: str) -> Path:
    from simvid_desktop.model.project import (
        AudioBed,
        Motion,
        MotionMode,
        OutputSettings,
        Project,
        Quality,
        Resolution,
        Slide,
        Transition,
        TransitionKind,
    )
    from simvid_desktop.model.project_io import save_project

    manifest = fixtures.ensure_fixtures(work / "photos", PHOTOS, audio_seconds=40)
    photos = [work / "photos" / entry["file"] for entry in manifest["images"]]
    project = Project(
        slides=tuple(Slide.photo(p) for p in photos), default_duration=PHOTO_SECONDS,
        transition=Transition(TransitionKind.FADE, FADE_SECONDS),
        motion=Motion(MotionMode.AUTO),
        audio=AudioBed.single(work / "photos" / manifest["audio"]["file"]),
        output=OutputSettings(resolution=Resolution(size), fps=FPS, quality=Quality(quality)),
    )
    path = work / "show.simvid"
    save_project(project, path)
    return path


def ssim(video: Path, reference: Path) -> float | None:
    from simvid_desktop.render.ffmpeg import ffmpeg_exe

    err = subprocess.run([
        ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(video), "-i", str(reference),
        # Frames paired by number: WebM's millisecond timestamps would otherwise pair
        # some frames with their neighbours (measured: 0.9766 instead of 0.9830).
        "-lavfi", f"[0:v]format=yuv420p,settb=1/{FPS},setpts=N[a];"
                  f"[1:v]format=yuv420p,settb=1/{FPS},setpts=N[b];[a][b]ssim",
        "-f", "null", "-"], capture_output=True, text=True).stderr
    found = re.search(r"SSIM Y:[\d.]+ .*All:([\d.]+)", err)
    return float(found[1]) if found else None


def main() -> int:
    from simvid_desktop.model.project import OutputFormat

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--formats", default=",".join(f.value for f in OutputFormat))
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--quality", default="standard")
    ap.add_argument("--no-ssim", action="store_true")
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    formats = [OutputFormat(name) for name in args.formats.split(",")]
    work = args.workdir or Path(tempfile.mkdtemp(prefix="simvid-formats-"))
    work.mkdir(parents=True, exist_ok=True)
    project = write_project(work, args.size, args.quality)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    render = [sys.executable, "-m", "simvid_desktop", "render", str(project), "--progress",
              "none"]
    reference = work / f"lossless-{args.size}.mkv"
    if not args.no_ssim and not reference.exists():
        print("rendering the lossless reference (untimed)...", flush=True)
        lossless = work / "lossless.mp4"
        lossless.unlink(missing_ok=True)
        result = measure([*render, "-o", str(lossless), "--crf", "0", "--x264-preset",
                          "ultrafast"], work / "lossless.log", cwd=REPO_ROOT, env=env)
        if result["rc"] != 0:
            print(f"the lossless render failed: see {work / 'lossless.log'}", file=sys.stderr)
            return 1
        lossless.rename(reference)
    rows: list[dict[str, Any]] = []
    for fmt in formats:
        out = work / f"show-{fmt.value}{fmt.suffix}"
        out.unlink(missing_ok=True)
        log = work / f"{fmt.value}.log"
        result = measure([*render, "-o", str(out), "--format", fmt.value], log,
                         cwd=REPO_ROOT, env=env)
        if result["rc"] != 0 or not out.exists():
            print(f"{fmt.value} failed: see {log}", file=sys.stderr)
            return 1
        row = {"format": fmt.value, "wall_s": result["wall_s"],
               "cpu_s": result["user_s"] + result["sys_s"], "bytes": out.stat().st_size,
               "ssim": None if args.no_ssim or fmt is OutputFormat.GIF
               else ssim(out, reference)}
        rows.append(row)
        print(f"  {fmt.value:11s} {row['wall_s']:6.1f} s wall {row['cpu_s']:6.1f} s CPU "
              f"{row['bytes'] / 1e6:7.2f} MB", flush=True)
    base = next((r for r in rows if r["format"] == "mp4"), rows[0])
    print(f"\n{args.size} {FPS} fps, {PHOTOS} photos, Ken Burns, quality {args.quality}; "
          f"times and sizes relative to {base['format']}\n")
    print("| format | wall | CPU | CPU × | size | size × | SSIM |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        quality = f"{r['ssim']:.4f}" if r["ssim"] is not None else "–"
        print(f"| {r['format']} | {r['wall_s']:.1f} s | {r['cpu_s']:.1f} s | "
              f"{r['cpu_s'] / base['cpu_s']:.2f} | {r['bytes'] / 1e6:.2f} MB | "
              f"{r['bytes'] / base['bytes']:.2f} | {quality} |")
    if args.json:
        args.json.write_text(json.dumps({"size": args.size, "quality": args.quality,
                                         "rows": rows}, indent=2))
    if not args.keep and args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
