"""A show as a moviepy clip: the app's frames and soundtrack, cleaned up when closed, and
the README's example run as it is written."""

from __future__ import annotations

import gc
import re
import sys
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from simvid_desktop.model.project import (
    AudioBed,
    OutputSettings,
    Project,
    Resolution,
    Slide,
    Transition,
    TransitionKind,
)
from simvid_desktop.model.project_io import save_project
from simvid_desktop.render import moviepy_clip
from simvid_desktop.render.compositor import Compositor
from simvid_desktop.render.moviepy_clip import show_clip
from simvid_desktop.render.yuv import frame_to_rgb
from tests.integration.media import ffmpeg_children, probe, solid, tone

README = Path(__file__).resolve().parents[2] / "README.md"
FPS = 25


def tiny_show(folder: Path) -> Project:
    """Three 160x90 photos of 1 s with 0.4 s fades and 3 s of music, at 25 fps."""
    colors = [(220, 30, 30), (30, 200, 40), (30, 60, 220)]
    photos = [solid(folder / f"p{i}.jpg", c, (160, 90)) for i, c in enumerate(colors)]
    return Project(
        slides=tuple(Slide(p) for p in photos), default_duration=1.0,
        transition=Transition(TransitionKind.FADE, 0.4),
        audio=AudioBed.single(tone(folder / "music.wav", 4.0), fade_out=0),
        output=OutputSettings(resolution=Resolution("160x90"), fps=FPS),
    )


def temp_folders() -> set[Path]:
    import tempfile
    return set(Path(tempfile.gettempdir()).glob("simvid-moviepy-*"))


def test_frames_are_the_apps_frames_and_the_audio_is_the_soundtrack(tmp_path: Path) -> None:
    project = tiny_show(tmp_path)
    with show_clip(project) as clip, Compositor(project) as comp:
        assert clip.duration == pytest.approx(3.0)
        assert clip.fps == FPS
        assert tuple(clip.size) == (160, 90)
        # Frame n is shown for [n/fps, (n+1)/fps): the start, the middle of a fade, a
        # time inside a frame, the last frame and the very end.
        for t, n in ((0.0, 0), (1.0, 25), (1.013, 25), (1.5, 37), (2.96, 74), (3.0, 74)):
            assert np.array_equal(clip.get_frame(t), frame_to_rgb(comp.frame(n))), t
        assert clip.audio is not None
        assert clip.audio.duration == pytest.approx(3.0, abs=1 / 48000)
        sound = clip.audio.subclipped(0.5, 0.6).to_soundarray()
        assert sound.shape[1] == 2 and np.abs(sound).max() > 0.05  # the music is there


def test_a_size_and_a_project_file(tmp_path: Path) -> None:
    project = tiny_show(tmp_path)
    save_project(project, tmp_path / "show.simvid")
    with show_clip(str(tmp_path / "show.simvid"), size=(64, 36)) as clip, \
            Compositor(project, (64, 36)) as comp:
        assert tuple(clip.size) == (64, 36)
        assert np.array_equal(clip.get_frame(1.0), frame_to_rgb(comp.frame(25)))


def test_frames_asked_from_several_threads_are_right(tmp_path: Path) -> None:
    project = tiny_show(tmp_path)
    with Compositor(project) as comp:
        expected = {n: frame_to_rgb(comp.frame(n)) for n in range(0, 75, 3)}
    wrong: list[int] = []
    with show_clip(project) as clip:
        def ask(offset: int) -> None:
            for n in list(expected)[offset::4] * 3:
                if not np.array_equal(clip.get_frame(n / FPS), expected[n]):
                    wrong.append(n)
        threads = [threading.Thread(target=ask, args=(k,)) for k in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    assert wrong == []


def test_closing_frees_everything_for_the_clips_made_from_it(tmp_path: Path) -> None:
    before = temp_folders()
    # 12 s of sound: more than moviepy's audio reader buffers, so its ffmpeg keeps running.
    clip = show_clip(replace(tiny_show(tmp_path), default_duration=4.0))
    folder = clip.temp_folder
    assert ffmpeg_children() != []
    assert (folder / "soundtrack.wav").is_file()
    assert temp_folders() - before == {folder}
    part = clip.subclipped(0, 1)
    part.close()  # moviepy's rule: derived clips share the resources
    assert not folder.exists()
    assert ffmpeg_children() == []  # the audio reader's ffmpeg is gone
    with pytest.raises(ValueError, match="closed"):
        clip.get_frame(0.5)
    clip.close()  # twice is harmless
    # A clip never closed is released when the last clip made from it is collected.
    part = show_clip(tiny_show(tmp_path)).subclipped(0, 1)
    assert part.get_frame(0.2).shape == (90, 160, 3)
    del part
    gc.collect()
    assert temp_folders() == before
    assert ffmpeg_children() == []


def test_without_moviepy_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "moviepy", None)
    with pytest.raises(ImportError, match=re.escape("pip install 'simvid-desktop[moviepy]'")):
        moviepy_clip._moviepy()


def readme_example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Scripting with moviepy", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1
    return blocks[0]


def test_the_readme_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save_project(tiny_show(tmp_path), tmp_path / "show.simvid")
    monkeypatch.chdir(tmp_path)
    before = temp_folders()
    exec(compile(readme_example(), "README.md", "exec"), {"__name__": "readme"})
    fast = probe(tmp_path / "fast.mp4")
    assert fast["duration"] == pytest.approx(1.5, abs=0.1)  # 3 s at double speed
    assert (fast["width"], fast["height"]) == (320, 180)
    assert fast["audio"] is not None
    gif = tmp_path / "start.gif"
    assert gif.read_bytes()[:6] == b"GIF89a"
    assert temp_folders() == before
