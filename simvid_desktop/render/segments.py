"""Long shows in segments: each piece is its own file, so a crash costs only the piece in
progress, and pieces can be rendered by different workers and joined without re-encoding.

A work folder holds ``plan.json`` (a fingerprint of everything that affects the pixels),
the finished pieces ``seg-NNNN.mp4``, the music ``audio.m4a``, and for each of those a
record ``seg-NNNN.json`` / ``audio.json`` of what was finished (size, frames, SHA-256).
A piece is written under a temporary name, fsynced, renamed into place, and only then
recorded (durably). A power cut can leave a finished name holding an empty or truncated
file; the record tells: a piece is reused only if it still matches its record, otherwise
it is rendered again, never joined. If the project changes, the old pieces are discarded.
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
from simvid_desktop.durable import fsync_dir, fsync_file, write_atomic
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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class WorkDir:
    """The pieces of one render on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        #: Files found to match their record, with the stat that was checked (a file is
        #: hashed once per WorkDir, not at every look, unless it changed since).
        self._verified: dict[Path, tuple[int, ...]] = {}

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
        """Whether piece ``seg`` is finished and intact (checked against its record)."""
        return self.verified(self.segment_path(seg), seg.frames)

    @staticmethod
    def record_path(final: Path) -> Path:
        return final.with_suffix(".json")

    def commit(self, part: Path, final: Path, frames: int = 0) -> None:
        """Make ``part`` (complete: ffmpeg has exited) the finished ``final``, durably, then
        record it. A crash at any step leaves a piece that is rendered again, never one
        that is trusted wrongly: the old record goes first, the new one comes last."""
        fsync_file(part)
        record = {"size": part.stat().st_size, "frames": frames, "sha256": _sha256(part)}
        self.record_path(final).unlink(missing_ok=True)
        part.replace(final)
        fsync_dir(self.path)
        write_atomic(self.record_path(final), json.dumps(record).encode())

    def verified(self, final: Path, frames: int = 0) -> bool:
        """Whether ``final`` is what its record says was finished: same size, frames and
        content. A damaged piece (power cut, disk error) is named in the log."""
        try:
            record = json.loads(self.record_path(final).read_text(encoding="utf-8"))
            st = final.stat()
        except FileNotFoundError:
            return False
        except (OSError, ValueError) as exc:
            logger.warning("%s: unreadable record (%s); rendering it again", final.name, exc)
            return False
        key = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        if self._verified.get(final) == key:
            return True
        if not isinstance(record, dict) or record.get("frames") != frames:
            problem = "its record does not match this piece"
        elif record.get("size") != st.st_size:
            problem = f"{st.st_size} bytes instead of {record.get('size')}"
        elif record.get("sha256") != _sha256(final):
            problem = "its content changed since it was finished"
        else:
            self._verified[final] = key
            return True
        self._verified.pop(final, None)
        logger.warning("%s is damaged (%s); rendering it again", final.name, problem)
        return False

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
