"""Noticing farm jobs whose worker died (SIGKILL, power cut) within seconds.

RQ finds such a job only when its registry entry expires (the job timeout plus a minute:
hours for a render). A Simvid task renews a short lease while it runs; a started job
without a lease is abandoned. Every ``simvid worker`` and every desktop talking to the
farm run this check; a Redis lock makes sure one of them handles each job, through RQ's
own clean-up (which retries the job if it has retries left).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timezone

from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer
from rq.utils import utcparse

from simvid_desktop.farm import protocol

logger = logging.getLogger(__name__)

REAP_LOCK_SECONDS = 30


def _started_long_ago(redis: Redis, rq_id: str) -> bool:
    raw = redis.hget(f"rq:job:{rq_id}", "started_at")
    if not isinstance(raw, bytes) or not raw:
        return True  # no start time recorded: the lease decides alone
    started = utcparse(raw.decode())
    if started.tzinfo is None:
        started = started.replace(tzinfo=timezone.utc)
    age = (datetime.now(timezone.utc) - started).total_seconds()
    return age > protocol.START_GRACE_SECONDS


def reap_abandoned(redis: Redis, queue_names: Iterable[str]) -> list[str]:
    """Hand back started Simvid jobs whose lease expired; returns their RQ ids."""
    reaped: list[str] = []
    for name in queue_names:
        queue = Queue(name, connection=redis, serializer=JSONSerializer)
        registry = queue.started_job_registry
        marked = False
        for member in redis.zrange(registry.key, 0, -1):
            text = member.decode() if isinstance(member, bytes) else str(member)
            rq_id = registry.parse_job_id(text)
            if not rq_id.startswith("simvid-") or redis.exists(protocol.lease_key(rq_id)):
                continue
            if not _started_long_ago(redis, rq_id):
                continue
            if not redis.set(f"simvid:reap:{rq_id}", "1", nx=True, ex=REAP_LOCK_SECONDS):
                continue  # someone else is handling it
            logger.warning("farm job %s lost its worker; handing it back", rq_id)
            redis.zadd(registry.key, {text: 0}, xx=True)
            marked = True
            reaped.append(rq_id)
        if marked:
            # RQ's clean-up of expired entries: retried if it has retries left, else failed.
            registry.cleanup(timestamp=1)
    return reaped
