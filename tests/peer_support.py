"""Shared by the server's unit tests: a real PeerConnection on a socket pair, and its output decoded."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from net.protocol.connection import Connection, ErrorReply, Push, Reply, Role
from net.server.peer_connection import OutputLimits, PeerConnection


class OneThreadLoop:
    """What a connection needs of its loop, for a test that plays the loop's thread itself."""

    def __init__(self) -> None:
        self.thread_id: int | None = threading.get_ident()
        self.dirty: list[PeerConnection] = []

    def call_soon_threadsafe(self, call: Callable[[], None]) -> None:
        call()

    def mark_dirty(self, connection: PeerConnection) -> None:
        self.dirty.append(connection)


@pytest.fixture
def connection() -> Iterator[PeerConnection]:
    ours, theirs = socket.socketpair()
    conn = PeerConnection(ours, "peer", OneThreadLoop(), 1 << 20, OutputLimits.for_frames(1 << 20), 0.0)  # type: ignore[arg-type]
    yield conn
    ours.close()
    theirs.close()


def decoded(data: bytes | bytearray) -> list[Reply | ErrorReply | Push]:
    client = Connection(Role.CLIENT)
    for request_id in range(1, 10):
        client.expect_reply(request_id)
    client.receive_data(bytes(data))
    events = []
    while (event := client.next_event()) is not None and isinstance(event, Reply | ErrorReply | Push):
        events.append(event)
    return events
