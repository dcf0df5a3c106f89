"""The beat analysis in a child process gives what it gives in this one, and stops at once
when cancelled, leaving no process behind."""

from __future__ import annotations

import multiprocessing
import sys
import time
from pathlib import Path

import pytest

from simvid_desktop.errors import RenderCancelled
from simvid_desktop.render.beat_process import analyse_beats_in_process
from simvid_desktop.render.beats import analyse_beats
from tests.integration.media_beats import drum_song, write_wav


def test_the_child_finds_the_same_beats(tmp_path: Path) -> None:
    song = write_wav(tmp_path / "song.wav", drum_song(110, 8.0))
    found = analyse_beats_in_process(song, lambda: False)
    assert found == analyse_beats(song)  # the cache the child wrote, or the same analysis
    assert found.tempo_bpm == pytest.approx(110, abs=2)
    assert not multiprocessing.active_children()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_cancelling_kills_the_child(tmp_path: Path) -> None:
    song = write_wav(tmp_path / "long.wav", drum_song(100, 240.0))
    deadline = time.monotonic() + 0.5
    started = time.monotonic()
    with pytest.raises(RenderCancelled):
        analyse_beats_in_process(song, lambda: time.monotonic() > deadline)
    assert time.monotonic() - started < 3.0
    assert not multiprocessing.active_children()
    # Its ffmpeg was the child's child: it stops on the broken pipe.
    for _ in range(40):
        if not processes_reading(song):
            break
        time.sleep(0.05)
    assert not processes_reading(song)


def processes_reading(path: Path) -> list[int]:
    """PIDs whose command line names ``path`` (Linux: /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(path).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue  # gone meanwhile
    return found
