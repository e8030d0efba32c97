"""One server connection over a real TLS socket pair: handshake, reads, bounded output, deadlines, threads."""

from __future__ import annotations

import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from net.client.transport import client_context
from net.protocol.connection import NEED_DATA, Connection, Push, Request, Role
from net.server.limits import Limits
from net.server.peer_connection import OutputLimits, PeerConnection, PeerLost
from net.server.tls import ensure_self_signed, server_context


class Loop:
    """The two things a connection asks of its loop, recorded."""

    def __init__(self) -> None:
        self.thread_id: int | None = threading.get_ident()
        self.handed_over: list[Callable[[], None]] = []
        self.dirty: list[PeerConnection] = []

    def call_soon_threadsafe(self, call: Callable[[], None]) -> None:
        self.handed_over.append(call)

    def mark_dirty(self, connection: PeerConnection) -> None:
        self.dirty.append(connection)


@dataclass
class Pair:
    server: PeerConnection
    client: ssl.SSLSocket
    loop: Loop


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    cert, key = ensure_self_signed(tmp_path)
    server_raw, client_raw = socket.socketpair()
    server_raw.setblocking(False)
    sock = server_context(cert, key).wrap_socket(server_raw, server_side=True, do_handshake_on_connect=False)
    loop = Loop()
    connection = PeerConnection(sock, "test", loop, 4096, OutputLimits(pause=8192, close=65536), now=0.0)
    client_raw.settimeout(10)
    holder: list[ssl.SSLSocket] = []
    shaker = threading.Thread(target=lambda: holder.append(client_context().wrap_socket(client_raw)))
    shaker.start()
    done = False
    give_up = time.monotonic() + 10
    while not done and time.monotonic() < give_up:
        done = connection.handshake(now=1.0)
        if not done:
            selector_wait(sock)
    shaker.join(10)
    assert done and holder
    yield Pair(connection, holder[0], loop)
    holder[0].close()
    connection.close_socket()


def selector_wait(sock: socket.socket) -> None:
    select.select([sock], [], [], 1.0)


def test_the_handshake_finishes_without_blocking_and_requests_come_through(pair: Pair) -> None:
    assert not pair.server.handshaking and pair.server.last_read == 1.0
    client = Connection(Role.CLIENT)
    _, data = client.request("ping")
    pair.client.sendall(data)
    event = NEED_DATA
    while event is NEED_DATA:
        selector_wait(pair.server.sock)
        pair.server.read(1 << 20, now=2.0)
        event = pair.server.protocol.next_event()
    assert isinstance(event, Request) and event.op == "ping"
    assert pair.server.last_read == 2.0


def test_output_waits_in_the_buffer_until_flushed(pair: Pair) -> None:
    assert pair.server.push("message", {"n": 1})
    assert pair.loop.dirty == [pair.server]
    pair.server.flush(now=3.0)
    assert not pair.server.out and pair.server.stalled_since is None
    client = Connection(Role.CLIENT)
    client.receive_data(pair.client.recv(4096))
    assert client.next_event() == Push("message", {"n": 1})


def test_a_client_that_does_not_read_stalls_pauses_and_overflows(pair: Pair) -> None:
    filler = {"pad": "x" * 3000}
    while pair.server.stalled_since is None:  # fill the kernel's buffers: bounded by their size
        pair.server.push("message", filler)
        pair.server.flush(now=5.0)
    assert pair.server.stalled_since == 5.0
    while not pair.server.paused:
        pair.server.push("message", filler)
    assert not pair.server.can_handle()  # its own requests wait while it does not read
    while not pair.server.overflowing:
        assert pair.server.push("message", filler)
    deadline, reason = pair.server.deadline(Limits(write_timeout=10, idle_timeout=300))
    assert deadline == 15.0 and "took nothing" in reason


def test_the_idle_and_handshake_deadlines(pair: Pair) -> None:
    limits = Limits(idle_timeout=30, handshake_timeout=5)
    assert pair.server.deadline(limits) == (31.0, "idle for 30 s")
    pair.server.handshaking = True
    assert pair.server.deadline(limits) == (5.0, "TLS handshake timed out")


def test_a_push_from_another_thread_is_handed_to_the_loop(pair: Pair) -> None:
    results: list[bool] = []
    other = threading.Thread(target=lambda: results.append(pair.server.push("message", {"n": 2})))
    other.start()
    other.join(10)
    assert results == [True] and not pair.server.out  # nothing touched the TLS object off the loop
    [handed] = pair.loop.handed_over
    handed()
    assert pair.server.out


def test_end_closes_after_the_output_and_a_gone_peer_is_reported(pair: Pair) -> None:
    pair.server.push("message", {"n": 3})
    pair.server.end()
    assert pair.server.closing and not pair.server.push("message", {"n": 4})
    pair.client.close()
    with pytest.raises(PeerLost):
        for _ in range(100):  # a write may land in the kernel before the reset is seen
            pair.server.out += b"x" * 4096
            pair.server.flush(now=6.0)


def test_the_protocol_learns_of_a_login_and_a_logout_from_the_phone(pair: Pair) -> None:
    assert pair.server.phone is None and not pair.server.protocol.logged_in
    pair.server.phone = "+442079460958"
    assert pair.server.protocol.logged_in
    pair.server.phone = None  # a session ended elsewhere, or the account was deleted
    assert not pair.server.protocol.logged_in


def test_a_frame_begun_is_read_on_across_its_records_in_one_call(pair: Pair) -> None:
    # A big frame (a blob's piece) spans many TLS records; one call reads them all, within the budget,
    # where a call per record would cost a turn of the loop each.
    _, data = Connection(Role.CLIENT).request("ping", padding="x" * 3000)
    for start in range(0, len(data), 500):
        pair.client.sendall(data[start : start + 500])  # a TLS record each
    selector_wait(pair.server.sock)
    time.sleep(0.2)  # every record has arrived
    pair.server.read(1 << 20, now=3.0)
    assert pair.server.protocol.awaiting == 0
    assert isinstance(pair.server.protocol.next_event(), Request)
