"""The timeline strip: a horizontal row of slide tiles the user reorders by dragging.

The view is thin: it paints what :class:`TimelineModel` says and turns gestures (drag,
drop, Delete) into model calls; every edit still goes through the document. Painting
only draws QImages the thumbnail provider already holds, so a 500-photo show scrolls
without decoding anything on the UI thread.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractItemModel,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QFontMetrics,
    QImage,
    QKeyEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from simvid_desktop.model.project import SlideKind, TransitionKind
from simvid_desktop.ui.timeline_model import CardData, TimelineModel, TimelineRole

logger = logging.getLogger(__name__)

TILE = QSize(160, 132)
#: Card pictures kept: a few screens of tiles (~85 KB each at 1x).
_CARD_CACHE = 160
#: Time one paint of the strip may spend drawing new cards (ms); the rest wait a pass.
CARD_BUDGET_MS = 12.0
_ERROR_RED = QColor(220, 53, 69)  # the one fixed colour: "broken" must read the same in any theme
_LETTERBOX = QColor(18, 18, 20)  # like the black bars of the rendered video
_AnyIndex = QModelIndex | QPersistentModelIndex


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` moved ``t`` of the way to ``b``: tints that follow the palette (light or dark)."""
    return QColor.fromRgbF(a.redF() + (b.redF() - a.redF()) * t,
                           a.greenF() + (b.greenF() - a.greenF()) * t,
                           a.blueF() + (b.blueF() - a.blueF()) * t)


def clock_text(seconds: float) -> str:
    """A clip's length as a player shows it: ``0:12``, ``1:05:00``."""
    total = max(0, round(seconds))
    h, rest = divmod(total, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


@dataclass(frozen=True)
class _Tile:
    """Everything one card shows: also the key of its cached picture."""

    width: int
    height: int
    dpr: float
    selected: bool
    hover: bool
    error: str | None
    image_key: int | None  #: ``QImage.cacheKey()`` of the thumbnail, None while loading
    name: str
    number: int
    seconds: float | None  #: None on the blank stand-in card
    caption: bool
    transition: str
    palette: int  #: ``QPalette.cacheKey()``: a theme change redraws every card
    font: str
    kind: SlideKind = SlideKind.PHOTO


class TimelineDelegate(QStyledItemDelegate):
    """Paints one slide as a card: thumbnail, badges, file name, transition.

    Cards are drawn once into a pixmap and reused while nothing they show changes: a
    repaint of the strip (a thumbnail arriving, a scroll, 500 photos added) then costs a
    few blits instead of ~60 painter calls per card, and the thumbnail is not rescaled.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cards: OrderedDict[_Tile, QPixmap] = OrderedDict()
        self._blanks: dict[tuple[int, int, float, bool, int], QPixmap] = {}
        self._deadline: float | None = None  #: perf_counter() after which cards wait
        self.deferred = 0  #: cards shown as blanks in the current paint pass
        self._drawn = 0  #: cards drawn afresh in the current paint pass

    def begin_pass(self, budget_ms: float | None) -> None:
        """Start a paint pass: new cards are drawn until ``budget_ms`` is spent (at least
        one per pass), the others show a blank card until the next pass. None: no limit."""
        self._deadline = (None if budget_ms is None
                          else time.perf_counter() + budget_ms / 1000)
        self.deferred = self._drawn = 0

    def end_pass(self) -> int:
        """End the budget (a grab or a direct call paints in full); returns the cards
        that still show a blank and need another pass."""
        self._deadline = None
        return self.deferred

    def sizeHint(self, option: QStyleOptionViewItem, index: _AnyIndex) -> QSize:
        return QSize(TILE)

    def cached_cards(self) -> int:
        """How many card pictures are kept (for tests)."""
        return len(self._cards)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _AnyIndex) -> None:
        rect = option.rect
        data = index.data(TimelineRole.CardRole)
        if not isinstance(data, CardData):
            return
        image = data.thumbnail if data.thumbnail is not None and not data.thumbnail.isNull() \
            else None
        device = painter.device()
        tile = _Tile(
            rect.width(), rect.height(), device.devicePixelRatioF() if device else 1.0,
            bool(option.state & QStyle.StateFlag.State_Selected),
            bool(option.state & QStyle.StateFlag.State_MouseOver),
            data.error or None, image.cacheKey() if image is not None else None,
            data.name, index.row() + 1, data.seconds, data.caption,
            self._transition_text(data.transition, data.transition_seconds),
            option.palette.cacheKey(), option.font.key(), data.kind)
        card = self._cards.get(tile)
        if card is not None:
            self._cards.move_to_end(tile)
        elif (self._drawn and self._deadline is not None
              and time.perf_counter() > self._deadline):
            self.deferred += 1
            card = self._blank(tile, option)
        else:
            self._drawn += 1
            card = self._draw_card(tile, image, option)
            self._cards[tile] = card
            while len(self._cards) > _CARD_CACHE:
                self._cards.popitem(last=False)
        painter.drawPixmap(rect.topLeft(), card)

    def _blank(self, tile: _Tile, option: QStyleOptionViewItem) -> QPixmap:
        """A card with no name or badges, standing in until the real one is drawn."""
        key = (tile.width, tile.height, tile.dpr, tile.selected, tile.palette)
        blank = self._blanks.get(key)
        if blank is None:
            empty = _Tile(tile.width, tile.height, tile.dpr, tile.selected, False, None, None,
                          "", 0, None, False, "", tile.palette, tile.font)
            blank = self._draw_card(empty, None, option, badges=False)
            self._blanks[key] = blank
        return blank

    def _draw_card(self, tile: _Tile, image: QImage | None, option: QStyleOptionViewItem,
                   *, badges: bool = True) -> QPixmap:
        pixmap = QPixmap(max(1, round(tile.width * tile.dpr)),
                         max(1, round(tile.height * tile.dpr)))
        pixmap.setDevicePixelRatio(tile.dpr)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        try:
            self._paint_card(painter, tile, image, option, badges=badges)
        finally:
            painter.end()
        return pixmap

    def _paint_card(self, painter: QPainter, tile: _Tile, image: QImage | None,
                    option: QStyleOptionViewItem, *, badges: bool = True) -> None:
        pal = option.palette
        base, text = pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text)
        accent = pal.color(QPalette.ColorRole.Highlight)
        error = tile.error
        painter.setRenderHints(QPainter.RenderHint.Antialiasing
                               | QPainter.RenderHint.SmoothPixmapTransform
                               | QPainter.RenderHint.TextAntialiasing)
        card = QRectF(0, 0, tile.width, tile.height).adjusted(4.5, 4.5, -4.5, -4.5)
        fill = _mix(base, text, 0.10 if tile.hover else 0.06)
        if error:
            fill = _mix(fill, _ERROR_RED, 0.16)
        if tile.selected:
            fill = _mix(fill, accent, 0.22)
        border = accent if tile.selected else (_ERROR_RED if error else _mix(base, text, 0.14))
        painter.setPen(QPen(border, 2.0 if tile.selected else 1.0))
        painter.setBrush(fill)
        painter.drawRoundedRect(card, 8, 8)

        box = card.adjusted(6, 6, -6, -40)
        clip = QPainterPath()
        clip.addRoundedRect(box, 5, 5)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.fillPath(clip, _mix(_LETTERBOX, _ERROR_RED, 0.5) if error else _LETTERBOX)
        if error:
            self._paint_error(painter, box, error)
        elif image is not None:
            painter.save()
            painter.setClipPath(clip)
            painter.drawImage(self._fit(box, image.size()), image)
            painter.restore()
        else:
            self._paint_placeholder(painter, box, _mix(base, text, 0.45))
        if not badges:
            return
        self._paint_badges(painter, box, tile, accent)

        small = QFont(option.font)
        small.setPointSizeF(max(6.5, option.font.pointSizeF() * 0.82))
        text_rect = QRectF(card.left() + 8, box.bottom() + 4, card.width() - 16, 17)
        painter.setFont(option.font)
        painter.setPen(text)
        elided = QFontMetrics(option.font).elidedText(tile.name, Qt.TextElideMode.ElideMiddle,
                                                      int(text_rect.width()))
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         elided)
        tr_rect = text_rect.translated(0, 16)
        painter.setFont(small)
        painter.setPen(_mix(text, base, 0.40))
        painter.drawText(tr_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         tile.transition)

    @staticmethod
    def _fit(box: QRectF, size: QSize) -> QRectF:
        """The image's rectangle letterboxed (aspect kept) and centred in ``box``."""
        if size.isEmpty():
            return box
        scale = min(box.width() / size.width(), box.height() / size.height())
        w, h = size.width() * scale, size.height() * scale
        return QRectF(box.center().x() - w / 2, box.center().y() - h / 2, w, h)

    @staticmethod
    def _transition_text(kind: TransitionKind | None, seconds: float) -> str:
        if kind is None:
            return "\u25a0 end"
        if kind is TransitionKind.NONE:
            return "\u2192 cut"
        return f"\u2192 {kind.value} \u00b7 {seconds:.1f} s"

    @staticmethod
    def _pill(painter: QPainter, anchor: QPointF, label: str, *, right: bool = False,
              bottom: bool = False, bg: QColor | None = None) -> QRectF:
        """A small rounded label over the thumbnail, readable on any photo; returns where."""
        font = QFont(painter.font())
        font.setPointSizeF(7.5)
        font.setBold(True)
        fm = QFontMetrics(font)
        w, h = fm.horizontalAdvance(label) + 10, fm.height() + 2
        x = anchor.x() - w if right else anchor.x()
        y = anchor.y() - h if bottom else anchor.y()
        rect = QRectF(x, y, w, h)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(bg if bg is not None else QColor(0, 0, 0, 165))
        painter.drawRoundedRect(rect, h / 2, h / 2)
        painter.setFont(font)
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)
        return rect

    @staticmethod
    def _kind_badge(painter: QPainter, anchor: QPointF, height: float,
                    kind: SlideKind) -> None:
        """A clip's film badge (a strip with a play triangle) or a title card's "T",
        drawn, not typed: it reads the same in every font."""
        rect = QRectF(anchor.x(), anchor.y(), height * 1.5, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 165))
        painter.drawRoundedRect(rect, height / 2, height / 2)
        white = QColor(255, 255, 255)
        if kind is SlideKind.CLIP:
            c = rect.center()
            r = height * 0.28
            play = QPainterPath(QPointF(c.x() - r * 0.8, c.y() - r))
            play.lineTo(c.x() + r, c.y())
            play.lineTo(c.x() - r * 0.8, c.y() + r)
            play.closeSubpath()
            painter.setBrush(white)
            painter.drawPath(play)
        else:
            font = QFont(painter.font())
            font.setPointSizeF(7.5)
            font.setBold(True)
            painter.setFont(font)
            painter.setPen(white)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "T")

    def _paint_badges(self, painter: QPainter, box: QRectF, tile: _Tile,
                      accent: QColor) -> None:
        painter.save()
        inner = box.adjusted(4, 4, -4, -4)
        number = self._pill(painter, inner.topLeft(), str(tile.number))
        if tile.kind is not SlideKind.PHOTO:
            self._kind_badge(painter, QPointF(number.right() + 3, number.top()),
                             number.height(), tile.kind)
        if tile.seconds is not None:
            length = (clock_text(tile.seconds) if tile.kind is SlideKind.CLIP
                      else f"{tile.seconds:.1f} s")
            self._pill(painter, inner.bottomRight(), length, right=True, bottom=True)
        if tile.caption:
            self._pill(painter, inner.topRight(), "Aa", right=True, bg=accent)
        painter.restore()

    @staticmethod
    def _paint_placeholder(painter: QPainter, box: QRectF, colour: QColor) -> None:
        """A line-art photo while the thumbnail is being decoded."""
        c = box.center()
        frame = QRectF(c.x() - 18, c.y() - 13, 36, 26)
        painter.save()
        painter.setPen(QPen(colour, 1.6))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(frame, 3, 3)
        hills = QPainterPath(QPointF(frame.left() + 3, frame.bottom() - 4))
        hills.lineTo(frame.left() + 13, frame.top() + 11)
        hills.lineTo(frame.left() + 20, frame.bottom() - 9)
        hills.lineTo(frame.left() + 25, frame.top() + 15)
        hills.lineTo(frame.right() - 3, frame.bottom() - 4)
        painter.drawPath(hills)
        painter.drawEllipse(QPointF(frame.right() - 9, frame.top() + 7), 2.5, 2.5)
        painter.restore()

    @staticmethod
    def _paint_error(painter: QPainter, box: QRectF, reason: str) -> None:
        """Warning triangle and the reason, so a broken file is visible, never dropped."""
        painter.save()
        top = QPointF(box.center().x(), box.top() + 9)
        tri = QPainterPath(top)
        tri.lineTo(top.x() + 13, top.y() + 22)
        tri.lineTo(top.x() - 13, top.y() + 22)
        tri.closeSubpath()
        painter.setPen(QPen(QColor(255, 255, 255), 1.5, Qt.PenStyle.SolidLine,
                            Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
        painter.setBrush(QColor(255, 255, 255))
        painter.drawPath(tri)
        font = QFont(painter.font())
        font.setBold(True)
        font.setPointSizeF(9)
        painter.setFont(font)
        painter.setPen(_ERROR_RED)
        painter.drawText(QRectF(top.x() - 6, top.y() + 6, 12, 16), Qt.AlignmentFlag.AlignCenter,
                         "!")
        font.setBold(False)
        font.setPointSizeF(7.5)
        painter.setFont(font)
        painter.setPen(QColor(255, 255, 255))
        area = QRectF(box.left() + 6, top.y() + 24, box.width() - 12, box.bottom() - top.y() - 26)
        fm = QFontMetrics(font)
        text = fm.elidedText(reason, Qt.TextElideMode.ElideRight, int(area.width() * 2) - 8)
        painter.drawText(area, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
                         | Qt.TextFlag.TextWordWrap, text)
        painter.restore()


class TimelineView(QListView):
    """Horizontal strip of slide tiles with drag-and-drop reordering and file drops."""

    #: The selected rows, sorted, whenever the selection or the row numbers under it
    #: change (selection, reorder, undo); the inspector edits exactly these slides.
    selectionChangedRows = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timeline")
        self.setViewMode(QListView.ViewMode.IconMode)  # sets Free movement: override after
        self.setMovement(QListView.Movement.Static)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setSpacing(2)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setDropIndicatorShown(False)  # we draw our own line between tiles
        self.setMouseTracking(True)
        self._delegate = TimelineDelegate(self)
        self.setItemDelegate(self._delegate)
        # Cards left blank by a paint's budget: another pass once other events had a turn.
        self._more_cards = QTimer(self, singleShot=True, interval=0)
        self._more_cards.timeout.connect(self.viewport().update)
        # Lay out a big strip in batches between events, never 500 items in one go.
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(100)
        self._drop_row: int | None = None
        self._last_rows: list[int] | None = None

    def sizeHint(self) -> QSize:
        bar = self.horizontalScrollBar().sizeHint().height()
        return QSize(TILE.width() * 6, TILE.height() + bar + 2 * self.frameWidth() + 8)

    def minimumSizeHint(self) -> QSize:
        return QSize(TILE.width(), self.sizeHint().height())

    def setModel(self, model: QAbstractItemModel | None) -> None:
        old = self.model()
        if old is not None:
            for sig in (old.rowsInserted, old.rowsRemoved, old.rowsMoved, old.modelReset):
                sig.disconnect(self._notify_rows)
        super().setModel(model)
        if model is not None:
            # Row numbers of the selection change on reorder/undo even when the selected
            # slides do not; the inspector must hear about it.
            for sig in (model.rowsInserted, model.rowsRemoved, model.rowsMoved,
                        model.modelReset):
                sig.connect(self._notify_rows)
        self._notify_rows()

    def _timeline(self) -> TimelineModel | None:
        model = self.model()
        return model if isinstance(model, TimelineModel) else None

    def selected_rows(self) -> list[int]:
        sel = self.selectionModel()
        return sorted(i.row() for i in sel.selectedIndexes()) if sel is not None else []

    def select_rows(self, rows: list[int]) -> None:
        model, sel = self.model(), self.selectionModel()
        if model is None or sel is None:
            return
        selection = QItemSelection()
        for r in rows:
            if 0 <= r < model.rowCount():
                selection.select(model.index(r, 0), model.index(r, 0))
        sel.select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        if rows:
            self.scrollTo(model.index(rows[0], 0))

    def selectionChanged(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        super().selectionChanged(selected, deselected)
        self._notify_rows()

    def _notify_rows(self, *_args: object) -> None:
        rows = self.selected_rows()
        if rows != self._last_rows:
            self._last_rows = rows
            self.selectionChangedRows.emit(rows)

    # -- keyboard and wheel -------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        model = self._timeline()
        if model is not None and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            rows = self.selected_rows()
            if rows:
                model.remove_rows(rows)
                event.accept()
                return
        super().keyPressEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        """A vertical wheel scrolls the strip sideways: there is nothing to scroll up/down."""
        delta = event.angleDelta()
        if abs(delta.y()) > abs(delta.x()):
            bar = self.horizontalScrollBar()
            bar.setValue(bar.value() - delta.y())
            event.accept()
            return
        super().wheelEvent(event)

    # -- drag and drop ------------------------------------------------------------------
    def drop_row_at(self, pos: QPoint) -> int:
        """The gap nearest to ``pos`` (viewport coordinates) as the row to insert before."""
        model = self.model()
        count = model.rowCount() if model is not None else 0
        if count == 0 or model is None:
            return 0
        first = self.visualRect(model.index(0, 0))
        step = (self.visualRect(model.index(1, 0)).left() - first.left() if count > 1
                else first.width())
        return max(0, min(count, round((pos.x() - first.left()) / max(1, step))))

    def _gap_rect(self, row: int) -> QRect:
        model = self.model()
        if model is None or model.rowCount() == 0:
            return QRect()
        first = self.visualRect(model.index(0, 0))
        last = model.rowCount() - 1
        step = (self.visualRect(model.index(1, 0)).left() - first.left() if last
                else first.width())
        x = first.left() + row * step
        return QRect(x - 2, first.top() + 6, 4, first.height() - 12)

    def _accept_action(self, event: QDragMoveEvent | QDropEvent) -> Qt.DropAction | None:
        """Move for our own tiles; Copy for anything else, never Move (it would delete files)."""
        model = self._timeline()
        if model is None:
            return None
        action = (Qt.DropAction.MoveAction if event.source() is self
                  else Qt.DropAction.CopyAction)
        if not event.possibleActions() & action:
            return None
        ok = model.canDropMimeData(event.mimeData(), action, -1, 0, QModelIndex())
        return action if ok else None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self.dragMoveEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        action = self._accept_action(event)
        if action is None:
            event.ignore()
            return
        event.setDropAction(action)
        event.accept()
        row = self.drop_row_at(event.position().toPoint())
        if row != self._drop_row:
            self._drop_row = row
            self.viewport().update()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._drop_row = None
        self.viewport().update()
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self._drop_row = None
        self.viewport().update()
        model = self._timeline()
        action = self._accept_action(event)
        if model is None or action is None:
            event.ignore()
            return
        row = self.drop_row_at(event.position().toPoint())
        moving = self.selected_rows() if action == Qt.DropAction.MoveAction else []
        before = model.rowCount()
        if not model.dropMimeData(event.mimeData(), action, row, 0, QModelIndex()):
            event.ignore()
            return
        # The model already reordered; reporting Copy keeps QAbstractItemView from
        # "removing the source rows" after the drag.
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        if moving:
            at = row - sum(1 for r in moving if r < row)
            self.select_rows(list(range(at, at + len(moving))))
        else:
            self.select_rows(list(range(row, row + model.rowCount() - before)))

    def paintEvent(self, event: QPaintEvent) -> None:
        delegate = self._delegate
        delegate.begin_pass(CARD_BUDGET_MS)
        super().paintEvent(event)
        if delegate.end_pass():  # the rest of the new cards on the next pass
            self._more_cards.start()
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        model = self.model()
        if model is None or model.rowCount() == 0:
            painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter,
                             "Drop photos or folders here")
        elif self._drop_row is not None:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(pal.color(QPalette.ColorRole.Highlight))
            painter.drawRoundedRect(QRectF(self._gap_rect(self._drop_row)), 2, 2)
        painter.end()
