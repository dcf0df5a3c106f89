"""Thumbnails for the timeline, decoded off the UI thread and cached in memory and on disk.

A timeline of 500 photos must scroll smoothly, so the UI thread never decodes: painting
asks :meth:`ThumbnailProvider.request`, which either returns an image already in memory
or queues a job on the decode pool (:mod:`ui.tasks`) and returns ``None`` (the tile shows a
placeholder until :attr:`ThumbnailProvider.thumbnailReady` arrives). Finished thumbnails
are also written as small JPEGs under the cache folder, keyed by path, modification time
and size, so reopening a project does not decode a single photo again.

Every slide kind has a picture (:meth:`ThumbnailProvider.request_slide`): a photo is
decoded, a clip shows one of its frames (``render.clips``), a title card is rendered small
(``render.titles``), exactly as the renderer would. Each is known by an *ident*
(:func:`thumbnail_ident`): the photo's path, the clip's path and time, or a digest of the
card and the frame's shape; the signals carry it, so the timeline knows which tiles to
repaint.

The small Qt-free helpers the timeline needs to read photo files (which images a folder
holds, when a photo was taken) live here too, beside the other code that touches them.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import tempfile
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import partial
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
from PySide6.QtGui import QImage

from simvid_desktop import paths
from simvid_desktop.errors import MediaError
from simvid_desktop.model.media_types import is_video, media_in
from simvid_desktop.model.project import Size, Slide, SlideKind, TitleCard
from simvid_desktop.render.clips import clip_frame_rgb, probe_clip
from simvid_desktop.render.images import load_rgb, probe_image
from simvid_desktop.render.titles import render_title
from simvid_desktop.ui.tasks import Pool, TaskChannel, pool

logger = logging.getLogger(__name__)

MEMORY_CACHE_SIZE = 600  #: thumbnails kept in memory (~40 MB at 160 px)
_JPEG_QUALITY = 85
_CACHE_VERSION = b"v1"  # bump when the thumbnail format changes to orphan old files

_Key = tuple[str, int]  # (ident: see thumbnail_ident, size in px)
#: Where in a clip its thumbnail is taken when it is not trimmed: the first frame is often
#: black (a fade in) or a blurred camera swing.
CLIP_THUMB_AT = 0.1
_EXIF_IFD, _DATE_TIME_ORIGINAL, _DATE_TIME = 0x8769, 0x9003, 0x0132


def is_clip_file(path: Path) -> bool:
    """Whether ``path`` names a video clip (by its name: this runs on the UI thread)."""
    return is_video(path)


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Absolute file paths; a folder becomes its photos and clips sorted by name (not
    recursive).

    Files named explicitly are kept whatever their extension: an unreadable one is shown
    flagged on its tile rather than silently ignored.
    """
    out: list[Path] = []
    for path in paths:
        p = Path(path).absolute()
        if p.is_dir():
            try:
                out.extend(media_in(p))
            except OSError as exc:
                logger.warning("cannot list %s: %s", p, exc)
        else:
            out.append(p)
    return out


def date_taken(path: Path) -> float:
    """When the photo was taken (EXIF, read from the header only), else its mtime.

    Runs in a pool thread: it touches the disk once per photo.
    """
    try:
        with Image.open(path) as im:  # lazy: reads the header, never the pixels
            exif = im.getexif()
            text = exif.get_ifd(_EXIF_IFD).get(_DATE_TIME_ORIGINAL) or exif.get(_DATE_TIME)
        if isinstance(text, str):
            return datetime.strptime(text.strip("\x00 "), "%Y:%m:%d %H:%M:%S").timestamp()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:
        logger.debug("no EXIF date for %s (%s)", path, exc)
    try:
        return path.stat().st_mtime
    except OSError:
        return float("inf")  # missing files sort last


def cache_key(path: Path, size: int) -> str | None:
    """The disk-cache name of a thumbnail, or None when the file cannot be stat'ed.

    Keyed by modification time and byte size too, so an edited photo gets a new thumbnail
    instead of a stale one.
    """
    try:
        st = path.stat()
    except OSError:
        return None
    text = f"{path}\0{st.st_mtime_ns}\0{st.st_size}\0{size}".encode("utf-8", "surrogatepass")
    return hashlib.sha1(_CACHE_VERSION + text, usedforsecurity=False).hexdigest()


def _to_qimage(img: Image.Image) -> QImage:
    """Copy a Pillow RGB image into a QImage in the format QPainter draws fastest."""
    rgb = img.convert("RGB") if img.mode != "RGB" else img
    data = rgb.tobytes()
    wrapped = QImage(data, rgb.width, rgb.height, 3 * rgb.width, QImage.Format.Format_RGB888)
    # convertToFormat copies, so the result no longer points into ``data``.
    return wrapped.convertToFormat(QImage.Format.Format_RGB32)


def _produce(folder: Path, path: str, size: int) -> QImage:
    """One thumbnail, on the decode pool: from the disk cache if possible, else decoded and
    cached. Raises MediaError with the user-facing reason when the photo cannot be shown."""
    source = Path(path)
    key = cache_key(source, size)
    if key is None:
        probe_image(source)  # raises the user-facing reason (not found, permission...)
        raise MediaError(source, "cannot be read")
    cached = folder / f"{key}.jpg"
    image = _from_cache(cached)
    if image is not None:
        return image
    img = load_rgb(source, need=(size, size))  # header-checked, EXIF upright
    img.thumbnail((size, size), Image.Resampling.LANCZOS)
    _store(img, cached)
    return _to_qimage(img)


def clip_thumb_time(slide: Slide) -> float:
    """The clip time a clip's tile shows: its trim-in point, or a tenth of the way in."""
    clip = slide.clip
    if clip is None:
        return 0.0
    at = clip.trim_in if clip.trim_in > 0 else clip.length * CLIP_THUMB_AT
    return round(at, 3)


def title_thumb_size(size: int, frame: Size) -> Size:
    """A title card's thumbnail: the frame's shape, fitted inside ``size`` x ``size``."""
    w, h = frame
    scale = size / max(w, h)
    return Size(max(2, round(w * scale)), max(2, round(h * scale)))


def thumbnail_ident(slide: Slide, frame: Size) -> str | None:
    """What a slide's picture is known by (None: it has nothing to show)."""
    if slide.clip is not None:
        return f"{slide.clip.path}@{clip_thumb_time(slide):.3f}"
    if slide.title is not None:
        digest = hashlib.sha1(repr((slide.title, tuple(frame))).encode("utf-8", "replace"),
                              usedforsecurity=False).hexdigest()
        return f"title:{digest}"
    return str(slide.image) if slide.image is not None else None


def _produce_clip(folder: Path, path: str, at: float, size: int) -> QImage:
    """A clip's frame at ``at`` (its own time), on the decode pool; cached on disk like
    photos. Raises MediaError when the clip cannot be read."""
    source = Path(path)
    key = cache_key(source, size)
    if key is None:
        probe_clip(source)  # raises the user-facing reason (not found, permission...)
        raise MediaError(source, "cannot be read")
    cached = folder / f"{key}-{at:.3f}.jpg"
    image = _from_cache(cached)
    if image is not None:
        return image
    info = probe_clip(source)
    img = clip_frame_rgb(info, min(at, max(0.0, info.duration - 0.05)), (size, size))
    img.thumbnail((size, size), Image.Resampling.LANCZOS)
    _store(img, cached)
    return _to_qimage(img)


def _produce_title(card: TitleCard, size: Size) -> QImage:
    """A title card drawn small by the renderer's own code, on the decode pool."""
    return _to_qimage(render_title(card, size))


def _from_cache(cached: Path) -> QImage | None:
    """A thumbnail stored earlier, or None (not there, or unreadable: made again)."""
    if not cached.is_file():
        return None
    image = QImage(str(cached))
    if image.isNull():
        logger.debug("unreadable cached thumbnail %s, decoding again", cached)
        return None
    return image.convertToFormat(QImage.Format.Format_RGB32)


def _store(img: Image.Image, target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "wb") as fh:
            img.save(fh, "JPEG", quality=_JPEG_QUALITY)
        os.replace(tmp, target)  # atomic: another job never reads half a file
    except OSError as exc:
        logger.warning("cannot write thumbnail cache %s: %s", target, exc)


class ThumbnailProvider(QObject):
    """Hands out thumbnails without ever blocking the caller."""

    #: (ident, image): a requested thumbnail is ready; ``request`` now returns it at once.
    #: The ident is the photo's path (see :func:`thumbnail_ident` for the other kinds).
    thumbnailReady = Signal(str, QImage)
    #: (ident, reason): the photo (clip, card) cannot be shown; ``reason`` is the
    #: user-facing message such as "file not found" (without the path, which the
    #: receiver already has).
    thumbnailFailed = Signal(str, str)

    def __init__(self, parent: QObject | None = None, cache_folder: Path | None = None,
                 memory_items: int = MEMORY_CACHE_SIZE) -> None:
        super().__init__(parent)
        self._folder = cache_folder if cache_folder is not None else paths.cache_dir() / "thumbs"
        # Every result is wanted until shutdown(), which drops them and the queued jobs
        # (also when the provider is destroyed without it).
        self._tasks = TaskChannel(self, Pool.DECODE)
        self._alive = True
        self._memory: OrderedDict[_Key, QImage] = OrderedDict()
        self._memory_items = memory_items
        self._pending: set[_Key] = set()
        self._jobs: dict[_Key, Callable[[], QImage]] = {}  #: queued, not started yet
        self._failed: dict[_Key, str] = {}
        # Newer requests run first: they are what the user is looking at now.
        self._priority = itertools.count()
        # Jobs start once the current event is over: requests come from painting, and a
        # decode thread waking up mid-paint competes with it for the GIL.
        self._queued: list[_Key] = []
        self._start_timer = QTimer(self)
        self._start_timer.setSingleShot(True)
        self._start_timer.setInterval(0)
        self._start_timer.timeout.connect(self._start_queued)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    @property
    def cache_folder(self) -> Path:
        return self._folder

    def request(self, path: Path | str, size: int) -> QImage | None:
        """The thumbnail if it is in memory, else None and a background job is queued.

        Repeated requests while a job is pending, and requests for a photo that failed,
        queue nothing: painting may call this every frame.
        """
        key = (str(path), size)
        return self._request(key, partial(_produce, self._folder, key[0], size))

    def request_slide(self, slide: Slide, size: int, frame: Size) -> QImage | None:
        """The picture of any slide (see :meth:`request`): a photo, a frame of a clip, or
        a title card as rendered, in the shape of ``frame`` (the video's size)."""
        ident = thumbnail_ident(slide, frame)
        if ident is None:
            return None
        key = (ident, size)
        if slide.kind is SlideKind.CLIP and slide.clip is not None:
            job = partial(_produce_clip, self._folder, str(slide.clip.path),
                          clip_thumb_time(slide), size)
        elif slide.kind is SlideKind.TITLE and slide.title is not None:
            job = partial(_produce_title, slide.title, title_thumb_size(size, frame))
        else:
            job = partial(_produce, self._folder, ident, size)
        return self._request(key, job)

    def slide_failure(self, slide: Slide, size: int, frame: Size) -> str | None:
        """Why the last request for this slide's picture failed, or None."""
        ident = thumbnail_ident(slide, frame)
        return None if ident is None else self._failed.get((ident, size))

    def _request(self, key: _Key, job: Callable[[], QImage]) -> QImage | None:
        image = self._memory.get(key)
        if image is not None:
            self._memory.move_to_end(key)
            return image
        if key in self._pending or key in self._failed or not self._alive:
            return None
        self._pending.add(key)
        self._jobs[key] = job
        self._queued.append(key)
        if not self._start_timer.isActive():
            self._start_timer.start()
        return None

    def _start_queued(self) -> None:
        queued, self._queued = self._queued, []
        for key in queued:
            job = self._jobs.pop(key, None)
            if key in self._pending and self._alive and job is not None:
                # QThreadPool's priority is an int; wrap long before it could overflow.
                self._tasks.run(job, partial(self._on_result, key),
                                next(self._priority) % 2_000_000_000)

    def failure(self, path: Path | str, size: int) -> str | None:
        """Why the last request for this thumbnail failed, or None."""
        return self._failed.get((str(path), size))

    def forget(self, path: Path | str) -> None:
        """Drop what is known about a file (it was replaced or fixed on disk)."""
        name = str(path)
        clip_prefix = f"{name}@"
        for store in (self._memory, self._failed):
            for key in [k for k in store if k[0] == name or k[0].startswith(clip_prefix)]:
                del store[key]

    def shutdown(self) -> None:
        """Stop delivering results and drop queued jobs; running jobs end on their own."""
        self._alive = False
        self._tasks.discard()
        self._start_timer.stop()
        self._queued.clear()
        self._jobs.clear()
        self._pending.clear()

    @staticmethod
    def wait_for_done(msecs: int = -1) -> bool:
        """Wait for the decode thread's running jobs (tests only: this blocks)."""
        return pool(Pool.DECODE).waitForDone(msecs)

    def _on_result(self, key: _Key, image: QImage | None, error: BaseException | None) -> None:
        if isinstance(error, MediaError):
            self._on_failed(key, error.reason)
        elif error is not None:  # a lost result would leave the tile loading forever
            logger.error("thumbnail of %s failed", key[0], exc_info=error)
            self._on_failed(key, f"cannot be shown ({error})")
        elif image is not None:
            self._on_done(key, image)

    def _on_done(self, key: _Key, image: QImage) -> None:
        path = key[0]
        self._pending.discard(key)
        self._failed.pop(key, None)
        self._memory[key] = image
        self._memory.move_to_end(key)
        while len(self._memory) > self._memory_items:
            self._memory.popitem(last=False)
        self.thumbnailReady.emit(path, image)

    def _on_failed(self, key: _Key, reason: str) -> None:
        path = key[0]
        self._pending.discard(key)
        self._failed[key] = reason
        logger.info("no thumbnail for %s: %s", path, reason)
        self.thumbnailFailed.emit(path, reason)
