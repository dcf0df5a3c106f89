"""An existing file is never overwritten, even one that appears at the output path while
the video renders: the collision policy is applied when the video is done."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from simvid_desktop.errors import OutputError
from simvid_desktop.jobs.local_pool import LocalPool
from simvid_desktop.jobs.model import JobStatus
from simvid_desktop.jobs.runner import QueueRunner
from simvid_desktop.jobs.store import Store
from simvid_desktop.jobs.submit import submit
from simvid_desktop.model.settings import CollisionPolicy, Settings
from simvid_desktop.render.engine import (
    RenderSpec,
    finish_pieces,
    render,
    render_handed_pieces,
)
from simvid_desktop.render.progress import ProgressEvent, RenderStage
from tests.integration.conftest import small_project
from tests.integration.media import frames_rgb, leftovers, probe

#: Not a video: what a user (or another program) put at the name during the render.
THEIRS = os.urandom(50_000)


def plant_midway(path: Path) -> Callable[[ProgressEvent], None]:
    """A progress callback that creates ``path`` halfway through the frames."""
    def progress(event: ProgressEvent) -> None:
        if event.stage is RenderStage.RENDERING and event.frames_done == 50 and not path.exists():
            path.write_bytes(THEIRS)
    return progress


@pytest.mark.parametrize("segmented", [False, True], ids=["single-pass", "segments"])
def test_a_file_created_mid_render_survives_and_the_video_gets_a_number(
        tmp_path: Path, photos: list[Path], segmented: bool) -> None:
    out = tmp_path / "show.mp4"
    spec = RenderSpec(small_project(photos), out, segment_seconds=1.0,
                      work_dir=tmp_path / "work" if segmented else None)
    outcome = render(spec, progress=plant_midway(out))

    assert out.read_bytes() == THEIRS, "the file that appeared meanwhile is untouched"
    assert outcome.output == tmp_path / "show (2).mp4"
    assert outcome.size_bytes == outcome.output.stat().st_size
    assert len(frames_rgb(outcome.output, 128, 72)) == 100 == outcome.frames
    assert probe(outcome.output)["faststart"]
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("segmented", [False, True], ids=["single-pass", "segments"])
def test_with_refuse_the_render_fails_naming_the_file_and_the_file_survives(
        tmp_path: Path, photos: list[Path], segmented: bool) -> None:
    out = tmp_path / "show.mp4"
    spec = RenderSpec(small_project(photos), out, segment_seconds=1.0,
                      work_dir=tmp_path / "work" if segmented else None,
                      collision=CollisionPolicy.REFUSE)
    with pytest.raises(OutputError, match="refuse") as caught:
        render(spec, progress=plant_midway(out))
    assert str(out) in str(caught.value)
    assert out.read_bytes() == THEIRS
    assert sorted(p.name for p in tmp_path.glob("show*")) == ["show.mp4"]
    assert leftovers(tmp_path) == []


def test_refuse_fails_before_rendering_when_the_file_is_already_there(
        tmp_path: Path, photos: list[Path]) -> None:
    out = tmp_path / "show.mp4"
    out.write_bytes(THEIRS)
    events: list[ProgressEvent] = []
    with pytest.raises(OutputError, match="already exists"):
        render(RenderSpec(small_project(photos), out, collision=CollisionPolicy.REFUSE),
               progress=events.append)
    assert not any(e.stage is RenderStage.RENDERING for e in events)
    assert out.read_bytes() == THEIRS


def test_numbered_names_skip_those_taken_too(tmp_path: Path, photos: list[Path]) -> None:
    out = tmp_path / "show.mp4"
    (tmp_path / "show (2).mp4").write_bytes(b"two")
    outcome = render(RenderSpec(small_project(photos), out), progress=plant_midway(out))
    assert outcome.output == tmp_path / "show (3).mp4"
    assert (tmp_path / "show (2).mp4").read_bytes() == b"two"


def test_a_farm_join_never_overwrites(tmp_path: Path, photos: list[Path]) -> None:
    """The join of pieces rendered by several workers applies the policy the same way."""
    project = small_project(photos)
    work = tmp_path / "work"
    pieces = iter(range(4))
    assert render_handed_pieces(project, work, 1.0, lambda: next(pieces, None)) == 4
    out = tmp_path / "show.mp4"
    out.write_bytes(THEIRS)  # appeared while the pieces were rendered

    with pytest.raises(OutputError, match="refuse"):
        finish_pieces(project, out, work, 1.0, CollisionPolicy.REFUSE)
    outcome = finish_pieces(project, out, work, 1.0, CollisionPolicy.NUMBER)
    assert out.read_bytes() == THEIRS
    assert outcome.output == tmp_path / "show (2).mp4"
    assert len(frames_rgb(outcome.output, 128, 72)) == 100
    assert leftovers(tmp_path) == []


def test_the_queue_applies_the_policy_it_was_given_when_the_job_was_queued(
        tmp_path: Path, photos: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the store and a real render process: the job ends naming where the video
    went, or failed with a message naming the file, which is left as it was."""
    monkeypatch.setenv("SIMVID_DATA_DIR", str(tmp_path / "data"))
    store = Store(tmp_path / "jobs.sqlite3")
    try:
        project = small_project(photos)
        numbered = submit(store, project, tmp_path / "a.mp4",
                          Settings(collision=CollisionPolicy.NUMBER))
        refused = submit(store, project, tmp_path / "b.mp4",
                         Settings(collision=CollisionPolicy.REFUSE))
        assert (numbered.collision, refused.collision) == (CollisionPolicy.NUMBER,
                                                          CollisionPolicy.REFUSE)
        for job in (numbered, refused):  # free when queued, taken before the render ends
            Path(job.output).write_bytes(THEIRS)
        QueueRunner([LocalPool(1)], store.path, exit_when_idle=True).run()

        done = store.get(numbered.id)
        assert done is not None and done.status is JobStatus.FINISHED, done
        assert done.output == str(tmp_path / "a (2).mp4") == (done.result or {})["output"]
        assert len(frames_rgb(Path(done.output), 128, 72)) == 100
        failed = store.get(refused.id)
        assert failed is not None and failed.status is JobStatus.FAILED, failed
        assert str(tmp_path / "b.mp4") in (failed.error or "")
        assert "refuse" in (failed.error or "") and failed.failures == 0, "not retried"
        assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes() == THEIRS
        assert not (tmp_path / "b (2).mp4").exists()
    finally:
        store.close()
