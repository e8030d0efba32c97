"""The XMPP the peer comparison speaks: what the client writes, the body's format, the incremental reader."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import pytest

from net.bench.peers import xmpp_stanzas as x

SERVER_HEADER = (
    b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'"
    b" id='s1' from='localhost' version='1.0'>"
)
FEATURES = (
    b"<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
    b"<mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms><register xmlns='http://jabber.org/features/iq-register'/>"
    b"</stream:features>"
)


def _parse(data: bytes) -> ET.Element:
    """One stanza the client writes, read in the client namespace as a server would."""
    return ET.fromstring(b"<s xmlns='jabber:client'>" + data + b"</s>")[0]


def test_sasl_plain_is_rfc_4616_with_an_empty_authorization_id() -> None:
    # RFC 4616's own example user and password.
    assert x.sasl_plain("tim", "tanstaaftanstaaf") == base64.b64encode(b"\0tim\0tanstaaftanstaaf").decode()
    assert x.sasl_plain("tim", "tanstaaftanstaaf") == "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"
    assert x.sasl_plain("émile", "p") == base64.b64encode("\0émile\0p".encode()).decode()  # UTF-8
    with pytest.raises(ValueError, match="NUL"):
        x.sasl_plain("a\0b", "p")
    auth = _parse(x.auth_plain("tim", "tanstaaftanstaaf"))
    assert auth.tag == x.q(x.SASL, "auth") and auth.get("mechanism") == "PLAIN"
    assert auth.text == "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"


def test_the_stream_header_opens_a_client_stream_to_the_domain() -> None:
    header = x.stream_header("localhost")
    assert header.startswith(b"<?xml version='1.0'?><stream:stream ")
    element = ET.fromstring(header + x.stream_close())
    assert element.tag == x.q(x.STREAMS, "stream")
    assert element.get("to") == "localhost" and element.get("version") == "1.0"
    assert b"xmlns='jabber:client'" in header


def test_registration_binding_session_presence_and_messages_are_well_formed_and_escaped() -> None:
    register = _parse(x.register_iq("a<b", "p&'q\""))
    assert (register.get("type"), register.get("id")) == ("set", x.REGISTER_ID)
    query = register.find(x.q(x.REGISTER, "query"))
    assert query is not None
    assert query.findtext(x.q(x.REGISTER, "username")) == "a<b"
    assert query.findtext(x.q(x.REGISTER, "password")) == "p&'q\""
    bind = _parse(x.bind_iq("bench"))
    assert bind.get("id") == x.BIND_ID
    assert bind.findtext(f"{x.q(x.BIND, 'bind')}/{x.q(x.BIND, 'resource')}") == "bench"
    assert _parse(x.session_iq()).find(x.q(x.SESSION, "session")) is not None
    assert _parse(x.presence()).tag == x.q(x.CLIENT, "presence")
    message = _parse(x.chat_message("u2@localhost", "7", "1 < 2 & 'so'"))
    assert message.attrib == {"to": "u2@localhost", "type": "chat", "id": "7"}
    assert message.findtext(x.q(x.CLIENT, "body")) == "1 < 2 & 'so'"


def test_a_body_carries_its_sequence_number_and_due_time_in_exactly_its_size() -> None:
    filler = "abc" * 100
    body = x.body_text(42, 123_456_789_012_345, 256, filler)
    assert len(body) == 256 and body.isascii()
    assert body.startswith("0000000042 0000123456789012345 abc")
    assert x.read_body(body, 256) == (42, 123_456_789_012_345)
    smallest = x.body_text(0, 0, x.SMALLEST_BODY, "")
    assert x.read_body(smallest, x.SMALLEST_BODY) == (0, 0)


@pytest.mark.parametrize(
    ("seq", "due", "size", "filler", "words"),
    [
        (1, 1, x.SMALLEST_BODY - 1, "x" * 50, "at least"),
        (10**x.SEQ_DIGITS, 1, 64, "x" * 50, "does not fit"),
        (-1, 1, 64, "x" * 50, "does not fit"),
        (1, 10**x.TIME_DIGITS, 64, "x" * 50, "does not fit"),
        (1, 1, 64, "x" * 10, "filler"),
        (1, 1, 64, "é" * 50, "ASCII"),
    ],
)
def test_a_body_that_cannot_be_made_is_refused_in_words(
    seq: int, due: int, size: int, filler: str, words: str
) -> None:
    with pytest.raises(ValueError, match=words):
        x.body_text(seq, due, size, filler)


@pytest.mark.parametrize(
    "text",
    [
        "0000000001 0000000000000000002 " + "x" * 10,  # too short for its size
        "000000000a 0000000000000000002 " + "x" * 33,  # not a number
        "0000000001-0000000000000000002 " + "x" * 33,  # no space between
        "0000000001 0000000000000000002-" + "x" * 33,
    ],
)
def test_a_damaged_body_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        x.read_body(text, 64)


def test_the_reader_hands_back_each_stanza_once_complete_however_the_bytes_are_cut() -> None:
    stream = SERVER_HEADER + FEATURES + b"<iq type='result' id='reg'/><message from='a@localhost'><body>hi"
    stream += b"</body></message>"
    reader = x.StanzaReader()
    found: list[ET.Element] = []
    for i in range(len(stream)):  # one byte at a time: the hardest cut
        found += reader.feed(stream[i : i + 1])
    assert [e.tag for e in found] == [
        x.q(x.STREAMS, "features"),
        x.q(x.CLIENT, "iq"),
        x.q(x.CLIENT, "message"),
    ]
    assert reader.header is not None and reader.header["id"] == "s1"
    assert x.offers_plain(found[0])
    assert found[2].findtext(x.q(x.CLIENT, "body")) == "hi"
    assert not reader.closed


def test_the_reader_lets_go_of_stanzas_it_has_handed_back() -> None:
    reader = x.StanzaReader()
    reader.feed(SERVER_HEADER)
    for _ in range(1000):
        assert len(reader.feed(b"<presence from='a@localhost/r'/>")) == 1
    assert reader._root is not None and len(reader._root) == 0


def test_after_sasl_the_reader_starts_a_new_stream() -> None:
    reader = x.StanzaReader()
    reader.feed(SERVER_HEADER + FEATURES)
    [success] = reader.feed(b"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>")
    assert success.tag == x.q(x.SASL, "success")
    reader.restart()
    assert reader.header is None
    features = reader.feed(
        SERVER_HEADER.replace(b"s1", b"s2")
        + b"<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>"
    )
    assert reader.header is not None and reader.header["id"] == "s2"
    assert features[0].find(x.q(x.BIND, "bind")) is not None
    # Without the restart, the second header would have been bad XML.
    stuck = x.StanzaReader()
    stuck.feed(SERVER_HEADER)
    with pytest.raises(x.StreamError, match="XML"):
        stuck.feed(b"<?xml version='1.0'?>" + SERVER_HEADER)


def test_the_reader_sees_the_stream_end_and_refuses_what_is_not_a_stream() -> None:
    reader = x.StanzaReader()
    reader.feed(SERVER_HEADER)
    assert reader.feed(b"</stream:stream>") == [] and reader.closed
    assert reader.feed(b"  ") == []
    with pytest.raises(x.StreamError, match="after closing"):
        reader.feed(b"<presence/>")
    with pytest.raises(x.StreamError, match="not a stream:stream"):
        x.StanzaReader().feed(b"<html><body/></html>")
    with pytest.raises(x.StreamError, match="XML broke"):
        x.StanzaReader().feed(SERVER_HEADER + b"<message></iq>")


def test_conditions_features_and_sessions_in_a_word() -> None:
    failure = ET.fromstring(
        "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><text>no</text><not-authorized/></failure>"
    )
    assert x.condition(failure) == "not-authorized"
    error_iq = _parse(
        b"<iq type='error' id='reg'><error type='cancel'>"
        b"<conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
    )
    assert x.condition(error_iq) == "conflict"
    assert x.condition(_parse(b"<iq type='error'/>")) == "unknown"
    none = ET.fromstring("<features xmlns='http://etherx.jabber.org/streams'/>")
    assert not x.offers_plain(none) and not x.session_required(none)
    scram_only = ET.fromstring(
        "<f><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism>"
        "</mechanisms></f>"
    )
    assert not x.offers_plain(scram_only)
    optional = ET.fromstring(
        "<f><session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session></f>"
    )
    required = ET.fromstring("<f><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></f>")
    assert not x.session_required(optional) and x.session_required(required)
