"""How times and sizes are written for people: one spelling everywhere.

Times read like a player's clock (``0:42``, ``1:02:03``), sizes like a file manager's
(``850 kB``, ``1.4 MB``, ``18 MB``). The window, the CLI and the queue all use these, so a
length or a size reads the same wherever it is shown.
"""

from __future__ import annotations

#: decimal units, as file managers show sizes on every platform now
_SIZE_UNITS = ("kB", "MB", "GB", "TB")


def format_duration(seconds: float, *, tenths: bool = False) -> str:
    """``0:42``, ``12:05``, ``1:02:03``: rounded to the second, or with ``tenths`` to a tenth
    (``0:12.4``, as the preview's playhead moves). Negative times show as zero."""
    scale = 10 if tenths else 1
    steps = round(max(0.0, seconds) * scale)
    whole, tenth = divmod(steps, scale)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
    return f"{text}.{tenth}" if tenths else text


def format_eta(seconds: float | None) -> str:
    """The time left, spelt like any other length; ``--:--`` while it is not known yet."""
    return "--:--" if seconds is None else format_duration(seconds)


def format_size(size: float) -> str:
    """``512 bytes``, ``850 kB``, ``1.4 MB``, ``18 MB``: two or three significant figures,
    enough to compare two videos and no more than the size estimate can promise."""
    if size < 999.5:
        count = max(0, round(size))
        return f"{count} byte{'' if count == 1 else 's'}"
    value, unit = size / 1000, 0
    while value >= 999.5 and unit < len(_SIZE_UNITS) - 1:  # 999.7 kB reads 1.0 MB
        value, unit = value / 1000, unit + 1
    return f"{value:.{1 if value < 9.95 else 0}f} {_SIZE_UNITS[unit]}"
