"""Cuts on the beat: where the slide boundaries land, given beats and the user's durations."""

from __future__ import annotations

from itertools import accumulate

import pytest

from simvid_desktop.model.beat_sync import beat_grid, cut_on_beats, nearest_beat

BEATS_120 = [0.25 + 0.5 * k for k in range(120)]  # 120 BPM from 0.25 s, 60 s of beats


def cuts(durations: list[float]) -> list[float]:
    return list(accumulate(durations))


def on_grid(t: float, grid: list[float]) -> bool:
    return any(abs(t - b) < 1e-9 for b in grid)


def test_every_cut_lands_exactly_on_a_beat() -> None:
    out = cut_on_beats([3.0, 2.9, 4.1, 3.3], BEATS_120)
    assert len(out) == 4
    assert all(on_grid(c, BEATS_120) for c in cuts(out))


def test_guided_durations_are_honoured_to_the_nearest_beat() -> None:
    guide = [3.0, 2.9, 4.1, 3.3]
    out = cut_on_beats(guide, BEATS_120)
    for got, want in zip(cuts(out), cuts(guide), strict=True):
        assert abs(got - want) <= 0.25 + 1e-9  # half a beat at 120 BPM


def test_minimum_duration_is_held_by_spanning_several_beats() -> None:
    out = cut_on_beats([0.4, 0.4, 0.4, 3.0], BEATS_120, min_duration=1.5)
    assert all(d >= 1.5 - 1e-9 for d in out)
    assert all(on_grid(c, BEATS_120) for c in cuts(out))


@pytest.mark.parametrize("every", [2, 4])
def test_every_second_or_fourth_beat(every: int) -> None:
    grid = BEATS_120[::every]
    out = cut_on_beats([3.0, 2.0, 5.0, 2.5], BEATS_120, every=every, min_duration=1.0)
    assert all(on_grid(c, grid) for c in cuts(out))
    assert grid == beat_grid(BEATS_120, every)


def test_cuts_follow_the_cumulative_guide_not_each_duration() -> None:
    # Beats every 1 s; the guide's cuts are 1.4 and 2.6: nearest beats 1 and 3, so the
    # second slide lasts 2 s although the user gave it 1.2 s (cuts do not drift).
    beats = [float(k) for k in range(1, 20)]
    out = cut_on_beats([1.4, 1.2], beats, min_duration=1.0)
    assert cuts(out) == pytest.approx([1.0, 3.0])


def test_clips_keep_their_length_and_the_next_cut_snaps_again() -> None:
    out = cut_on_beats([3.1, 4.37, 2.9], BEATS_120, fixed=[False, True, False])
    assert out[1] == pytest.approx(4.37)
    c = cuts(out)
    assert on_grid(c[0], BEATS_120)
    assert on_grid(c[2], BEATS_120)
    assert out[2] >= 1.5


def test_a_clip_first_and_last() -> None:
    out = cut_on_beats([2.2, 3.0, 1.0], BEATS_120, fixed=[True, False, True])
    assert out[0] == pytest.approx(2.2) and out[2] == pytest.approx(1.0)
    assert on_grid(cuts(out)[1], BEATS_120)


def test_no_beats_changes_nothing() -> None:
    assert cut_on_beats([3.0, 2.0], []) == [3.0, 2.0]


def test_no_slides() -> None:
    assert cut_on_beats([], BEATS_120) == []


def test_one_slide_ends_on_the_nearest_beat() -> None:
    out = cut_on_beats([7.1], BEATS_120)
    assert out == [pytest.approx(7.25)]


def test_slides_past_the_music_keep_their_durations() -> None:
    beats = [0.5 * k for k in range(1, 21)]  # 10 s of beats
    guide = [3.1, 3.1, 3.1, 3.1, 3.1, 3.1]
    out = cut_on_beats(guide, beats)
    c = cuts(out)
    assert all(on_grid(t, beats) for t in c[:3])
    assert out[3:] == pytest.approx(guide[3:])


def test_minimum_that_cannot_fit_falls_back_to_fewer_snapped_slides() -> None:
    beats = [1.0, 2.0, 3.0]
    out = cut_on_beats([1.0, 1.0, 1.0], beats, min_duration=1.5)
    # Only the first slide can be snapped (to 2 s); the others keep their own lengths.
    assert out == pytest.approx([2.0, 1.0, 1.0])


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="fixed"):
        cut_on_beats([1.0, 2.0], BEATS_120, fixed=[True])
    with pytest.raises(ValueError, match="every"):
        cut_on_beats([1.0], BEATS_120, every=0)


def test_nearest_beat() -> None:
    assert nearest_beat(1.3, [1.0, 1.5, 2.0]) == 1.5
    assert nearest_beat(1.0, []) is None
