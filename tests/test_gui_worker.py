"""The worker thread: commands in order on one thread, outcomes and events out, polls interrupted, stop."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from gui.worker import Command, CommandDone, CommandFailed, EngineWorker
from net.engine_error import EngineError
from net.events import ConnectionChanged, ConnectionState, ErrorReported
from storage.profile_errors import DamagedValue

TIMEOUT = 30.0


class ThreadRecordingEngine:
    """The smallest engine with the worker's contract; it records which thread did what."""

    def __init__(self, emit: Any) -> None:
        self.emit = emit
        self.threads: set[str] = {threading.current_thread().name}
        self.polls = 0
        self.poll_started = threading.Event()
        self._wake = threading.Event()
        self.closed = threading.Event()
        self.stopped = threading.Event()
        self.fail_poll = False

    def poll(self, timeout: float) -> None:
        self.threads.add(threading.current_thread().name)
        self.polls += 1
        self.poll_started.set()
        if self.fail_poll:
            self.fail_poll = False
            raise EngineError("connection_lost", "The connection to the server was lost.")
        self._wake.wait(timeout)
        self._wake.clear()

    def wakeup(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self.stopped.set()
        self._wake.set()

    def close(self) -> None:
        self.threads.add(threading.current_thread().name)
        self.closed.set()


def next_event(worker: EngineWorker) -> object:
    return worker.events.get(timeout=TIMEOUT)


@pytest.fixture
def worker() -> Any:
    engines: list[ThreadRecordingEngine] = []

    def make(emit: Any) -> ThreadRecordingEngine:
        engines.append(ThreadRecordingEngine(emit))
        return engines[-1]

    w = EngineWorker(make, poll_seconds=10.0)
    w.start()
    w.engine = engines[0]  # type: ignore[attr-defined]
    yield w
    w.stop()


def test_commands_run_in_order_on_the_worker_thread(worker: Any) -> None:
    for i in range(5):
        worker.submit(Command(f"c{i}", lambda engine, i=i: (i, threading.current_thread().name)))
    results = [next_event(worker) for _ in range(5)]
    assert [r.tag for r in results] == [f"c{i}" for i in range(5)]
    assert all(isinstance(r, CommandDone) for r in results)
    assert {r.result[1] for r in results} == {"parley-engine"}
    assert worker.engine.threads == {"parley-engine"}  # built there, too


def test_engine_errors_keep_their_code_and_words(worker: Any) -> None:
    def refuse(engine: Any) -> None:
        raise EngineError("wrong_passphrase", "That passphrase does not open this profile.")

    worker.submit(Command("unlock", refuse))
    failed = next_event(worker)
    assert failed == CommandFailed(
        "unlock", "wrong_passphrase", "That passphrase does not open this profile."
    )


def test_a_bug_becomes_a_plain_sentence_without_the_details(worker: Any) -> None:
    def crash(engine: Any) -> None:
        raise KeyError("secret-looking detail")

    worker.submit(Command("crash", crash))
    failed = next_event(worker)
    assert isinstance(failed, CommandFailed) and failed.code == "internal"
    assert "KeyError" in failed.message and "secret-looking" not in failed.message
    worker.submit(Command("after", lambda engine: "still alive"))
    assert next_event(worker) == CommandDone("after", "still alive")


def test_a_damaged_profile_is_said_in_words_not_as_a_bug(worker: Any) -> None:
    def damaged(_engine: object) -> None:
        raise DamagedValue("contact")

    worker.submit(Command("open", damaged))
    failed = next_event(worker)
    assert isinstance(failed, CommandFailed) and failed.code == "profile_damaged"
    assert failed.message == (
        "The stored contact could not be opened: the profile file is damaged or was altered."
    )


def test_events_emitted_during_a_command_come_before_its_outcome(worker: Any) -> None:
    def connect(engine: Any) -> None:
        engine.emit(ConnectionChanged(ConnectionState.CONNECTED))

    worker.submit(Command("connect", connect))
    assert next_event(worker) == ConnectionChanged(ConnectionState.CONNECTED)
    assert next_event(worker) == CommandDone("connect", None)


def test_a_command_cuts_a_long_poll_short(worker: Any) -> None:
    worker.submit(Command("online", lambda engine: None, polls=True))
    assert next_event(worker) == CommandDone("online", None)
    assert worker.engine.poll_started.wait(TIMEOUT)
    started = time.monotonic()
    worker.submit(Command("ping", lambda engine: "pong"))
    assert next_event(worker) == CommandDone("ping", "pong")
    assert time.monotonic() - started < 5.0  # the poll would have run 10 s


def test_polling_stops_when_a_command_says_so(worker: Any) -> None:
    worker.submit(Command("online", lambda engine: None, polls=True))
    next_event(worker)
    assert worker.engine.poll_started.wait(TIMEOUT)
    worker.submit(Command("offline", lambda engine: None, polls=False))
    next_event(worker)
    polls = worker.engine.polls
    worker.submit(Command("ping", lambda engine: engine.polls))
    assert next_event(worker).result == polls


def test_a_failing_poll_is_reported_and_does_not_spin(worker: Any) -> None:
    worker.engine.fail_poll = True
    worker.submit(Command("online", lambda engine: None, polls=True))
    assert next_event(worker) == CommandDone("online", None)
    reported = next_event(worker)
    assert isinstance(reported, ErrorReported) and reported.code == "connection_lost"
    assert reported.context == "poll"


def test_stop_stops_the_engine_and_closes_it_on_its_thread(worker: Any) -> None:
    worker.submit(Command("online", lambda engine: None, polls=True))
    next_event(worker)
    assert worker.stop(timeout=TIMEOUT)
    assert not worker.alive
    assert worker.engine.stopped.is_set() and worker.engine.closed.is_set()
    assert worker.engine.threads == {"parley-engine"}


def test_an_engine_that_cannot_start_is_reported() -> None:
    def broken(emit: Any) -> Any:
        raise EngineError("profiles_unreadable", "Parley cannot read its profiles folder.")

    w = EngineWorker(broken)
    w.start()
    reported = w.events.get(timeout=TIMEOUT)
    assert reported == ErrorReported(
        "profiles_unreadable", "Parley cannot read its profiles folder.", "start"
    )
    assert w.stop(timeout=TIMEOUT)


def test_the_real_engine_reports_a_wrong_passphrase_through_the_worker(tmp_path: Path) -> None:
    from net.messenger import Messenger

    w = EngineWorker(lambda emit: Messenger(tmp_path / "profiles", emit))
    w.start()
    try:
        w.submit(Command("create", lambda engine: engine.create_profile("Alice", "a long passphrase here")))
        created = w.events.get(timeout=120)
        assert isinstance(created, CommandDone)
        profile_id = created.result
        w.submit(Command("lock", lambda engine: engine.lock()))
        assert isinstance(w.events.get(timeout=TIMEOUT), CommandDone)
        w.submit(Command("unlock", lambda engine: engine.unlock(profile_id, "not the passphrase")))
        failed = w.events.get(timeout=120)
        assert isinstance(failed, CommandFailed) and failed.code == "wrong_passphrase"
        assert "not the passphrase" not in failed.message
        w.submit(Command("list", lambda engine: engine.list_profiles()))
        assert w.events.get(timeout=TIMEOUT) == CommandDone("list", [(profile_id, "Alice")])
    finally:
        assert w.stop(timeout=TIMEOUT)
