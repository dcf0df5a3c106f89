"""Slide inspector: multi-selection edits are one undo step each; disagreement shows blank."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from simvid_desktop.model.project import (
    FitMode,
    Motion,
    MotionMode,
    Project,
    Slide,
    Transition,
    TransitionKind,
    View,
)
from simvid_desktop.ui.document import ProjectDocument
from simvid_desktop.ui.inspector import MIXED, SlideInspector


@pytest.fixture
def doc(qtbot: QtBot) -> Iterator[ProjectDocument]:
    document = ProjectDocument()
    slides = [Slide(Path(f"/photos/{n}.jpg")) for n in ("a", "b", "c")]
    document.reset(Project(slides=tuple(slides)), None)
    yield document
    document.undo_stack.clear()  # see test_timeline.doc: avoids a crash at interpreter exit


@pytest.fixture
def inspector(doc: ProjectDocument, qtbot: QtBot) -> SlideInspector:
    widget = SlideInspector(doc)
    qtbot.addWidget(widget)
    return widget


def edit_slides(doc: ProjectDocument, **changes: dict[int, object]) -> None:
    slides = list(doc.project.slides)
    for field, per_row in changes.items():
        for row, value in per_row.items():
            slides[row] = replace(slides[row], **{field: value})
    doc.reset(doc.project.with_slides(slides), None)


def test_disabled_without_selection(inspector: SlideInspector) -> None:
    assert not inspector.duration.isEnabledTo(inspector)
    inspector.set_rows([1])
    assert inspector.duration.isEnabledTo(inspector)
    inspector.set_rows([])
    assert not inspector.caption.isEnabledTo(inspector)


def test_every_field_has_a_tooltip(inspector: SlideInspector) -> None:
    fields = [inspector.duration, inspector.transition, inspector.transition_duration,
              inspector.motion, inspector.fit, inspector.caption,
              *inspector.view_boxes.values()]
    assert all(f.toolTip() for f in fields)


def test_multi_select_duration_edit_is_one_undo_step(
        inspector: SlideInspector, doc: ProjectDocument) -> None:
    inspector.set_rows([0, 2])
    steps = doc.undo_stack.count()
    inspector.duration.setValue(5.0)
    assert [s.duration for s in doc.project.slides] == [5.0, None, 5.0]
    assert doc.undo_stack.count() == steps + 1
    assert doc.undo_stack.undoText() == "Change duration of 2 slides"
    doc.undo_stack.undo()
    assert [s.duration for s in doc.project.slides] == [None, None, None]
    assert inspector.duration.text() == "default (3 s)"  # the inspector follows undo


def test_fit_transition_and_caption_apply_to_all_selected(
        inspector: SlideInspector, doc: ProjectDocument, qtbot: QtBot) -> None:
    inspector.set_rows([0, 1])
    inspector.fit.setCurrentIndex(inspector.fit.findData(FitMode.CROP.value))
    inspector.transition.setCurrentIndex(inspector.transition.findData("wipe-left"))
    inspector.transition_duration.setValue(0.5)
    steps = doc.undo_stack.count()
    qtbot.keyClicks(inspector.caption, "Summer")
    slides = doc.project.slides
    assert [s.fit for s in slides] == [FitMode.CROP, FitMode.CROP, None]
    wipe = Transition(TransitionKind.WIPE_LEFT, 0.5)
    assert [s.transition for s in slides] == [wipe, wipe, None]
    assert [s.caption for s in slides] == ["Summer", "Summer", None]
    assert doc.undo_stack.count() == steps + 1  # six keystrokes, one undo step
    doc.undo_stack.undo()
    assert [s.caption for s in doc.project.slides] == [None, None, None]
    for _ in range(3):
        doc.undo_stack.undo()
    assert doc.project.slides == tuple(Slide(Path(f"/photos/{n}.jpg")) for n in "abc")


def test_project_default_choices_clear_the_override(
        inspector: SlideInspector, doc: ProjectDocument) -> None:
    edit_slides(doc, fit={0: FitMode.BLUR}, transition={0: Transition(TransitionKind.ZOOM, 2.0)})
    inspector.set_rows([0])
    assert inspector.fit.currentData() == FitMode.BLUR.value
    assert inspector.transition.currentData() == "zoom"
    assert inspector.transition_duration.value() == 2.0
    inspector.fit.setCurrentIndex(0)
    inspector.transition.setCurrentIndex(0)
    assert doc.project.slides[0].fit is None
    assert doc.project.slides[0].transition is None


def test_disagreeing_values_show_as_mixed(
        inspector: SlideInspector, doc: ProjectDocument) -> None:
    edit_slides(doc, duration={0: 2.0, 1: 4.0}, fit={0: FitMode.CROP},
                caption={0: "one", 1: "two"}, transition={1: Transition(TransitionKind.ZOOM, 1.0)})
    inspector.set_rows([0, 1])
    assert inspector.duration.text() == MIXED
    assert inspector.fit.currentIndex() == -1
    assert inspector.fit.placeholderText() == MIXED
    assert inspector.transition.currentIndex() == -1
    assert inspector.transition_duration.text() == "1.00 s"  # both 1 s: that agrees
    assert inspector.caption.text() == ""
    assert inspector.caption.placeholderText() == MIXED
    inspector.set_rows([0])  # a single slide always agrees with itself
    assert inspector.duration.text() == "2.00 s"
    assert inspector.fit.currentData() == FitMode.CROP.value
    assert inspector.caption.text() == "one"


def test_typing_into_a_mixed_field_sets_every_slide(
        inspector: SlideInspector, doc: ProjectDocument, qtbot: QtBot) -> None:
    edit_slides(doc, duration={0: 2.0, 1: 4.0})
    inspector.set_rows([0, 1])
    line = inspector.duration.lineEdit()
    line.selectAll()  # as a Tab into the field does
    qtbot.keyClicks(line, "0")  # the lowest value: back to the project default
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert [s.duration for s in doc.project.slides[:2]] == [None, None]
    edit_slides(doc, duration={0: 2.0, 1: 4.0})
    inspector.set_rows([0, 1])
    line.selectAll()
    qtbot.keyClicks(line, "7")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert [s.duration for s in doc.project.slides[:2]] == [7.0, 7.0]


def test_custom_motion_edits_views(inspector: SlideInspector, doc: ProjectDocument) -> None:
    inspector.set_rows([1, 2])
    assert not inspector.view_boxes[("start", "zoom")].isVisibleTo(inspector)
    inspector.motion.setCurrentIndex(inspector.motion.findData(MotionMode.CUSTOM.value))
    expected = Motion(MotionMode.CUSTOM, View(1.0), View(1.25))
    assert [s.motion for s in doc.project.slides] == [None, expected, expected]
    assert inspector.view_boxes[("start", "zoom")].isVisibleTo(inspector)
    inspector.view_boxes[("end", "x")].setValue(0.3)
    assert [s.motion.end for s in doc.project.slides[1:]] == [View(1.25, 0.3, 0.5)] * 2
    inspector.motion.setCurrentIndex(inspector.motion.findData(MotionMode.AUTO.value))
    assert doc.project.slides[1].motion == Motion(MotionMode.AUTO)
    assert not inspector.view_boxes[("start", "zoom")].isVisibleTo(inspector)


def test_rows_past_the_end_are_ignored(inspector: SlideInspector, doc: ProjectDocument) -> None:
    inspector.set_rows([2])
    doc.reset(doc.project.with_slides(doc.project.slides[:1]), None)  # slide 3 is gone
    assert not inspector.caption.isEnabledTo(inspector)
    inspector.duration.setValue(9.0)  # nothing selected that exists: no edit, no error
    assert doc.project.slides[0].duration is None
