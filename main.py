"""Simvid Desktop entry point (also the PyInstaller entry script).

``python main.py render ...`` is the ``simvid`` command line; with no arguments it opens
the window, or renders the bundled demo when there is no display to open it on.
"""

import multiprocessing
import sys


def run() -> int:
    from simvid_desktop.cli import main  # noqa: PLC0415 - after freeze_support

    argv = sys.argv[1:]
    if not argv:
        argv = ["demo"]
    return main(argv)


if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(run())
