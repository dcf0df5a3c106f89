"""The SQLite job store in a temp folder: ordering, retries, cancel, pause, several processes."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from simvid_desktop.errors import OutputError
from simvid_desktop.jobs.model import Job, JobOutcome, JobStatus, LogLocation, new_job_id
from simvid_desktop.jobs.store import SCHEMA_VERSION, Store, _v1, _v2
from simvid_desktop.jobs.submit import free_output
from simvid_desktop.model.settings import CollisionPolicy


def job(name: str = "j", priority: int = 0, output: str | None = None) -> Job:
    return Job(id=new_job_id(), name=name, project={"slides": []},
               output=output or f"/tmp/{name}-{new_job_id()}.mp4", priority=priority)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "jobs.sqlite3")


def test_schema_version_and_wal(store: Store, tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "jobs.sqlite3")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(RuntimeError, match="newer Simvid"):
        Store(tmp_path / "jobs.sqlite3")


def test_priority_then_first_in_first_out(store: Store) -> None:
    a, b, c = store.add(job("a")), store.add(job("b")), store.add(job("c", priority=5))
    assert [j.name for j in store.jobs()] == ["c", "a", "b"]
    assert store.claim("r1").id == c.id  # type: ignore[union-attr]
    assert store.move(b.id, -1)
    assert store.claim("r1").id == b.id  # type: ignore[union-attr]
    assert store.claim("r1").id == a.id  # type: ignore[union-attr]
    assert store.claim("r1") is None


def test_pause_queue_and_single_job(store: Store) -> None:
    a, b = store.add(job("a")), store.add(job("b"))
    store.set_queue_paused(True)
    assert store.claim("r") is None
    store.set_queue_paused(False)
    assert store.set_paused(a.id, True)
    assert store.claim("r").id == b.id  # type: ignore[union-attr]
    assert store.claim("r") is None
    assert store.set_paused(a.id, False)
    assert store.claim("r").id == a.id  # type: ignore[union-attr]


def test_transient_failure_retries_with_backoff_then_fails(store: Store) -> None:
    a = store.add(job("a"))
    a.max_retries = 2
    for attempt in (1, 2):
        claimed = store.claim("r")
        assert claimed is not None and claimed.attempts == attempt
        after = store.complete("r", JobOutcome(a.id, JobStatus.FAILED, error="worker died",
                                               transient=True))
        assert after is not None and after.status is JobStatus.QUEUED
        assert after.next_attempt_at > time.time() + 0.5  # back-off: not claimable yet
        assert store.claim("r") is None
        with store.transaction() as db:
            db.execute("UPDATE jobs SET next_attempt_at = 0")
    assert store.claim("r") is not None
    final = store.complete("r", JobOutcome(a.id, JobStatus.FAILED, error="worker died",
                                           transient=True))
    assert final is not None and final.status is JobStatus.FAILED and final.failures == 2


def test_invalid_input_is_never_retried_but_can_be_retried_by_hand(store: Store) -> None:
    a = store.add(job("a"))
    store.claim("r")
    failed = store.complete("r", JobOutcome(a.id, JobStatus.FAILED, error="x.jpg: not found"))
    assert failed is not None and failed.status is JobStatus.FAILED
    assert failed.error == "x.jpg: not found"
    assert store.retry(a.id)
    again = store.get(a.id)
    assert again is not None and again.status is JobStatus.QUEUED and again.error is None


def test_cancel_queued_and_started(store: Store) -> None:
    a, b = store.add(job("a")), store.add(job("b"))
    assert store.cancel(b.id) is JobStatus.CANCELED
    store.claim("r")
    assert store.cancel(a.id) is JobStatus.STARTED
    assert store.cancel_requests("r") == [a.id]
    done = store.complete("r", JobOutcome(a.id, JobStatus.CANCELED))
    assert done is not None and done.status is JobStatus.CANCELED
    assert store.claim("r") is None


def test_stale_owner_cannot_write(store: Store) -> None:
    a = store.add(job("a"))
    store.claim("dead-runner")
    assert [j.id for j in store.recover()] == [a.id]  # no live runner: re-queued
    store.register_runner("r2")
    store.claim("r2")
    late = store.complete("dead-runner", JobOutcome(a.id, JobStatus.FINISHED, result={}))
    assert late is not None and late.status is JobStatus.STARTED and late.owner == "r2"


def test_recover_leaves_live_runners_alone(store: Store) -> None:
    a = store.add(job("a"))
    store.register_runner("alive")
    store.claim("alive")
    assert store.recover() == []
    assert store.get(a.id).status is JobStatus.STARTED  # type: ignore[union-attr]


def test_a_runner_that_starts_while_another_recovers_keeps_its_job(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runner B registers and claims a job just as runner A is reading who is alive.
    A must not re-queue B's job (it would run twice: seen in CI with two runners)."""
    a = store.add(job("a"))
    arrived = threading.Event()

    def runner_b() -> None:
        other = Store(tmp_path / "jobs.sqlite3")
        other.register_runner("b")
        other.claim("b")
        other.close()
        arrived.set()

    real_live = Store.live_runners
    late: list[threading.Thread] = []

    def live_runners_then_b_arrives(self: Store) -> list[str]:
        alive = real_live(self)
        if not late:  # B gets in now, unless the store holds its write lock
            late.append(threading.Thread(target=runner_b))
            late[0].start()
            arrived.wait(1.0)
        return alive

    monkeypatch.setattr(Store, "live_runners", live_runners_then_b_arrives)
    store.recover()
    late[0].join(30)
    got = store.get(a.id)
    assert got is not None and got.status is JobStatus.STARTED and got.owner == "b", got


def test_clear_and_remove(store: Store) -> None:
    a, b, c = store.add(job("a")), store.add(job("b")), store.add(job("c"))
    store.cancel(a.id)
    store.claim("r")
    store.complete("r", JobOutcome(b.id, JobStatus.FINISHED, result={"frames": 1}))
    assert store.remove(c.id) is False  # still queued
    assert store.clear({JobStatus.FINISHED}) == [b.id]
    assert [j.id for j in store.jobs()] == [a.id, c.id]


def test_collisions(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "show.mp4"
    assert free_output(store, out, CollisionPolicy.NUMBER) == out
    store.add(job("a", output=str(out)))  # another job will write it
    assert free_output(store, out, CollisionPolicy.NUMBER) == tmp_path / "show (2).mp4"
    (tmp_path / "show (2).mp4").write_bytes(b"x")  # and a file exists
    assert free_output(store, out, CollisionPolicy.NUMBER) == tmp_path / "show (3).mp4"
    with pytest.raises(OutputError, match="another job is already writing it"):
        free_output(store, out, CollisionPolicy.REFUSE)


def _claim_all(path: str, owner: str, results: multiprocessing.Queue[str]) -> None:
    s = Store(Path(path))
    while (j := s.claim(owner)) is not None:
        results.put(j.id)
    s.close()


def test_concurrent_claims_from_processes_never_overlap(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    s = Store(path)
    ids = {s.add(job(f"j{i}")).id for i in range(60)}
    ctx = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[str] = ctx.Queue()
    procs = [ctx.Process(target=_claim_all, args=(str(path), f"r{i}", results))
             for i in range(4)]
    for p in procs:
        p.start()
    claimed = [results.get(timeout=60) for _ in range(60)]
    for p in procs:
        p.join(30)
    assert sorted(claimed) == sorted(ids), "every job claimed exactly once"
    assert all(j.attempts == 1 for j in s.jobs())


def test_changes_seen_across_connections(tmp_path: Path) -> None:
    a_store, b_store = Store(tmp_path / "j.sqlite3"), Store(tmp_path / "j.sqlite3")
    token = b_store.changed_token()
    a = a_store.add(job("a"))
    assert b_store.changed_token() != token
    assert b_store.get(a.id) is not None


def test_a_version_1_store_moves_segment_seconds_out_of_extra(tmp_path: Path) -> None:
    """Jobs queued by the previous version keep their segment length as a typed field."""
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    _v1(db)
    db.execute("PRAGMA user_version=1")
    db.execute(
        "INSERT INTO jobs (id, name, project, output, position, status, created_at, "
        "updated_at, extra) VALUES ('old1', 'old', '{}', '/tmp/old.mp4', 1, 'queued', 0, 0, "
        "'{\"segment_seconds\": 7.5, \"split\": 2}')")
    db.commit()
    db.close()
    store = Store(path)
    try:
        old = store.get("old1")
        assert old is not None
        assert old.segment_seconds == 7.5 and old.extra == {"split": 2}
        assert old.stage is None and old.log is None
    finally:
        store.close()


def test_an_outcome_records_where_the_run_logged(store: Store) -> None:
    added = store.add(job())
    assert store.claim("r1") is not None
    log = LogLocation("worker-2.studio", "/var/log/simvid/farm/simvid-x.log")
    ended = store.complete("r1", JobOutcome(added.id, JobStatus.FAILED, error="boom", log=log))
    assert ended is not None and ended.log == log
    assert store.get(added.id) == ended


def test_a_version_2_store_gets_the_collision_policy_column(tmp_path: Path) -> None:
    """Jobs queued before the policy was stored keep the default: a numbered name."""
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    _v1(db)
    _v2(db)
    db.execute("PRAGMA user_version=2")
    db.execute(
        "INSERT INTO jobs (id, name, project, output, position, status, created_at, "
        "updated_at) VALUES ('old2', 'old', '{}', '/tmp/old.mp4', 1, 'queued', 0, 0)")
    db.commit()
    db.close()
    store = Store(path)
    try:
        old = store.get("old2")
        assert old is not None and old.collision is CollisionPolicy.NUMBER
        kept = store.add(Job(id=new_job_id(), name="r", project={}, output="/tmp/r.mp4",
                             collision=CollisionPolicy.REFUSE))
        again = store.get(kept.id)
        assert again is not None and again.collision is CollisionPolicy.REFUSE
    finally:
        store.close()


def test_a_finished_job_names_the_file_its_video_went_to(store: Store, tmp_path: Path) -> None:
    added = store.add(job(output=str(tmp_path / "show.mp4")))
    assert store.claim("r1") is not None
    placed = str(tmp_path / "show (2).mp4")  # the name was taken while it rendered
    done = store.complete("r1", JobOutcome(added.id, JobStatus.FINISHED,
                                           result={"frames": 1, "output": placed}))
    assert done is not None and done.output == placed


def test_commits_survive_a_power_cut(store: Store) -> None:
    """WAL with synchronous=FULL: each commit is fsynced (NORMAL may lose the last ones)."""
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
