"""The blocking client connection against a real server over TLS on loopback, and the wake-up pair."""

from __future__ import annotations

import base64
import socket
import ssl
import threading
import time

import pytest
from wire_client import Person

from net.client.transport import (
    ConnectionLost,
    MalformedReply,
    ServerConnection,
    ServerKeyMismatch,
    Waker,
    check_pin,
    client_context,
    wait_readable,
)
from net.protocol import replies
from net.protocol.copy_results import CopyStatus
from net.protocol.errors import RemoteProtocolError, RequestRefused
from net.protocol.fingerprints import format_fingerprint, normalize_fingerprint
from net.protocol.login import sign_login
from net.protocol.replies import MessagePush, ServerPush
from net.server.outcome import Outcome


def _login(conn: ServerConnection, person: Person) -> None:
    nonce = base64.b64decode(conn.call("challenge", phone=person.phone)["nonce"])
    conn.call(
        "login",
        phone=person.phone,
        signature=sign_login(person.identity, nonce, person.phone, conn.fingerprint),
    )


def test_it_sees_the_servers_fingerprint_and_talks(server) -> None:
    conn = ServerConnection.open(*server.address, on_push=lambda _p: None)
    try:
        assert conn.fingerprint == server.fingerprint
        assert conn.fingerprint_text == format_fingerprint(server.fingerprint)
        assert conn.call("hello", version=1)["server"] == "parley"
        with pytest.raises(RequestRefused) as caught:
            conn.call("get_bundle", phone="+442079460958")
        assert caught.value.code == "not_logged_in"
    finally:
        conn.close()


def test_a_request_returns_its_typed_reply_and_a_malformed_one_closes_the_connection(server) -> None:
    conn = ServerConnection.open(*server.address, on_push=lambda _p: None)
    handlers = server.running.service._handlers
    try:
        hello = conn.request(replies.HELLO, version=1)
        assert hello.server == "parley" and hello.max_frame > 0 and hello.idle_timeout > 0
        with pytest.raises(RequestRefused) as refused:
            conn.request(replies.PING)  # an error reply is still a refusal, not a malformed reply
        assert refused.value.code == "not_logged_in"
        handlers["hello"] = lambda _session, _args: Outcome({"server": "parley", "version": "1"})
        with pytest.raises(MalformedReply) as caught:
            conn.request(replies.HELLO, version=1)
        assert isinstance(caught.value, RemoteProtocolError) and isinstance(caught.value, ConnectionLost)
        assert caught.value.code == "bad_reply" and str(caught.value).startswith(
            "hello reply.version: expected"
        )
        assert conn.closed
        with pytest.raises(ConnectionLost):
            conn.request(replies.HELLO, version=1)
    finally:
        conn.close()


def test_pins_compare_every_spelling_and_refuse_another_key() -> None:
    key = bytes(range(32))
    shown = format_fingerprint(key)
    assert normalize_fingerprint(key.hex()) == shown
    assert normalize_fingerprint(":".join(f"{b:02x}" for b in key)) == shown
    check_pin(shown, key.hex().upper())
    with pytest.raises(ServerKeyMismatch) as caught:
        check_pin(shown, format_fingerprint(bytes(32)))
    assert caught.value.pinned == shown and caught.value.presented == format_fingerprint(bytes(32))
    for bad in ("", "xyz", "00" * 31):
        with pytest.raises(ValueError):
            normalize_fingerprint(bad)


def test_pushes_wait_for_pump_and_go_to_the_handler(server, phone) -> None:
    alice, bob = Person(phone()), Person(phone())
    setup = server.connect()
    alice.register(setup, server.codes)
    bob.register(setup, server.codes)
    pushes: list[ServerPush] = []
    conn = ServerConnection.open(*server.address, on_push=pushes.append)
    try:
        _login(conn, bob)
        sender = server.connect()
        alice.login(sender)
        sender.call("send", to=bob.phone, client_id="c-1", body="AAEC")
        conn.call("ping")  # the push may arrive during this call: it is kept, not handled inside it
        deadline = time.monotonic() + 10
        while not pushes and time.monotonic() < deadline:
            conn.pump()
            if not pushes:
                conn.wait_reply(conn.send("ping"))
        assert [type(p) for p in pushes] == [MessagePush]  # checked and typed before the handler sees it
        message = pushes[0]
        assert isinstance(message, MessagePush)
        message = message.message
        assert message.sender == alice.phone and message.body == b"\x00\x01\x02" and message.id is not None
    finally:
        conn.close()


def test_send_many_gives_typed_results_and_is_pipelined_like_send(server, phone) -> None:
    alice, bob, carol = Person(phone()), Person(phone()), Person(phone())
    setup = server.connect()
    for someone in (alice, bob, carol):
        someone.register(setup, server.codes)
    b = server.connect()
    bob.login(b)
    conn = ServerConnection.open(*server.address, on_push=lambda _p: None)
    try:
        _login(conn, alice)
        spaced = carol.phone[:3] + " " + carol.phone[3:]  # answered in E.164, and still matched
        first = conn.start_send_many("g-1", [(bob.phone, b"to bob"), (spaced, b"to carol")])
        single = conn.send("send", to=bob.phone, client_id="s-1", body=b"between")
        typing = conn.start_send_many("t-1", [(bob.phone, b"..."), (carol.phone, b"...")], transient=True)
        again = conn.start_send_many("g-1", [(carol.phone, b"to carol"), (phone(), b"x")])
        stored = conn.wait_send_many(first)
        assert [(r.to, r.status, r.stored) for r in stored.results] == [
            (bob.phone, CopyStatus.STORED, True),
            (carol.phone, CopyStatus.STORED, True),
        ]
        assert conn.wait_typed(replies.SEND, single).duplicate is False
        assert [r.status for r in conn.wait_send_many(typing).results] == [
            CopyStatus.DELIVERED,
            CopyStatus.NOT_DELIVERED,
        ]
        repeated = conn.wait_send_many(again).results
        assert (repeated[0].status, repeated[0].id) == (CopyStatus.DUPLICATE, stored.results[1].id)
        assert repeated[1].status is CopyStatus.UNKNOWN_ACCOUNT and repeated[1].id is None
        assert b.wait_push().body["body"] == base64.b64encode(b"to bob").decode()
        with pytest.raises(RequestRefused) as refused:
            conn.send_many("g-2", [(alice.phone, b"me")])
        assert refused.value.code == "bad_request"
        assert conn.send_many("g-3", [(bob.phone, b"x")]).results[0].status is CopyStatus.STORED
    finally:
        conn.close()


class MovableClock:
    """The server's wall clock, moved on by hand."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def test_expires_in_reaches_the_server_and_0_writes_no_field(server_factory, phone) -> None:
    clock = MovableClock()
    server = server_factory(clock=clock)
    alice, bob, carol = Person(phone()), Person(phone()), Person(phone())
    setup = server.connect()
    for someone in (alice, bob, carol):
        someone.register(setup, server.codes)
    conn = ServerConnection.open(*server.address, on_push=lambda _p: None)
    try:
        _login(conn, alice)
        # The server refuses an expires_in of 0 (bad_request): these pass only because 0 writes no field.
        kept = conn.wait_typed(replies.SEND, conn.start_send(bob.phone, "s-0", b"kept", expires_in=0))
        conn.send_many("g-0", [(bob.phone, b"kept too"), (carol.phone, b"kept")], expires_in=0)
        fleeting = conn.wait_typed(replies.SEND, conn.start_send(bob.phone, "s-1", b"goes", expires_in=60))
        assert fleeting.duplicate is False and fleeting.id > kept.id
        pending = conn.start_send_many(
            "g-1", [(bob.phone, b"goes too"), (carol.phone, b"goes")], expires_in=60
        )
        assert all(r.stored for r in conn.wait_send_many(pending).results)
        conn.send_many("g-2", [(carol.phone, b"goes as well")], expires_in=60)
        with pytest.raises(RequestRefused) as refused:
            conn.call("send", to=bob.phone, client_id="s-2", body=b"x", expires_in=2_592_001)
        assert (refused.value.code, refused.value.message) == (
            "bad_request",
            "send.expires_in: expected an integer from 1 to 2592000",
        )
    finally:
        conn.close()
    clock.offset = 61.0
    for person, left in ((bob, [b"kept", b"kept too"]), (carol, [b"kept"])):
        reader = server.connect()
        person.login(reader)
        bodies = [base64.b64decode(m["body"]) for m in reader.call("fetch")["messages"]]
        assert bodies == left


def test_send_many_results_that_do_not_answer_the_items_close_the_connection(server, phone) -> None:
    alice, bob, carol = Person(phone()), Person(phone()), Person(phone())
    setup = server.connect()
    for someone in (alice, bob, carol):
        someone.register(setup, server.codes)
    handlers = server.running.service._handlers
    conn = ServerConnection.open(*server.address, on_push=lambda _p: None)
    try:
        _login(conn, alice)
        real = handlers["send_many"]

        def backwards(session, args):  # type: ignore[no-untyped-def]
            outcome = real(session, args)
            return Outcome({"results": outcome.body["results"][::-1]}, then=outcome.then)

        handlers["send_many"] = backwards
        with pytest.raises(MalformedReply) as caught:
            conn.send_many("g-1", [(bob.phone, b"x"), (carol.phone, b"y")])
        assert str(caught.value) == "send_many reply.results: not one per item, in the items' order"
        assert conn.closed
    finally:
        conn.close()


def test_a_port_nobody_listens_on_is_connection_lost() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConnectionLost) as caught:
        ServerConnection.open("127.0.0.1", port, timeout=2, on_push=lambda _p: None)
    assert str(port) in str(caught.value)


def test_a_server_that_goes_away_is_connection_lost(server_factory) -> None:
    server = server_factory()
    conn = ServerConnection.open(*server.address, timeout=2, on_push=lambda _p: None)
    server.stop()
    with pytest.raises(ConnectionLost):
        conn.call("hello", version=1)
    assert conn.closed
    with pytest.raises(ConnectionLost):
        conn.call("ping")


def test_a_server_that_never_answers_is_connection_lost() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        with pytest.raises(ConnectionLost):  # accepted by the kernel, but no TLS handshake ever comes
            ServerConnection.open(*listener.getsockname(), timeout=0.5, on_push=lambda _p: None)


def test_the_client_context_speaks_tls_1_3_only_and_pins_instead_of_trusting_a_ca() -> None:
    context = client_context()
    assert context.minimum_version == ssl.TLSVersion.TLSv1_3
    assert context.verify_mode == ssl.CERT_NONE and not context.check_hostname


def test_a_waker_wakes_a_wait_from_another_thread_at_once_and_is_drained() -> None:
    waker = Waker()
    try:
        assert wait_readable(None, waker, 0.01) is False
        go = threading.Event()

        def wake() -> None:
            go.wait(5)
            waker.wake()

        thread = threading.Thread(target=wake)
        thread.start()
        started = time.monotonic()
        go.set()
        assert wait_readable(None, waker, 30.0) is True
        assert time.monotonic() - started < 10
        thread.join(5)
        assert wait_readable(None, waker, 0.0) is False  # the wake-up was consumed
    finally:
        waker.close()


def test_many_wakeups_never_block_and_one_drain_takes_them_all() -> None:
    waker = Waker()
    try:
        for _ in range(100_000):  # more than a socket buffer holds: the extra ones are dropped, not blocking
            waker.wake()
        assert wait_readable(None, waker, 0.0) is True
        assert wait_readable(None, waker, 0.0) is False
        waker.wake()
        waker.drain()
        assert wait_readable(None, waker, 0.0) is False
    finally:
        waker.close()


def test_a_closed_waker_is_quiet() -> None:
    waker = Waker()
    waker.close()
    waker.wake()  # nobody is left to wake: no error
    waker.drain()
    assert waker.fileno() == -1
    assert wait_readable(None, waker, 0.0) is False


def test_input_on_the_connection_ends_a_wait_without_counting_as_a_wakeup() -> None:
    near, far = socket.socketpair()
    waker = Waker()
    try:
        assert wait_readable(near, waker, 0.0) is False
        far.sendall(b"x")
        started = time.monotonic()
        assert wait_readable(near, waker, 30.0) is False
        assert time.monotonic() - started < 10
        waker.wake()
        assert wait_readable(near, waker, 30.0) is True  # input and a wake-up: the wake-up is reported
        near.close()
        assert wait_readable(near, waker, 0.0) is False  # a closed connection: the next read finds out
    finally:
        far.close()
        waker.close()


def test_take_reply_never_waits_and_hands_out_a_pipelined_reply_once_it_is_read(server) -> None:
    conn = ServerConnection.open(*server.address, on_push=lambda _p: None)
    try:
        first, second = conn.send("hello", version=1), conn.send("ping")
        assert conn.take_reply(first) is None  # nothing read yet: no wait, no reply
        deadline = time.monotonic() + 10
        while conn.take_typed(replies.HELLO, first) is None:
            assert time.monotonic() < deadline
            conn.pump()
        with pytest.raises(RequestRefused) as refused:
            while conn.take_typed(replies.PING, second) is None:
                assert time.monotonic() < deadline
                conn.pump()
        assert refused.value.code == "not_logged_in"
        assert conn.take_reply(second) is None  # handed out once
    finally:
        conn.close()
