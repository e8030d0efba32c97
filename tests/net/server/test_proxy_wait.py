"""PROXY protocol v2 over real TLS: a balancer on 127.0.0.1 forwards clients, whose own addresses count."""

from __future__ import annotations

import logging
import socket
import ssl
import time
from collections.abc import Callable

import pytest
from conftest import InProcessServer
from test_proxy_header import header, tcp4, tcp6
from wire_client import Person, WireClient

from net.client.transport import client_context
from net.server.limits import Limits

ServerFactory = Callable[..., InProcessServer]
LOCAL_HEADER = header(0x20, 0x00, b"")


def forwarded(server: InProcessServer, client_header: bytes) -> WireClient:
    return server.connect(proxy_header=client_header)


def person(n: int) -> Person:
    return Person(f"+4420794{n:05d}", f"p{n}@example.org")


def start(client: WireClient, n: int) -> str | None:
    """``register_start`` for a fresh number; the error code when refused."""
    reply = client.request("register_start", phone=person(n).phone, email=person(n).email)
    return getattr(reply, "code", None)


def closed_without_a_byte(sock: socket.socket, within: float) -> bool:
    sock.settimeout(within)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:  # closed with bytes of ours unread: a reset is a close too
        return True


def test_a_forwarded_client_is_limited_by_the_address_in_its_header(server_factory: ServerFactory) -> None:
    server = server_factory(limits=Limits(codes_per_address=2), proxy_from=("127.0.0.1",))
    first = forwarded(server, tcp4("203.0.113.7", 40001))
    assert start(first, 1) is None and start(first, 2) is None
    again = forwarded(server, tcp4("203.0.113.7", 40002))  # the same client on a new connection
    assert start(again, 3) == "rate_limited"
    other = forwarded(server, tcp6("2001:db8:1::42", 40003))  # through the same balancer, someone else
    assert start(other, 4) is None and start(other, 5) is None
    assert start(other, 6) == "rate_limited"


def test_a_local_header_is_a_health_check_closed_quietly(
    server_factory: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    server = server_factory(proxy_from=("127.0.0.0/8",))
    caplog.set_level(logging.INFO, logger="parley.server")
    with socket.create_connection(server.address, timeout=10) as check:
        check.sendall(LOCAL_HEADER)
        assert closed_without_a_byte(check, 5.0)
    assert not [r for r in caplog.records if "127.0.0.1" in r.getMessage()]
    assert start(forwarded(server, tcp4("192.0.2.1", 1)), 1) is None  # the balancer's clients are served


def test_a_plain_tcp_health_check_that_sends_nothing_is_closed_without_an_info_line(
    server_factory: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    server = server_factory(proxy_from=("127.0.0.0/8",))
    caplog.set_level(logging.DEBUG, logger="parley.server")
    for _ in range(3):  # HAProxy's plain ``check``: connect, then close at once
        socket.create_connection(server.address, timeout=10).close()
    half = socket.create_connection(server.address, timeout=10)
    half.sendall(LOCAL_HEADER[:5])  # but an end within a header is still refused in words
    half.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not [r for r in caplog.records if "refused" in r.getMessage()]:
        time.sleep(0.05)
    lines = [r for r in caplog.records if "PROXY header" in r.getMessage()]
    assert [r.levelno for r in lines if "health check" in r.getMessage()] == [logging.DEBUG] * 3
    loud = [r.getMessage().split(": ", 1)[1] for r in lines if r.levelno >= logging.INFO]
    assert loud == ["refused: the connection ended before its PROXY header was whole"]


def test_a_proxy_header_without_the_clients_address_is_refused(server_factory: ServerFactory) -> None:
    server = server_factory(proxy_from=("127.0.0.1",))
    raw = socket.create_connection(server.address, timeout=10)
    raw.sendall(header(0x21, 0x00, b""))  # PROXY, family UNSPEC: whom it forwards is not said
    assert closed_without_a_byte(raw, 5.0)
    raw.close()


def test_a_header_from_an_address_not_configured_is_refused(server_factory: ServerFactory) -> None:
    server = server_factory(proxy_from=("10.0.0.0/8",))  # the balancer is elsewhere: 127.0.0.1 is a client
    raw = socket.create_connection(server.address, timeout=10)
    raw.sendall(tcp4("203.0.113.7", 40001))  # a client pretending to be someone else
    tls = client_context().wrap_socket(raw, do_handshake_on_connect=False)
    with pytest.raises((ssl.SSLError, OSError)):
        # The server read the header as TLS, which it is not, and closed. Asked explicitly: a socket
        # the server has already reset is "not connected", and wrap_socket would then skip the handshake.
        tls.do_handshake()
    tls.close()
    assert start(server.connect(), 1) is None  # a plain client from there is served as always


def test_a_configured_address_without_a_header_is_closed_after_the_handshake_timeout(
    server_factory: ServerFactory,
) -> None:
    server = server_factory(limits=Limits(handshake_timeout=1.0), proxy_from=("127.0.0.1",))
    bystander = forwarded(server, tcp4("192.0.2.1", 1))
    began = time.monotonic()
    with pytest.raises((ssl.SSLError, OSError)):
        WireClient(server.address, timeout=10.0)  # TLS at once, no header: the server waits for one
    assert time.monotonic() - began < 8.0
    with socket.create_connection(server.address, timeout=10) as silent:
        began = time.monotonic()
        assert closed_without_a_byte(silent, 8.0)
        assert 0.8 <= time.monotonic() - began < 8.0  # closed by the handshake timeout, not at once
    assert start(bystander, 1) is None  # served all the while


def test_a_header_split_across_writes_and_a_malformed_one(server_factory: ServerFactory) -> None:
    server = server_factory(proxy_from=("127.0.0.1",))
    raw = socket.create_connection(server.address, timeout=10)
    data = tcp4("198.51.100.3", 999)
    raw.sendall(data[:7])
    time.sleep(0.05)
    raw.sendall(data[7:17])
    time.sleep(0.05)
    raw.sendall(data[17:])
    client = client_context().wrap_socket(raw)  # the handshake follows the header's last byte
    client.close()
    with socket.create_connection(server.address, timeout=10) as bad:
        bad.sendall(header(0x21, 0x12, bytes(12)))  # UDP: refused, closed at once
        assert closed_without_a_byte(bad, 5.0)
