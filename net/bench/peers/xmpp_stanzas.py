"""XMPP as the peer comparison speaks it: the stanzas a minimal client writes and an incremental reader.

Pure: bytes in, elements out, no socket and no clock, so framing and parsing are
tested without a server. A client writes its stream header, in-band registration
(XEP-0077), SASL PLAIN (RFC 6120 §6 with RFC 4616), resource binding, initial
presence and 1:1 chat messages. The reader takes the server's bytes as they come
and hands back each complete top-level stanza (a child of ``<stream:stream>``) as
an :class:`xml.etree.ElementTree.Element`; after SASL succeeds the stream starts
again, and so does the reader (:meth:`StanzaReader.restart`).

A message body is ASCII text of a fixed length: the sender's sequence number and
the time the message was due to leave (``time.monotonic_ns``, one clock for both
ends of a pair, who live in one process), then filler.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET  # parses only the servers this bench starts itself
from xml.sax.saxutils import escape, quoteattr

STREAMS = "http://etherx.jabber.org/streams"
CLIENT = "jabber:client"
SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
BIND = "urn:ietf:params:xml:ns:xmpp-bind"
SESSION = "urn:ietf:params:xml:ns:xmpp-session"
REGISTER = "jabber:iq:register"
STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"

REGISTER_ID = "reg"
BIND_ID = "bind"
SESSION_ID = "sess"
#: Digits of the two numbers at the start of a body; a body shorter than both (and their spaces) is refused.
SEQ_DIGITS = 10
TIME_DIGITS = 19
SMALLEST_BODY = SEQ_DIGITS + TIME_DIGITS + 2


def q(namespace: str, name: str) -> str:
    """The ``{namespace}name`` form ElementTree gives tags."""
    return f"{{{namespace}}}{name}"


class StreamError(Exception):
    """The server's bytes are not a well-formed XMPP stream; the message says where it broke."""


def stream_header(domain: str) -> bytes:
    return (
        "<?xml version='1.0'?><stream:stream to="
        f"{quoteattr(domain)} version='1.0' xmlns='{CLIENT}' xmlns:stream='{STREAMS}'>"
    ).encode()


def stream_close() -> bytes:
    return b"</stream:stream>"


def sasl_plain(user: str, password: str) -> str:
    """The PLAIN initial response (RFC 4616): empty authorization id, NUL, user, NUL, password, in base64."""
    for name, value in (("user", user), ("password", password)):
        if "\0" in value:
            raise ValueError(f"a SASL PLAIN {name} cannot hold a NUL character")
    return base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode("ascii")


def auth_plain(user: str, password: str) -> bytes:
    return f"<auth xmlns='{SASL}' mechanism='PLAIN'>{sasl_plain(user, password)}</auth>".encode()


def register_iq(user: str, password: str) -> bytes:
    """In-band registration of ``user`` (XEP-0077), on the stream before authentication."""
    return (
        f"<iq type='set' id='{REGISTER_ID}'><query xmlns='{REGISTER}'><username>{escape(user)}</username>"
        f"<password>{escape(password)}</password></query></iq>"
    ).encode()


def bind_iq(resource: str) -> bytes:
    return (
        f"<iq type='set' id='{BIND_ID}'><bind xmlns='{BIND}'><resource>{escape(resource)}</resource>"
        "</bind></iq>"
    ).encode()


def session_iq() -> bytes:
    """RFC 3921's session establishment, for a server that still asks for it (not marked optional)."""
    return f"<iq type='set' id='{SESSION_ID}'><session xmlns='{SESSION}'/></iq>".encode()


def presence() -> bytes:
    """Initial presence: without it a server keeps messages to the bare JID offline."""
    return b"<presence/>"


def chat_message(to: str, message_id: str, body: str) -> bytes:
    return (
        f"<message to={quoteattr(to)} type='chat' id={quoteattr(message_id)}><body>{escape(body)}</body>"
        "</message>"
    ).encode()


def body_text(seq: int, sent_ns: int, size: int, filler: str) -> str:
    """``size`` ASCII characters: the sequence number, the due time and as much of ``filler`` as fits."""
    if size < SMALLEST_BODY:
        raise ValueError(f"a body needs at least {SMALLEST_BODY} characters, not {size}")
    if not 0 <= seq < 10**SEQ_DIGITS or not 0 <= sent_ns < 10**TIME_DIGITS:
        raise ValueError("the sequence number or the time does not fit the body's digits")
    head = f"{seq:0{SEQ_DIGITS}d} {sent_ns:0{TIME_DIGITS}d} "
    rest = size - len(head)
    if len(filler) < rest or not filler.isascii():
        raise ValueError(f"the filler must be ASCII and at least {rest} characters long")
    return head + filler[:rest]


def read_body(text: str, size: int) -> tuple[int, int]:
    """``(seq, sent_ns)`` from a body of exactly ``size`` characters; ValueError when it is not one."""
    if len(text) != size:
        raise ValueError(f"a body of {len(text)} characters, expected {size}")
    seq, due, space = text[:SEQ_DIGITS], text[SEQ_DIGITS + 1 : SMALLEST_BODY - 1], text[SMALLEST_BODY - 1]
    if not (seq.isdigit() and due.isdigit() and text[SEQ_DIGITS] == " " and space == " "):
        raise ValueError("the body does not start with a sequence number and a time")
    return int(seq), int(due)


def condition(element: ET.Element) -> str:
    """The name of the first child of an error (a stanza's ``<error>``, a SASL ``<failure>``, a
    ``<stream:error>``), or "unknown" when it has none: what went wrong in a word."""
    error = element.find(q(CLIENT, "error"))
    holder = error if error is not None else element
    for child in holder:
        name = child.tag.rpartition("}")[2]
        if name != "text":
            return name
    return "unknown"


def offers_plain(features: ET.Element) -> bool:
    mechanisms = features.find(q(SASL, "mechanisms"))
    if mechanisms is None:
        return False
    return any((m.text or "").strip() == "PLAIN" for m in mechanisms.findall(q(SASL, "mechanism")))


def session_required(features: ET.Element) -> bool:
    """Whether the features ask for RFC 3921's session iq (absent, or marked ``<optional/>``: not needed)."""
    session = features.find(q(SESSION, "session"))
    return session is not None and session.find(q(SESSION, "optional")) is None


class StanzaReader:
    """Complete top-level stanzas out of a stream's bytes, fed in pieces of any size.

    The stream's own element stays open; each stanza is taken off it once complete,
    so memory does not grow with the stream. A stream restart (after SASL) needs a
    new parser, since the new ``<stream:stream>`` begins a new document.
    """

    def __init__(self) -> None:
        self._parser: ET.XMLPullParser[ET.Element]
        self._root: ET.Element | None
        self._depth: int
        self.header: dict[str, str] | None
        self.closed: bool
        self.restart()

    def restart(self) -> None:
        """Forget the stream so far: the next bytes open a new one."""
        self._parser = ET.XMLPullParser(events=("start", "end"))
        self._root = None
        self._depth = 0
        self.header = None
        self.closed = False

    def feed(self, data: bytes) -> list[ET.Element]:
        """The stanzas ``data`` completes, in order. :class:`StreamError` on XML that is not a stream."""
        if self.closed:
            if data.strip():
                raise StreamError("the server wrote after closing its stream")
            return []
        stanzas: list[ET.Element] = []
        try:
            self._parser.feed(data)
            for item in self._parser.read_events():
                # "start" and "end" events carry an element; the typing allows namespace events too.
                if len(item) == 2 and isinstance(item[1], ET.Element):
                    self._take(item[0], item[1], stanzas)
        except ET.ParseError as exc:
            raise StreamError(f"the server's XML broke: {exc}") from None
        return stanzas

    def _take(self, event: str, element: ET.Element, stanzas: list[ET.Element]) -> None:
        if event == "start":
            if self._depth == 0:
                if element.tag != q(STREAMS, "stream"):
                    raise StreamError(f"the stream opened with {element.tag!r}, not a stream:stream")
                self._root = element
                self.header = dict(element.attrib)
            self._depth += 1
            return
        self._depth -= 1
        if self._depth == 1 and self._root is not None:
            stanzas.append(element)
            self._root.remove(element)
        elif self._depth == 0:
            self.closed = True
