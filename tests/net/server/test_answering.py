"""What a request becomes: a reply, a refusal in words, server_error for a bug, blocking work handed back."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from net.protocol.connection import Connection, ErrorReply, Push, Reply, Request, Role
from net.protocol.errors import RequestRefused
from net.server.answering import Answerer
from net.server.outcome import Outcome
from net.server.peer_connection import OutputLimits, PeerConnection
from net.server.storage_full import LostWrites
from storage.server.store import SqliteServerStore


class OneThreadLoop:
    def __init__(self) -> None:
        self.thread_id: int | None = threading.get_ident()

    def call_soon_threadsafe(self, call: Callable[[], None]) -> None:
        call()

    def mark_dirty(self, connection: PeerConnection) -> None:
        pass


class Service:
    """Answers each op as the test says: an outcome, or an exception to raise."""

    def __init__(self, answers: dict[str, Outcome | BaseException]) -> None:
        self.answers = answers

    def handle(self, connection: PeerConnection, request: Request) -> Outcome:
        answer = self.answers[request.op]
        if isinstance(answer, BaseException):
            raise answer
        return answer


@pytest.fixture
def connection() -> Iterator[PeerConnection]:
    ours, theirs = socket.socketpair()
    conn = PeerConnection(ours, "peer", OneThreadLoop(), 1 << 20, OutputLimits.for_frames(1 << 20), 0.0)  # type: ignore[arg-type]
    yield conn
    ours.close()
    theirs.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteServerStore]:
    s = SqliteServerStore(tmp_path / "server.sqlite3")
    yield s
    s.close()


def answerer(store: SqliteServerStore, answers: dict[str, Any], **kwargs: Any) -> Answerer:
    hand_over = kwargs.get("hand_over", lambda call: call())
    finished = kwargs.get("finished", lambda *args: None)
    return Answerer(Service(answers), store, LostWrites(), hand_over, finished)  # type: ignore[arg-type]


def sent(connection: PeerConnection, count: int) -> list[Reply | ErrorReply | Push]:
    client = Connection(Role.CLIENT)
    for request_id in range(1, count + 1):
        client.expect_reply(request_id)
    client.receive_data(bytes(connection.out))
    events = []
    while (event := client.next_event()) is not None and isinstance(event, Reply | ErrorReply | Push):
        events.append(event)
    return events


def test_a_reply_is_written_and_its_pushes_wait_for_the_commit(
    store: SqliteServerStore, connection: PeerConnection
) -> None:
    pushed: list[str] = []
    a = answerer(store, {"ping": Outcome({"pong": True}, then=lambda: pushed.append("push"))})
    a.answer(connection, Request(1, "ping", {}))
    (reply,) = sent(connection, 1)
    assert isinstance(reply, Reply) and reply.body == {"pong": True}
    assert pushed == []
    for call in a.take_after_commit():
        call()
    assert pushed == ["push"] and a.take_after_commit() == []


def test_a_refusal_is_an_error_in_words_and_a_bug_is_server_error(
    store: SqliteServerStore, connection: PeerConnection
) -> None:
    a = answerer(store, {"fetch": RequestRefused("rate_limited", "slow down"), "ack": KeyError("bug")})
    a.answer(connection, Request(1, "fetch", {}))
    a.answer(connection, Request(2, "ack", {}))
    refused, failed = sent(connection, 2)
    assert isinstance(refused, ErrorReply)
    assert (refused.code, refused.message) == ("rate_limited", "slow down")
    assert isinstance(failed, ErrorReply) and failed.code == "server_error" and "bug" not in failed.message


def test_blocking_work_runs_off_the_thread_and_is_delivered_through_the_hand_over(
    store: SqliteServerStore, connection: PeerConnection
) -> None:
    done = threading.Event()
    handed: list[Callable[[], None]] = []
    finished: list[Future[Outcome]] = []

    def hand_over(call: Callable[[], None]) -> None:
        handed.append(call)
        done.set()

    workers: list[str] = []

    def later() -> Outcome:
        workers.append(threading.current_thread().name)
        return Outcome({"slow": True})

    a = answerer(
        store,
        {"login": Outcome({}, later=later)},
        hand_over=hand_over,
        finished=lambda conn, request, future: finished.append(future),
    )
    a.answer(connection, Request(1, "login", {}))
    assert connection.busy and not connection.out
    assert done.wait(5.0)
    handed[0]()  # the loop's thread runs what was handed over
    assert workers[0].startswith("server-blocking")
    a.finish(connection, Request(1, "login", {}), finished[0])
    (reply,) = sent(connection, 1)
    assert isinstance(reply, Reply) and reply.body == {"slow": True}
    a.shutdown()
