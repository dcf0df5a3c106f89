"""The timeline: when each slide and transition happens, and what each frame shows."""

from __future__ import annotations

import math
import random
from itertools import pairwise
from pathlib import Path

import pytest

from simvid_desktop.model.project import (
    FPS_CHOICES,
    Clip,
    OutputSettings,
    Project,
    Slide,
    Transition,
    TransitionKind,
)
from simvid_desktop.model.timeline import FrameRange, Shot, SlideSpan, Timeline


def _timeline(
    durations: list[float],
    transition: tuple[TransitionKind, float] = (TransitionKind.FADE, 1.0),
    *,
    fps: int = 30,
    per_slide: dict[int, tuple[TransitionKind, float]] | None = None,
) -> Timeline:
    per_slide = per_slide or {}
    slides = tuple(
        Slide(Path(f"{i}.jpg"), duration=d,
              transition=Transition(*per_slide[i]) if i in per_slide else None)
        for i, d in enumerate(durations)
    )
    return Timeline(Project(slides=slides, transition=Transition(*transition),
                            output=OutputSettings(fps=fps)))


def _spans(tl: Timeline) -> list[tuple[int, TransitionKind, float, float]]:
    return [(t.index, t.kind, t.start, t.end) for t in tl.transitions]


# -- length ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "transition",
    [(TransitionKind.NONE, 0.0), (TransitionKind.FADE, 0.0), (TransitionKind.FADE, 1.0),
     (TransitionKind.FADE_BLACK, 2.5), (TransitionKind.WIPE_LEFT, 100.0),
     (TransitionKind.ZOOM, 3600.0), (TransitionKind.SLIDE_UP, 0.3)],
)
@pytest.mark.parametrize("durations", [[3.0], [3.0, 3.0, 3.0], [0.5, 7.25, 1.0, 2.0], [0.1] * 10])
def test_total_is_sum_of_durations_whatever_the_transitions(
    durations: list[float], transition: tuple[TransitionKind, float]
) -> None:
    tl = _timeline(durations, transition)
    assert tl.total == math.fsum(durations)
    assert tl.slides[0].start == 0.0
    assert tl.slides[-1].end == pytest.approx(tl.total, abs=1e-12)
    for a, b in zip(tl.slides, tl.slides[1:], strict=False):
        assert a.end == b.start  # nominal spans tile the show
    assert tl.frame_count == round(tl.total * tl.fps)


def test_total_uses_default_duration() -> None:
    p = Project(slides=(Slide(Path("a")), Slide(Path("b"), duration=1.5)), default_duration=2.0)
    tl = Timeline(p)
    assert tl.total == 3.5
    assert tl.total == p.total_duration


@pytest.mark.parametrize("fps", FPS_CHOICES)
@pytest.mark.parametrize("durations", [[3.0, 3.0], [1.01, 2.02], [0.35, 0.35, 0.35], [7 / 3]])
def test_frame_count_is_rounded_total_times_fps(fps: int, durations: list[float]) -> None:
    tl = _timeline(durations, fps=fps)
    assert tl.fps == fps
    assert tl.frame_count == round(math.fsum(durations) * fps)


def test_frame_count_is_at_least_one() -> None:
    assert _timeline([0.001], fps=24).frame_count == 1


# -- transitions ----------------------------------------------------------------------------------
def test_transitions_are_centred_on_boundaries() -> None:
    tl = _timeline([3.0, 3.0, 3.0], (TransitionKind.FADE, 1.0))
    assert _spans(tl) == [
        (0, TransitionKind.FADE, 2.5, 3.5),
        (1, TransitionKind.FADE, 5.5, 6.5),
    ]


def test_per_slide_transition_overrides_the_default() -> None:
    tl = _timeline([4.0, 4.0, 4.0], (TransitionKind.FADE, 1.0),
                   per_slide={1: (TransitionKind.WIPE_LEFT, 2.0)})
    assert _spans(tl) == [
        (0, TransitionKind.FADE, 3.5, 4.5),
        (1, TransitionKind.WIPE_LEFT, 7.0, 9.0),
    ]


def test_transition_after_the_last_slide_is_ignored() -> None:
    tl = _timeline([2.0, 2.0], per_slide={1: (TransitionKind.ZOOM, 1.0)})
    assert [t.index for t in tl.transitions] == [0]


@pytest.mark.parametrize(
    ("durations", "f", "expected"),
    [
        ([3.0, 0.5, 3.0], 2.0, [(2.75, 3.25), (3.25, 3.75)]),  # middle slide is short
        ([1.0, 4.0], 2.0, [(0.5, 1.5)]),  # first slide is short
        ([4.0, 1.0], 2.0, [(3.5, 4.5)]),  # second slide is short
        ([4.0, 4.0], 10.0, [(2.0, 6.0)]),  # both shorter than F
        ([2.0, 3.0], 1.0, [(1.5, 2.5)]),  # not shortened
    ],
)
def test_transitions_shortened_to_min_of_f_and_neighbours(
    durations: list[float], f: float, expected: list[tuple[float, float]]
) -> None:
    tl = _timeline(durations, (TransitionKind.FADE, f))
    assert [(t.start, t.end) for t in tl.transitions] == expected
    for t in tl.transitions:
        assert t.end - t.start == pytest.approx(
            min(f, durations[t.index], durations[t.index + 1])
        )


@pytest.mark.parametrize(
    "transition",
    [(TransitionKind.NONE, 1.0), (TransitionKind.NONE, 0.0), (TransitionKind.FADE, 0.0)],
)
def test_cut_or_zero_transition_has_no_span(transition: tuple[TransitionKind, float]) -> None:
    tl = _timeline([3.0, 3.0], transition)
    assert tl.transitions == []
    assert tl.slides[0] == SlideSpan(0, 0.0, 3.0, 0.0, 3.0)
    assert tl.slides[1] == SlideSpan(1, 3.0, 6.0, 3.0, 6.0)
    assert tl.shot(2.999) == Shot(a=0)
    assert tl.shot(3.0) == Shot(a=1)


def test_mixed_cut_and_fade() -> None:
    tl = _timeline([2.0, 2.0, 2.0], (TransitionKind.FADE, 1.0),
                   per_slide={0: (TransitionKind.NONE, 1.0)})
    assert _spans(tl) == [(1, TransitionKind.FADE, 3.5, 4.5)]
    assert tl.shot(1.9) == Shot(a=0)
    assert tl.shot(2.1) == Shot(a=1)


def test_random_timelines_keep_transitions_inside_and_apart() -> None:
    rng = random.Random(1234)
    names = [TransitionKind.FADE, TransitionKind.NONE, TransitionKind.WIPE_UP,
             TransitionKind.SLIDE_RIGHT, TransitionKind.ZOOM, TransitionKind.FADE_BLACK]
    for _ in range(200):
        n = rng.randint(1, 12)
        durations = [rng.choice([0.04, 0.5, 1.0, 2.5, rng.uniform(0.01, 10)]) for _ in range(n)]
        per = {i: (rng.choice(names), rng.uniform(0, 6)) for i in range(n) if rng.random() < 0.5}
        tl = _timeline(durations, (TransitionKind.FADE, rng.uniform(0, 4)), per_slide=per)
        assert tl.total == math.fsum(durations)
        prev_end = 0.0
        for t in tl.transitions:
            assert t.kind is not TransitionKind.NONE
            assert t.start >= prev_end - 1e-9  # never overlapping each other
            assert 0.0 <= t.start < t.end <= tl.total + 1e-9
            boundary = tl.slides[t.index + 1].start
            assert (t.start + t.end) / 2 == pytest.approx(boundary)
            prev_end = t.end
        for span in tl.slides:
            assert span.visible_start <= span.start < span.end <= span.visible_end
            # each slide lends at most half its time to each neighbour
            assert span.start - span.visible_start <= durations[span.index] / 2 + 1e-9
            assert span.visible_end - span.end <= durations[span.index] / 2 + 1e-9


# -- shots ----------------------------------------------------------------------------------------
@pytest.fixture
def three() -> Timeline:
    """Three 3 s slides with 1 s fades: transitions over [2.5, 3.5] and [5.5, 6.5]."""
    return _timeline([3.0, 3.0, 3.0], (TransitionKind.FADE, 1.0))


@pytest.mark.parametrize("t", [-1.0, 0.0, 1.0, 2.49])
def test_first_slide_alone(three: Timeline, t: float) -> None:
    assert three.shot(t) == Shot(a=0)


def test_transition_starts_at_progress_zero(three: Timeline) -> None:
    assert three.shot(2.5) == Shot(a=0, b=1, progress=0.0, kind=TransitionKind.FADE)


def test_progress_is_half_exactly_at_the_boundary(three: Timeline) -> None:
    shot = three.shot(3.0)
    assert (shot.a, shot.b, shot.kind) == (0, 1, TransitionKind.FADE)
    assert shot.progress == 0.5
    shot = three.shot(6.0)
    assert (shot.a, shot.b, shot.progress) == (1, 2, 0.5)


@pytest.mark.parametrize(("t", "p"), [(2.75, 0.25), (3.25, 0.75), (3.4, 0.9), (5.6, 0.1)])
def test_progress_through_transition(three: Timeline, t: float, p: float) -> None:
    shot = three.shot(t)
    assert shot.b == shot.a + 1
    assert shot.progress == pytest.approx(p)


def test_transition_end_is_exclusive(three: Timeline) -> None:
    assert three.shot(3.5) == Shot(a=1)
    assert three.shot(4.5) == Shot(a=1)


@pytest.mark.parametrize("t", [6.5, 8.0, 8.999, 9.0, 100.0])
def test_last_slide_alone(three: Timeline, t: float) -> None:
    assert three.shot(t) == Shot(a=2)


def test_progress_is_monotonic_and_continuous_through_a_transition(three: Timeline) -> None:
    ts = [2.5 + k / 1000 for k in range(1000)]
    ps = [three.shot(t).progress for t in ts]
    assert all(0.0 <= p < 1.0 for p in ps)
    assert all(b > a for a, b in pairwise(ps))
    assert max(b - a for a, b in pairwise(ps)) == pytest.approx(0.001)


def test_shortened_transitions_meet_without_gap() -> None:
    tl = _timeline([2.0, 1.0, 2.0], (TransitionKind.FADE, 5.0))
    assert _spans(tl) == [(0, TransitionKind.FADE, 1.5, 2.5), (1, TransitionKind.FADE, 2.5, 3.5)]
    assert tl.shot(2.4999).a == 0
    assert tl.shot(2.5) == Shot(a=1, b=2, progress=0.0, kind=TransitionKind.FADE)
    assert tl.shot(3.0).progress == 0.5


def test_shot_kind_follows_transition(three: Timeline) -> None:
    tl = _timeline([2.0, 2.0, 2.0], (TransitionKind.SLIDE_LEFT, 1.0),
                   per_slide={1: (TransitionKind.WIPE_DOWN, 1.0)})
    assert tl.shot(2.0).kind is TransitionKind.SLIDE_LEFT
    assert tl.shot(4.0).kind is TransitionKind.WIPE_DOWN


@pytest.mark.parametrize(
    ("shot", "main"),
    [
        (Shot(a=3), 3),
        (Shot(a=3, b=4, progress=0.0, kind=TransitionKind.FADE), 3),
        (Shot(a=3, b=4, progress=0.4999, kind=TransitionKind.FADE), 3),
        (Shot(a=3, b=4, progress=0.5, kind=TransitionKind.FADE), 4),
        (Shot(a=3, b=4, progress=0.99, kind=TransitionKind.FADE), 4),
    ],
)
def test_main_slide(shot: Shot, main: int) -> None:
    assert shot.main_slide == main


def test_main_slide_switches_at_the_boundary(three: Timeline) -> None:
    assert three.shot(2.99).main_slide == 0
    assert three.shot(3.0).main_slide == 1


def test_slide_at_matches_linear_scan() -> None:
    durations = [0.5, 1.0, 0.25, 2.0, 3.0, 0.75, 1.5]
    tl = _timeline(durations)
    starts = [sum(durations[:i]) for i in range(len(durations))]
    for k in range(-10, 1000):
        t = k / 100
        expected = max([i for i, s in enumerate(starts) if s <= t], default=0)
        assert tl.slide_at(t) == expected, t


# -- slide spans and progress ---------------------------------------------------------------------
def test_slide_spans_include_the_overlaps(three: Timeline) -> None:
    assert three.slides == [
        SlideSpan(0, 0.0, 3.0, 0.0, 3.5),
        SlideSpan(1, 3.0, 6.0, 2.5, 6.5),
        SlideSpan(2, 6.0, 9.0, 5.5, 9.0),
    ]


def test_slide_progress_covers_visible_time(three: Timeline) -> None:
    s1 = three.slides[1]
    assert s1.progress(2.5) == 0.0  # visible from the start of the incoming fade
    assert s1.progress(4.5) == 0.5
    assert s1.progress(6.5) == 1.0  # until the end of the outgoing fade
    assert 0.0 < s1.progress(2.6) < 0.05
    assert s1.progress(2.0) == 0.0  # clamped
    assert s1.progress(7.0) == 1.0
    s0 = three.slides[0]
    assert s0.progress(3.0) == pytest.approx(3.0 / 3.5)  # keeps moving during the fade out
    assert s0.progress(3.5) == 1.0


def test_slide_progress_is_monotonic() -> None:
    s = _timeline([2.0, 2.0, 2.0], (TransitionKind.FADE, 1.0)).slides[1]
    values = [s.progress(1.0 + k / 100) for k in range(400)]
    assert all(b >= a for a, b in pairwise(values))
    assert values[0] == 0.0 and values[-1] == 1.0


def test_zero_length_span_progress_is_zero() -> None:
    assert SlideSpan(0, 1.0, 1.0, 1.0, 1.0).progress(1.0) == 0.0
    assert SlideSpan(0, 1.0, 1.0, 1.0, 1.0).progress(5.0) == 0.0


# -- frames and time ------------------------------------------------------------------------------
@pytest.mark.parametrize("fps", FPS_CHOICES)
def test_time_of_frame_is_its_middle(fps: int) -> None:
    tl = _timeline([2.0, 2.0], fps=fps)
    assert tl.time_of(0) == 0.5 / fps
    assert tl.time_of(fps) == pytest.approx(1.0 + 0.5 / fps)


@pytest.mark.parametrize("fps", FPS_CHOICES)
def test_frame_at_time_inverts_time_of(fps: int) -> None:
    tl = _timeline([1.3, 2.2, 0.9], fps=fps)
    for n in range(tl.frame_count):
        assert tl.frame_at_time(tl.time_of(n)) == n


@pytest.mark.parametrize("fps", FPS_CHOICES)
def test_frame_at_time_boundaries(fps: int) -> None:
    tl = _timeline([3.0, 3.0], fps=fps)
    assert tl.frame_at_time(0.0) == 0
    for n in range(1, tl.frame_count):
        assert tl.frame_at_time(n / fps) == n  # a frame starts exactly at n / fps
        assert tl.frame_at_time(n / fps - 0.25 / fps) == n - 1
    assert tl.frame_at_time(-5.0) == 0
    assert tl.frame_at_time(tl.total) == tl.frame_count - 1
    assert tl.frame_at_time(1e9) == tl.frame_count - 1


def test_shot_for_frame_uses_frame_middle(three: Timeline) -> None:
    for n in range(three.frame_count):
        assert three.shot_for_frame(n) == three.shot(three.time_of(n))
    # 30 fps: frame 89 is centred at 2.983 s (before the boundary), frame 90 at 3.017 s
    assert three.shot_for_frame(89).main_slide == 0
    assert three.shot_for_frame(90).main_slide == 1
    assert three.shot_for_frame(74) == Shot(a=0)  # 2.483 s: before the fade
    assert three.shot_for_frame(75).b == 1  # 2.517 s: fading


def test_every_frame_of_a_show_is_accounted_for() -> None:
    tl = _timeline([1.0, 0.4, 2.0, 1.0], (TransitionKind.FADE, 0.6), fps=25)
    shown = {tl.shot_for_frame(n).main_slide for n in range(tl.frame_count)}
    assert shown == {0, 1, 2, 3}
    assert tl.shot_for_frame(0) == Shot(a=0)
    assert tl.shot_for_frame(tl.frame_count - 1) == Shot(a=3)


def test_a_clip_plays_in_step_with_the_show_from_its_trim_in_point() -> None:
    project = Project(slides=(
        Slide(Path("/a.jpg"), duration=2.0),
        Slide(clip=Clip(Path("/c.mov"), length=10.0, trim_in=3.0, trim_out=7.0)),
        Slide(Path("/b.jpg"), duration=1.0),
    ), transition=Transition(TransitionKind.FADE, 1.0))
    tl = Timeline(project)
    assert tl.total == 7.0
    assert (tl.slides[1].start, tl.slides[1].end) == (2.0, 6.0)
    assert tl.clip_time(1, 2.0) == 3.0  # its trim-in point at its nominal start
    assert tl.clip_time(1, 5.5) == 6.5
    # within the fades on either side it goes on: before trim-in, after trim-out
    assert tl.clip_time(1, 1.6) == pytest.approx(2.6)
    assert tl.clip_time(1, 6.4) == pytest.approx(7.4)


# -- scenes (a GIF's palettes) --------------------------------------------------------------------
def test_scenes_are_the_holds_and_the_transitions_in_order() -> None:
    # 30 fps, 3 s slides, 1 s fades centred on 3 s and 6 s: holds 0-2.5, 3.5-5.5, 6.5-9
    tl = _timeline([3.0, 3.0, 3.0], (TransitionKind.FADE, 1.0))
    assert tl.scenes() == [FrameRange(0, 75), FrameRange(75, 105), FrameRange(105, 165),
                           FrameRange(165, 195), FrameRange(195, 270)]
    assert tl.shot_for_frame(75) == Shot(0, 1, tl.shot_for_frame(75).progress,
                                         TransitionKind.FADE)


@pytest.mark.parametrize("transition", [(TransitionKind.NONE, 0.0), (TransitionKind.FADE, 0.6),
                                        (TransitionKind.WIPE_LEFT, 2.0)])
def test_scenes_cover_every_frame_once_and_each_shows_one_shot(
        transition: tuple[TransitionKind, float]) -> None:
    tl = _timeline([1.0, 0.4, 2.0, 1.0, 0.1], transition, fps=25)
    scenes = tl.scenes()
    assert scenes[0].first == 0 and scenes[-1].end == tl.frame_count
    for before, after in pairwise(scenes):
        assert before.end == after.first
    for scene in scenes:
        assert scene.frames >= 1
        shots = {(s.a, s.b) for s in map(tl.shot_for_frame, range(scene.first, scene.end))}
        assert len(shots) == 1
    for before, after in pairwise(scenes):  # a new scene is a new shot
        a, b = tl.shot_for_frame(before.end - 1), tl.shot_for_frame(after.first)
        assert (a.a, a.b) != (b.a, b.b)
    if transition[0] is TransitionKind.NONE:
        assert len(scenes) == 5
