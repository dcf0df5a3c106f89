#!/usr/bin/env python3
"""A Ken Burns show looked at as a strip: is the motion smooth at 30 and 60 fps?

    python benchmarks/jitter_strip.py OUTDIR [--size 640x360] [--seconds 3]

For each frame rate, renders (with Simvid's compositor, as the video and the preview do) a
photo of soft dots under a pan and under a zoom, and writes:

* ``strip-<move>-<fps>.png``: the same row of every frame, stacked top to bottom (a slit
  scan), for a pan (the dots stay on the row: straight slanted lines) and a zoom with a
  pan. Smooth motion draws smooth lines; snapping to whole pixels draws staircases, and a
  jump between frames draws a kink.
* one line per frame rate: how far the tracked dot's measured centre strays from a smooth
  curve fitted through all frames (max and RMS, pixels) and its per-frame step range.

Uses numpy, Pillow and the package itself.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def dots_photo(path: Path) -> Path:
    """Grey with a grid of soft bright dots (Gaussians of 4 px) on a 1600x900 photo."""
    w, h = 1600, 900
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.full((h, w), 50.0)
    for cy in range(75, h, 150):
        for cx in range(80, w, 160):
            img += 190 * np.exp(-(((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * 4.0**2)))
    grey = np.clip(img, 0, 255).astype(np.uint8)
    Image.fromarray(np.stack([grey] * 3, axis=-1)).save(path)
    return path


def centre(luma: np.ndarray, x: float, y: float, radius: int = 12) -> tuple[float, float]:
    """Intensity-weighted centre of the dot near (x, y)."""
    x0, y0 = max(0, int(x) - radius), max(0, int(y) - radius)
    patch = luma[y0 : y0 + 2 * radius, x0 : x0 + 2 * radius].astype(np.float64)
    weight = np.clip(patch - 70.0, 0.0, None)
    yy, xx = np.mgrid[0 : patch.shape[0], 0 : patch.shape[1]]
    total = weight.sum()
    return x0 + float((weight * xx).sum() / total), y0 + float((weight * yy).sum() / total)


def main() -> int:
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

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--size", default="640x360")
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()
    args.outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        photo = dots_photo(Path(tmp) / "dots.png")
        moves = {"pan": (View(1.2, 0.42, 0.5), View(1.2, 0.58, 0.5)),
                 "zoom": (View(1.0, 0.5, 0.5), View(1.3, 0.6, 0.52))}
        for (name, (start, end)), fps in [(m, f) for m in moves.items() for f in (30, 60)]:
            project = Project(
                slides=(Slide.photo(photo),), default_duration=args.seconds,
                motion=Motion(MotionMode.CUSTOM, start, end),
                transition=Transition(TransitionKind.NONE, 0.0),
                output=OutputSettings(resolution=Resolution(args.size), fps=fps,
                                      fit=FitMode.CROP),
            )
            rows, centres = [], []
            with Compositor(project, prefetch=False) as comp:
                height = comp.size[1]
                first = comp.frame(0).y
                # the dot nearest the upper left third of the frame
                spot = (comp.size[0] * 0.3, height * 0.33)
                ys, xs = np.nonzero(first > 150)
                k = int(np.argmin((xs - spot[0]) ** 2 + (ys - spot[1]) ** 2))
                pos = (float(xs[k]), float(ys[k]))
                row = int(pos[1])
                for n in range(comp.timeline.frame_count):
                    luma = comp.frame(n).y
                    pos = centre(luma, *pos)
                    centres.append(pos)
                    rows.append(luma[row].copy())
            strip = args.outdir / f"strip-{name}-{fps}.png"
            Image.fromarray(np.stack(rows)).save(strip)
            c = np.array(centres)
            t = np.linspace(0, 1, len(c))
            worst, rms = 0.0, 0.0
            for axis in (0, 1):
                fit = np.polynomial.Polynomial.fit(t, c[:, axis], 5)
                res = c[:, axis] - fit(t)
                worst = max(worst, float(np.abs(res).max()))
                rms = max(rms, float(np.sqrt((res**2).mean())))
            steps = np.diff(c[:, 0])
            print(f"{name} {fps} fps: {len(c)} frames, dot moved "
                  f"{c[-1, 0] - c[0, 0]:+.1f} px in x; "
                  f"off a smooth curve by max {worst:.3f} px, RMS {rms:.3f} px; "
                  f"x step per frame {steps.min():+.3f} .. {steps.max():+.3f} px "
                  f"-> {strip}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
