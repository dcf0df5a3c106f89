"""The frozen app: build it with ``build.spec`` into a temp folder, then use only the bundle.

Each run starts from a folder outside the source tree, with a fresh HOME and XDG folders,
so the bundle has to bring its own resources, ffmpeg and Qt plugins, and every file the
app writes must land in the platformdirs folders (never beside the executable).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from simvid_desktop.cli.self_test import probe_video
from simvid_desktop.render.native import backend
from tests.integration.farm_helpers import RedisServer
from tests.integration.queue_helpers import children

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

ROOT = Path(__file__).resolve().parents[2]
APP = "Simvid Desktop"
EXE = ".exe" if sys.platform == "win32" else ""


@dataclass(frozen=True)
class Frozen:
    folder: Path  #: dist/Simvid Desktop
    home: Path  #: HOME and the XDG folders of every run
    files: frozenset[str]  #: the bundle's files right after the build

    @property
    def cli(self) -> Path:
        return self.folder / f"simvid{EXE}"

    @property
    def gui(self) -> Path:
        return self.folder / f"SimvidDesktop{EXE}"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SIMVID_", "PYTHON", "XDG_"))}
        env.update(HOME=str(self.home), USERPROFILE=str(self.home),
                   XDG_DATA_HOME=str(self.home / "data"),
                   XDG_CONFIG_HOME=str(self.home / "config"),
                   XDG_STATE_HOME=str(self.home / "state"),
                   XDG_CACHE_HOME=str(self.home / "cache"),
                   QT_QPA_PLATFORM="offscreen")
        env.update(extra)
        return env

    def run(self, exe: Path, *args: str, timeout: float = 300,
            **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(exe), *args], cwd=self.home, env=self.env(**env),
                              capture_output=True, text=True, timeout=timeout)


def bundle_files(folder: Path) -> frozenset[str]:
    return frozenset(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture(scope="module")
def frozen(tmp_path_factory: pytest.TempPathFactory) -> Frozen:
    pytest.importorskip("PyInstaller")
    tmp = tmp_path_factory.mktemp("frozen")
    build = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(tmp / "dist"), "--workpath", str(tmp / "build"),
         str(ROOT / "build.spec")],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    folder = tmp / "dist" / APP
    home = tmp / "home"
    home.mkdir()
    return Frozen(folder, home, bundle_files(folder))


def test_bundle_has_what_the_app_needs(frozen: Frozen) -> None:
    internal = frozen.folder / "_internal"
    assert frozen.cli.is_file() and frozen.gui.is_file()
    assert sorted(p.name for p in (internal / "resources" / "samples").glob("*.jpg"))
    assert (internal / "resources" / "fonts" / "DejaVuSans.ttf").is_file()
    assert list((internal / "imageio_ffmpeg" / "binaries").glob("ffmpeg*"))
    plugins = {p.name for p in (internal / "PySide6" / "Qt" / "plugins").rglob("*") if p.is_file()}
    if sys.platform.startswith("linux"):
        assert {"libqxcb.so", "libqoffscreen.so", "libqwayland.so", "libqjpeg.so"} <= plugins
        assert "libqgtk3.so" not in plugins  # pruned, with the GTK libraries it pulls in
    for unused in ("tkinter", "moviepy", "matplotlib", "PySide6/QtNetwork.abi3.so"):
        assert not (internal / unused).exists(), unused
    broken = [p for p in frozen.folder.rglob("*") if p.is_symlink() and not p.exists()]
    assert broken == []


def test_self_test_passes(frozen: Frozen) -> None:
    result = frozen.run(frozen.cli, "--self-test")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("self-test passed"), result.stdout
    assert "frozen" in lines[0]
    # The bundle carries the compiled kernels the source install built (collected with
    # the package's submodules), so the app composes as fast as `simvid` from source.
    assert f"{backend()} compositing" in lines[0]


def test_self_test_failure_is_one_line(frozen: Frozen) -> None:
    result = frozen.run(frozen.cli, "--self-test", "--timeout", "0.01")
    assert result.returncode == 1
    assert result.stdout.startswith("self-test FAILED") and len(result.stdout.splitlines()) == 1
    assert "Traceback" not in result.stdout + result.stderr


def test_render_with_the_frozen_command_line(frozen: Frozen) -> None:
    samples = sorted((frozen.folder / "_internal" / "resources" / "samples").glob("*.jpg"))[:2]
    out = frozen.home / "videos" / "two photos.mp4"
    out.parent.mkdir(exist_ok=True)
    result = frozen.run(frozen.cli, "render", *map(str, samples), "-o", str(out),
                        "--resolution", "320x180", "--duration", "1", "--progress", "none")
    assert result.returncode == 0, result.stderr
    assert out.is_file() and f"Saved {out}" in result.stdout
    probe = probe_video(out)
    assert (probe.video_codec, probe.width, probe.height) == ("h264", 320, 180)
    assert probe.duration is not None and abs(probe.duration - 2.0) < 0.1


def test_invalid_input_exits_2_without_traceback(frozen: Frozen) -> None:
    result = frozen.run(frozen.cli, "render", "missing.jpg", "-o", "x.mp4")
    assert result.returncode == 2
    assert "missing.jpg" in result.stderr and "Traceback" not in result.stderr


def test_queue_state_goes_to_platformdirs(frozen: Frozen) -> None:
    """``queue add`` + ``queue run`` (spawned worker processes): the job store and the job
    log are in the user's data and log folders."""
    sample = frozen.folder / "_internal" / "resources" / "samples" / "03_coffee.jpg"
    out = frozen.home / "videos" / "queued.mp4"
    out.parent.mkdir(exist_ok=True)
    added = frozen.run(frozen.cli, "queue", "add", str(sample), "-o", str(out),
                       "--resolution", "320x180", "--duration", "1")
    assert added.returncode == 0, added.stderr
    job_id = added.stdout.strip()
    ran = frozen.run(frozen.cli, "queue", "run", "--workers", "1")
    assert ran.returncode == 0, ran.stderr
    assert out.is_file()
    if sys.platform.startswith("linux"):
        assert (frozen.home / "data" / "SimvidDesktop" / "jobs.sqlite3").is_file()
        log = frozen.home / "state" / "SimvidDesktop" / "log" / "jobs" / f"{job_id}.log"
        assert "finished" in log.read_text(encoding="utf-8")


def test_render_on_the_farm_with_a_frozen_worker(frozen: Frozen) -> None:
    """``simvid worker`` (rq, redis, a spawned render child) and ``render --farm``, frozen."""
    redis_server = RedisServer(frozen.home / "redis")
    media = frozen.home / "farm"
    media.mkdir()
    samples = sorted((frozen.folder / "_internal" / "resources" / "samples").glob("*.jpg"))
    for sample in samples[:2]:
        shutil.copy(sample, media)
    worker = subprocess.Popen([str(frozen.cli), "worker", "--redis", redis_server.url,
                               "--media-root", str(media), "--name", "frozen-worker"],
                              cwd=frozen.home, env=frozen.env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        result = frozen.run(frozen.cli, "render", str(media), "-o", str(media / "farm.mp4"),
                            "--resolution", "320x180", "--duration", "1", "--progress", "none",
                            "--farm", redis_server.url, timeout=180)
        assert result.returncode == 0, result.stderr
        assert "sent to the farm" in result.stderr
        probe = probe_video(media / "farm.mp4")
        assert probe.duration is not None and abs(probe.duration - 2.0) < 0.1
    finally:
        worker.terminate()
        _, err = worker.communicate(timeout=60)
        redis_server.close()
    assert "Job OK" in err, err[-2000:]


def test_window_opens_offscreen(frozen: Frozen) -> None:
    shot = frozen.home / "window.png"
    result = frozen.run(frozen.gui, timeout=120, SIMVID_EXIT_AFTER_SHOW=str(shot))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["window shown"]
    with Image.open(shot) as img:
        assert img.width >= 800 and img.height >= 500
        colors = img.convert("RGB").getcolors(maxcolors=1_000_000)
        assert colors is not None and len(colors) > 20  # widgets, text and icons drawn


def _maps(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return ""


@pytest.fixture
def window_process(frozen: Frozen) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen([str(frozen.gui)], cwd=frozen.home, env=frozen.env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yield proc
    workers = children(proc.pid)
    proc.kill()
    proc.wait(10)
    for pid in workers:  # they would notice the window is gone, but only after a while
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_worker_processes_of_the_window_load_no_qt(
        frozen: Frozen, window_process: subprocess.Popen[bytes]) -> None:
    """The window starts its worker pool at once: each worker is the same executable,
    started again by multiprocessing, and must become a worker (render engine loaded)
    without ever loading Qt, let alone opening a second window."""
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while time.monotonic() < deadline:
        assert window_process.poll() is None, "the window exited"
        workers = [pid for pid in children(window_process.pid)
                   if "_multiarray_umath" in _maps(pid)]  # worker_main imported the engine
        if workers:
            break
        time.sleep(0.2)
    assert workers, "no worker process started"
    assert "libQt6Widgets" in _maps(window_process.pid)
    for pid in workers:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        assert b"--multiprocessing-fork" in cmdline
        assert "libQt6" not in _maps(pid), f"worker {pid} loaded Qt"


def test_nothing_written_into_the_bundle(frozen: Frozen) -> None:
    """After the self-test, a queued render and the window, the bundle holds exactly the
    files it was built with (no settings, logs, caches or databases).

    It does all three itself, so that it checks something when it runs on its own (the
    bundle is listed right after the build); in the whole file it runs last, after the
    other tests' renders, farm worker and window processes as well."""
    assert frozen.run(frozen.cli, "--self-test").returncode == 0
    sample = frozen.folder / "_internal" / "resources" / "samples" / "01_astronaut.jpg"
    out = frozen.home / "videos" / "bundle-check.mp4"
    out.parent.mkdir(exist_ok=True)
    added = frozen.run(frozen.cli, "queue", "add", str(sample), "-o", str(out),
                       "--resolution", "320x180", "--duration", "1")
    assert added.returncode == 0, added.stderr
    ran = frozen.run(frozen.cli, "queue", "run", "--workers", "1")
    assert ran.returncode == 0 and out.is_file(), ran.stderr
    shot = frozen.home / "bundle-check.png"
    shown = frozen.run(frozen.gui, timeout=120, SIMVID_EXIT_AFTER_SHOW=str(shot))
    assert shown.returncode == 0 and shot.is_file(), shown.stderr
    # They wrote their state somewhere (the XDG folders of the fresh HOME), not nowhere.
    assert any((frozen.home / "data").rglob("*.sqlite3"))
    assert bundle_files(frozen.folder) == frozen.files
