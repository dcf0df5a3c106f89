"""PyInstaller run-time hook, used by ``build.spec`` instead of PyInstaller's ``pyi_rth_pyside6``.

Points Qt at the bundled plugins without importing Qt. PyInstaller's own hook imports
``PySide6.QtCore`` at the start of every process of the bundle — the render worker
processes and every command-line run included, none of which use Qt (they would map
QtCore and ICU for nothing, and "worker processes never import Qt" would only hold
unfrozen). The PySide6 wheel's QtCore sets up its relocatable prefix itself when the
window imports it; all that is needed before that is the plugin folder.
"""

import os
import sys


def _point_qt_at_the_bundle() -> None:
    root = getattr(sys, "_MEIPASS", None)
    if root is None:
        return
    # The wheel layouts: PySide6/plugins on Windows, PySide6/Qt/plugins elsewhere.
    qt = os.path.join(root, "PySide6") if sys.platform == "win32" else os.path.join(
        root, "PySide6", "Qt")
    os.environ["QT_PLUGIN_PATH"] = os.path.join(qt, "plugins")


_point_qt_at_the_bundle()
del _point_qt_at_the_bundle
