#!/usr/bin/env python3
"""Frozen-app benchmark: build time, bundle size, and start-up of the frozen app against
the app run from source.

    python benchmarks/frozen_bench.py [--repeat 5] [--dist DIR]

Both the build and the runs from source use a snapshot of the last commit (``git archive
HEAD``), so edits in progress in the working tree do not creep in; ``--worktree`` uses the
working tree as it is.

1. Build: ``pyinstaller build.spec`` into a temp folder (clean work folder, so nothing is
   reused but PyInstaller's own per-user cache of analysed binaries). ``--dist`` skips the
   build and measures an existing ``Simvid Desktop`` folder instead.
2. Size of the bundle, and of its biggest parts.
3. Start-up, median of ``--repeat`` runs after one warm-up run (frozen and source runs
   alternate), each timed from process start until the line it prints (so the time to
   tear down is not counted):
   * the window shown, offscreen (``SIMVID_EXIT_AFTER_SHOW=1``: the window prints
     ``window shown`` once the events queued by ``show()`` are processed, then closes);
   * ``--self-test`` done (a short show rendered by a spawned worker process, probed);
   * ``--version`` (the bare command-line start).
   Frozen: the bundle's executables. From source: ``python main.py`` with this interpreter.

Every run gets its own empty SIMVID_DATA_DIR, so no autosave or queue state is involved.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = "Simvid Desktop"
EXE = ".exe" if sys.platform == "win32" else ""


def snapshot(dest: Path) -> Path:
    """The last commit's files (``main.py`` run from there imports that ``simvid_desktop``:
    the script's folder comes before the editable install on ``sys.path``)."""
    dest.mkdir()
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def build(source: Path, dist: Path, work: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "ERROR",
                    "--distpath", str(dist), "--workpath", str(work),
                    str(source / "build.spec")],
                   cwd=source, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def size_table(bundle: Path) -> list[tuple[str, int]]:
    internal = bundle / "_internal"
    parts = {
        "ffmpeg (imageio-ffmpeg)": internal / "imageio_ffmpeg",
        "Qt + PySide6": internal / "PySide6",
        "numpy": internal / "numpy",
        "numpy.libs (OpenBLAS)": internal / "numpy.libs",
        "Pillow": internal / "PIL",
        "pillow.libs (codecs)": internal / "pillow.libs",
        "resources/": internal / "resources",
    }
    rows = [(name, folder_size(path)) for name, path in parts.items() if path.exists()]
    exes = sum(p.stat().st_size for p in bundle.iterdir() if p.is_file())
    rows.append(("the two executables", exes))
    rest = folder_size(bundle) - sum(size for _, size in rows)
    rows.append(("everything else (libpython, system libs, ...)", rest))
    return rows


def time_until(cmd: list[str], marker: str, env: dict[str, str], timeout: float = 120) -> float:
    """Seconds from starting ``cmd`` until it prints a line starting with ``marker``."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=env["HOME"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    watchdog = threading.Timer(timeout, proc.kill)  # e.g. a crash dialog nobody can close
    watchdog.start()
    elapsed = None
    try:
        for line in proc.stdout:
            if line.startswith(marker) and elapsed is None:
                elapsed = time.perf_counter() - started
        proc.wait()
    finally:
        watchdog.cancel()
    if elapsed is None or proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} {' '.join(cmd[1:])}: no {marker!r} (exit {proc.returncode})")
    return elapsed


def run_env(scratch: Path, extra_env: dict[str, str]) -> dict[str, str]:
    home = Path(tempfile.mkdtemp(dir=scratch))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIMVID_")}
    env.update(HOME=str(home), SIMVID_DATA_DIR=str(home / "data"),
               QT_QPA_PLATFORM="offscreen", **extra_env)
    return env


def median_times(commands: list[list[str]], marker: str, repeat: int, scratch: Path,
                 extra_env: dict[str, str]) -> list[float]:
    """Median start-up of each command; runs alternate between the commands, so that the
    load of a shared machine weighs on all of them alike. Run 0 only warms the caches."""
    times: list[list[float]] = [[] for _ in commands]
    for i in range(repeat + 1):
        for cmd, samples in zip(commands, times, strict=True):
            t = time_until(cmd, marker, run_env(scratch, extra_env))
            if i:
                samples.append(t)
    return [statistics.median(samples) for samples in times]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--dist", type=Path, help=f"an existing '{APP}' folder: skip the build")
    parser.add_argument("--worktree", action="store_true",
                        help="build and run the working tree instead of the last commit")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="simvid-frozen-bench-") as tmp:
        scratch = Path(tmp)
        code = ROOT if args.worktree else snapshot(scratch / "src")
        if args.dist:
            bundle, build_seconds = args.dist, None
        else:
            build_seconds = build(code, scratch / "dist", scratch / "build")
            bundle = scratch / "dist" / APP
        cli, gui = bundle / f"simvid{EXE}", bundle / f"SimvidDesktop{EXE}"
        source = [sys.executable, str(code / "main.py")]

        print(f"# Frozen app benchmark ({sys.platform}, {os.cpu_count()} cores, "
              f"median of {args.repeat} runs)\n")
        if build_seconds is not None:
            print(f"build (pyinstaller build.spec, clean work folder): {build_seconds:.1f} s\n")
        total = folder_size(bundle)
        print("| bundle part | MB |\n|---|---:|")
        for name, size in size_table(bundle):
            print(f"| {name} | {size / 1e6:.0f} |")
        print(f"| **total** | **{total / 1e6:.0f}** |\n")

        show = {"SIMVID_EXIT_AFTER_SHOW": "1"}
        rows = [
            ("window shown (offscreen)", [str(gui)], source, "window shown", show),
            ("`--self-test` done", [str(cli), "--self-test"], [*source, "--self-test"],
             "self-test passed", {}),
            ("`--version` printed", [str(cli), "--version"], [*source, "--version"],
             "simvid ", {}),
        ]
        print("| start-up until | frozen s | from source s |\n|---|---:|---:|")
        for label, frozen_cmd, source_cmd, marker, env in rows:
            frozen_s, source_s = median_times([frozen_cmd, source_cmd], marker, args.repeat,
                                              scratch, env)
            print(f"| {label} | {frozen_s:.2f} | {source_s:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
