"""XmppClient: its login steps, one answer at a time, and how it counts the messages that reach it.

The server's side is scripted bytes over a socket pair (the client's IO is the
same on a TLS socket); what the client writes is read back and checked stanza by
stanza.
"""

from __future__ import annotations

import socket
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest

from net.bench.client import Tally
from net.bench.link import LinkClosed
from net.bench.peers import xmpp_stanzas as x
from net.bench.peers.xmpp_client import Stage, XmppClient

HEADER = (
    b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'"
    b" id='s1' from='localhost' version='1.0'>"
)
SASL_FEATURES = (
    b"<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism>"
    b"</mechanisms></stream:features>"
)
SUCCESS = b"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"
BIND_FEATURES = (
    b"<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
    b"<session xmlns='urn:ietf:params:xml:ns:xmpp-session'%s/></stream:features>"
)
BOUND = (
    b"<iq type='result' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
    b"<jid>u1@localhost/bench</jid></bind></iq>"
)
OWN_PRESENCE = b"<presence from='u1@localhost/bench' to='u1@localhost/bench'/>"
SIZE = 64


class Server:
    """The far end of the client's socket: reads what the client wrote, as a fresh stream each time."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sock.settimeout(5)

    def written(self, client: XmppClient) -> bytes:
        while client.flush():
            pass
        self.sock.setblocking(False)
        try:
            return self.sock.recv(1 << 20)
        except BlockingIOError:
            return b""
        finally:
            self.sock.settimeout(5)

    def say(self, client: XmppClient, data: bytes) -> None:
        """Write ``data``; a socket pair hands it over at once, so one read of the client's takes it all."""
        self.sock.sendall(data)
        client.read(time.monotonic_ns())


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socket.socketpair()
    yield a, b
    a.close()
    b.close()


def _client(tally: Tally, *, register: bool = True) -> XmppClient:
    return XmppClient("u1", "secret", "localhost", tally, register=register, size=SIZE, filler="f" * SIZE)


def _stanzas(data: bytes) -> list[ET.Element]:
    return list(ET.fromstring(b"<s xmlns='jabber:client'>" + data + b"</s>"))


def _log_in(client: XmppClient, server: Server, *, session: bytes = b"><optional/></session>") -> None:
    """The whole login as a server answers it, each written step checked (``start`` was called)."""
    assert server.written(client) == x.stream_header("localhost")
    server.say(client, HEADER + SASL_FEATURES)
    assert client.stage is Stage.REGISTERING
    assert server.written(client) == x.register_iq("u1", "secret")
    server.say(client, b"<iq type='result' id='reg'/>")
    assert client.stage is Stage.AUTHENTICATING
    assert server.written(client) == x.auth_plain("u1", "secret")
    server.say(client, SUCCESS)
    assert client.stage is Stage.RESTARTING
    assert server.written(client) == x.stream_header("localhost")  # the stream starts again
    server.say(client, HEADER + BIND_FEATURES.replace(b"%s/>", session))
    assert client.stage is Stage.BINDING
    assert server.written(client) == x.bind_iq("bench")


def test_a_login_registers_authenticates_restarts_binds_and_sends_presence(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    mine, theirs = pair
    client, server = _client(Tally()), Server(theirs)
    client.start(mine)
    _log_in(client, server)
    server.say(client, BOUND)
    assert client.jid == "u1@localhost/bench"
    assert server.written(client) == x.presence()  # session marked optional: none asked
    assert client.stage is Stage.PRESENCE and not client.settled
    server.say(client, b"<presence from='u2@localhost/bench'/>")  # someone else's: not yet
    assert client.stage is Stage.PRESENCE
    server.say(client, OWN_PRESENCE)  # the server has taken ours: messages to us reach us now
    assert client.stage is Stage.READY and client.settled


def test_a_server_that_wants_a_session_gets_one_before_presence(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    mine, theirs = pair
    client, server = _client(Tally()), Server(theirs)
    client.start(mine)
    _log_in(client, server, session=b"/>")
    server.say(client, BOUND)
    assert client.stage is Stage.SESSION
    assert server.written(client) == x.session_iq()
    server.say(client, b"<iq type='result' id='sess'/>")
    assert client.stage is Stage.PRESENCE
    assert server.written(client) == x.presence()
    server.say(client, OWN_PRESENCE)
    assert client.stage is Stage.READY


def test_without_registration_the_client_authenticates_at_once() -> None:
    client = _client(Tally(), register=False)
    client.start(None)
    client.out.clear()
    client.data_received(HEADER + SASL_FEATURES, 0)
    assert client.stage is Stage.AUTHENTICATING
    assert bytes(client.out) == x.auth_plain("u1", "secret")


@pytest.mark.parametrize(
    ("answers", "words"),
    [
        (
            [
                HEADER + b"<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                b"<mechanism>SCRAM-SHA-1</mechanism></mechanisms></stream:features>"
            ],
            "no SASL PLAIN",
        ),
        (
            [
                HEADER + SASL_FEATURES,
                b"<iq type='error' id='reg'><error type='cancel'>"
                b"<conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
            ],
            "registering in-band: conflict",
        ),
        (
            [
                HEADER + SASL_FEATURES,
                b"<iq type='result' id='reg'/>",
                b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>",
            ],
            "authentication refused: not-authorized",
        ),
        (
            [
                HEADER + b"<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                b"</stream:error>"
            ],
            "stream error: policy-violation",
        ),
        ([HEADER + b"</stream:stream>"], "closed its stream"),
        ([HEADER + b"<iq></message>"], "XML broke"),
    ],
)
def test_a_refused_login_fails_with_the_reason_in_words(answers: list[bytes], words: str) -> None:
    client = _client(Tally())
    client.start(None)
    for answer in answers:
        client.data_received(answer, 0)
    assert client.stage is Stage.FAILED and client.settled
    assert client.failure is not None and words in client.failure and client.failure.startswith("u1: ")


def _ready(tally: Tally) -> XmppClient:
    client = _client(tally)
    client.start(None)
    client.stage, client.partner = Stage.READY, "u2@localhost"
    client.reader.feed(HEADER)
    client.out.clear()
    return client


def _message(seq: int, due_ns: int, sender: str = "u2@localhost/bench", **extra: str) -> bytes:
    body = x.body_text(seq, due_ns, SIZE, "g" * SIZE)
    attributes = "".join(f" {k}='{v}'" for k, v in extra.items())
    return (
        f"<message from='{sender}' to='u1@localhost/bench' type='chat'{attributes}>"
        f"<body>{body}</body></message>"
    ).encode()


def test_messages_from_the_partner_are_counted_once_with_their_latency() -> None:
    tally = Tally(window_start=1_000, window_end=10_000)
    client = _ready(tally)
    client.data_received(_message(0, 2_000) + _message(1, 500), 4_000)  # 1 was due before the window
    assert (tally.received, tally.delivered_in_window, tally.latencies_ms) == (2, 2, [0.002])
    client.data_received(_message(0, 2_000), 5_000)  # the same sequence number again
    assert (tally.received, tally.duplicated) == (2, 1)
    client.data_received(_message(2, 3_000), 20_000)  # arrived after the window: no delivery in it
    assert (tally.received, tally.delivered_in_window, len(tally.latencies_ms)) == (3, 2, 2)
    assert tally.copies_received == 3 and tally.copies_in_window == 2


def test_a_stranger_a_damaged_body_and_a_bounce_are_counted_apart() -> None:
    tally = Tally(window_start=0, window_end=10**18)
    client = _ready(tally)
    client.send_message(5)
    assert (tally.sent, tally.accepted) == (1, 1)
    written = _stanzas(bytes(client.out))[0]
    assert written.get("to") == "u2@localhost" and written.get("type") == "chat"
    assert x.read_body(written.findtext(x.q(x.CLIENT, "body")) or "", SIZE) == (0, 5)
    client.data_received(_message(7, 1, sender="u3@localhost/bench"), 10)
    damaged = _message(8, 1).replace(b"<body>0000000008", b"<body>00000000x8")
    client.data_received(damaged, 10)
    assert (tally.received, tally.undecryptable) == (0, 2)
    client.data_received(
        b"<message from='u2@localhost' type='error'><error type='cancel'>"
        b"<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
        10,
    )
    assert (tally.accepted, tally.refused) == (0, 1) and tally.settled
    assert tally.errors == ["message bounced: service-unavailable"]
    client.data_received(b"<presence from='u1@localhost/bench'/><message from='u2@localhost'/>", 10)
    assert tally.errors == ["message bounced: service-unavailable"]  # nothing more to count


def test_read_raises_link_closed_when_the_server_goes(pair: tuple[socket.socket, socket.socket]) -> None:
    mine, theirs = pair
    client = _client(Tally())
    client.start(mine)
    theirs.sendall(HEADER)
    theirs.close()
    deadline = time.monotonic() + 5
    with pytest.raises(LinkClosed, match="closed the connection"):
        while time.monotonic() < deadline:
            client.read(0)
    assert client.stage is Stage.FAILED
