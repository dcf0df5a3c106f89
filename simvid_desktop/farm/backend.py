"""The farm as a queue backend: the runner claims a farm job from the local store, this
sends it to Redis, and reads its progress and outcome back into the store (the store is
the job's mirror: the job list and history work with the farm offline).

If the farm is unreachable when a job is to be sent, the job is handed to the local pool
with a visible message. Jobs already on the farm wait while Redis is away; one that Redis
lost (restarted without persistence) is sent again from the mirror.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from simvid_desktop.errors import FarmUnreachable, InvalidInput
from simvid_desktop.farm import protocol
from simvid_desktop.farm.client import FarmClient, FarmJobState, FarmJobStatus
from simvid_desktop.farm.paths import PathMap
from simvid_desktop.jobs.backend import Backend
from simvid_desktop.jobs.local_pool import LocalPool
from simvid_desktop.jobs.model import (
    Job,
    JobHandoff,
    JobOutcome,
    JobStatus,
    JobUpdate,
    JobWaiting,
)
from simvid_desktop.jobs.store import Store
from simvid_desktop.model.settings import Settings

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.5  #: how often job states are read from Redis
REAP_SECONDS = 5.0
RETRY_CONNECT_SECONDS = 5.0
MAX_IN_FLIGHT = 200  #: jobs sent to the farm at once (the farm's own queue orders them)


class FarmBackend:
    """Implements :class:`simvid_desktop.jobs.backend.Backend` with the render farm."""

    name = "farm"

    def __init__(self, url: str, *, path_map: PathMap | None = None, split: int = 1,
                 retries: int = 2, fallback: str = "local") -> None:
        self.url = url
        self.path_map = path_map or PathMap()
        self.split = split
        self.retries = retries
        self.fallback = fallback
        self._client: FarmClient | None = None
        self._jobs: dict[str, Job] = {}  #: the jobs on the farm, by id
        self._updates: list[JobUpdate] = []
        self._last_poll = 0.0
        self._last_reap = 0.0
        self._down_since: float | None = None
        self._last_connect_try = 0.0
        self.notice: str | None = None  #: why the farm is not in use right now

    # -- connection ------------------------------------------------------------------------
    def _connected(self) -> FarmClient | None:
        """The client, if the farm answers (tried again every few seconds)."""
        if self._client is not None and self._down_since is None:
            return self._client
        now = time.monotonic()
        if now - self._last_connect_try < RETRY_CONNECT_SECONDS and self._last_connect_try:
            return None
        self._last_connect_try = now
        try:
            if self._client is None:
                self._client = FarmClient(self.url, path_map=self.path_map)
            self._client.ping()
        except (FarmUnreachable, InvalidInput) as exc:
            self._went_down(exc)
            return None
        if self._down_since is not None:
            logger.info("render farm %s is back", self._client.display_url)
        self._down_since, self.notice = None, None
        return self._client

    def _went_down(self, exc: Exception) -> None:
        if self._down_since is None:
            logger.warning("%s", exc)
            self._down_since = time.monotonic()
            self._last_connect_try = time.monotonic()
        self.notice = str(exc)

    # -- the backend interface -------------------------------------------------------------
    def start(self) -> None:
        self._connected()

    def shutdown(self) -> None:
        """Farm jobs go on rendering on the farm; the next runner adopts them."""
        self._jobs.clear()
        if self._client is not None:
            self._client.close()
            self._client = None

    def free_slots(self) -> int:
        return max(0, MAX_IN_FLIGHT - len(self._jobs))

    def running(self) -> set[str]:
        return set(self._jobs)

    def start_job(self, job: Job) -> None:
        client = self._connected()
        if client is None:
            self._hand_back(job)
            return
        try:
            adopted = self._submit(client, job)
        except FarmUnreachable as exc:
            self._went_down(exc)
            self._hand_back(job)
            return
        logger.info("job %s %s the farm", job.id, "found on" if adopted else "sent to")
        self._jobs[job.id] = job
        self._updates.append(JobWaiting(job.id, "Waiting for a farm worker"))

    def _submit(self, client: FarmClient, job: Job) -> bool:
        """Send (or adopt) ``job``; True if the farm already had it."""
        split = int(job.extra.get("split", self.split) or 1)
        return client.submit(job, split=split, retries=self.retries)[1]

    def _hand_back(self, job: Job) -> None:
        message = (f"{self.notice or 'render farm unreachable'}; "
                   "rendering on this computer instead")
        self._updates.append(JobHandoff(job.id, self.fallback, message))

    def cancel_job(self, job_id: str) -> None:
        if job_id not in self._jobs:
            return
        client = self._connected()
        if client is None:
            # The farm cannot be told now; the job ends here (its output will be ignored).
            self._jobs.pop(job_id)
            self._updates.append(JobOutcome(job_id, JobStatus.CANCELED))
            return
        try:
            client.cancel(job_id)
        except FarmUnreachable as exc:
            self._went_down(exc)

    def poll(self, timeout: float) -> list[JobUpdate]:
        now = time.monotonic()
        if self._jobs and now - self._last_poll >= POLL_SECONDS:
            self._last_poll = now
            self._read_states()
        elif not self._updates and timeout > 0:
            time.sleep(timeout)
        updates, self._updates = self._updates, []
        return updates

    # -- reading the farm ------------------------------------------------------------------
    def _read_states(self) -> None:
        client = self._connected()
        if client is None:
            for job in self._jobs.values():
                self._updates.append(JobWaiting(
                    job.id, "Render farm unreachable; the job keeps its place"))
            return
        try:
            if time.monotonic() - self._last_reap >= REAP_SECONDS:
                self._last_reap = time.monotonic()
                client.reap()
            states = client.states([protocol.rq_job_id(j) for j in self._jobs])
        except FarmUnreachable as exc:
            self._went_down(exc)
            return
        for job in list(self._jobs.values()):
            self._apply(client, job, states[protocol.rq_job_id(job.id)])

    def _apply(self, client: FarmClient, job: Job, state: FarmJobState) -> None:
        job_id, status = job.id, state.status
        if status.waiting:
            text = ("Waiting for a farm worker" if state.attempt == 0
                    else f"Queued again on the farm (attempt {state.attempt + 1})")
            self._updates.append(JobWaiting(job_id, text))
        elif status is FarmJobStatus.STARTED:
            progress = state.job_progress(job_id)
            if progress is not None:
                self._updates.append(progress)
        elif status is FarmJobStatus.FINISHED:
            self._jobs.pop(job_id)
            result = dict(state.result or {})
            result["output"] = protocol.desktop_output(job.output, result.get("output"))
            self._updates.append(JobOutcome(job_id, JobStatus.FINISHED, result,
                                            log=state.log))
        elif status in (FarmJobStatus.STOPPED, FarmJobStatus.CANCELED) or state.cancelled:
            self._jobs.pop(job_id)
            self._updates.append(JobOutcome(job_id, JobStatus.CANCELED, log=state.log))
        elif status is FarmJobStatus.FAILED:
            self._jobs.pop(job_id)
            # RQ already retried what could be retried: the failure is final here.
            self._updates.append(JobOutcome(job_id, JobStatus.FAILED, None,
                                            state.error or "failed on the farm",
                                            state.error_log, False, log=state.log))
        elif status is FarmJobStatus.MISSING:
            self._resend(client, job)

    def _resend(self, client: FarmClient, job: Job) -> None:
        """Redis lost the job (restarted without its data): send it again from the mirror."""
        logger.warning("job %s is no longer on the farm; sending it again", job.id)
        try:
            self._submit(client, job)
        except FarmUnreachable as exc:
            self._went_down(exc)
            return
        self._updates.append(JobWaiting(job.id, "Sent to the farm again (Redis had lost it)"))


def farm_url_to_serve(given: str | None, settings: Settings,
                      store_path: Path | None = None) -> str:
    """The farm a runner serves: the one given, the settings' one, or the one queued farm
    jobs were sent with (``simvid queue add --farm URL``); "" when there is none. The job
    store is read only in that last case."""
    if given:
        return given
    if settings.farm_url:
        return settings.farm_url
    store = Store(store_path)
    try:
        jobs = store.jobs([JobStatus.QUEUED, JobStatus.STARTED], include_project=False)
    finally:
        store.close()
    return next((str(j.extra["farm_url"]) for j in jobs
                 if j.backend == "farm" and j.extra.get("farm_url")), "")


def queue_backends(settings: Settings, *, workers: int | None = None,
                   farm_url: str | None = None, store_path: Path | None = None
                   ) -> list[Backend]:
    """The backends a queue runner uses, for the window and ``simvid queue run`` alike:
    the local pool (always: the default and the fallback), and the farm when there is one.

    Raises:
        InvalidInput: a path-map rule in the settings is malformed.
    """
    backends: list[Backend] = [LocalPool(workers or settings.worker_count)]
    url = farm_url_to_serve(farm_url, settings, store_path)
    if url:
        backends.append(FarmBackend(
            url, path_map=PathMap.parse(settings.farm_path_map, "farm path map"),
            split=settings.farm_split, retries=settings.retries))
    return backends
