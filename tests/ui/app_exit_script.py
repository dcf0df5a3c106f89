"""Ends the app one way or another (argv[1]); the test reads the exit code and stderr."""
import multiprocessing
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

if __name__ == "__main__":
    multiprocessing.set_start_method("spawn")
    from simvid_desktop.model.settings import Settings
    from simvid_desktop.ui.app import create_application, run_app
    from simvid_desktop.ui.job_bridge import JobBridge

    how = sys.argv[1]
    app = create_application(sys.argv[:1])
    if how == "window":  # the whole window, quit from elsewhere (no close handler)
        QTimer.singleShot(1500, QApplication.quit)
        sys.exit(run_app(sys.argv[:1]))
    holder = QWidget()
    bridge = JobBridge(Settings(workers=1), parent=holder)
    bridge.start_runner()
    if how == "deleted":  # its window is deleted without its close handler, then quit
        QTimer.singleShot(500, holder.deleteLater)
        QTimer.singleShot(1000, QApplication.quit)
        sys.exit(app.exec())
    if how == "no-loop":  # a script that ends without ever running the event loop
        sys.exit(0)
    QTimer.singleShot(1000, QApplication.quit)
    sys.exit(app.exec())
