"""The job store: SQLite (WAL) under the user data folder, shared by every Simvid process.

The store is the truth. The window, ``simvid queue run`` and ``simvid queue add`` each
open their own connection; a job added or cancelled by one is seen by the others on
their next read (``changed()`` tells cheaply whether anything happened). Claiming a job
is one ``BEGIN IMMEDIATE`` transaction, so two runners never start the same job.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Any

from simvid_desktop.jobs.model import (
    Job,
    JobOutcome,
    JobProgress,
    JobStatus,
    JobWaiting,
    can_change_status,
    check_status_change,
)
from simvid_desktop.paths import data_dir
from simvid_desktop.render.progress import RenderStage

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 3
RETRY_BASE_SECONDS = 2.0
RUNNER_STALE_SECONDS = 10.0

_JSON_COLUMNS = ("project", "result", "extra")
_BOOL_COLUMNS = ("cancel_requested",)


def _run_script(db: sqlite3.Connection, script: str) -> None:
    """Statement by statement: ``executescript`` would commit the migration's transaction."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _v1(db: sqlite3.Connection) -> None:
    _run_script(db, """
        CREATE TABLE jobs (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            project TEXT NOT NULL,
            output TEXT NOT NULL,
            priority INTEGER NOT NULL DEFAULT 0,
            position REAL NOT NULL,
            status TEXT NOT NULL,
            stage TEXT NOT NULL DEFAULT '',
            percent REAL NOT NULL DEFAULT 0,
            message TEXT NOT NULL DEFAULT '',
            frames_done INTEGER NOT NULL DEFAULT 0,
            frames_total INTEGER NOT NULL DEFAULT 0,
            fps REAL NOT NULL DEFAULT 0,
            eta REAL,
            attempts INTEGER NOT NULL DEFAULT 0,
            failures INTEGER NOT NULL DEFAULT 0,
            max_retries INTEGER NOT NULL DEFAULT 2,
            created_at REAL NOT NULL,
            started_at REAL,
            ended_at REAL,
            next_attempt_at REAL NOT NULL DEFAULT 0,
            result TEXT,
            error TEXT,
            error_log TEXT,
            owner TEXT,
            cancel_requested INTEGER NOT NULL DEFAULT 0,
            backend TEXT NOT NULL DEFAULT 'local',
            work_dir TEXT,
            updated_at REAL NOT NULL,
            extra TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX jobs_status ON jobs(status, priority, position);
        CREATE TABLE runners (
            id TEXT PRIMARY KEY,
            host TEXT NOT NULL,
            boot_id TEXT NOT NULL,
            pid INTEGER NOT NULL,
            started_at REAL NOT NULL,
            heartbeat REAL NOT NULL
        );
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """)


def _v2(db: sqlite3.Connection) -> None:
    """Typed fields instead of the ``extra`` dict: segment length, the show's length, and
    where a job's last run logged (this computer or a farm worker)."""
    _run_script(db, """
        ALTER TABLE jobs ADD COLUMN segment_seconds REAL NOT NULL DEFAULT 20;
        ALTER TABLE jobs ADD COLUMN duration REAL NOT NULL DEFAULT 0;
        ALTER TABLE jobs ADD COLUMN log_host TEXT;
        ALTER TABLE jobs ADD COLUMN log_path TEXT;
        UPDATE jobs SET segment_seconds = json_extract(extra, '$.segment_seconds')
            WHERE json_extract(extra, '$.segment_seconds') IS NOT NULL;
        UPDATE jobs SET extra = json_remove(extra, '$.segment_seconds')
    """)


def _v3(db: sqlite3.Connection) -> None:
    """The collision policy a job was queued with: applied again when its video is done."""
    db.execute("ALTER TABLE jobs ADD COLUMN collision TEXT NOT NULL DEFAULT 'number'")


#: MIGRATIONS[i] upgrades a database from version i to i + 1.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2, _v3]


def boot_id() -> str:
    """Changes at every reboot (Linux); elsewhere a stand-in that relies on heartbeats."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown"


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:  # Windows: no signal 0 semantics for other processes
        return True
    return True


def default_path() -> Path:
    return data_dir() / "jobs.sqlite3"


def _use_wal(db: sqlite3.Connection, wait: float = 30.0) -> None:
    """Switch the database to WAL (once per file; then a no-op). The switch needs the file
    to itself: while another connection is creating the database at the same moment,
    SQLite answers "locked" at once instead of waiting its busy timeout, so try again."""
    deadline = time.monotonic() + wait
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Store:
    """One connection to the job database. Use one per thread."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        _use_wal(self._db)
        # FULL: a commit (a job queued, or finished) survives a power cut, not only a crash.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=30000")
        self._migrate()

    # -- plumbing ------------------------------------------------------------------------
    def _migrate(self) -> None:
        with self.transaction():
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise RuntimeError(
                    f"{self.path}: job store is from a newer Simvid (schema {version})"
                )
            for step in range(version, SCHEMA_VERSION):
                logger.info("migrating job store %s to schema %d", self.path, step + 1)
                MIGRATIONS[step](self._db)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """An immediate (write-locked) transaction: read-modify-write without races."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()

    def changed_token(self) -> int:
        """A number that changes whenever another connection commits (cheap to poll)."""
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    @staticmethod
    def _row_to_job(row: sqlite3.Row) -> Job:
        data: dict[str, Any] = dict(row)
        for col in _JSON_COLUMNS:
            if data.get(col) is not None:
                data[col] = json.loads(data[col])
        for col in _BOOL_COLUMNS:
            data[col] = bool(data[col])
        if data.get("extra") is None:
            data["extra"] = {}
        return Job.from_dict(data)

    @staticmethod
    def _job_to_row(job: Job) -> dict[str, Any]:
        data = job.to_dict()
        for col in _JSON_COLUMNS:
            if data.get(col) is not None:
                data[col] = json.dumps(data[col])
        for col in _BOOL_COLUMNS:
            data[col] = int(data[col])
        return data

    def _get(self, db: sqlite3.Connection, job_id: str) -> Job | None:
        row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return self._row_to_job(row) if row else None

    def _set(self, db: sqlite3.Connection, job_id: str, **values: Any) -> None:
        values["updated_at"] = time.time()
        for key, value in values.items():
            if isinstance(value, Enum):  # JobStatus, RenderStage
                values[key] = value.value
        for col in _JSON_COLUMNS:
            if col in values and values[col] is not None:
                values[col] = json.dumps(values[col])
        for col in _BOOL_COLUMNS:
            if col in values:
                values[col] = int(values[col])
        cols = ", ".join(f"{k} = ?" for k in values)
        db.execute(f"UPDATE jobs SET {cols} WHERE id = ?", (*values.values(), job_id))

    def _change_status(self, db: sqlite3.Connection, job: Job, new: JobStatus,
                       **values: Any) -> None:
        check_status_change(job.status, new)
        self._set(db, job.id, status=new, **values)

    # -- reading -------------------------------------------------------------------------
    def get(self, job_id: str) -> Job | None:
        return self._get(self._db, job_id)

    def find(self, prefix: str) -> Job | None:
        """A job by its id or an unambiguous prefix of it (as the CLI accepts)."""
        rows = self._db.execute(
            "SELECT * FROM jobs WHERE id LIKE ? || '%' LIMIT 2", (prefix,)
        ).fetchall()
        return self._row_to_job(rows[0]) if len(rows) == 1 else None

    def jobs(self, statuses: Iterable[JobStatus] | None = None, *,
             include_project: bool = True) -> list[Job]:
        """Jobs in queue order: priority (high first), then position (first in first out).

        ``include_project=False`` skips the project snapshots (the bulk of each row) for
        lists that only show status, as the window does several times a second.
        """
        columns = "*" if include_project else "*, '{}' AS project"
        sql = f"SELECT {columns} FROM jobs"
        args: list[Any] = []
        if statuses is not None:
            wanted = [s.value for s in statuses]
            sql += f" WHERE status IN ({', '.join('?' * len(wanted))})"
            args = wanted
        sql += " ORDER BY priority DESC, position ASC"
        return [self._row_to_job(r) for r in self._db.execute(sql, args)]

    def active_output(self, output: str) -> Job | None:
        """An active job already writing to ``output``, if any."""
        row = self._db.execute(
            "SELECT * FROM jobs WHERE output = ? AND status IN ('queued', 'started', 'paused')",
            (output,),
        ).fetchone()
        return self._row_to_job(row) if row else None

    def pending_count(self) -> int:
        """Jobs that still need a worker: queued (also waiting for a retry) or started."""
        row = self._db.execute(
            "SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'started')"
        ).fetchone()
        return int(row[0])

    # -- adding and editing --------------------------------------------------------------
    def add(self, job: Job) -> Job:
        with self.transaction() as db:
            row = db.execute("SELECT COALESCE(MAX(position), 0) FROM jobs").fetchone()
            now = time.time()
            job.position = float(row[0]) + 1.0
            job.created_at = job.created_at or now
            job.updated_at = now
            data = self._job_to_row(job)
            cols = ", ".join(data)
            db.execute(
                f"INSERT INTO jobs ({cols}) VALUES ({', '.join('?' * len(data))})",
                tuple(data.values()),
            )
        return job

    def cancel(self, job_id: str) -> JobStatus | None:
        """Queued/paused jobs are cancelled at once; a started one is asked to stop."""
        with self.transaction() as db:
            job = self._get(db, job_id)
            if job is None:
                return None
            if job.status in (JobStatus.QUEUED, JobStatus.PAUSED):
                self._change_status(db, job, JobStatus.CANCELED, ended_at=time.time(),
                                    message="Cancelled", eta=None)
                return JobStatus.CANCELED
            if job.status is JobStatus.STARTED:
                self._set(db, job_id, cancel_requested=True, message="Cancelling…")
            return job.status

    def retry(self, job_id: str) -> bool:
        """Queue a failed or cancelled job again (the user asked: the retry budget resets)."""
        with self.transaction() as db:
            job = self._get(db, job_id)
            if job is None or not can_change_status(job.status, JobStatus.QUEUED) or (
                job.status is JobStatus.STARTED
            ):
                return False
            self._change_status(
                db, job, JobStatus.QUEUED, failures=0, next_attempt_at=0.0, error=None,
                error_log=None, percent=0.0, stage="", message="Queued", ended_at=None,
                cancel_requested=False, owner=None, eta=None, fps=0.0, frames_done=0,
            )
            return True

    def set_paused(self, job_id: str, paused: bool) -> bool:
        with self.transaction() as db:
            job = self._get(db, job_id)
            new = JobStatus.PAUSED if paused else JobStatus.QUEUED
            if job is None or job.status is new or not can_change_status(job.status, new):
                return False
            self._change_status(db, job, new, message="Paused" if paused else "Queued")
            return True

    def set_priority(self, job_id: str, priority: int) -> None:
        with self.transaction() as db:
            self._set(db, job_id, priority=priority)

    def move(self, job_id: str, steps: int) -> bool:
        """Move a waiting job ``steps`` places up (negative) or down among waiting jobs."""
        with self.transaction() as db:
            job = self._get(db, job_id)
            if job is None or job.status not in (JobStatus.QUEUED, JobStatus.PAUSED):
                return False
            rows = db.execute(
                "SELECT id, position FROM jobs WHERE status IN ('queued', 'paused') "
                "AND priority = ? ORDER BY position", (job.priority,),
            ).fetchall()
            ids = [r["id"] for r in rows]
            index = ids.index(job_id)
            target = max(0, min(len(ids) - 1, index + steps))
            if target == index:
                return False
            ids.insert(target, ids.pop(index))
            positions = sorted(r["position"] for r in rows)
            for jid, pos in zip(ids, positions, strict=True):
                db.execute("UPDATE jobs SET position = ?, updated_at = ? WHERE id = ?",
                           (pos, time.time(), jid))
            return True

    def remove(self, job_id: str) -> bool:
        """Delete an ended job from the list (its video, if any, stays)."""
        with self.transaction() as db:
            job = self._get(db, job_id)
            if job is None or not job.status.ended:
                return False
            db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
            return True

    def clear(self, statuses: Iterable[JobStatus], older_than: float | None = None) -> list[str]:
        """Delete ended jobs with these statuses (optionally only those ended before a time)."""
        wanted = [s.value for s in statuses if s.ended]
        if not wanted:
            return []
        sql = f"SELECT id FROM jobs WHERE status IN ({', '.join('?' * len(wanted))})"
        args: list[Any] = list(wanted)
        if older_than is not None:
            sql += " AND ended_at < ?"
            args.append(older_than)
        with self.transaction() as db:
            ids = [r["id"] for r in db.execute(sql, args)]
            db.executemany("DELETE FROM jobs WHERE id = ?", [(i,) for i in ids])
        return ids

    # -- queue-wide settings ---------------------------------------------------------------
    def queue_paused(self) -> bool:
        row = self._db.execute("SELECT value FROM settings WHERE key = 'queue_paused'").fetchone()
        return bool(row and row[0] == "1")

    def set_queue_paused(self, paused: bool) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO settings VALUES ('queue_paused', ?)",
                       ("1" if paused else "0",))

    # -- runners ---------------------------------------------------------------------------
    def register_runner(self, runner_id: str) -> None:
        now = time.time()
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO runners VALUES (?, ?, ?, ?, ?, ?)",
                       (runner_id, socket.gethostname(), boot_id(), os.getpid(), now, now))

    def heartbeat(self, runner_id: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE runners SET heartbeat = ? WHERE id = ?", (time.time(), runner_id))

    def unregister_runner(self, runner_id: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM runners WHERE id = ?", (runner_id,))

    def _runner_alive(self, row: sqlite3.Row | None, now: float) -> bool:
        if row is None:
            return False
        same_machine = row["host"] == socket.gethostname() and row["boot_id"] == boot_id()
        if same_machine and row["boot_id"] != "unknown" and not pid_alive(row["pid"]):
            return False  # we can tell at once: the process is gone (or the machine rebooted)
        if row["host"] == socket.gethostname() and row["boot_id"] != boot_id():
            return False  # it ran before this machine's last reboot
        return bool(now - row["heartbeat"] < RUNNER_STALE_SECONDS)

    def live_runners(self) -> list[str]:
        now = time.time()
        rows = self._db.execute("SELECT * FROM runners").fetchall()
        return [r["id"] for r in rows if self._runner_alive(r, now)]

    # -- running ---------------------------------------------------------------------------
    def claim(self, owner: str, backend: str = "local") -> Job | None:
        """Atomically take the next job to run, or None. Respects pauses and back-off."""
        with self.transaction() as db:
            if self.queue_paused():
                return None
            row = db.execute(
                "SELECT * FROM jobs WHERE status = 'queued' AND next_attempt_at <= ? "
                "AND backend = ? ORDER BY priority DESC, position ASC LIMIT 1",
                (time.time(), backend),
            ).fetchone()
            if row is None:
                return None
            job = self._row_to_job(row)
            now = time.time()
            self._change_status(
                db, job, JobStatus.STARTED, owner=owner, attempts=job.attempts + 1,
                started_at=now, stage=RenderStage.PREPARING, message="Starting",
                cancel_requested=False,
            )
            claimed = self._get(db, job.id)
            assert claimed is not None
            return claimed

    def next_wakeup(self, backend: str = "local") -> float | None:
        """When the earliest waiting retry becomes runnable (None: nothing is waiting)."""
        row = self._db.execute(
            "SELECT MIN(next_attempt_at) FROM jobs WHERE status = 'queued' AND backend = ?",
            (backend,),
        ).fetchone()
        return float(row[0]) if row and row[0] is not None else None

    def progress(self, owner: str, p: JobProgress) -> None:
        e = p.event
        with self.transaction() as db:
            db.execute(
                "UPDATE jobs SET stage = ?, percent = ?, message = ?, frames_done = ?, "
                "frames_total = ?, fps = ?, eta = ?, updated_at = ? "
                "WHERE id = ? AND owner = ? AND status = 'started'",
                (e.stage.value, e.percent, e.message, e.frames_done, e.frames_total, e.fps,
                 e.eta, time.time(), p.job_id, owner),
            )

    def waiting(self, owner: str, w: JobWaiting) -> None:
        """A claimed job is waiting (on the farm's queue, or for the farm to come back)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE jobs SET stage = '', message = ?, fps = 0, eta = NULL, updated_at = ? "
                "WHERE id = ? AND owner = ? AND status = 'started'",
                (w.message, time.time(), w.job_id, owner),
            )

    def cancel_requests(self, owner: str) -> list[str]:
        rows = self._db.execute(
            "SELECT id FROM jobs WHERE owner = ? AND status = 'started' AND cancel_requested = 1",
            (owner,),
        ).fetchall()
        return [r["id"] for r in rows]

    def complete(self, owner: str, outcome: JobOutcome) -> Job | None:
        """Record how a run ended; a transient failure is retried with back-off."""
        with self.transaction() as db:
            job = self._get(db, outcome.job_id)
            if job is None or job.status is not JobStatus.STARTED or job.owner != owner:
                return job  # someone else took over (recovered after we were presumed dead)
            now = time.time()
            if outcome.log is not None:
                self._set(db, job.id, log_host=outcome.log.host, log_path=outcome.log.path)
            if outcome.status is JobStatus.FINISHED:
                frames = int((outcome.result or {}).get("frames", job.frames_total))
                # Where the video really went: a numbered name if the file appeared meanwhile.
                placed = (outcome.result or {}).get("output")
                if isinstance(placed, str) and placed:
                    self._set(db, job.id, output=placed)
                self._change_status(db, job, JobStatus.FINISHED, result=outcome.result,
                                    frames_done=frames, frames_total=frames,
                                    ended_at=now, percent=100.0, stage=RenderStage.DONE, eta=0.0,
                                    message="Finished", error=None, error_log=None)
            elif outcome.status is JobStatus.CANCELED:
                self._change_status(db, job, JobStatus.CANCELED, ended_at=now, eta=None,
                                    stage=RenderStage.DONE, message="Cancelled")
            elif outcome.transient and job.failures < job.max_retries and not (
                job.cancel_requested
            ):
                delay = RETRY_BASE_SECONDS * (2 ** job.failures)
                self._change_status(
                    db, job, JobStatus.QUEUED, failures=job.failures + 1,
                    next_attempt_at=now + delay, owner=None, error=outcome.error,
                    error_log=outcome.error_log, eta=None, fps=0.0,
                    message=f"Retrying in {delay:.0f} s: {outcome.error}",
                )
            else:
                self._change_status(db, job, JobStatus.FAILED, ended_at=now, error=outcome.error,
                                    error_log=outcome.error_log, stage=RenderStage.DONE, eta=None,
                                    message=outcome.error or "Failed")
            return self._get(db, job.id)

    def handoff(self, owner: str, job_id: str, backend: str, message: str) -> Job | None:
        """Queue a claimed job again for another backend (it keeps its place in the queue;
        the attempt does not count)."""
        with self.transaction() as db:
            job = self._get(db, job_id)
            if job is None or job.status is not JobStatus.STARTED or job.owner != owner:
                return job
            self._change_status(db, job, JobStatus.QUEUED, owner=None, backend=backend,
                                attempts=max(0, job.attempts - 1), message=message,
                                stage="", fps=0.0, eta=None)
            return self._get(db, job.id)

    def recover(self) -> list[Job]:
        """Re-queue started jobs whose runner is gone (killed, crashed, machine rebooted).

        The job keeps its work folder, so its render resumes from the finished segments.
        Being interrupted is not the job's fault: it does not use up its retries.
        """
        recovered: list[Job] = []
        with self.transaction() as db:
            # Who is alive is read under the write lock: a runner that registers and claims
            # a job between this read and the re-queue below would lose its job to a second
            # run (seen once in CI: two runners, one job run twice).
            live_ids = set(self.live_runners())
            rows = db.execute("SELECT * FROM jobs WHERE status = 'started'").fetchall()
            for row in rows:
                job = self._row_to_job(row)
                if job.owner in live_ids:
                    continue
                if job.cancel_requested:
                    self._change_status(db, job, JobStatus.CANCELED, ended_at=time.time(),
                                        message="Cancelled", owner=None, eta=None)
                else:
                    message = ("Queued again: the render was interrupted"
                               if job.backend == "local" else
                               "Sent to the farm earlier; its progress is read again "
                               "when the queue runs")
                    self._change_status(db, job, JobStatus.QUEUED, owner=None, fps=0.0,
                                        eta=None, message=message)
                recovered.append(job)
            for row in db.execute("SELECT id FROM runners").fetchall():
                if row["id"] not in live_ids:
                    db.execute("DELETE FROM runners WHERE id = ?", (row["id"],))
        return recovered
