"""File kinds Simvid accepts, by name suffix (contents are still sniffed when decoding)."""

from __future__ import annotations

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
    """The photos directly inside ``folder`` (hidden files skipped), in natural name order."""
    return sorted(
        (p for p in folder.iterdir() if p.is_file() and is_image(p) and not p.name.startswith(".")),
        key=lambda p: natural_key(p.name),
    )
