"""Screenshots that a test can check: a widget grabbed with its layout settled, as pixels,
and the part of it that one child widget covers."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget


def pixels(image: QImage) -> np.ndarray:
    """``image`` as an (h, w, 3) uint8 RGB array (a copy)."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    raw = np.frombuffer(image.constBits(), np.uint8, count=stride * h).reshape(h, stride)
    return raw[:, : w * 3].reshape(h, w, 3).copy()


def grab(widget: QWidget, path: str | None = None) -> np.ndarray:
    """Grab ``widget`` (saved to ``path`` as PNG when given, for looking at) as pixels.

    Layouts are activated first: a label that just changed its text has not been resized
    yet, and would be drawn clipped."""
    for child in [widget, *widget.findChildren(QWidget)]:
        layout = child.layout()
        if layout is not None:
            layout.activate()
    image = widget.grab().toImage()
    if path is not None:
        assert image.save(path)
    ratio = image.devicePixelRatio()
    assert (image.width(), image.height()) == (round(widget.width() * ratio),
                                               round(widget.height() * ratio))
    return pixels(image)


def region(shot: np.ndarray, top: QWidget, child: QWidget) -> np.ndarray:
    """The pixels of ``shot`` (a grab of ``top``) that ``child`` covers."""
    assert child.isVisible(), f"{child.objectName() or type(child).__name__} is hidden"
    scale = shot.shape[1] / top.width()
    origin = child.mapTo(top, QPoint(0, 0))
    x, y = round(origin.x() * scale), round(origin.y() * scale)
    w, h = round(child.width() * scale), round(child.height() * scale)
    assert w > 0 and h > 0
    return shot[y : y + h, x : x + w]


def colours(pixels: np.ndarray) -> int:
    """How many distinct colours: 1 for an empty (uniform) area, many for text or a photo."""
    return len(np.unique(pixels.reshape(-1, 3), axis=0))
