"""The playlist as a list model: one row per track of ``project.audio``, in play order.

The model holds no tracks of its own: the panel hands it each new bed (:meth:`set_bed`)
and it reads the lengths the panel's :class:`TrackLengths` decoded. Dragging a row, or
dropping files, never changes the model directly: it asks the panel
(:attr:`moveRequested`, :attr:`filesDropped`), which edits the document as one undo step,
and the new bed comes back through :meth:`set_bed` like any other edit, undo or redo.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from pathlib import Path

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from simvid_desktop.model.media_types import is_music
from simvid_desktop.model.project import AudioBed, MusicTrack, TrackJoin
from simvid_desktop.model.units import format_duration
from simvid_desktop.ui.track_lengths import TrackLengths

#: A dragged row of this list: moved within it, never dropped elsewhere.
TRACK_ROW_MIME = "application/x-simvid-track-row"

_Index = QModelIndex | QPersistentModelIndex


class TrackRole(IntEnum):
    """What the delegate asks for besides the name (``DisplayRole``)."""

    LENGTH = Qt.ItemDataRole.UserRole + 1  #: "0:42", "…" while decoding, "" when unusable
    DETAIL = Qt.ItemDataRole.UserRole + 2  #: the second line: trim, volume, join
    PROBLEM = Qt.ItemDataRole.UserRole + 3  #: why the file cannot be used, or None
    TRACK = Qt.ItemDataRole.UserRole + 4  #: the :class:`MusicTrack`


def dropped_music(mime: QMimeData) -> list[Path]:
    """The local music or video files among the dropped URLs, in their order."""
    paths = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
    return [p for p in paths if is_music(p)]


def join_text(track: MusicTrack, *, last: bool, loop: bool, alone: bool) -> str:
    """How ``track`` leads into the next one, in words, as :mod:`model.playlist` plays it:
    the last one leads into the first only when the playlist loops, and a track alone in
    a looping playlist repeats onto itself (a gap is kept, a crossfade is not)."""
    if last and not loop:
        return "then the playlist ends"
    seconds = f"{track.join_seconds:g} s"
    gap = track.join is TrackJoin.GAP and track.join_seconds > 0
    if alone:
        return f"{seconds} gap, then it repeats" if gap else "repeats straight on"
    target = "the first" if last else "the next"
    if gap:
        return f"{seconds} gap before {target}"
    if track.join is TrackJoin.CROSSFADE and track.join_seconds > 0:
        return f"crossfade {seconds} into {target}"
    return f"then {target}"


class PlaylistModel(QAbstractListModel):
    """Rows are the tracks; drag a row to reorder, drop files to add them."""

    #: A row was dragged: move track ``src`` so that it ends up at index ``dst``.
    moveRequested = Signal(int, int)
    #: Music files were dropped at row ``row`` (insert before it): a list of ``Path``.
    filesDropped = Signal(list, int)

    def __init__(self, lengths: TrackLengths, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lengths = lengths
        self._bed: AudioBed | None = None
        lengths.decoded.connect(self._on_length)
        lengths.failed.connect(self._on_length)

    # -- contents ------------------------------------------------------------------------
    @property
    def tracks(self) -> tuple[MusicTrack, ...]:
        return self._bed.tracks if self._bed is not None else ()

    def set_bed(self, bed: AudioBed | None) -> None:
        """Show ``bed``'s tracks. Same number of rows: the rows are updated in place, so the
        selection stays where it was (a move selects its own row afterwards)."""
        old = len(self.tracks)
        new = len(bed.tracks) if bed is not None else 0
        if new != old:
            self.beginResetModel()
            self._bed = bed
            self.endResetModel()
        else:
            self._bed = bed
            if new:
                self.dataChanged.emit(self.index(0), self.index(new - 1))

    def _on_length(self, path: str, *_: object) -> None:
        for row, track in enumerate(self.tracks):
            if track.path == Path(path):
                self.dataChanged.emit(self.index(row), self.index(row))

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.tracks)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        tracks = self.tracks
        if not index.isValid() or not 0 <= index.row() < len(tracks):
            return None
        row = index.row()
        track = tracks[row]
        problem = self._lengths.problem(track.path)
        if role == Qt.ItemDataRole.DisplayRole:
            return track.path.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{track.path}\n{problem}" if problem else str(track.path)
        if role == TrackRole.TRACK:
            return track
        if role == TrackRole.PROBLEM:
            return problem
        if role == TrackRole.LENGTH:
            return self._length_text(track)
        if role == TrackRole.DETAIL:
            return self._detail(row, track)
        return None

    def _length_text(self, track: MusicTrack) -> str:
        seconds = self._lengths.seconds(track.path)
        if seconds is None:
            return "" if self._lengths.problem(track.path) else "…"
        end = min(seconds, track.end) if track.end is not None else seconds
        return format_duration(max(0.0, end - track.start))

    def _detail(self, row: int, track: MusicTrack) -> str:
        problem = self._lengths.problem(track.path)
        if problem:
            return problem
        if self._lengths.seconds(track.path) is None:
            return "Reading the track…"
        parts: list[str] = []
        if track.start > 0 or track.end is not None:
            end = format_duration(track.end, tenths=True) if track.end is not None else "end"
            parts.append(f"{format_duration(track.start, tenths=True)}–{end}")
        if abs(track.volume - 1.0) > 1e-9:
            parts.append(f"{round(track.volume * 100)} %")
        bed = self._bed
        if bed is not None:
            parts.append(join_text(track, last=row == len(bed.tracks) - 1, loop=bed.loop,
                                   alone=len(bed.tracks) == 1))
        return " · ".join(parts)

    # -- drag and drop -------------------------------------------------------------------
    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled  # between rows and below the last one
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsDragEnabled)

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction | Qt.DropAction.CopyAction

    def supportedDragActions(self) -> Qt.DropAction:
        # Copy too: the view ends its own drops as copies (the document has moved the row),
        # and a drop can only end with an action the drag offered.
        return Qt.DropAction.MoveAction | Qt.DropAction.CopyAction

    def mimeTypes(self) -> list[str]:
        return [TRACK_ROW_MIME, "text/uri-list"]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        mime = QMimeData()
        rows = sorted({i.row() for i in indexes if i.isValid()})
        if rows:  # one row at a time: the view selects single rows
            mime.setData(TRACK_ROW_MIME, QByteArray(str(rows[0]).encode()))
        return mime

    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                        parent: _Index) -> bool:
        return data.hasFormat(TRACK_ROW_MIME) or bool(dropped_music(data))

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                     parent: _Index) -> bool:
        """``row``: where the drop lands, before that row (-1 or past the end: at the end).

        Returns True when the drop was taken; the move or add happens through the
        document, so the view must not remove the dragged row itself."""
        count = len(self.tracks)
        if row < 0:
            row = parent.row() if parent.isValid() else count
        row = max(0, min(row, count))
        if data.hasFormat(TRACK_ROW_MIME):
            try:
                src = int(bytes(data.data(TRACK_ROW_MIME).data()).decode())
            except ValueError:
                return False
            if not 0 <= src < count:
                return False
            dst = row - 1 if row > src else row
            if dst != src:
                self.moveRequested.emit(src, dst)
            return True
        paths = dropped_music(data)
        if paths:
            self.filesDropped.emit(paths, row)
            return True
        return False
