"""Checking a project before it is queued: every problem at once, each naming its file or field."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from simvid_desktop.errors import MediaError, Problem, ProjectInvalid
from simvid_desktop.model.project import (
    OutputFormat,
    Project,
    Slide,
    check_project,
    suffix_problem,
)
from simvid_desktop.render.clips import probe_clip
from simvid_desktop.render.ffmpeg import probe_media
from simvid_desktop.render.images import probe_image

#: How much shorter than the project says a clip may turn out (container rounding).
CLIP_LENGTH_SLACK = 0.1


def _slide_problem(slide: Slide) -> Problem | None:
    """Open the slide's file as what it is meant to be: a photo, a clip, a title's photo."""
    try:
        if slide.clip is not None:
            info = probe_clip(slide.clip.path)
            if info.duration + CLIP_LENGTH_SLACK < slide.clip.end:
                return Problem(str(slide.clip.path), f"is {info.duration:.2f} s long, shorter "
                               f"than its trim-out point at {slide.clip.end:.2f} s (the file "
                               "changed since it was added?)")
        elif slide.source is not None:
            probe_image(slide.source)
    except MediaError as exc:
        return Problem(exc.path, exc.reason)
    return None


def sound_files(project: Project, *, music: bool) -> list[Path]:
    """Each music file of the playlist (``music``), or each narration file, once."""
    if music:
        return project.audio.paths if project.audio is not None else []
    found = [project.voice_over.path] if project.voice_over is not None else []
    found += [s.narration.path for s in project.slides if s.narration is not None]
    return list(dict.fromkeys(found))


def audio_problem(path: Path, missing: str = "music file not found") -> Problem | None:
    if not path.is_file():
        return Problem(str(path), missing)
    if not os.access(path, os.R_OK):
        return Problem(str(path), "permission denied")
    info = probe_media(path)
    if info is None:
        return Problem(str(path), "not a sound or video file ffmpeg can read")
    if not info.has_audio:
        return Problem(str(path), "has no audio stream")
    return None


def output_problem(output: Path, fmt: OutputFormat = OutputFormat.MP4) -> Problem | None:
    parent = output.parent if str(output.parent) else Path(".")
    wrong_suffix = suffix_problem(output.suffix, fmt)
    if wrong_suffix is not None:
        return Problem(str(output), wrong_suffix)
    if not parent.is_dir():
        return Problem(str(output), f"folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        return Problem(str(output), f"folder {parent} is not writable")
    if output.is_dir():
        return Problem(str(output), "is a folder")
    return None


def preflight(project: Project, output: Path | None = None) -> list[Problem]:
    """All problems with the project's values, its files and the output path."""
    problems = check_project(project)
    # Each file once, however many slides show it.
    slides = list({(s.kind, s.source, s.clip.end if s.clip else None): s
                   for s in project.slides if s.source}.values())
    with ThreadPoolExecutor(max_workers=4) as pool:
        problems += [p for p in pool.map(_slide_problem, slides) if p is not None]
    # Every track of the playlist and every narration, each named in its own problem.
    with ThreadPoolExecutor(max_workers=4) as pool:
        found = [*pool.map(audio_problem, sound_files(project, music=True)),
                 *pool.map(lambda p: audio_problem(p, "voice-over file not found"),
                           sound_files(project, music=False))]
    problems += [p for p in found if p is not None]
    if output is not None:
        p = output_problem(output, project.output.format)
        if p is not None:
            problems.append(p)
    return problems


def ensure_valid(project: Project, output: Path | None = None) -> None:
    problems = preflight(project, output)
    if problems:
        raise ProjectInvalid(problems)


def ensure_still_there(project: Project) -> None:
    """For a project that passed the preflight when it was queued: one stat per file, not
    a second full check, so that a file moved away since is named before rendering starts.

    Raises:
        ProjectInvalid: naming every file that is gone.
    """
    paths = [s.source for s in project.slides if s.source is not None]
    paths += sound_files(project, music=True) + sound_files(project, music=False)
    gone = [Problem(str(p), "file not found (it was there when the job was queued)")
            for p in dict.fromkeys(paths) if not p.is_file()]
    if gone:
        raise ProjectInvalid(gone)
