"""A farm task checks its RQ job before anything touches a path: the job id (which
names the job's log file) and that it renders its own payload. No Redis needed: the job
is a stand-in that records what was written to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from simvid_desktop.errors import FarmJobRefused
from simvid_desktop.farm import protocol, tasks
from simvid_desktop.farm.client import work_dir_on_farm
from simvid_desktop.farm.paths import MediaRoots
from simvid_desktop.model.project import Project, Slide
from simvid_desktop.model.project_io import project_to_dict


class FakeJob:
    """What ``_Session.begin`` may use of an RQ job before it is accepted."""

    def __init__(self, rq_id: str) -> None:
        self.id = rq_id
        self.meta: dict[str, Any] = {}
        self.retries_left: int | None = 2
        self.saved: list[dict[str, Any]] = []

    def save_meta(self) -> None:
        self.saved.append(dict(self.meta))

    @property
    def connection(self) -> Any:
        raise AssertionError("a refused job must not get as far as using Redis")


@pytest.fixture
def shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("SIMVID_DATA_DIR", str(tmp_path / "data"))
    share = tmp_path / "share"
    (share / "out").mkdir(parents=True)
    (share / "a.jpg").write_bytes(b"")
    tasks.bind_runtime(tasks.WorkerRuntime("w1", MediaRoots.of([share])))
    yield share
    tasks.bind_runtime(None)


def farm_payload(share: Path, job_id: str = "abc123") -> dict[str, Any]:
    output = str(share / "out" / "show.mp4")
    project = project_to_dict(Project(slides=(Slide(share / "a.jpg"),)))
    return protocol.FarmPayload(job_id=job_id, project=project, output=output,
                                work_dir=work_dir_on_farm(output, job_id)).to_dict()


@pytest.mark.parametrize("rq_id", ["simvid-../../../escaped", "simvid-a/b", "../x", "x.log",
                                   "simvid-" + "a" * 200])
def test_a_job_id_unsafe_in_a_path_is_refused_before_any_path_is_built(
        shared: Path, rq_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    job = FakeJob(rq_id)
    monkeypatch.setattr(tasks, "get_current_job", lambda: job)
    with pytest.raises(FarmJobRefused, match="not a Simvid job id"):
        tasks.render_show(farm_payload(shared))
    assert job.retries_left == 0 and job.saved[-1]["invalid"], "refused for good"
    assert not (shared.parent / "data").exists(), "no log folder or file was made"


def test_a_job_renders_only_the_payload_of_its_own_job(shared: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    job = FakeJob("simvid-other1")
    monkeypatch.setattr(tasks, "get_current_job", lambda: job)
    with pytest.raises(FarmJobRefused, match="not the render of job 'abc123'"):
        tasks.render_pieces(farm_payload(shared))
    assert job.retries_left == 0


def test_a_planted_job_naming_the_share_as_its_work_folder_is_refused(
        shared: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    job = FakeJob("simvid-abc123")
    monkeypatch.setattr(tasks, "get_current_job", lambda: job)
    data = farm_payload(shared)
    data["work_dir"] = str(shared)
    with pytest.raises(FarmJobRefused, match="'work_dir'"):
        tasks.render_show(data)
    assert job.retries_left == 0
