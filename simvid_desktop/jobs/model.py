"""What a render job is, and which status changes are allowed (checked here, nowhere else)."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field, fields
from enum import Enum
from typing import Any


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


class TransitionError(ValueError):
    """A status change that the job model does not allow."""


def check_transition(old: JobStatus, new: JobStatus) -> None:
    if new not in _ALLOWED[old]:
        raise TransitionError(f"a {old.value} job cannot become {new.value}")


def can_transition(old: JobStatus, new: JobStatus) -> bool:
    return new in _ALLOWED[old]


def new_job_id() -> str:
    return uuid.uuid4().hex[:12]


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
    stage: str = ""
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
    updated_at: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)  #: backend bookkeeping

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["status"] = self.status.value
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Job:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["status"] = JobStatus(values.get("status", "queued"))
        return cls(**values)

    def public_dict(self) -> dict[str, Any]:
        """The plain form ``simvid queue list --json`` prints."""
        return {
            "id": self.id, "name": self.name, "status": self.status.value,
            "stage": self.stage, "progress": round(self.percent, 1), "message": self.message,
            "output": self.output, "priority": self.priority, "attempts": self.attempts,
            "frames_done": self.frames_done, "frames_total": self.frames_total,
            "fps": round(self.fps, 2), "eta": self.eta, "error": self.error,
            "created_at": self.created_at, "started_at": self.started_at,
            "ended_at": self.ended_at, "result": self.result, "backend": self.backend,
        }


@dataclass(frozen=True)
class JobProgress:
    """A progress record from whatever runs the job (worker process or farm)."""

    job_id: str
    stage: str
    percent: float
    message: str
    frames_done: int
    frames_total: int
    fps: float
    eta: float | None


@dataclass(frozen=True)
class JobOutcome:
    """How a run of a job ended, as reported by its backend."""

    job_id: str
    status: JobStatus  #: FINISHED, FAILED or CANCELED
    result: dict[str, Any] | None = None
    error: str | None = None
    error_log: str | None = None
    transient: bool = False  #: a retry may succeed (worker crash, disk full)


@dataclass(frozen=True)
class JobHandoff:
    """A backend gives a claimed job back to be run by another one (the render farm is
    unreachable: the job falls back to the local pool). ``message`` is shown on the job."""

    job_id: str
    backend: str
    message: str
