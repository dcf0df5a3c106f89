"""File kinds Simvid accepts, by name suffix (contents are still sniffed when decoding)."""

from __future__ import annotations

import os
import re
from pathlib import Path

IMAGE_SUFFIXES = frozenset({
    ".jpg", ".jpeg", ".jfif", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif", ".heic",
})
AUDIO_SUFFIXES = frozenset({".mp3", ".m4a", ".aac", ".wav", ".flac", ".ogg", ".opus"})
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".mkv", ".webm", ".m4v", ".avi"})
MUSIC_SUFFIXES = AUDIO_SUFFIXES | VIDEO_SUFFIXES  #: a video's soundtrack is accepted too


def is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def is_music(path: Path) -> bool:
    return path.suffix.lower() in MUSIC_SUFFIXES


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that puts IMG_2 before IMG_10, as file managers do."""
    parts = re.split(r"(\d+)", name.casefold())
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts if p)


def images_in(folder: Path) -> list[Path]:
    """The photos directly inside ``folder`` (hidden files skipped), in natural name order.

    Names are filtered before anything is asked of the file system, and ``os.scandir``
    knows from the listing itself which entries are files: adding a folder of 500 photos
    makes no stat call per photo (it runs on the UI thread when photos are dropped).
    """
    with os.scandir(folder) as entries:
        names = [e.name for e in entries
                 if not e.name.startswith(".")
                 and os.path.splitext(e.name)[1].lower() in IMAGE_SUFFIXES and e.is_file()]
    names.sort(key=natural_key)
    return [folder / name for name in names]
