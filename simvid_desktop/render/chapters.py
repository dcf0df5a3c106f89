"""Chapters into the video (an ffmetadata input of the final ffmpeg run) and, when asked,
beside it as a YouTube-style list.

The list is the video's: it is named after the file the video finally got (``show
(2).mp4`` -> ``show (2).chapters.txt``) and, like the video, never replaces a file that is
there already (it is then left out, with a warning: the chapters are in the video).
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from simvid_desktop.durable import fsync_file, move_no_replace
from simvid_desktop.model.chapters import Chapter, youtube_list

logger = logging.getLogger(__name__)


def _escape(text: str) -> str:
    """ffmetadata quoting: ``=``, ``;``, ``#``, ``\\`` and newlines are backslashed."""
    for ch in ("\\", "=", ";", "#", "\n"):
        text = text.replace(ch, "\\" + ch)
    return text


def ffmetadata(chapters: list[Chapter]) -> str:
    lines = [";FFMETADATA1"]
    for c in chapters:
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={round(c.start * 1000)}",
                  f"END={round(c.end * 1000)}", f"title={_escape(c.title)}"]
    return "\n".join(lines) + "\n"


def chapter_args(metadata: Path | None, input_index: int) -> tuple[list[str], list[str]]:
    """(input options, output options) that put the chapters of ``metadata`` into the
    video; nothing for None. ``input_index``: the index the metadata input will have."""
    if metadata is None:
        return [], []
    return ["-f", "ffmetadata", "-i", str(metadata)], ["-map_chapters", str(input_index)]


def write_metadata(chapters: list[Chapter], path: Path) -> Path | None:
    """The ffmetadata file for ``chapters`` at ``path`` (None when there are none)."""
    if not chapters:
        return None
    path.write_text(ffmetadata(chapters), encoding="utf-8")
    return path


def list_path(video: Path) -> Path:
    return video.with_name(f"{video.stem}.chapters.txt")


def write_chapter_list(video: Path, chapters: list[Chapter]) -> Path | None:
    """Write the list beside ``video``; None when there is nothing to write or the name is
    taken (by a file that is not this render's: it is left as it is)."""
    if not chapters:
        return None
    target = list_path(video)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        tmp.write_text(youtube_list(chapters), encoding="utf-8")
        fsync_file(tmp)
        move_no_replace(tmp, target)
    except FileExistsError:
        logger.warning("%s exists; the chapter list was not written (the chapters are in "
                       "the video)", target)
        return None
    except OSError as exc:  # the video is done and in place: a list must not undo that
        logger.warning("the chapter list %s could not be written (%s)", target, exc)
        return None
    finally:
        tmp.unlink(missing_ok=True)
    return target
