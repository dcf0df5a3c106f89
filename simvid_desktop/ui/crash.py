"""Logging to the platformdirs log folder, and a crash dialog instead of a silent exit."""

from __future__ import annotations

import logging
import logging.handlers
import sys
import traceback
from datetime import datetime
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QMessageBox

from simvid_desktop.paths import log_dir

logger = logging.getLogger(__name__)


def setup_logging() -> Path:
    """Log to ``simvid.log`` in the log folder (rotated), warnings also to stderr."""
    path = log_dir() / "simvid.log"
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3,
                                                   encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path


def write_crash_report(exc_type: type[BaseException], exc: BaseException,
                       tb: TracebackType | None) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = log_dir() / f"crash-{stamp}.log"
    path.write_text("".join(traceback.format_exception(exc_type, exc, tb)), encoding="utf-8")
    return path


def install_excepthook() -> None:
    """Unexpected errors are logged and shown; the user can open the log folder."""

    def hook(exc_type: type[BaseException], exc: BaseException,
             tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        logger.critical("unexpected error", exc_info=(exc_type, exc, tb))
        report = write_crash_report(exc_type, exc, tb)
        if QApplication.instance() is None:
            sys.__excepthook__(exc_type, exc, tb)
            return
        box = QMessageBox(QMessageBox.Icon.Critical, "Simvid Desktop",
                          "Something went wrong inside Simvid. Your work is autosaved; "
                          "the details are in the log folder.")
        box.setInformativeText(f"{exc_type.__name__}: {exc}")
        box.setDetailedText(report.read_text(encoding="utf-8"))
        open_logs = box.addButton("Open log folder", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Close)
        box.exec()
        if box.clickedButton() is open_logs:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(report.parent)))

    sys.excepthook = hook
