"""The playlist's list: two lines per track (name and length; trim, volume and join, or why
the file cannot be used), reordered by dragging a row, extended by dropping files.

The view decides only *where* a drop lands; :class:`PlaylistModel` turns it into a request
to the panel, which edits the document. Qt's own move-by-drop would remove the dragged row
from the model after the drop; here the edit has already moved it, so the view takes the
drop itself and tells Qt it was a copy.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QDropEvent, QFont, QKeyEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from simvid_desktop.ui.playlist_model import TrackRole

_PAD = 6  #: pixels around a row's text
_PROBLEM = QColor(198, 40, 40)  #: the same red as the panels' problem lines


class TrackDelegate(QStyledItemDelegate):
    """Paints one track: its number, name and length, and a second, quieter line."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex,
                 ) -> QSize:
        line = option.fontMetrics.height()
        return QSize(200, 2 * line + 2 * _PAD + 2)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        widget = opt.widget
        style = widget.style() if widget is not None else None
        opt.text = ""
        if style is not None:  # the selection and hover background of the platform
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        pal = opt.palette
        text = pal.color(QPalette.ColorRole.HighlightedText if selected
                         else QPalette.ColorRole.Text)
        quiet = QColor(text)
        quiet.setAlphaF(0.65)

        painter.save()
        rect: QRect = opt.rect.adjusted(_PAD, _PAD, -_PAD, -_PAD)
        fm = opt.fontMetrics
        line = fm.height()
        number = f"{index.row() + 1}"
        number_width = fm.horizontalAdvance("00") + _PAD
        length = str(index.data(TrackRole.LENGTH) or "")
        length_width = fm.horizontalAdvance(length) + _PAD if length else 0

        top = QRect(rect.left(), rect.top(), rect.width(), line)
        painter.setPen(quiet)
        painter.drawText(top.adjusted(0, 0, -(rect.width() - number_width), 0),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, number)
        painter.setPen(text)
        painter.drawText(top, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, length)
        bold = QFont(opt.font)
        bold.setBold(True)
        painter.setFont(bold)
        name_rect = top.adjusted(number_width, 0, -length_width, 0)
        name = painter.fontMetrics().elidedText(str(index.data() or ""),
                                                Qt.TextElideMode.ElideMiddle, name_rect.width())
        painter.drawText(name_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         name)

        painter.setFont(opt.font)
        problem = index.data(TrackRole.PROBLEM)
        detail = f"⚠ {problem}" if problem else str(index.data(TrackRole.DETAIL) or "")
        painter.setPen(_PROBLEM if problem and not selected else quiet)
        detail_rect = QRect(rect.left() + number_width, rect.top() + line + 2,
                            rect.width() - number_width, line)
        painter.drawText(detail_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         fm.elidedText(detail, Qt.TextElideMode.ElideRight, detail_rect.width()))
        painter.restore()


class PlaylistView(QListView):
    """Single selection; drag rows to reorder; files can be dropped between rows."""

    #: Delete or Backspace on the selected track: the panel removes it (one undo step).
    removeRequested = Signal(int)
    #: Alt+Up or Alt+Down: move track ``src`` to ``dst`` (as a drag would).
    moveRequested = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("playlist")
        self.setItemDelegate(TrackDelegate(self))
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setDragDropOverwriteMode(False)
        self.setUniformItemSizes(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.placeholder = "No music yet: drop tracks here or click Add…"

    def _rows_height(self, rows: int) -> int:
        return rows * (2 * self.fontMetrics().height() + 2 * _PAD + 2) + 2 * self.frameWidth()

    def sizeHint(self) -> QSize:
        return QSize(320, self._rows_height(4))  # room for a few tracks before it scrolls

    def minimumSizeHint(self) -> QSize:
        # Three whole rows even in a short side panel: the panel scrolls instead, so a
        # track can always be dragged past its neighbours.
        return QSize(160, self._rows_height(3))

    def drop_row(self, pos: QPoint) -> int:
        """The row a drop at ``pos`` (viewport coordinates) lands before."""
        index = self.indexAt(pos)
        model = self.model()
        if not index.isValid():
            return model.rowCount() if model is not None else 0
        below = pos.y() > self.visualRect(index).center().y()
        return index.row() + (1 if below else 0)

    def dropEvent(self, event: QDropEvent) -> None:
        model = self.model()
        row = self.drop_row(event.position().toPoint())
        taken = model is not None and model.dropMimeData(
            event.mimeData(), Qt.DropAction.MoveAction, row, 0, QModelIndex())
        self.setState(QAbstractItemView.State.NoState)  # no drop indicator left behind
        self.viewport().update()
        if taken:
            # The document moved or added the tracks: Qt must not remove the dragged row.
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        else:
            event.ignore()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        current = self.currentIndex()
        model = self.model()
        alt = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
        if current.isValid() and model is not None:
            row = current.row()
            if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
                self.removeRequested.emit(row)
                event.accept()
                return
            step = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1}.get(Qt.Key(event.key()))
            if alt and step is not None:  # reorder without a mouse: Alt+Up, Alt+Down
                if 0 <= row + step < model.rowCount():
                    self.moveRequested.emit(row, row + step)
                event.accept()
                return
        super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() == 0:
            p = QPainter(self.viewport())
            p.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            p.drawText(self.viewport().rect().adjusted(12, 0, -12, 0),
                       Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
            p.end()
