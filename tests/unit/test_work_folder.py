"""A work folder is deleted or emptied only when it is Simvid's: it carries the marker and
holds nothing but the files Simvid writes there. The shared ``.simvid-work`` folder goes
when its last job's folder does."""

from __future__ import annotations

from pathlib import Path

import pytest

from simvid_desktop.errors import OutputError
from simvid_desktop.render.segments import MARKER, SHARED_WORK_PARENT, Segment, WorkDir

SEG = Segment(0, 0, 25)


def used(path: Path, key: str = "k1") -> WorkDir:
    """A work folder as a render leaves it when interrupted."""
    work = WorkDir(path)
    work.prepare(key)
    finished = work.part(work.segment_path(SEG))
    finished.write_bytes(b"piece")
    work.commit(finished, work.segment_path(SEG), SEG.frames)  # the piece and its record
    work.audio_path.write_bytes(b"music")
    work.part(work.segment_path(Segment(1, 25, 50))).write_bytes(b"half a piece")
    work.concat_list([SEG])
    work.chapters_path.write_text(";FFMETADATA1\n")  # the join had begun
    (work.path / ".seg-0001.json.0a1b2c3d.tmp").write_text("{")  # an atomic write cut short
    return work


def test_prepare_marks_the_folder_and_remove_deletes_it_with_its_empty_parent(
        tmp_path: Path) -> None:
    work = used(tmp_path / SHARED_WORK_PARENT / "job1")
    assert (work.path / MARKER).is_file()
    work.remove()
    assert not work.path.exists(), "records and temporary files are Simvid's too"
    assert not (tmp_path / SHARED_WORK_PARENT).exists(), "no empty .simvid-work left behind"
    assert tmp_path.is_dir()


def test_the_shared_parent_stays_while_another_job_uses_it(tmp_path: Path) -> None:
    first = used(tmp_path / SHARED_WORK_PARENT / "job1")
    second = used(tmp_path / SHARED_WORK_PARENT / "job2")
    first.remove()
    assert second.path.is_dir() and (tmp_path / SHARED_WORK_PARENT).is_dir()
    second.remove()
    assert not (tmp_path / SHARED_WORK_PARENT).exists()


def test_an_empty_shared_parent_goes_even_when_the_job_never_made_its_folder(
        tmp_path: Path) -> None:
    (tmp_path / SHARED_WORK_PARENT).mkdir()
    WorkDir(tmp_path / SHARED_WORK_PARENT / "never-made").remove()
    assert not (tmp_path / SHARED_WORK_PARENT).exists()


def test_only_a_parent_named_simvid_work_is_removed(tmp_path: Path) -> None:
    used(tmp_path / "work" / "job1").remove()
    assert (tmp_path / "work").is_dir(), "the local queue's work folder stays"


def test_remove_leaves_a_folder_without_the_marker_alone(tmp_path: Path) -> None:
    share = tmp_path / "studio"
    (share / "photos").mkdir(parents=True)
    (share / "canary.txt").write_text("mine")
    (share / "plan.json").write_text("{}")
    WorkDir(share).remove()
    assert (share / "canary.txt").read_text() == "mine"
    assert (share / "photos").is_dir() and (share / "plan.json").is_file()


@pytest.mark.parametrize("intruder", ["notes.txt", "seg-0001.mp4.bak/", "photo.jpg", "plan",
                                      ".hidden", ".DS_Store", "..seg-0001.mp4"])
def test_remove_leaves_a_marked_folder_holding_anything_else_alone(
        tmp_path: Path, intruder: str) -> None:
    work = used(tmp_path / SHARED_WORK_PARENT / "job1")
    if intruder.endswith("/"):
        (work.path / intruder).mkdir()
    else:
        (work.path / intruder).write_text("not Simvid's")
    work.remove()
    assert (work.path / intruder.rstrip("/")).exists()
    assert work.segment_path(SEG).is_file(), "nothing deleted, not even Simvid's own files"


def test_remove_does_not_follow_links(tmp_path: Path) -> None:
    target = used(tmp_path / "elsewhere")
    link = tmp_path / SHARED_WORK_PARENT / "job1"
    link.parent.mkdir()
    link.symlink_to(target.path)
    WorkDir(link).remove()
    assert target.segment_path(SEG).is_file() and link.is_symlink()
    (target.path / "escape").symlink_to(tmp_path)
    target.remove()
    assert target.path.is_dir(), "a folder holding a link is not only Simvid's"


def test_prepare_refuses_a_folder_simvid_did_not_make(tmp_path: Path) -> None:
    share = tmp_path / "studio"
    share.mkdir()
    (share / "canary.txt").write_text("mine")
    with pytest.raises(OutputError, match="not made by Simvid"):
        WorkDir(share).prepare("k1")
    assert (share / "canary.txt").read_text() == "mine"
    assert not (share / MARKER).exists() and not (share / "plan.json").exists()


def test_prepare_refuses_a_link_or_a_file(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    (tmp_path / "file").write_text("x")
    for path in (tmp_path / "link", tmp_path / "file"):
        with pytest.raises(OutputError):
            WorkDir(path).prepare("k1")
    assert list((tmp_path / "real").iterdir()) == []


def test_prepare_adopts_an_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "w").mkdir()  # a crash between creating it and marking it
    WorkDir(tmp_path / "w").prepare("k1")
    assert (tmp_path / "w" / MARKER).is_file()


def test_a_stale_render_is_discarded_only_from_a_folder_that_is_simvids(tmp_path: Path) -> None:
    work = used(tmp_path / "w", key="old")
    work.prepare("new")
    assert not work.segment_path(SEG).exists() and not work.audio_path.exists()
    assert (work.path / MARKER).is_file()
    work = used(tmp_path / "w2", key="old")
    (work.path / "notes.txt").write_text("not Simvid's")
    with pytest.raises(OutputError):
        work.prepare("new")
    assert work.segment_path(SEG).is_file() and (work.path / "notes.txt").is_file()


def test_resuming_keeps_the_finished_pieces(tmp_path: Path) -> None:
    work = used(tmp_path / "w")
    work.prepare("k1")
    assert work.done(SEG) and work.audio_path.is_file()
    assert not list(work.path.glob("*.part.mp4")), "a crash's half piece is cleared"
