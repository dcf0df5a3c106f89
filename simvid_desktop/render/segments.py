"""Long shows in segments: each piece is its own file, so a crash costs only the piece in
progress, and pieces can be rendered by different workers and joined without re-encoding.

A work folder holds ``plan.json`` (a fingerprint of everything that affects the pixels),
the finished pieces ``seg-NNNN.mp4`` (``.webm``, ``.mov``: the format's container), the
music ``audio.m4a`` (``.webm``, ``.mov``; a GIF has none), and for each of those a
record ``seg-NNNN.json`` / ``audio.json`` of what was finished (size, frames, SHA-256).
A piece is written under a temporary name, fsynced, renamed into place, and only then
recorded (durably). A power cut can leave a finished name holding an empty or truncated
file; the record tells: a piece is reused only if it still matches its record, otherwise
it is rendered again, never joined. If the project changes, the old pieces are discarded.

A work folder carries a marker file, written when Simvid creates it. Simvid deletes a
work folder, or empties a stale one, only when it carries the marker and holds nothing
but files with the names Simvid writes there: a path that names someone else's folder
(by mistake, or in a planted farm job) costs nothing but a failed job.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simvid_desktop import __version__
from simvid_desktop.durable import fsync_dir, fsync_file, write_atomic
from simvid_desktop.errors import OutputError
from simvid_desktop.model.project import OutputFormat, Project, VideoEncoder
from simvid_desktop.model.project_io import project_to_dict
from simvid_desktop.model.settings import SEGMENT_SECONDS
from simvid_desktop.model.timeline import Timeline
from simvid_desktop.render.formats import audio_piece, piece_container

logger = logging.getLogger(__name__)

#: The folder a farm job's work folder lies in, beside its output (removed when empty).
SHARED_WORK_PARENT = ".simvid-work"
#: Written into every work folder Simvid creates: without it, a folder is not Simvid's.
MARKER = ".simvid-work-folder"
_MARKER_TEXT = "A Simvid render's work folder: Simvid deletes it when the render ends.\n"
#: Names Simvid writes in a work folder (plan.json, seg-0001.mp4, audio.m4a, concat.txt,
#: their ``.<random>.part.mp4`` (``.webm``, ...) and ``.tmp`` forms, records such as
#: ``seg-0001.json`` and the hidden temporary names of atomic writes,
#: ``.seg-0001.json.<random>.tmp``).
_OWN_NAME = re.compile(r"\.?(plan|concat|audio|chapters|seg-[0-9]{4,})(\.[A-Za-z0-9_-]+)+")


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


def fingerprint(project: Project, segments: list[Segment],
                encoder: VideoEncoder = VideoEncoder.SOFTWARE) -> str:
    """What the pieces in a work folder were made from: pieces of another project, plan or
    encoder are not reused."""
    preset = project.output.encoder
    data: dict[str, Any] = {
        "engine": __version__,
        "project": project_to_dict(project),
        "size": project.output.size,
        "encoder": [preset.crf, preset.x264_preset],
        "segments": [(s.first, s.end) for s in segments],
    }
    if encoder is not VideoEncoder.SOFTWARE:  # software keeps the fingerprints it had
        data["video_encoder"] = encoder.value
    elif preset.x264_params:  # pieces of other x264 options do not join
        data["x264_params"] = preset.x264_params
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class WorkDir:
    """The pieces of one render on disk (in the containers of format ``fmt``)."""

    def __init__(self, path: Path, fmt: OutputFormat = OutputFormat.MP4) -> None:
        self.path = path
        self.format = fmt
        #: Files found to match their record, with the stat that was checked (a file is
        #: hashed once per WorkDir, not at every look, unless it changed since).
        self._verified: dict[Path, tuple[int, ...]] = {}

    def segment_path(self, seg: Segment) -> Path:
        return self.path / f"seg-{seg.index:04d}{piece_container(self.format).suffix}"

    @property
    def audio_path(self) -> Path:
        return self.path / f"audio{audio_piece(self.format).suffix}"

    def part(self, final: Path) -> Path:
        """A name to write ``final`` under until it is complete (unique: several workers
        of a farm may share the folder)."""
        return final.with_name(f"{final.stem}.{uuid.uuid4().hex[:8]}.part{final.suffix}")

    def prepare(self, key: str, *, clear_parts: bool = True) -> None:
        """Create the folder, or empty it if it holds pieces of a different render.

        ``clear_parts`` removes unfinished pieces a crash left; a farm worker joining a
        shared render passes False, since other workers may be writing theirs.

        Raises:
            OutputError: the path is a file or a link, or a folder Simvid did not create
                (it is left as it is).
        """
        plan = self.path / "plan.json"
        if self.path.is_symlink() or (self.path.exists() and not self.path.is_dir()):
            raise OutputError(self.path, "not a folder Simvid can use for its pieces")
        if self.path.exists():
            own = self._own_files()
            if own is None and any(self.path.iterdir()):
                raise OutputError(self.path, "this folder was not made by Simvid; its files "
                                  "are left alone (choose another output folder)")
            try:
                same = json.loads(plan.read_text()).get("key") == key
            except (OSError, ValueError):
                same = False
            if not same and own:
                logger.info("discarding stale segments in %s", self.path)
                for name in own:
                    (self.path / name).unlink(missing_ok=True)
        self.path.mkdir(parents=True, exist_ok=True)
        marker = self.path / MARKER
        if not marker.exists():
            marker.write_text(_MARKER_TEXT)
        if clear_parts:
            for stale in self.path.glob("*.part.*"):  # left by a crash mid-piece
                stale.unlink(missing_ok=True)
        if not plan.exists():
            tmp = plan.with_suffix(".tmp")
            tmp.write_text(json.dumps({"key": key}))
            tmp.replace(plan)

    def _own_files(self) -> list[str] | None:
        """The folder's files other than the marker, if it is Simvid's (it carries the
        marker and holds only plain files with Simvid's names); None otherwise."""
        names: list[str] = []
        marked = False
        with os.scandir(self.path) as entries:
            for entry in entries:
                if not entry.is_file(follow_symlinks=False):
                    return None
                if entry.name == MARKER:
                    marked = True
                elif _OWN_NAME.fullmatch(entry.name):
                    names.append(entry.name)
                else:
                    return None
        return names if marked else None

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

    @property
    def chapters_path(self) -> Path:
        """Where the join's chapter metadata is written (one of the folder's own names)."""
        return self.path / "chapters.ffmeta"

    def concat_list(self, segments: list[Segment]) -> Path:
        listing = self.path / "concat.txt"
        lines = []
        for seg in segments:
            name = self.segment_path(seg).name  # plain names: no quoting issues
            lines.append(f"file '{name}'")
        listing.write_text("\n".join(lines) + "\n")
        return listing

    def remove(self) -> None:
        """Delete the folder if it is Simvid's (see ``_own_files``), file by file: a folder
        without the marker, or holding anything else, is left as it is. Then the shared
        ``.simvid-work`` folder above it goes too, if that leaves it empty."""
        if self.path.is_dir() and not self.path.is_symlink():
            own = self._own_files()
            if own is None:
                logger.warning("work folder %s left in place: Simvid did not make it, or "
                               "it holds files Simvid did not write", self.path)
                return
            for name in [*own, MARKER]:
                (self.path / name).unlink(missing_ok=True)
            try:
                self.path.rmdir()  # fails if a file appeared meanwhile: it stays
            except OSError as exc:
                logger.warning("work folder %s not removed: %s", self.path, exc)
                return
        if self.path.parent.name == SHARED_WORK_PARENT:
            with contextlib.suppress(OSError):  # only when empty: other jobs may use it
                self.path.parent.rmdir()
