#!/usr/bin/env python3
"""Ken Burns smoothness at 30 and 60 fps: a strip of consecutive frames to look at, and a
figure for how far a tracked point strays from a smooth path.

    python benchmarks/jitter_strip.py [--fps 30,60] [--seconds 4] [--outdir docs/screenshots]

A generated 4K photo (a fine grid, a checkerboard, and a bright round dot on a dark patch)
is shown for ``--seconds`` with a slow custom push-in and drift, composed at 1920x1080 by
Simvid's own compositor (the frames the encoder is given, not a decoded video, so what is
measured is the motion and the resampler, not x264).

For each frame rate it writes ``jitter_<fps>.png``: top row, 8 consecutive frames, a
160-pixel crop around the dot (the same window for all 8), magnified 3x with the measured
centre marked; bottom row, the difference of each frame from the previous one (x4). A
smooth glide shows the dot and the grid shifting by the same fraction of a pixel each
frame, and differences of even strength; jitter shows as uneven steps and flickering
differences.

It prints, per frame rate: the dot's per-frame displacement (centroid of its brightness,
sub-pixel) and its deviation from a smooth fit of the whole path (a degree-4 polynomial
in time; the motion itself is a geometric zoom and a linear pan, which such a fit follows
to well under 0.01 px), beside the same figures for a control: the first frame moved
along the same path in whole-pixel steps, as a resampler without sub-pixel precision would.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

SCRIPT = Path(__file__).resolve()
REPO_ROOT = SCRIPT.parent.parent
sys.path.insert(0, str(REPO_ROOT))

SIZE = (1920, 1080)
PHOTO = (3840, 2160)
DOT = (0.58, 0.46)  #: where the dot sits in the photo (fractions)
CROP, MAGNIFY, STRIP = 160, 3, 8


def make_photo(path: Path) -> None:
    """Grey with a 1-px grid every 12 px, a checkerboard patch, and a Gaussian dot."""
    w, h = PHOTO
    y, x = np.mgrid[0:h, 0:w]
    img = np.full((h, w), 110.0)
    img[(x % 12 == 0) | (y % 12 == 0)] = 170.0
    checker = ((x // 3 + y // 3) % 2 == 0) & (x > w * 0.35) & (x < w * 0.45) & \
        (y > h * 0.35) & (y < h * 0.6)
    img[checker] = 200.0
    cx, cy = DOT[0] * w, DOT[1] * h
    patch = (abs(x - cx) < 70) & (abs(y - cy) < 70)
    img[patch] = 30.0
    img += 225.0 * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * 7.0**2))
    grey = np.clip(img, 0, 255).astype(np.uint8)
    Image.fromarray(grey).convert("RGB").save(path, quality=97)


def frames_of(photo: Path, fps: int, seconds: float) -> list[np.ndarray]:
    """The luma of every frame of a one-slide show with a slow push-in and drift."""
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
        View,
    )
    from simvid_desktop.render.compositor import Compositor

    motion = Motion(MotionMode.CUSTOM, View(1.0, 0.5, 0.5), View(1.2, 0.55, 0.47))
    project = Project(
        slides=(Slide.photo(photo, motion=motion),), default_duration=seconds,
        transition=Transition(TransitionKind.NONE, 0.0),
        output=OutputSettings(resolution=Resolution(f"{SIZE[0]}x{SIZE[1]}"), fps=fps,
                              fit=FitMode.CROP))
    with Compositor(project) as comp:
        return [comp.frame(n).y.copy() for n in range(comp.timeline.frame_count)]


def track(frames: list[np.ndarray]) -> np.ndarray:
    """The dot's centre in each frame (x, y), by the centroid of its brightness above the
    dark patch around it."""
    first = frames[0].astype(np.float64)
    y0, x0 = np.unravel_index(int(np.argmax(first)), first.shape)
    at = np.array([float(x0), float(y0)])
    found = []
    r = 14
    for luma in frames:
        cx, cy = round(float(at[0])), round(float(at[1]))
        win = luma[cy - r:cy + r + 1, cx - r:cx + r + 1].astype(np.float64)
        weight = np.clip(win - 60.0, 0.0, None)  # the patch is ~30, the dot peaks ~255
        yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
        total = weight.sum()
        at = np.array([cx + (weight * xx).sum() / total, cy + (weight * yy).sum() / total])
        found.append(at)
    return np.array(found)


def smoothness(path: np.ndarray) -> dict[str, float]:
    """Per-frame displacement and the deviation of the path from a smooth fit (px)."""
    n = np.arange(len(path), dtype=np.float64)
    t = n / n[-1]
    fitted = np.stack([np.polyval(np.polyfit(t, path[:, k], 4), t) for k in (0, 1)], 1)
    dev = np.hypot(*(path - fitted).T)
    step = np.hypot(*np.diff(path, axis=0).T)
    fit_step = np.hypot(*np.diff(fitted, axis=0).T)
    return {"step_mean": float(step.mean()), "step_min": float(step.min()),
            "step_max": float(step.max()),
            "step_dev_rms": float(np.sqrt(np.mean((step - fit_step) ** 2))),
            "dev_rms": float(np.sqrt(np.mean(dev**2))), "dev_max": float(dev.max())}


def whole_pixel_control(frames: list[np.ndarray], path: np.ndarray) -> dict[str, float]:
    """The same figures for a picture that moves along the same path in whole-pixel steps
    (the first frame shifted): what a jittery resampler would score."""
    moved = np.rint(path - path[0]).astype(int)
    stepped = [np.roll(frames[0], (int(dy), int(dx)), axis=(0, 1)) for dx, dy in moved]
    return smoothness(track(stepped))


def strip(frames: list[np.ndarray], path: np.ndarray, out: Path) -> None:
    """8 consecutive crops around the dot (one window), magnified, and their differences."""
    first = len(frames) // 2 - STRIP // 2
    centre = path[first:first + STRIP].mean(axis=0)
    left, top = round(float(centre[0])) - CROP // 2, round(float(centre[1])) - CROP // 2
    side, gap = CROP * MAGNIFY, 6
    sheet = Image.new("RGB", (STRIP * side + (STRIP - 1) * gap, 2 * side + gap + 18),
                      (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    crops = [f[top:top + CROP, left:left + CROP].astype(np.int16)
             for f in frames[first:first + STRIP]]
    for k, crop in enumerate(crops):
        x = k * (side + gap)
        tile = Image.fromarray(crop.astype(np.uint8)).resize((side, side), Image.Resampling.NEAREST)
        sheet.paste(tile.convert("RGB"), (x, 18))
        px, py = (path[first + k] - (left, top) + 0.5) * MAGNIFY
        draw.line([(x + px - 8, 18 + py), (x + px + 8, 18 + py)], fill=(255, 0, 0), width=1)
        draw.line([(x + px, 18 + py - 8), (x + px, 18 + py + 8)], fill=(255, 0, 0), width=1)
        draw.text((x + 4, 3), f"frame {first + k}", fill=(0, 0, 0))
        if k:
            diff = np.clip(np.abs(crop - crops[k - 1]) * 4, 0, 255).astype(np.uint8)
            dtile = Image.fromarray(diff).resize((side, side), Image.Resampling.NEAREST)
            sheet.paste(dtile.convert("RGB"), (x, 18 + side + gap))
        else:
            draw.text((x + 8, 18 + side + gap + 8), "|difference from previous| x4",
                      fill=(0, 0, 0))
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[1])
    ap.add_argument("--fps", default="30,60")
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--outdir", type=Path, default=REPO_ROOT / "docs" / "screenshots")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="simvid-jitter-") as folder:
        photo = Path(folder) / "grid.jpg"
        make_photo(photo)
        for fps in (int(f) for f in args.fps.split(",")):
            frames = frames_of(photo, fps, args.seconds)
            path = track(frames)
            figures = smoothness(path)
            out = args.outdir / f"jitter_{fps}.png"
            strip(frames, path, out)
            control = whole_pixel_control(frames, path)
            print(f"{fps} fps, {len(frames)} frames: the dot moves "
                  f"{figures['step_mean']:.3f} px/frame ({figures['step_min']:.3f}.."
                  f"{figures['step_max']:.3f}); step vs smooth fit RMS "
                  f"{figures['step_dev_rms']:.4f} px; path vs smooth fit RMS "
                  f"{figures['dev_rms']:.4f} px, max {figures['dev_max']:.4f} px -> {out}")
            print(f"    (whole-pixel steps along the same path would score: step RMS "
                  f"{control['step_dev_rms']:.4f} px, path RMS {control['dev_rms']:.4f} px, "
                  f"max {control['dev_max']:.4f} px)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
