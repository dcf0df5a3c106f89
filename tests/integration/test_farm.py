"""The render farm for real: a Redis server on a loopback port, `simvid worker` processes,
and the desktop side (runner + farm backend, or the command line) in this process."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest
from rq import Queue
from rq.serializers import JSONSerializer

from simvid_desktop.farm import protocol
from simvid_desktop.farm.backend import FarmBackend
from simvid_desktop.farm.client import FarmClient
from simvid_desktop.jobs.local_pool import LocalPool
from simvid_desktop.jobs.model import Job, JobStatus
from simvid_desktop.jobs.runner import QueueRunner
from simvid_desktop.jobs.store import Store
from simvid_desktop.jobs.submit import submit
from simvid_desktop.model.project import (
    AudioBed,
    MusicTrack,
    Narration,
    OutputFormat,
    OutputSettings,
    Project,
    Resolution,
    Slide,
    TrackJoin,
    Transition,
    TransitionKind,
)
from simvid_desktop.model.project_io import project_to_dict
from simvid_desktop.model.settings import CollisionPolicy, Settings
from simvid_desktop.render.clips import probe_clip
from simvid_desktop.render.engine import RenderSpec, render
from tests.integration import media_clips as mc
from tests.integration.farm_helpers import RedisServer, Workers, free_port
from tests.integration.media import audio_samples, frames_rgb, leftovers, probe, solid, tone

COLORS = [(220, 30, 30), (30, 200, 40), (30, 60, 220), (230, 220, 40)]


@dataclass
class Farm:
    redis: RedisServer
    workers: Workers
    shared: Path  #: the "shared storage": photos in, videos out
    photos: list[Path]
    music: Path


def make_farm(root: Path, names: list[str]) -> Farm:
    shared = root / "shared"
    (shared / "photos").mkdir(parents=True)
    (shared / "out").mkdir()
    photos = [solid(shared / "photos" / f"p{i}.jpg", c, size=(640, 360))
              for i, c in enumerate(COLORS)]
    music = tone(shared / "photos" / "music.m4a", 3.0)
    server = RedisServer(root / "redis")
    workers = Workers(server.url, [shared], root / "worker-data")
    for name in names:
        workers.start(name)
    workers.wait_online(names)
    return Farm(server, workers, shared, photos, music)


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Farm]:
    f = make_farm(tmp_path_factory.mktemp("farm"), ["w1", "w2"])
    yield f
    f.workers.close()
    f.redis.close()


@pytest.fixture
def own_farm(tmp_path: Path) -> Iterator[Farm]:
    f = make_farm(tmp_path / "own", ["k1", "k2"])
    yield f
    f.workers.close()
    f.redis.close()


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("SIMVID_DATA_DIR", str(tmp_path / "desktop"))
    s = Store()
    yield s
    s.close()


def project(farm: Farm, seconds: float = 1.0, slides: int = 4, size: str = "160x90",
            music: bool = True) -> Project:
    photos = [farm.photos[i % len(farm.photos)] for i in range(slides)]
    return Project(
        slides=tuple(Slide(p) for p in photos), default_duration=seconds,
        transition=Transition(TransitionKind.FADE, 0.4),
        audio=AudioBed.single(farm.music) if music else None,
        output=OutputSettings(resolution=Resolution(size), fps=25, crf=20, x264_preset="veryfast"),
    )


def queue_farm_job(store: Store, farm: Farm, name: str, proj: Project,
                   segment_seconds: float = 20.0, split: int = 1) -> Job:
    settings = Settings(segment_seconds=segment_seconds, retries=2)
    out = farm.shared / "out" / f"{name}{proj.output.format.suffix}"
    return submit(store, proj, out, settings,
                  backend="farm", extra={"split": split})


class RunnerThread:
    """The desktop's runner (local pool + farm backend) on a thread, as the window has it."""

    def __init__(self, store: Store, url: str, *, exit_when_idle: bool = True) -> None:
        self.farm = FarmBackend(url, retries=2)
        self.runner = QueueRunner([LocalPool(1), self.farm], store.path,
                                  exit_when_idle=exit_when_idle)
        self.thread = threading.Thread(target=self.runner.run, daemon=True)
        self.thread.start()

    def join(self, timeout: float) -> None:
        self.thread.join(timeout)
        if self.thread.is_alive():
            self.runner.stop()
            self.thread.join(30)
            pytest.fail(f"the queue did not finish within {timeout} s")


def valid_video(path: Path, seconds: float) -> dict[str, object]:
    info = probe(path)
    assert info["vcodec"] == "h264", info
    assert abs(float(info["duration"]) - seconds) < 0.1, info  # type: ignore[arg-type]
    return info


def wait_for(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def rq_meta(farm: Farm, job_id: str) -> dict[str, object]:
    raw = farm.redis.client().hget(f"rq:job:{protocol.rq_job_id(job_id)}", "meta")
    return json.loads(raw) if raw else {}


# -- the normal case --------------------------------------------------------------------------
def test_jobs_spread_over_two_workers_all_finish(farm: Farm, store: Store) -> None:
    jobs = [queue_farm_job(store, farm, f"show{i}", project(farm, slides=3))
            for i in range(4)]
    RunnerThread(store, farm.redis.url).join(120)
    workers = set()
    for job in jobs:
        done = store.get(job.id)
        assert done is not None and done.status is JobStatus.FINISHED, done
        assert done.backend == "farm" and done.attempts == 1
        info = valid_video(Path(done.output), 3.0)
        assert info["audio"] is not None
        workers.add(rq_meta(farm, job.id)["worker"])
    assert workers == {"w1", "w2"}, "both workers rendered"
    assert leftovers(farm.shared / "out") == []
    assert not (farm.shared / "out" / ".simvid-work").exists(), "no empty .simvid-work left"


def test_cancel_running_farm_job(farm: Farm, store: Store) -> None:
    job = queue_farm_job(store, farm, "cancel-me", project(farm, 3.0, 16, "640x360"),
                         segment_seconds=2.0)
    runner = RunnerThread(store, farm.redis.url)
    wait_for(lambda: (store.get(job.id).percent or 0) > 5, 60, "the render to start")  # type: ignore[union-attr]
    t0 = time.monotonic()
    store.cancel(job.id)
    runner.join(30)
    done = store.get(job.id)
    assert done is not None and done.status is JobStatus.CANCELED, done
    assert time.monotonic() - t0 < 10
    assert not Path(job.output).exists()
    assert leftovers(farm.shared / "out") == []
    status = farm.redis.client().hget(f"rq:job:{protocol.rq_job_id(job.id)}", "status")
    assert status == b"stopped"
    assert not (farm.shared / "out" / ".simvid-work").exists(), "no empty .simvid-work left"
    assert all(p.poll() is None for p in farm.workers.procs.values()), "workers still up"


def test_render_farm_command_line_and_refused_paths(farm: Farm, tmp_path: Path) -> None:
    env = {**os.environ, "SIMVID_DATA_DIR": str(tmp_path / "cli")}
    out = farm.shared / "out" / "cli.mp4"
    base = [sys.executable, "-m", "simvid_desktop", "render", *map(str, farm.photos[:2]),
            "--duration", "1", "--resolution", "160x90", "--farm", farm.redis.url,
            "--progress", "none"]
    res = subprocess.run([*base, "-o", str(out)], env=env, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert "sent to the farm" in res.stderr and "Saved" in res.stdout
    valid_video(out, 2.0)
    # An output outside the workers' shared folders: refused by the worker, exit code 2.
    outside = tmp_path / "elsewhere.mp4"
    res = subprocess.run([*base, "-o", str(outside)], env=env, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 2, (res.returncode, res.stderr)
    assert "outside the farm's shared media folders" in res.stderr
    assert "Traceback" not in res.stderr and not outside.exists()


def test_planted_simvid_jobs_with_foreign_functions_or_pickles_are_refused(
        farm: Farm, tmp_path: Path) -> None:
    """Jobs in Simvid's own name (a ``simvid-`` id on its queue) that are not Simvid renders
    are refused: nothing imported or unpickled, their data removed."""
    marker = tmp_path / "pwned"
    client = farm.redis.client()
    json_queue = Queue(protocol.QUEUE, connection=client, serializer=JSONSerializer)
    foreign = json_queue.enqueue("os.system", f"touch {marker}", job_id="simvid-evil1")

    class Exploit:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (os.system, (f"touch {marker}",))

    pickle_queue = Queue(protocol.QUEUE, connection=client)  # RQ's default: pickle
    pickle_queue.enqueue(protocol.RENDER_SHOW, Exploit(), job_id="simvid-evil2")
    assert foreign.id == "simvid-evil1"

    def refused(job_id: str) -> bool:
        return client.hget(f"rq:job:{job_id}", "status") == b"failed"

    wait_for(lambda: refused("simvid-evil1") and refused("simvid-evil2"), 20, "the refusals")
    assert not marker.exists(), "nothing was run or unpickled"
    assert b"not a Simvid render" in client.hget("rq:job:simvid-evil1", "meta")  # type: ignore[operator]
    assert b"not JSON" in client.hget("rq:job:simvid-evil2", "meta")  # type: ignore[operator]
    assert client.hget("rq:job:simvid-evil2", "data") is None, "the pickle was removed"
    # The workers are still serving.
    assert all(p.poll() is None for p in farm.workers.procs.values())
    assert_no_pickle(client)


def test_other_applications_jobs_are_left_untouched(farm: Farm, store: Store,
                                                    tmp_path: Path) -> None:
    """Another application's jobs on a Redis shared with the farm: on RQ's ``default``
    queue, and even on Simvid's own queue, in front of a Simvid job. The workers render
    the Simvid job and leave the others as they were: not run, not failed, not deleted,
    still queued in their place."""
    marker = tmp_path / "ran"
    client = farm.redis.client()
    default = Queue("default", connection=client)  # pickle, as most RQ applications
    ours = Queue(protocol.QUEUE, connection=client)
    ours_json = Queue(protocol.QUEUE, connection=client, serializer=JSONSerializer)
    planted = [
        (default.enqueue("os.system", f"touch {marker}", job_id="report-1").id, "default"),
        (ours.enqueue("os.system", f"touch {marker}", job_id="report-2").id, protocol.QUEUE),
        (ours_json.enqueue("os.system", f"touch {marker}", job_id="report-3").id,
         protocol.QUEUE),
    ]
    # A Simvid-like id that would lead the log file out of its folder, planted with raw
    # Redis commands (RQ's own API refuses such ids): never taken either.
    escaping = "simvid-x/../../../escaped"
    ours_json.enqueue(protocol.RENDER_SHOW, {}, job_id="simvid-escaping")
    client.lrem(f"rq:queue:{protocol.QUEUE}", 0, "simvid-escaping")
    client.rename("rq:job:simvid-escaping", f"rq:job:{escaping}")
    client.rpush(f"rq:queue:{protocol.QUEUE}", escaping)
    planted.append((escaping, protocol.QUEUE))
    keys = [f"rq:job:{rq_id}" for rq_id, _ in planted]
    try:
        before = {k: client.hgetall(k) for k in keys}
        queued_before = {q: client.lrange(f"rq:queue:{q}", 0, -1)
                         for q in ("default", protocol.QUEUE)}
        job = queue_farm_job(store, farm, "among-others", project(farm, slides=2))
        RunnerThread(store, farm.redis.url).join(60)
        done = store.get(job.id)
        assert done is not None and done.status is JobStatus.FINISHED, done
        time.sleep(1)  # the workers went on looking at their queue meanwhile
        assert {k: client.hgetall(k) for k in keys} == before, "same data, same status"
        assert all(before[k][b"status"] == b"queued" for k in keys)
        assert {q: client.lrange(f"rq:queue:{q}", 0, -1)
                for q in ("default", protocol.QUEUE)} == queued_before, "in their place"
        assert not marker.exists(), "not run"
        assert not list(farm.workers.logs.parent.rglob("escaped*")), "no log file outside"
        assert all(p.poll() is None for p in farm.workers.procs.values()), "workers still up"
        assert "default" not in farm.workers.presence("w1")["queues"]  # type: ignore[operator]
    finally:  # the other tests expect an empty queue and no pickle in Redis
        for rq_id, queue_name in planted:
            client.delete(f"rq:job:{rq_id}")
            client.lrem(f"rq:queue:{queue_name}", 0, rq_id)


def assert_no_pickle(client) -> None:  # type: ignore[no-untyped-def]
    """No value in Redis is pickle data (job data is zlib-compressed JSON)."""
    for key in client.scan_iter(count=500):
        kind = client.type(key)
        values: list[bytes] = []
        if kind == b"string":
            values = [client.get(key)]
        elif kind == b"hash":
            fields = client.hgetall(key)
            if b"data" in fields:
                json.loads(zlib.decompress(fields.pop(b"data")))
            values = list(fields.values())
        elif kind == b"list":
            values = client.lrange(key, 0, -1)
        elif kind == b"stream":
            values = [v for _, entry in client.xrange(key) for v in entry.values()]
        for value in values:
            assert not (value or b"").startswith(b"\x80"), (key, value[:40])
            with pytest.raises(Exception):  # noqa: B017 - anything but a success
                pickle.loads(value)


def test_no_pickle_data_in_redis_after_a_run(farm: Farm, store: Store) -> None:
    queue_farm_job(store, farm, "clean", project(farm, slides=2))
    RunnerThread(store, farm.redis.url).join(60)
    assert_no_pickle(farm.redis.client())


# -- splitting one show over several workers ------------------------------------------------
def test_one_show_split_over_two_workers(farm: Farm, store: Store) -> None:
    proj = project(farm, 2.0, 6, "320x180")
    job = queue_farm_job(store, farm, "split", proj, segment_seconds=2.0, split=2)
    RunnerThread(store, farm.redis.url).join(120)
    done = store.get(job.id)
    assert done is not None and done.status is JobStatus.FINISHED, done
    info = valid_video(Path(done.output), 12.0)
    assert info["audio"] is not None
    client = farm.redis.client()
    helpers = [k for k in client.scan_iter(match=f"rq:job:simvid-{job.id}-part*")]
    assert helpers, "a helper job was sent"
    helper_meta = [json.loads(client.hget(k, "meta") or b"{}") for k in helpers]
    assert {m.get("worker") for m in helper_meta} | {rq_meta(farm, job.id)["worker"]} == {
        "w1", "w2"}, "both workers rendered pieces"
    assert not (farm.shared / "out" / ".simvid-work").exists(), "no empty .simvid-work left"


def test_a_webm_show_split_over_two_workers(farm: Farm, store: Store) -> None:
    """The pieces are VP9 WebM, the sound Opus, and the join copies them as for MP4."""
    proj = project(farm, 2.0, 4, "160x90")
    proj = replace(proj, output=replace(proj.output, format=OutputFormat.WEBM_VP9))
    job = queue_farm_job(store, farm, "split-webm", proj, segment_seconds=2.0, split=2)
    RunnerThread(store, farm.redis.url).join(120)
    done = store.get(job.id)
    assert done is not None and done.status is JobStatus.FINISHED, done
    out = Path(done.output)
    assert out.suffix == ".webm"
    info = probe(out)
    assert info["vcodec"] == "vp9" and info["audio"] is not None, info
    assert info["audio"][0] == "opus", info  # type: ignore[index]
    assert abs(float(info["duration"]) - 8.0) < 0.1, info  # type: ignore[arg-type]
    assert len(frames_rgb(out, 160, 90)) == 200
    assert not (farm.shared / "out" / ".simvid-work").exists()


def test_a_show_with_a_clip_and_a_title_split_over_two_workers(farm: Farm, store: Store) -> None:
    clip = mc.numbered(farm.shared / "photos" / "clip.mp4", seconds=2.0, fps=25,
                       size="160x90")
    base = project(farm, 1.0, 3, "160x90")
    proj = base.with_slides([Slide.card("Farm"), base.slides[0],
                             Slide.video(clip, probe_clip(clip).duration), *base.slides[1:]])
    job = queue_farm_job(store, farm, "mixed", proj, segment_seconds=1.0, split=2)
    RunnerThread(store, farm.redis.url).join(120)
    done = store.get(job.id)
    assert done is not None and done.status is JobStatus.FINISHED, done
    valid_video(Path(done.output), proj.total_duration)
    frames = frames_rgb(Path(done.output), 160, 90)
    clip_start = 2.0  # a 1 s title, a 1 s photo, then the clip: its frame numbers show
    for n in (int(clip_start * 25) + 5, int(clip_start * 25) + 30):
        luma = frames[n][45, 80].mean() * 219 / 255 + 16
        assert mc.frame_number(luma) == n - int(clip_start * 25), n


def test_a_playlist_with_a_voice_over_split_over_two_workers_sounds_as_one_pass(
        farm: Farm, store: Store, tmp_path: Path) -> None:
    """The workers find every track and the narration on the shared storage, and the
    soundtrack, made once for the whole show, is the one a single pass makes."""
    media = farm.shared / "photos"
    second = tone(media / "second.wav", 1.5, 660)
    voice = tone(media / "voice.wav", 0.8, 1000)
    bed = AudioBed((MusicTrack(farm.music, end=2.0, join_seconds=0.5),
                    MusicTrack(second, join=TrackJoin.GAP, join_seconds=0.3)))
    proj = replace(project(farm, 1.0, 6, "160x90"), audio=bed,
                   voice_over=Narration(voice, start=2.5))
    job = queue_farm_job(store, farm, "playlist", proj, segment_seconds=1.0, split=2)
    RunnerThread(store, farm.redis.url).join(120)
    done = store.get(job.id)
    assert done is not None and done.status is JobStatus.FINISHED, done
    reference = render(RenderSpec(proj, tmp_path / "one-pass.mp4")).output
    pa, pb = audio_samples(reference), audio_samples(Path(done.output))
    assert len(pa) == len(pb) and np.allclose(pa, pb, atol=1e-4)


# -- failures -------------------------------------------------------------------------------
def test_worker_killed_mid_render_job_retried_elsewhere(own_farm: Farm, store: Store) -> None:
    job = queue_farm_job(store, own_farm, "killed", project(own_farm, 3.0, 8, "640x360"),
                         segment_seconds=2.0)
    runner = RunnerThread(store, own_farm.redis.url)
    wait_for(lambda: (store.get(job.id).percent or 0) > 30, 60, "the render to pass 30%")  # type: ignore[union-attr]
    victim = str(rq_meta(own_farm, job.id)["worker"])
    t_kill = time.monotonic()
    own_farm.workers.kill9(victim)
    survivor = ({"k1", "k2"} - {victim}).pop()
    wait_for(lambda: rq_meta(own_farm, job.id).get("worker") == survivor, 60,
             "the job to move to the other worker")
    moved_after = time.monotonic() - t_kill
    print(f"job moved from {victim} to {survivor} {moved_after:.1f} s after kill -9")
    runner.join(120)
    done = store.get(job.id)
    assert done is not None and done.status is JobStatus.FINISHED, done
    assert moved_after < 60, f"retried after {moved_after:.0f} s"
    assert rq_meta(own_farm, job.id)["attempt"] == 2
    assert int(done.result["resumed_frames"]) > 0, "resumed from the shared segments"  # type: ignore[index]
    valid_video(Path(done.output), 24.0)
    assert leftovers(own_farm.shared / "out") == []


def test_sigterm_requeues_the_job_without_using_a_retry(own_farm: Farm, store: Store) -> None:
    job = queue_farm_job(store, own_farm, "stopped", project(own_farm, 3.0, 8, "640x360"),
                         segment_seconds=2.0)
    runner = RunnerThread(store, own_farm.redis.url)
    wait_for(lambda: (store.get(job.id).percent or 0) > 20, 60, "the render to pass 20%")  # type: ignore[union-attr]
    victim = str(rq_meta(own_farm, job.id)["worker"])
    proc = own_farm.workers.procs[victim]
    t0 = time.monotonic()
    os.kill(proc.pid, signal.SIGTERM)
    proc.wait(20)
    assert time.monotonic() - t0 < 10, "the worker stopped promptly"
    runner.join(120)
    done = store.get(job.id)
    assert done is not None and done.status is JobStatus.FINISHED, done
    retries_left = own_farm.redis.client().hget(
        f"rq:job:{protocol.rq_job_id(job.id)}", "retries_left")
    assert retries_left == b"2", "stopping the worker did not use up a retry"
    valid_video(Path(done.output), 24.0)


def test_redis_restarted_mid_queue_nothing_lost(own_farm: Farm, store: Store) -> None:
    jobs = [queue_farm_job(store, own_farm, f"r{i}", project(own_farm, 2.0, 6, "640x360"),
                           segment_seconds=2.0)
            for i in range(4)]
    runner = RunnerThread(store, own_farm.redis.url)
    # Two render and two wait in Redis's queue when Redis goes away.
    wait_for(lambda: any(j.frames_done > 0 or j.status is JobStatus.FINISHED
                         for j in store.jobs()), 60, "a render to start")
    own_farm.redis.kill()  # everything in Redis is lost (no persistence)
    time.sleep(2)
    own_farm.redis.start()
    runner.join(180)
    for job in jobs:
        done = store.get(job.id)
        assert done is not None and done.status is JobStatus.FINISHED, done
        valid_video(Path(done.output), 12.0)
    assert all(p.poll() is None for p in own_farm.workers.procs.values()), "workers carried on"


def test_planted_or_failed_jobs_delete_nothing_that_is_not_theirs(own_farm: Farm,
                                                                  store: Store) -> None:
    """A JSON job as an attacker would enqueue it, naming the whole share as its work
    folder, with an invalid project; a job whose work folder holds someone else's files,
    failing for good; a cancelled job whose work folder got a file of someone else's
    meanwhile. Every canary survives."""
    share, out = own_farm.shared, own_farm.shared / "out"
    canary = share / "canary.txt"
    canary.write_text("the studio's files")
    client = own_farm.redis.client()
    queue = Queue(protocol.QUEUE, connection=client, serializer=JSONSerializer)

    def plant(job_id: str, work_dir: str) -> str:
        output = str(out / f"{job_id}.mp4")
        missing = Project(slides=(Slide(share / "photos" / "gone.jpg"),))
        payload = protocol.FarmPayload(job_id=job_id, project=project_to_dict(missing),
                                       output=output, work_dir=work_dir)
        queue.enqueue(protocol.RENDER_SHOW, payload.to_dict(),
                      job_id=protocol.rq_job_id(job_id), job_timeout=600)
        return protocol.rq_job_id(job_id)

    def failed(rq_id: str) -> bool:
        return client.hget(f"rq:job:{rq_id}", "status") == b"failed"

    # The share itself as the work folder.
    share_job = plant("planted1", str(share))
    # The right place, but the folder there is not Simvid's.
    theirs = out / ".simvid-work" / "planted2"
    theirs.mkdir(parents=True)
    (theirs / "canary.txt").write_text("not Simvid's")
    theirs_job = plant("planted2", str(theirs))
    wait_for(lambda: failed(share_job) and failed(theirs_job), 60, "both jobs to fail")
    assert canary.read_text() == "the studio's files"
    assert (theirs / "canary.txt").read_text() == "not Simvid's"
    assert sorted(p.name for p in own_farm.photos if p.exists()) == sorted(
        p.name for p in own_farm.photos), "the photos are all there"
    assert b"work_dir" in client.hget(f"rq:job:{share_job}", "meta")  # type: ignore[operator]

    # Cancelled after someone put a file into its work folder.
    job = queue_farm_job(store, own_farm, "cancelled", project(own_farm, 3.0, 16, "640x360"),
                         segment_seconds=2.0)
    runner = RunnerThread(store, own_farm.redis.url)
    work = out / ".simvid-work" / job.id
    wait_for(lambda: (store.get(job.id).percent or 0) > 5, 60, "the render to start")  # type: ignore[union-attr]
    (work / "notes.txt").write_text("mine")
    store.cancel(job.id)
    runner.join(30)
    done = store.get(job.id)
    assert done is not None and done.status is JobStatus.CANCELED, done
    assert (work / "notes.txt").read_text() == "mine"
    assert canary.exists() and all(p.exists() for p in own_farm.photos)


def test_a_job_failing_for_good_leaves_no_work_folder(farm: Farm, store: Store) -> None:
    broken = farm.shared / "photos" / "broken.jpg"
    broken.write_bytes(b"not a photo at all")
    try:
        proj = project(farm, 1.0, 6, music=False)
        proj = replace(proj, slides=(*proj.slides[:5], Slide(broken)))
        job = queue_farm_job(store, farm, "broken", proj, segment_seconds=1.0)
        RunnerThread(store, farm.redis.url).join(60)
        done = store.get(job.id)
        assert done is not None and done.status is JobStatus.FAILED, done
        assert "broken.jpg" in (done.error or ""), done.error
    finally:
        broken.unlink()
    assert not (farm.shared / "out" / ".simvid-work").exists(), "no empty .simvid-work left"


def test_no_password_in_the_workers_messages(tmp_path: Path) -> None:
    """A Redis that wants another password: the worker's message names the URL, hidden."""
    server = RedisServer(tmp_path / "redis")
    try:
        server.client().config_set("requirepass", "the-right-one")
        env = {**os.environ, "SIMVID_DATA_DIR": str(tmp_path / "cli")}
        host = f"127.0.0.1:{server.port}"
        for url in (f"redis://{host}/0?password=s3cret", f"redis://:s3cret@{host}/0",
                    f"redis://default:s3%40cret@{host}/0",
                    f"redis://{host}/0?db=0&password=s3cret%23"):
            res = subprocess.run(
                [sys.executable, "-m", "simvid_desktop", "worker", "--redis", url,
                 "--media-root", str(tmp_path), "--burst"],
                env=env, capture_output=True, text=True, timeout=60)
            assert res.returncode != 0, res.stderr
            assert host in res.stderr and "***" in res.stderr, res.stderr
            assert "s3cret" not in res.stderr and "s3%40cret" not in res.stderr, res.stderr
    finally:
        server.close()


def test_farm_unreachable_falls_back_to_local(store: Store, tmp_path: Path,
                                              photos_dir: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    proj = Project(slides=tuple(Slide(p) for p in sorted(photos_dir.glob("*.jpg"))),
                   default_duration=1.0,
                   output=OutputSettings(resolution=Resolution("128x72"), fps=25,
                                         x264_preset="veryfast"))
    job = submit(store, proj, tmp_path / "fallback.mp4", Settings(), backend="farm")
    RunnerThread(store, url).join(60)
    done = store.get(job.id)
    assert done is not None and done.status is JobStatus.FINISHED, done
    assert done.backend == "local"
    valid_video(Path(done.output), 2.0)


def test_queue_add_with_unreachable_farm_says_so(tmp_path: Path, photos_dir: Path) -> None:
    env = {**os.environ, "SIMVID_DATA_DIR": str(tmp_path / "cli")}
    url = f"redis://:secret@127.0.0.1:{free_port()}/0"
    res = subprocess.run(
        [sys.executable, "-m", "simvid_desktop", "queue", "add", str(photos_dir),
         "-o", str(tmp_path / "q.mp4"), "--farm", url, "--duration", "1",
         "--resolution", "128x72"],
        env=env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "unreachable" in res.stderr and "rendering on this computer" in res.stderr
    assert "secret" not in res.stderr, "no password in messages"
    listing = subprocess.run([sys.executable, "-m", "simvid_desktop", "queue", "list",
                              "--json"], env=env, capture_output=True, text=True, timeout=60)
    assert json.loads(listing.stdout)[0]["backend"] == "local"


@pytest.fixture
def photos_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    for i, c in enumerate(COLORS[:2]):
        solid(folder / f"p{i}.jpg", c)
    return folder


def test_farm_monitor_status(farm: Farm) -> None:
    status = FarmClient(farm.redis.url).status()
    assert {w.name for w in status.workers} == {"w1", "w2"}
    assert status.queued == 0


def test_submit_goes_to_the_farm_when_the_settings_name_one(store: Store, tmp_path: Path,
                                                             photos_dir: Path) -> None:
    proj = Project(slides=tuple(Slide(p) for p in sorted(photos_dir.glob("*.jpg"))))
    job = submit(store, proj, tmp_path / "a.mp4",
                 Settings(farm_url="redis://farm:6379/0", farm_split=3))
    assert job.backend == "farm" and job.extra["split"] == 3
    assert job.extra["farm_url"] == "redis://farm:6379/0"
    local = submit(store, proj, tmp_path / "b.mp4", Settings())
    assert local.backend == "local"


def test_desktop_closed_mid_render_adopts_the_farm_job_again(farm: Farm, store: Store) -> None:
    job = queue_farm_job(store, farm, "adopted", project(farm, 3.0, 6, "640x360"),
                         segment_seconds=2.0)
    first = RunnerThread(store, farm.redis.url, exit_when_idle=False)
    wait_for(lambda: (store.get(job.id).percent or 0) > 10, 60, "the render to start")  # type: ignore[union-attr]
    first.runner.stop()  # the window closes; the farm goes on rendering
    first.thread.join(30)
    waiting = store.get(job.id)
    assert waiting is not None and waiting.status is JobStatus.QUEUED
    assert "farm" in waiting.message
    RunnerThread(store, farm.redis.url).join(120)  # the window opens again
    done = store.get(job.id)
    assert done is not None and done.status is JobStatus.FINISHED, done
    assert rq_meta(farm, job.id)["attempt"] == 1, "adopted, not rendered twice"
    valid_video(Path(done.output), 18.0)
    assert leftovers(farm.shared / "out") == []


def test_a_farm_worker_never_overwrites_a_file_that_appeared_meanwhile(
        farm: Farm, store: Store) -> None:
    """The worker applies the desktop's collision policy when the video is done; the
    desktop's job then names the file the video really went to (its own view of it)."""
    theirs = os.urandom(20_000)
    numbered = submit(store, project(farm, slides=2), farm.shared / "out" / "taken.mp4",
                      Settings(collision=CollisionPolicy.NUMBER), backend="farm")
    refused = submit(store, project(farm, slides=2), farm.shared / "out" / "kept.mp4",
                     Settings(collision=CollisionPolicy.REFUSE), backend="farm")
    for job in (numbered, refused):  # queued while free; taken before the worker is done
        Path(job.output).write_bytes(theirs)
    RunnerThread(store, farm.redis.url).join(120)

    done = store.get(numbered.id)
    assert done is not None and done.status is JobStatus.FINISHED, done
    assert Path(numbered.output).read_bytes() == theirs
    assert done.output == str(farm.shared / "out" / "taken (2).mp4")
    assert (done.result or {})["output"] == done.output
    valid_video(Path(done.output), 2.0)

    failed = store.get(refused.id)
    assert failed is not None and failed.status is JobStatus.FAILED, failed
    assert "kept.mp4" in (failed.error or "") and "refuse" in (failed.error or "")
    assert Path(refused.output).read_bytes() == theirs
    assert not (farm.shared / "out" / "kept (2).mp4").exists()
    assert leftovers(farm.shared / "out") == []
