"""The slide inspector: edits the selected slides, one or many at once.

Fields show a value when every selected slide agrees and a blank "mixed" state
otherwise; changing a field sets it on all selected slides with one ``document.apply``
(one undo step). The inspector holds no slide state of its own: it re-reads the project
on every change, so undo/redo and edits made elsewhere show up immediately.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import Any, TypeVar

from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from simvid_desktop.model.project import (
    MAX_DURATION,
    TRANSITION_NAMES,
    FitMode,
    Motion,
    MotionMode,
    Narration,
    Project,
    Slide,
    SlideKind,
    TransitionKind,
    View,
)
from simvid_desktop.ui.clip_fields import ClipFields
from simvid_desktop.ui.document import ProjectDocument
from simvid_desktop.ui.narration_fields import NarrationFields
from simvid_desktop.ui.title_fields import TitleFields

logger = logging.getLogger(__name__)

T = TypeVar("T")
MIXED = "mixed"
_DEFAULT = ""  # combo data meaning "inherit the project/output default" (Slide field None)
_MIN_DURATION = 0.1
_Change = Callable[[Project, int], Slide]  #: (project, row) -> the new slide at that row
_KIND_NAMES = {SlideKind.PHOTO: "", SlideKind.CLIP: " (video clip)",
               SlideKind.TITLE: " (title card)"}


def _align_labels(*forms: QFormLayout) -> None:
    """One label column for nested forms: the clip and title fields have their own
    layouts (their own modules), yet their labels line up with the inspector's."""
    labels: list[QLabel] = []
    for form in forms:
        for row in range(form.rowCount()):
            item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            widget = item.widget() if item is not None else None
            if isinstance(widget, QLabel):
                labels.append(widget)
    width = max((label.sizeHint().width() for label in labels), default=0)
    for label in labels:
        label.setMinimumWidth(width)


def _common(values: Sequence[T]) -> tuple[bool, T | None]:
    """(True, value) when all selected slides agree, else (False, None)."""
    if values and all(v == values[0] for v in values):
        return True, values[0]
    return False, None


def _spin(lo: float, hi: float, step: float, tip: str, suffix: str = "",
          decimals: int = 2) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(lo, hi)
    box.setSingleStep(step)
    box.setDecimals(decimals)
    box.setSuffix(suffix)
    box.setKeyboardTracking(False)  # apply on Enter/focus-out, not on every keystroke
    box.setAccelerated(True)
    box.setToolTip(tip)
    return box


def _combo(items: Sequence[tuple[str, str]], tip: str) -> QComboBox:
    box = QComboBox()
    for label, data in items:
        box.addItem(label, data)
    box.setPlaceholderText(MIXED)  # shown when the selection disagrees (index -1)
    box.setToolTip(tip)
    return box


class SlideInspector(QWidget):
    """Per-slide settings: duration, transition, motion, fit and caption; a clip's trim
    and sound (:class:`ClipFields`), a title card's text and looks (:class:`TitleFields`).

    A clip lasts as long as its trimmed part (its duration is shown, not edited); motion
    moves photos only, so it is hidden when no photo is selected."""

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inspector")
        self._doc = document
        self._rows: list[int] = []
        self._loading = False
        self._session = 0  # part of merge keys: a new focus/selection starts a new undo step
        self._mixed: set[QDoubleSpinBox] = set()  # spin boxes showing the blank mixed state
        self._typed: set[QDoubleSpinBox] = set()  # ... and the ones the user typed into

        self._title = QLabel()
        self._title.setWordWrap(True)
        self._title.setStyleSheet("font-weight: 600;")
        self.duration = _spin(0.0, MAX_DURATION, 0.5, (
            "How long the slide stays on screen. The lowest value means the project's "
            "default duration."), " s")
        self.transition = _combo([("project default", _DEFAULT)]
                                 + [(n, n) for n in TRANSITION_NAMES],
                                 "The transition from this slide into the next one.")
        self.transition_duration = _spin(0.0, MAX_DURATION, 0.25, (
            "How long the transition into the next slide lasts, centred on the cut."), " s")
        self.motion = _combo([("project default", _DEFAULT), ("none", MotionMode.NONE.value),
                              ("auto (gentle pan and zoom)", MotionMode.AUTO.value),
                              ("custom", MotionMode.CUSTOM.value)],
                             "Ken Burns motion: none, an automatic pan/zoom, or your own "
                             "start and end views.")
        self.view_boxes: dict[tuple[str, str], QDoubleSpinBox] = {}
        views = QWidget()
        grid = QGridLayout(views)
        grid.setContentsMargins(0, 0, 0, 0)
        for col, head in enumerate(("zoom", "centre x", "centre y"), start=1):
            grid.addWidget(QLabel(head), 0, col)
        for row, which in enumerate(("start", "end"), start=1):
            grid.addWidget(QLabel(which.capitalize()), row, 0)
            for col, attr in enumerate(("zoom", "x", "y"), start=1):
                lo, hi, step = (1.0, 8.0, 0.05) if attr == "zoom" else (0.0, 1.0, 0.05)
                tip = (f"Zoom at the {which} of the slide (1 = the whole photo)." if attr == "zoom"
                       else f"Horizontal centre of the view at the {which} (0 = left, 1 = right)."
                       if attr == "x"
                       else f"Vertical centre of the view at the {which} (0 = top, 1 = bottom).")
                box = _spin(lo, hi, step, tip)
                self._wire_spin(box, partial(self._on_view, which, attr))
                self.view_boxes[(which, attr)] = box
                grid.addWidget(box, row, col)
        self._views = views
        self.fit = _combo([("output default", _DEFAULT)] + [(f.value, f.value) for f in FitMode],
                          "How the photo fills the frame: letterbox (whole photo, bars), crop "
                          "(fill, cut edges) or blur (whole photo over a blurred copy).")
        self.caption = QLineEdit()
        self.caption.setMaxLength(500)
        self.caption.setClearButtonEnabled(True)
        self.caption.setToolTip("Text shown over the slide. Leave empty for no caption.")

        self.clip_fields = ClipFields(self._edit_slide)
        self.title_fields = TitleFields(self._edit_slide)
        self.clip_fields.editingFinished.connect(self._new_session)
        self.title_fields.editingFinished.connect(self._new_session)
        self.narration_fields = NarrationFields(
            self._edit_narration, what="narration", start_label="Starts after",
            start_tip="How long after the slide starts the narration begins; it moves with "
                      "the slide")
        self.narration_fields.setObjectName("narrationFields")

        tr_row = QHBoxLayout()
        tr_row.addWidget(self.transition, 2)
        tr_row.addWidget(self.transition_duration, 1)
        self._form_widget = QWidget()
        form = self._form = QFormLayout(self._form_widget)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.title_fields)
        form.addRow("Duration", self.duration)
        form.addRow(self.clip_fields)
        form.addRow("Transition", tr_row)
        form.addRow("Motion", self.motion)
        form.addRow("", self._views)
        form.addRow("Fit", self.fit)
        form.addRow("Caption", self.caption)
        form.addRow("Narration", self.narration_fields)
        _align_labels(form, self.clip_fields.form, self.title_fields.form)
        layout = QVBoxLayout(self)
        layout.addWidget(self._title)
        layout.addWidget(self._form_widget)
        layout.addStretch(1)

        self._wire_spin(self.duration, self._on_duration)
        self._wire_spin(self.transition_duration, self._on_transition_duration)
        self.transition.currentIndexChanged.connect(self._on_transition)
        self.motion.currentIndexChanged.connect(self._on_motion)
        self.fit.currentIndexChanged.connect(self._on_fit)
        self.caption.textEdited.connect(self._on_caption)
        self.caption.editingFinished.connect(self._new_session)
        document.projectChanged.connect(self._refresh)
        self._refresh()

    # -- selection ----------------------------------------------------------------------
    @property
    def rows(self) -> list[int]:
        return list(self._rows)

    def set_rows(self, rows: list[int]) -> None:
        """The slides to edit (timeline rows); empty disables the inspector."""
        self._rows = sorted(set(rows))
        self._new_session()
        self._refresh()

    def _selected(self) -> list[int]:
        n = len(self._doc.project.slides)
        return [r for r in self._rows if 0 <= r < n]

    def _new_session(self) -> None:
        self._session += 1

    def _wire_spin(self, box: QDoubleSpinBox, handler: Callable[[float], None]) -> None:
        box.valueChanged.connect(handler)
        box.lineEdit().textEdited.connect(lambda _text, b=box: self._typed.add(b))
        box.editingFinished.connect(lambda b=box, h=handler: self._finish_spin(b, h))

    def _finish_spin(self, box: QDoubleSpinBox, handler: Callable[[float], None]) -> None:
        """Typing the hidden value into a mixed field emits no valueChanged: apply it here."""
        if box in self._typed and box in self._mixed:
            handler(box.value())
        self._typed.discard(box)
        self._new_session()

    # -- showing values -----------------------------------------------------------------
    def _refresh(self, *_args: object) -> None:
        project = self._doc.project
        rows = self._selected()
        slides = [project.slides[r] for r in rows]
        self._loading = True
        try:
            self._form_widget.setEnabled(bool(slides))
            if not slides:
                self._title.setText("No slide selected")
            elif len(slides) == 1:
                what = _KIND_NAMES[slides[0].kind]
                self._title.setText(f"Slide {rows[0] + 1}{what}: {slides[0].label}")
            else:
                self._title.setText(f"{len(slides)} slides selected")
            self.duration.setProperty("special", f"default ({project.default_duration:g} s)")
            # Name what "default" currently means, so nobody has to look it up.
            self.transition.setItemText(0, f"project default ({project.transition.kind.value})")
            self.motion.setItemText(0, f"project default ({project.motion.mode.value})")
            self.fit.setItemText(0, f"output default ({project.output.fit.value})")
            single = slides[0] if len(slides) == 1 else None
            kinds = {s.kind for s in slides}
            clip = single if single is not None and single.kind is SlideKind.CLIP else None
            title = single if single is not None and single.kind is SlideKind.TITLE else None
            self._form.setRowVisible(self.clip_fields, clip is not None)
            self._form.setRowVisible(self.title_fields, title is not None)
            self.clip_fields.show_slide(clip, project.output.fps)
            self.title_fields.show_slide(title)
            # A narration belongs to one slide: shown when one slide is selected.
            self._form.setRowVisible(self.narration_fields, single is not None)
            self.narration_fields.show_narration(single.narration if single else None)
            # A clip lasts as long as its trimmed part: shown, edited by the trim fields.
            self.duration.setEnabled(not kinds or kinds != {SlideKind.CLIP})
            self._show_spin(self.duration, [
                project.duration_of(r) if s.kind is SlideKind.CLIP else s.duration or 0.0
                for r, s in zip(rows, slides, strict=True)])
            self._show_combo(self.transition, [s.transition.kind.value if s.transition
                                               else _DEFAULT for s in slides])
            self._show_spin(self.transition_duration,
                            [project.transition_after(r).duration for r in rows])
            photos = [s for s in slides if s.kind is SlideKind.PHOTO]
            # Clips and title cards hold still: motion is for photos only.
            self._form.setRowVisible(self.motion, bool(photos) or not slides)
            self._form.setRowVisible(self.fit, kinds != {SlideKind.TITLE})
            modes = [s.motion.mode.value if s.motion else _DEFAULT for s in photos]
            self._show_combo(self.motion, modes)
            custom = bool(photos) and all(m == MotionMode.CUSTOM.value for m in modes)
            self._form.setRowVisible(self._views, custom)
            if custom:
                for (which, attr), box in self.view_boxes.items():
                    self._show_spin(box, [getattr(getattr(s.motion, which) or View(), attr)
                                          for s in photos])
            self._show_combo(self.fit, [s.fit.value if s.fit else _DEFAULT for s in slides])
            agree, caption = _common([s.caption or "" for s in slides])
            text = caption if agree and caption is not None else ""
            if self.caption.text() != text:
                self.caption.setText(text)
            self.caption.setPlaceholderText(
                "" if not slides else "no caption" if agree else MIXED)
        finally:
            self._loading = False

    def _show_spin(self, box: QDoubleSpinBox, values: Sequence[float]) -> None:
        agree, value = _common(values)
        if agree and value is not None:
            self._mixed.discard(box)
            box.setSpecialValueText(box.property("special") or "")
            box.setValue(value)
        else:
            # The minimum, labelled "mixed": a spin box shows no value that robustly (a
            # cleared editor is refilled on show). Typing the minimum is caught in
            # _finish_spin, stepping up sets every slide.
            self._mixed.add(box)
            box.setSpecialValueText(MIXED if values else " ")
            box.setValue(box.minimum())

    @staticmethod
    def _show_combo(box: QComboBox, values: Sequence[str]) -> None:
        agree, value = _common(values)
        box.setPlaceholderText(MIXED if values else "")
        box.setCurrentIndex(box.findData(value) if agree else -1)

    # -- edits --------------------------------------------------------------------------
    def _edit(self, what: str, change: _Change, merge: bool = False) -> None:
        """Apply ``change`` to every selected slide as one undo step."""
        if self._loading:
            return
        project = self._doc.project
        rows = self._selected()
        if not rows:
            return
        slides = list(project.slides)
        for r in rows:
            slides[r] = change(project, r)
        n = len(rows)
        text = f"Change {what}" + ("" if n == 1 else f" of {n} slides")
        key = f"inspector:{what}:{self._session}:{rows}" if merge else None
        self._doc.apply(project.with_slides(slides), text, merge_key=key)

    def _edit_slide(self, what: str, change: Callable[[Slide], Slide], merge: bool) -> None:
        """The clip and title fields' edits: a function of the slide alone."""
        self._edit(what, lambda p, r: change(p.slides[r]), merge)

    def _edit_narration(self, what: str,
                        change: Callable[[Narration | None], Narration | None],
                        merge: bool) -> None:
        self._edit_slide(what, lambda s: replace(s, narration=change(s.narration)), merge)

    def _on_duration(self, value: float) -> None:
        seconds = None if value <= 0.0 else max(_MIN_DURATION, value)

        def change(p: Project, r: int) -> Slide:
            s = p.slides[r]  # a clip's duration stays None: its trim says how long it lasts
            return s if s.kind is SlideKind.CLIP else replace(s, duration=seconds)

        self._edit("duration", change, merge=True)

    def _on_transition(self, index: int) -> None:
        if index < 0:
            return  # the mixed state shown by _refresh, not a choice
        data = self.transition.itemData(index)
        kind = None if data == _DEFAULT else TransitionKind(data)

        def change(p: Project, r: int) -> Slide:
            if kind is None:
                return replace(p.slides[r], transition=None)
            return replace(p.slides[r], transition=replace(p.transition_after(r), kind=kind))

        self._edit("transition", change)

    def _on_transition_duration(self, value: float) -> None:
        def change(p: Project, r: int) -> Slide:
            return replace(p.slides[r], transition=replace(p.transition_after(r), duration=value))

        self._edit("transition duration", change, merge=True)

    def _on_motion(self, index: int) -> None:
        if index < 0:
            return  # the mixed state shown by _refresh, not a choice
        mode = self.motion.itemData(index)

        def change(p: Project, r: int) -> Slide:
            if p.slides[r].kind is not SlideKind.PHOTO:
                return p.slides[r]
            if mode == _DEFAULT:
                return replace(p.slides[r], motion=None)
            if mode != MotionMode.CUSTOM.value:
                return replace(p.slides[r], motion=Motion(MotionMode(mode)))
            old = p.motion_of(r)
            # A visible default: a slow zoom towards the centre, ready to be tuned.
            return replace(p.slides[r], motion=Motion(MotionMode.CUSTOM, old.start or View(1.0),
                                                      old.end or View(1.25)))

        self._edit("motion", change)

    def _on_view(self, which: str, attr: str, value: float) -> None:
        def change(p: Project, r: int) -> Slide:
            s = p.slides[r]
            if s.kind is not SlideKind.PHOTO:
                return s
            m = s.motion if s.motion and s.motion.mode is MotionMode.CUSTOM else Motion(
                MotionMode.CUSTOM, View(1.0), View(1.25))
            old: View = (m.start if which == "start" else m.end) or View()
            coordinate: dict[str, Any] = {attr: value}  # zoom, x or y; the rest kept
            view = replace(old, **coordinate)
            return replace(s, motion=replace(m, start=view) if which == "start"
                           else replace(m, end=view))

        self._edit(f"motion {which} {attr}", change, merge=True)

    def _on_fit(self, index: int) -> None:
        if index < 0:
            return  # the mixed state shown by _refresh, not a choice
        data = self.fit.itemData(index)
        fit = None if data == _DEFAULT else FitMode(data)
        self._edit("fit", lambda p, r: replace(p.slides[r], fit=fit))

    def _on_caption(self, text: str) -> None:
        caption = text if text.strip() else None
        self._edit("caption", lambda p, r: replace(p.slides[r], caption=caption), merge=True)
