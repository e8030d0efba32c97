"""The worker thread: commands in order on one thread, outcomes and events out, polls interrupted, stop."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from gui.worker import Command, CommandDone, CommandFailed, CommandOutcome, EngineWorker
from net.client.core.engine_error import EngineError
from net.client.core.events import ConnectionChanged, ConnectionState, ErrorReported
from storage.profile.errors import DamagedValue

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


def done(worker: EngineWorker, name: str) -> Any:
    """The next event, which must be the success of the command called ``name``; its result."""
    event = next_event(worker)
    assert isinstance(event, CommandDone), event
    assert event.command.name == name
    return event.result


def failed(worker: EngineWorker) -> CommandFailed:
    event = next_event(worker)
    assert isinstance(event, CommandFailed), event
    return event


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
    assert all(isinstance(r, CommandDone) for r in results)
    assert [r.command.name for r in results] == [f"c{i}" for i in range(5)]
    assert [r.result for r in results] == [(i, "parley-engine") for i in range(5)]
    assert worker.engine.threads == {"parley-engine"}  # built there, too


def test_engine_errors_keep_their_code_and_words(worker: Any) -> None:
    def refuse(engine: Any) -> None:
        raise EngineError("wrong_passphrase", "That passphrase does not open this profile.")

    command = Command("unlock", refuse)
    worker.submit(command)
    refused = failed(worker)
    assert refused.command is command
    assert (refused.code, refused.message) == (
        "wrong_passphrase",
        "That passphrase does not open this profile.",
    )


def test_a_bug_becomes_a_plain_sentence_without_the_details(worker: Any) -> None:
    def crash(engine: Any) -> None:
        raise KeyError("secret-looking detail")

    worker.submit(Command("crash", crash))
    crashed = failed(worker)
    assert crashed.code == "internal"
    assert "KeyError" in crashed.message and "secret-looking" not in crashed.message
    worker.submit(Command("after", lambda engine: "still alive"))
    assert done(worker, "after") == "still alive"


def test_a_damaged_profile_is_said_in_words_not_as_a_bug(worker: Any) -> None:
    def damaged(_engine: object) -> None:
        raise DamagedValue("contact")

    worker.submit(Command("open", damaged))
    refused = failed(worker)
    assert refused.code == "profile_damaged"
    assert refused.message == (
        "The stored contact could not be opened: the profile file is damaged or was altered."
    )


def test_events_emitted_during_a_command_come_before_its_outcome(worker: Any) -> None:
    def connect(engine: Any) -> None:
        engine.emit(ConnectionChanged(ConnectionState.CONNECTED))

    worker.submit(Command("connect", connect))
    assert next_event(worker) == ConnectionChanged(ConnectionState.CONNECTED)
    assert done(worker, "connect") is None


def test_a_command_cuts_a_long_poll_short(worker: Any) -> None:
    worker.submit(Command("online", lambda engine: None, polls=True))
    assert done(worker, "online") is None
    assert worker.engine.poll_started.wait(TIMEOUT)
    started = time.monotonic()
    worker.submit(Command("ping", lambda engine: "pong"))
    assert done(worker, "ping") == "pong"
    assert time.monotonic() - started < 5.0  # the poll would have run 10 s


def test_polling_stops_when_a_command_says_so(worker: Any) -> None:
    worker.submit(Command("online", lambda engine: None, polls=True))
    next_event(worker)
    assert worker.engine.poll_started.wait(TIMEOUT)
    worker.submit(Command("offline", lambda engine: None, polls=False))
    next_event(worker)
    polls = worker.engine.polls
    worker.submit(Command("ping", lambda engine: engine.polls))
    assert done(worker, "ping") == polls


def test_a_failing_poll_is_reported_and_does_not_spin(worker: Any) -> None:
    worker.engine.fail_poll = True
    worker.submit(Command("online", lambda engine: None, polls=True))
    assert done(worker, "online") is None
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
    from net.client.messenger import Messenger

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
        refused = w.events.get(timeout=120)
        assert isinstance(refused, CommandFailed) and refused.code == "wrong_passphrase"
        assert "not the passphrase" not in refused.message
        w.submit(Command("list", lambda engine: engine.list_profiles()))
        listed = w.events.get(timeout=TIMEOUT)
        assert isinstance(listed, CommandDone) and listed.result == [(profile_id, "Alice")]
    finally:
        assert w.stop(timeout=TIMEOUT)


# ---------------------------------------------------------------------- the typed command itself


def test_a_result_goes_to_its_own_continuation_only_when_delivered(worker: Any) -> None:
    got: list[tuple[int, str]] = []
    command = Command("ping", lambda engine: (len(engine.threads), "pong"), got.append)
    worker.submit(command)
    outcome = next_event(worker)
    assert isinstance(outcome, CommandDone) and outcome.command is command
    assert got == []  # the worker never runs a continuation: that is the window's thread's job
    outcome.deliver()
    assert got == [(1, "pong")]


def test_a_command_without_a_continuation_delivers_to_nobody(worker: Any) -> None:
    worker.submit(Command("fire", lambda engine: 42))
    outcome = next_event(worker)
    assert isinstance(outcome, CommandDone) and outcome.result == 42
    outcome.deliver()  # nothing to call, nothing raised


def test_a_failure_names_the_very_command_and_keeps_its_failed_handler(worker: Any) -> None:
    def refuse(engine: Any) -> None:
        raise EngineError("queue_full", "The server holds too many messages for this person.")

    heard: list[tuple[str, str]] = []
    first = Command("send", refuse, failed=lambda code, text: heard.append((code, text)))
    second = Command("send", refuse)  # same name, another command: outcomes compare by identity
    worker.submit(first)
    worker.submit(second)
    one, two = failed(worker), failed(worker)
    assert one.command is first and two.command is second and first != second
    assert isinstance(one, CommandOutcome) and isinstance(two, CommandOutcome)
    assert one.command.failed is not None and two.command.failed is None
    one.command.failed(one.code, one.message)
    assert heard == [("queue_full", "The server holds too many messages for this person.")]


def test_reprs_name_the_command_and_never_its_arguments(worker: Any) -> None:
    secret = "a passphrase nobody may log"
    command = Command("unlock", lambda engine: secret)
    worker.submit(command)
    outcome = next_event(worker)
    refusal = CommandFailed(command, "wrong_passphrase", "That passphrase does not open this profile.")
    for text in (repr(command), repr(outcome), repr(refusal)):
        assert "unlock" in text and secret not in text
