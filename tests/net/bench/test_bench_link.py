"""net.bench.link: one non-blocking protocol connection, over a real socket pair and real TLS."""

from __future__ import annotations

import selectors
import socket
import time
from pathlib import Path

import pytest

from net.bench.link import BenchLink, LinkClosed
from net.protocol.connection import NEED_DATA, Connection, ErrorReply, Push, Reply, Request, Role
from net.server.server import RunningServer, ServerConfig
from net.server.verification import make_channel


def _serve_one(peer: socket.socket, conn: Connection) -> Request:
    while (event := conn.next_event()) is NEED_DATA:
        conn.receive_data(peer.recv(65536))
    assert isinstance(event, Request)
    return event


def _read_until(link: BenchLink, done: object, timeout: float = 10.0) -> list[Push]:
    pushes: list[Push] = []
    selector = selectors.DefaultSelector()
    selector.register(link.sock, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while not done():  # type: ignore[operator]
        assert time.monotonic() < deadline, "nothing arrived"
        if selector.select(0.1):
            pushes += link.read()
    selector.close()
    return pushes


def test_replies_reach_their_handlers_and_pushes_come_back() -> None:
    ours, peer = socket.socketpair()
    peer.settimeout(10)
    link = BenchLink(ours, None)
    server = Connection(Role.SERVER)
    got: list[Reply | ErrorReply] = []
    link.request(got.append, "ping")
    link.request(got.append, "prekey_count")
    assert link.waiting == 2
    while link.flush():
        pass
    first, second = _serve_one(peer, server), _serve_one(peer, server)
    peer.sendall(
        server.send(Push("message", {"id": 1}))
        + server.send(Reply(first.id, {"time": 5}))
        + server.send(ErrorReply(second.id, "not_logged_in", "log in first"))
    )
    pushes = _read_until(link, lambda: len(got) == 2)
    assert [p.kind for p in pushes] == ["message"]
    assert isinstance(got[0], Reply) and got[0].body == {"time": 5}
    assert isinstance(got[1], ErrorReply) and got[1].code == "not_logged_in"
    assert link.waiting == 0
    peer.close()
    with pytest.raises(LinkClosed):
        _read_until(link, lambda: False)
    assert link.closed


def test_a_tls_link_to_a_real_server_knows_the_fingerprint(tmp_path: Path) -> None:
    config = ServerConfig(data_dir=tmp_path, channel=make_channel("console", data_dir=tmp_path), port=0)
    with RunningServer(config) as server:
        link = BenchLink.open(server.address, tls=True, context=None, timeout=10)
        try:
            assert link.fingerprint == server.fingerprint
            got: list[Reply | ErrorReply] = []
            link.request(got.append, "hello", version=1)
            while link.flush():
                pass
            _read_until(link, lambda: bool(got))
            assert isinstance(got[0], Reply) and got[0].body["server"] == "parley"
        finally:
            link.close()
