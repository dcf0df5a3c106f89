"""``simvid worker``: an RQ worker that renders Simvid farm jobs, and nothing else.

It is RQ's ``SimpleWorker`` (the job runs in the worker process) with each render in a
spawned child process (see ``tasks``). RQ's own ``SpawnWorker`` starts its work horse as
``sys.executable -c ...`` through ``os.posix_spawn``: neither exists on Windows, and a
frozen app has no ``-c``. Spawning with ``multiprocessing`` works everywhere.

A worker takes from its queues only jobs whose id is a Simvid job id (``simvid-...``):
another application's job, on a queue it shares with Simvid, is never taken off its
queue, so it stays where it was, untouched, for that application's workers (RQ's own
dequeue would take whatever is first). Before running a Simvid job, its function name is
checked against the whitelist and its data must be JSON: anything else is refused (marked
failed, its data removed from Redis), never imported or unpickled. A housekeeping thread
keeps the worker's presence record (the window's farm monitor reads it) and hands back
jobs of workers that died.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.exceptions import DequeueTimeout, NoSuchJobError
from rq.job import Job as RQJob
from rq.job import JobStatus as RQStatus
from rq.serializers import JSONSerializer
from rq.timeouts import BaseDeathPenalty, TimerDeathPenalty

from simvid_desktop.farm import protocol, tasks
from simvid_desktop.farm.paths import MediaRoots
from simvid_desktop.farm.reaper import reap_abandoned

logger = logging.getLogger(__name__)

HOUSEKEEPING_SECONDS = 3.0
DEQUEUE_POLL_SECONDS = 0.25  #: how often an idle worker looks at its queues
#: How far down each queue a worker looks for a Simvid job past other applications' jobs.
DEQUEUE_SCAN = 1000

#: Take the first job with a Simvid id from the first queue that has one, as RQ's own
#: dequeue (LMOVE/LPOP) would take the first job of any kind: atomically, so that two
#: workers never take the same job. KEYS: each queue's key and its intermediate queue's
#: key; ARGV: how far to look, whether to keep the job in the intermediate queue (RQ does
#: when a worker serves one queue), the id prefix and maximum length.
_TAKE_SIMVID_JOB = """
local scan = tonumber(ARGV[1])
local prefix, max = ARGV[3], tonumber(ARGV[4])
for i = 1, #KEYS, 2 do
  local ids = redis.call('LRANGE', KEYS[i], 0, scan - 1)
  for _, id in ipairs(ids) do
    if #id <= max and string.sub(id, 1, #prefix) == prefix
        and string.match(string.sub(id, #prefix + 1), '^[%w_%-]+$') then
      redis.call('LREM', KEYS[i], 1, id)
      if ARGV[2] == '1' then redis.call('RPUSH', KEYS[i + 1], id) end
      return {KEYS[i], id}
    end
  end
end
return false
"""


class SimvidQueue(Queue):
    """A queue a Simvid worker serves: it dequeues Simvid jobs only (see the module)."""

    @classmethod
    def dequeue_any(
        cls,
        queues: Iterable[Queue],
        timeout: int | None,
        connection: Redis,
        job_class: type[RQJob] | None = None,
        serializer: Any = None,
        death_penalty_class: type[BaseDeathPenalty] | None = None,
    ) -> tuple[RQJob, Queue] | None:
        """RQ's dequeue, for Simvid jobs only. ``timeout`` None: look once; otherwise
        look every DEQUEUE_POLL_SECONDS and raise DequeueTimeout after ``timeout``."""
        queue_list = list(queues)
        keys = [k for q in queue_list for k in (q.key, q.intermediate_queue_key)]
        take = connection.register_script(_TAKE_SIMVID_JOB)
        args = [DEQUEUE_SCAN, "1" if len(queue_list) == 1 else "0",
                protocol.RQ_ID_PREFIX, protocol.RQ_ID_MAX]
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            found = take(keys=keys, args=args)
            if found:
                queue_key, job_id = (v.decode() if isinstance(v, bytes) else str(v)
                                     for v in found)
                queue = cls.from_queue_key(queue_key, connection=connection,
                                           job_class=job_class, serializer=serializer,
                                           death_penalty_class=death_penalty_class)
                try:
                    job = (job_class or RQJob).fetch(job_id, connection=connection,
                                                     serializer=serializer)
                except NoSuchJobError:
                    continue  # deleted while queued: look again, as RQ does
                return job, queue
            if deadline is None:
                return None
            if time.monotonic() >= deadline:
                raise DequeueTimeout(timeout, [q.key for q in queue_list])
            time.sleep(DEQUEUE_POLL_SECONDS)


def refusal(job: RQJob) -> str | None:
    """Why a job with a Simvid id must not run, or None if it is a well-formed render."""
    try:
        func_name, args, kwargs = job.func_name, job.args, job.kwargs
    except Exception:  # noqa: BLE001 - any decoding failure means: not our JSON
        return f"farm job {job.id}: its data is not JSON (refused; never unpickled)"
    if func_name not in protocol.ALLOWED_FUNCTIONS:
        return f"farm job {job.id}: {func_name!r} is not a Simvid render (refused)"
    if kwargs or len(args) != 1 or not isinstance(args[0], dict):
        return f"farm job {job.id}: its arguments are not one Simvid payload (refused)"
    return None


class FarmWorker(SimpleWorker):
    """An RQ worker for Simvid renders (JSON only, whitelisted functions)."""

    def __init__(self, queues: Sequence[str], *, name: str, connection: Redis,
                 roots: MediaRoots) -> None:
        super().__init__(list(queues), name=name, connection=connection,
                         serializer=JSONSerializer, queue_class=SimvidQueue)
        if sys.platform == "win32":  # no SIGALRM there
            self.death_penalty_class = TimerDeathPenalty
        self.runtime = tasks.WorkerRuntime(name, roots)
        self.runtime.mark_stopped = self._mark_stopped
        self._housekeeping_stop = threading.Event()

    def _mark_stopped(self, rq_id: str) -> None:
        self._stopped_job_id = rq_id  # RQ then records the job as "stopped", not "failed"

    # -- RQ hooks --------------------------------------------------------------------------
    def execute_job(self, job: RQJob, queue: Queue) -> None:
        if not protocol.is_simvid_rq_id(job.id):  # SimvidQueue never hands one out
            self._hand_back(job, queue)
            return
        reason = refusal(job)
        if reason is not None:
            self._refuse(job, queue, reason)
            return
        super().execute_job(job, queue)

    def request_stop_execution(self, execution_id: str) -> None:
        """RQ's stop-job command: the task stops its render (the job ends "stopped")."""
        execution = self.executions.get(execution_id)
        if execution is not None:
            self.runtime.stopped.add(execution.job_id)

    def handle_warm_shutdown_request(self) -> None:
        """SIGTERM/SIGINT: stop the current render at once and queue its job again."""
        super().handle_warm_shutdown_request()
        self.runtime.stop_requested.set()

    def _hand_back(self, job: RQJob, queue: Queue) -> None:
        """Another application's job: back at the front of its queue, as it was."""
        logger.warning("job %r is not a Simvid job: left on queue %s for its own workers",
                       job.id, queue.name)
        with self.connection.pipeline() as pipe:
            pipe.lrem(queue.intermediate_queue_key, 1, job.id)
            pipe.lpush(queue.key, job.id)
            pipe.execute()

    def _refuse(self, job: RQJob, queue: Queue, reason: str) -> None:
        logger.error("%s", reason)
        registry = queue.failed_job_registry
        with self.connection.pipeline() as pipe:
            pipe.hdel(job.key, "data")  # nobody will unpickle it later either
            pipe.hset(job.key, mapping={
                "status": RQStatus.FAILED.value,
                "meta": json.dumps({"error": reason, "refused": True}),
            })
            pipe.expire(job.key, protocol.FAILURE_TTL)
            pipe.zadd(registry.key, {job.id: time.time() + protocol.FAILURE_TTL})
            pipe.lrem(queue.intermediate_queue_key, 1, job.id)
            pipe.execute()

    # -- housekeeping ----------------------------------------------------------------------
    def _presence(self) -> dict[str, Any]:
        return {"name": self.name, "host": socket.gethostname(), "pid": os.getpid(),
                "queues": self.queue_names(), "since": self._started_at,
                **self.runtime.current}

    def _housekeeping(self) -> None:
        redis = self.connection  # thread-safe: commands take connections from its pool
        key = protocol.presence_key(self.name)
        while not self._housekeeping_stop.is_set():
            try:
                redis.set(key, json.dumps(self._presence()), ex=protocol.PRESENCE_SECONDS)
                reap_abandoned(redis, self.queue_names())
            except RedisError as exc:
                logger.warning("farm housekeeping: %s", exc)
            self._housekeeping_stop.wait(HOUSEKEEPING_SECONDS)
        try:
            redis.delete(key)
        except RedisError:
            logger.debug("presence of %s not removed (Redis gone)", self.name)

    def run(self, *, burst: bool = False) -> None:
        self._started_at = time.time()
        tasks.bind_runtime(self.runtime)
        thread = threading.Thread(target=self._housekeeping, name="simvid-housekeeping",
                                  daemon=True)
        thread.start()
        try:
            while True:
                try:
                    self.work(burst=burst, logging_level="INFO", with_scheduler=False)
                except RedisError as exc:  # RQ's own clean-up could not reach Redis either
                    logger.warning("worker %s lost Redis: %s", self.name, exc)
                if burst or self._stop_requested or self.runtime.stop_requested.is_set():
                    return
                # RQ's loop ends on a Redis error: wait for the server and carry on.
                self._wait_for_redis()
        finally:
            self._housekeeping_stop.set()
            thread.join(5)
            tasks.bind_runtime(None)


    def _wait_for_redis(self) -> None:
        delay = 1.0
        while not self.runtime.stop_requested.is_set():
            try:
                self.connection.ping()
            except RedisError as exc:
                logger.warning("Redis unreachable (%s); trying again in %.0f s", exc, delay)
                self.runtime.stop_requested.wait(delay)
                delay = min(delay * 2, 15.0)
                continue
            logger.info("Redis is back; worker %s carries on", self.name)
            return


def default_worker_name() -> str:
    return f"{socket.gethostname()}.{os.getpid()}"
