#!/usr/bin/env python3
"""The compositor's per-pixel kernels: compiled (render/_kernels.c) against numpy.

    python benchmarks/kernel_bench.py [--repeat 30]

For 1080p and 4K, CPU time of one call (median of ``--repeat``), in this process:

  resample luma    one Ken Burns luma plane from a canvas 1.18x larger (the auto move's
                   zoom), the view shrinking by 0.85
  resample frame   the same view as a whole YUV 4:2:0 frame (luma and both chroma planes)
  blend            one cross-fade frame between two moving pictures (a new pair every
                   frame: the numpy path cannot reuse its b - a)

and checks that both give the same bytes. Uses numpy and the package itself.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simvid_desktop.render import native, resample, transitions
from simvid_desktop.render.resample import Resampler
from simvid_desktop.render.transitions import Blender
from simvid_desktop.render.yuv import Frame

SIZES = {"1080p": (1920, 1080), "4k": (3840, 2160)}
CANVAS = 1.18  # the canvas of an automatic Ken Burns move, relative to the frame
SHRINK = 0.85

Box = tuple[float, float, float, float]


def _cpu_ms(call: Callable[[], np.ndarray], repeat: int) -> tuple[float, np.ndarray]:
    """The median CPU time of ``call`` in ms, and what its last call returned."""
    result = call()  # warm: scratch buffers, caches
    times = []
    for _ in range(repeat):
        started = time.process_time()
        result = call()
        times.append(time.process_time() - started)
    return statistics.median(times) * 1000, result


def _use(kernels: native.Kernels | None) -> None:
    resample.kernels = kernels
    transitions.kernels = kernels


def _resampled_luma(canvas: Frame, box: Box, out: Frame) -> Callable[[], np.ndarray]:
    resampler = Resampler()

    def call() -> np.ndarray:
        resampler.plane(canvas.y, box, out.y)
        return out.y

    return call


def _resampled_frame(canvas: Frame, box: Box, out: Frame) -> Callable[[], np.ndarray]:
    resampler = Resampler()

    def call() -> np.ndarray:
        resampler.frame(canvas.y, canvas.uv, box, out)
        return out.buf

    return call


def _blended(a: Frame, b: Frame) -> Callable[[], np.ndarray]:
    # a Blender per call: a new pair, as in a fade between two moving pictures
    return lambda: Blender().blend(a, b, 0.37).buf


def measure(size: tuple[int, int], repeat: int) -> dict[str, tuple[float, float, bool]]:
    """name: (numpy ms, native ms, same bytes)."""
    width, height = size
    cw, ch = 2 * round(width * CANVAS / 2), 2 * round(height * CANVAS / 2)
    rng = np.random.default_rng(0)
    canvas = Frame(rng.integers(0, 256, cw * ch * 3 // 2, dtype=np.uint8), cw, ch)
    box = (cw * 0.05, ch * 0.04, cw * 0.05 + width / SHRINK, ch * 0.04 + height / SHRINK)
    a = Frame(rng.integers(0, 256, width * height * 3 // 2, dtype=np.uint8), width, height)
    b = Frame(rng.integers(0, 256, width * height * 3 // 2, dtype=np.uint8), width, height)
    cases: dict[str, Callable[[], Callable[[], np.ndarray]]] = {
        "resample luma": lambda: _resampled_luma(canvas, box, Frame.empty(width, height)),
        "resample frame": lambda: _resampled_frame(canvas, box, Frame.empty(width, height)),
        "blend": lambda: _blended(a, b),
    }
    results: dict[str, tuple[float, float, bool]] = {}
    compiled = native.kernels
    for name, make in cases.items():
        _use(None)
        slow, slow_out = _cpu_ms(make(), repeat)
        _use(compiled)
        fast, fast_out = _cpu_ms(make(), repeat)
        results[name] = (slow, fast, bool(np.array_equal(slow_out, fast_out)))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    if native.kernels is None:
        print("the compiled kernels are not built (no C compiler at install): nothing to "
              "compare", file=sys.stderr)
        return 1
    print(f"compiled kernels: {native.backend()}")
    print(f"{'size':6} {'kernel':15} {'numpy ms':>9} {'native ms':>10} {'speed-up':>9}  same")
    for label, size in SIZES.items():
        for name, (slow, fast, same) in measure(size, args.repeat).items():
            print(f"{label:6} {name:15} {slow:9.2f} {fast:10.2f} {slow / fast:8.1f}x  "
                  f"{'yes' if same else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
