"""Job statuses: the allowed changes, in one table."""

from __future__ import annotations

import pytest

from simvid_desktop.jobs.model import (
    Job,
    JobStatus,
    StatusChangeError,
    can_change_status,
    check_status_change,
)

Q, S, F, X, C, P = (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.FINISHED, JobStatus.FAILED,
                    JobStatus.CANCELED, JobStatus.PAUSED)

ALLOWED = {(Q, S), (Q, P), (Q, C), (P, Q), (P, C), (S, F), (S, X), (S, C), (S, Q), (X, Q), (C, Q)}


@pytest.mark.parametrize("old", list(JobStatus))
@pytest.mark.parametrize("new", list(JobStatus))
def test_status_change_table(old: JobStatus, new: JobStatus) -> None:
    assert can_change_status(old, new) == ((old, new) in ALLOWED)
    if (old, new) in ALLOWED:
        check_status_change(old, new)
    else:
        with pytest.raises(StatusChangeError, match=f"a {old.value} job cannot become"):
            check_status_change(old, new)


def test_status_groups_and_rq_names() -> None:
    assert {s.value for s in JobStatus} == {
        "queued", "started", "finished", "failed", "canceled", "paused"}
    assert [s for s in JobStatus if s.ended] == [F, X, C]
    assert [s for s in JobStatus if s.active] == [Q, S, P]


def test_job_round_trip_and_public_fields() -> None:
    job = Job(id="abc", name="n", project={"slides": []}, output="/o.mp4", percent=12.345,
              status=S, attempts=2, error=None)
    again = Job.from_dict(job.to_dict())
    assert again == job
    public = job.public_dict()
    assert {"id", "status", "stage", "progress", "message", "output", "attempts",
            "error"} <= set(public)
    assert public["status"] == "started" and public["progress"] == 12.3
