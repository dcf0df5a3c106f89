"""What a render job is, which status changes are allowed (checked here, nowhere else), and
the records a backend reports about the jobs it runs.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field, fields
from enum import Enum
from pathlib import Path
from typing import Any

from simvid_desktop.errors import ProjectInvalid
from simvid_desktop.model.project import Project
from simvid_desktop.model.project_io import parse_project
from simvid_desktop.model.settings import SEGMENT_SECONDS, CollisionPolicy
from simvid_desktop.render.progress import ProgressEvent, RenderStage


class JobStatus(str, Enum):
    """RQ's names, plus ``paused`` for a queued job held back by the user."""

    QUEUED = "queued"
    STARTED = "started"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELED = "canceled"
    PAUSED = "paused"

    @property
    def active(self) -> bool:
        return self in (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.PAUSED)

    @property
    def ended(self) -> bool:
        return self in (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.CANCELED)


_ALLOWED: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.QUEUED: frozenset({JobStatus.STARTED, JobStatus.PAUSED, JobStatus.CANCELED}),
    JobStatus.PAUSED: frozenset({JobStatus.QUEUED, JobStatus.CANCELED}),
    # STARTED -> QUEUED: an automatic retry, or recovery after the runner died.
    JobStatus.STARTED: frozenset({
        JobStatus.FINISHED, JobStatus.FAILED, JobStatus.CANCELED, JobStatus.QUEUED,
    }),
    JobStatus.FAILED: frozenset({JobStatus.QUEUED}),  # manual retry
    JobStatus.CANCELED: frozenset({JobStatus.QUEUED}),  # manual retry
    JobStatus.FINISHED: frozenset(),
}


class StatusChangeError(ValueError):
    """A status change that the job model does not allow."""


def check_status_change(old: JobStatus, new: JobStatus) -> None:
    if new not in _ALLOWED[old]:
        raise StatusChangeError(f"a {old.value} job cannot become {new.value}")


def can_change_status(old: JobStatus, new: JobStatus) -> bool:
    return new in _ALLOWED[old]


def new_job_id() -> str:
    return uuid.uuid4().hex[:12]


def project_from_snapshot(data: dict[str, Any], output: str) -> Project:
    """A job's project snapshot (JSON, as queued) parsed and checked: once per process
    that renders it, since it crossed a process or machine boundary.

    Raises:
        ProjectInvalid: naming every problem.
    """
    project, problems = parse_project(json.dumps(data), Path(output).parent)
    if problems:
        raise ProjectInvalid(problems)
    return project


@dataclass
class Job:
    """One render: a snapshot of the project (JSON), where it goes, and how it is going."""

    id: str
    name: str
    project: dict[str, Any]  #: the project as JSON data, absolute paths (a copy)
    output: str
    priority: int = 0
    position: float = 0.0  #: order among jobs of the same priority (first in, first out)
    status: JobStatus = JobStatus.QUEUED
    #: What the render is doing; None while it is not rendering (queued, waiting on the farm).
    stage: RenderStage | None = None
    percent: float = 0.0
    message: str = ""
    frames_done: int = 0
    frames_total: int = 0
    fps: float = 0.0
    eta: float | None = None
    attempts: int = 0  #: times a worker started it
    failures: int = 0  #: transient failures so far (automatic retries use these)
    max_retries: int = 2
    created_at: float = 0.0
    started_at: float | None = None
    ended_at: float | None = None
    next_attempt_at: float = 0.0  #: not before this time (retry back-off)
    result: dict[str, Any] | None = None  #: RenderOutcome.to_dict()
    error: str | None = None  #: user-facing message
    error_log: str | None = None  #: the log excerpt behind it
    owner: str | None = None  #: id of the runner rendering it
    cancel_requested: bool = False
    backend: str = "local"
    work_dir: str | None = None
    segment_seconds: float = SEGMENT_SECONDS  #: the resumable pieces of its render
    duration: float = 0.0  #: the show's length in seconds (known when it was queued)
    log_host: str | None = None  #: where its last run logged (this or a farm machine)
    log_path: str | None = None
    updated_at: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)  #: the farm's bookkeeping
    #: Applied again when the video is done, if its name was taken meanwhile.
    collision: CollisionPolicy = CollisionPolicy.NUMBER

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["status"] = self.status.value
        d["stage"] = self.stage.value if self.stage is not None else ""
        d["collision"] = self.collision.value
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Job:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["status"] = JobStatus(values.get("status", "queued"))
        values["stage"] = RenderStage(values["stage"]) if values.get("stage") else None
        values["collision"] = CollisionPolicy(values.get("collision", "number"))
        return cls(**values)

    @property
    def log(self) -> LogLocation | None:
        if self.log_path is None:
            return None
        return LogLocation(self.log_host or "", self.log_path)

    def public_dict(self) -> dict[str, Any]:
        """The plain form ``simvid queue list --json`` prints."""
        return {
            "id": self.id, "name": self.name, "status": self.status.value,
            "stage": self.stage.value if self.stage else "",
            "progress": round(self.percent, 1), "message": self.message,
            "output": self.output, "priority": self.priority, "attempts": self.attempts,
            "frames_done": self.frames_done, "frames_total": self.frames_total,
            "fps": round(self.fps, 2), "eta": self.eta, "error": self.error,
            "created_at": self.created_at, "started_at": self.started_at,
            "ended_at": self.ended_at, "result": self.result, "backend": self.backend,
        }


@dataclass(frozen=True)
class LogLocation:
    """Where a run of a job wrote its log: a file on ``host`` (this computer or a farm worker)."""

    host: str
    path: str

    def to_dict(self) -> dict[str, str]:
        return {"host": self.host, "path": self.path}

    @classmethod
    def from_dict(cls, data: object) -> LogLocation | None:
        if not isinstance(data, dict) or not isinstance(data.get("path"), str):
            return None
        return cls(str(data.get("host") or ""), data["path"])


@dataclass(frozen=True)
class JobProgress:
    """The render's own progress event, and the job it belongs to."""

    job_id: str
    event: ProgressEvent


@dataclass(frozen=True)
class JobWaiting:
    """A claimed job that is not rendering: queued on the farm, or the farm is away."""

    job_id: str
    message: str


@dataclass(frozen=True)
class JobOutcome:
    """How a run of a job ended, as reported by its backend."""

    job_id: str
    status: JobStatus  #: FINISHED, FAILED or CANCELED
    result: dict[str, Any] | None = None
    error: str | None = None
    error_log: str | None = None
    transient: bool = False  #: a retry may succeed (worker crash, disk full)
    log: LogLocation | None = None  #: where this run logged


@dataclass(frozen=True)
class JobHandoff:
    """A backend gives a claimed job back to be run by another one (the render farm is
    unreachable: the job falls back to the local pool). ``message`` is shown on the job."""

    job_id: str
    backend: str
    message: str


#: What a backend reports about the jobs it runs.
JobUpdate = JobProgress | JobWaiting | JobOutcome | JobHandoff
