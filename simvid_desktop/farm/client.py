"""The desktop's side of the farm: send jobs, read their state back, cancel, look around.

Every call may raise ``FarmUnreachable`` (the URL in its message has no password). The
Redis client is made with short timeouts: the window's runner thread must never hang on
a farm that went away.
"""

from __future__ import annotations

import json
import logging
import re
import socket
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any
from urllib.parse import unquote, unquote_plus, urlsplit

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job as RQJob
from rq.job import JobStatus as RQStatus
from rq.serializers import JSONSerializer

from simvid_desktop.errors import FarmUnreachable, InvalidInput
from simvid_desktop.farm import protocol
from simvid_desktop.farm.paths import PathMap
from simvid_desktop.farm.reaper import reap_abandoned
from simvid_desktop.jobs.model import Job, JobProgress, LogLocation
from simvid_desktop.render.progress import ProgressEvent

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 3.0


#: Query parameters whose value is a secret (redis-py passes every parameter on to the
#: connection: ``?password=``, ``?ssl_password=`` and whatever a future version adds).
_SECRET_NAME = re.compile(r"pass|secret|token|auth|cred", re.IGNORECASE)
_HIDDEN = "***"


def _hidden_parts(url: str) -> tuple[str, list[str]]:
    """(the URL with its secrets hidden, the secrets as written).

    Cut as loosely as redis-py reads a URL, and erring towards hiding more: the query
    starts at the first ``?`` and each value runs to the next ``&`` (a ``#`` in a password
    stays in it); then the user info ends at the last ``@`` (passwords contain ``@``), and
    a user name is shown only when the user info is plainly ``user:password``.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    secrets: list[str] = []
    head, qmark, query = rest.partition("?")
    if qmark:
        pairs = []
        for pair in query.split("&"):
            name, eq, value = pair.partition("=")
            if eq and value and _SECRET_NAME.search(unquote_plus(name)):
                secrets.append(value)
                value = _HIDDEN
            pairs.append(name + eq + value)
        rest = head + qmark + "&".join(pairs)
    userinfo, at, after = rest.rpartition("@")
    if at:
        user, colon, password = userinfo.partition(":")
        if colon and not re.search(r"[/?#&]", userinfo):
            secrets.append(password)
            rest = f"{user}:{_HIDDEN}@{after}"
        else:  # a user-only "secret@", or user info holding URL delimiters: all of it
            secrets.append(userinfo)
            rest = f"{_HIDDEN}@{after}"
    return scheme + sep + rest, secrets


def redact(url: str) -> str:
    """The URL without its secrets, for messages and logs: the password of ``user:pass@``
    and ``:pass@`` (unix sockets too), a user-only ``secret@``, and the value of every
    secret query parameter (``?password=``, ``&ssl_password=``), encoded or not."""
    return _hidden_parts(url)[0]


def _secrets_of(url: str) -> list[str]:
    """Every secret in ``url``, as written and decoded, and the pieces a URL parser may
    cut it into (longest first): what an error message might quote."""
    pieces: set[str] = set()
    for secret in _hidden_parts(url)[1]:
        for form in (secret, unquote(secret), unquote_plus(secret)):
            pieces.add(form)
            pieces.update(p for p in re.split(r"[#?/&@:;=]", form) if len(p) >= 2)
    pieces.discard(_HIDDEN)
    return sorted((p for p in pieces if p), key=len, reverse=True)


def scrub(text: str, url: str) -> str:
    """``text`` (an error message that may quote parts of ``url``) without its secrets."""
    for secret in _secrets_of(url):
        text = text.replace(secret, _HIDDEN)
    return text


def connect(url: str, timeout: float = TIMEOUT_SECONDS) -> Redis:
    """A Redis client for ``url`` (redis://, rediss:// for TLS, unix://; password in the URL).

    Raises:
        InvalidInput: the URL is not a Redis URL.
    """
    if urlsplit(url).scheme not in ("redis", "rediss", "unix"):
        raise InvalidInput(f"farm URL {redact(url)!r}: expected redis://host:port/db "
                           "(or rediss:// for TLS)")
    try:
        return Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout,
                              health_check_interval=30)
    except ValueError as exc:  # its message may quote a piece of the password
        raise InvalidInput(f"farm URL {redact(url)!r}: {scrub(str(exc), url)}") from None


def connect_answering(url: str, timeout: float = TIMEOUT_SECONDS) -> Redis:
    """:func:`connect`, and check that the server answers.

    Raises:
        InvalidInput: the URL is not a Redis URL.
        FarmUnreachable: the server does not answer (the message has no password).
    """
    redis = connect(url, timeout)
    try:
        redis.ping()
    except RedisError as exc:
        redis.close()
        raise FarmUnreachable(redact(url), scrub(str(exc), url) or type(exc).__name__) from exc
    return redis


def work_dir_on_farm(output: str, job_id: str) -> str:
    """Where a farm job keeps its pieces: beside its output, on the shared storage (the
    only place a worker accepts)."""
    return protocol.farm_work_dir(output, job_id)


class FarmJobStatus(str, Enum):
    """RQ's job statuses, and ``missing``: Redis no longer has the job."""

    CREATED = "created"
    QUEUED = "queued"
    SCHEDULED = "scheduled"
    DEFERRED = "deferred"
    STARTED = "started"
    FINISHED = "finished"
    FAILED = "failed"
    STOPPED = "stopped"
    CANCELED = "canceled"
    MISSING = "missing"

    @property
    def waiting(self) -> bool:
        """On the farm's queue, not yet taken by a worker."""
        return self in (FarmJobStatus.CREATED, FarmJobStatus.QUEUED, FarmJobStatus.SCHEDULED,
                        FarmJobStatus.DEFERRED)


@dataclass(frozen=True)
class FarmJobState:
    """What Redis says about one farm job, read from its meta once."""

    rq_id: str
    status: FarmJobStatus
    progress: ProgressEvent | None = None  #: the render's last progress, as its worker saw it
    worker: str | None = None  #: the worker rendering it (or that did last)
    attempt: int = 0  #: runs started so far
    cancelled: bool = False  #: its worker stopped it on a cancel request
    invalid: bool = False  #: refused for bad input (not a failure retrying could fix)
    log: LogLocation | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    error_log: str | None = None

    def job_progress(self, job_id: str) -> JobProgress | None:
        """The progress to show on the desktop: the worker's, saying where it renders."""
        if self.progress is None:
            return None
        where = self.worker or "a farm worker"
        return JobProgress(job_id, replace(self.progress,
                                           message=f"{self.progress.message} (on {where})"))


@dataclass(frozen=True)
class WorkerInfo:
    name: str
    host: str
    job: str | None  #: RQ id of the job it renders
    job_name: str
    percent: float


@dataclass(frozen=True)
class FarmStatus:
    """The farm at a glance (the window's farm monitor)."""

    url: str
    workers: tuple[WorkerInfo, ...]
    queued: int
    running: int
    failed: tuple[tuple[str, str], ...]  #: (job description, error), newest first


class FarmClient:
    def __init__(self, url: str, *, path_map: PathMap | None = None,
                 queue: str = protocol.QUEUE, timeout: float = TIMEOUT_SECONDS) -> None:
        self.url = url
        self.display_url = redact(url)
        self.path_map = path_map or PathMap()
        self.redis = connect(url, timeout)
        self.queue = Queue(queue, connection=self.redis, serializer=JSONSerializer)

    def close(self) -> None:
        self.redis.close()

    def _unreachable(self, exc: Exception) -> FarmUnreachable:
        return FarmUnreachable(self.display_url,
                               scrub(str(exc), self.url) or type(exc).__name__)

    def ping(self) -> None:
        try:
            self.redis.ping()
        except RedisError as exc:
            raise self._unreachable(exc) from exc

    # -- sending ---------------------------------------------------------------------------
    def payload_for(self, job: Job, split: int = 1) -> protocol.FarmPayload:
        pmap = self.path_map.extended(job.extra.get("path_map") or [])
        output = pmap.map(job.output)
        return protocol.FarmPayload(
            job_id=job.id, project=pmap.map_project(job.project), output=output,
            work_dir=work_dir_on_farm(output, job.id),
            segment_seconds=job.segment_seconds,
            split=max(1, split), name=job.name, collision=job.collision.value,
        )

    def submit(self, job: Job, *, split: int = 1, retries: int = 2) -> tuple[str, bool]:
        """Enqueue ``job``, or adopt its farm job if one is still queued, running or done
        (a desktop that restarts must not render a show twice). Returns (RQ id, adopted)."""
        rq_id = protocol.rq_job_id(job.id)
        try:
            state = self.states([rq_id])[rq_id]
            if state.status.waiting or state.status in (FarmJobStatus.STARTED,
                                                        FarmJobStatus.FINISHED):
                return rq_id, True
            if state.status is not FarmJobStatus.MISSING:
                RQJob.fetch(rq_id, connection=self.redis, serializer=JSONSerializer).delete()
            payload = self.payload_for(job, split)
            timeout = max(protocol.MIN_JOB_TIMEOUT, int(20 * job.duration))
            self.queue.enqueue(
                protocol.RENDER_SHOW, payload.to_dict(), job_id=rq_id, job_timeout=timeout,
                result_ttl=protocol.RESULT_TTL, failure_ttl=protocol.FAILURE_TTL,
                retry=Retry(max=retries) if retries > 0 else None,
                description=job.name, meta={"desktop": socket.gethostname()},
            )
            self.redis.delete(protocol.cancel_key(job.id))
            return rq_id, False
        except RedisError as exc:
            raise self._unreachable(exc) from exc

    def cancel(self, job_id: str) -> None:
        """Cancel a farm job: a queued one at once, a running one within a second or two."""
        rq_id = protocol.rq_job_id(job_id)
        try:
            self.redis.set(protocol.cancel_key(job_id), "1", ex=protocol.RESULT_TTL)
            try:
                rq_job = RQJob.fetch(rq_id, connection=self.redis, serializer=JSONSerializer)
            except NoSuchJobError:
                return
            if rq_job.get_status() in (RQStatus.QUEUED, RQStatus.SCHEDULED, RQStatus.DEFERRED):
                rq_job.cancel()
        except RedisError as exc:
            raise self._unreachable(exc) from exc

    # -- reading back ----------------------------------------------------------------------
    def states(self, rq_ids: list[str]) -> dict[str, FarmJobState]:
        try:
            jobs = RQJob.fetch_many(rq_ids, connection=self.redis, serializer=JSONSerializer)
            pairs = zip(rq_ids, jobs, strict=True)
            return {rq_id: _state(rq_id, rq_job) for rq_id, rq_job in pairs}
        except RedisError as exc:
            raise self._unreachable(exc) from exc

    def reap(self) -> list[str]:
        try:
            return reap_abandoned(self.redis, [self.queue.name])
        except RedisError as exc:
            raise self._unreachable(exc) from exc

    def status(self) -> FarmStatus:
        try:
            workers = []
            for key in self.redis.scan_iter(match=protocol.PRESENCE_PATTERN, count=100):
                raw = self.redis.get(key)
                if not isinstance(raw, bytes):
                    continue
                info = json.loads(raw)
                workers.append(WorkerInfo(
                    str(info.get("name", "")), str(info.get("host", "")), info.get("job"),
                    str(info.get("job_name", "")), float(info.get("percent", 0.0) or 0.0)))
            failed_ids = self.queue.failed_job_registry.get_job_ids(0, 9, desc=True)
            failed = []
            for rq_id in failed_ids:
                # Raw fields, not RQ's Job: a refused job has no data left to decode.
                description, meta = self.redis.hmget(RQJob.key_for(rq_id),
                                                     ["description", "meta"])
                failed.append((_text(description) or rq_id, _error_of(meta)))
            return FarmStatus(self.display_url, tuple(sorted(workers, key=lambda w: w.name)),
                              self.queue.count,
                              self.queue.started_job_registry.count, tuple(failed))
        except RedisError as exc:
            raise self._unreachable(exc) from exc


def _text(raw: object) -> str:
    return raw.decode(errors="replace") if isinstance(raw, bytes) else ""


def _error_of(raw_meta: object) -> str:
    try:
        meta = json.loads(_text(raw_meta) or "{}")
    except ValueError:
        return "failed"
    return str(meta.get("error", "failed")) if isinstance(meta, dict) else "failed"


def _state(rq_id: str, rq_job: RQJob | None) -> FarmJobState:
    if rq_job is None:
        return FarmJobState(rq_id, FarmJobStatus.MISSING)
    rq_status = rq_job.get_status(refresh=False)
    try:
        status = FarmJobStatus(rq_status.value if rq_status is not None else "missing")
    except ValueError:  # a status a newer RQ added: treat it as still on the queue
        status = FarmJobStatus.QUEUED
    meta = dict(rq_job.meta or {})
    worker = meta.get("worker")
    state = FarmJobState(
        rq_id, status, progress=_progress_of(meta.get("progress")),
        worker=str(worker) if worker else None, attempt=_int(meta.get("attempt")),
        cancelled=meta.get("outcome") == "canceled", invalid=bool(meta.get("invalid")),
        log=LogLocation.from_dict(meta.get("log")))
    if status is FarmJobStatus.FINISHED:
        result = rq_job.return_value()
        return replace(state, result=result if isinstance(result, dict) else {})
    if status is FarmJobStatus.FAILED:
        error = meta.get("error")
        log = meta.get("error_log")
        if not error:
            latest = rq_job.latest_result()
            text = (latest.exc_string if latest is not None else "") or ""
            lines = [ln for ln in text.strip().splitlines() if ln.strip()]
            error = f"farm worker failed: {lines[-1]}" if lines else "farm worker failed"
            log = text
        return replace(state, error=str(error), error_log=str(log or ""))
    return state


def _progress_of(data: object) -> ProgressEvent | None:
    """A worker's progress event; None when absent or not one (never trusted blindly)."""
    if not isinstance(data, dict):
        return None
    try:
        return ProgressEvent.from_dict(data)
    except (KeyError, TypeError, ValueError):
        return None


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
