"""What the desktop and the workers agree on: queue and key names, and the job payload.

The payload is plain JSON (RQ's JSON serializer; never pickle). Workers validate it
strictly before touching a file: a malformed or foreign payload is refused, not run.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import PurePath, PurePosixPath, PureWindowsPath
from typing import Any

from simvid_desktop.errors import FarmJobRefused
from simvid_desktop.render.segments import SHARED_WORK_PARENT

#: Simvid's own queue: never RQ's ``default``, which other applications' jobs share.
QUEUE = "simvid-render"
DEFAULT_QUEUES = (QUEUE,)

RENDER_SHOW = "simvid_desktop.farm.tasks.render_show"
RENDER_PIECES = "simvid_desktop.farm.tasks.render_pieces"
#: The only functions a Simvid worker will run; any other name is refused unimported.
ALLOWED_FUNCTIONS = frozenset({RENDER_SHOW, RENDER_PIECES})

#: A render may take hours (RQ's default timeout of 180 s would kill it).
MIN_JOB_TIMEOUT = 6 * 3600
RESULT_TTL = 7 * 24 * 3600  #: finished jobs' results stay readable for a week
FAILURE_TTL = 7 * 24 * 3600

LEASE_SECONDS = 12  #: a busy worker renews its job's lease every few seconds
LEASE_RENEW_SECONDS = 3.0
PRESENCE_SECONDS = 15  #: a worker is "online" while its presence key lives
START_GRACE_SECONDS = 5  #: a job just taken may not have its first lease yet (ms)

_PREFIX = "simvid:"


#: Every RQ job id Simvid makes (``rq_job_id``, ``helper_job_id`` plus a random suffix).
#: A worker takes only jobs whose id has this form: any other is another application's.
#: The id ends up in file names (the job's log), so the form allows no separator or dot.
RQ_ID_PREFIX = "simvid-"
RQ_ID_MAX = 100
_RQ_ID = re.compile(r"simvid-[A-Za-z0-9_-]{1,93}")  # 7 + 93 = RQ_ID_MAX
_JOB_ID = re.compile(r"[A-Za-z0-9]{1,64}")


def is_simvid_rq_id(rq_id: str) -> bool:
    """Whether ``rq_id`` has the form of a Simvid job's id (letters, digits, ``-``, ``_``,
    at most RQ_ID_MAX characters, starting ``simvid-``); safe to put in a file name."""
    return _RQ_ID.fullmatch(rq_id) is not None


def rq_id_of_payload(rq_id: str, job_id: str) -> bool:
    """Whether the RQ job ``rq_id`` is the render of Simvid job ``job_id`` or one of its
    piece helpers (a job works only in its own job's folder)."""
    main = rq_job_id(job_id)
    return rq_id == main or (rq_id.startswith(f"{main}-part") and is_simvid_rq_id(rq_id))


def farm_work_dir(output: str, job_id: str) -> str:
    """Where a farm job keeps its pieces: ``<output folder>/.simvid-work/<job id>``, on the
    shared storage, written in the workers' path style (the output is already mapped)."""
    flavour = PurePosixPath if output.startswith("/") else PureWindowsPath
    return str(flavour(output).parent / SHARED_WORK_PARENT / job_id)


def rq_job_id(job_id: str) -> str:
    """The RQ job id of a Simvid job (stable: the desktop finds it again after a restart)."""
    return f"simvid-{job_id}"


def helper_job_id(job_id: str, k: int) -> str:
    return f"simvid-{job_id}-part{k}"


def lease_key(rq_id: str) -> str:
    return f"{_PREFIX}lease:{rq_id}"


def cancel_key(job_id: str) -> str:
    return f"{_PREFIX}cancel:{job_id}"


def presence_key(worker_name: str) -> str:
    return f"{_PREFIX}worker:{worker_name}"


PRESENCE_PATTERN = f"{_PREFIX}worker:*"


def pieces_key(job_id: str) -> str:
    """A list of piece indices still to render (workers pop from it)."""
    return f"{_PREFIX}pieces:{job_id}"


def piece_lease_key(job_id: str, index: int) -> str:
    return f"{_PREFIX}piece-lease:{job_id}:{index}"


def piece_progress_key(job_id: str) -> str:
    """A hash: piece index -> frames of it rendered so far (while it is being rendered)."""
    return f"{_PREFIX}piece-progress:{job_id}"


@dataclass(frozen=True)
class FarmPayload:
    """One farm render, as the worker sees it (paths already mapped to the workers' view)."""

    job_id: str
    project: dict[str, Any]  #: project JSON, absolute paths
    output: str
    work_dir: str  #: on shared storage: any worker can resume or join the pieces
    segment_seconds: float = 20.0
    split: int = 1  #: how many workers may render pieces of this show at once
    name: str = ""
    #: The desktop's collision policy ("number" or "refuse"), applied by the worker when
    #: the video is done: it never replaces a file.
    collision: str = "number"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.collision == "number":
            # The default, left out: a worker of the previous version (which refuses
            # unknown fields) still takes the job. One that cannot honour "refuse" refuses it.
            del data["collision"]
        return data

    @classmethod
    def from_dict(cls, data: object) -> FarmPayload:
        """Raises FarmJobRefused naming the first malformed field."""
        if not isinstance(data, dict):
            raise FarmJobRefused("farm job payload: not a JSON object")
        expected: dict[str, type | tuple[type, ...]] = {
            "job_id": str, "project": dict, "output": str, "work_dir": str,
            "segment_seconds": (int, float), "split": int, "name": str, "collision": str,
        }
        unknown = sorted(set(data) - set(expected))
        if unknown:
            raise FarmJobRefused(f"farm job payload: unknown field {unknown[0]!r}")
        for field, kind in expected.items():
            if field in ("segment_seconds", "split", "name", "collision") and field not in data:
                continue
            value = data.get(field)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise FarmJobRefused(f"farm job payload: {field!r} is missing or malformed")
        payload = cls(**data)
        if _JOB_ID.fullmatch(payload.job_id) is None:
            raise FarmJobRefused("farm job payload: 'job_id' must be letters and digits")
        if payload.work_dir != farm_work_dir(payload.output, payload.job_id):
            # Any other folder might be someone's: a job works only where Simvid puts it.
            raise FarmJobRefused("farm job payload: 'work_dir' must be "
                                 f"<output folder>/{SHARED_WORK_PARENT}/<job id>")
        if not 0.5 <= payload.segment_seconds <= 3600:
            raise FarmJobRefused("farm job payload: 'segment_seconds' out of range")
        if not 1 <= payload.split <= 64:
            raise FarmJobRefused("farm job payload: 'split' must be 1..64")
        if payload.collision not in ("number", "refuse"):
            raise FarmJobRefused("farm job payload: 'collision' must be 'number' or 'refuse'")
        return payload


def desktop_output(requested: str, reported: object) -> str:
    """Where a farm render's video is, as the desktop sees it: the folder it asked for
    (its own view of the shared storage) and the file name the worker reports (a numbered
    one when the name was taken meanwhile)."""
    if not isinstance(reported, str) or not reported:
        return requested
    name = re.split(r"[\\/]", reported)[-1]
    return str(PurePath(requested).with_name(name)) if name else requested
