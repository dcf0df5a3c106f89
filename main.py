"""Simvid Desktop entry point (also the PyInstaller entry script).

``python main.py render ...`` is the ``simvid`` command line. With no arguments it opens
the window, or, when there is no display to open it on, renders the bundled demo and
prints where the video went.
"""

import multiprocessing
import os
import sys


def has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                or os.environ.get("QT_QPA_PLATFORM"))


def run() -> int:
    argv = sys.argv[1:]
    if not argv and has_display():
        from simvid_desktop.ui.app import run_app  # noqa: PLC0415 - after freeze_support

        return run_app(sys.argv[:1])
    from simvid_desktop.cli import main  # noqa: PLC0415 - after freeze_support

    return main(argv or ["demo"])


if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(run())
