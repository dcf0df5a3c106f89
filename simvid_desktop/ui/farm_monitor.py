"""The render farm at a glance: connection, workers online and what they render, the queue,
and the jobs that failed.

:class:`FarmPoller` asks :meth:`FarmClient.status` on the farm pool (a farm that went away
takes up to the client's 3 s timeout to say so) and hands the :class:`FarmStatus` back by
signal; :class:`FarmMonitor` only shows what it is given. Polling runs only while the monitor
is on screen and a farm is configured, one request at a time, the next one 2 s after the
previous answer, so a slow farm is never asked twice at once (a changed URL is asked at
once; whatever the old one answers is dropped).
"""

from __future__ import annotations

import logging
import time
from functools import partial

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRectF,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QHideEvent,
    QIcon,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from simvid_desktop.errors import FarmUnreachable, InvalidInput
from simvid_desktop.farm.client import FarmClient, FarmStatus, WorkerInfo, redact
from simvid_desktop.ui.progress_cell import paint_progress_cell
from simvid_desktop.ui.tasks import Pool, TaskChannel

logger = logging.getLogger(__name__)

POLL_MS = 2000  #: pause between one answer and the next request
HINT_TEXT = "No render farm set up — Settings → Render farm"
NO_WORKERS_TEXT = ("No workers online.\n"
                   "Start one on a render machine: simvid worker --redis URL")
NO_FAILURES_TEXT = "No failed jobs"

ONLINE_COLOR = QColor("#2e9d5b")
OFFLINE_COLOR = QColor("#d64545")
WAITING_COLOR = QColor("#8a93a3")
BUSY_COLOR = QColor("#2f7fd8")

PercentRole = Qt.ItemDataRole.UserRole + 1  #: a worker's percent (float) or None when idle

TREE_STYLE = """
QTreeWidget { outline: 0; }
QTreeWidget::item { padding: 0 6px; border: none; height: 28px; }
QHeaderView::section {
    padding: 4px 8px; border: none; border-bottom: 1px solid palette(mid);
    background: palette(window); color: palette(window-text);
}
"""
TILE_STYLE = """
QFrame#farmTile { border: 1px solid palette(midlight); border-radius: 6px;
                  background: palette(base); }
"""
BUTTON_STYLE = """
QPushButton#farmSetUp { border: 1px solid palette(mid); background: palette(button); }
QPushButton#farmSetUp:hover { border-color: palette(highlight); }
"""
TILE_WIDTH = 118


# -- polling (off the UI thread) -------------------------------------------------------------
def unreachable_reason(exc: FarmUnreachable) -> str:
    """The reason alone, without the "render farm URL is unreachable" the view already says."""
    return str(exc).removeprefix(f"render farm {exc.url} is unreachable: ")


def _status(url: str) -> FarmStatus:
    """One ``FarmClient.status()`` call on the farm pool, with a client of its own (no client
    is shared between threads, and a changed URL never meets an old connection)."""
    client = FarmClient(url)
    try:
        return client.status()
    finally:
        client.close()


class FarmPoller(QObject):
    """Polls one farm URL while started; answers come back on the UI thread."""

    #: A poll answered: the farm as it is now (``FarmStatus``).
    statusReceived = Signal(object)
    #: A poll failed: (farm URL without password, reason), e.g. Redis does not answer.
    unreachable = Signal(str, str)
    #: Redis answered, but with data the client could not read: (URL, reason).
    statusError = Signal(str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._url = ""
        self._active = False
        self._in_flight = False
        self.polls = 0  #: requests sent so far (the tests check that none go out idly)
        # The shared farm pool: nothing waits on a poll stuck in its 3 s timeout but the
        # application's exit. Latest only: an answer about an old URL is never shown.
        self._tasks = TaskChannel(self, Pool.FARM, latest=True)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._poll)

    @property
    def url(self) -> str:
        return self._url

    @property
    def polling(self) -> bool:
        """True while polls are being sent (started, with a farm URL)."""
        return self._active and bool(self._url)

    def set_url(self, url: str) -> None:
        """Poll ``url`` from now on ("" stops polling); answers about the old one are dropped."""
        url = url.strip()
        if url == self._url:
            return
        self._url = url
        self._tasks.discard()  # answers about the old URL are dropped: ask the new one now
        self._in_flight = False
        self._timer.stop()
        if self.polling:
            self._poll()

    def start(self) -> None:
        """Poll now and every ``POLL_MS`` after each answer, until :meth:`stop`."""
        self._active = True
        if self.polling and not self._in_flight and not self._timer.isActive():
            self._poll()

    def stop(self) -> None:
        """No further polls (an answer already on its way is still delivered)."""
        self._active = False
        self._timer.stop()

    def shutdown(self) -> None:
        """For good: no polls, no answers, not even one already on its way."""
        self.stop()
        self._tasks.discard()

    def _poll(self) -> None:
        if not self.polling or self._in_flight:
            return
        self._in_flight = True
        self.polls += 1
        self._tasks.run(partial(_status, self._url), self._done)

    def _done(self, status: FarmStatus | None, error: BaseException | None) -> None:
        self._in_flight = False
        url = redact(self._url)
        if isinstance(error, FarmUnreachable):
            self.unreachable.emit(url, unreachable_reason(error))
        elif isinstance(error, InvalidInput):  # not a redis:// URL
            self.unreachable.emit(url, str(error))
        elif error is not None:  # Redis answered, with something the client cannot read
            logger.error("farm status of %s failed", url, exc_info=error)
            self.statusError.emit(url, f"the farm's status could not be read "
                                       f"({type(error).__name__}: {error})")
        elif status is not None:
            self.statusReceived.emit(status)
        if self.polling:
            self._timer.start(POLL_MS)


# -- the view ------------------------------------------------------------------------------
def _dot(color: QColor, size: int = 12) -> QPixmap:
    pix = QPixmap(size * 2, size * 2)  # drawn at twice the size: sharp on HiDPI too
    pix.setDevicePixelRatio(2.0)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(color.darker(130), 1.0))
    painter.setBrush(color)
    painter.drawEllipse(QRectF(1.5, 1.5, size - 3, size - 3))
    painter.end()
    return pix


def _tint(palette: QPalette, role: QPalette.ColorRole, color: QColor) -> None:
    """``color`` while enabled; disabled keeps the style's grey, so stale data looks stale."""
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        palette.setColor(group, role, color)


class _PercentDelegate(QStyledItemDelegate):
    """The style's own progress bar for a busy worker; nothing for an idle one."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        value = index.data(PercentRole)
        paint_progress_cell(self, painter, option, index,
                            None if value is None else float(value), BUSY_COLOR,
                            greys_when_disabled=True)


class _HintTree(QTreeWidget):
    """A list that says so, in the empty viewport, when it has nothing to list."""

    def __init__(self, empty_text: str, headers: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.empty_text = empty_text
        self.setHeaderLabels(headers)
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setStyleSheet(TREE_STYLE)
        self.header().setStretchLastSection(True)
        self.header().setSectionsMovable(False)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.topLevelItemCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.viewport().rect().adjusted(12, 0, -12, 0),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self.empty_text)
            painter.end()


class _Tile(QFrame):
    """A number with its caption underneath."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("farmTile")
        self.setStyleSheet(TILE_STYLE)
        self.setFixedWidth(TILE_WIDTH)
        self.value = QLabel("–", self)
        font = QFont(self.value.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.value.setFont(font)
        self.caption = QLabel(caption, self)
        self.caption.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.setSpacing(0)
        layout.addWidget(self.value)
        layout.addWidget(self.caption)

    def set_value(self, value: int | None, color: QColor | None = None) -> None:
        self.value.setText("–" if value is None else str(value))
        palette = QPalette(self.palette())
        if color is not None:
            _tint(palette, QPalette.ColorRole.WindowText, color)
        self.value.setPalette(palette)


class FarmMonitor(QWidget):
    """Thin view of :class:`FarmPoller`'s answers; polls only while shown."""

    #: The user asked to set up the farm (the hint's button).
    settingsRequested = Signal()

    def __init__(self, farm_url: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("farmMonitor")
        self.poller = FarmPoller(self)
        self.poller.statusReceived.connect(self.show_status)
        self.poller.unreachable.connect(self.show_unreachable)
        self.poller.statusError.connect(self.show_error)
        self.status: FarmStatus | None = None  #: the last answer, if any
        self.reason = ""  #: why the farm is unreachable ("" while it answers)
        self._last_answer = ""  #: clock time of the last answer
        self._shown = False  #: between show and hide events
        self._on_screen = True  #: False while a dock keeps us in a background tab

        self.pages = QStackedWidget(self)
        self.pages.addWidget(self._hint_page())
        self.pages.addWidget(self._farm_page())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)
        self.set_farm_url(farm_url)

    # -- construction --------------------------------------------------------------------------
    def _hint_page(self) -> QWidget:
        page = QWidget(self)
        self.hint = QLabel(HINT_TEXT, page)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        setup = QPushButton("Set Up Render Farm…", page)
        setup.setObjectName("farmSetUp")
        setup.setToolTip("Open the settings and enter the farm's Redis URL")
        setup.setStyleSheet(BUTTON_STYLE)
        setup.clicked.connect(self.settingsRequested)
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        layout.addWidget(self.hint)
        layout.addWidget(setup, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)
        return page

    def _farm_page(self) -> QWidget:
        page = QWidget(self)
        self.state_dot = QLabel(page)
        self.state_label = QLabel(page)
        bold = QFont(self.state_label.font())
        bold.setBold(True)
        self.state_label.setFont(bold)
        self.url_label = QLabel(page)
        self.url_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.url_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.reason_label = QLabel(page)
        self.reason_label.setWordWrap(True)
        palette = self.reason_label.palette()
        _tint(palette, QPalette.ColorRole.WindowText, OFFLINE_COLOR)
        self.reason_label.setPalette(palette)
        self.updated_label = QLabel(page)
        self.updated_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        header = QHBoxLayout()
        header.setSpacing(8)
        header.addWidget(self.state_dot)
        header.addWidget(self.state_label)
        header.addWidget(self.url_label)
        header.addStretch(1)
        header.addWidget(self.updated_label)

        self.tiles = {key: _Tile(caption, page) for key, caption in (
            ("workers", "workers online"), ("queued", "queued"), ("running", "rendering"),
            ("failed", "failed"))}
        grid = QGridLayout()
        grid.setSpacing(6)
        for i, tile in enumerate(self.tiles.values()):
            grid.addWidget(tile, i // 2, i % 2)
        grid.setRowStretch(2, 1)

        self.workers = _HintTree(NO_WORKERS_TEXT, ["Worker", "Host", "Current job", "Progress"],
                                 page)
        self.workers.setObjectName("farmWorkers")
        self.workers.setItemDelegateForColumn(3, _PercentDelegate(self.workers))
        head = self.workers.header()
        head.setStretchLastSection(False)
        for col, width in ((0, 140), (1, 110), (3, 120)):
            self.workers.setColumnWidth(col, width)
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.failed = _HintTree(NO_FAILURES_TEXT, ["Failed job", "Error"], page)
        self.failed.setObjectName("farmFailed")
        self.failed.setColumnWidth(0, 150)

        self.content = QWidget(page)  # dimmed while the farm does not answer
        body = QHBoxLayout(self.content)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(10)
        body.addLayout(grid)
        body.addWidget(self.workers, 3)
        body.addWidget(self.failed, 2)

        layout = QVBoxLayout(page)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(6)
        layout.addLayout(header)
        layout.addWidget(self.reason_label)
        layout.addWidget(self.content, 1)
        return page

    # -- settings ----------------------------------------------------------------------------
    @property
    def farm_url(self) -> str:
        return self.poller.url

    def set_farm_url(self, url: str) -> None:
        """Show (and poll, while visible) this farm; "" shows the set-up hint and polls nothing."""
        url = url.strip()
        if url == self.poller.url and self.pages.currentIndex() == int(bool(url)):
            return
        self.status, self.reason = None, ""
        self.pages.setCurrentIndex(1 if url else 0)
        if url:
            self.url_label.setText(redact(url))
            self.url_label.setToolTip("The farm's Redis server (password hidden)")
            self._set_state("Connecting…", WAITING_COLOR)
            self.updated_label.setText("")
            self.reason_label.hide()
            self._fill(None)
        self.poller.set_url(url)

    def shutdown(self) -> None:
        self.poller.shutdown()

    # -- polling follows visibility --------------------------------------------------------
    def set_on_screen(self, on_screen: bool) -> None:
        """For a container that hides us without a hide event: a dock in a background tab
        is moved off screen, not hidden (connect its ``visibilityChanged`` here)."""
        self._on_screen = on_screen
        self._follow_visibility()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._shown = True
        self._follow_visibility()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._shown = False
        self._follow_visibility()

    def _follow_visibility(self) -> None:
        if self._shown and self._on_screen:
            self.poller.start()
        else:
            self.poller.stop()

    # -- showing answers ---------------------------------------------------------------------
    def show_status(self, status: FarmStatus) -> None:
        refill = self.status is None or status != self.status
        self.reason = ""
        self.reason_label.hide()
        self.content.setEnabled(True)
        self._set_state("Online", ONLINE_COLOR)
        self._last_answer = time.strftime("%H:%M:%S")
        self.updated_label.setText(f"updated {self._last_answer}")
        if refill:
            self._fill(status)
        self.status = status

    def show_unreachable(self, url: str, reason: str, state: str = "Unreachable") -> None:
        self.reason = reason
        self._set_state(state, OFFLINE_COLOR)
        self.reason_label.setText(reason)
        self.reason_label.setToolTip(f"{url}: {reason}")
        self.reason_label.show()
        self.content.setEnabled(False)  # the last answer stays, greyed: it may be stale
        if self.status is not None:
            self.updated_label.setText(f"last answer {self._last_answer}")

    def show_error(self, url: str, reason: str) -> None:
        self.show_unreachable(url, reason, "Online, status unreadable")

    def _set_state(self, text: str, color: QColor) -> None:
        self.state_label.setText(text)
        self.state_dot.setPixmap(_dot(color))
        palette = self.state_label.palette()
        _tint(palette, QPalette.ColorRole.WindowText, color)
        self.state_label.setPalette(palette)

    def _fill(self, status: FarmStatus | None) -> None:
        self.tiles["workers"].set_value(
            None if status is None else len(status.workers),
            ONLINE_COLOR if status is not None and status.workers else None)
        one = status is not None and len(status.workers) == 1
        self.tiles["workers"].caption.setText("worker online" if one else "workers online")
        self.tiles["queued"].set_value(None if status is None else status.queued)
        self.tiles["running"].set_value(
            None if status is None else status.running,
            BUSY_COLOR if status is not None and status.running else None)
        self.tiles["failed"].set_value(
            None if status is None else len(status.failed),
            OFFLINE_COLOR if status is not None and status.failed else None)
        self.workers.clear()
        self.failed.clear()
        if status is None:
            return
        self.workers.addTopLevelItems([self._worker_item(w) for w in status.workers])
        for description, error in status.failed:
            item = QTreeWidgetItem([description, error.splitlines()[0] if error else ""])
            item.setToolTip(0, description)
            item.setToolTip(1, error)
            self.failed.addTopLevelItem(item)

    def _worker_item(self, worker: WorkerInfo) -> QTreeWidgetItem:
        busy = worker.job is not None
        job = (worker.job_name or str(worker.job)) if busy else "idle"
        item = QTreeWidgetItem([worker.name, worker.host, job, ""])
        item.setIcon(0, QIcon(_dot(BUSY_COLOR if busy else ONLINE_COLOR)))
        item.setToolTip(0, f"{worker.name} on {worker.host}")
        if busy:
            item.setToolTip(2, f"{job} (farm job {worker.job})")
            item.setData(3, PercentRole, worker.percent)
        else:
            idle = QFont(self.workers.font())
            idle.setItalic(True)
            item.setFont(2, idle)
        return item


class FarmDock(QDockWidget):
    """The monitor in a dock the window tabs beside its render queue; ``show_action`` (for the
    View menu) brings it to the front, also from behind another tab. The monitor polls only
    while its tab is the one in front."""

    def __init__(self, farm_url: str, parent: QWidget | None = None) -> None:
        super().__init__("Render farm", parent)
        self.setObjectName("farmDock")
        self.monitor = FarmMonitor(farm_url, self)
        self.setWidget(self.monitor)
        self.show_action = QAction("Render &Farm Monitor", self)
        self.show_action.setObjectName("actionFarmMonitor")
        self.show_action.setCheckable(True)
        self.show_action.setStatusTip("Workers online, their jobs, the farm's queue and failures")
        self.show_action.setToolTip(self.show_action.statusTip())
        self.show_action.triggered.connect(self._toggle)
        self.visibilityChanged.connect(self.show_action.setChecked)
        self.visibilityChanged.connect(self.monitor.set_on_screen)

    def _toggle(self, checked: bool) -> None:
        if checked:
            self.show()
            self.raise_()
        else:
            self.close()
