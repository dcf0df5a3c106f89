"""Clips and title cards in the window: adding clips (probed off the UI thread), their
tiles, the inspector's clip and title fields, and the title card actions."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, QRect, Qt, QUrl
from PySide6.QtGui import QAction, QDropEvent, QImage, QPainter, QPalette
from PySide6.QtWidgets import QMessageBox, QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from simvid_desktop.model.project import (
    Clip,
    Project,
    Slide,
    SlideKind,
    TextAlign,
    TitleBackground,
)
from simvid_desktop.model.settings import Settings
from simvid_desktop.ui.batch_dialog import BatchExportDialog
from simvid_desktop.ui.document import ProjectDocument
from simvid_desktop.ui.inspector import SlideInspector
from simvid_desktop.ui.job_bridge import JobBridge
from simvid_desktop.ui.main_window import MainWindow
from simvid_desktop.ui.preview_widget import picture_of
from simvid_desktop.ui.thumbnails import ThumbnailProvider
from simvid_desktop.ui.timeline_model import AddResult, CardData, TimelineModel, TimelineRole
from simvid_desktop.ui.timeline_view import TILE, TimelineDelegate, TimelineView, clock_text
from tests.ui.grab import grab, pixels, region

FPS = 30


def make_clip(path: Path, seconds: float = 1.0, size: str = "64x36") -> Path:
    """A tiny H.264 clip of ffmpeg's test pattern."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
         f"testsrc=size={size}:rate={FPS}:duration={seconds}", "-pix_fmt", "yuv420p",
         "-c:v", "libx264", "-preset", "ultrafast", str(path)],
        check=True, capture_output=True, timeout=60)
    return path


def make_photo(path: Path, colour: tuple[int, int, int] = (200, 60, 60)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 48), colour).save(path)
    return path


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return make_clip(tmp_path / "media" / "b_clip.mp4")


@pytest.fixture
def doc(qtbot: QtBot) -> Iterator[ProjectDocument]:
    document = ProjectDocument()
    yield document
    document.undo_stack.clear()  # see test_timeline.doc


@pytest.fixture
def provider(qtbot: QtBot) -> Iterator[ThumbnailProvider]:
    prov = ThumbnailProvider()
    yield prov
    prov.shutdown()
    assert prov.wait_for_done(20_000)


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    w = MainWindow(Settings(output_dir=str(tmp_path / "videos"), workers=1),
                   start_runner=False)
    yield w
    w.document.undo_stack.setClean()
    w.close()


def card(model: TimelineModel, row: int) -> CardData:
    data = model.data(model.index(row), TimelineRole.CardRole)
    assert isinstance(data, CardData)
    return data


# -- adding clips ---------------------------------------------------------------------------
def test_adding_a_clip_probes_its_length_off_the_ui_thread(
        doc: ProjectDocument, provider: ThumbnailProvider, clip: Path, tmp_path: Path,
        qtbot: QtBot) -> None:
    model = TimelineModel(doc, provider)
    photo = make_photo(tmp_path / "media" / "a_photo.jpg")
    with qtbot.waitSignal(model.mediaAdded, timeout=30_000) as added:
        assert model.add_files([photo, clip]) == 2
        assert doc.project.slides == ()  # nothing yet: the probe runs on a pool
        assert model.adds_pending == 1
    result = added.args[0]
    assert isinstance(result, AddResult)
    assert (result.photos, result.clips, result.problems) == (1, 1, ())
    first, second = doc.project.slides
    assert first.kind is SlideKind.PHOTO and second.kind is SlideKind.CLIP
    assert second.clip is not None and second.clip.path == clip
    assert second.clip.length == pytest.approx(1.0, abs=0.05)
    assert second.duration is None  # a clip lasts as long as its trimmed part
    assert doc.project.duration_of(1) == pytest.approx(1.0, abs=0.05)
    assert doc.undo_stack.count() == 1  # the whole add is one step
    assert doc.undo_stack.undoText() == "Add 1 photo and 1 clip"


def test_a_folder_adds_its_photos_and_clips_in_name_order(
        doc: ProjectDocument, provider: ThumbnailProvider, clip: Path, tmp_path: Path,
        qtbot: QtBot) -> None:
    model = TimelineModel(doc, provider)
    make_photo(tmp_path / "media" / "a_photo.jpg")
    make_photo(tmp_path / "media" / "c_photo.jpg")
    (tmp_path / "media" / "notes.txt").write_text("not media")
    with qtbot.waitSignal(model.mediaAdded, timeout=30_000):
        model.add_files([clip.parent])
    assert [(s.kind, s.label) for s in doc.project.slides] == [
        (SlideKind.PHOTO, "a_photo.jpg"), (SlideKind.CLIP, "b_clip.mp4"),
        (SlideKind.PHOTO, "c_photo.jpg")]


def test_a_bad_clip_is_named_in_a_one_line_problem(
        window: MainWindow, clip: Path, tmp_path: Path, qtbot: QtBot) -> None:
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"this is not a video" * 50)
    with qtbot.waitSignal(window.timeline_model.mediaAdded, timeout=30_000) as added:
        window.add_paths([clip, bad])
    result = added.args[0]
    assert result.clips == 1 and len(result.problems) == 1
    problem = result.problems[0]
    assert "broken.mp4" in problem and "\n" not in problem
    assert [s.label for s in window.document.project.slides] == ["b_clip.mp4"]
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert any("broken.mp4" in b.text() for b in boxes)
    assert "1 clip" in window.statusBar().currentMessage()


def test_add_action_names_clips_too(window: MainWindow) -> None:
    action = window.findChild(QAction, "actionAddImages")
    assert action is not None and "Clips" in action.text()


# -- tiles ------------------------------------------------------------------------------------
def _paint_tile(view: TimelineView, model: TimelineModel, row: int) -> np.ndarray:
    """One tile, painted by the view's delegate into an image, as pixels."""
    image = QImage(TILE, QImage.Format.Format_RGB32)
    image.fill(view.palette().color(QPalette.ColorRole.Base))
    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, TILE.width(), TILE.height())
    option.palette = view.palette()
    option.font = view.font()
    painter = QPainter(image)
    delegate = view.itemDelegate()
    assert isinstance(delegate, TimelineDelegate)
    delegate.paint(painter, option, model.index(row))
    painter.end()
    return pixels(image)


def test_clip_and_title_tiles_show_their_badges_and_length(
        doc: ProjectDocument, provider: ThumbnailProvider, clip: Path, tmp_path: Path,
        qtbot: QtBot) -> None:
    photo = make_photo(tmp_path / "photo.jpg", (90, 90, 90))
    doc.reset(Project(slides=(Slide.photo(photo), Slide.video(clip, 12.4),
                              Slide.card("Hello"))), None)
    model = TimelineModel(doc, provider)
    view = TimelineView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(600, 160)
    view.show()
    qtbot.waitUntil(lambda: all(card(model, r).thumbnail is not None for r in range(3)),
                    timeout=20_000)
    kinds = [card(model, r).kind for r in range(3)]
    assert kinds == [SlideKind.PHOTO, SlideKind.CLIP, SlideKind.TITLE]
    assert card(model, 1).seconds == pytest.approx(12.4)
    assert clock_text(12.4) == "0:12" and clock_text(3725) == "1:02:05"
    frame = card(model, 1).thumbnail
    assert frame is not None and frame.width() > frame.height()  # a 64x36 clip's frame
    title = card(model, 2).thumbnail
    assert title is not None and (title.width(), title.height()) == (160, 90)  # 16:9 frame

    tiles = [_paint_tile(view, model, r) for r in range(3)]
    # The badge sits right of the slide number, in the thumbnail's top-left corner: a
    # photo's tile has none there.
    badge = (slice(14, 26), slice(34, 56))
    photo_spot, clip_spot, title_spot = (t[badge].astype(int) for t in tiles)
    assert np.abs(clip_spot - photo_spot).max() > 100
    assert np.abs(title_spot - photo_spot).max() > 100
    assert (clip_spot.min(axis=2) > 200).sum() >= 6  # the white play triangle
    view.grab().save(str(tmp_path / "tiles.png"))


def test_typing_a_title_keeps_its_row_and_selection(
        doc: ProjectDocument, provider: ThumbnailProvider, tmp_path: Path,
        qtbot: QtBot) -> None:
    photo = make_photo(tmp_path / "photo.jpg")
    doc.reset(Project(slides=(Slide.card("Intro"), Slide.photo(photo))), None)
    model = TimelineModel(doc, provider)
    view = TimelineView()
    qtbot.addWidget(view)
    view.setModel(model)
    inspector = SlideInspector(doc)
    qtbot.addWidget(inspector)
    view.selectionChangedRows.connect(inspector.set_rows)
    view.select_rows([0])
    removed: list[int] = []
    model.rowsRemoved.connect(lambda _p, first, _last: removed.append(first))
    qtbot.keyClicks(inspector.title_fields.text, " day")
    assert doc.project.slides[0].title is not None
    assert doc.project.slides[0].title.text == "Intro day"
    assert removed == [] and view.selected_rows() == [0]
    assert model.data(model.index(0), Qt.ItemDataRole.DisplayRole) == "Intro day"
    assert doc.undo_stack.count() == 1  # typing merges into one step


# -- inspector: clips -----------------------------------------------------------------------
@pytest.fixture
def clip_doc(doc: ProjectDocument, tmp_path: Path) -> ProjectDocument:
    doc.reset(Project(slides=(Slide.photo(tmp_path / "p.jpg"),
                              Slide.video(tmp_path / "c.mp4", 2.0))), None)
    return doc


@pytest.fixture
def inspector(clip_doc: ProjectDocument, qtbot: QtBot) -> SlideInspector:
    widget = SlideInspector(clip_doc)
    qtbot.addWidget(widget)
    widget.show()
    widget.set_rows([1])
    return widget


def _clip(doc: ProjectDocument) -> Clip:
    found = doc.project.slides[1].clip
    assert found is not None
    return found


def test_trim_is_frame_accurate_and_the_duration_follows(
        inspector: SlideInspector, clip_doc: ProjectDocument) -> None:
    fields = inspector.clip_fields
    assert fields.isVisibleTo(inspector) and not inspector.title_fields.isVisibleTo(inspector)
    assert not inspector.duration.isEnabled()  # a clip's length comes from its trim
    assert not inspector.motion.isVisibleTo(inspector)  # clips hold still
    assert inspector.fit.isVisibleTo(inspector)  # a vertical clip may be blur-filled
    assert inspector.duration.value() == pytest.approx(2.0)
    fields.trim_in.stepBy(3)  # three frames
    assert _clip(clip_doc).trim_in == pytest.approx(3 / FPS, abs=1e-3)
    assert fields.trim_in.text() == "0.100 s \u00b7 frame 3"
    assert inspector.duration.value() == pytest.approx(2.0 - 0.1, abs=1e-3)
    fields.trim_out.setValue(1.5)
    clip = _clip(clip_doc)
    assert clip.trim_out == pytest.approx(1.5) and clip_doc.project.slides[1].duration is None
    assert fields.trim_out.text() == "1.500 s \u00b7 frame 45"
    assert inspector.duration.value() == pytest.approx(1.4, abs=1e-3)
    assert "1.400 s" in fields.length.text()
    # Limits: in stays a frame before out, out stays within the clip.
    assert fields.trim_in.maximum() == pytest.approx(1.5 - 1 / FPS, abs=1e-3)
    fields.trim_out.setValue(5.0)
    assert _clip(clip_doc).trim_out is None  # back at the clip's own end
    assert fields.trim_out.value() == pytest.approx(2.0)
    # Typing a frame number works too.
    fields.trim_out.lineEdit().setText("f30")
    fields.trim_out.interpretText()
    assert _clip(clip_doc).trim_out == pytest.approx(1.0)
    clip_doc.undo_stack.undo()
    assert _clip(clip_doc).trim_out is None


def test_mute_and_volume_edit_the_clip(inspector: SlideInspector,
                                       clip_doc: ProjectDocument) -> None:
    fields = inspector.clip_fields
    assert fields.volume.value() == 100 and not fields.muted.isChecked()
    fields.volume.setValue(50)
    assert _clip(clip_doc).volume == pytest.approx(0.5)
    fields.muted.setChecked(True)
    assert _clip(clip_doc).muted and not fields.volume.isEnabled()
    clip_doc.undo_stack.undo()
    assert not _clip(clip_doc).muted and fields.volume.isEnabled()


def test_duration_edits_of_a_mixed_selection_leave_clips_alone(
        inspector: SlideInspector, clip_doc: ProjectDocument) -> None:
    inspector.set_rows([0, 1])
    assert inspector.duration.isEnabled() and not inspector.clip_fields.isVisibleTo(inspector)
    inspector.duration.setValue(5.0)
    photo, clip = clip_doc.project.slides
    assert photo.duration == 5.0 and clip.duration is None


# -- inspector: title cards ----------------------------------------------------------------
def test_title_card_fields_edit_the_card(doc: ProjectDocument, qtbot: QtBot,
                                         tmp_path: Path) -> None:
    doc.reset(Project(slides=(Slide.card("Hello", "world"),)), None)
    inspector = SlideInspector(doc)
    qtbot.addWidget(inspector)
    inspector.show()
    fields = inspector.title_fields
    with qtbot.waitSignal(fields.fontsLoaded, timeout=30_000) as loaded:
        inspector.set_rows([0])
    assert loaded.args[0] > 0
    assert fields.isVisibleTo(inspector) and not inspector.motion.isVisibleTo(inspector)
    assert fields.text.toPlainText() == "Hello" and fields.subtitle.text() == "world"

    def title() -> object:
        t = doc.project.slides[0].title
        assert t is not None
        return t

    fields.text.setPlainText("Summer\n2026")
    assert title().text == "Summer\n2026"  # type: ignore[attr-defined]
    qtbot.keyClicks(fields.subtitle, "!")
    assert title().subtitle == "world!"  # type: ignore[attr-defined]
    fields.background.setCurrentIndex(fields.background.findData("gradient"))
    assert title().background is TitleBackground.GRADIENT  # type: ignore[attr-defined]
    assert fields.color2.isVisibleTo(inspector)
    fields.color.colorChosen.emit("#ff0000")
    fields.color2.colorChosen.emit("#0000ff")
    fields.text_color.colorChosen.emit("#ffff00")
    t = title()
    assert (t.color, t.color2, t.text_color) == ("#ff0000", "#0000ff", "#ffff00")  # type: ignore[attr-defined]
    fields.size_box.setValue(12.0)
    assert title().size == pytest.approx(0.12)  # type: ignore[attr-defined]
    fields.align.setCurrentIndex(fields.align.findData("left"))
    assert title().align is TextAlign.LEFT  # type: ignore[attr-defined]
    other = next(i for i in range(fields.font_box.count())
                 if fields.font_box.itemText(i) != title().font)  # type: ignore[attr-defined]
    fields.font_box.setCurrentIndex(other)
    assert title().font == fields.font_box.itemText(other)  # type: ignore[attr-defined]
    photo = make_photo(tmp_path / "bg.jpg")
    assert fields.choose_photo(photo)
    t = title()
    assert t.background is TitleBackground.PHOTO and t.photo == photo  # type: ignore[attr-defined]
    assert fields.photo.isVisibleTo(inspector) and fields.photo.text() == "bg.jpg"
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    assert doc.project.slides[0] == Slide.card("Hello", "world")
    assert fields.text.toPlainText() == "Hello"


# -- title actions ----------------------------------------------------------------------------
def test_add_intro_and_outro_is_one_undo_step(window: MainWindow, tmp_path: Path,
                                              qtbot: QtBot) -> None:
    photos = [make_photo(tmp_path / "Holiday" / f"p{i}.jpg") for i in range(2)]
    window.add_paths(photos)
    before = window.document.project.slides
    action = window.findChild(QAction, "actionAddIntroOutro")
    assert action is not None
    action.trigger()
    slides = window.document.project.slides
    assert len(slides) == 4 and slides[1:3] == before
    assert slides[0].title is not None and slides[0].title.text == "Holiday"
    assert slides[3].title is not None and slides[3].title.text == "The End"
    assert window.timeline.selected_rows() == [0]
    assert window.inspector.title_fields.text.toPlainText() == "Holiday"
    window.document.undo_stack.undo()
    assert window.document.project.slides == before


def test_add_title_card_goes_after_the_selection(window: MainWindow, tmp_path: Path) -> None:
    photos = [make_photo(tmp_path / "pics" / f"p{i}.jpg") for i in range(3)]
    window.add_paths(photos)
    window.timeline.select_rows([0])
    action = window.findChild(QAction, "actionAddTitle")
    assert action is not None
    action.trigger()
    kinds = [s.kind for s in window.document.project.slides]
    assert kinds == [SlideKind.PHOTO, SlideKind.TITLE, SlideKind.PHOTO, SlideKind.PHOTO]
    assert window.timeline.selected_rows() == [1]


# -- the whole window -------------------------------------------------------------------------
def test_window_screenshot_with_photos_a_clip_and_a_title(
        window: MainWindow, clip: Path, tmp_path: Path, qtbot: QtBot) -> None:
    photos = [make_photo(tmp_path / "media" / f"a{i}.jpg", c)
              for i, c in enumerate([(200, 60, 60), (60, 160, 80)])]
    with qtbot.waitSignal(window.timeline_model.mediaAdded, timeout=30_000):
        window.add_paths([*photos, clip])
    window.timeline.select_rows([2])
    window.findChild(QAction, "actionAddTitle").trigger()  # type: ignore[union-attr]
    window.inspector.title_fields.text.setPlainText("Our summer")
    window.show()
    model = window.timeline_model
    qtbot.waitUntil(lambda: all(card(model, r).thumbnail is not None
                                for r in range(model.rowCount())), timeout=20_000)
    # The clip selected: the preview seeks into it and shows its frame.
    with qtbot.waitSignal(window.preview.frameShown, timeout=30_000,
                          check_params_cb=lambda t: 6.0 <= t < 7.0):
        window.timeline.select_rows([2])
    assert window.inspector.clip_fields.isVisible()
    delegate = window.timeline.itemDelegate()
    assert isinstance(delegate, TimelineDelegate)
    qtbot.waitUntil(lambda: window.timeline.grab() is not None and delegate.deferred == 0)
    shot = grab(window, "/tmp/ui_mixed.png")
    # The preview shows the clip's test pattern (saturated colour bars), not a card.
    stage = region(shot, window, window.preview)
    assert (stage.max(axis=2).astype(int) - stage.min(axis=2) > 150).mean() > 0.1
    window.timeline.select_rows([3])
    assert window.inspector.title_fields.isVisible()
    assert not window.inspector.clip_fields.isVisible()
    grab(window, "/tmp/ui_mixed_title.png")


def test_a_clip_named_without_a_known_suffix_is_sniffed(
        doc: ProjectDocument, provider: ThumbnailProvider, clip: Path, tmp_path: Path,
        qtbot: QtBot) -> None:
    renamed = clip.rename(tmp_path / "from_the_camera.dat")
    model = TimelineModel(doc, provider)
    with qtbot.waitSignal(model.mediaAdded, timeout=30_000):
        model.add_files([renamed])
    (slide,) = doc.project.slides
    assert slide.kind is SlideKind.CLIP and slide.clip is not None
    assert slide.clip.length == pytest.approx(1.0, abs=0.05)


def test_a_clips_sound_does_not_change_the_preview_picture(tmp_path: Path) -> None:
    project = Project(slides=(Slide.video(tmp_path / "c.mp4", 2.0),))
    clip = project.slides[0].clip
    assert clip is not None
    louder = project.with_slides((Slide(clip=replace(clip, volume=0.3, muted=True)),))
    trimmed = project.with_slides((Slide(clip=replace(clip, trim_in=0.5)),))
    assert picture_of(louder) == picture_of(project)
    assert picture_of(trimmed) != picture_of(project)


def test_a_clip_dropped_on_the_window_goes_on_the_timeline_not_the_music(
        window: MainWindow, clip: Path, qtbot: QtBot) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(clip))])
    event = QDropEvent(QPointF(300, 300), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.timeline_model.mediaAdded, timeout=30_000):
        window.dropEvent(event)
    assert [s.kind for s in window.document.project.slides] == [SlideKind.CLIP]
    assert window.document.project.audio is None


def test_sorting_keeps_title_cards_in_place(
        doc: ProjectDocument, provider: ThumbnailProvider, tmp_path: Path,
        qtbot: QtBot) -> None:
    b, a = make_photo(tmp_path / "b.jpg"), make_photo(tmp_path / "a.jpg")
    c = tmp_path / "c.mp4"
    doc.reset(Project(slides=(Slide.card("Zebra intro"), Slide.video(c, 1.0),
                              Slide.photo(b), Slide.photo(a), Slide.card("The End"))), None)
    model = TimelineModel(doc, provider)
    model.sort_by_name()
    assert [s.label for s in doc.project.slides] == [
        "Zebra intro", "a.jpg", "b.jpg", "c.mp4", "The End"]
    with qtbot.waitSignal(model.sortByDateFinished):
        model.sort_by_date_taken()
    assert doc.project.slides[0].label == "Zebra intro"
    assert doc.project.slides[-1].label == "The End"


def test_a_missing_clip_is_flagged_on_its_tile_like_a_missing_photo(
        doc: ProjectDocument, provider: ThumbnailProvider, tmp_path: Path,
        qtbot: QtBot) -> None:
    doc.reset(Project(slides=(Slide.video(tmp_path / "gone.mp4", 3.0),
                              Slide.photo(tmp_path / "gone.jpg"))), None)
    model = TimelineModel(doc, provider)
    qtbot.waitUntil(lambda: all(card(model, r).error for r in range(2)), timeout=20_000)
    clip_error, photo_error = card(model, 0).error, card(model, 1).error
    assert clip_error and "\n" not in clip_error
    assert photo_error and "\n" not in photo_error
    assert card(model, 0).thumbnail is None


def test_batch_export_takes_each_folders_clips_too(tmp_path: Path, qtbot: QtBot) -> None:
    parent = tmp_path / "trips"
    make_photo(parent / "Paris" / "a.jpg")
    make_clip(parent / "Paris" / "b.mp4")
    (parent / "Paris" / "c.mov").write_bytes(b"not a video" * 20)
    make_clip(parent / "Rome" / "only.mp4")
    bridge = JobBridge(Settings(workers=1))
    try:
        dialog = BatchExportDialog(bridge, Project(slides=(Slide.card("x"),)), "Holiday",
                                   Settings(output_dir=str(tmp_path / "out")))
        qtbot.addWidget(dialog)
        with qtbot.waitSignal(dialog.planChanged, timeout=30_000):
            dialog.set_parent_folder(parent)
        paris, rome = (v.project for v in dialog.planned())
        assert paris is not None and rome is not None
        assert [(s.kind, s.label) for s in paris.slides] == [
            (SlideKind.PHOTO, "a.jpg"), (SlideKind.CLIP, "b.mp4")]
        assert rome.slides[0].clip is not None
        assert rome.slides[0].clip.length == pytest.approx(1.0, abs=0.05)
        assert "1 unreadable" in dialog.planned()[0].detail
    finally:
        bridge.shutdown()
