"""What a request becomes: a reply, a refusal in words, server_error for a bug, blocking work handed back."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import psycopg
from peer_support import connection, decoded

from net.protocol.connection import ErrorReply, Reply, Request
from net.protocol.errors import RequestRefused
from net.server.answering import Answerer
from net.server.outcome import Outcome
from net.server.peer_connection import PeerConnection
from net.server.storage_full import LostWrites
from storage.server.interface import ServerStore
from storage.server.pg_store import PostgresServerStore
from storage.server.records import StoreBusy

__all__ = ["connection"]  # the fixture, imported so pytest finds it here


class Service:
    """Answers each op as the test says: an outcome, or an exception to raise."""

    def __init__(self, answers: dict[str, Outcome | BaseException]) -> None:
        self.answers = answers

    def handle(self, connection: PeerConnection, request: Request) -> Outcome:
        answer = self.answers[request.op]
        if isinstance(answer, BaseException):
            raise answer
        return answer


def answerer(store: ServerStore, answers: dict[str, Any], **kwargs: Any) -> Answerer:
    hand_over = kwargs.get("hand_over", lambda call: call())
    finished = kwargs.get("finished", lambda *args: None)
    return Answerer(Service(answers), store, LostWrites(), hand_over, finished)  # type: ignore[arg-type]


def test_a_reply_is_written_and_its_pushes_wait_for_the_commit(
    store: ServerStore, connection: PeerConnection
) -> None:
    pushed: list[str] = []
    a = answerer(store, {"ping": Outcome({"pong": True}, then=lambda: pushed.append("push"))})
    a.answer(connection, Request(1, "ping", {}))
    (reply,) = decoded(connection.out)
    assert isinstance(reply, Reply) and reply.body == {"pong": True}
    assert pushed == []
    for call in a.take_after_commit():
        call()
    assert pushed == ["push"] and a.take_after_commit() == []


def test_a_refusal_is_an_error_in_words_and_a_bug_is_server_error(
    store: ServerStore, connection: PeerConnection
) -> None:
    a = answerer(store, {"fetch": RequestRefused("rate_limited", "slow down"), "ack": KeyError("bug")})
    a.answer(connection, Request(1, "fetch", {}))
    a.answer(connection, Request(2, "ack", {}))
    refused, failed = decoded(connection.out)
    assert isinstance(refused, ErrorReply)
    assert (refused.code, refused.message) == ("rate_limited", "slow down")
    assert isinstance(failed, ErrorReply) and failed.code == "server_error" and "bug" not in failed.message


def _refused_connection() -> psycopg.OperationalError:
    """The driver's own error for a database server that is not there: nothing listens on the port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: every connection is refused
        try:
            psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/none", connect_timeout=2)
        except psycopg.OperationalError as exc:
            return exc
    raise AssertionError("a connection to a port nobody listens on was accepted")


def test_a_request_that_found_the_database_out_of_reach_is_storage_unavailable(
    postgres_url: str, connection: PeerConnection
) -> None:
    store = PostgresServerStore(postgres_url)
    try:
        lost = _refused_connection()
        a = answerer(store, {"fetch": lost, "ping": Outcome({"pong": True})})
        a.answer(connection, Request(1, "fetch", {}))
        a.answer(connection, Request(2, "ping", {}))
        unavailable, pong = decoded(connection.out)
        assert isinstance(unavailable, ErrorReply) and unavailable.code == "storage_unavailable"
        assert "cannot reach its database" in unavailable.message
        assert isinstance(pong, Reply) and not connection.closed  # the connection goes on
    finally:
        store.close()


def _refusal(store: PostgresServerStore) -> BaseException | None:
    try:
        store.delete_account("+15550001")
    except StoreBusy as exc:
        return exc
    return None


def test_a_write_another_server_held_up_is_storage_unavailable_not_server_error(
    postgres_url: str, connection: PeerConnection
) -> None:
    first, second = PostgresServerStore(postgres_url), PostgresServerStore(postgres_url)
    held: list[BaseException | None] = []
    try:
        with first.group_commit():
            first.delete_account("+15550001")  # the account's lock, held to this turn's end
            waiting = threading.Thread(target=lambda: held.append(_refusal(second)), daemon=True)
            waiting.start()
            waiting.join(10.0)  # bounded: it waits past the lock timeout, then is refused
        busy = held[0]
        assert isinstance(busy, StoreBusy)
        a = answerer(second, {"send": busy})
        a.answer(connection, Request(1, "send", {}))
        (refused,) = decoded(connection.out)
        assert isinstance(refused, ErrorReply) and refused.code == "storage_unavailable"
        assert "try again" in refused.message and not connection.closed
    finally:
        first.close()
        second.close()


def test_blocking_work_runs_off_the_thread_and_is_delivered_through_the_hand_over(
    store: ServerStore, connection: PeerConnection
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
    (reply,) = decoded(connection.out)
    assert isinstance(reply, Reply) and reply.body == {"slow": True}
    a.shutdown()
