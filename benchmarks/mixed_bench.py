#!/usr/bin/env python3
"""Mixed-media benchmark: a show of 10 photos and 3 video clips against its encode floor.

    python benchmarks/mixed_bench.py [--size 1920x1080] [--repeat 2] [--workdir DIR]
                                     [--json FILE] [--keep]

The show: 10 photos (deterministic 2-24 MP JPEGs from fixtures.py, one in five turned by
EXIF) at 3 s each and 3 clips of 4 s each, 1 s crossfades, blurred fill, 30 fps, music:

  clip 1  1920x1080 30 fps H.264 with sound              (a camera clip)
  clip 2  3840x2160 60 fps H.264 with sound              (a 4K 60 fps phone clip)
  clip 3  1920x1080 30 fps stored, turned 90 degrees by its display matrix: a portrait
          phone clip, shown upright with the blurred fill

Two renderers, alternately, each run as its own process tree (timed, peak memory):

  floor   the show's frames composed ONCE before timing by Simvid's own compositor into a
          raw yuv420p file (repeated still frames stored once); the timed run only reads
          them and pipes them into the same ffmpeg command Simvid's single pass runs (the
          same x264 settings, the same soundtrack with the clips' sound and the ducking).
  simvid  python -m simvid_desktop render show.simvid -o out.mp4 (medium, CRF 23)

The ratio simvid / floor is what decoding the photos and clips, placing them and blending
the transitions costs on top of encoding. Target: <= 1.10 at 1080p.

Uses the standard library, numpy and the package itself (and its ffmpeg).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

try:  # run as `python -m benchmarks.mixed_bench`
    from . import fixtures
    from .render_bench import measure
except ImportError:  # run as `python benchmarks/mixed_bench.py`
    import fixtures  # type: ignore[no-redef]
    from render_bench import measure  # type: ignore[no-redef]

SCRIPT = Path(__file__).resolve()
REPO_ROOT = SCRIPT.parent.parent
sys.path.insert(0, str(REPO_ROOT))

FPS = 30
PHOTO_SECONDS = 3.0
CLIP_SECONDS = 4.0
FADE_SECONDS = 1.0
X264_PRESET, CRF = "medium", 23

CLIPS = {  # name: (stored size, fps, display rotation)
    "clip1_1080p30.mp4": ((1920, 1080), 30, 0),
    "clip2_4k60.mp4": ((3840, 2160), 60, 0),
    "clip3_portrait.mp4": ((1920, 1080), 30, 90),
}


def ffmpeg_exe() -> str:
    from simvid_desktop.render.ffmpeg import ffmpeg_exe as exe

    return exe()


def make_clip(path: Path, size: tuple[int, int], fps: int, rotation: int) -> None:
    if path.exists():
        return
    w, h = size
    tmp = path.with_suffix(".tmp.mp4")
    subprocess.run([
        ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size={w}x{h}:rate={fps}:duration={CLIP_SECONDS}",
        "-f", "lavfi", "-i", f"sine=frequency=660:sample_rate=48000:duration={CLIP_SECONDS}",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
        "-g", str(fps), "-c:a", "aac", "-shortest", str(tmp),
    ], check=True)
    if rotation:
        subprocess.run([
            ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
            "-display_rotation", str(rotation), "-i", str(tmp), "-c", "copy", str(path),
        ], check=True)
        tmp.unlink()
    else:
        tmp.rename(path)


def write_project(work: Path, size: str, loudness: str) -> Path:
    from simvid_desktop.model.project import (
        AudioBed,
        FitMode,
        Loudness,
        OutputSettings,
        Project,
        Resolution,
        Slide,
        Transition,
        TransitionKind,
    )
    from simvid_desktop.model.project_io import save_project
    from simvid_desktop.render.clips import probe_clip

    manifest = fixtures.ensure_fixtures(work / "photos", 10, audio_seconds=60)
    photos = [work / "photos" / entry["file"] for entry in manifest["images"]]
    clips = []
    for name, (stored, fps, rotation) in CLIPS.items():
        make_clip(work / name, stored, fps, rotation)
        clips.append(Slide.video(work / name, probe_clip(work / name).duration))
    slides = [Slide.photo(p) for p in photos[:4]] + [clips[0]]
    slides += [Slide.photo(p) for p in photos[4:7]] + [clips[1]]
    slides += [Slide.photo(p) for p in photos[7:]] + [clips[2]]
    project = Project(
        slides=tuple(slides), default_duration=PHOTO_SECONDS,
        transition=Transition(TransitionKind.FADE, FADE_SECONDS),
        audio=AudioBed.single(work / "photos" / manifest["audio"]["file"]),
        output=OutputSettings(resolution=Resolution(size), fps=FPS, fit=FitMode.BLUR,
                              x264_preset=X264_PRESET, crf=CRF, loudness=Loudness(loudness)),
    )
    path = work / "show.simvid"
    save_project(project, path)
    return path


def prepare_floor(project_path: Path, cache: Path) -> dict[str, Any]:
    """Compose every frame once (untimed): unique frames into ``cache/frames.yuv`` and
    the order they are shown in into ``cache/index.json``."""
    from simvid_desktop.model.project_io import load_project
    from simvid_desktop.render.compositor import Compositor
    from simvid_desktop.render.loudness import loudness_gain

    project = load_project(project_path)
    offsets: dict[bytes, int] = {}
    order: list[int] = []
    cache.mkdir(parents=True, exist_ok=True)
    with Compositor(project) as comp, open(cache / "frames.yuv", "wb") as out:
        for n in range(comp.timeline.frame_count):
            data = comp.frame(n).buf.tobytes()
            key = hashlib.blake2b(data, digest_size=16).digest()
            if key not in offsets:
                offsets[key] = len(offsets)
                out.write(data)
            order.append(offsets[key])
        frame_bytes = comp.size[0] * comp.size[1] * 3 // 2
    gain = loudness_gain(project)
    info = {"order": order, "frame_bytes": frame_bytes, "unique": len(offsets),
            "loudness": [gain.gain_db, gain.ceiling_db] if gain else None}
    (cache / "index.json").write_text(json.dumps(info))
    return info


def floor_main(argv: list[str]) -> int:
    """The timed floor: read the composed frames and pipe them into Simvid's own ffmpeg
    command for a single-pass render of this project."""
    project_path, cache, out = Path(argv[0]), Path(argv[1]), Path(argv[2])
    from simvid_desktop.model.project_io import load_project
    from simvid_desktop.model.timeline import Timeline
    from simvid_desktop.render.audio import LoudnessGain, soundtrack_plan
    from simvid_desktop.render.encoder import single_pass_args
    from simvid_desktop.render.ffmpeg import ffmpeg_exe as exe

    project = load_project(project_path)
    # The same soundtrack as Simvid's, with the loudness gain measured before timing
    # (Simvid's own measuring counts against Simvid).
    info = json.loads((cache / "index.json").read_text())
    gain = LoudnessGain(*info["loudness"]) if info.get("loudness") else None
    plan = soundtrack_plan(project, Timeline(project), 1, loudness=gain)
    size = info["frame_bytes"]
    proc = subprocess.Popen([exe(), "-hide_banner", *single_pass_args(project, plan, out)],
                            stdin=subprocess.PIPE)
    assert proc.stdin is not None
    buf = bytearray(size)
    with open(cache / "frames.yuv", "rb", buffering=0) as frames:
        for index in info["order"]:
            frames.seek(index * size)
            frames.readinto(buf)
            proc.stdin.write(buf)
    proc.stdin.close()
    return proc.wait()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--loudness", default="-14", choices=["-14", "-16", "-23", "off"],
                    help="the show's loudness setting (off: the mixed-media cost alone, "
                         "without the soundtrack's measuring pass)")
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="simvid-mixed-"))
    work.mkdir(parents=True, exist_ok=True)
    project = write_project(work, args.size, args.loudness)
    cache = work / f"floor-{args.size}-loudness{args.loudness}"
    if not (cache / "index.json").exists():
        print("composing the floor's frames (untimed)...", flush=True)
        prepare_floor(project, cache)
    runs: dict[str, list[dict[str, Any]]] = {"floor": [], "simvid": []}
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    for r in range(args.repeat):
        for name in ("floor", "simvid"):  # alternately, so drift hits both
            out = work / f"{name}-{r}.mp4"
            out.unlink(missing_ok=True)
            if name == "floor":
                cmd = [sys.executable, str(SCRIPT), "_floor", str(project), str(cache), str(out)]
            else:
                cmd = [sys.executable, "-m", "simvid_desktop", "render", str(project), "-o",
                       str(out), "--progress", "none"]
            result = measure(cmd, work / f"{name}-{r}.log", cwd=REPO_ROOT, env=env)
            if result["rc"] != 0 or not out.exists():
                print(f"{name} failed: see {work / f'{name}-{r}.log'}", file=sys.stderr)
                return 1
            runs[name].append(result)
            print(f"  {name:7s} run {r + 1}: {result['wall_s']:6.1f} s wall, "
                  f"{result['user_s'] + result['sys_s']:6.1f} s CPU, "
                  f"peak {result['maxrss_kb'] / 1024:5.0f} MiB (one process), "
                  f"{result['sampled_tree_peak_kb'] / 1024:5.0f} MiB (tree)", flush=True)

    def med(name: str, key: str) -> float:
        return statistics.median(
            r["user_s"] + r["sys_s"] if key == "cpu" else r[key] for r in runs[name])

    summary = {
        "size": args.size, "repeat": args.repeat,
        "wall_ratio": med("simvid", "wall_s") / med("floor", "wall_s"),
        "cpu_ratio": med("simvid", "cpu") / med("floor", "cpu"),
        "simvid_peak_tree_mib": max(r["sampled_tree_peak_kb"] for r in runs["simvid"]) / 1024,
        "simvid_peak_process_mib": max(r["maxrss_kb"] for r in runs["simvid"]) / 1024,
        "runs": runs,
    }
    print(f"\n{args.size}: simvid / floor = {summary['wall_ratio']:.3f} wall, "
          f"{summary['cpu_ratio']:.3f} CPU (median of {args.repeat}); simvid peak "
          f"{summary['simvid_peak_tree_mib']:.0f} MiB for its process tree "
          f"({summary['simvid_peak_process_mib']:.0f} MiB its largest process)")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    if not args.keep and args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["_floor"]:
        sys.exit(floor_main(sys.argv[2:]))
    sys.exit(main())
