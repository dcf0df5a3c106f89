"""Bad input through the real command: exit 2, one line per problem naming it, nothing left."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.media import bomb_png, leftovers, solid, tone
from tests.integration.queue_helpers import processes_named


def simvid(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simvid_desktop", *map(str, args), "--progress", "none"],
        capture_output=True, text=True, cwd=cwd, timeout=120,
    )


def assert_clean_failure(res: subprocess.CompletedProcess[str], folder: Path, *names: str) -> None:
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    for name in names:
        assert any(name in line for line in lines), (name, lines)
    assert not (folder / "out.mp4").exists()
    assert leftovers(folder) == []


def test_every_problem_reported_at_once(tmp_path: Path) -> None:
    good = solid(tmp_path / "good.jpg", (1, 2, 3))
    (tmp_path / "notes.jpg").write_text("hello")
    bomb_png(tmp_path / "bomb.png")
    res = simvid("render", good, tmp_path / "missing.jpg", tmp_path / "notes.jpg",
                 tmp_path / "bomb.png", "-o", tmp_path / "out.mp4", "--duration", "nan",
                 "--transition", "spin", "--resolution", "100000x5", cwd=tmp_path)
    assert_clean_failure(res, tmp_path, "missing.jpg: file not found", "notes.jpg: not an image",
                         "bomb.png:", "--duration", "--transition", "--resolution")
    assert len(res.stderr.strip().splitlines()) == 6


@pytest.mark.parametrize(("content", "field"), [
    ('{"schema_version": 1, "slides": [{"image": "a.jpg", "duration": NaN}]}',
     "slides[0].duration: NaN is not allowed"),
    ('{"schema_version": 1, "slides": [{"image": "a.jpg", "duration": -2}]}',
     "slides[0].duration"),
    ('{"schema_version": 1, "slides": [{"image": "a.jpg"}], "default_duration": Infinity}',
     "default_duration: Infinity"),
    ('{"schema_version": 7, "slides": []}',
     "schema_version: needs a newer Simvid Desktop, one that reads project format 7"),
    ('{"schema_version": 0, "slides": []}', "schema_version: unsupported version 0"),
    ('{"schema_version": 1, "slides": [{"image": "a.jpg", "duraton": 2}]}',
     "slides[0].duraton: unknown field, probably a typo of 'duration'"),
    ('{"schema_version": 1, "slides": [{"image": "a.jpg", "transition": "spin"}]}',
     "slides[0].transition.name"),
    ('{"schema_version": 1, "slides": [{"image": "a.jpg"}], "output": {"resolution": "0x0"}}',
     "output.resolution"),
    ('{"schema_version": 1, "slides": [{"image": "nope.jpg"}]}', "nope.jpg: file not found"),
    ("{not json", "not valid JSON"),
    ("[" * 100000 + "]" * 100000, "not a usable JSON document"),
])
def test_bad_project_files(tmp_path: Path, content: str, field: str) -> None:
    solid(tmp_path / "a.jpg", (5, 5, 5))
    (tmp_path / "show.simvid").write_text(content)
    res = simvid("render", tmp_path / "show.simvid", "-o", tmp_path / "out.mp4", cwd=tmp_path)
    assert_clean_failure(res, tmp_path, field)


def test_non_utf8_project(tmp_path: Path) -> None:
    (tmp_path / "show.simvid").write_bytes(b'{"schema_version": 1, "x": "\xff\xfe"}')
    res = simvid("render", tmp_path / "show.simvid", "-o", tmp_path / "out.mp4", cwd=tmp_path)
    assert_clean_failure(res, tmp_path, "not UTF-8")


def test_music_without_audio_and_bad_output(tmp_path: Path) -> None:
    img = solid(tmp_path / "a.jpg", (5, 5, 5))
    silent_video = tmp_path / "silent.mp4"
    subprocess.run([sys.executable, "-c", (
        "import subprocess;from simvid_desktop.render.ffmpeg import ffmpeg_exe;"
        f"subprocess.run([ffmpeg_exe(),'-v','error','-f','lavfi','-i','color=s=64x64:d=1',"
        f"r'{silent_video}'],check=True)")], check=True)
    res = simvid("render", img, "-o", tmp_path / "out.mp4", "--audio", silent_video, cwd=tmp_path)
    assert_clean_failure(res, tmp_path, "silent.mp4: has no audio stream")
    res = simvid("render", img, "-o", tmp_path / "no/such/dir/out.mp4", cwd=tmp_path)
    assert res.returncode == 2 and "does not exist" in res.stderr


def test_quick_form_and_project_form_succeed(tmp_path: Path) -> None:
    a, b = solid(tmp_path / "a.jpg", (200, 0, 0)), solid(tmp_path / "b.png", (0, 0, 200))
    music = tone(tmp_path / "m.mp3", 2)
    res = simvid("render", a, b, "-o", tmp_path / "quick.mp4", "--audio", music,
                 "--duration", "1", "--resolution", "128x72", "--fps", "24",
                 "--x264-preset", "ultrafast", "--crf", "30", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "quick.mp4" in res.stdout and (tmp_path / "quick.mp4").stat().st_size > 0
    project = {"schema_version": 1, "slides": [{"image": "a.jpg"}, {"image": "b.png"}],
               "default_duration": 1, "output": {"resolution": "128x72", "quality": "draft"}}
    (tmp_path / "p.simvid").write_text(json.dumps(project))
    res = subprocess.run(
        [sys.executable, "-m", "simvid_desktop", "render", "p.simvid", "-o", "p.mp4",
         "--progress", "json"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert res.returncode == 0, res.stderr
    events = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    assert events[0]["status"] == "started" and events[-1]["status"] == "finished"
    assert any(e["message"] == "Processing image 2/2" for e in events)
    assert {"percent", "frames_done", "fps", "eta", "stage"} <= set(events[-1])


# -- a render that fails on the way -------------------------------------------------------------
def test_output_folder_removed_mid_render_exits_1(tmp_path: Path) -> None:
    """Input fine, preflight passed, ffmpeg encoding: then the output folder is deleted (a
    USB disk pulled, a share unmounted). The real command reports one line and exits 1;
    nothing is written anywhere else and no ffmpeg outlives it."""
    photos = [solid(tmp_path / f"p{i}.jpg", (40 * i % 255, 90, 160), (640, 360))
              for i in range(20)]
    out_dir = tmp_path / "videos"
    out_dir.mkdir()
    marker = str(tmp_path / "data")  # in the command's environment, and so in ffmpeg's
    env = {**os.environ, "SIMVID_DATA_DIR": marker}
    proc = subprocess.Popen(
        [sys.executable, "-m", "simvid_desktop", "render", *map(str, photos), "-o",
         str(out_dir / "out.mp4"), "--duration", "1", "--resolution", "640x360",
         "--motion", "auto", "--progress", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # wait until frames are being encoded
            event = json.loads(line)
            if event["stage"] == "rendering" and event.get("frames_done", 0) > 0:
                break
        else:
            pytest.fail(f"the render ended before it encoded: {proc.stderr.read()}")  # type: ignore[union-attr]
        assert processes_named("ffmpeg", marker), "ffmpeg is encoding"
        shutil.rmtree(out_dir)
        rest, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    events = [json.loads(line) for line in rest.splitlines() if line.startswith("{")]
    assert proc.returncode == 1, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("simvid: "), lines
    assert "out.mp4" in lines[0] or "videos" in lines[0], lines
    assert events and events[-1]["status"] == "failed", events[-3:]
    assert not out_dir.exists(), "the output folder was created again"
    assert sorted(p.name for p in tmp_path.iterdir()
                  if p.suffix != ".jpg" and p.name != "data") == [], "nothing written beside it"
    assert processes_named("ffmpeg", marker) == []
