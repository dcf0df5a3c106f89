"""The waveform's pictures are drawn off the UI thread and always end up matching the show."""

from __future__ import annotations

import math
import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QColor, QFont
from pytestqt.qtbot import QtBot

from simvid_desktop.model.project import AudioBed, Project, Slide, Transition, TransitionKind
from simvid_desktop.model.timeline import Timeline
from simvid_desktop.ui import waveform_layers
from simvid_desktop.ui.waveform import WaveformWidget
from simvid_desktop.ui.waveform_layers import LayerSpec, build_layers, lane_rect

READY_TIMEOUT = 10_000
TRACK = Path("/music/track.m4a")


def slideshow(n: int, seconds: float = 3.0, transition: Transition | None = None,
              music: bool = True) -> Project:
    return Project(
        slides=tuple(Slide(image=Path(f"/photos/IMG_{i:04d}.jpg")) for i in range(n)),
        default_duration=seconds,
        transition=transition or Transition(TransitionKind.FADE, 0.8),
        audio=(AudioBed.single(TRACK, fade_in=0.5, fade_out=1.5) if music else None))


def peaks(n: int = 2000) -> np.ndarray:
    rng = np.random.default_rng(7)
    lo = -rng.uniform(0, 1, n)
    return np.stack([lo, -lo], axis=1).astype(np.float32)


@pytest.fixture
def build_threads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Thread ids every layer build ran on."""
    threads: list[int] = []
    original = waveform_layers.build_layers

    def recording(spec: LayerSpec, generation: int = 0) -> waveform_layers.Layers:
        threads.append(threading.get_ident())
        return original(spec, generation)

    monkeypatch.setattr(waveform_layers, "build_layers", recording)
    return threads


def shown_widget(qtbot: QtBot, project: Project, *, music: bool = True) -> WaveformWidget:
    widget = WaveformWidget()
    qtbot.addWidget(widget)
    widget.resize(1400, 110)
    if music:  # as if decoded: the file does not exist
        widget.set_track_peaks(TRACK, peaks(), 95.0)
    widget.set_show(project)
    with qtbot.waitSignal(widget.layersReady, timeout=READY_TIMEOUT):
        widget.show()
    return widget


def test_layers_of_500_slides_arrive_from_a_worker_thread(
        qtbot: QtBot, build_threads: list[int]) -> None:
    widget = shown_widget(qtbot, slideshow(500))
    layers = widget.layers()
    assert layers is not None and widget.layers_current()
    assert layers.slides == 500
    assert 0 < layers.boundaries_drawn <= 499
    plays = math.ceil(slideshow(500).total_duration / 95.0)  # the track, looped
    assert [(p.index, p.show_start) for p in layers.placed] == [
        (0, 95.0 * k) for k in range(plays)]
    assert layers.key == (1400, 110, widget.devicePixelRatioF())
    assert layers.static.width() == round(1400 * widget.devicePixelRatioF())
    assert build_threads and threading.get_ident() not in build_threads


def test_an_edit_shows_the_previous_picture_until_the_new_one_arrives(qtbot: QtBot) -> None:
    widget = shown_widget(qtbot, slideshow(500))
    old = widget.layers()
    widget.set_show(slideshow(12))
    assert widget.layers() is old and not widget.layers_current()
    widget.grab()  # a paint meanwhile shows the old picture and asks for the new one
    assert widget.layers() is old or widget.layers_current()
    with qtbot.waitSignal(widget.layersReady, timeout=READY_TIMEOUT):
        widget.update()
    layers = widget.layers()
    assert layers is not None and layers.slides == 12 and layers.boundaries_drawn == 11


def test_edits_in_a_row_draw_the_latest_state_only(
        qtbot: QtBot, build_threads: list[int]) -> None:
    widget = shown_widget(qtbot, slideshow(5))
    build_threads.clear()
    for n in range(10, 510, 50):  # one event: ten edits, one paint
        widget.set_show(slideshow(n))
    with qtbot.waitSignal(widget.layersReady, timeout=READY_TIMEOUT):
        widget.update()
    layers = widget.layers()
    assert layers is not None and layers.slides == 460
    assert len(build_threads) == 1


def test_a_resize_rebuilds_for_the_new_size(qtbot: QtBot) -> None:
    widget = shown_widget(qtbot, slideshow(40))
    with qtbot.waitSignal(widget.layersReady, timeout=READY_TIMEOUT):
        widget.resize(700, 110)
    layers = widget.layers()
    assert layers is not None and layers.key[:2] == (700, 110) and layers.slides == 40


def spec(project: Project, width: int = 416, height: int = 110) -> LayerSpec:
    return LayerSpec(
        width=width, height=height, dpr=1.0, base=QColor(255, 255, 255),
        text=QColor(0, 0, 0), accent=QColor(40, 90, 220), window=QColor(240, 240, 240),
        font=QFont(), total=project.total_duration, placeholder="No music", boundaries=None,
        transitions=None, project=project)


def test_boundary_lines_sit_where_the_slides_change(qtbot: QtBot) -> None:
    project = slideshow(4, transition=Transition(TransitionKind.NONE, 0.0), music=False)  # 12 s
    layers = build_layers(spec(project))
    lane = lane_rect(416, 110)
    y = round(lane.center().y())
    image = layers.static
    assert layers.slides == 4 and layers.boundaries_drawn == 3
    for t in (3.0, 6.0, 9.0):
        x = int(lane.left() + t / 12.0 * lane.width())
        line, beside = image.pixelColor(x, y), image.pixelColor(x + 6, y)
        assert line.lightness() < beside.lightness() - 40, (t, line.name(), beside.name())


def test_boundaries_closer_than_a_pixel_are_drawn_once(qtbot: QtBot) -> None:
    project = slideshow(2000, seconds=0.2, music=False)  # 2000 slides in ~400 px
    layers = build_layers(spec(project))
    assert layers.slides == 2000
    assert layers.boundaries_drawn <= lane_rect(416, 110).width() + 1


def test_transitions_are_shaded_where_the_render_timeline_puts_them(qtbot: QtBot) -> None:
    """Clipped to fit their slides, centred on the boundary, none for "none": the spans
    come from :class:`Timeline`, the render's own arithmetic."""
    slides = [Slide(image=Path(f"/p/{i}.jpg"), duration=d,
                    transition=Transition(kind, td) if kind else None)
              for i, (d, kind, td) in enumerate([
                  (3.0, TransitionKind.FADE, 1.0), (0.4, None, 0.0),
                  (2.0, TransitionKind.NONE, 1.0), (5.0, TransitionKind.WIPE_LEFT, 9.0),
                  (1.0, None, 0.0)])]
    project = Project(slides=tuple(slides), transition=Transition(TransitionKind.FADE, 0.8))
    spans = [x for t in Timeline(project).transitions for x in (t.start, t.end)]
    assert spans == pytest.approx([2.8, 3.2, 3.2, 3.6, 9.9, 10.9])
    layers = build_layers(spec(project, width=1200))
    lane = lane_rect(1200, 110)
    y = round(lane.bottom() - 3)  # below the placeholder text, above the ruler

    def colour(t: float) -> str:
        x = round(lane.left() + t / project.total_duration * lane.width())
        return layers.static.pixelColor(x, y).name()

    plain = colour(1.5)
    shaded = {t: colour(t) for t in (2.9, 3.1, 3.5, 10.1, 10.7)}
    unshaded = {t: colour(t) for t in (2.6, 3.8, 5.2, 5.6, 9.6, 11.2)}
    assert set(shaded.values()) != {plain}, shaded
    assert all(c != plain for c in shaded.values()), (plain, shaded)
    assert unshaded == dict.fromkeys(unshaded, plain), (plain, unshaded)
