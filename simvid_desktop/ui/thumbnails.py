"""Thumbnails for the timeline, decoded off the UI thread and cached in memory and on disk.

A timeline of 500 photos must scroll smoothly, so the UI thread never decodes: painting
asks :meth:`ThumbnailProvider.request`, which either returns an image already in memory
or queues a job on the decode pool (:mod:`ui.tasks`) and returns ``None`` (the tile shows a
placeholder until :attr:`ThumbnailProvider.thumbnailReady` arrives). Finished thumbnails
are also written as small JPEGs under the cache folder, keyed by path, modification time
and size, so reopening a project does not decode a single photo again.

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
from collections.abc import Iterable
from datetime import datetime
from functools import partial
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
from PySide6.QtGui import QImage

from simvid_desktop import paths
from simvid_desktop.errors import MediaError
from simvid_desktop.model.media_types import images_in
from simvid_desktop.render.images import load_rgb, probe_image
from simvid_desktop.ui.tasks import Pool, TaskChannel, pool

logger = logging.getLogger(__name__)

MEMORY_CACHE_SIZE = 600  #: thumbnails kept in memory (~40 MB at 160 px)
_JPEG_QUALITY = 85
_CACHE_VERSION = b"v1"  # bump when the thumbnail format changes to orphan old files

_Key = tuple[str, int]  # (absolute path, size in px)
_EXIF_IFD, _DATE_TIME_ORIGINAL, _DATE_TIME = 0x8769, 0x9003, 0x0132


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Absolute file paths; a folder becomes its image files sorted by name (not recursive).

    Files named explicitly are kept whatever their extension: an unreadable one is shown
    flagged on its tile rather than silently ignored.
    """
    out: list[Path] = []
    for path in paths:
        p = Path(path).absolute()
        if p.is_dir():
            try:
                out.extend(images_in(p))
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
    if cached.is_file():
        image = QImage(str(cached))
        if not image.isNull():
            return image.convertToFormat(QImage.Format.Format_RGB32)
        logger.debug("unreadable cached thumbnail %s, decoding again", cached)
    img = load_rgb(source, need=(size, size))  # header-checked, EXIF upright
    img.thumbnail((size, size), Image.Resampling.LANCZOS)
    _store(img, cached)
    return _to_qimage(img)


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

    #: (path, image): a requested thumbnail is ready; ``request`` now returns it at once.
    thumbnailReady = Signal(str, QImage)
    #: (path, reason): the photo cannot be shown; ``reason`` is the user-facing message
    #: such as "file not found" (without the path, which the receiver already has).
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
        image = self._memory.get(key)
        if image is not None:
            self._memory.move_to_end(key)
            return image
        if key in self._pending or key in self._failed or not self._alive:
            return None
        self._pending.add(key)
        self._queued.append(key)
        if not self._start_timer.isActive():
            self._start_timer.start()
        return None

    def _start_queued(self) -> None:
        queued, self._queued = self._queued, []
        for key in queued:
            if key in self._pending and self._alive:
                # QThreadPool's priority is an int; wrap long before it could overflow.
                self._tasks.run(partial(_produce, self._folder, key[0], key[1]),
                                partial(self._on_result, key),
                                next(self._priority) % 2_000_000_000)

    def failure(self, path: Path | str, size: int) -> str | None:
        """Why the last request for this thumbnail failed, or None."""
        return self._failed.get((str(path), size))

    def forget(self, path: Path | str) -> None:
        """Drop what is known about a file (it was replaced or fixed on disk)."""
        name = str(path)
        for store in (self._memory, self._failed):
            for key in [k for k in store if k[0] == name]:
                del store[key]

    def shutdown(self) -> None:
        """Stop delivering results and drop queued jobs; running jobs end on their own."""
        self._alive = False
        self._tasks.discard()
        self._start_timer.stop()
        self._queued.clear()
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
