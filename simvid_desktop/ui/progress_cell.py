"""The style's own progress bar painted in a view cell (job table, farm monitor)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
)


def paint_progress_cell(delegate: QStyledItemDelegate, painter: QPainter,
                        option: QStyleOptionViewItem,
                        index: QModelIndex | QPersistentModelIndex,
                        percent: float | None, color: QColor, *,
                        greys_when_disabled: bool = False) -> None:
    """The cell's background (selection, hover), then a bar at ``percent`` (none: None).

    ``greys_when_disabled``: a disabled view shows the bar in the style's grey (stale data).
    """
    item = QStyleOptionViewItem(option)
    delegate.initStyleOption(item, index)
    item.text = ""
    widget = option.widget
    style = widget.style() if widget is not None else QApplication.style()
    style.drawControl(QStyle.ControlElement.CE_ItemViewItem, item, painter, widget)
    if percent is None:
        return
    value = max(0.0, min(100.0, percent))
    rect: QRect = option.rect
    bar = QStyleOptionProgressBar()
    bar.rect = rect.adjusted(6, 5, -8, -5)
    bar.minimum, bar.maximum = 0, 1000
    bar.progress = round(value * 10)
    bar.text = f"{value:.0f} %"
    bar.textVisible = True
    bar.textAlignment = Qt.AlignmentFlag.AlignCenter
    enabled = (option.state & QStyle.StateFlag.State_Enabled) if greys_when_disabled \
        else QStyle.StateFlag.State_Enabled
    bar.state = enabled | QStyle.StateFlag.State_Horizontal
    bar.palette = QPalette(option.palette)
    groups = ((QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive)
              if greys_when_disabled else (QPalette.ColorGroup.All,))
    for group in groups:
        bar.palette.setColor(group, QPalette.ColorRole.Highlight, color)
        bar.palette.setColor(group, QPalette.ColorRole.HighlightedText,
                             QColor(Qt.GlobalColor.white))
    style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, widget)
