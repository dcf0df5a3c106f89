"""The render queue panel: a thin view over :class:`JobTableModel`.

Layout and wiring only. Every action asks the bridge, which writes on its own thread;
the table changes when the store says so, never optimistically, so what the user sees is
what the queue really holds (including jobs edited from a terminal).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QDir,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QProcess,
    QSize,
    Qt,
    QUrl,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QDesktopServices,
    QIcon,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from simvid_desktop.jobs.model import Job, JobStatus
from simvid_desktop.paths import resource
from simvid_desktop.ui.job_bridge import JobBridge
from simvid_desktop.ui.job_model import (
    COL_ETA,
    COL_FPS,
    COL_MESSAGE,
    COL_NAME,
    COL_OUTPUT,
    COL_PROGRESS,
    COL_SIZE,
    COL_STATUS,
    STATUS_COLOR,
    JobRole,
    JobTableModel,
    ProgressRole,
    StatusRole,
    output_path,
)
from simvid_desktop.ui.progress_cell import paint_progress_cell

logger = logging.getLogger(__name__)

COLUMN_WIDTHS = {COL_NAME: 170, COL_STATUS: 118, COL_PROGRESS: 150, COL_MESSAGE: 230,
                 COL_FPS: 78, COL_ETA: 78, COL_SIZE: 78}
ROW_HEIGHT = 32
TABLE_STYLE = """
QTableView { outline: 0; }
QTableView::item { padding-left: 8px; padding-right: 8px; border: none; }
QHeaderView::section {
    padding: 5px 8px; border: none; border-bottom: 1px solid palette(mid);
    background: palette(window); color: palette(window-text);
}
"""
EMPTY_TEXT = "No videos in the queue.\nRender a project or use Batch export to add some."


def icon(name: str) -> QIcon:
    return QIcon(str(resource("icons", f"{name}.png")))


def arrow_icon(up: bool) -> QIcon:
    """A chevron drawn like the bundled icons (light stroke, dark rim): the set has none."""
    pix = QPixmap(64, 64)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    y0, y1 = (40, 22) if up else (24, 42)
    points = [QPointF(14, y0), QPointF(32, y1), QPointF(50, y0)]
    for color, width in (("#2b2f36", 11.0), ("#d6dae1", 6.0)):
        pen = QPen(QColor(color), width)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.drawPolyline(points)
    painter.end()
    return QIcon(pix)


def open_url(url: QUrl) -> bool:
    """Hand a file or folder to the desktop (a module function so tests can replace it)."""
    return QDesktopServices.openUrl(url)


def show_in_folder(path: Path) -> None:
    """Select the file in the platform's file manager where it can; else open its folder."""
    if sys.platform == "win32" and path.exists():
        QProcess.startDetached("explorer.exe", ["/select,", QDir.toNativeSeparators(str(path))])
    elif sys.platform == "darwin" and path.exists():
        QProcess.startDetached("open", ["-R", str(path)])
    else:  # no portable "select this file" on Linux desktops
        open_url(QUrl.fromLocalFile(str(path.parent)))


class ProgressDelegate(QStyledItemDelegate):
    """Paints the progress column as the style's own progress bar, tinted by status."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        status: JobStatus | None = index.data(StatusRole)
        value = float(index.data(ProgressRole) or 0.0)
        shown = status is not None and (
            status in (JobStatus.STARTED, JobStatus.FINISHED) or value > 0.0)
        paint_progress_cell(self, painter, option, index, value if shown else None,
                            QColor(STATUS_COLOR[status]) if status is not None else QColor())


class ElideMiddleDelegate(QStyledItemDelegate):
    """Paths keep both ends visible: the folder it starts in and the file name."""

    def initStyleOption(self, option: QStyleOptionViewItem,
                        index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle


class JobTable(QTableView):
    """The table, with a hint painted in the empty viewport instead of a blank grid."""

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, EMPTY_TEXT)
            painter.end()


class JobsView(QWidget):
    """The queue: a table of jobs, a toolbar and a context menu sharing the same actions."""

    def __init__(self, bridge: JobBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.model = JobTableModel(bridge, self)
        self.table = JobTable(self)
        self.table.setObjectName("jobs")
        self._setup_table()
        self._create_actions()
        self.summary = QLabel(self)
        self.summary.setObjectName("jobsSummary")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._create_toolbar())
        layout.addWidget(self.table)

        selection = self.table.selectionModel()
        selection.selectionChanged.connect(self._update_actions)
        for sig in (self.model.dataChanged, self.model.rowsInserted, self.model.rowsRemoved,
                    self.model.layoutChanged, self.model.modelReset):
            sig.connect(self._update_actions)
        bridge.queuePausedChanged.connect(self._show_queue_paused)
        self.table.doubleClicked.connect(self._double_clicked)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self._show_queue_paused(bridge.queue_paused)
        self._update_actions()

    # -- construction ---------------------------------------------------------------------------
    def _setup_table(self) -> None:
        t = self.table
        t.setModel(self.model)
        t.setSortingEnabled(False)  # queue order is the order jobs will render in
        t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        t.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        t.setShowGrid(False)
        t.setAlternatingRowColors(True)
        t.setWordWrap(False)
        t.setFrameShape(QTableView.Shape.NoFrame)
        t.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        t.setItemDelegateForColumn(COL_PROGRESS, ProgressDelegate(t))
        t.setItemDelegateForColumn(COL_OUTPUT, ElideMiddleDelegate(t))
        # Air around cell text and a flat header: the look of current desktop file lists.
        t.setStyleSheet(TABLE_STYLE)
        t.verticalHeader().hide()
        t.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        header = t.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in COLUMN_WIDTHS.items():
            t.setColumnWidth(column, width)

    def _action(self, name: str, text: str, icon_: QIcon, tip: str,
                slot: Callable[[], None],
                shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None) -> QAction:
        action = QAction(icon_, text, self)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.setShortcutVisibleInContextMenu(True)
            tip = f"{tip} ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _create_actions(self) -> None:
        self.actionOpenVideo = self._action(
            "actionOpenVideo", "Open video", icon("play"), "Play the finished video",
            self.open_video, "Return")
        self.actionShowInFolder = self._action(
            "actionShowInFolder", "Show in folder", icon("folder"),
            "Open the folder the video is saved in", self.show_folder)
        # Cancel and Remove share Delete: they are never enabled together (see _update_actions),
        # so the key cancels active jobs, and pressed again removes them from the list.
        self.actionCancelJob = self._action(
            "actionCancelJob", "Cancel", icon("cancel"), "Stop the selected jobs",
            self.cancel_selected, QKeySequence.StandardKey.Delete)
        self.actionRetryJob = self._action(
            "actionRetryJob", "Retry", icon("retry"), "Queue the failed or cancelled jobs again",
            self.retry_selected, "Ctrl+R")
        self.actionPauseJob = self._action(
            "actionPauseJob", "Pause", icon("pause"), "Hold the selected jobs back in the queue",
            self.toggle_pause_selected)
        self.actionMoveUp = self._action(
            "actionMoveJobUp", "Move up", arrow_icon(up=True), "Render the selected jobs sooner",
            lambda: self.move_selected(-1), "Ctrl+Up")
        self.actionMoveDown = self._action(
            "actionMoveJobDown", "Move down", arrow_icon(up=False),
            "Render the selected jobs later", lambda: self.move_selected(1), "Ctrl+Down")
        self.actionRemoveJob = self._action(
            "actionRemoveJob", "Remove", icon("delete"),
            "Remove the selected ended jobs from the list (their videos are kept)",
            self.remove_selected, QKeySequence.StandardKey.Delete)
        self.actionClearFinished = self._action(
            "actionClearFinished", "Clear finished", QIcon(),
            "Remove every finished job from the list (the videos are kept)",
            self.bridge.clear_finished)
        self.actionPauseQueue = self._action(
            "actionPauseQueue", "Pause queue", icon("pause"),
            "Start no new job until the queue is resumed (running jobs finish)",
            self._queue_pause_toggled)
        self.actionPauseQueue.setCheckable(True)

    def _toolbar(self, name: str) -> QToolBar:
        bar = QToolBar(self)
        bar.setObjectName(name)
        bar.setMovable(False)
        bar.setIconSize(QSize(20, 20))
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        return bar

    def _create_toolbar(self) -> QWidget:
        """Job actions on the left; the queue's state and its pause switch on the right."""
        self.toolbar = self._toolbar("jobsToolbar")
        groups = [
            [self.actionOpenVideo, self.actionShowInFolder],
            [self.actionCancelJob, self.actionRetryJob, self.actionPauseJob],
            [self.actionMoveUp, self.actionMoveDown],
            [self.actionRemoveJob, self.actionClearFinished],
        ]
        for i, group in enumerate(groups):
            if i:
                self.toolbar.addSeparator()
            self.toolbar.addActions(group)
        for action in (self.actionMoveUp, self.actionMoveDown):
            button = self.toolbar.widgetForAction(action)
            if isinstance(button, QToolButton):  # arrows say it all; the tooltip has the words
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        queue_bar = self._toolbar("queueToolbar")
        queue_bar.addAction(self.actionPauseQueue)
        self.summary.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        row = QWidget(self)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.addWidget(self.toolbar)
        layout.addStretch(1)
        layout.addWidget(self.summary)
        layout.addWidget(queue_bar)
        return row

    # -- selection ------------------------------------------------------------------------------
    def selected_jobs(self) -> list[Job]:
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return [self.model.job(r) for r in rows]

    def _update_actions(self) -> None:
        jobs = self.selected_jobs()
        statuses = {j.status for j in jobs}
        self.actionCancelJob.setEnabled(
            any(j.status.active and not j.cancel_requested for j in jobs))
        self.actionRemoveJob.setEnabled(bool(jobs) and all(j.status.ended for j in jobs))
        self.actionRetryJob.setEnabled(bool(statuses & {JobStatus.FAILED, JobStatus.CANCELED}))
        resume = JobStatus.PAUSED in statuses
        self.actionPauseJob.setText("Resume" if resume else "Pause")
        self.actionPauseJob.setIcon(icon("play" if resume else "pause"))
        self.actionPauseJob.setEnabled(resume or JobStatus.QUEUED in statuses)
        movable = bool(statuses & {JobStatus.QUEUED, JobStatus.PAUSED})
        self.actionMoveUp.setEnabled(movable)
        self.actionMoveDown.setEnabled(movable)
        self.actionOpenVideo.setEnabled(len(jobs) == 1 and jobs[0].status is JobStatus.FINISHED)
        self.actionShowInFolder.setEnabled(len(jobs) == 1)
        all_jobs = self.model.jobs()
        self.actionClearFinished.setEnabled(
            any(j.status is JobStatus.FINISHED for j in all_jobs))
        self._update_summary(all_jobs)

    def _update_summary(self, jobs: list[Job]) -> None:
        counts = {s: 0 for s in JobStatus}
        for j in jobs:
            counts[j.status] += 1
        parts = [f"{counts[JobStatus.STARTED]} rendering"] if counts[JobStatus.STARTED] else []
        waiting = counts[JobStatus.QUEUED] + counts[JobStatus.PAUSED]
        if waiting:
            parts.append(f"{waiting} waiting")
        if counts[JobStatus.FINISHED]:
            parts.append(f"{counts[JobStatus.FINISHED]} done")
        if counts[JobStatus.FAILED]:
            parts.append(f"{counts[JobStatus.FAILED]} failed")
        if self.bridge.queue_paused:
            parts.insert(0, "Queue paused")
        self.summary.setText("  ·  ".join(parts))

    # -- actions ----------------------------------------------------------------------------------
    def cancel_selected(self) -> None:
        self.bridge.cancel(j.id for j in self.selected_jobs() if j.status.active)

    def retry_selected(self) -> None:
        self.bridge.retry(j.id for j in self.selected_jobs()
                          if j.status in (JobStatus.FAILED, JobStatus.CANCELED))

    def toggle_pause_selected(self) -> None:
        jobs = self.selected_jobs()
        if any(j.status is JobStatus.PAUSED for j in jobs):
            self.bridge.set_paused((j.id for j in jobs if j.status is JobStatus.PAUSED), False)
        else:
            self.bridge.set_paused((j.id for j in jobs if j.status is JobStatus.QUEUED), True)

    def move_selected(self, steps: int) -> None:
        waiting = (JobStatus.QUEUED, JobStatus.PAUSED)
        self.bridge.move((j.id for j in self.selected_jobs() if j.status in waiting), steps)

    def remove_selected(self) -> None:
        self.bridge.remove(j.id for j in self.selected_jobs() if j.status.ended)

    def open_video(self) -> None:
        jobs = self.selected_jobs()
        if len(jobs) == 1 and jobs[0].status is JobStatus.FINISHED:
            self._open(jobs[0])

    def show_folder(self) -> None:
        jobs = self.selected_jobs()
        if len(jobs) == 1:
            show_in_folder(output_path(jobs[0]))

    def _open(self, job: Job) -> None:
        path = output_path(job)
        if not path.is_file():
            QMessageBox.information(self, "Video not found",
                                    f"{path}\n\nThe video was moved or deleted.")
            return
        if not open_url(QUrl.fromLocalFile(str(path))):
            logger.warning("no application opened %s", path)

    def _double_clicked(self, index: QModelIndex) -> None:
        job: Job | None = index.data(JobRole)
        if job is not None and job.status is JobStatus.FINISHED:
            self._open(job)

    def _context_menu(self, pos: QPoint) -> None:
        if not self.table.indexAt(pos).isValid():
            self.table.clearSelection()
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.addActions([self.actionOpenVideo, self.actionShowInFolder])
        menu.addSeparator()
        menu.addActions([self.actionCancelJob, self.actionRetryJob, self.actionPauseJob,
                         self.actionMoveUp, self.actionMoveDown])
        menu.addSeparator()
        menu.addActions([self.actionRemoveJob, self.actionClearFinished, self.actionPauseQueue])
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def _queue_pause_toggled(self) -> None:
        self.bridge.set_queue_paused(self.actionPauseQueue.isChecked())

    def _show_queue_paused(self, paused: bool) -> None:
        self.actionPauseQueue.setChecked(paused)
        self.actionPauseQueue.setText("Resume queue" if paused else "Pause queue")
        self.actionPauseQueue.setIcon(icon("play" if paused else "pause"))
        self._update_summary(self.model.jobs())
