"""The inspector's fields for one title card: text, subtitle, background, font, size,
colours and alignment.

A view only, like :mod:`ui.clip_fields`: each change goes to the inspector as a function
of the slide, applied through the document as an undo step; typing merges into one step
per field and focus, as the caption does. The font list comes from
``render.titles.font_families()`` on a pool: the first call scans the system's fonts.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap, QTextCursor
from PySide6.QtWidgets import (
    QColorDialog,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from simvid_desktop.model.media_types import IMAGE_SUFFIXES
from simvid_desktop.model.project import (
    MAX_TITLE_CHARS,
    TITLE_SIZES,
    Slide,
    TextAlign,
    TitleBackground,
    TitleCard,
)
from simvid_desktop.render.titles import font_families
from simvid_desktop.ui.clip_fields import Edit
from simvid_desktop.ui.tasks import Pool, TaskChannel

logger = logging.getLogger(__name__)

_PHOTO_FILTER = f"Photos ({' '.join(f'*{s}' for s in sorted(IMAGE_SUFFIXES))})"


def _font_families() -> list[str]:
    """On a pool: the renderer's font list (shipped fonts first)."""
    return list(font_families())


class ColorButton(QPushButton):
    """A swatch that opens a colour dialog; :attr:`colorChosen` carries ``#rrggbb``."""

    colorChosen = Signal(str)

    def __init__(self, title: str, tip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = title
        self._color = "#000000"
        self.setToolTip(tip)
        self.clicked.connect(self._choose)

    @property
    def color(self) -> str:
        return self._color

    def set_color(self, color: str) -> None:
        """Show ``color`` (no signal: this is the model speaking)."""
        self._color = color
        swatch = QPixmap(28, 14)
        swatch.fill(QColor(color))
        self.setIcon(QIcon(swatch))
        self.setText(color)

    def _choose(self) -> None:
        # Non-modal open(): the window keeps running while the dialog is up.
        dialog = QColorDialog(QColor(self._color), self)
        dialog.setWindowTitle(self._title)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.colorSelected.connect(lambda c: self.colorChosen.emit(c.name()))
        dialog.open()


class TitleFields(QWidget):
    """Everything a title card says and how it looks."""

    #: The user finished with a field: the next edit is a new undo step.
    editingFinished = Signal()
    #: The font list arrived from the pool (its length).
    fontsLoaded = Signal(int)

    def __init__(self, edit: Edit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("titleFields")
        self._edit = edit
        self._loading = False
        self._card: TitleCard | None = None
        self._fonts_asked = False
        self._font_tasks = TaskChannel(self, Pool.IO, latest=True)

        self.text = QPlainTextEdit()
        self.text.setObjectName("titleText")
        self.text.setToolTip("The title: one or more lines.")
        self.text.setPlaceholderText("Title")
        self.text.setTabChangesFocus(True)
        self.text.setFixedHeight(self.text.fontMetrics().lineSpacing() * 3 + 14)
        self.subtitle = QLineEdit()
        self.subtitle.setObjectName("titleSubtitle")
        self.subtitle.setMaxLength(MAX_TITLE_CHARS)
        self.subtitle.setPlaceholderText("Subtitle (optional)")
        self.background = QComboBox()
        self.background.setObjectName("titleBackground")
        for label, value in (("solid colour", TitleBackground.SOLID),
                             ("gradient", TitleBackground.GRADIENT),
                             ("photo", TitleBackground.PHOTO)):
            self.background.addItem(label, value.value)
        self.background.setToolTip("Behind the text: one colour, a gradient from the first "
                                   "colour (top) to the second (bottom), or a photo.")
        self.color = ColorButton("Background colour", "The background (the gradient's top).")
        self.color.setObjectName("titleColor")
        self.color2 = ColorButton("Gradient bottom colour", "The gradient's bottom colour.")
        self.color2.setObjectName("titleColor2")
        self.photo = QPushButton("Choose photo…")
        self.photo.setObjectName("titlePhoto")
        self.photo.setToolTip("The photo behind the text (shown blurred and darkened).")
        self.font_box = QComboBox()
        self.font_box.setObjectName("titleFont")
        self.font_box.setToolTip("The typeface: the fonts shipped with Simvid come first.")
        self.size_box = QDoubleSpinBox()
        self.size_box.setObjectName("titleSize")
        low, high = TITLE_SIZES
        self.size_box.setRange(low * 100, high * 100)
        self.size_box.setDecimals(1)
        self.size_box.setSingleStep(0.5)
        self.size_box.setSuffix(" % of height")
        self.size_box.setKeyboardTracking(False)
        self.size_box.setToolTip("The title's text height, as a share of the video's height.")
        self.text_color = ColorButton("Text colour", "The colour of the title and subtitle.")
        self.text_color.setObjectName("titleTextColor")
        self.align = QComboBox()
        self.align.setObjectName("titleAlign")
        for label, a in (("left", TextAlign.LEFT), ("centre", TextAlign.CENTER),
                         ("right", TextAlign.RIGHT)):
            self.align.addItem(label, a.value)

        colours = QHBoxLayout()
        colours.setContentsMargins(0, 0, 0, 0)
        colours.addWidget(self.color)
        colours.addWidget(self.color2)
        self._colours = QWidget()
        self._colours.setLayout(colours)
        form = self.form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Title", self.text)
        form.addRow("Subtitle", self.subtitle)
        form.addRow("Background", self.background)
        form.addRow("Colours", self._colours)
        form.addRow("Photo", self.photo)
        form.addRow("Font", self.font_box)
        form.addRow("Size", self.size_box)
        form.addRow("Text colour", self.text_color)
        form.addRow("Alignment", self.align)

        self.text.textChanged.connect(self._on_text)
        self.subtitle.textEdited.connect(self._on_subtitle)
        self.subtitle.editingFinished.connect(self.editingFinished)
        self.background.currentIndexChanged.connect(self._on_background)
        self.color.colorChosen.connect(lambda c: self._change("background colour", False,
                                                              color=c))
        self.color2.colorChosen.connect(lambda c: self._change("gradient colour", False,
                                                               color2=c))
        self.text_color.colorChosen.connect(lambda c: self._change("text colour", False,
                                                                   text_color=c))
        self.photo.clicked.connect(self._choose_photo)
        self.font_box.currentIndexChanged.connect(self._on_font)
        self.size_box.valueChanged.connect(
            lambda v: self._change("title size", True, size=round(v / 100, 4)))
        self.size_box.editingFinished.connect(self.editingFinished)
        self.align.currentIndexChanged.connect(self._on_align)

    # -- showing ------------------------------------------------------------------------
    def show_slide(self, slide: Slide | None) -> None:
        card = slide.title if slide is not None else None
        self._card = card
        if card is None:
            return
        if not self._fonts_asked:
            self._fonts_asked = True
            self._font_tasks.run(_font_families, self._on_fonts)
        self._loading = True
        try:
            if self.text.toPlainText() != card.text:
                self.text.setPlainText(card.text)
                self.text.moveCursor(QTextCursor.MoveOperation.End)  # ready to type on
            if self.subtitle.text() != card.subtitle:
                self.subtitle.setText(card.subtitle)
            self.background.setCurrentIndex(self.background.findData(card.background.value))
            self.color.set_color(card.color)
            self.color2.set_color(card.color2)
            self.text_color.set_color(card.text_color)
            gradient = card.background is TitleBackground.GRADIENT
            photo = card.background is TitleBackground.PHOTO
            self.color2.setVisible(gradient)
            self.form.setRowVisible(self._colours, not photo)
            self.form.setRowVisible(self.photo, photo)
            self.photo.setText(card.photo.name if card.photo else "Choose photo…")
            self.photo.setToolTip(str(card.photo) if card.photo else
                                  "The photo behind the text (shown blurred and darkened).")
            self._show_font(card.font)
            self.size_box.setValue(card.size * 100)
            self.align.setCurrentIndex(self.align.findData(card.align.value))
        finally:
            self._loading = False

    def _show_font(self, family: str) -> None:
        index = self.font_box.findText(family)
        if index < 0:  # not in the list (yet, or not on this machine): shown all the same
            self.font_box.insertItem(0, family)
            index = 0
        self.font_box.setCurrentIndex(index)

    def _on_fonts(self, families: list[str] | None, error: BaseException | None) -> None:
        if error is not None or families is None:
            logger.warning("cannot list the fonts: %s", error)
            self.fontsLoaded.emit(0)
            return
        self._loading = True
        try:
            self.font_box.clear()
            self.font_box.addItems(families)
            if self._card is not None:
                self._show_font(self._card.font)
        finally:
            self._loading = False
        self.fontsLoaded.emit(len(families))

    # -- edits --------------------------------------------------------------------------
    def _change(self, what: str, merge: bool, **fields: object) -> None:
        if self._loading or self._card is None:
            return

        def change(slide: Slide) -> Slide:
            if slide.title is None:
                return slide
            return replace(slide, title=replace(slide.title, **fields))  # type: ignore[arg-type]

        self._edit(what, change, merge)

    def _on_text(self) -> None:
        self._change("title text", True, text=self.text.toPlainText()[:MAX_TITLE_CHARS])

    def _on_subtitle(self, text: str) -> None:
        self._change("subtitle", True, subtitle=text)

    def _on_background(self, index: int) -> None:
        if index < 0 or self._loading or self._card is None:
            return
        background = TitleBackground(self.background.itemData(index))
        if background is TitleBackground.PHOTO and self._card.photo is None:
            # A photo background needs a photo: ask for it; no photo, no change.
            if not self.choose_photo():
                self.show_slide_again()
            return
        self._change("title background", False, background=background)

    def show_slide_again(self) -> None:
        """Put the fields back to the card as it is (a cancelled choice)."""
        card = self._card
        if card is not None:
            self.show_slide(Slide(title=card))

    def _choose_photo(self) -> None:
        self.choose_photo()

    def choose_photo(self, path: Path | None = None) -> bool:
        """Set the card's background photo (asked for when ``path`` is None); False when
        no photo was chosen."""
        if path is None:
            name, _ = QFileDialog.getOpenFileName(self, "Background photo", "", _PHOTO_FILTER)
            if not name:
                return False
            path = Path(name)
        self._change("title photo", False, photo=path, background=TitleBackground.PHOTO)
        return True

    def _on_font(self, index: int) -> None:
        if index >= 0:
            self._change("title font", False, font=self.font_box.itemText(index))

    def _on_align(self, index: int) -> None:
        if index >= 0:
            self._change("title alignment", False,
                         align=TextAlign(self.align.itemData(index)))

