"""One spelling of times and sizes: what the window, the CLI and the queue show."""

from __future__ import annotations

import pytest

from simvid_desktop.model.units import format_duration, format_eta, format_size


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0:00"), (0.4, "0:00"), (42.4, "0:42"), (59.6, "1:00"), (725, "12:05"),
    (3599.6, "1:00:00"), (3723, "1:02:03"), (36_000, "10:00:00"), (-3, "0:00"),
])
def test_durations_read_like_a_player_clock(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0:00.0"), (12.44, "0:12.4"), (12.46, "0:12.5"), (59.96, "1:00.0"),
    (3723.25, "1:02:03.2"), (-1, "0:00.0"),
])
def test_the_playhead_shows_tenths(seconds: float, text: str) -> None:
    assert format_duration(seconds, tenths=True) == text


def test_an_eta_is_a_duration_or_unknown() -> None:
    assert format_eta(None) == "--:--"
    assert format_eta(65.0) == format_duration(65.0) == "1:05"
    assert format_eta(7384) == "2:03:04"


@pytest.mark.parametrize(("size", "text"), [
    (0, "0 bytes"), (1, "1 byte"), (999, "999 bytes"), (999.6, "1.0 kB"),
    (1000, "1.0 kB"), (9_949, "9.9 kB"), (9_950, "10 kB"), (195_000, "195 kB"),
    (999_499, "999 kB"), (999_500, "1.0 MB"), (1_240_000, "1.2 MB"), (12_400_000, "12 MB"),
    (18_000_000, "18 MB"), (1_400_000_000, "1.4 GB"), (2_500_000_000_000, "2.5 TB"),
    (4_000_000_000_000_000, "4000 TB"),
])
def test_sizes_use_decimal_units_and_two_or_three_figures(size: float, text: str) -> None:
    assert format_size(size) == text
