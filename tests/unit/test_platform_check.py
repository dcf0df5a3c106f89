"""The check that runs before Qt: a missing system library is named, with the command that
installs it, instead of Qt aborting with a core dump."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from simvid_desktop.ui.platform_check import (
    MissingLibraries,
    check_platform,
    elf_needs,
    missing_libraries,
    platforms_to_try,
    plugin_folder,
)

ROOT = Path(__file__).resolve().parents[2]
FOLDER = plugin_folder()
XCB = FOLDER / "libqxcb.so" if FOLDER is not None else None

linux_plugin = pytest.mark.skipif(
    not sys.platform.startswith("linux") or XCB is None or not XCB.is_file(),
    reason="PySide6's Linux xcb plugin is needed")


def loader_without(*absent: str) -> object:
    """A loader that finds every library but ``absent`` (and records what it was asked)."""
    asked: list[str] = []

    def load(name: str) -> object:
        asked.append(name)
        if name in absent:
            raise OSError(f"{name}: cannot open shared object file: No such file or directory")
        return object()

    load.asked = asked  # type: ignore[attr-defined]
    return load


def test_which_platforms_qt_tries() -> None:
    assert platforms_to_try({"DISPLAY": ":0"}) == ["xcb"]
    assert platforms_to_try({}) == []
    assert platforms_to_try({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}) == ["offscreen"]
    assert platforms_to_try({"QT_QPA_PLATFORM": "xcb:nomitshm;wayland"}) == ["xcb", "wayland"]
    session = {"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}
    assert platforms_to_try(session) == ["wayland", "xcb"]


@linux_plugin
def test_the_plugins_needs_are_read_from_its_elf_header() -> None:
    assert XCB is not None
    needed, folders = elf_needs(XCB)
    assert "libxcb.so.1" in needed and "libQt6XcbQpa.so.6" in needed
    assert any((Path(f) / "libQt6XcbQpa.so.6").is_file() for f in folders)


@linux_plugin
def test_missing_libraries_are_named_bundled_ones_followed() -> None:
    assert XCB is not None
    load = loader_without("libxcb-cursor.so.0", "libxcb-icccm.so.4")
    assert missing_libraries(XCB, load) == ["libxcb-cursor.so.0", "libxcb-icccm.so.4"]  # type: ignore[arg-type]
    asked: list[str] = load.asked  # type: ignore[attr-defined]
    assert "libQt6XcbQpa.so.6" not in asked, "bundled with PySide6: read, not loaded"
    assert "libxcb-xkb.so.1" in asked, "a need of the bundled libQt6XcbQpa is followed"


@linux_plugin
def test_a_library_missing_underneath_another_is_the_one_named() -> None:
    assert XCB is not None

    def load(name: str) -> object:
        if name == "libxcb-cursor.so.0":  # present, but its own need is not
            raise OSError("libxcb-image.so.0: cannot open shared object file: No such file")
        return object()

    assert missing_libraries(XCB, load) == ["libxcb-image.so.0"]


@linux_plugin
def test_the_message_names_each_library_and_how_to_install_it() -> None:
    problem = check_platform({"DISPLAY": ":0"}, load=loader_without(  # type: ignore[arg-type]
        "libxcb-cursor.so.0", "libxkbcommon-x11.so.0"))
    assert problem == MissingLibraries("xcb", ("libxkbcommon-x11.so.0", "libxcb-cursor.so.0"))
    text = str(problem)
    assert "libxcb-cursor.so.0" in text and "libxkbcommon-x11.so.0" in text
    assert "sudo apt install libxkbcommon-x11-0 libxcb-cursor0" in text
    assert "sudo dnf install libxkbcommon-x11 xcb-util-cursor" in text
    assert "sudo pacman -S libxkbcommon-x11 xcb-util-cursor" in text
    assert "sudo zypper install libxkbcommon-x11-0 libxcb-cursor0" in text


@linux_plugin
def test_nothing_to_say_when_everything_loads_or_qt_will_not_use_x11() -> None:
    everything = loader_without()
    assert check_platform({"DISPLAY": ":0"}, load=everything) is None  # type: ignore[arg-type]
    nothing = loader_without("libxcb.so.1")
    for env in ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, {}):
        assert check_platform(env, load=nothing) is None  # type: ignore[arg-type]


@linux_plugin
def test_a_wayland_session_falls_back_to_x11_only_when_wayland_cannot_load() -> None:
    session = {"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}
    no_x11 = loader_without("libxcb-cursor.so.0")
    assert check_platform(session, load=no_x11) is None  # type: ignore[arg-type]
    neither = loader_without("libxcb-cursor.so.0", "libwayland-client.so.0")
    problem = check_platform(session, load=neither)  # type: ignore[arg-type]
    assert problem is not None and problem.platform == "xcb"


def test_an_unreadable_plugin_leaves_the_decision_to_qt(tmp_path: Path) -> None:
    (tmp_path / "libqxcb.so").write_bytes(b"\x7fELF\x02\x01 truncated")
    assert check_platform({"DISPLAY": ":0"}, folder=tmp_path) is None


@linux_plugin
def test_main_says_what_is_missing_and_exits_1_instead_of_a_core_dump(tmp_path: Path) -> None:
    """A real run of main.py on an X11 desktop whose libxcb-cursor cannot load: the loader
    finds an unloadable file of that name first (LD_LIBRARY_PATH), as if it were absent."""
    (tmp_path / "libxcb-cursor.so.0").write_bytes(b"not a library")
    env = {k: v for k, v in os.environ.items()
           if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE")}
    env.update(DISPLAY=":99", LD_LIBRARY_PATH=str(tmp_path),
               SIMVID_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(ROOT))
    res = subprocess.run([sys.executable, str(ROOT / "main.py")], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 1, (res.returncode, res.stderr[-2000:])
    assert "cannot open its window" in res.stderr and "libxcb-cursor.so.0" in res.stderr
    assert "sudo apt install" in res.stderr and "libxcb-cursor0" in res.stderr
    assert "Could not load the Qt platform plugin" not in res.stderr, "Qt was never started"
