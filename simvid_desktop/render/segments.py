"""Long shows in segments: each piece is its own file, so a crash costs only the piece in
progress, and pieces can be rendered by different workers and joined without re-encoding.

A work folder holds ``plan.json`` (a fingerprint of everything that affects the pixels),
the finished pieces ``seg-NNNN.mp4``, the music ``audio.m4a`` and nothing else that
counts: a piece is renamed into place only once ffmpeg has finished it, so a file with a
final name is always complete. If the project changes, the old pieces are discarded.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from simvid_desktop import __version__
from simvid_desktop.model.project import Project
from simvid_desktop.model.project_io import project_to_dict
from simvid_desktop.model.settings import SEGMENT_SECONDS
from simvid_desktop.model.timeline import Timeline

logger = logging.getLogger(__name__)



@dataclass(frozen=True)
class Segment:
    index: int
    first: int  #: first frame
    end: int  #: one past the last frame

    @property
    def frames(self) -> int:
        return self.end - self.first


def plan_segments(project: Project, seconds: float = SEGMENT_SECONDS) -> list[Segment]:
    """Cut the show's frames into pieces of about ``seconds`` each."""
    total = Timeline(project).frame_count
    size = max(1, round(seconds * project.output.fps))
    return [Segment(i, first, min(total, first + size))
            for i, first in enumerate(range(0, total, size))]


def fingerprint(project: Project, segments: list[Segment]) -> str:
    data = {
        "engine": __version__,
        "project": project_to_dict(project),
        "size": project.output.size,
        "encoder": [project.output.encoder.crf, project.output.encoder.x264_preset],
        "segments": [(s.first, s.end) for s in segments],
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


class WorkDir:
    """The pieces of one render on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def segment_path(self, seg: Segment) -> Path:
        return self.path / f"seg-{seg.index:04d}.mp4"

    @property
    def audio_path(self) -> Path:
        return self.path / "audio.m4a"

    def part(self, final: Path) -> Path:
        """A name to write ``final`` under until it is complete (unique: several workers
        of a farm may share the folder)."""
        return final.with_name(f"{final.stem}.{uuid.uuid4().hex[:8]}.part.mp4")

    def prepare(self, key: str, *, clear_parts: bool = True) -> None:
        """Create the folder, or empty it if it holds pieces of a different render.

        ``clear_parts`` removes unfinished pieces a crash left; a farm worker joining a
        shared render passes False, since other workers may be writing theirs.
        """
        plan = self.path / "plan.json"
        if self.path.exists():
            try:
                same = json.loads(plan.read_text()).get("key") == key
            except (OSError, ValueError):
                same = False
            if not same:
                logger.info("discarding stale segments in %s", self.path)
                shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True, exist_ok=True)
        if clear_parts:
            for stale in self.path.glob("*.part.mp4"):  # left by a crash mid-piece
                stale.unlink(missing_ok=True)
        if not plan.exists():
            tmp = plan.with_suffix(".tmp")
            tmp.write_text(json.dumps({"key": key}))
            tmp.replace(plan)

    def done(self, seg: Segment) -> bool:
        return self.segment_path(seg).is_file()

    def concat_list(self, segments: list[Segment]) -> Path:
        listing = self.path / "concat.txt"
        lines = []
        for seg in segments:
            name = self.segment_path(seg).name  # plain names: no quoting issues
            lines.append(f"file '{name}'")
        listing.write_text("\n".join(lines) + "\n")
        return listing

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
