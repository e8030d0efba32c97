"""A minimal non-blocking XMPP client for a ``selectors`` loop: log in, then send and count chat messages.

One account on one connection (direct TLS, opened by the worker). Its steps, each
started by the server's answer to the one before: stream header → features →
in-band registration (when asked) → SASL PLAIN → stream restart → resource
binding (→ session, for a server that still wants it) → initial presence, and
ready once the server has sent it back to us.
Then every message is a ``<message type='chat'>`` to the partner's bare JID, whose
body carries its sequence number and due time; the recipient checks the sender
and the body and counts what arrived in the worker's :class:`Tally`, as the
Parley bench clients do. XMPP without stream management (XEP-0198) has no
acknowledgements, so a message counts as accepted once written, until the server
bounces it (``type='error'``), when it counts as refused.
"""

from __future__ import annotations

import contextlib
import enum
import socket
import ssl
import xml.etree.ElementTree as ET

from net.bench.client import Tally
from net.bench.link import LinkClosed
from net.bench.peers import xmpp_stanzas as x

RECV_SIZE = 256 * 1024
RESOURCE = "bench"
_WOULD_BLOCK = (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError, InterruptedError)


class Stage(enum.Enum):
    OPENING = "waiting for the stream's features"
    REGISTERING = "registering in-band"
    AUTHENTICATING = "authenticating with SASL PLAIN"
    RESTARTING = "waiting for the features after SASL"
    BINDING = "binding a resource"
    SESSION = "establishing the session"
    PRESENCE = "waiting for our own presence to come back"
    READY = "ready"
    FAILED = "failed"


class XmppClient:
    """One account. IO is ``read()`` and ``flush()`` on the socket given to ``start()``; everything else
    is the state machine, fed by ``data_received`` (which the tests call with bytes of their own)."""

    __slots__ = (
        "user", "password", "domain", "register", "session_needed", "size", "filler", "tally", "stage",
        "failure", "jid", "partner", "next_seq", "seen_seqs", "sock", "out", "reader", "watching_writes",
    )  # fmt: skip

    def __init__(
        self, user: str, password: str, domain: str, tally: Tally, *, register: bool, size: int, filler: str
    ) -> None:
        self.user, self.password, self.domain = user, password, domain
        self.register = register
        self.session_needed = False
        self.size = size
        self.filler = filler
        self.tally = tally
        self.stage = Stage.OPENING
        self.failure: str | None = None
        self.jid: str | None = None
        #: The partner's bare JID, given once both are ready.
        self.partner: str | None = None
        self.next_seq = 0
        self.seen_seqs: set[int] = set()
        self.sock: socket.socket | None = None
        self.out = bytearray()
        self.reader = x.StanzaReader()
        self.watching_writes = False

    @property
    def bare_jid(self) -> str:
        return f"{self.user}@{self.domain}"

    @property
    def settled(self) -> bool:
        """Ready, or failed: this client's login has ended one way or the other."""
        return self.stage in (Stage.READY, Stage.FAILED)

    def start(self, sock: socket.socket | None) -> None:
        """Begin the login on ``sock`` (connected, and wrapped in TLS by the caller); None for the tests."""
        if sock is not None:
            sock.setblocking(False)
        self.sock = sock
        self.out += x.stream_header(self.domain)

    # ------------------------------------------------------------------ sending

    def send_message(self, due_ns: int) -> None:
        assert self.partner is not None and self.stage is Stage.READY
        seq = self.next_seq
        self.next_seq += 1
        body = x.body_text(seq, due_ns, self.size, self.filler)
        self.out += x.chat_message(self.partner, str(seq), body)
        tally = self.tally
        tally.sent += 1
        tally.accepted += 1
        tally.copies_accepted += 1

    # ---------------------------------------------------------------- receiving

    def data_received(self, data: bytes, now_ns: int) -> None:
        try:
            stanzas = self.reader.feed(data)
        except x.StreamError as exc:
            self._fail(str(exc))
            return
        for stanza in stanzas:
            if self.stage is Stage.FAILED:
                return
            self._handle(stanza, now_ns)
        if self.reader.closed and self.stage is not Stage.FAILED:
            self._fail("the server closed its stream")

    def _fail(self, why: str) -> None:
        self.stage = Stage.FAILED
        self.failure = f"{self.user}: {why}"

    def _handle(self, stanza: ET.Element, now_ns: int) -> None:
        tag = stanza.tag
        if tag == x.q(x.STREAMS, "error"):
            self._fail(f"stream error: {x.condition(stanza)}")
        elif self.stage is Stage.READY:
            if tag == x.q(x.CLIENT, "message"):
                self._receive(stanza, now_ns)
            # Presence and anything else has nothing to count.
        elif tag == x.q(x.CLIENT, "presence") and self.stage is Stage.PRESENCE:
            # The server sends initial presence back to the sender's own resource (RFC 6121 §4.2.2)
            # once it has taken it: from then on, messages to our bare JID reach us, not offline storage.
            if (stanza.get("from") or "").partition("/")[0] == self.bare_jid:
                self.stage = Stage.READY
        elif tag == x.q(x.STREAMS, "features"):
            self._features(stanza)
        elif tag == x.q(x.SASL, "success") and self.stage is Stage.AUTHENTICATING:
            self.reader.restart()  # the server writes nothing more until our new header
            self.out += x.stream_header(self.domain)
            self.stage = Stage.RESTARTING
        elif tag == x.q(x.SASL, "failure"):
            self._fail(f"authentication refused: {x.condition(stanza)}")
        elif tag == x.q(x.CLIENT, "iq"):
            self._iq(stanza)

    def _features(self, features: ET.Element) -> None:
        if self.stage is Stage.OPENING:
            if not x.offers_plain(features):
                self._fail("the server offers no SASL PLAIN")
            elif self.register:
                self.out += x.register_iq(self.user, self.password)
                self.stage = Stage.REGISTERING
            else:
                self._authenticate()
        elif self.stage is Stage.RESTARTING:
            if features.find(x.q(x.BIND, "bind")) is None:
                self._fail("the server offers no resource binding")
                return
            self.session_needed = x.session_required(features)
            self.out += x.bind_iq(RESOURCE)
            self.stage = Stage.BINDING

    def _authenticate(self) -> None:
        self.out += x.auth_plain(self.user, self.password)
        self.stage = Stage.AUTHENTICATING

    def _iq(self, iq: ET.Element) -> None:
        kind, iq_id = iq.get("type"), iq.get("id")
        expected = {
            Stage.REGISTERING: x.REGISTER_ID,
            Stage.BINDING: x.BIND_ID,
            Stage.SESSION: x.SESSION_ID,
        }.get(self.stage)
        if iq_id != expected or kind not in ("result", "error"):
            return  # not the answer we wait for
        if kind == "error":
            self._fail(f"{self.stage.value}: {x.condition(iq)}")
        elif self.stage is Stage.REGISTERING:
            self._authenticate()
        elif self.stage is Stage.BINDING:
            jid = iq.find(f"{x.q(x.BIND, 'bind')}/{x.q(x.BIND, 'jid')}")
            self.jid = (jid.text or "").strip() if jid is not None else None
            if self.session_needed:
                self.out += x.session_iq()
                self.stage = Stage.SESSION
            else:
                self._announce()
        else:
            self._announce()

    def _announce(self) -> None:
        self.out += x.presence()
        self.stage = Stage.PRESENCE

    def _receive(self, message: ET.Element, now_ns: int) -> None:
        tally = self.tally
        if message.get("type") == "error":
            tally.accepted -= 1
            tally.copies_accepted -= 1
            tally.refused += 1
            tally.errors.append(f"message bounced: {x.condition(message)}")
            return
        body = message.find(x.q(x.CLIENT, "body"))
        if body is None:
            return  # a chat state or a receipt: not one of ours
        sender = (message.get("from") or "").partition("/")[0]
        try:
            if sender != self.partner:
                raise ValueError("from a stranger")
            seq, due_ns = x.read_body(body.text or "", self.size)
        except ValueError:
            tally.undecryptable += 1  # the name the bench's table gives a damaged body
            return
        if seq in self.seen_seqs:
            tally.duplicated += 1
            return
        self.seen_seqs.add(seq)
        tally.received += 1
        tally.copies_received += 1
        if tally.window_start <= now_ns < tally.window_end:
            tally.delivered_in_window += 1
            tally.copies_in_window += 1
        if tally.window_start <= due_ns < tally.window_end:
            tally.latencies_ms.append((now_ns - due_ns) / 1e6)

    # ------------------------------------------------------------------------ IO

    def read(self, now_ns: int) -> None:
        """Take whatever has arrived; :class:`LinkClosed` when the connection has ended."""
        assert self.sock is not None
        ended = False
        while True:
            try:
                data = self.sock.recv(RECV_SIZE)
            except _WOULD_BLOCK:
                break
            except OSError:
                data = b""
            if not data:
                ended = True
                break
            self.data_received(data, now_ns)
            if self.stage is Stage.FAILED and self.failure is not None:
                raise LinkClosed(self.failure)
        if ended:
            if not self.settled:
                self._fail("the server closed the connection")
            raise LinkClosed(f"{self.user}: the server closed the connection")

    def flush(self) -> bool:
        """Write what the socket takes now; True while bytes remain."""
        if self.out and self.sock is not None:
            try:
                sent = self.sock.send(self.out)
                del self.out[:sent]
            except _WOULD_BLOCK:
                pass
            except OSError as exc:
                raise LinkClosed(f"{self.user}: the connection broke") from exc
        return bool(self.out)

    def close(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
