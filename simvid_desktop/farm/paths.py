"""Paths between the desktop and the farm: a mapping from the desktop's folders to the
workers' mounts of the same shared storage, and the worker's list of folders it may touch.

Mapping is text-level on purpose: the desktop cannot see the workers' mounts, and the
workers cannot see the desktop's. Prefixes match whole path components only.
"""

from __future__ import annotations

import copy
import os
import posixpath
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from simvid_desktop.errors import FarmJobRefused, InvalidInput, NotShared


def _norm(path: str) -> str:
    """A path with one kind of separator and no trailing one (for prefix matching)."""
    text = path.replace("\\", "/")
    return text.rstrip("/") or "/"


@dataclass(frozen=True)
class PathMap:
    """``/Users/ana/Photos=/mnt/photos`` rules; the longest matching prefix wins."""

    rules: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, specs: Iterable[str], where: str = "path map") -> PathMap:
        """Raises InvalidInput naming the rule that is not ``DESKTOP=WORKER``."""
        rules = []
        for spec in specs:
            src, sep, dst = spec.partition("=")
            if not sep or not src.strip() or not dst.strip():
                raise InvalidInput(f"{where}: {spec!r} is not DESKTOP_FOLDER=WORKER_FOLDER")
            rules.append((_norm(src.strip()), _norm(dst.strip())))
        rules.sort(key=lambda r: len(r[0]), reverse=True)
        return cls(tuple(rules))

    def extended(self, specs: Iterable[str]) -> PathMap:
        """These rules plus ``specs`` (a job's own rules)."""
        more = PathMap.parse(specs)
        if not more.rules:
            return self
        rules = sorted({*self.rules, *more.rules}, key=lambda r: len(r[0]), reverse=True)
        return PathMap(tuple(rules))

    def map(self, path: str) -> str:
        text = _norm(path)
        for src, dst in self.rules:
            if text == src:
                return dst
            if text.startswith(src.rstrip("/") + "/"):
                return posixpath.join(dst, text[len(src.rstrip("/")) + 1:])
        return path

    def map_project(self, project: dict[str, Any]) -> dict[str, Any]:
        """A copy of project JSON with every file path mapped."""
        data = copy.deepcopy(project)
        for holder, key in _file_fields(data):
            holder[key] = self.map(holder[key])
        return data


def _file_fields(project: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    """(object, key) of every file path in project JSON: each slide's photo, clip or title
    photo and narration, then the music (one track, or each of a playlist's) and the
    voice-over."""
    holders: list[tuple[Any, str]] = []
    for slide in project.get("slides", []):
        if isinstance(slide, dict):
            holders += [(slide, "image"), (slide.get("clip"), "path"),
                        (slide.get("title"), "photo"), (slide.get("narration"), "path")]
    audio = project.get("audio")
    holders.append((audio, "path"))
    tracks = audio.get("tracks") if isinstance(audio, dict) else None
    if isinstance(tracks, list):
        holders += [(track, "path") for track in tracks]
    holders.append((project.get("voice_over"), "path"))
    for holder, key in holders:
        if isinstance(holder, dict) and isinstance(holder.get(key), str):
            yield holder, key


def project_files(project: dict[str, Any]) -> Iterator[str]:
    """Every file a project JSON names (photos, clips, title photos, narrations, then
    music and voice-over)."""
    for holder, key in _file_fields(project):
        yield holder[key]


@dataclass(frozen=True)
class MediaRoots:
    """The folders a worker may read photos from and write videos to.

    A path must lie strictly inside a root: a root itself is never a photo, an output or
    a work folder (a job must not be able to name the whole share as its folder).
    """

    roots: tuple[Path, ...]

    @classmethod
    def of(cls, folders: Iterable[str | Path]) -> MediaRoots:
        return cls(tuple(Path(os.path.realpath(Path(f).expanduser())) for f in folders))

    def contains(self, path: str | PurePath) -> bool:
        if not os.path.isabs(path):
            return False
        real = Path(os.path.realpath(path))  # symlinks and ".." cannot escape a root
        return any(root in real.parents for root in self.roots)

    def check(self, paths: Iterable[str]) -> None:
        """Raises NotShared for the first path outside every root (FarmJobRefused for a
        root itself)."""
        for path in paths:
            if not self.contains(path):
                if os.path.isabs(path) and Path(os.path.realpath(path)) in self.roots:
                    raise FarmJobRefused(f"{path}: a shared media folder itself, not a file "
                                         "or folder inside it")
                raise NotShared(path, self.roots)
