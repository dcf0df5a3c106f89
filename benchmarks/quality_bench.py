#!/usr/bin/env python3
"""Quality benchmark: x264 settings and the quality presets against x264 medium CRF 23.

    python benchmarks/quality_bench.py [--shows still,kenburns,clips] [--seconds 20]
        [--size 1920x1080] [--repeat 1] [--tables tuning,presets] [--presets draft,...]
        [--candidates "fast:23;faster:22:weightp=2"] [--vmaf] [--workdir DIR] [--json FILE]

Three shows, 1080p30, about ``--seconds`` each, 1 s crossfades, 3 s per photo:

  still     photos (benchmarks/fixtures.py), letterboxed, no motion
  kenburns  the same photos with ``--motion auto --fit blur``
  clips     photos and two generated clips (a grainy camera pan over a photo, and
            ffmpeg's testsrc2), blurred fill

Each show's frames are composed ONCE by Simvid's compositor into a raw yuv420p file
(cached in the work folder). That file is the reference: every encode is of exactly those
frames, with a keyframe forced at each slide start as Simvid renders, and is scored
against them with ffmpeg's ``ssim`` filter (the "All" figure; ``--vmaf``: libvmaf too,
on every 3rd frame).
Time is ffmpeg's alone (reading a raw file costs next to nothing): its wall time and its
CPU time (user+sys), median over ``--repeat`` runs taken in alternating order. Ratios are
against x264 medium CRF 23 (no tuning) on the same show, measured in the same run.

Tables: (a) ``tuning``: each candidate setting (``preset:crf[:x264-params]``);
(b) ``presets``: draft/standard/high/best as Simvid's encoder builds them
(``render.encoder.segment_args``).

Uses the standard library, numpy and the package itself (and its ffmpeg).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:  # run as `python -m benchmarks.quality_bench`
    from . import fixtures
except ImportError:  # run as `python benchmarks/quality_bench.py`
    import fixtures  # type: ignore[no-redef]

SCRIPT = Path(__file__).resolve()
REPO_ROOT = SCRIPT.parent.parent
sys.path.insert(0, str(REPO_ROOT))

FPS = 30
PHOTO_SECONDS = 3.0
CLIP_SECONDS = 4.0
FADE_SECONDS = 1.0
SHOWS = ("still", "kenburns", "clips")
PHOTOS = 8  #: photos generated (one set for every length)
REFERENCE = "medium:23"
VMAF_EVERY = 3  #: libvmaf scores every 3rd frame (it is slow; SSIM scores them all)
#: The tuning candidates: x264 speed preset, CRF, and -x264-params.
CANDIDATES = (
    "medium:23",
    "fast:23",
    "fast:23:weightp=2",
    "faster:22",
    "faster:22:weightp=2",
    "veryfast:21",
    "veryfast:21:weightp=2",
    "fast:23:weightp=2:scenecut=0:keyint=infinite",
    "fast:23:weightp=2:aq-mode=3",
    "fast:23:weightp=2:ref=3",
    "fast:23:weightp=2:rc-lookahead=60",
    "fast:23:weightp=2:bframes=5",
)


def ffmpeg_exe() -> str:
    from simvid_desktop.render.ffmpeg import ffmpeg_exe as exe

    return exe()


@dataclass(frozen=True)
class Setting:
    """One x264 configuration to encode with."""

    preset: str
    crf: float
    params: str = ""

    @classmethod
    def parse(cls, text: str) -> Setting:
        preset, crf, *rest = text.split(":")
        return cls(preset, float(crf), ":".join(rest))

    @property
    def label(self) -> str:
        crf = f"{self.crf:g}"
        return f"{self.preset} CRF {crf}" + (f" {self.params}" if self.params else "")


# -- the shows ----------------------------------------------------------------------------
def make_clip(path: Path, kind: str, source: Path | None) -> None:
    """A 1080p30 H.264 clip: ``pan``, a camera panning over ``source`` with grain that
    changes every frame (what makes real camera clips expensive); ``testsrc``, ffmpeg's
    testsrc2."""
    if path.exists():
        return
    if kind == "pan":
        assert source is not None
        inputs = ["-loop", "1", "-framerate", str(FPS), "-i", str(source)]
        vf = ("scale=3840:-2,crop=1920:1080:x='200+t*90':y='(ih-1080)/2+t*20',"
              "noise=alls=8:allf=t,format=yuv420p")
    else:
        inputs = ["-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate={FPS}"]
        vf = "format=yuv420p"
    tmp = path.with_suffix(".tmp.mp4")
    subprocess.run([
        ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *inputs, "-t",
        str(CLIP_SECONDS), "-vf", vf, "-c:v", "libx264", "-preset", "veryfast", "-crf", "16",
        "-g", str(FPS), "-an", str(tmp)], check=True)
    tmp.rename(path)


def build_show(work: Path, name: str, seconds: float, size: str) -> Any:
    from simvid_desktop.model.project import (
        FitMode,
        Motion,
        MotionMode,
        OutputSettings,
        Project,
        Resolution,
        Slide,
        Transition,
        TransitionKind,
    )
    from simvid_desktop.render.clips import probe_clip

    count = max(2, round(seconds / PHOTO_SECONDS))
    manifest = fixtures.ensure_fixtures(work / "photos", max(count, PHOTOS), audio_seconds=10)
    photos = [work / "photos" / entry["file"] for entry in manifest["images"]][:count]
    slides = [Slide.photo(p) for p in photos]
    motion, fit = Motion(), FitMode.LETTERBOX
    if name == "kenburns":
        motion, fit = Motion(MotionMode.AUTO), FitMode.BLUR
    elif name == "clips":
        fit = FitMode.BLUR
        clips = []
        for kind in ("pan", "testsrc"):
            path = work / f"clip_{kind}.mp4"
            make_clip(path, kind, photos[0])
            clips.append(Slide.video(path, probe_clip(path).duration))
        keep = max(1, round((seconds - 2 * CLIP_SECONDS) / PHOTO_SECONDS))
        photo_slides = slides[:keep]
        half = len(photo_slides) // 2
        slides = [*photo_slides[:half], clips[0], *photo_slides[half:], clips[1]]
    return Project(
        slides=tuple(slides), default_duration=PHOTO_SECONDS,
        transition=Transition(TransitionKind.FADE, FADE_SECONDS), motion=motion,
        output=OutputSettings(resolution=Resolution(size), fps=FPS, fit=fit),
    )


def compose_reference(project: Any, folder: Path) -> dict[str, Any]:
    """Every frame of ``project`` into ``folder/frames.yuv`` (once: reused while the
    project and the engine are the same)."""
    from simvid_desktop import __version__
    from simvid_desktop.model.project_io import project_to_dict
    from simvid_desktop.render.compositor import Compositor

    key = json.dumps([__version__, project_to_dict(project)], sort_keys=True, default=str)
    info_path = folder / "frames.json"
    if info_path.exists():
        info: dict[str, Any] = json.loads(info_path.read_text())
        if info.get("key") == key and (folder / "frames.yuv").exists():
            return info
    folder.mkdir(parents=True, exist_ok=True)
    with Compositor(project) as comp, open(folder / "frames.yuv", "wb") as out:
        for n in range(comp.timeline.frame_count):
            out.write(comp.frame(n).buf)
        info = {"key": key, "frames": comp.timeline.frame_count,
                "size": list(comp.size), "keyframes": comp.timeline.slide_start_frames()}
    info_path.write_text(json.dumps(info))
    return info


# -- encoding and scoring -----------------------------------------------------------------
def _raw_input(info: dict[str, Any]) -> list[str]:
    w, h = info["size"]
    return ["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{w}x{h}", "-framerate", str(FPS)]


def candidate_args(setting: Setting, info: dict[str, Any], out: Path) -> list[str]:
    """What Simvid's encoder would run for ``setting`` (video only), reading stdin."""
    from simvid_desktop.model.project import VideoEncoder
    from simvid_desktop.render.hw_encoders import codec_args

    args = codec_args(VideoEncoder.SOFTWARE, setting.crf, setting.preset, setting.params)
    times = [f"{(n - 0.5) / FPS:.6f}" for n in sorted(set(info["keyframes"])) if n > 0]
    return ["-loglevel", "error", "-y", *_raw_input(info), "-i", "pipe:0",
            "-vf", "setparams=range=tv:color_primaries=bt709:color_trc=bt709:colorspace=bt709",
            *args, "-r", str(FPS), "-force_key_frames", ",".join(times), "-an",
            "-f", "mp4", str(out)]


def preset_args(project: Any, quality: str, info: dict[str, Any], out: Path) -> list[str]:
    """Simvid's own segment command for ``project`` at ``quality`` (video only)."""
    from dataclasses import replace

    from simvid_desktop.model.project import Quality
    from simvid_desktop.render.encoder import segment_args

    project = replace(project, output=replace(project.output, quality=Quality(quality),
                                              crf=None, x264_preset=None))
    return segment_args(project, out, info["keyframes"])


def timed_encode(args: list[str], frames: Path) -> tuple[float, float]:
    """Run ffmpeg on the raw ``frames``; (wall seconds, CPU seconds of ffmpeg)."""
    import time

    with open(frames, "rb") as stdin:
        t0 = time.perf_counter()
        proc = subprocess.Popen([ffmpeg_exe(), "-hide_banner", "-nostdin", *args], stdin=stdin)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg failed ({proc.returncode}): {args}")
    return wall, usage.ru_utime + usage.ru_stime


def score(encoded: Path, frames: Path, info: dict[str, Any], vmaf: bool) -> dict[str, float]:
    """SSIM (All) of ``encoded`` against the raw reference; VMAF too when asked."""
    graph = "[0:v][1:v]ssim"
    if vmaf:
        graph = ("[0:v]split[a0][a1];[1:v]split[b0][b1];[a0][b0]ssim;"
                 f"[a1][b1]libvmaf=n_threads={os.cpu_count() or 1}:n_subsample={VMAF_EVERY}")
    done = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-i", str(encoded),
         *_raw_input(info), "-i", str(frames), "-lavfi", graph, "-f", "null", "-"],
        capture_output=True, text=True, check=True)
    found = re.search(r"SSIM Y:([\d.]+) .*All:([\d.]+)", done.stderr)
    if not found:
        raise RuntimeError(f"no SSIM for {encoded}: {done.stderr[-500:]}")
    result = {"ssim_y": float(found[1]), "ssim": float(found[2])}
    if vmaf:
        vm = re.search(r"VMAF score: ([\d.]+)", done.stderr)
        if vm:
            result["vmaf"] = float(vm[1])
    return result


@dataclass
class Row:
    show: str
    label: str
    ssim: float
    size: int
    walls: list[float]
    cpus: list[float]
    vmaf: float | None = None

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus)


def bench_show(work: Path, show: str, args: argparse.Namespace) -> list[Row]:
    project = build_show(work, show, args.seconds, args.size)
    print(f"[{show}] composing the reference frames ...", file=sys.stderr, flush=True)
    folder = work / show
    info = compose_reference(project, folder)
    frames = folder / "frames.yuv"
    jobs: list[tuple[str, str, list[str], Path]] = []  # (table, label, args, out)
    if "tuning" in args.tables:
        for text in [REFERENCE, *(c for c in args.candidates if c != REFERENCE)]:
            setting = Setting.parse(text)
            out = folder / f"{os.getpid()}-tune-{len(jobs)}.mp4"
            jobs.append(("tuning", setting.label, candidate_args(setting, info, out), out))
    else:
        out = folder / f"{os.getpid()}-reference.mp4"
        ref = Setting.parse(REFERENCE)
        jobs.append(("tuning", ref.label, candidate_args(ref, info, out), out))
    if "presets" in args.tables:
        for quality in args.presets:
            out = folder / f"{os.getpid()}-preset-{quality}.mp4"
            jobs.append(("presets", quality, preset_args(project, quality, info, out), out))
    times: dict[int, list[tuple[float, float]]] = {i: [] for i in range(len(jobs))}
    for rep in range(args.repeat):
        order = list(range(len(jobs)))
        if rep % 2:
            order.reverse()
        for i in order:
            times[i].append(timed_encode(jobs[i][2], frames))
            print(f"[{show}] {jobs[i][0]} {jobs[i][1]}: wall {times[i][-1][0]:.1f} s, "
                  f"cpu {times[i][-1][1]:.1f} s", file=sys.stderr, flush=True)
    rows = []
    for i, (table, label, _, out) in enumerate(jobs):
        scores = score(out, frames, info, args.vmaf)
        rows.append(Row(show, f"{table}|{label}", scores["ssim"], out.stat().st_size,
                        [t[0] for t in times[i]], [t[1] for t in times[i]],
                        scores.get("vmaf")))
        out.unlink()
    return rows


def table(rows: list[Row], which: str, vmaf: bool) -> str:
    head = "| show | settings | SSIM | ΔSSIM |" + (" VMAF |" if vmaf else "") + \
        " size MB | size × | CPU s | CPU × | wall s | wall × |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for show in dict.fromkeys(r.show for r in rows):
        ref = next(r for r in rows if r.show == show and r.label.startswith("tuning|"))
        for r in rows:
            kind, label = r.label.split("|", 1)
            if r is ref and which != "tuning":
                label = f"(x264 {label})"
            elif r.show != show or kind != which:
                continue
            v = (f" {r.vmaf:.2f} |" if r.vmaf is not None else " - |") if vmaf else ""
            lines.append(
                f"| {show} | {label} | {r.ssim:.4f} | {r.ssim - ref.ssim:+.4f} |{v}"
                f" {r.size / 1e6:.2f} | {r.size / ref.size:.2f} | {r.cpu:.1f} |"
                f" {r.cpu / ref.cpu:.2f} | {r.wall:.1f} | {r.wall / ref.wall:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[1])
    ap.add_argument("--shows", default=",".join(SHOWS))
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--tables", default="tuning,presets")
    ap.add_argument("--candidates", default=";".join(CANDIDATES),
                    help="';'-separated preset:crf[:x264-params]")
    ap.add_argument("--presets", default="draft,standard,high,best")
    ap.add_argument("--vmaf", action="store_true", help="also score with libvmaf (slow)")
    ap.add_argument("--workdir", type=Path,
                    default=Path(tempfile.gettempdir()) / "simvid-quality-bench")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    args.tables = args.tables.split(",")
    args.presets = args.presets.split(",")
    args.candidates = [c.strip() for c in args.candidates.split(";") if c.strip()]
    args.workdir.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    for show in args.shows.split(","):
        rows += bench_show(args.workdir, show, args)
        for which in args.tables:  # as they come: the whole run takes a while
            print(table([r for r in rows if r.show == show], which, args.vmaf),
                  file=sys.stderr, flush=True)
    print(f"x264 against x264 medium CRF 23 (no tuning), {args.size} {FPS} fps, "
          f"~{args.seconds:g} s shows, median of {args.repeat} run(s); CPU = user+sys of ffmpeg")
    if "tuning" in args.tables:
        print("\n(a) tuning\n" + table(rows, "tuning", args.vmaf))
    if "presets" in args.tables:
        print("\n(b) quality presets\n" + table(rows, "presets", args.vmaf))
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in rows], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
