"""File operations that survive a power cut, and a move that never replaces a file.

A rename is atomic but not durable: until the data and the directory entry reach the disk,
a power cut can leave the new name pointing at an empty or truncated file. So everything
that counts as done (a video, a segment, a project) is flushed and fsynced, then moved
into place, then its folder is fsynced.

The final move of a video must not replace a file that appeared at its name while it was
rendering (``os.replace`` would). :func:`move_no_replace` makes the new name appear in one
step, complete, and only if nothing has that name:

* POSIX: a hard link to the new name (fails if it exists), then the temporary name is
  unlinked. Where the file system has no hard links (FAT, some network shares):
  ``renameat2(RENAME_NOREPLACE)`` on Linux, ``renamex_np(RENAME_EXCL)`` on macOS.
* Windows: ``os.rename``, which refuses an existing target.
* Last resort (none of the above supported): the name is reserved with an exclusive
  create, then the finished file is renamed over that empty placeholder of our own.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import logging
import os
import sys
import uuid
from collections.abc import Callable
from functools import cache
from pathlib import Path

logger = logging.getLogger(__name__)

#: errno values of "this file system cannot do that" (not "the name is taken").
_UNSUPPORTED = frozenset({
    errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL, errno.EMLINK,
    errno.EXDEV,
})


def _sync(fd: int) -> None:
    os.fsync(fd)
    if sys.platform == "darwin":  # macOS's fsync does not ask the drive to flush its cache
        import fcntl  # noqa: PLC0415 - POSIX only

        try:
            fcntl.fcntl(fd, fcntl.F_FULLFSYNC)
        except OSError as exc:  # some file systems (network shares) do not support it
            logger.debug("F_FULLFSYNC not supported here: %s", exc)


def fsync_file(path: Path) -> None:
    """Flush ``path``'s data (written by this or another process, e.g. ffmpeg) to the disk."""
    # Windows flushes only through a handle opened for writing.
    flags = os.O_RDWR if sys.platform == "win32" else os.O_RDONLY
    fd = os.open(path, flags | getattr(os, "O_BINARY", 0))
    try:
        _sync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make the names created, renamed or removed in folder ``path`` durable.

    A no-op on Windows, which cannot open a folder this way (NTFS journals its metadata).
    """
    if sys.platform == "win32":
        return
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
        logger.debug("folder %s cannot be fsynced on this file system", path)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``, durably: afterwards it holds the old or the new
    content, whatever happens, and once this returns the new one survives a power cut.

    For Simvid's own files (projects, records), which are meant to be replaced.
    """
    # A name of its own: several farm workers may write the same record at once.
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            _sync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def move_no_replace(src: Path, dst: Path) -> None:
    """Give file ``src`` the name ``dst`` (same folder), unless ``dst`` exists; durably.

    ``src`` must be complete: it is fsynced first. At no moment does ``dst`` name a
    partial file (except briefly an empty placeholder on the last-resort path, see above).

    Raises:
        FileExistsError: ``dst`` exists; it was not touched and ``src`` is still there.
    """
    fsync_file(src)
    if sys.platform == "win32":
        os.rename(src, dst)  # refuses an existing dst
    else:
        _move_posix(src, dst)
    fsync_dir(dst.parent)


def _move_posix(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in _UNSUPPORTED:
            raise
        logger.debug("no hard link at %s (%s): renaming without replacing", dst, exc)
    else:
        os.unlink(src)
        return
    rename = _rename_noreplace()
    if rename is not None:
        try:
            rename(src, dst)
            return
        except FileExistsError:
            raise
        except OSError as exc:
            if exc.errno not in _UNSUPPORTED:
                raise
            logger.debug("no exclusive rename at %s (%s): reserving the name", dst, exc)
    _reserve_then_rename(src, dst)


def _reserve_then_rename(src: Path, dst: Path) -> None:
    """Take the name with an exclusive create (fails if it exists), then rename over it:
    only our own empty placeholder is ever replaced."""
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    os.close(fd)
    try:
        os.replace(src, dst)
    except BaseException:
        dst.unlink(missing_ok=True)
        raise


RENAME_NOREPLACE = 1  #: linux/fs.h
RENAME_EXCL = 0x4  #: macOS sys/stdio.h
_AT_FDCWD = -100


@cache
def _rename_noreplace() -> Callable[[Path, Path], None] | None:
    """The OS's rename-unless-the-target-exists, or None where there is none."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name, use_errno=True)
    except OSError:
        return None
    if sys.platform.startswith("linux") and hasattr(libc, "renameat2"):
        renameat2 = libc.renameat2

        def linux(src: Path, dst: Path) -> None:
            _check(renameat2(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst),
                             RENAME_NOREPLACE), src, dst)

        return linux
    if sys.platform == "darwin" and hasattr(libc, "renamex_np"):
        renamex_np = libc.renamex_np

        def darwin(src: Path, dst: Path) -> None:
            _check(renamex_np(os.fsencode(src), os.fsencode(dst), RENAME_EXCL), src, dst)

        return darwin
    return None


def _check(result: int, src: Path, dst: Path) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(src), None, str(dst))
