"""The sans-IO protocol in memory: both roles, every kind of bad frame, no sockets."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from json_strategies import json_values

from crypto_core.keys import IdentityKeyPair, PublicIdentity
from net.protocol.connection import (
    NEED_DATA,
    Connection,
    ConnectionClosed,
    ErrorReply,
    Push,
    Reply,
    Request,
    Role,
    decode_json_object,
    encode_json,
    error_reply,
)
from net.protocol.errors import ErrorCode, LocalProtocolError, RemoteProtocolError, RequestRefused
from net.protocol.frame_json import SPLICED_BYTES, with_long_tail
from net.protocol.frames import encode_frame
from net.protocol.schema import OPERATIONS, Base64Text

PHONE = "+442079460958"


def pair() -> tuple[Connection, Connection]:
    return Connection(Role.CLIENT), Connection(Role.SERVER)


def server_reads(payload: bytes, *, logged_in: bool = True) -> Connection:
    server = Connection(Role.SERVER)
    server.logged_in = logged_in
    server.receive_data(encode_frame(payload))
    return server


def refusal(payload: bytes, *, logged_in: bool = True) -> RemoteProtocolError:
    with pytest.raises(RemoteProtocolError) as caught:
        server_reads(payload, logged_in=logged_in).next_event()
    return caught.value


def test_a_request_travels_with_checked_arguments() -> None:
    client, server = pair()
    request_id, data = client.request("send", to="+44 20 7946 0958", client_id="c-1", body=b"\x00\x01")
    server.receive_data(data)
    event = server.next_event()
    assert event == Request(
        request_id,
        "send",
        {
            "to": PHONE,
            "client_id": "c-1",
            "body": b"\x00\x01",
            "transient": False,
            "expires_in": 0,
            "device": 1,
        },
    )
    assert server.next_event() is NEED_DATA


def test_keys_and_bytes_are_encoded_for_the_wire() -> None:
    client, server = pair()
    identity = IdentityKeyPair.generate().public
    _, data = client.request("challenge", phone=PHONE, extra=identity)
    assert json.loads(data[4:])["extra"] == identity.to_json()
    server.receive_data(data)
    assert server.next_event().args == {"phone": PHONE}  # unknown fields are ignored


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=8),
        st.one_of(
            st.none() | st.booleans() | st.integers() | st.text(max_size=8),
            st.lists(st.integers(), max_size=3),
            st.binary(max_size=4),
            st.binary(min_size=SPLICED_BYTES, max_size=SPLICED_BYTES + 5),
        ),
        max_size=5,
    )
)
def test_long_bytes_written_into_the_json_directly_mean_the_same_as_encoded_ones(
    obj: dict[str, object],
) -> None:
    def plain(value: object) -> object:
        return base64.b64encode(value).decode() if isinstance(value, bytes) else value

    expected = {name: plain(value) for name, value in obj.items()}
    assert decode_json_object(encode_json(obj)) == expected
    assert json.loads(encode_json(obj)) == json.loads(json.dumps(expected))


def test_a_piece_of_a_blob_is_written_into_its_frame_as_its_base64() -> None:
    client, server = pair()
    piece = bytes(range(256)) * 2048
    request_id, data = client.request("blob_put", data=piece, blob="A" * 43, offset=0)
    assert data.endswith(b',"data":"' + base64.b64encode(piece) + b'"}')  # moved after the other fields
    server.receive_data(data)
    assert server.next_event() == Request(
        request_id, "blob_put", {"blob": "A" * 43, "offset": 0, "data": piece}
    )
    reply = Connection(Role.SERVER).send(Reply(7, {"data": piece, "size": len(piece)}))
    assert json.loads(reply[4:]) == {
        "size": len(piece),
        "re": 7,
        "ok": True,
        "data": base64.b64encode(piece).decode(),
    }


def test_replies_are_matched_to_pending_requests() -> None:
    client, server = pair()
    first, _ = client.request("ping")
    second, _ = client.request("ping")
    assert client.pending == {first, second}
    client.receive_data(
        server.send(Reply(second, {"time": 5})) + server.send(ErrorReply(first, "rate_limited", "slow"))
    )
    assert client.next_event() == Reply(second, {"time": 5})
    error = client.next_event()
    assert isinstance(error, ErrorReply) and error.code == "rate_limited"
    assert isinstance(error.exception(), RequestRefused)
    assert client.pending == frozenset()


def test_a_reply_to_nothing_pending_is_a_remote_error() -> None:
    client, server = pair()
    client.receive_data(server.send(Reply(99, {})))
    with pytest.raises(RemoteProtocolError):
        client.next_event()


def test_a_request_written_by_other_means_can_be_expected() -> None:
    client, server = pair()
    client.expect_reply(99)
    client.receive_data(server.send(Reply(99, {})))
    assert client.next_event() == Reply(99, {})


def test_pushes_are_recognised_between_replies() -> None:
    client, server = pair()
    request_id, _ = client.request("fetch")
    client.receive_data(
        server.send(Push("message", {"id": 3, "body": b"x"})) + server.send(Reply(request_id, {}))
    )
    push = client.next_event()
    assert isinstance(push, Push) and push.kind == "message" and push.body["body"] == "eA=="
    assert isinstance(client.next_event(), Reply)


def test_an_error_without_an_id_reaches_the_client() -> None:
    client, server = pair()
    client.receive_data(server.send(error_reply(RemoteProtocolError(ErrorCode.BAD_FRAME, "not JSON"))))
    event = client.next_event()
    assert isinstance(event, ErrorReply) and event.re is None and event.code == "bad_frame"


def test_a_clean_close_is_an_event() -> None:
    _, server = pair()
    server.receive_data(b"")
    assert isinstance(server.next_event(), ConnectionClosed)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"\xff\xfe", "bad_frame"),
        (b"{not json", "bad_frame"),
        (b"[1, 2]", "bad_frame"),
        (b'"text"', "bad_frame"),
        (b'{"id": 1, "op": "ping", "x": NaN}', "bad_frame"),
        (b'{"id": 1, "op": "ping", "x": 1e400}', "bad_frame"),
        (b'{"id": 1, "op": "ping", "x": [-1e400]}', "bad_frame"),
        (b'{"id": 1, "op": "ping", "op": "ping"}', "bad_frame"),
        (b'{"id": 1, "op": "ping", "x": {"a": 1, "a": 2}}', "bad_frame"),
        (b'{"id": ' + b"9" * 5000 + b', "op": "ping"}', "bad_frame"),
        (b"[" * 100_000 + b"]" * 100_000, "bad_frame"),
        (b'{"op": "ping"}', "bad_request"),
        (b'{"id": -1, "op": "ping"}', "bad_request"),
        (b'{"id": true, "op": "ping"}', "bad_request"),
        (b'{"id": 1.5, "op": "ping"}', "bad_request"),
        (b'{"id": 1.0, "op": "ping"}', "bad_request"),
        (b'{"id": 1e0, "op": "ping"}', "bad_request"),
        (b'{"id": null, "op": "ping"}', "bad_request"),
        (b'{"id": 1, "op": "fly"}', "unknown_op"),
        (b'{"id": 1}', "unknown_op"),
        (b'{"id": 1, "op": "challenge"}', "bad_request"),
        (b'{"id": 1, "op": "challenge", "phone": 12}', "bad_phone"),
        (b'{"id": 1, "op": "challenge", "phone": "not a phone"}', "bad_phone"),
        (b'{"id": 1, "op": "register_start", "phone": "+442079460958", "email": "nope"}', "bad_email"),
        (b'{"id": 1, "op": "send", "to": "+442079460958", "client_id": "a", "body": "!!"}', "bad_request"),
        (
            b'{"id": 1, "op": "send", "to": "+442079460958", "client_id": "a b", "body": "AA=="}',
            "bad_request",
        ),
        (b'{"id": 1, "op": "fetch", "limit": 100000000000000000000000}', "bad_request"),
        (b'{"id": 1, "op": "fetch", "limit": "10"}', "bad_request"),
        (b'{"id": 1, "op": "fetch", "limit": 10.0}', "bad_request"),
        (b'{"id": 1, "op": "fetch", "limit": null}', "bad_request"),
        (
            b'{"id": 1, "op": "send", "to": "+442079460958", "client_id": "a", "body": "AA=="'
            b', "transient": null}',
            "bad_request",
        ),
        (
            b'{"id": 1, "op": "send", "to": "+442079460958", "client_id": "a", "body": "AA=="'
            b', "transient": 0}',
            "bad_request",
        ),
        (b'{"id": 1, "op": "ack", "ids": [1, "2"]}', "bad_request"),
        (b'{"id": 1, "op": "login", "phone": "+442079460958", "signature": "AAAA"}', "bad_request"),
        (
            b'{"id": 1, "op": "set_signed_prekey", "signed_prekey": {"id": 1, "key": "AA==", "sig": "AA=="}}',
            "bad_key",
        ),
    ],
)
def test_bad_frames_get_their_code(payload: bytes, code: str) -> None:
    error = refusal(payload)
    assert error.code == code
    assert not error.fatal


def test_refused_numbers_and_repeated_keys_say_why() -> None:
    assert "range of a double" in refusal(b'{"id": 1, "op": "ping", "x": 1e400}').message
    assert "repeated key" in refusal(b'{"id": 1, "id": 2, "op": "ping"}').message
    assert refusal(b'{"id": 1, "id": 2, "op": "ping"}').request_id is None  # neither id is believed


def test_finite_floats_and_distinct_keys_still_pass_where_fields_are_ignored() -> None:
    event = server_reads(b'{"id": 1, "op": "ping", "x": 1.5e300, "y": {"a": 1, "b": -0.0}}').next_event()
    assert event == Request(1, "ping", {})


def test_login_is_checked_before_fields() -> None:
    bad_send = b'{"id": 7, "op": "send", "to": "+442079460958", "client_id": "a", "body": "!!"}'
    stranger = refusal(bad_send, logged_in=False)
    assert (stranger.code, stranger.request_id) == ("not_logged_in", 7)
    assert refusal(bad_send, logged_in=True).code == "bad_request"
    assert refusal(b'{"id": 7, "op": "challenge", "phone": 5}', logged_in=False).code == "bad_phone"


def test_an_error_names_the_request_and_the_field() -> None:
    error = refusal(b'{"id": 41, "op": "send", "to": "+442079460958", "client_id": "a", "body": 5}')
    assert error.request_id == 41
    assert "send.body" in error.message


def test_the_connection_goes_on_after_a_bad_frame() -> None:
    server = Connection(Role.SERVER)
    server.receive_data(encode_frame(b"junk") + encode_frame(b'{"id": 2, "op": "ping"}'))
    with pytest.raises(RemoteProtocolError):
        server.next_event()
    assert server.next_event() == Request(2, "ping", {})


def test_an_oversized_frame_is_fatal() -> None:
    server = Connection(Role.SERVER, max_frame=64)
    server.receive_data((65).to_bytes(4, "big"))
    with pytest.raises(RemoteProtocolError) as caught:
        server.next_event()
    assert caught.value.fatal and caught.value.code == "frame_too_large"


def test_roles_send_only_their_own_messages() -> None:
    client, server = pair()
    with pytest.raises(LocalProtocolError):
        client.send(Reply(1, {}))
    with pytest.raises(LocalProtocolError):
        server.send(Request(1, "ping"))
    with pytest.raises(LocalProtocolError):
        client.request("fly")


def test_a_request_that_cannot_be_encoded_is_not_left_pending() -> None:
    client = Connection(Role.CLIENT, max_frame=100)
    with pytest.raises(LocalProtocolError):
        client.request("send", to=PHONE, client_id="a", body=b"x" * 200)
    assert client.pending == frozenset()


def test_reprs_leave_bodies_out() -> None:
    secret = b"very secret ciphertext"
    assert "secret" not in repr(Request(1, "send", {"body": secret}))
    assert "secret" not in repr(Reply(1, {"messages": [{"body": "c2VjcmV0"}]}))
    assert "c2VjcmV0" not in repr(Push("message", {"body": "c2VjcmV0"}))


@given(st.binary(max_size=200))
def test_arbitrary_payloads_never_escape_as_anything_but_a_protocol_error(payload: bytes) -> None:
    server = server_reads(payload)
    try:
        event = server.next_event()
    except RemoteProtocolError:
        return
    assert isinstance(event, Request)


def test_register_finish_is_checked_down_to_its_keys() -> None:
    identity = IdentityKeyPair.generate().public
    frame = {
        "id": 3,
        "op": "register_finish",
        "phone": PHONE,
        "code": "12345a",
        "identity": identity.to_json(),
    }
    assert refusal(json.dumps(frame).encode()).code == "bad_request"
    frame["code"] = "123456"
    error = refusal(json.dumps(frame).encode())
    assert "signed_prekey" in error.message
    assert isinstance(PublicIdentity.from_json(frame["identity"]), PublicIdentity)


# ------------------------------------------------------------------ JSON as written, and what it must mean

# A JSON value as text, with what the decoder must make of it: (text, value), value REFUSED if it must refuse.
REFUSED = object()
_NUMBER_LITERALS = [
    "1e400",
    "-1e400",
    "1E309",
    "0.5e-400",
    "2.5",
    "1.0",
    "-0.0",
    "1e0",
    "123456789012345678901",
]
_KEYS = ["id", "op", "a", "b", "é", ""]  # few, so that objects often repeat one


def _number(literal: str) -> tuple[str, object]:
    if any(c in literal for c in ".eE"):
        value = float(literal)
        return literal, value if math.isfinite(value) else REFUSED
    return literal, int(literal)


def _array(items: list[tuple[str, object]]) -> tuple[str, object]:
    values = [v for _, v in items]
    return "[" + ",".join(t for t, _ in items) + "]", REFUSED if REFUSED in values else values


def _object(pairs: list[tuple[str, tuple[str, object]]]) -> tuple[str, object]:
    text = "{" + ",".join(f"{json.dumps(k)}:{t}" for k, (t, _) in pairs) + "}"
    keys = [k for k, _ in pairs]
    values = {k: v for k, (_, v) in pairs}
    refused = len(set(keys)) < len(keys) or any(v is REFUSED for v in values.values())
    return text, REFUSED if refused else values


_SCALARS = st.one_of(
    st.sampled_from(_NUMBER_LITERALS).map(_number),
    st.integers(-(10**20), 10**20).map(lambda i: _number(str(i))),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda f: _number(repr(f))),
    st.text(max_size=8).map(lambda s: (json.dumps(s), s)),
    st.sampled_from([("true", True), ("false", False), ("null", None)]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(_array),
        st.lists(st.tuples(st.sampled_from(_KEYS), inner), max_size=4).map(_object),
    ),
    max_leaves=12,
)
_OBJECTS = st.lists(st.tuples(st.sampled_from(_KEYS), _VALUES), max_size=6).map(_object)


@settings(max_examples=400, deadline=1000)
@given(_OBJECTS)
def test_a_frame_means_exactly_its_json_or_is_refused_as_bad_frame(written: tuple[str, object]) -> None:
    text, meaning = written
    try:
        decoded = decode_json_object(text.encode())
    except RemoteProtocolError as exc:
        assert exc.code == "bad_frame" and exc.request_id is None
        assert meaning is REFUSED, f"refused {text}"
        return
    assert meaning is not REFUSED, f"accepted {text}"
    assert decoded == meaning


_JSONISH = json_values()


@settings(max_examples=300, deadline=2000)
@given(
    st.sampled_from(sorted(OPERATIONS)),
    st.dictionaries(
        st.sampled_from(sorted({f.name for op in OPERATIONS.values() for f in op.fields})), _JSONISH
    ),
    st.one_of(st.integers(-5, 2**54), st.none(), st.booleans(), st.text(max_size=3)),
    st.booleans(),
    st.integers(1, 40),
)
def test_any_request_cut_anywhere_is_a_request_or_a_protocol_error(
    op: str, fields: dict[str, object], request_id: object, logged_in: bool, step: int
) -> None:
    frame = {**fields, "op": op, "id": request_id}
    data = encode_frame(json.dumps(frame).encode())
    server = Connection(Role.SERVER)
    server.logged_in = logged_in
    events = []
    for start in range(0, len(data), step):
        server.receive_data(data[start : start + step])
        try:
            event = server.next_event()
        except RemoteProtocolError as exc:
            assert not exc.fatal and exc.code in {code.value for code in ErrorCode}
            events.append(exc)
            continue
        if event is not NEED_DATA:
            events.append(event)
    assert len(events) == 1  # one frame, one outcome, on the byte that completed it
    outcome = events[0]
    if isinstance(outcome, Request):
        assert set(outcome.args) == {f.name for f in OPERATIONS[op].fields}
    elif OPERATIONS[op].needs_login and not logged_in:  # login before fields: no field error for a stranger
        assert outcome.code == "not_logged_in" or outcome.request_id is None


def _outcome(read: Callable[[], object]) -> object:
    try:
        event = read()
    except RemoteProtocolError as exc:
        return ("refused", exc.code, exc.message, exc.request_id)
    assert isinstance(event, Request)
    return ("request", event.id, event.op, event.args)


def _both_ways(payload: bytes) -> tuple[object, object]:
    """How a server reads ``payload`` (a long tail apart, where it can) and how it reads it whole."""
    fast = Connection(Role.SERVER)
    fast.logged_in = True
    fast.receive_data(encode_frame(payload))
    whole = Connection(Role.SERVER)
    whole.logged_in = True
    return _outcome(fast.next_event), _outcome(lambda: whole._parse_request(decode_json_object(payload)))


_TAIL_B64 = base64.b64encode(bytes(range(256)) * 300).decode()  # 76,800 bytes: a long tail


@pytest.mark.parametrize(
    "payload",
    [
        '{"id":1,"op":"blob_put","blob":"' + "A" * 43 + '","offset":0,"data":"' + _TAIL_B64 + '"}',
        '{"id":1,"op":"send","to":"+442079460958","client_id":"c","body":"' + _TAIL_B64 + '"}',
        '{"id":1,"op":"blob_put","blob":"' + "A" * 43 + '","data":"' + _TAIL_B64 + '"}',  # offset missing
        '{"id":1,"op":"ping","extra":"' + _TAIL_B64 + '"}',  # an unknown field: ignored
        '{"id":1,"op":"blob_status","blob":"' + _TAIL_B64 + '"}',  # not a base64 field: a string
        '{"id":1,"op":"blob_put","data":"AA==","blob":"'
        + "A" * 43
        + '","offset":0,"data":"'
        + _TAIL_B64
        + '"}',
        '{ ,"data":"' + _TAIL_B64 + '"}',
        '{"id":1,"op":"blob_put","offset":0,,"data":"' + _TAIL_B64 + '"}',
        '{"id":1,"op":"blob_put","blob":"' + "A" * 43 + '","offset":0,"data":"' + _TAIL_B64[:-1] + '"}',
        '{"id":1,"op":"blob_put","blob":"' + "A" * 43 + '","offset":0,"Data":"' + _TAIL_B64 + '"}',
        '{"id":1,"op":"blob_put","blob":"' + "A" * 43 + '","offset":0,"data":"' + _TAIL_B64 + '" }',
        '{"id":1,"op":"blob_put","x":{"y":1,"data":"' + _TAIL_B64 + '"}}',
        '{"id":1,"op":"blob_put","x":"a,\\"data\\":\\"' + _TAIL_B64 + '"}',
        '[1,"data":"' + _TAIL_B64 + '"}',
        '{"id":1,"op":"blob_put","x":NaN,"data":"' + _TAIL_B64 + '"}',
    ],
)
def test_a_long_base64_tail_read_apart_means_what_the_whole_request_means(payload: str) -> None:
    read = with_long_tail(payload.encode())
    if read is not None:  # read apart: the tail's value comes decoded, its text kept for another field
        tail = next(value for value in read.values() if isinstance(value, Base64Text))
        assert tail.data == base64.b64decode(_TAIL_B64) and tail.text() == _TAIL_B64
    fast, whole = _both_ways(payload.encode())
    assert fast == whole


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**40), st.binary(min_size=1, max_size=4), st.sampled_from(["head", "tail", "seam"]))
def test_a_mangled_request_with_a_long_tail_is_read_the_same_either_way(
    at: int, junk: bytes, where: str
) -> None:
    good = (
        '{"id":7,"op":"blob_put","blob":"' + "A" * 43 + '","offset":5,"data":"' + _TAIL_B64 + '"}'
    ).encode()
    span = {"head": (0, 80), "tail": (len(good) - 40, len(good)), "seam": (60, 110)}[where]
    place = span[0] + at % (span[1] - span[0])
    for mangled in (good[:place] + junk + good[place:], good[:place] + junk + good[place + len(junk) :]):
        fast, whole = _both_ways(mangled)
        assert fast == whole


def test_a_piece_of_a_blob_is_read_apart_from_its_request() -> None:
    piece = bytes(range(256)) * 2048
    _, data = Connection(Role.CLIENT).request("blob_put", blob="A" * 43, offset=0, data=piece)
    read = with_long_tail(data[4:])
    assert read is not None and read["op"] == "blob_put" and isinstance(read["data"], Base64Text)
    assert read["data"].data == piece and repr(read["data"]) == "Base64Text(699052 characters)"
