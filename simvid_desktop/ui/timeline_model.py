"""The timeline as a Qt list model: one row per slide of the open project.

The model never owns slides: the project value in :class:`ProjectDocument` does. Every
change made through the model (drop, reorder, remove, sort) is one ``document.apply`` and
therefore one undo step; the model then mirrors the new value with the smallest
insert/remove/move notifications it can find, so selection and scroll position survive
edits, undo and redo.
"""

from __future__ import annotations

import json
import logging
import os
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QImage

from simvid_desktop.errors import MediaError
from simvid_desktop.model.media_types import MediaKind, is_image, natural_key, sniff_file
from simvid_desktop.model.project import Project, Slide, SlideKind, Transition, TransitionKind
from simvid_desktop.render.clips import probe_clip
from simvid_desktop.ui.document import ProjectDocument
from simvid_desktop.ui.tasks import FIRST, Pool, TaskChannel
from simvid_desktop.ui.thumbnails import (
    ThumbnailProvider,
    date_taken,
    expand_paths,
    is_clip_file,
    thumbnail_ident,
)

logger = logging.getLogger(__name__)

#: Drag payload of an internal reorder (JSON: owner and row numbers).
ROWS_MIME = "application/x-simvid-slide-rows"
THUMB_SIZE = 160
#: Above this many row operations, one reset is cheaper than many notifications.
MAX_INCREMENTAL_OPS = 64

_AnyIndex = QModelIndex | QPersistentModelIndex
_Token = tuple[object, int]  # what a slide is (see _identity) and which occurrence of it


class TimelineRole(IntEnum):
    """Data roles the timeline delegate and the window read."""

    PathRole = Qt.ItemDataRole.UserRole + 1  #: Path of the photo
    ThumbnailRole = Qt.ItemDataRole.UserRole + 2  #: QImage, or None while loading/failed
    DurationRole = Qt.ItemDataRole.UserRole + 3  #: effective seconds on screen
    CaptionRole = Qt.ItemDataRole.UserRole + 4  #: str or None
    ErrorRole = Qt.ItemDataRole.UserRole + 5  #: why the photo cannot be used, or None
    TransitionRole = Qt.ItemDataRole.UserRole + 6  #: transition into the next slide (None: last)
    TransitionDurationRole = Qt.ItemDataRole.UserRole + 7  #: its seconds
    #: Everything a tile shows in one call, as a :class:`CardData`: painting ten tiles
    #: then crosses from Qt into Python ten times, not seventy.
    CardRole = Qt.ItemDataRole.UserRole + 8


@dataclass(frozen=True)
class CardData:
    """What one timeline tile shows (:attr:`TimelineRole.CardRole`)."""

    name: str
    error: str | None  #: why the photo cannot be used
    thumbnail: QImage | None  #: None while loading (or when the photo failed)
    seconds: float
    caption: bool
    transition: TransitionKind | None  #: into the next slide; None for the last slide
    transition_seconds: float
    kind: SlideKind = SlideKind.PHOTO  #: a clip's tile has a film badge, a card's a "T"


@dataclass(frozen=True)
class AddResult:
    """What one add (a drop, the Add dialog, a folder) put on the timeline."""

    photos: int
    clips: int
    #: One line per file that could not be added (a clip that cannot be read): the
    #: user-facing message, naming the file.
    problems: tuple[str, ...] = ()

    @property
    def added(self) -> int:
        return self.photos + self.clips

    def summary(self, verb: str = "Added") -> str:
        """``Added 2 photos and 1 clip`` (with ``verb="Add"``: the undo step's name)."""
        parts = []
        if self.photos:
            parts.append(f"{self.photos} photo{'s' if self.photos != 1 else ''}")
        if self.clips:
            parts.append(f"{self.clips} clip{'s' if self.clips != 1 else ''}")
        text = f"{verb} " + " and ".join(parts) if parts else "Nothing added"
        if self.problems:
            text += f"; {len(self.problems)} file(s) could not be added"
        return text


def _sniffed_video(path: Path) -> bool:
    """Whether a file named without a known suffix holds a video (its first bytes say)."""
    return sniff_file(path) is MediaKind.VIDEO


def _probe_lengths(clips: list[Path], unknown: list[Path]) -> dict[Path, float | str]:
    """Each clip's length in seconds, or the one-line reason it cannot be used; files of
    no known suffix that hold a video are probed too. On a pool: it reads files and runs
    ffmpeg once per clip."""
    out: dict[Path, float | str] = {}
    for path in [*clips, *(p for p in unknown if _sniffed_video(p))]:
        try:
            length = float(probe_clip(path).duration or 0.0)
        except MediaError as exc:
            out[path] = str(exc)
            continue
        # A clip must last: a still image saved as .mp4 may decode as one frame, or none.
        out[path] = length if length > 0 else f"{path}: has no video to play"
    return out


def _dates_taken(paths: list[Path]) -> dict[Path, float]:
    """When each photo was taken; on the decode pool (it reads every photo's header)."""
    return {p: date_taken(p) for p in paths}


def _sorted_media(slides: Sequence[Slide], key: Callable[[Slide], Any]) -> list[Slide]:
    """Photos and clips sorted by ``key``; title cards keep their places (an intro stays
    first, an outro last, a chapter card where it was put)."""
    media = iter(sorted((s for s in slides if s.kind is not SlideKind.TITLE), key=key))
    return [s if s.kind is SlideKind.TITLE else next(media) for s in slides]


def _tokens(slides: Sequence[Slide]) -> list[_Token]:
    """Identify slides by photo (and occurrence), so editing a field is not a remove+insert."""
    seen: dict[object, int] = {}
    out: list[_Token] = []
    for s in slides:
        key = _identity(s)
        n = seen.get(key, 0)
        seen[key] = n + 1
        out.append((key, n))
    return out


def _identity(slide: Slide) -> object:
    """What a slide is, whatever is edited on it: its file (a photo, a clip); title cards
    are told apart by their order only, so typing a card's text edits the row in place
    (its selection, and the inspector showing it, stay)."""
    return slide.source if slide.kind is not SlideKind.TITLE else SlideKind.TITLE


def _runs(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted rows as inclusive (first, last) runs of consecutive numbers."""
    runs: list[tuple[int, int]] = []
    for r in sorted(rows):
        if runs and runs[-1][1] == r - 1:
            runs[-1] = (runs[-1][0], r)
        else:
            runs.append((r, r))
    return runs


def _increasing_subset(seq: Sequence[int]) -> set[int]:
    """Positions in ``seq`` forming a longest increasing subsequence (patience sorting).

    Those slides stay put during a reorder; only the others need a move notification.
    """
    tails: list[int] = []
    tail_pos: list[int] = []
    prev = [-1] * len(seq)
    for i, v in enumerate(seq):
        k = bisect_left(tails, v)
        if k == len(tails):
            tails.append(v)
            tail_pos.append(i)
        else:
            tails[k], tail_pos[k] = v, i
        prev[i] = tail_pos[k - 1] if k else -1
    keep: set[int] = set()
    i = tail_pos[-1] if tail_pos else -1
    while i >= 0:
        keep.add(i)
        i = prev[i]
    return keep


class TimelineModel(QAbstractListModel):
    """Rows = ``document.project.slides``; edits go through the document for undo."""

    #: The sort started by :meth:`sort_by_date_taken` has been applied (or was a no-op).
    sortByDateFinished = Signal()
    #: An add has been applied (clips are probed first, off the UI thread): an
    #: :class:`AddResult`.
    mediaAdded = Signal(object)

    def __init__(self, document: ProjectDocument, thumbnails: ThumbnailProvider | None = None,
                 parent: QObject | None = None, thumb_size: int = THUMB_SIZE,
                 prefetch: bool = True) -> None:
        super().__init__(parent)
        self._doc = document
        self._thumbs = thumbnails if thumbnails is not None else ThumbnailProvider(self)
        self._thumb_size = thumb_size
        self._prefetch = prefetch
        self._project: Project = document.project
        self._slides: list[Slide] = list(self._project.slides)
        self._tokens: list[_Token] = _tokens(self._slides)
        self._rows_by_path: dict[str, list[int]] = {}
        self._reindex()
        self._dirty: set[int] = set()
        self._flush = QTimer(self, singleShot=True, interval=40)  # batch thumbnail repaints
        self._flush.timeout.connect(self._flush_dirty)
        self._date_tasks = TaskChannel(self, Pool.DECODE, latest=True)
        # Every add's probe is wanted (two drops in a row add both); IO, not DECODE: it
        # waits on ffmpeg and must not queue behind hundreds of thumbnails.
        self._probe_tasks = TaskChannel(self, Pool.IO)
        self._thumbs.thumbnailReady.connect(self._on_thumbnail)
        self._thumbs.thumbnailFailed.connect(self._on_thumbnail)
        document.projectChanged.connect(self._on_project_changed)
        self._request_thumbnails(self._slides)

    @property
    def thumbnails(self) -> ThumbnailProvider:
        return self._thumbs

    @property
    def document(self) -> ProjectDocument:
        return self._doc

    # -- read access --------------------------------------------------------------------
    def rowCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self._slides)

    def data(self, index: _AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._slides):
            return None
        row = index.row()
        slide = self._slides[row]
        if role == Qt.ItemDataRole.DisplayRole:
            return slide.label
        if role == TimelineRole.PathRole:
            return slide.source
        if role == TimelineRole.ThumbnailRole:
            return self._thumbnail(slide)
        if role == TimelineRole.ErrorRole:
            return self._failure(slide)
        if role == TimelineRole.DurationRole:
            return self._duration(slide)
        if role == TimelineRole.CaptionRole:
            return slide.caption or None
        if role in (TimelineRole.TransitionRole, TimelineRole.TransitionDurationRole):
            if row == len(self._slides) - 1:
                return None  # the last slide has no next slide to transition into
            tr = self._transition_after(row)
            return tr.kind.value if role == TimelineRole.TransitionRole else tr.duration
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(slide, row)
        if role == TimelineRole.CardRole:
            error = self._failure(slide)
            last = row == len(self._slides) - 1
            tr = self._transition_after(row)
            return CardData(
                slide.label, error,
                None if error else self._thumbnail(slide),
                self._duration(slide), bool(slide.caption), None if last else tr.kind,
                0.0 if last else tr.duration, slide.kind)
        return None

    def _transition_after(self, row: int) -> Transition:
        """:meth:`Project.transition_after` for the slide this row shows. It is asked of a
        one-slide copy because rows lag the document while :meth:`_sync_structure` moves
        them: the project's own slide number ``row`` may then be another photo."""
        return self._project.with_slides((self._slides[row],)).transition_after(0)

    def _thumbnail(self, slide: Slide) -> QImage | None:
        return self._thumbs.request_slide(slide, self._thumb_size, self._project.output.size)

    def _failure(self, slide: Slide) -> str | None:
        return self._thumbs.slide_failure(slide, self._thumb_size, self._project.output.size)

    def _duration(self, slide: Slide) -> float:
        return self._project.with_slides((slide,)).duration_of(0)

    def _tooltip(self, slide: Slide, row: int) -> str:
        lines = [f"{row + 1}. {slide.label}"]
        if slide.source is not None:
            lines.append(str(slide.source))
        clip = slide.clip
        if clip is not None:
            sound = "muted" if not clip.audible else f"sound at {clip.volume:.0%}"
            lines.append(f"Video clip: plays {clip.trim_in:.2f}\u2013{clip.end:.2f} s of "
                         f"{clip.length:.2f} s, {sound}")
        elif slide.title is not None:
            lines.append("Title card")
        lines.append(f"{self._duration(slide):.1f} s on screen")
        if slide.caption:
            lines.append(f"Caption: {slide.caption}")
        error = self._failure(slide)
        if error:
            lines.append(f"\u26a0 Cannot be used: {error}")
        return "\n".join(lines)

    def flags(self, index: _AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled  # drops land between tiles, never on one
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsDragEnabled)

    # -- drag and drop ------------------------------------------------------------------
    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction | Qt.DropAction.CopyAction

    def mimeTypes(self) -> list[str]:
        return [ROWS_MIME, "text/uri-list"]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        """Row numbers only: no file URLs, so a file manager cannot *move* the user's photos."""
        mime = QMimeData()
        rows = sorted({i.row() for i in indexes if i.isValid()})
        mime.setData(ROWS_MIME, json.dumps({"owner": self._owner(), "rows": rows}).encode())
        return mime

    def _owner(self) -> str:
        return f"{os.getpid()}:{id(self)}"

    def _internal_rows(self, mime: QMimeData) -> list[int] | None:
        """The dragged rows if the drag came from this very model, else None."""
        if not mime.hasFormat(ROWS_MIME):
            return None
        try:
            payload = json.loads(bytes(mime.data(ROWS_MIME).data()).decode())
            rows = [int(r) for r in payload["rows"]]
        except (ValueError, KeyError, TypeError) as exc:
            logger.warning("ignoring a malformed slide drag: %s", exc)
            return None
        return rows if payload.get("owner") == self._owner() else None

    @staticmethod
    def _local_files(mime: QMimeData) -> list[Path]:
        return [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]

    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                        parent: _AnyIndex) -> bool:
        if action == Qt.DropAction.IgnoreAction:
            return True
        return self._internal_rows(data) is not None or bool(self._local_files(data))

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                     parent: _AnyIndex) -> bool:
        if action == Qt.DropAction.IgnoreAction:
            return True
        if row < 0:
            row = parent.row() if parent.isValid() else len(self._slides)
        rows = self._internal_rows(data)
        if rows is not None:
            return self.move_rows(rows, row) is not None
        files = self._local_files(data)
        return bool(files) and self.add_files(files, row) > 0

    # -- edits (each one undo step) -----------------------------------------------------
    def add_files(self, paths: list[Path], row: int | None = None) -> int:
        """Insert photos and clips (folders expanded) before ``row`` (None: at the end);
        returns how many files are being added.

        Photos alone go in at once. Clips must be probed for their length first, which
        runs ffmpeg: then the whole add waits for the probe on a pool and is applied when
        it is back, in the order given, as one undo step. :attr:`mediaAdded` says when
        (and names the clips that could not be read; they are left out).
        """
        files = expand_paths(paths)
        if not files:
            return 0
        clips = [p for p in files if is_clip_file(p)]
        # Named without a photo's or a clip's suffix: its content decides, on the pool.
        unknown = [p for p in files if not is_image(p) and not is_clip_file(p)]
        if not clips and not unknown:
            self._insert(files, {}, row)
            return len(files)
        self._probe_tasks.run(partial(_probe_lengths, clips, unknown),
                              partial(self._on_probed, files, row), FIRST)
        return len(files)

    @property
    def adds_pending(self) -> int:
        """Adds waiting for their clips to be probed."""
        return self._probe_tasks.pending

    def _on_probed(self, files: list[Path], row: int | None,
                   lengths: dict[Path, float | str] | None,
                   error: BaseException | None) -> None:
        if error is not None or lengths is None:
            logger.error("probing clips failed", exc_info=error)
            lengths = {p: f"{p}: cannot be read ({error})" for p in files if is_clip_file(p)}
        self._insert(files, lengths, row)

    def _insert(self, files: list[Path], lengths: dict[Path, float | str],
                row: int | None) -> None:
        new: list[Slide] = []
        problems: list[str] = []
        for p in files:
            found = lengths.get(p)
            if found is None:
                new.append(Slide.photo(p))
            elif isinstance(found, str):
                problems.append(found)
            else:
                new.append(Slide.video(p, found))
        clips = sum(1 for s in new if s.clip is not None)
        result = AddResult(len(new) - clips, clips, tuple(problems))
        if new:
            slides = list(self._doc.project.slides)
            at = len(slides) if row is None else max(0, min(row, len(slides)))
            slides[at:at] = new
            self._doc.apply(self._doc.project.with_slides(slides),
                            result.summary("Add").split(";")[0])
        self.mediaAdded.emit(result)

    def remove_rows(self, rows: list[int]) -> None:
        slides = list(self._doc.project.slides)
        doomed = {r for r in rows if 0 <= r < len(slides)}
        if not doomed:
            return
        kept = [s for i, s in enumerate(slides) if i not in doomed]
        n = len(doomed)
        self._doc.apply(self._doc.project.with_slides(kept),
                        "Remove 1 slide" if n == 1 else f"Remove {n} slides")

    def move_rows(self, rows: list[int], dest: int) -> list[int] | None:
        """Move ``rows`` (keeping their order) before row ``dest``; returns their new rows."""
        slides = list(self._doc.project.slides)
        moving_rows = sorted({r for r in rows if 0 <= r < len(slides)})
        if not moving_rows:
            return None
        dest = max(0, min(dest, len(slides)))
        chosen = set(moving_rows)
        rest = [s for i, s in enumerate(slides) if i not in chosen]
        at = dest - sum(1 for r in moving_rows if r < dest)
        rest[at:at] = [slides[r] for r in moving_rows]
        self._doc.apply(self._doc.project.with_slides(rest), "Move slides")
        return list(range(at, at + len(moving_rows)))

    def sort_by_name(self) -> None:
        slides = _sorted_media(self._doc.project.slides,
                               lambda s: (natural_key(s.label), str(s.source)))
        self._doc.apply(self._doc.project.with_slides(slides), "Sort by name")

    def sort_by_date_taken(self) -> None:
        """Read EXIF dates in a pool thread; :attr:`sortByDateFinished` tells when done.

        A newer request supersedes one still reading. Runs ahead of queued thumbnails:
        the user is waiting for it.
        """
        # A clip has no EXIF date: date_taken gives its modification time.
        paths = list(dict.fromkeys(s.source for s in self._doc.project.slides
                                   if s.source is not None and s.title is None))
        self._date_tasks.run(partial(_dates_taken, paths), self._on_dates, FIRST)

    def _on_dates(self, dates: dict[Path, float] | None, error: BaseException | None) -> None:
        if error is not None or dates is None:  # date_taken copes with bad photos: a bug
            logger.error("reading the dates taken failed", exc_info=error)
            self.sortByDateFinished.emit()
            return
        # Sort what is there now; photos added while reading sort last, by name.
        slides = _sorted_media(self._doc.project.slides, lambda s: (
            dates.get(s.source, float("inf")) if s.source is not None else float("inf"),
            natural_key(s.label), str(s.source)))
        self._doc.apply(self._doc.project.with_slides(slides), "Sort by date taken")
        self.sortByDateFinished.emit()

    # -- keeping rows in sync with the document -----------------------------------------
    def _on_project_changed(self, project: Project) -> None:
        old_project, self._project = self._project, project
        new = list(project.slides)
        structural = _tokens(new) != self._tokens
        if structural:
            known = set(self._tokens)
            added = [s for s, t in zip(new, _tokens(new), strict=True) if t not in known]
            if not self._sync_structure(new):
                self.beginResetModel()
                self._slides, self._tokens = new, _tokens(new)
                self.endResetModel()
            self._request_thumbnails(added)
        changed = [i for i, (a, b) in enumerate(zip(self._slides, new, strict=True)) if a != b]
        self._slides = new
        self._reindex()
        if not new:
            return
        defaults_changed = (old_project.default_duration != project.default_duration
                            or old_project.transition != project.transition
                            or old_project.output.size != project.output.size)
        if structural or defaults_changed:
            changed = [0, len(new) - 1]  # durations, or which slide is last, changed
        if changed:
            self.dataChanged.emit(self.index(min(changed)), self.index(max(changed)))

    def _sync_structure(self, new: list[Slide]) -> bool:
        """Turn the old rows into ``new`` by removes, moves and inserts; False: reset instead."""
        new_t = _tokens(new)
        new_set, old_set = set(new_t), set(self._tokens)
        common = [t for t in new_t if t in old_set]
        if self._tokens and new_t and not common:
            return False  # another project or a wholesale change: nothing to preserve
        removed = _runs(i for i, t in enumerate(self._tokens) if t not in new_set)
        survivors = [t for t in self._tokens if t in new_set]
        pos = {t: i for i, t in enumerate(survivors)}
        keep = _increasing_subset([pos[t] for t in common])
        moved = [k for k in range(len(common)) if k not in keep]
        inserted = _runs(i for i, t in enumerate(new_t) if t not in old_set)
        if len(removed) + len(moved) + len(inserted) > MAX_INCREMENTAL_OPS:
            return False
        root = QModelIndex()
        for first, last in reversed(removed):
            self.beginRemoveRows(root, first, last)
            del self._slides[first:last + 1], self._tokens[first:last + 1]
            self.endRemoveRows()
        for k in moved:  # each goes right after its predecessor in the new order
            src = self._tokens.index(common[k])
            dest = self._tokens.index(common[k - 1]) + 1 if k else 0
            if dest in (src, src + 1):
                continue
            self.beginMoveRows(root, src, src, root, dest)
            slide, token = self._slides.pop(src), self._tokens.pop(src)
            at = dest if dest < src else dest - 1
            self._slides.insert(at, slide)
            self._tokens.insert(at, token)
            self.endMoveRows()
        for first, last in inserted:
            self.beginInsertRows(root, first, last)
            self._slides[first:first] = new[first:last + 1]
            self._tokens[first:first] = new_t[first:last + 1]
            self.endInsertRows()
        return True

    def _reindex(self) -> None:
        """Rows by thumbnail ident (see :func:`thumbnail_ident`), which the provider's
        signals carry."""
        self._rows_by_path = {}
        frame = self._project.output.size
        for i, s in enumerate(self._slides):
            ident = thumbnail_ident(s, frame)
            if ident is not None:
                self._rows_by_path.setdefault(ident, []).append(i)

    def _request_thumbnails(self, slides: Iterable[Slide]) -> None:
        """Queue every new photo, so unreadable files are flagged before they scroll into view."""
        if self._prefetch:
            for s in slides:
                self._thumbnail(s)

    def _on_thumbnail(self, path: str, _result: object) -> None:
        rows = self._rows_by_path.get(path)
        if rows:
            self._dirty.update(rows)
            if not self._flush.isActive():
                self._flush.start()

    def _flush_dirty(self) -> None:
        rows = [r for r in self._dirty if r < len(self._slides)]
        self._dirty.clear()
        if rows:
            roles = [TimelineRole.ThumbnailRole, TimelineRole.ErrorRole,
                     Qt.ItemDataRole.ToolTipRole]
            self.dataChanged.emit(self.index(min(rows)), self.index(max(rows)), roles)
