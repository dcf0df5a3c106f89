"""A real Redis server on a loopback port and real ``simvid worker`` processes, for tests
and the farm benchmark. Everything started here is stopped by ``close()``."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis

REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """``redis-server`` bound to 127.0.0.1 only, without persistence (a restart loses all)."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        if REDIS_SERVER is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.folder = folder
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [str(REDIS_SERVER), "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.folder),
             "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port)

    def close(self) -> None:
        self.kill()


class Workers:
    """``simvid worker`` processes (real, spawned like a user would)."""

    def __init__(self, url: str, roots: list[Path], data_dir: Path) -> None:
        self.url = url
        self.roots = roots
        self.env = {**os.environ, "SIMVID_DATA_DIR": str(data_dir)}
        self.procs: dict[str, subprocess.Popen[str]] = {}
        self.logs = data_dir / "worker-logs"
        self.logs.mkdir(parents=True, exist_ok=True)

    def start(self, name: str) -> subprocess.Popen[str]:
        args = [sys.executable, "-m", "simvid_desktop", "worker", "--redis", self.url,
                "--name", name]
        for root in self.roots:
            args += ["--media-root", str(root)]
        with open(self.logs / f"{name}.log", "w") as log:  # the child keeps its own copy
            proc = subprocess.Popen(args, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                    text=True, start_new_session=True)
        self.procs[name] = proc
        return proc

    def wait_online(self, names: list[str], timeout: float = 30) -> None:
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(client.exists(f"simvid:worker:{n}") for n in names):
                client.close()
                return
            for n in names:
                if self.procs[n].poll() is not None:
                    raise RuntimeError(f"worker {n} exited: {self.log(n)}")
            time.sleep(0.1)
        raise TimeoutError(f"workers {names} not online: {[self.log(n) for n in names]}")

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def presence(self, name: str) -> dict[str, object]:
        client = redis.Redis.from_url(self.url)
        raw = client.get(f"simvid:worker:{name}")
        client.close()
        return json.loads(raw) if raw else {}

    def kill9(self, name: str) -> None:
        os.kill(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait(10)

    def close(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.1, deadline - time.monotonic()))
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
