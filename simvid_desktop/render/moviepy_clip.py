"""A show as a moviepy clip, for scripting: speed it up, cut it, put it in a bigger edit.

The frames are the app's own (the compositor behind the preview and the render, converted
to RGB as a player shows them), the sound is the app's soundtrack (written once to a WAV in
a temporary folder), so nothing here re-implements the show in moviepy.

moviepy is optional (``pip install 'simvid-desktop[moviepy]'``): it is imported only when a
clip is made, so neither the window nor the renderer ever needs it.

    with show_clip("show.simvid") as show:
        show.subclipped(0, 2).write_videofile("start.mp4")

Close the clip (or use it as a context manager): that stops the compositor and the audio
reader's ffmpeg and removes the temporary folder. moviepy's own rule holds: its derived
clips (``subclipped``, ``with_effects``, …) share these resources, so closing any one of
them closes the show for all.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import weakref
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from simvid_desktop.model.project import Project, parse_resolution
from simvid_desktop.model.project_io import load_project
from simvid_desktop.render.audio import SAMPLE_RATE
from simvid_desktop.render.compositor import Compositor
from simvid_desktop.render.preflight import ensure_valid
from simvid_desktop.render.soundtrack import write_soundtrack
from simvid_desktop.render.yuv import frame_to_rgb

logger = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'simvid-desktop[moviepy]'"


def _moviepy() -> Any:
    try:
        import moviepy  # noqa: PLC0415 - optional: only scripts that make clips need it
    except ImportError as exc:
        raise ImportError(f"show_clip needs moviepy: {INSTALL_HINT}") from exc
    return moviepy


class _ShowFrames:
    """The show's frames as moviepy asks for them: any thread, any time, in any order.

    moviepy may call from its own threads (its writers, a preview); the compositor is for
    one caller at a time, so a lock guards it. The last frame is kept: moviepy asks for
    the same time more than once (its size probe, effects that look back).
    """

    def __init__(self, comp: Compositor) -> None:
        self.comp = comp
        self.lock = threading.Lock()
        self.closed = False
        self._last: tuple[int, np.ndarray] | None = None

    def frame_at(self, t: float) -> np.ndarray:
        """The RGB frame a player shows at ``t`` seconds (a copy the caller may change)."""
        with self.lock:
            if self.closed:
                raise ValueError("the show clip is closed")
            n = self.comp.timeline.frame_at_time(float(t))
            if self._last is None or self._last[0] != n:
                self._last = (n, frame_to_rgb(self.comp.frame(n)))
            return np.array(self._last[1])

    def close(self) -> None:
        with self.lock:
            self.closed = True
            self._last = None
            self.comp.close()


def _release(frames: _ShowFrames, audio: Any, folder: Path) -> None:
    """Close what a show clip holds; run once, by close() or when the clip is collected."""
    if audio is not None:
        audio.close()
    frames.close()
    shutil.rmtree(folder, ignore_errors=True)


class _Held:
    """What every copy of a show clip shares; its collection releases the resources."""


@cache
def _show_clip_class() -> type:
    moviepy = _moviepy()
    from moviepy.audio.io.readers import FFMPEG_AudioReader  # noqa: PLC0415 - as above

    video_clip: Any = moviepy.VideoClip
    audio_reader: Any = FFMPEG_AudioReader

    class ClosingReader(audio_reader):  # type: ignore[misc]
        """moviepy's audio reader, closing its pipes whether or not ffmpeg has finished.

        moviepy 2.2's ``close`` closes them only while ffmpeg runs: a reader that reached
        the end of the file leaves two open pipes behind at every seek and at the end.
        """

        proc: Any  #: the running ffmpeg (a Popen), or None

        def close(self) -> None:
            proc = self.proc
            if proc is None:
                return
            if proc.poll() is None:
                proc.terminate()
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
            proc.wait()
            self.proc = None

    closing_reader = ClosingReader

    class ShowClip(video_clip):  # type: ignore[misc]
        """A moviepy ``VideoClip`` of a show; :meth:`close` frees what it holds."""

        def __init__(self, project: Project, size: tuple[int, int]) -> None:
            folder = Path(tempfile.mkdtemp(prefix="simvid-moviepy-"))
            frames = _ShowFrames(Compositor(project, size))
            audio = None
            try:
                wav = write_soundtrack(project, folder / "soundtrack.wav")
                audio = moviepy.AudioFileClip(str(wav), fps=SAMPLE_RATE)
                audio.reader.__class__ = closing_reader
                super().__init__(frame_function=frames.frame_at,
                                 duration=frames.comp.timeline.total)
            except BaseException:
                _release(frames, audio, folder)
                raise
            self.fps = project.output.fps
            self.audio = audio
            self.project = project
            self.temp_folder = folder
            # moviepy's derived clips are shallow copies: they share this token, and the
            # resources go when the last of them is collected, or at the first close().
            self._held = _Held()
            self._release = weakref.finalize(self._held, _release, frames, audio, folder)

        def close(self) -> None:
            """Stop the compositor and the audio reader, remove the temporary folder."""
            self._release()
            super().close()

    return ShowClip


def show_clip(project: Project | str | Path, size: tuple[int, int] | None = None) -> Any:
    """The show as a moviepy ``VideoClip`` with its soundtrack as the clip's audio.

    Args:
        project: a :class:`Project`, or the path of a ``.simvid`` file.
        size: the frames' size (odd sides are rounded up to even, as the app does);
            None: the project's output size.

    The clip lasts exactly the show, at the project's fps; frame ``n`` is the very frame
    the app renders (``frame_to_rgb(Compositor(project).frame(n))``), shown for
    ``[n / fps, (n + 1) / fps)``. Close it when done (or use ``with``).

    Raises:
        ImportError: moviepy is not installed (the message says how to install it).
        ProjectInvalid / MediaError: the project or one of its files cannot be used.
        ValueError: ``size`` is not a frame size the app can render.
    """
    cls = _show_clip_class()
    if not isinstance(project, Project):
        project = load_project(project)
    ensure_valid(project)
    frame_size = project.output.size if size is None else parse_resolution(f"{size[0]}x{size[1]}")
    logger.info("moviepy clip of a %d-slide show at %dx%d", len(project.slides), *frame_size)
    return cls(project, tuple(frame_size))
