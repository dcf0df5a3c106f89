"""Starting the window: application metadata, look, crash handling, then the main window."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from PySide6.QtCore import QMessageLogContext, Qt, QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QWidget

from simvid_desktop import __version__
from simvid_desktop.jobs.render_process import refuse_in_bootstrapping_child
from simvid_desktop.paths import resource
from simvid_desktop.ui import tasks
from simvid_desktop.ui.crash import install_excepthook, setup_logging

logger = logging.getLogger(__name__)

#: Set to 1 to close the window as soon as it is shown (start-up benchmarks, smoke tests
#: of a frozen build): prints ``window shown`` on stdout first. Set to a ``.png`` path to
#: also save a screenshot of the window there.
EXIT_AFTER_SHOW_ENV = "SIMVID_EXIT_AFTER_SHOW"

STYLE_SHEET = """
QToolBar { spacing: 6px; padding: 4px; }
QToolButton { padding: 4px 8px; border-radius: 6px; }
QGroupBox { font-weight: 600; border: 1px solid palette(mid); border-radius: 8px;
            margin-top: 14px; padding: 8px 6px 6px 6px; }
QGroupBox::title { subcontrol-origin: margin; left: 10px; padding: 0 4px; }
QPushButton { padding: 5px 12px; border-radius: 6px; }
QPushButton#renderButton { font-weight: 700; padding: 7px 18px; }
QStatusBar QLabel { padding: 0 6px; }
"""


#: Printed after Qt's own message when it cannot start at all.
START_FAILED_HINT = (
    "Simvid Desktop: Qt could not start (above). To see which library or plugin is "
    "missing, run again with QT_DEBUG_PLUGINS=1; without a window, the command line "
    "renders everything (`python main.py --help`).")


def _exit_on_fatal(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """While the QApplication starts: a fatal Qt error (no platform plugin, no display)
    ends the process with exit code 1 and a hint, instead of an abort and a core dump."""
    if sys.stderr is not None:
        print(message, file=sys.stderr, flush=True)
    if kind == QtMsgType.QtFatalMsg:
        if sys.stderr is not None:
            print(START_FAILED_HINT, file=sys.stderr, flush=True)
        os._exit(1)


def create_application(argv: Sequence[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    refuse_in_bootstrapping_child("The Simvid window")
    # Background threads (preview, thumbnails, queue) run Python too: hand the GIL back to
    # the UI thread within 1 ms instead of the default 5 ms, so input never waits on them.
    sys.setswitchinterval(0.001)
    previous = qInstallMessageHandler(_exit_on_fatal)
    try:
        app = QApplication(list(argv) if argv is not None else sys.argv[:1])
    finally:
        qInstallMessageHandler(previous)
    app.setApplicationName("Simvid Desktop")
    app.setOrganizationName("Simvid")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(QIcon(str(resource("icons", "simvid.png"))))
    app.setStyle("Fusion")  # consistent on every OS; follows the system light/dark scheme
    app.setStyleSheet(STYLE_SHEET)
    app.setAttribute(Qt.ApplicationAttribute.AA_DontShowIconsInMenus, False)
    return app


def run_app(argv: Sequence[str] | None = None) -> int:
    """Open the window and run until it closes."""
    log_file = setup_logging()
    logger.info("Simvid Desktop %s starting (log: %s)", __version__, log_file)
    app = create_application(argv)
    install_excepthook()
    from simvid_desktop.ui.main_window import MainWindow  # noqa: PLC0415 - after QApplication

    window = MainWindow()
    window.show()
    window.offer_recovery()
    exit_after_show = os.environ.get(EXIT_AFTER_SHOW_ENV, "")
    if exit_after_show == "1" or exit_after_show.endswith(".png"):
        QTimer.singleShot(0, lambda: _report_shown_and_close(window, exit_after_show))
    code = int(app.exec())
    tasks.shutdown()  # no pool thread may still run Python while the interpreter exits
    return code


def _report_shown_and_close(window: QWidget, how: str) -> None:
    """Runs once the events queued by ``show()`` (layout, expose, first paint) are done."""
    if sys.stdout is not None:  # a windowed Windows executable has no stdout
        print("window shown", flush=True)
    if how.endswith(".png"):
        window.grab().save(how)
    window.close()
    QApplication.quit()
