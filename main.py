"""Simvid Desktop entry point (also the PyInstaller entry script).

``python main.py render ...`` is the ``simvid`` command line. With no arguments it opens
the window, or, when there is no display to open it on, renders the bundled demo and
prints where the video went. ``--self-test`` renders a short show through the worker
processes and prints a one-line verdict (exit code 0 when the video is right).

Frozen, this script is both executables of the bundle (see ``build.spec``). Worker processes
are the same executable started again by multiprocessing (spawn): ``freeze_support()``
turns such a start into a worker before anything else runs, so a worker never parses the
command line or opens a window.

On Linux, the window needs the system libraries of Qt's platform plugin: when some are
missing, it says which and how to install them, and exits with 1 (see
``simvid_desktop/ui/platform_check.py``), rather than rendering the demo as with no display:
the user asked for the window, and one command makes it open.
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
    # Imported here, after freeze_support(): a spawned worker process stops there and loads
    # none of this. Each path loads only its own front end (Qt for the window alone).
    argv = sys.argv[1:]
    if argv[:1] == ["--self-test"]:
        from simvid_desktop.cli.self_test import main as self_test  # noqa: PLC0415

        return self_test(argv[1:])
    if not argv and has_display():
        # Before Qt: a missing system library makes Qt abort with a core dump.
        from simvid_desktop.ui.platform_check import check_platform  # noqa: PLC0415

        problem = check_platform()
        if problem is not None:
            print(problem, file=sys.stderr)
            return 1
        from simvid_desktop.ui.app import run_app  # noqa: PLC0415

        return run_app(sys.argv[:1])
    from simvid_desktop.cli.main import main  # noqa: PLC0415

    return main(argv or ["demo"])


if __name__ == "__main__":
    multiprocessing.freeze_support()  # a spawned worker process stops here
    multiprocessing.set_start_method("spawn")  # the same on every OS, frozen or not
    sys.exit(run())
