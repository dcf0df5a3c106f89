"""Running the real queue in real processes, against a store in a temp folder."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.integration.media import solid

COLORS = [(220, 30, 30), (30, 200, 40), (30, 60, 220), (230, 220, 40), (200, 60, 200)]


class QueueEnv:
    """A private SIMVID_DATA_DIR with photos, and helpers to drive ``simvid queue``."""

    def __init__(self, root: Path, segment_seconds: float = 20.0) -> None:
        self.root = root
        self.data = root / "data"
        self.out = root / "out"
        self.photos = root / "photos"
        for d in (self.data / "config", self.out, self.photos):
            d.mkdir(parents=True, exist_ok=True)
        (self.data / "config" / "settings.json").write_text(json.dumps(
            {"segment_seconds": segment_seconds, "retries": 2}))
        for i, c in enumerate(COLORS):
            solid(self.photos / f"p{i}.jpg", c, size=(640, 360))
        self.env = {**os.environ, "SIMVID_DATA_DIR": str(self.data)}
        self.procs: list[subprocess.Popen[str]] = []

    def simvid(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        res = subprocess.run([sys.executable, "-m", "simvid_desktop", *args], env=self.env,
                             capture_output=True, text=True, timeout=180)
        if check and res.returncode != 0:
            raise AssertionError(f"simvid {' '.join(args)} -> {res.returncode}\n{res.stderr}")
        return res

    def add(self, name: str, *extra: str) -> str:
        res = self.simvid("queue", "add", str(self.photos), "-o", str(self.out / f"{name}.mp4"),
                          *extra)
        return res.stdout.strip().splitlines()[0]

    def add_long(self, name: str, seconds_per_slide: float = 2.5) -> str:
        """A job that takes several seconds: moving slides at 640x360, an x264 preset
        that is not the fastest. Tests that stop it midway ask for long slides, so it
        cannot finish first however fast the machine is."""
        return self.add(name, "--resolution", "640x360", "--duration",
                        str(seconds_per_slide), "--motion", "auto", "--x264-preset",
                        "medium", "--fps", "30")

    def add_quick(self, name: str) -> str:
        return self.add(name, "--resolution", "160x90", "--duration", "0.4",
                        "--quality", "draft", "--fps", "25")

    def jobs(self) -> dict[str, dict[str, Any]]:
        data = json.loads(self.simvid("queue", "list", "--json").stdout)
        return {j["id"]: j for j in data}

    def start_runner(self, workers: int = 1) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "simvid_desktop", "queue", "run", "--workers", str(workers)],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def wait_for(self, cond: Callable[[dict[str, dict[str, Any]]], bool], timeout: float = 90,
                 what: str = "condition") -> dict[str, dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            jobs = self.jobs()
            if cond(jobs):
                return jobs
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}: {self.jobs()}")

    def stray_files(self) -> list[str]:
        return sorted(p.name for p in self.out.iterdir() if p.suffix != ".mp4"
                      or p.name.startswith("."))

    def cleanup(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rfind(")") + 2:].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def worker_pids(runner_pid: int) -> list[int]:
    return [p for p in children(runner_pid) if "spawn_main" in cmdline(p)]


def processes_named(fragment: str, env_marker: str) -> list[int]:
    """Live processes whose command line contains ``fragment`` and whose environment has
    ``env_marker`` (our SIMVID_DATA_DIR), so other sessions' processes are ignored."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if fragment not in cmdline(int(entry.name)):
                continue
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().split(") ")[1][0]
        except OSError:
            continue
        if env_marker.encode() in environ and state != "Z":
            found.append(int(entry.name))
    return found
