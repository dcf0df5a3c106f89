"""Timeline model, view and thumbnails: drops, reorder, undo, flags, caches, speed."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QModelIndex, QPersistentModelIndex, QPointF, Qt, QUrl
from PySide6.QtGui import QDragMoveEvent, QDropEvent, QImage
from pytestqt.qtbot import QtBot

from simvid_desktop.model.project import Transition, TransitionKind
from simvid_desktop.ui import thumbnails as thumbnails_mod
from simvid_desktop.ui import timeline_view
from simvid_desktop.ui.document import ProjectDocument
from simvid_desktop.ui.thumbnails import ThumbnailProvider
from simvid_desktop.ui.timeline_model import ROWS_MIME, TimelineModel, TimelineRole
from simvid_desktop.ui.timeline_view import TimelineView

COLOURS = [(200, 60, 60), (60, 160, 80), (50, 90, 200), (220, 180, 40), (140, 70, 170)]


def make_photo(path: Path, size: tuple[int, int] = (48, 32), colour: int = 0,
               exif_date: str | None = None, orientation: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.new("RGB", size, COLOURS[colour % len(COLOURS)])
    exif = Image.Exif()
    if exif_date is not None:
        exif.get_ifd(0x8769)[0x9003] = exif_date
    if orientation is not None:
        exif[0x0112] = orientation
    fmt = "PNG" if path.suffix.lower() == ".png" else "JPEG"
    if fmt == "JPEG":
        img.save(path, fmt, exif=exif.tobytes())
    else:
        img.save(path, fmt)
    return path


def names(model: TimelineModel) -> list[str]:
    return [model.data(model.index(r), Qt.ItemDataRole.DisplayRole)
            for r in range(model.rowCount())]


def url_mime(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


@pytest.fixture
def provider(qtbot: QtBot) -> Iterator[ThumbnailProvider]:
    prov = ThumbnailProvider()
    yield prov
    prov.shutdown()
    assert prov.wait_for_done(10_000)


@pytest.fixture
def doc(qtbot: QtBot) -> Iterator[ProjectDocument]:
    document = ProjectDocument()
    yield document
    # ProjectDocument's cleanChanged lambda fires on a half-destroyed document if a
    # modified undo stack outlives the test (PySide then crashes at interpreter exit).
    document.undo_stack.clear()


@pytest.fixture
def model(doc: ProjectDocument, provider: ThumbnailProvider) -> TimelineModel:
    return TimelineModel(doc, provider)


@pytest.fixture
def five(tmp_path: Path, model: TimelineModel, qtbot: QtBot) -> list[Path]:
    files = [make_photo(tmp_path / f"{c}.jpg", colour=i) for i, c in enumerate("abcde")]
    with qtbot.waitSignal(model.rowsInserted):
        assert model.add_files(files) == 5
    return files


def _shown_view(model: TimelineModel, qtbot: QtBot, width: int = 1400) -> TimelineView:
    """A timeline view of ``model``, ``width`` px wide, shown and exposed."""
    view = TimelineView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(width, view.sizeHint().height())
    view.show()
    qtbot.waitExposed(view)
    return view


def test_drop_urls_adds_files_and_folder_in_name_order(
        tmp_path: Path, model: TimelineModel, doc: ProjectDocument, qtbot: QtBot) -> None:
    model.add_files([make_photo(tmp_path / "z.jpg")])
    folder = tmp_path / "trip"
    for name in ("img10.jpg", "img2.JPG", "img1.png", ".hidden.jpg"):
        make_photo(folder / name)
    (folder / "notes.txt").write_text("not a photo")
    (folder / "sub").mkdir()
    single = make_photo(tmp_path / "b.jpg")
    mime = url_mime(single, folder)
    assert model.canDropMimeData(mime, Qt.DropAction.CopyAction, 0, 0, QModelIndex())
    steps = doc.undo_stack.count()
    with qtbot.waitSignal(model.rowsInserted):
        assert model.dropMimeData(mime, Qt.DropAction.CopyAction, 0, 0, QModelIndex())
    assert names(model) == ["b.jpg", "img1.png", "img2.JPG", "img10.jpg", "z.jpg"]
    assert doc.undo_stack.count() == steps + 1
    assert doc.undo_stack.undoText() == "Add 4 photos"
    doc.undo_stack.undo()
    assert names(model) == ["z.jpg"]


def test_drop_on_view_inserts_at_the_gap(
        tmp_path: Path, model: TimelineModel, five: list[Path], qtbot: QtBot) -> None:
    view = _shown_view(model, qtbot, width=900)
    view.doItemsLayout()
    second = view.visualRect(model.index(1))
    pos = QPointF(second.left() + 5, second.center().y())  # left half of tile 2: before it
    new = make_photo(tmp_path / "new.jpg")
    mime = url_mime(new)
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    # Qt delivers synthetic drops only during a real drag, so call the handlers it calls.
    try:  # PySide 6.12 deprecates the QPoint overload, older versions lack the QPointF one
        move = QDragMoveEvent(pos, Qt.DropAction.CopyAction, mime, buttons, mods)
    except TypeError:
        move = QDragMoveEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime, buttons, mods)
    view.dragMoveEvent(move)
    assert move.isAccepted()
    assert move.dropAction() == Qt.DropAction.CopyAction  # never Move for outside files
    assert view.drop_row_at(pos.toPoint()) == 1
    event = QDropEvent(pos, Qt.DropAction.CopyAction, mime, buttons, mods)
    with qtbot.waitSignal(view.selectionChangedRows) as blocker:
        view.dropEvent(event)
    assert event.isAccepted()
    assert names(model) == ["a.jpg", "new.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg"]
    assert blocker.args == [[1]]  # the dropped photo is selected for the inspector


def test_internal_reorder_is_one_undo_step(
        model: TimelineModel, doc: ProjectDocument, five: list[Path], qtbot: QtBot) -> None:
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    tracked = model.index(2)  # c.jpg; a persistent index must follow the move
    persistent = QPersistentModelIndex(tracked)
    mime = model.mimeData([model.index(0), model.index(2)])
    assert mime.hasFormat(ROWS_MIME)
    assert not mime.hasUrls()  # a file manager must never be offered our photos to move
    steps = doc.undo_stack.count()
    with qtbot.waitSignal(model.rowsMoved):
        assert model.dropMimeData(mime, Qt.DropAction.MoveAction, 4, 0, QModelIndex())
    assert names(model) == ["b.jpg", "d.jpg", "a.jpg", "c.jpg", "e.jpg"]
    assert doc.undo_stack.count() == steps + 1
    assert doc.undo_stack.undoText() == "Move slides"
    assert persistent.row() == 3
    doc.undo_stack.undo()
    assert names(model) == ["a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg"]
    assert persistent.row() == 2
    assert not resets  # moves, not resets: selection and scroll position survive


def test_rows_from_another_window_are_not_moved_here(
        model: TimelineModel, five: list[Path]) -> None:
    mime = QMimeData()
    mime.setData(ROWS_MIME, b'{"owner": "other", "rows": [0]}')
    assert not model.canDropMimeData(mime, Qt.DropAction.MoveAction, 0, 0, QModelIndex())
    assert not model.dropMimeData(mime, Qt.DropAction.MoveAction, 0, 0, QModelIndex())


def test_remove_rows_and_undo(
        model: TimelineModel, doc: ProjectDocument, five: list[Path], qtbot: QtBot) -> None:
    with qtbot.waitSignal(model.rowsRemoved):
        model.remove_rows([1, 3, 99])
    assert names(model) == ["a.jpg", "c.jpg", "e.jpg"]
    assert doc.undo_stack.undoText() == "Remove 2 slides"
    with qtbot.waitSignal(model.rowsInserted):
        doc.undo_stack.undo()
    assert names(model) == ["a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg"]


def test_field_edit_updates_one_row_only(
        model: TimelineModel, doc: ProjectDocument, five: list[Path], qtbot: QtBot) -> None:
    slides = list(doc.project.slides)
    slides[2] = replace(slides[2], duration=7.5, caption="Hi")
    with qtbot.waitSignal(model.dataChanged) as blocker:
        doc.apply(doc.project.with_slides(slides), "Edit")
    first, last = blocker.args[0], blocker.args[1]
    assert (first.row(), last.row()) == (2, 2)
    assert model.data(model.index(2), TimelineRole.DurationRole) == 7.5
    assert model.data(model.index(2), TimelineRole.CaptionRole) == "Hi"
    assert model.data(model.index(1), TimelineRole.DurationRole) == 3.0
    slides[0] = replace(slides[0], transition=Transition(TransitionKind.WIPE_UP, 0.5))
    doc.apply(doc.project.with_slides(slides), "Edit")
    assert model.data(model.index(0), TimelineRole.TransitionRole) == "wipe-up"
    assert model.data(model.index(0), TimelineRole.TransitionDurationRole) == 0.5
    assert model.data(model.index(1), TimelineRole.TransitionRole) == "fade"
    assert model.data(model.index(4), TimelineRole.TransitionRole) is None  # last slide


def test_unreadable_files_are_flagged_with_the_reason(
        tmp_path: Path, model: TimelineModel, provider: ThumbnailProvider,
        qtbot: QtBot) -> None:
    good = make_photo(tmp_path / "good.jpg")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"this is not a jpeg")
    missing = tmp_path / "missing.jpg"
    with qtbot.waitSignals(
        [provider.thumbnailFailed, provider.thumbnailFailed, provider.thumbnailReady],
        check_params_cbs=[lambda p, _r: p == str(broken), lambda p, _r: p == str(missing),
                          lambda p, _i: p == str(good)],
        order="none",
    ):
        assert model.add_files([good, broken, missing]) == 3
    assert names(model) == ["good.jpg", "broken.jpg", "missing.jpg"]  # never dropped
    reason = model.data(model.index(1), TimelineRole.ErrorRole)
    assert reason == "not an image in a format Simvid can read"
    assert model.data(model.index(2), TimelineRole.ErrorRole) == "file not found"
    assert model.data(model.index(0), TimelineRole.ErrorRole) is None
    tip = model.data(model.index(1), Qt.ItemDataRole.ToolTipRole)
    assert str(broken) in tip and reason in tip
    assert model.data(model.index(1), TimelineRole.ThumbnailRole) is None


def test_thumbnail_arrives_upright_and_the_disk_cache_is_reused(
        tmp_path: Path, provider: ThumbnailProvider, qtbot: QtBot,
        monkeypatch: pytest.MonkeyPatch) -> None:
    photo = make_photo(tmp_path / "rotated.jpg", size=(400, 200), orientation=6)
    with qtbot.waitSignal(provider.thumbnailReady) as blocker:
        assert provider.request(photo, 64) is None
    path, image = blocker.args
    assert path == str(photo)
    assert isinstance(image, QImage)
    assert (image.width(), image.height()) == (32, 64)  # EXIF orientation 6 applied
    assert provider.request(photo, 64) == image  # now served from memory
    cached = list(provider.cache_folder.glob("*.jpg"))
    assert len(cached) == 1

    def no_decoding(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("decoded although the disk cache had the thumbnail")

    monkeypatch.setattr(thumbnails_mod, "load_rgb", no_decoding)
    second = ThumbnailProvider()
    try:
        with qtbot.waitSignal(second.thumbnailReady) as blocker:
            assert second.request(photo, 64) is None
        assert blocker.args[1].size() == image.size()
    finally:
        second.shutdown()
        second.wait_for_done(5000)


def test_requests_for_one_photo_coalesce(
        tmp_path: Path, provider: ThumbnailProvider, qtbot: QtBot,
        monkeypatch: pytest.MonkeyPatch) -> None:
    photo = make_photo(tmp_path / "one.jpg")
    calls: list[Path] = []
    lock = threading.Lock()
    real = thumbnails_mod.load_rgb

    def counting(path: Path, need: tuple[int, int] | None = None) -> Image.Image:
        with lock:
            calls.append(path)
        return real(path, need)

    monkeypatch.setattr(thumbnails_mod, "load_rgb", counting)
    with qtbot.waitSignal(provider.thumbnailReady):
        for _ in range(5):
            assert provider.request(photo, 96) is None
    assert len(calls) == 1
    assert provider.request(photo, 96) is not None


def test_sort_by_name_is_natural_and_undoable(
        tmp_path: Path, model: TimelineModel, doc: ProjectDocument) -> None:
    files = [make_photo(tmp_path / n) for n in ("c10.jpg", "B.jpg", "c2.jpg", "a.png")]
    model.add_files(files)
    model.sort_by_name()
    assert names(model) == ["a.png", "B.jpg", "c2.jpg", "c10.jpg"]
    assert doc.undo_stack.undoText() == "Sort by name"
    doc.undo_stack.undo()
    assert names(model) == ["c10.jpg", "B.jpg", "c2.jpg", "a.png"]


def test_sort_by_date_taken_uses_exif_then_mtime(
        tmp_path: Path, model: TimelineModel, doc: ProjectDocument, qtbot: QtBot) -> None:
    late = make_photo(tmp_path / "a_late.jpg", exif_date="2021:06:01 12:00:00")
    early = make_photo(tmp_path / "b_early.jpg", exif_date="2019:01:01 08:30:00")
    middle = make_photo(tmp_path / "c_middle.jpg", exif_date="2020:03:15 18:00:00")
    no_exif = make_photo(tmp_path / "d_old.png")
    old = time.mktime((2010, 1, 1, 0, 0, 0, 0, 0, -1))
    os.utime(no_exif, (old, old))
    model.add_files([late, early, middle, no_exif])
    with qtbot.waitSignal(model.sortByDateFinished):
        model.sort_by_date_taken()
    assert names(model) == ["d_old.png", "b_early.jpg", "c_middle.jpg", "a_late.jpg"]
    assert doc.undo_stack.undoText() == "Sort by date taken"


def test_delete_key_removes_the_selection(
        model: TimelineModel, five: list[Path], qtbot: QtBot) -> None:
    view = TimelineView()
    qtbot.addWidget(view)
    view.setModel(model)
    assert view.objectName() == "timeline"
    with qtbot.waitSignal(view.selectionChangedRows) as blocker:
        view.select_rows([1, 2])
    assert blocker.args == [[1, 2]]
    with qtbot.waitSignal(view.selectionChangedRows):
        qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert names(model) == ["a.jpg", "d.jpg", "e.jpg"]


def test_adding_500_photos_opens_no_photo_on_the_ui_thread(
        tmp_path: Path, model: TimelineModel, qtbot: QtBot,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Adding and painting 500 photos opens none of them on the UI thread; the decodes
    happen in the thumbnail thread. (How long the UI thread is busy is measured by
    benchmarks/ui_responsiveness.py, not timed here.)"""
    folder = tmp_path / "many"
    folder.mkdir()
    tiny = Image.new("RGB", (8, 6), (90, 120, 200))
    for i in range(500):
        tiny.save(folder / f"p{i:03d}.png")
    opened_by: list[str] = []
    real_open = Image.open

    def recording_open(*args: object, **kwargs: object) -> Image.Image:
        opened_by.append(threading.current_thread().name)
        return real_open(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Image, "open", recording_open)
    view = _shown_view(model, qtbot, width=1200)
    ui_thread = threading.current_thread().name
    assert model.add_files([folder]) == 500
    view.doItemsLayout()
    view.grab()  # paints the visible tiles: placeholders or cached images only
    assert model.rowCount() == 500
    first = model.index(0)
    qtbot.waitUntil(lambda: model.data(first, TimelineRole.ThumbnailRole) is not None)
    assert opened_by, "no thumbnail was decoded"
    assert ui_thread not in opened_by


def test_timeline_screenshot(
        tmp_path: Path, model: TimelineModel, doc: ProjectDocument, qtbot: QtBot) -> None:
    files = [make_photo(tmp_path / f"photo_{i}.jpg", size=(64 + 16 * i, 48), colour=i)
             for i in range(6)]
    broken = tmp_path / "damaged.jpg"
    broken.write_bytes(b"\xff\xd8 truncated")
    files.insert(3, broken)
    files.append(make_photo(tmp_path / "portrait.png", size=(30, 60), colour=2))
    model.add_files(files)
    slides = list(doc.project.slides)
    slides[1] = replace(slides[1], caption="Hello", duration=5.0)
    doc.apply(doc.project.with_slides(slides), "Edit")
    view = _shown_view(model, qtbot)

    def all_loaded() -> bool:
        return all(model.data(model.index(r), TimelineRole.ThumbnailRole) is not None
                   or model.data(model.index(r), TimelineRole.ErrorRole)
                   for r in range(model.rowCount()))

    qtbot.waitUntil(all_loaded, timeout=10_000)
    view.select_rows([1])
    shot = view.grab()
    assert not shot.isNull()
    target = Path(os.environ.get("SIMVID_UI_SCREENSHOT", tmp_path / "timeline.png"))
    assert shot.save(str(target))


def _visible_rows(view: TimelineView, model: TimelineModel) -> int:
    area = view.viewport().rect()
    return sum(1 for r in range(model.rowCount())
               if view.visualRect(model.index(r)).intersects(area))


def test_cards_are_drawn_once_and_reused(
        tmp_path: Path, model: TimelineModel, doc: ProjectDocument, qtbot: QtBot,
        monkeypatch: pytest.MonkeyPatch) -> None:
    files = [make_photo(tmp_path / f"c{i}.jpg", colour=i) for i in range(12)]
    model.add_files(files)
    view = _shown_view(model, qtbot)
    delegate = view.itemDelegate()
    assert isinstance(delegate, timeline_view.TimelineDelegate)
    qtbot.waitUntil(lambda: all(model.data(model.index(r), TimelineRole.ThumbnailRole)
                                is not None for r in range(model.rowCount())), timeout=10_000)
    qtbot.waitUntil(lambda: view.grab() is not None and delegate.deferred == 0)
    drawn: list[str] = []
    original = delegate._draw_card

    def counting(tile: object, *args: object, **kwargs: object) -> object:
        drawn.append(getattr(tile, "name", ""))
        return original(tile, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(delegate, "_draw_card", counting)
    view.grab()
    assert drawn == []  # nothing changed: every card is one blit of its cached picture
    slides = list(doc.project.slides)
    slides[2] = replace(slides[2], caption="Hello")
    doc.apply(doc.project.with_slides(slides), "Caption")
    view.grab()
    assert drawn == ["c2.jpg"]


def test_a_paint_draws_new_cards_within_its_budget(
        tmp_path: Path, model: TimelineModel, qtbot: QtBot,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timeline_view, "CARD_BUDGET_MS", 0.0)  # one new card per paint
    folder = tmp_path / "many"
    folder.mkdir()
    tiny = Image.new("RGB", (8, 6), (90, 120, 200))
    for i in range(60):
        tiny.save(folder / f"p{i:03d}.png")
    view = _shown_view(model, qtbot)
    delegate = view.itemDelegate()
    assert isinstance(delegate, timeline_view.TimelineDelegate)
    model.add_files([folder])
    view.doItemsLayout()
    view.grab()
    visible = _visible_rows(view, model)
    assert visible > 3
    assert delegate.deferred > 0  # the others showed a blank card and wait for later passes
    # The view asks for those passes itself; each one draws at least one card.
    qtbot.waitUntil(lambda: delegate.cached_cards() >= visible, timeout=10_000)
