"""The window's one way to run background work: results and errors come back on the UI
thread, stale ones never do, and a receiver that is gone gets nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QObject, Signal
from pytestqt.qtbot import QtBot

from simvid_desktop.ui.tasks import Pool, TaskChannel, pool

WAIT_MS = 5000


class Receiver(QObject):
    """Records each callback and the thread it ran on; ``got`` fires after each one."""

    got = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.calls: list[tuple[object, BaseException | None, int]] = []

    def on_result(self, result: object, error: BaseException | None) -> None:
        self.calls.append((result, error, threading.get_ident()))
        self.got.emit()


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    """Holds the tasks that wait on it; always opened at the end, so no thread stays stuck."""
    event = threading.Event()
    yield event
    event.set()
    assert pool(Pool.IO).waitForDone(WAIT_MS)


def waiting_for(gate: threading.Event, value: object,
                started: threading.Event | None = None) -> Callable[[], object]:
    def task() -> object:
        if started is not None:
            started.set()
        assert gate.wait(WAIT_MS)
        return value
    return task


def test_the_result_arrives_on_the_ui_thread(qtbot: QtBot) -> None:
    receiver = Receiver()
    ran_on: list[int] = []

    def task() -> int:
        ran_on.append(threading.get_ident())
        return 42

    channel = TaskChannel(receiver, Pool.IO)
    with qtbot.waitSignal(receiver.got, timeout=WAIT_MS):
        channel.run(task, receiver.on_result)
    ui_thread = threading.get_ident()
    assert receiver.calls == [(42, None, ui_thread)]
    assert ran_on and ran_on[0] != ui_thread


def test_an_error_arrives_as_the_exception_itself(qtbot: QtBot) -> None:
    receiver = Receiver()
    problem = ValueError("unexpected job format")

    def task() -> int:
        raise problem

    channel = TaskChannel(receiver, Pool.IO)
    with qtbot.waitSignal(receiver.got, timeout=WAIT_MS):
        channel.run(task, receiver.on_result)
    assert len(receiver.calls) == 1
    result, error, _ = receiver.calls[0]
    assert result is None and error is problem
    assert error.__traceback__ is not None  # where it happened is kept, for the log


def test_every_result_arrives_until_discarded(qtbot: QtBot, gate: threading.Event) -> None:
    receiver = Receiver()
    channel = TaskChannel(receiver, Pool.IO)
    channel.run(lambda: "first", receiver.on_result)
    qtbot.waitUntil(lambda: len(receiver.calls) == 1, timeout=WAIT_MS)
    started = threading.Event()
    channel.run(waiting_for(gate, "in flight", started), receiver.on_result)
    assert started.wait(WAIT_MS)
    channel.discard()
    gate.set()
    assert pool(Pool.IO).waitForDone(WAIT_MS)
    with qtbot.assertNotEmitted(receiver.got, wait=200):
        pass
    assert [c[0] for c in receiver.calls] == ["first"]
    assert channel.pending == 0


def test_only_the_latest_result_arrives(qtbot: QtBot, gate: threading.Event) -> None:
    receiver = Receiver()
    channel = TaskChannel(receiver, Pool.IO, latest=True)
    started = threading.Event()
    channel.run(waiting_for(gate, "old", started), receiver.on_result)
    assert started.wait(WAIT_MS)  # running: its result will be posted, and dropped
    with qtbot.waitSignal(receiver.got, timeout=WAIT_MS):
        channel.run(lambda: "new", receiver.on_result)
        gate.set()
    assert pool(Pool.IO).waitForDone(WAIT_MS)
    with qtbot.assertNotEmitted(receiver.got, wait=200):
        pass
    assert [c[0] for c in receiver.calls] == ["new"]


def test_a_stale_task_that_has_not_started_never_runs(qtbot: QtBot,
                                                      gate: threading.Event) -> None:
    """Every I/O thread busy, so the next task queues; a discard means it never runs."""
    receiver = Receiver()
    blockers = TaskChannel(receiver, Pool.IO)
    started = [threading.Event() for _ in range(pool(Pool.IO).maxThreadCount())]
    for event in started:
        blockers.run(waiting_for(gate, None, event), receiver.on_result)
    assert all(e.wait(WAIT_MS) for e in started)
    ran: list[str] = []
    channel = TaskChannel(receiver, Pool.IO)
    channel.run(lambda: ran.append("queued"), receiver.on_result)
    channel.discard()
    gate.set()
    assert pool(Pool.IO).waitForDone(WAIT_MS)
    assert ran == []


def test_a_receiver_deleted_before_the_result_gets_nothing(
        qtbot: QtBot, gate: threading.Event) -> None:
    parent = QObject()
    receiver = Receiver(parent)
    calls = receiver.calls  # the list outlives the receiver
    channel = TaskChannel(receiver, Pool.IO)
    started = threading.Event()
    channel.run(waiting_for(gate, "too late", started), receiver.on_result)
    assert started.wait(WAIT_MS)
    with qtbot.waitSignal(receiver.destroyed, timeout=WAIT_MS):
        parent.deleteLater()  # deletes the receiver, its child, on the C++ side
    gate.set()
    assert pool(Pool.IO).waitForDone(WAIT_MS)
    witness = Receiver()  # a result posted after the stale one arrives after it too
    witness_channel = TaskChannel(witness, Pool.IO)
    with qtbot.waitSignal(witness.got, timeout=WAIT_MS):
        witness_channel.run(lambda: "later", witness.on_result)
    assert calls == []
    assert channel.pending == 0
