"""Thumbnails for the timeline, decoded off the UI thread and cached in memory and on disk.

A timeline of 500 photos must scroll smoothly, so the UI thread never decodes: painting
asks :meth:`ThumbnailProvider.request`, which either returns an image already in memory
or queues a job on a small private thread pool and returns ``None`` (the tile shows a
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
import threading
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from PIL import Image
from PySide6.QtCore import (
    QCoreApplication,
    QObject,
    QRunnable,
    QThreadPool,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QImage

from simvid_desktop import paths
from simvid_desktop.errors import MediaError
from simvid_desktop.model.media_types import images_in
from simvid_desktop.render.images import load_rgb, probe_image

logger = logging.getLogger(__name__)

MEMORY_CACHE_SIZE = 600  #: thumbnails kept in memory (~40 MB at 160 px)
#: One decode thread: every decode thread takes turns with the UI thread for the GIL.
#: Adding 500 photos with two threads made the strip's repaints wait up to 60 ms for it;
#: with one the worst timer delay measured was 26 ms (ui_responsiveness.py, 2 cores).
POOL_THREADS = 1
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


class _Relay(QObject):
    """Carries results from pool threads to the UI thread (queued, as it lives there)."""

    #: (path, size, image) for a decoded thumbnail.
    done = Signal(str, int, QImage)
    #: (path, size, reason) when the photo cannot be decoded.
    failed = Signal(str, int, str)


class _Shared:
    """What jobs share with their provider; ``alive`` turns False at shutdown."""

    def __init__(self, relay: _Relay, folder: Path) -> None:
        self.lock = threading.Lock()
        self.alive = True
        self.relay = relay
        self.folder = folder

    def stop(self) -> None:
        """No more results; queued jobs return at once instead of decoding."""
        with self.lock:
            self.alive = False


class _ThumbnailJob(QRunnable):
    """Produces one thumbnail: from the disk cache if possible, else decoded and cached."""

    def __init__(self, shared: _Shared, path: str, size: int) -> None:
        super().__init__()
        self._shared, self._path, self._size = shared, path, size

    def run(self) -> None:
        if not self._shared.alive:
            return
        try:
            image = self._produce(Path(self._path))
        except MediaError as exc:
            self._post(None, exc.reason)
        except Exception as exc:  # a lost result would leave the tile loading forever
            logger.exception("thumbnail of %s failed", self._path)
            self._post(None, f"cannot be shown ({exc})")
        else:
            self._post(image, "")

    def _produce(self, path: Path) -> QImage:
        key = cache_key(path, self._size)
        if key is None:
            probe_image(path)  # raises the user-facing reason (not found, permission...)
            raise MediaError(path, "cannot be read")
        cached = self._shared.folder / f"{key}.jpg"
        if cached.is_file():
            image = QImage(str(cached))
            if not image.isNull():
                return image.convertToFormat(QImage.Format.Format_RGB32)
            logger.debug("unreadable cached thumbnail %s, decoding again", cached)
        img = load_rgb(path, need=(self._size, self._size))  # header-checked, EXIF upright
        img.thumbnail((self._size, self._size), Image.Resampling.LANCZOS)
        self._store(img, cached)
        return _to_qimage(img)

    def _store(self, img: Image.Image, target: Path) -> None:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(suffix=".tmp", dir=target.parent)
            with os.fdopen(fd, "wb") as fh:
                img.save(fh, "JPEG", quality=_JPEG_QUALITY)
            os.replace(tmp, target)  # atomic: another job never reads half a file
        except OSError as exc:
            logger.warning("cannot write thumbnail cache %s: %s", target, exc)

    def _post(self, image: QImage | None, reason: str) -> None:
        with self._shared.lock:  # shutdown() waits on this lock, so no post after it
            if not self._shared.alive:
                return
            relay = self._shared.relay
            try:
                if image is None:
                    relay.failed.emit(self._path, self._size, reason)
                else:
                    relay.done.emit(self._path, self._size, image)
            except RuntimeError:  # the provider was destroyed without shutdown()
                logger.debug("thumbnail of %s dropped: provider gone", self._path)


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
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(POOL_THREADS)
        self._relay = _Relay(self)
        self._relay.done.connect(self._on_done)
        self._relay.failed.connect(self._on_failed)
        folder = cache_folder if cache_folder is not None else paths.cache_dir() / "thumbs"
        self._shared = _Shared(self._relay, folder)
        # destroyed() fires before the children die; the pool's destructor then runs the
        # queued jobs, which return at once instead of decoding hundreds of photos.
        self.destroyed.connect(self._shared.stop)
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
        return self._shared.folder

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
        if key in self._pending or key in self._failed or not self._shared.alive:
            return None
        self._pending.add(key)
        self._queued.append(key)
        if not self._start_timer.isActive():
            self._start_timer.start()
        return None

    def _start_queued(self) -> None:
        queued, self._queued = self._queued, []
        for key in queued:
            if key in self._pending and self._shared.alive:
                # QThreadPool's priority is an int; wrap long before it could overflow.
                self._pool.start(_ThumbnailJob(self._shared, key[0], key[1]),
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
        self._shared.stop()
        self._start_timer.stop()
        self._queued.clear()
        self._pool.clear()
        self._pending.clear()

    def wait_for_done(self, msecs: int = -1) -> bool:
        """Wait for running jobs (application exit and tests only: this blocks)."""
        return self._pool.waitForDone(msecs)

    @Slot(str, int, QImage)
    def _on_done(self, path: str, size: int, image: QImage) -> None:
        key = (path, size)
        self._pending.discard(key)
        self._failed.pop(key, None)
        self._memory[key] = image
        self._memory.move_to_end(key)
        while len(self._memory) > self._memory_items:
            self._memory.popitem(last=False)
        self.thumbnailReady.emit(path, image)

    @Slot(str, int, str)
    def _on_failed(self, path: str, size: int, reason: str) -> None:
        key = (path, size)
        self._pending.discard(key)
        self._failed[key] = reason
        logger.info("no thumbnail for %s: %s", path, reason)
        self.thumbnailFailed.emit(path, reason)
