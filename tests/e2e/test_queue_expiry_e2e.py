"""Queued copies with an expiry, end to end: a real server over TLS on a real SQLite file, its clock moved.

The server's wall clock is injected (``ServerConfig.clock``): the test moves it on
instead of waiting, and, to catch a push decided after the copy expired, makes every
read of it a few seconds later than the one before (the commit of a send and its push
are one turn of the server's loop, which no test can step into).
"""

from __future__ import annotations

import base64
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import closing

import pytest
from conftest import InProcessServer, fresh_phone
from wire_client import Person, WireClient

from net.protocol.connection import ErrorReply, Reply
from net.server import server as server_module
from net.server.limits import Limits

DEADLINE = 10.0
WORDS = "expected an integer from 1 to 2592000"


class ServerClock:
    """The wall clock plus ``offset`` seconds; while ``step`` is set, each read is ``step`` seconds later."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.step = 0.0
        self._lock = threading.Lock()  # the loop and the server's timers read it from their threads

    def __call__(self) -> float:
        with self._lock:
            self.offset += self.step
            return time.time() + self.offset


def _online(server: InProcessServer, count: int) -> list[tuple[Person, WireClient]]:
    people = [(Person(fresh_phone()), server.connect()) for _ in range(count)]
    for person, client in people:
        person.register(client, server.codes)
        person.login(client)
    return people


def _bodies(client: WireClient, **fetch: int) -> tuple[list[bytes], bool]:
    reply = client.call("fetch", **fetch)
    return [base64.b64decode(m["body"]) for m in reply["messages"]], reply["more"]


def _send(client: WireClient, to: str, client_id: str, body: bytes, **fields: object) -> dict[str, object]:
    return client.call("send", to=to, client_id=client_id, body=body, **fields)


def test_a_copy_is_not_fetched_once_its_expiry_has_passed(
    server_factory: Callable[..., InProcessServer],
) -> None:
    clock = ServerClock()
    server = server_factory(clock=clock)
    (_, a), (bob, b), (carol, c) = _online(server, 3)
    b.close()  # Bob is offline: everything waits for his fetch
    _send(a, bob.phone, "m-1", b"a minute", expires_in=60)
    _send(a, bob.phone, "m-2", b"kept")
    _send(a, bob.phone, "m-3", b"an hour", expires_in=3600)
    many = a.send_many("g-1", [(bob.phone, b"group minute"), (carol.phone, b"group minute")], expires_in=60)
    assert isinstance(many, Reply) and [r["status"] for r in many.body["results"]] == ["stored", "stored"]
    assert _bodies(c) == ([b"group minute"], False)
    clock.offset = 59.0
    b = server.connect()
    bob.login(b)
    assert _bodies(b) == ([b"a minute", b"kept", b"an hour", b"group minute"], False)
    clock.offset = 60.0  # exactly ts + expires_in * 1000: no longer delivered
    assert _bodies(b) == ([b"kept", b"an hour"], False)
    assert _bodies(b, limit=1) == ([b"kept"], True)
    kept_id = b.call("fetch", limit=1)["messages"][0]["id"]
    assert _bodies(b, after=kept_id, limit=1) == ([b"an hour"], False)
    assert _bodies(c) == ([], False)
    clock.offset = 3600.0
    assert _bodies(b) == ([b"kept"], False)
    assert _bodies(b, after=kept_id) == ([], False)


def test_no_push_goes_out_for_a_copy_that_expired_before_it_was_pushed(
    server_factory: Callable[..., InProcessServer],
) -> None:
    clock = ServerClock()
    server = server_factory(clock=clock)
    (_, a), (bob, b), (carol, c) = _online(server, 3)
    clock.step = 5.0  # the push of a send is decided at least one read, 5 s, after its commit's time
    _send(a, bob.phone, "m-1", b"one second", expires_in=1)
    a.send_many("g-1", [(bob.phone, b"group second"), (carol.phone, b"group second")], expires_in=1)
    assert b.no_push_within(0.5) and c.no_push_within(0.5)
    _send(a, bob.phone, "m-2", b"an hour", expires_in=3600)
    assert base64.b64decode(b.wait_push(timeout=DEADLINE).body["body"]) == b"an hour"
    a.send_many("g-2", [(bob.phone, b"group hour"), (carol.phone, b"group hour")], expires_in=3600)
    for client in (b, c):
        assert base64.b64decode(client.wait_push(timeout=DEADLINE).body["body"]) == b"group hour"
    # expires_in means nothing to a transient send, which is never stored: pushed all the same.
    assert _send(a, bob.phone, "t-1", b"typing", transient=True, expires_in=1) == {"delivered": True}
    assert base64.b64decode(b.wait_push(timeout=DEADLINE).body["body"]) == b"typing"
    assert _bodies(b) == ([b"an hour", b"group hour"], False)


def test_the_servers_timer_deletes_expired_copies_in_batches_and_frees_their_room(
    server_factory: Callable[..., InProcessServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server_module, "EXPIRY_SWEEP_BATCH", 2)  # 5 expired copies: three batches in one look
    clock = ServerClock()
    server = server_factory(clock=clock, expiry_sweep_interval=0.05, limits=Limits(queue_cap=6))
    (_, a), (bob, b) = _online(server, 2)
    b.close()
    for n in range(5):
        _send(a, bob.phone, f"m-{n}", b"x" * 100, expires_in=10 + n)
    _send(a, bob.phone, "m-kept", b"kept")
    assert a.refused("send", to=bob.phone, client_id="m-full", body=b"y") == "queue_full"
    path = server.data_dir / "server.sqlite3"

    def waiting() -> int:
        with closing(sqlite3.connect(path)) as db:
            return int(db.execute("SELECT COUNT(*) FROM messages").fetchone()[0])

    time.sleep(0.2)
    assert waiting() == 6  # nothing expired yet: the timer deleted nothing
    clock.offset = 15.0
    deadline = time.monotonic() + DEADLINE
    while waiting() > 1:
        assert time.monotonic() < deadline, "the server never deleted the expired copies"
        time.sleep(0.02)
    assert server.running.store.queued_count(bob.phone) == 1
    for n in range(5):  # the queue's count and bytes fell with them: five more fit the cap of 6
        assert _send(a, bob.phone, f"m-new-{n}", b"z")["duplicate"] is False
    b = server.connect()
    assert bob.login(b)["queued"] == 6
    # A retry of an expired copy's client id is the same message still: nothing stored again.
    assert _send(a, bob.phone, "m-0", b"x" * 100, expires_in=10)["duplicate"] is True
    assert _bodies(b) == ([b"kept"] + [b"z"] * 5, False)


@pytest.mark.parametrize("value", [0, -1, 2_592_001, 1.5, "60", True, None])
def test_a_bad_expiry_is_refused_with_its_words_and_stores_nothing(
    server: InProcessServer, value: object
) -> None:
    (_, a), (bob, b) = _online(server, 2)
    reply = a.request("send", to=bob.phone, client_id="m-1", body=b"x", expires_in=value)
    assert isinstance(reply, ErrorReply) and reply.code == "bad_request"
    null = "null is not a value; leave the field out instead"
    assert reply.message == f"send.expires_in: {null if value is None else WORDS}"
    many = a.send_many("g-1", [(bob.phone, b"x")], expires_in=[value])  # a list is no integer either
    assert isinstance(many, ErrorReply) and many.message == f"send_many.expires_in: {WORDS}"
    if value is not None:
        many = a.send_many("g-1", [(bob.phone, b"x")], expires_in=value)
        assert isinstance(many, ErrorReply) and many.message == f"send_many.expires_in: {WORDS}"
    assert b.call("fetch") == {"messages": [], "more": False}
    assert _send(a, bob.phone, "m-1", b"x", expires_in=2_592_000)["duplicate"] is False  # 30 days: allowed


def test_on_a_full_store_the_timer_still_deletes_expired_copies_and_their_room_comes_back(
    server_factory: Callable[..., InProcessServer],
) -> None:
    clock = ServerClock()
    server = server_factory(clock=clock, expiry_sweep_interval=0.05, max_store_bytes=2 * 1024 * 1024)
    (_, a), (bob, b) = _online(server, 2)
    b.close()
    stored = 0
    deadline = time.monotonic() + DEADLINE
    while True:
        reply = a.request("send", to=bob.phone, client_id=f"m-{stored}", body=bytes(32 * 1024), expires_in=60)
        if isinstance(reply, ErrorReply):
            assert reply.code == "storage_full", reply
            break
        stored += 1
        assert time.monotonic() < deadline, "the store never filled up"
    assert stored > 10
    assert a.refused("send", to=bob.phone, client_id="m-kept", body=b"kept") == "storage_full"
    clock.offset = 61.0  # everything waiting has expired: the timer deletes it, on the full store
    deadline = time.monotonic() + DEADLINE
    while server.running.store.queued_count(bob.phone):
        assert time.monotonic() < deadline, "the timer deleted nothing while the store was full"
        time.sleep(0.05)
    while isinstance(reply := a.request("send", to=bob.phone, client_id="m-kept", body=b"kept"), ErrorReply):
        assert reply.code == "storage_full", reply
        assert time.monotonic() < deadline, "the room the timer freed never let a send in"
        time.sleep(0.1)
    b = server.connect()
    bob.login(b)
    assert _bodies(b) == ([b"kept"], False)
