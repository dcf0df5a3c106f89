"""The small interface every way of running jobs implements (local pool, render farm)."""

from __future__ import annotations

from typing import Protocol

from simvid_desktop.jobs.model import Job, JobUpdate


class Backend(Protocol):
    """Runs claimed jobs and reports on them. Called from one thread (the runner's)."""

    #: Jobs whose ``backend`` column has this value are claimed by this backend.
    name: str

    def start(self) -> None:
        """Get ready (start workers, connect)."""

    def shutdown(self) -> None:
        """Stop what is running (it will be recovered and resumed later) and release all."""

    def free_slots(self) -> int:
        """How many more jobs it can start now."""

    def running(self) -> set[str]:
        """Ids of the jobs it is running."""

    def start_job(self, job: Job) -> None:
        """Start rendering a job that the runner has just claimed."""

    def cancel_job(self, job_id: str) -> None:
        """Ask a running job to stop; its outcome arrives through :meth:`poll`."""

    def poll(self, timeout: float) -> list[JobUpdate]:
        """Progress and outcomes since the last call, waiting up to ``timeout`` for some."""
