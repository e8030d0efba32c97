"""net.bench.relay: the raw baseline relays real frames between real loopback sockets."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from net.bench.relay import Relay, listen
from net.protocol.connection import NEED_DATA, Connection, ErrorReply, Event, Push, Reply, Role


@pytest.fixture
def relay_address() -> Iterator[tuple[str, int]]:
    listener = listen()
    stop = threading.Event()
    thread = threading.Thread(target=Relay(listener).serve, args=(stop.is_set,), daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[:2]
    finally:
        stop.set()
        thread.join(10)
        assert not thread.is_alive()


class Plain:
    """A blocking plain-TCP client of the relay."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.sock = socket.create_connection(address, timeout=10)
        self.conn = Connection(Role.CLIENT)

    def ask(self, op: str, **args: object) -> int:
        request_id, data = self.conn.request(op, **args)
        self.sock.sendall(data)
        return request_id

    def next(self) -> Event:
        while (event := self.conn.next_event()) is NEED_DATA:
            self.conn.receive_data(self.sock.recv(65536))
        assert not isinstance(event, type(NEED_DATA))
        return event


def test_a_send_is_answered_and_pushed_to_the_recipient(relay_address: tuple[str, int]) -> None:
    alice, bob = Plain(relay_address), Plain(relay_address)
    for client, phone in ((alice, "+14155550101"), (bob, "+14155550102")):
        client.ask("login", phone=phone)
        reply = client.next()
        assert isinstance(reply, Reply) and reply.body["phone"] == phone
    alice.ask("send", to="+14155550102", client_id="m1", body=b"\x00ciphertext")
    reply = alice.next()
    assert isinstance(reply, Reply) and reply.body["duplicate"] is False
    push = bob.next()
    assert isinstance(push, Push) and push.kind == "message"
    assert push.body["from"] == "+14155550101" and push.body["body"] == "AGNpcGhlcnRleHQ="
    assert push.body["id"] == reply.body["id"]
    bob.ask("ack", ids=[push.body["id"]])
    ack = bob.next()
    assert isinstance(ack, Reply) and ack.body["deleted"] == 1


def test_pings_and_unknown_operations(relay_address: tuple[str, int]) -> None:
    client = Plain(relay_address)
    client.ask("ping")
    assert isinstance(client.next(), Reply)
    client.ask("get_bundle", phone="+14155550102")
    refused = client.next()
    assert isinstance(refused, ErrorReply) and refused.code == "unknown_op"


def test_many_frames_in_one_write_and_a_peer_that_leaves(relay_address: tuple[str, int]) -> None:
    leaver = Plain(relay_address)
    leaver.ask("login", phone="+14155550103")
    assert isinstance(leaver.next(), Reply)
    leaver.sock.close()
    client = Plain(relay_address)
    data = b""
    for n in range(50):
        _id, frame = client.conn.request("send", to="+14155550103", client_id=f"m{n}", body=b"x")
        data += frame
    client.sock.sendall(data)
    replies = [client.next() for _ in range(50)]
    assert all(isinstance(r, Reply) for r in replies)  # nobody to push to: still answered
