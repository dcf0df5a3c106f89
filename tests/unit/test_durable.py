"""Durable file operations: the move that never replaces a file (on every path it may take)
and the fsyncs that make a finished file survive a power cut."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

import pytest

from simvid_desktop import durable
from simvid_desktop.model.project import Project, Slide
from simvid_desktop.model.project_io import save_project


@pytest.fixture(params=["link", "rename_noreplace", "reserve"])
def move_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each way :func:`durable.move_no_replace` may take on POSIX, forced in turn."""
    if sys.platform == "win32":
        pytest.skip("POSIX ways; Windows has os.rename, which refuses by itself")
    if request.param != "link":
        def no_links(src: object, dst: object) -> None:
            raise OSError(errno.EPERM, "hard links not supported here")
        monkeypatch.setattr(durable.os, "link", no_links)
    if request.param == "rename_noreplace" and durable._rename_noreplace() is None:
        pytest.skip("this OS has no rename-without-replacing")
    if request.param == "reserve":
        monkeypatch.setattr(durable, "_rename_noreplace", lambda: None)
    return str(request.param)


def test_move_gives_the_name(tmp_path: Path, move_path: str) -> None:
    src, dst = tmp_path / ".video.part", tmp_path / "video.mp4"
    src.write_bytes(b"video")
    durable.move_no_replace(src, dst)
    assert dst.read_bytes() == b"video" and not src.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["video.mp4"]


def test_move_never_replaces(tmp_path: Path, move_path: str) -> None:
    src, dst = tmp_path / ".video.part", tmp_path / "video.mp4"
    src.write_bytes(b"video")
    dst.write_bytes(b"the user's own file")
    with pytest.raises(FileExistsError):
        durable.move_no_replace(src, dst)
    assert dst.read_bytes() == b"the user's own file"
    assert src.read_bytes() == b"video", "the finished video is kept for another name"


class FsyncLog:
    """Which files and folders were fsynced (by inode: a path may be renamed after)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.inodes: list[tuple[int, int]] = []
        real = os.fsync

        def fsync(fd: int) -> None:
            st = os.fstat(fd)
            self.inodes.append((st.st_dev, st.st_ino))
            real(fd)

        monkeypatch.setattr(os, "fsync", fsync)

    def synced(self, path: Path) -> bool:
        st = path.stat()
        return (st.st_dev, st.st_ino) in self.inodes


@pytest.mark.skipif(sys.platform == "win32", reason="folders are not fsynced on Windows")
def test_a_saved_project_and_its_folder_entry_are_fsynced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = FsyncLog(monkeypatch)
    path = tmp_path / "show.simvid"
    save_project(Project(slides=(Slide(tmp_path / "a.jpg"),)), path)
    assert log.synced(path), "the project's data"
    assert log.synced(tmp_path), "its directory entry"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["show.simvid"]


@pytest.mark.skipif(sys.platform == "win32", reason="folders are not fsynced on Windows")
def test_a_moved_file_and_its_folder_entry_are_fsynced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = FsyncLog(monkeypatch)
    src, dst = tmp_path / ".v.part", tmp_path / "v.mp4"
    src.write_bytes(b"video")
    durable.move_no_replace(src, dst)
    assert log.synced(dst) and log.synced(tmp_path)


def test_write_atomic_leaves_the_old_content_when_writing_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "record.json"
    path.write_bytes(b"old")

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        durable.write_atomic(path, b"new")
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["record.json"]
