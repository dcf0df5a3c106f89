"""The job list as a table model, fed only by :class:`JobBridge` signals.

A thin translation layer in the manner of qutebrowser's download model: the bridge says
which job changed, the model says which cells changed. Rows are kept in queue order and
updated in place (insert, remove, move, ``dataChanged`` for one row's changed cells), never
reset, so the user's selection and scroll position survive every update.
"""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRectF,
    Qt,
    Slot,
)
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap

from simvid_desktop.jobs.model import Job, JobStatus, LogLocation
from simvid_desktop.model.units import format_eta, format_size
from simvid_desktop.ui.job_bridge import JobBridge

logger = logging.getLogger(__name__)

(COL_NAME, COL_STATUS, COL_PROGRESS, COL_MESSAGE, COL_FPS, COL_ETA, COL_SIZE,
 COL_OUTPUT) = range(8)
COLUMN_COUNT = 8
HEADERS = ("Name", "Status", "Progress", "Details", "Speed", "Time left", "Size", "Output")

JobRole = Qt.ItemDataRole.UserRole + 1  #: the :class:`Job` itself
ProgressRole = Qt.ItemDataRole.UserRole + 2  #: float 0..100
StatusRole = Qt.ItemDataRole.UserRole + 3  #: :class:`JobStatus`

STATUS_TEXT = {
    JobStatus.QUEUED: "Queued",
    JobStatus.STARTED: "Rendering",
    JobStatus.FINISHED: "Finished",
    JobStatus.FAILED: "Failed",
    JobStatus.CANCELED: "Cancelled",
    JobStatus.PAUSED: "Paused",
}

#: Muted colours that read on light and dark palettes alike.
STATUS_COLOR = {
    JobStatus.QUEUED: QColor("#8a93a3"),
    JobStatus.STARTED: QColor("#2f7fd8"),
    JobStatus.FINISHED: QColor("#2e9d5b"),
    JobStatus.FAILED: QColor("#d64545"),
    JobStatus.CANCELED: QColor("#8a93a3"),
    JobStatus.PAUSED: QColor("#d49a2a"),
}

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_dots: dict[JobStatus, QIcon] = {}
_ROOT = QModelIndex()  #: the invisible root: a table has no children


def status_text(job: Job) -> str:
    if job.status is JobStatus.STARTED and job.cancel_requested:
        return "Cancelling"
    if job.status is JobStatus.QUEUED and job.failures and job.next_attempt_at > time.time():
        return "Retrying"
    return STATUS_TEXT[job.status]


def result_size(job: Job) -> int | None:
    size = (job.result or {}).get("size_bytes")
    return int(size) if isinstance(size, (int, float)) else None


def _status_dot(status: JobStatus) -> QIcon:
    """A small coloured disc: the status is readable at a glance, even in a narrow column."""
    if status not in _dots:
        pix = QPixmap(20, 20)
        pix.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pix)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(255, 255, 255, 230), 1.5))  # visible on a selected row
        painter.setBrush(STATUS_COLOR[status])
        painter.drawEllipse(QRectF(4.5, 4.5, 11, 11))
        painter.end()
        _dots[status] = QIcon(pix)
    return _dots[status]


def _message(job: Job) -> str:
    if job.status is JobStatus.FAILED:
        return (job.error or job.message or "Failed").splitlines()[0]
    if job.status is JobStatus.FINISHED:
        elapsed = (job.result or {}).get("elapsed")
        return f"Done in {format_eta(elapsed)}" if isinstance(elapsed, (int, float)) else ""
    return "" if job.message == STATUS_TEXT[job.status] else job.message


def _display(job: Job, column: int) -> str:
    started = job.status is JobStatus.STARTED
    if column == COL_NAME:
        return job.name
    if column == COL_STATUS:
        return status_text(job)
    if column == COL_PROGRESS:
        return f"{job.percent:.0f} %"
    if column == COL_MESSAGE:
        return _message(job)
    if column == COL_FPS:
        return f"{job.fps:.1f} fps" if started and job.fps > 0 else ""
    if column == COL_ETA:
        return format_eta(job.eta) if started else ""
    if column == COL_SIZE:
        size = result_size(job)
        return format_size(size) if size is not None and job.status is JobStatus.FINISHED else ""
    if column == COL_OUTPUT:
        return job.output
    return ""


def _log_note(log: LogLocation | None) -> str:
    """Where the run that failed logged: here, or on the farm machine that ran it."""
    if log is None:
        return ""
    if log.host and log.host != socket.gethostname():
        return f"\n\nThe full log is on {log.host}, in {log.path}"
    return f"\n\nThe full log is in {log.path}"


def _tooltip(job: Job, column: int) -> str:
    if job.status is JobStatus.FAILED and column in (COL_STATUS, COL_MESSAGE, COL_PROGRESS):
        return f"{job.error or job.message}{_log_note(job.log)}"
    if column == COL_MESSAGE and job.message:
        return job.message
    return job.output


class JobTableModel(QAbstractTableModel):
    """One row per job, in queue order. Read-only: edits go through the bridge."""

    def __init__(self, bridge: JobBridge | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: list[Job] = []
        self._rows: dict[str, int] = {}
        if bridge is not None:
            bridge.jobsReset.connect(self.reset_jobs)
            bridge.jobChanged.connect(self.update_job)
            bridge.jobRemoved.connect(self.remove_job)
            self.reset_jobs(bridge.jobs())

    # -- reading ---------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._jobs)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else COLUMN_COUNT

    def job(self, row: int) -> Job:
        return self._jobs[row]

    def jobs(self) -> list[Job]:
        return list(self._jobs)

    def row_of(self, job_id: str) -> int | None:
        return self._rows.get(job_id)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation is Qt.Orientation.Horizontal and 0 <= section < COLUMN_COUNT:
            if role == Qt.ItemDataRole.DisplayRole:
                return HEADERS[section]
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return _RIGHT if section in (COL_FPS, COL_ETA, COL_SIZE) else _LEFT
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._jobs):
            return None
        job, column = self._jobs[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(job, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(job, column)
        if role == JobRole:
            return job
        if role == ProgressRole:
            return 100.0 if job.status is JobStatus.FINISHED else float(job.percent)
        if role == StatusRole:
            return job.status
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if column in (COL_FPS, COL_ETA, COL_SIZE) else _LEFT
        if role == Qt.ItemDataRole.DecorationRole and column == COL_STATUS:
            return _status_dot(job.status)
        if role == Qt.ItemDataRole.ForegroundRole and column == COL_STATUS:
            return STATUS_COLOR[job.status]
        if role == Qt.ItemDataRole.ForegroundRole and column == COL_MESSAGE and (
            job.status is JobStatus.FAILED
        ):
            return STATUS_COLOR[JobStatus.FAILED]
        return None

    # -- fed by the bridge -------------------------------------------------------------------
    @Slot(list)
    def reset_jobs(self, jobs: list[Job]) -> None:
        """Make the rows equal ``jobs`` with the smallest changes (removals, moves, inserts,
        then changed cells), so selections and scroll position are kept."""
        new_ids = [j.id for j in jobs]
        wanted = set(new_ids)
        for row in reversed(range(len(self._jobs))):
            if self._jobs[row].id not in wanted:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._jobs[row]
                self.endRemoveRows()
        self._reindex()
        rank = {job_id: i for i, job_id in enumerate(new_ids)}
        survivors = sorted(self._jobs, key=lambda j: rank[j.id])
        if [j.id for j in survivors] != [j.id for j in self._jobs]:
            self._reorder(survivors)
        by_id = {j.id: j for j in jobs}
        for i, job in enumerate(jobs):
            if i >= len(self._jobs) or self._jobs[i].id != job.id:
                self.beginInsertRows(QModelIndex(), i, i)
                self._jobs.insert(i, job)
                self.endInsertRows()
        self._reindex()
        for row, current in enumerate(list(self._jobs)):
            if by_id[current.id] != current:
                self._replace(row, by_id[current.id])

    def _reorder(self, ordered: list[Job]) -> None:
        self.layoutAboutToBeChanged.emit()
        new_row = {j.id: r for r, j in enumerate(ordered)}
        moved_from = [self._jobs[r].id for r in range(len(self._jobs))]
        persistent = self.persistentIndexList()
        self._jobs = ordered
        self.changePersistentIndexList(
            persistent,
            [self.index(new_row[moved_from[p.row()]], p.column()) for p in persistent],
        )
        self._reindex()
        self.layoutChanged.emit()

    @Slot(object)
    def update_job(self, job: Job) -> None:
        row = self._rows.get(job.id)
        if row is None:  # not in the last list: show it at the end until the next reset
            self.beginInsertRows(QModelIndex(), len(self._jobs), len(self._jobs))
            self._jobs.append(job)
            self._rows[job.id] = len(self._jobs) - 1
            self.endInsertRows()
        elif self._jobs[row] != job:
            self._replace(row, job)

    @Slot(str)
    def remove_job(self, job_id: str) -> None:
        row = self._rows.get(job_id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._jobs[row]
        self.endRemoveRows()
        self._reindex()

    def _replace(self, row: int, job: Job) -> None:
        """Swap in the new job and signal only the span of cells that look different."""
        old = self._jobs[row]
        self._jobs[row] = job
        changed = [c for c in range(COLUMN_COUNT)
                   if _display(old, c) != _display(job, c) or _tooltip(old, c) != _tooltip(job, c)]
        if old.status is not job.status:
            changed.append(COL_STATUS)
        if old.percent != job.percent:
            changed.append(COL_PROGRESS)
        if not changed:  # bookkeeping only (heartbeat, owner): JobRole still changed
            changed = [COL_NAME]
        self.dataChanged.emit(self.index(row, min(changed)), self.index(row, max(changed)))

    def _reindex(self) -> None:
        self._rows = {j.id: r for r, j in enumerate(self._jobs)}


def output_path(job: Job) -> Path:
    """The video's path: the one the render reports, else the one the job was given."""
    out = (job.result or {}).get("output")
    return Path(out) if isinstance(out, str) and out else Path(job.output)
