"""The farm's pure parts: payload validation, path mapping, media roots, refusals, URLs."""

from __future__ import annotations

import argparse
import os
import pickle
from pathlib import Path, PurePath

import pytest
from redis import Redis
from rq.job import Job as RQJob
from rq.serializers import JSONSerializer

from simvid_desktop.cli.farm_commands import farm_url
from simvid_desktop.errors import FarmJobRefused, InvalidInput, NotShared
from simvid_desktop.farm import protocol
from simvid_desktop.farm.client import connect, redact, scrub, work_dir_on_farm
from simvid_desktop.farm.paths import MediaRoots, PathMap, project_files
from simvid_desktop.farm.worker import refusal
from simvid_desktop.model.settings import Settings


def payload(**kw: object) -> dict[str, object]:
    data: dict[str, object] = {
        "job_id": "abc123", "project": {"slides": []}, "output": "/mnt/out/a.mp4",
        "work_dir": "/mnt/out/.simvid-work/abc123", "segment_seconds": 20.0, "split": 2,
        "name": "a",
    }
    data.update(kw)
    return data


# -- payload -------------------------------------------------------------------------------
def test_payload_round_trip() -> None:
    p = protocol.FarmPayload.from_dict(payload())
    assert p.split == 2 and p.to_dict() == payload()


def test_payload_optional_fields_default() -> None:
    data = payload()
    for key in ("segment_seconds", "split", "name"):
        del data[key]
    p = protocol.FarmPayload.from_dict(data)
    assert (p.split, p.segment_seconds, p.name) == (1, 20.0, "")


@pytest.mark.parametrize(("data", "field"), [
    (payload(extra=1), "unknown field 'extra'"),
    (payload(output=None), "'output'"),
    (payload(project="x"), "'project'"),
    (payload(split=True), "'split'"),
    (payload(split=0), "'split'"),
    (payload(split=65), "'split'"),
    (payload(job_id="../etc"), "'job_id'"),
    (payload(segment_seconds=0.1), "'segment_seconds'"),
    ([1, 2], "not a JSON object"),
])
def test_payload_rejects_malformed(data: object, field: str) -> None:
    with pytest.raises(FarmJobRefused, match=field.replace("(", r"\(")):
        protocol.FarmPayload.from_dict(data)


@pytest.mark.parametrize("work_dir", [
    "/mnt/studio",  # a whole share
    "/mnt/out",  # the output folder
    "/mnt/out/.simvid-work",
    "/mnt/out/.simvid-work/other1",  # another job's folder
    "/mnt/out/.simvid-work/abc123/..",
    "/mnt/out/.simvid-work/abc123/",
    "/mnt/elsewhere/.simvid-work/abc123",
    "/mnt/out/photos",
])
def test_payload_accepts_only_the_work_folder_simvid_makes(work_dir: str) -> None:
    with pytest.raises(FarmJobRefused, match="'work_dir' must be <output folder>/"):
        protocol.FarmPayload.from_dict(payload(work_dir=work_dir))


def test_payload_missing_required_field() -> None:
    data = payload()
    del data["work_dir"]
    with pytest.raises(FarmJobRefused, match="'work_dir'"):
        protocol.FarmPayload.from_dict(data)


# -- path mapping --------------------------------------------------------------------------
def test_path_map_longest_prefix_and_whole_components() -> None:
    pm = PathMap.parse(["/Users/ana=/mnt/home", "/Users/ana/Photos=/mnt/photos"])
    assert pm.map("/Users/ana/Photos/2024/a.jpg") == "/mnt/photos/2024/a.jpg"
    assert pm.map("/Users/ana/Videos/x.mp4") == "/mnt/home/Videos/x.mp4"
    assert pm.map("/Users/ana/Photos") == "/mnt/photos"
    assert pm.map("/Users/anabel/a.jpg") == "/Users/anabel/a.jpg"  # not a component match
    assert pm.map("/elsewhere/a.jpg") == "/elsewhere/a.jpg"


def test_path_map_windows_desktop_paths() -> None:
    pm = PathMap.parse([r"D:\Photos=/mnt/photos"])
    assert pm.map(r"D:\Photos\trip\a.jpg") == "/mnt/photos/trip/a.jpg"


@pytest.mark.parametrize("rule", ["/a", "=/b", "/a=", "  =  "])
def test_path_map_rejects_malformed_rules(rule: str) -> None:
    with pytest.raises(InvalidInput, match="DESKTOP_FOLDER=WORKER_FOLDER"):
        PathMap.parse([rule], "--path-map")


def test_map_project_maps_photos_and_music_without_touching_the_input() -> None:
    project = {"slides": [{"image": "/Users/ana/Photos/a.jpg"}, {"image": "/x/b.jpg"}],
               "audio": {"path": "/Users/ana/Photos/m.mp3", "volume": 1.0}}
    mapped = PathMap.parse(["/Users/ana/Photos=/mnt/p"]).map_project(project)
    assert list(project_files(mapped)) == ["/mnt/p/a.jpg", "/x/b.jpg", "/mnt/p/m.mp3"]
    assert project["slides"][0]["image"] == "/Users/ana/Photos/a.jpg"  # type: ignore[index]


def test_map_project_maps_clips_and_title_photos_too() -> None:
    project = {"slides": [{"clip": {"path": "/Users/ana/Photos/c.mov", "length": 3.0}},
                          {"title": {"text": "Hi", "photo": "/Users/ana/Photos/t.heic"}},
                          {"title": {"text": "No photo"}}]}
    mapped = PathMap.parse(["/Users/ana/Photos=/mnt/p"]).map_project(project)
    assert list(project_files(mapped)) == ["/mnt/p/c.mov", "/mnt/p/t.heic"]
    assert mapped["slides"][0]["clip"]["length"] == 3.0


def test_map_project_maps_every_track_and_narration() -> None:
    project = {"slides": [{"image": "/U/a.jpg", "narration": {"path": "/U/n.wav"}}],
               "audio": {"tracks": [{"path": "/U/one.mp3"}, {"path": "/U/two.m4a"}]},
               "voice_over": {"path": "/U/v.wav", "start": 1.0}}
    mapped = PathMap.parse(["/U=/mnt/p"]).map_project(project)
    assert list(project_files(mapped)) == [
        "/mnt/p/a.jpg", "/mnt/p/n.wav", "/mnt/p/one.mp3", "/mnt/p/two.m4a", "/mnt/p/v.wav"]


def test_extended_adds_a_jobs_own_rules() -> None:
    pm = PathMap.parse(["/a=/x"]).extended(["/a/b=/y"])
    assert pm.map("/a/b/c") == "/y/c" and pm.map("/a/c") == "/x/c"


def test_work_dir_is_beside_the_output() -> None:
    assert work_dir_on_farm("/mnt/out/show.mp4", "j1") == "/mnt/out/.simvid-work/j1"
    # In the workers' path style, whatever the desktop's (a Windows desktop, POSIX workers).
    assert protocol.farm_work_dir("/mnt/out/show.mp4", "j1") == "/mnt/out/.simvid-work/j1"
    assert protocol.farm_work_dir(r"S:\out\show.mp4", "j1") == r"S:\out\.simvid-work\j1"


# -- media roots ---------------------------------------------------------------------------
def test_media_roots(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    (shared / "photos").mkdir(parents=True)
    secret = tmp_path / "secret"
    secret.mkdir()
    (shared / "link").symlink_to(secret)
    roots = MediaRoots.of([shared])
    assert roots.contains(shared / "photos" / "a.jpg")
    assert roots.contains(shared / "photos")
    assert not roots.contains(secret / "a.jpg")
    assert not roots.contains(f"{shared}/../secret/a.jpg"), "no escaping with .."
    assert not roots.contains(shared / "link" / "a.jpg"), "no escaping through a symlink"
    assert not roots.contains("photos/a.jpg"), "relative paths are refused"
    with pytest.raises(NotShared, match=r"secret/a\.jpg: outside the farm's shared media"):
        roots.check([str(shared / "photos" / "ok.jpg"), str(secret / "a.jpg")])


def test_a_media_root_itself_is_never_a_file_or_folder_of_a_job(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    (shared / "out").mkdir(parents=True)
    roots = MediaRoots.of([shared, tmp_path / "other"])
    for root in (shared, f"{shared}/", f"{shared}/out/..", tmp_path / "other"):
        assert not roots.contains(root), root
    with pytest.raises(FarmJobRefused, match="a shared media folder itself"):
        roots.check([str(shared / "out" / "a.mp4"), str(shared)])


# -- job ids -------------------------------------------------------------------------------
@pytest.mark.parametrize("rq_id", [
    "simvid-abc123", "simvid-abc123-part2-0a1b2c", "simvid-A_b-9", "simvid-" + "a" * 93])
def test_simvid_rq_ids(rq_id: str) -> None:
    assert protocol.is_simvid_rq_id(rq_id)


@pytest.mark.parametrize("rq_id", [
    "abc123", "simvid-", "simvid-a/../../x", "simvid-../x", "simvid-a.b", "simvid-a b",
    "simvid-a\\b", "simvid-a\nb", "simvid-é", "simvid-a:b", "simvid-" + "a" * 94,
    "Simvid-abc", "rq:job:simvid-a"])
def test_job_ids_that_are_not_simvids_or_not_safe_in_a_path(rq_id: str) -> None:
    assert not protocol.is_simvid_rq_id(rq_id)


def test_an_rq_job_renders_only_its_own_payload() -> None:
    assert protocol.rq_id_of_payload("simvid-abc123", "abc123")
    assert protocol.rq_id_of_payload("simvid-abc123-part1-0a1b2c", "abc123")
    assert not protocol.rq_id_of_payload("simvid-abc1234", "abc123")
    assert not protocol.rq_id_of_payload("simvid-other", "abc123")
    assert not protocol.rq_id_of_payload("simvid-abc123-part1/../x", "abc123")


def test_simvid_has_its_own_queue() -> None:
    assert protocol.DEFAULT_QUEUES == (protocol.QUEUE,)
    assert protocol.QUEUE.startswith("simvid") and "default" not in protocol.DEFAULT_QUEUES


# -- URLs ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("url", "shown"), [
    ("redis://:s3cret@farm:6379/0", "redis://:***@farm:6379/0"),
    ("rediss://ana:s3cret@farm/1", "rediss://ana:***@farm/1"),
    ("redis://farm:6379/0", "redis://farm:6379/0"),
    ("redis://farm:6379/0?password=s3cret", "redis://farm:6379/0?password=***"),
    ("redis://farm/0?db=1&password=s3cret&x=1", "redis://farm/0?db=1&password=***&x=1"),
    ("rediss://farm/0?ssl_password=s3cret", "rediss://farm/0?ssl_password=***"),
    ("redis://farm/0?PASSWORD=s3cret", "redis://farm/0?PASSWORD=***"),
    ("redis://farm/0?pass%77ord=s3cret", "redis://farm/0?pass%77ord=***"),  # encoded name
    ("redis://farm/0?password=s3%40cret", "redis://farm/0?password=***"),
    ("redis://farm/0?password=s3c@ret", "redis://farm/0?password=***"),
    ("redis://farm/0?password=s3c#ret", "redis://farm/0?password=***"),
    ("unix:///run/redis.sock?db=0&password=s3cret", "unix:///run/redis.sock?db=0&password=***"),
    ("unix://ana:s3cret@/run/redis.sock", "unix://ana:***@/run/redis.sock"),
    ("unix://:s3cret@/run/redis.sock?db=1", "unix://:***@/run/redis.sock?db=1"),
    ("redis://:s3%40cr%23et@farm/0", "redis://:***@farm/0"),  # URL-encoded
    ("redis://:s3@cret@farm/0", "redis://:***@farm/0"),  # "@" in the password
    ("redis://:s3#cret@farm/0", "redis://***@farm/0"),  # "#": hidden whole
    ("redis://:s3?cret@farm/0?password=s3cret", "redis://***@farm/0?password=***"),
    ("redis://s3cret@farm/0", "redis://***@farm/0"),  # a user-only secret
])
def test_redact_hides_every_form_of_password(url: str, shown: str) -> None:
    assert redact(url) == shown


def test_scrub_cleans_error_messages_quoting_a_piece_of_the_password() -> None:
    url = "redis://:s3cr#et@farm/0"
    assert scrub("Port could not be cast to integer value as 's3cr'", url) == (
        "Port could not be cast to integer value as '***'")
    assert scrub("bad s3%40x", "redis://:s3%40x@h/0") == "bad ***"
    assert scrub("bad s3@x", "redis://:s3%40x@h/0") == "bad ***"


@pytest.mark.parametrize("url", ["redis://:s3cr#et@farm/0", "redis://:s3cr?et@farm/0",
                                 "redis://farm/0?password=s3cret&db=x"])
def test_connect_errors_show_no_piece_of_the_password(url: str) -> None:
    with pytest.raises(InvalidInput) as err:
        connect(url)
    assert "s3cr" not in str(err.value), str(err.value)


def test_connect_rejects_other_schemes_without_showing_the_password() -> None:
    with pytest.raises(InvalidInput) as err:
        connect("http://:pw@farm:6379")
    assert "pw" not in str(err.value) and "redis://" in str(err.value)


# -- refusing what is not ours -------------------------------------------------------------
def _job(func: str, *args: object) -> RQJob:
    return RQJob.create(func, args=args, connection=Redis(), serializer=JSONSerializer,
                        id="simvid-x")


def test_refusal_of_foreign_functions_and_arguments() -> None:
    assert refusal(_job(protocol.RENDER_SHOW, payload())) is None
    assert refusal(_job(protocol.RENDER_PIECES, payload())) is None
    assert "not a Simvid render" in (refusal(_job("os.system", "rm -rf /")) or "")
    assert "not a Simvid render" in (
        refusal(_job("simvid_desktop.farm.tasks._require_runtime")) or "")
    assert "arguments" in (refusal(_job(protocol.RENDER_SHOW, "a", "b")) or "")
    assert "arguments" in (refusal(_job(protocol.RENDER_SHOW, "not a dict")) or "")


def test_refusal_of_pickled_data_without_unpickling() -> None:
    class Boom:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (os.abort, ())

    job = _job(protocol.RENDER_SHOW, payload())
    job.data = pickle.dumps((protocol.RENDER_SHOW, None, (Boom(),), {}))
    assert "not JSON" in (refusal(job) or "")


def test_whitelist_is_exactly_the_render_functions() -> None:
    assert frozenset({protocol.RENDER_SHOW, protocol.RENDER_PIECES}) == protocol.ALLOWED_FUNCTIONS


# -- which farm a command uses -------------------------------------------------------------
def _args(**kw: object) -> argparse.Namespace:
    return argparse.Namespace(**{"farm": None, "local": False, **kw})


def test_farm_url_choice() -> None:
    with_farm = Settings(farm_url="redis://farm/0")
    assert farm_url(_args(), with_farm, settings_default=False) is None  # render: opt in
    assert farm_url(_args(), with_farm, settings_default=True) == "redis://farm/0"
    assert farm_url(_args(local=True), with_farm, settings_default=True) is None
    assert farm_url(_args(farm=""), with_farm, settings_default=False) == "redis://farm/0"
    assert farm_url(_args(farm="redis://other/1"), with_farm,
                    settings_default=False) == "redis://other/1"
    with pytest.raises(InvalidInput, match="--farm: no URL"):
        farm_url(_args(farm=""), Settings(), settings_default=False)


def test_payload_carries_the_collision_policy() -> None:
    assert protocol.FarmPayload.from_dict(payload()).collision == "number", (
        "a payload without a policy (from a previous desktop) never replaces either")
    refusing = protocol.FarmPayload.from_dict(payload(collision="refuse"))
    assert refusing.collision == "refuse" and refusing.to_dict() == payload(collision="refuse")
    # The default is left out, so that a worker of the previous version takes the job.
    assert "collision" not in protocol.FarmPayload.from_dict(
        payload(collision="number")).to_dict()
    for bad in ("overwrite", 1, None):
        with pytest.raises(FarmJobRefused, match="'collision'"):
            protocol.FarmPayload.from_dict(payload(collision=bad))


def test_desktop_output_keeps_the_desktops_folder_and_the_workers_file_name() -> None:
    asked = "/Volumes/studio/out/show.mp4"
    assert protocol.desktop_output(asked, "/mnt/studio/out/show (2).mp4") == str(
        PurePath("/Volumes/studio/out/show (2).mp4"))
    assert protocol.desktop_output(asked, "D:\\studio\\out\\show (3).mp4") == str(
        PurePath("/Volumes/studio/out/show (3).mp4"))
    assert protocol.desktop_output(asked, None) == asked
