"""Will the window open? Checked before Qt is touched, because Qt cannot say it gracefully.

On Linux, Qt loads a platform plugin (``libqxcb.so`` for X11) when the QApplication is
created. When one of the system libraries the plugin needs is missing (PySide6 6.5 and
later needs ``libxcb-cursor0`` and others that many desktops lack), Qt prints "Could not
load the Qt platform plugin" and aborts the process with a core dump. This module reads
the plugin's needed libraries from its ELF header, follows the ones bundled with PySide6,
and asks the system's loader for the rest, so that the user gets one message naming every
missing library and the command that installs it.

Imports no Qt (not even PySide6's ``__init__``): it runs first in ``main.py``.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import struct
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

#: Platform plugin files in PySide6's ``Qt/plugins/platforms`` folder, by platform name.
PLUGIN_FILES = {"xcb": "libqxcb.so", "wayland": "libqwayland.so"}
PLATFORM_NAMES = {"xcb": "X11 (xcb)", "wayland": "Wayland"}
DISPLAY_VARIABLES = {"xcb": "DISPLAY", "wayland": "WAYLAND_DISPLAY"}

#: Packages that provide a library, per package manager: (apt, dnf, pacman, zypper).
PACKAGES: dict[str, tuple[str, str, str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor", "xcb-util-cursor",
                           "libxcb-cursor0"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm", "xcb-util-wm", "libxcb-icccm4"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms", "xcb-util-keysyms",
                            "libxcb-keysyms1"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image", "xcb-util-image",
                          "libxcb-image0"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil",
                                "xcb-util-renderutil", "libxcb-render-util0"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util", "xcb-util", "libxcb-util1"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb", "libxcb", "libxcb-randr0"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb", "libxcb", "libxcb-shape0"),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0", "libxcb", "libxcb", "libxcb-xinerama0"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb", "libxcb", "libxcb-xkb1"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb", "libxcb", "libxcb-shm0"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb", "libxcb", "libxcb-sync1"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb", "libxcb", "libxcb-xfixes0"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb", "libxcb", "libxcb-render0"),
    "libxcb.so.1": ("libxcb1", "libxcb", "libxcb", "libxcb1"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11", "libxkbcommon-x11",
                              "libxkbcommon-x11-0"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon", "libxkbcommon", "libxkbcommon0"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb", "libx11", "libX11-xcb1"),
    "libX11.so.6": ("libx11-6", "libX11", "libx11", "libX11-6"),
    "libGL.so.1": ("libgl1", "libglvnd-glx", "libglvnd", "libGL1"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl", "libglvnd", "libEGL1"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl", "libglvnd", "libOpenGL0"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig", "fontconfig", "libfontconfig1"),
    "libfreetype.so.6": ("libfreetype6", "freetype", "freetype2", "libfreetype6"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs", "dbus", "libdbus-1-3"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2", "glib2", "libglib-2_0-0"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2", "glib2", "libgthread-2_0-0"),
    "libwayland-client.so.0": ("libwayland-client0", "libwayland-client", "wayland",
                               "libwayland-client0"),
    "libwayland-cursor.so.0": ("libwayland-cursor0", "libwayland-cursor", "wayland",
                               "libwayland-cursor0"),
    "libwayland-egl.so.1": ("libwayland-egl1", "libwayland-egl", "wayland", "libwayland-egl1"),
}
MANAGERS = (("Debian, Ubuntu", "sudo apt install"), ("Fedora", "sudo dnf install"),
            ("Arch", "sudo pacman -S"), ("openSUSE", "sudo zypper install"))

#: Loads a library by name as the dynamic loader would; raises OSError when it cannot.
Loader = Callable[[str], object]

_DT_NEEDED, _DT_RPATH, _DT_STRTAB, _DT_RUNPATH = 1, 15, 5, 29
_PT_LOAD, _PT_DYNAMIC = 1, 2
_NOT_FOUND = re.compile(r"^(\S+): cannot open shared object file")


class NotElf(ValueError):
    pass


@dataclass(frozen=True)
class MissingLibraries:
    """The libraries a platform plugin needs that this system cannot load."""

    platform: str
    libraries: tuple[str, ...]

    def __str__(self) -> str:
        names = ", ".join(self.libraries)
        platform = PLATFORM_NAMES.get(self.platform, self.platform)
        lines = [f"Simvid Desktop cannot open its window: Qt's {platform} platform "
                 f"plugin needs libraries this system does not have: {names}.",
                 "Install them with your distribution's package manager:"]
        known = [lib for lib in self.libraries if lib in PACKAGES]
        for i, (distro, command) in enumerate(MANAGERS):
            packages = dict.fromkeys(PACKAGES[lib][i] for lib in known)
            if packages:
                lines.append(f"  {distro + ':':<16} {command} {' '.join(packages)}")
        unknown = [lib for lib in self.libraries if lib not in PACKAGES]
        if unknown:
            lines.append(f"  and the packages that provide {', '.join(unknown)}.")
        lines.append("Without a window, the command line renders everything: "
                     "`python main.py --help`.")
        return "\n".join(lines)


# -- which platform Qt will load ---------------------------------------------------------
def platforms_to_try(env: Mapping[str, str]) -> list[str]:
    """The platform plugins Qt will try, in order, as Qt 6 chooses them on Linux."""
    requested = env.get("QT_QPA_PLATFORM", "")
    if requested:
        return [name.split(":", 1)[0].strip() for name in requested.split(";") if name.strip()]
    names = ["wayland", "xcb"] if env.get("XDG_SESSION_TYPE") == "wayland" else ["xcb"]
    # Without its display server a platform fails for another reason than libraries.
    return [n for n in names if env.get(DISPLAY_VARIABLES[n])]


def plugin_folder() -> Path | None:
    """PySide6's ``Qt/plugins/platforms``, found without importing PySide6."""
    try:
        spec = importlib.util.find_spec("PySide6")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        folder = Path(location) / "Qt" / "plugins" / "platforms"
        if folder.is_dir():
            return folder
    return None


# -- reading an ELF file's needs ----------------------------------------------------------
def elf_needs(path: Path) -> tuple[list[str], list[str]]:
    """The ``DT_NEEDED`` names and the ``RUNPATH``/``RPATH`` folders of an ELF file
    (``$ORIGIN`` expanded). Raises :class:`NotElf` for anything it cannot read."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] not in (1, 2) or data[5] not in (1, 2):
        raise NotElf(f"{path}: not an ELF file")
    wide, order = data[4] == 2, "<" if data[5] == 1 else ">"
    try:
        if wide:
            phoff, = struct.unpack_from(order + "Q", data, 0x20)
            phentsize, phnum = struct.unpack_from(order + "HH", data, 0x36)
        else:
            phoff, = struct.unpack_from(order + "I", data, 0x1C)
            phentsize, phnum = struct.unpack_from(order + "HH", data, 0x2A)
        loads: list[tuple[int, int, int]] = []  # (virtual address, file offset, size)
        dynamic: tuple[int, int] | None = None
        for i in range(phnum):
            at = phoff + i * phentsize
            if wide:
                p_type, _flags, p_offset, p_vaddr, _paddr, p_filesz = struct.unpack_from(
                    order + "IIQQQQ", data, at)
            else:
                p_type, p_offset, p_vaddr, _paddr, p_filesz = struct.unpack_from(
                    order + "IIIII", data, at)
            if p_type == _PT_LOAD:
                loads.append((p_vaddr, p_offset, p_filesz))
            elif p_type == _PT_DYNAMIC:
                dynamic = (p_offset, p_filesz)
        if dynamic is None:
            return [], []
        entry = struct.Struct(order + ("qQ" if wide else "iI"))
        tags: list[tuple[int, int]] = []
        for at in range(dynamic[0], dynamic[0] + dynamic[1], entry.size):
            tag, value = entry.unpack_from(data, at)
            if tag == 0:
                break
            tags.append((tag, value))
    except struct.error as exc:
        raise NotElf(f"{path}: truncated ELF file") from exc
    strtab = next((v for t, v in tags if t == _DT_STRTAB), None)
    base = next((off + strtab - vaddr for vaddr, off, size in loads
                 if strtab is not None and vaddr <= strtab < vaddr + size), None)
    if base is None:
        raise NotElf(f"{path}: no string table")

    def string(offset: int) -> str:
        end = data.index(b"\0", base + offset)
        return data[base + offset:end].decode("utf-8", "replace")

    needed = [string(v) for t, v in tags if t == _DT_NEEDED]
    folders = [folder.replace("$ORIGIN", str(path.parent)).replace("${ORIGIN}", str(path.parent))
               for t, v in tags if t in (_DT_RUNPATH, _DT_RPATH)
               for folder in string(v).split(":") if folder]
    return needed, folders


# -- the check -----------------------------------------------------------------------------
def _system_load(name: str) -> object:
    return ctypes.CDLL(name)


def missing_libraries(plugin: Path, load: Loader = _system_load) -> list[str]:
    """Every library ``plugin`` needs that cannot be loaded, in the order first needed.

    Libraries found in the plugin's (or a bundled library's) run path are bundled with
    PySide6: their own needs are followed. Any other is asked of the system's loader,
    which also loads what *it* needs; a library missing underneath is named instead.
    """
    missing: list[str] = []
    seen: set[str] = set()
    pending: list[Path] = [plugin]
    # A frozen bundle keeps the libraries it collected at its top (PyInstaller's _MEIPASS).
    bundle = [str(getattr(sys, "_MEIPASS", ""))] if getattr(sys, "frozen", False) else []
    while pending:
        needed, folders = elf_needs(pending.pop(0))
        folders += bundle
        for name in needed:
            if name in seen:
                continue
            seen.add(name)
            bundled = next((Path(f) / name for f in folders if (Path(f) / name).is_file()), None)
            if bundled is not None:
                pending.append(bundled)
                continue
            try:
                load(name)
            except OSError as exc:
                found = _NOT_FOUND.match(str(exc))
                culprit = found.group(1) if found else name
                if culprit not in missing:
                    missing.append(culprit)
    return missing


def check_platform(env: Mapping[str, str] | None = None, folder: Path | None = None,
                   load: Loader = _system_load) -> MissingLibraries | None:
    """What stops Qt from opening a window here, or None when it should open (or when
    this cannot tell: then Qt decides, as it would have without this check).

    Qt tries the platforms in order; the first whose libraries all load is the one it
    will use. When none can, the libraries of the last one (X11, the fallback) are named.
    """
    if not sys.platform.startswith("linux"):
        return None
    env = os.environ if env is None else env
    folder = folder or plugin_folder()
    if folder is None:
        return None
    problem: MissingLibraries | None = None
    for platform in platforms_to_try(env):
        plugin = folder / PLUGIN_FILES.get(platform, "")
        if platform not in PLUGIN_FILES or not plugin.is_file():
            return None  # a platform this check does not know: let Qt decide
        try:
            missing = missing_libraries(plugin, load)
        except (OSError, ValueError):
            return None  # unreadable: let Qt decide
        if not missing:
            return None
        problem = MissingLibraries(platform, tuple(missing))
    return problem
