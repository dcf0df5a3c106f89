"""The farm monitor against a real Redis server: a worker's presence record as workers write
it, a queued and a failed RQ job, a farm that is down or hangs, and no farm at all."""

from __future__ import annotations

import itertools
import json
import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import redis
from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from rq import Queue
from rq.job import Job as RQJob
from rq.serializers import JSONSerializer

from simvid_desktop.farm import protocol
from simvid_desktop.farm.client import FarmStatus
from simvid_desktop.model.settings import Settings
from simvid_desktop.ui import farm_monitor
from simvid_desktop.ui.farm_monitor import HINT_TEXT, FarmMonitor
from simvid_desktop.ui.main_window import MainWindow
from tests.integration.farm_helpers import RedisServer, free_port

# No module-wide skip: the tests that start a server (the ``server`` fixture) are skipped
# when none is installed (tests/conftest.py); the unreachable, hanging, garbled and
# no-farm cases need none and always run.

WORKER = {"name": "studio-a", "host": "render-01", "pid": 4242, "queues": [protocol.QUEUE],
          "since": 0.0, "job": "simvid-job1", "job_name": "Holiday 2024", "percent": 42.5}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    srv = RedisServer(tmp_path / "redis")
    yield srv
    srv.close()


@pytest.fixture
def client(server: RedisServer) -> Iterator[redis.Redis]:
    r = server.client()
    yield r
    r.close()


def announce(r: redis.Redis, presence: dict[str, object]) -> None:
    """What a worker's housekeeping thread writes every few seconds (worker.py)."""
    r.set(protocol.presence_key(str(presence["name"])), json.dumps(presence),
          ex=protocol.PRESENCE_SECONDS)


def plant_jobs(r: redis.Redis) -> None:
    """One job waiting in the farm's queue and one that failed, as RQ stores them."""
    queue = Queue(protocol.QUEUE, connection=r, serializer=JSONSerializer)
    queue.enqueue(protocol.RENDER_SHOW, {"job_id": "waiting"}, job_id="simvid-waiting",
                  description="Wedding")
    failed = RQJob.create(protocol.RENDER_SHOW, args=({"job_id": "broken"},), id="simvid-broken",
                          connection=r, serializer=JSONSerializer, description="Birthday",
                          meta={"error": "photo not found: /mnt/photos/cake.jpg"})
    failed.save()
    queue.failed_job_registry.add(failed, ttl=600, exc_string="Traceback…")


def monitor_for(qtbot: QtBot, url: str) -> FarmMonitor:
    monitor = FarmMonitor(url)
    qtbot.addWidget(monitor)
    monitor.resize(1100, 240)
    return monitor


def grab(widget: QWidget, path: str) -> None:
    """A screenshot with the layout settled (labels just changed size)."""
    for child in [widget, *widget.findChildren(QWidget)]:
        layout = child.layout()
        if layout is not None:
            layout.activate()
    assert widget.grab().save(path)


def label_texts(monitor: FarmMonitor) -> str:
    return " ".join(w.text() for w in (monitor.state_label, monitor.url_label,
                                       monitor.reason_label, monitor.updated_label))


# -- a farm that answers ---------------------------------------------------------------------
def test_shows_workers_queue_and_failures_from_a_real_redis(
    qtbot: QtBot, server: RedisServer, client: redis.Redis
) -> None:
    announce(client, WORKER)
    announce(client, {"name": "studio-b", "host": "render-02", "pid": 7})  # idle
    plant_jobs(client)
    monitor = monitor_for(qtbot, server.url)
    assert monitor.state_label.text() == "Connecting…"
    with qtbot.waitSignal(monitor.poller.statusReceived, timeout=5000) as answer:
        monitor.show()
    status = answer.args[0]
    assert isinstance(status, FarmStatus)  # data, not text
    assert [w.name for w in status.workers] == ["studio-a", "studio-b"]
    assert (status.queued, status.running) == (1, 0)
    assert status.failed == (("Birthday", "photo not found: /mnt/photos/cake.jpg"),)

    assert monitor.state_label.text() == "Online"
    assert monitor.url_label.text() == server.url
    assert not monitor.reason_label.isVisible()
    assert {k: t.value.text() for k, t in monitor.tiles.items()} == {
        "workers": "2", "queued": "1", "running": "0", "failed": "1"}
    busy, idle = (monitor.workers.topLevelItem(i) for i in range(2))
    assert [busy.text(c) for c in range(3)] == ["studio-a", "render-01", "Holiday 2024"]
    assert busy.data(3, farm_monitor.PercentRole) == 42.5
    assert [idle.text(c) for c in range(3)] == ["studio-b", "render-02", "idle"]
    assert idle.data(3, farm_monitor.PercentRole) is None
    failure = monitor.failed.topLevelItem(0)
    assert (failure.text(0), failure.text(1)) == ("Birthday",
                                                  "photo not found: /mnt/photos/cake.jpg")
    grab(monitor, "/tmp/ui_farm_monitor_panel.png")

    # Polling goes on: a worker that stops announcing itself drops off the list.
    client.delete(protocol.presence_key("studio-a"))
    with qtbot.waitSignal(monitor.poller.statusReceived, timeout=5000,
                          check_params_cb=lambda s: len(s.workers) == 1):
        pass
    assert monitor.workers.topLevelItemCount() == 1
    assert monitor.tiles["workers"].value.text() == "1"


def test_stops_polling_when_hidden_and_when_the_farm_is_cleared(
    qtbot: QtBot, server: RedisServer
) -> None:
    monitor = monitor_for(qtbot, server.url)
    with qtbot.waitSignal(monitor.poller.statusReceived, timeout=5000):
        monitor.show()
    assert monitor.poller.polling
    monitor.hide()
    assert not monitor.poller.polling
    sent = monitor.poller.polls
    with qtbot.assertNotEmitted(monitor.poller.statusReceived, wait=2600):
        pass
    assert monitor.poller.polls == sent

    with qtbot.waitSignal(monitor.poller.statusReceived, timeout=5000):
        monitor.show()  # shown again: polls again
    monitor.set_farm_url("")
    assert monitor.pages.currentIndex() == 0
    assert not monitor.poller.polling
    sent = monitor.poller.polls
    with qtbot.assertNotEmitted(monitor.poller.statusReceived, wait=2600):
        pass
    assert monitor.poller.polls == sent


# -- a farm that does not answer -------------------------------------------------------------
def test_unreachable_farm_is_shown_with_its_reason_and_no_password(qtbot: QtBot) -> None:
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"  # nobody listens there
    monitor = monitor_for(qtbot, url)
    with qtbot.waitSignal(monitor.poller.unreachable, timeout=5000) as failure:
        monitor.show()
    shown_url, reason = failure.args
    assert "hunter2" not in shown_url and shown_url.startswith("redis://:***@127.0.0.1:")
    assert monitor.state_label.text() == "Unreachable"
    assert monitor.reason_label.isVisible()
    assert monitor.reason_label.text() == reason
    assert "refused" in reason.lower() or "error" in reason.lower()
    assert "hunter2" not in label_texts(monitor)
    assert not monitor.content.isEnabled()
    # It keeps trying, so the monitor turns green by itself when the farm comes back.
    with qtbot.waitSignal(monitor.poller.unreachable, timeout=5000):
        pass
    grab(monitor, "/tmp/ui_farm_monitor_unreachable.png")


def test_a_hanging_farm_never_blocks_the_ui_thread(qtbot: QtBot) -> None:
    """A server that accepts connections and never answers: the client waits its full 3 s
    timeout, on the pool thread, while the UI thread's timer keeps ticking."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        monitor = monitor_for(qtbot, f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        ticks: list[float] = []
        timer = QTimer()
        timer.setInterval(50)
        timer.timeout.connect(lambda: ticks.append(time.monotonic()))
        timer.start()
        started = time.monotonic()
        monitor.show()
        # A show() that waited for Redis would take the client's whole 3 s timeout.
        assert time.monotonic() - started < 2.0
        with qtbot.waitSignal(monitor.poller.unreachable, timeout=10_000) as failure:
            pass
        timer.stop()
        waited = time.monotonic() - started
        assert waited >= 2.5, failure.args  # it really was a hanging request
        assert "timeout" in failure.args[1].lower() or "timed out" in failure.args[1].lower()
        gaps = [b - a for a, b in itertools.pairwise([started, *ticks])]
        assert len(ticks) >= 10, ticks
        assert max(gaps) < 2.0, max(gaps)  # a UI thread waiting on Redis would miss ~3 s
        monitor.shutdown()  # the next (hanging) poll is never delivered


# -- no farm -------------------------------------------------------------------------------
class _NoClient:
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("no farm is configured: nothing may connect")


def test_no_farm_shows_the_hint_and_never_polls(qtbot: QtBot,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(farm_monitor, "FarmClient", _NoClient)
    monitor = monitor_for(qtbot, "")
    monitor.show()
    qtbot.waitExposed(monitor)
    assert monitor.hint.isVisible() and monitor.hint.text() == HINT_TEXT
    assert not monitor.poller.polling
    with qtbot.assertNotEmitted(monitor.poller.statusReceived, wait=2600), \
            qtbot.assertNotEmitted(monitor.poller.unreachable, wait=0):
        pass
    assert monitor.poller.polls == 0
    with qtbot.waitSignal(monitor.settingsRequested, timeout=1000):
        monitor.findChild(farm_monitor.QPushButton, "farmSetUp").click()


# -- in the window -----------------------------------------------------------------------------
@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    w = MainWindow(Settings(output_dir=str(tmp_path / "videos"), workers=1),
                   start_runner=False)
    w.resize(1440, 900)
    yield w
    w.document.undo_stack.setClean()
    w.close()


def test_window_has_a_farm_tab_that_follows_the_settings(
    qtbot: QtBot, window: MainWindow, server: RedisServer, client: redis.Redis
) -> None:
    announce(client, WORKER)
    action = window.findChild(QAction, "actionFarmMonitor")
    assert action is not None and action.isCheckable()
    monitor = window.farm_dock.monitor
    window.show()
    qtbot.waitExposed(window)
    assert window.tabifiedDockWidgets(window.jobs_dock) == [window.farm_dock]
    assert window.jobs_dock.visibleRegion().isEmpty() is False
    assert monitor.visibleRegion().isEmpty() and not action.isChecked()  # queue tab in front
    assert monitor.pages.currentIndex() == 0  # no farm in these settings: the hint

    window._settings_saved(replace(window.settings, farm_url=server.url))
    assert monitor.farm_url == server.url
    assert not monitor.poller.polling  # still behind the queue's tab
    with qtbot.waitSignal(monitor.poller.statusReceived, timeout=5000):
        action.trigger()  # View → Render Farm Monitor brings the tab to the front
    assert not monitor.visibleRegion().isEmpty() and action.isChecked()
    assert monitor.workers.topLevelItem(0).text(2) == "Holiday 2024"
    grab(window, "/tmp/ui_farm_monitor_window.png")

    window._settings_saved(replace(window.settings, farm_url=""))  # farm cleared
    assert monitor.pages.currentIndex() == 0 and not monitor.poller.polling
    window._settings_saved(replace(window.settings, farm_url=server.url))
    with qtbot.waitSignal(monitor.poller.statusReceived, timeout=5000):
        pass  # in front again, polling again
    with qtbot.waitSignal(window.farm_dock.visibilityChanged, timeout=2000,
                          check_params_cb=lambda visible: not visible):
        window.jobs_dock.raise_()  # the queue's tab in front: no more polls
    assert not action.isChecked()
    assert not monitor.poller.polling


class _GarbledFarm:
    """Redis answers, but with something the client cannot read (a planted record)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def status(self) -> FarmStatus:
        raise ValueError("Unexpected job format")

    def close(self) -> None:
        pass


def test_an_unreadable_answer_is_shown_and_polling_goes_on(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(farm_monitor, "FarmClient", _GarbledFarm)
    monitor = monitor_for(qtbot, "redis://farm:6379/0")
    with qtbot.waitSignal(monitor.poller.statusError, timeout=5000) as error:
        monitor.show()
    assert "ValueError: Unexpected job format" in error.args[1]
    assert monitor.state_label.text() == "Online, status unreadable"
    assert monitor.reason_label.text() == error.args[1]
    with qtbot.waitSignal(monitor.poller.statusError, timeout=5000):
        pass  # still polling: a fixed record turns the monitor green again
