"""Every reply and push shape: the documented examples parse into their objects; each break names a field."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from json_strategies import json_values
from session_support import bundle_of

from crypto_core.keys import IdentityKeyPair
from net.protocol import blob_replies, device_replies, replies
from net.protocol.connection import Push
from net.protocol.copy_results import CopyResult, CopyStatus, SendManyReply
from net.protocol.errors import RemoteProtocolError
from net.protocol.replies import (
    REPLIES,
    MessagePush,
    PrekeysLowPush,
    ReregistrationPush,
    SessionEndedPush,
    WaitingMessage,
    parse_push,
)
from net.protocol.reply_shapes import BAD_REPLY
from net.protocol.schema import OPERATIONS

PHONE = "+14155550100"
TOKEN = bytes(range(32))
NONCE = bytes(range(100, 132))
BUNDLE = bundle_of(IdentityKeyPair.generate())
BUNDLE_JSON = BUNDLE.to_json()
MESSAGE_JSON = {"id": 41, "from": PHONE, "body": "AAECAwQ=", "ts": 1764099000123}
MESSAGE = WaitingMessage(41, PHONE, b"\x00\x01\x02\x03\x04", 1764099000123)
BLOB = "q2mzm0r3Hx8Qm8oJ1Jm3nW8bYdXh1Jc7m9qvA0pVfJQ"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


#: op -> (the reply's fields as the server sends them, the object they become); from net/protocol/PROTOCOL.md.
GOOD: dict[str, tuple[dict[str, Any], object]] = {
    "hello": (
        {"server": "parley", "version": 1, "max_frame": 1048576, "idle_timeout": 300, "dev_codes": False},
        replies.HelloReply("parley", 1, 1048576, 300, False),
    ),
    "register_start": (
        {
            "phone": PHONE,
            "token": _b64(TOKEN),
            "expires_in": 600,
            "attempts": 5,
            "channel": "console",
            "existing": False,
            "sent_to": "a•••@example.org",
            "lock": False,
        },
        replies.RegisterStartReply(PHONE, TOKEN, 600, 5, "console", False, "a•••@example.org", False),
    ),
    "register_finish": ({"phone": PHONE, "replaced": False}, replies.RegisterFinishReply(PHONE, False)),
    "challenge": ({"nonce": _b64(NONCE)}, replies.ChallengeReply(NONCE)),
    "login": ({"phone": PHONE, "queued": 2}, replies.LoginReply(PHONE, 2)),
    "ping": ({"time": 1764099000000}, replies.PingReply(1764099000000)),
    "get_bundle": ({"bundle": BUNDLE_JSON}, replies.BundleReply(BUNDLE)),
    "send": (
        {"id": 41, "ts": 1764099000123, "duplicate": False},
        replies.SendReply(41, 1764099000123, False),
    ),
    "send_many": (
        {"results": [{"to": PHONE, "status": "stored", "id": 41, "ts": 1764099000123}]},
        SendManyReply((CopyResult(PHONE, CopyStatus.STORED, 41, 1764099000123),)),
    ),
    "fetch": ({"messages": [MESSAGE_JSON], "more": False}, replies.FetchReply((MESSAGE,), False)),
    "ack": ({"deleted": 1}, replies.AckReply(1)),
    "upload_prekeys": ({"one_time": 100, "kem": 40}, replies.PrekeyCountReply(100, 40)),
    "prekey_count": ({"one_time": 99, "kem": 39}, replies.PrekeyCountReply(99, 39)),
    "set_signed_prekey": ({}, replies.EmptyReply()),
    "delete_account": ({"deleted": True}, replies.DeleteAccountReply(True)),
    "set_registration_lock": ({"lock": True}, replies.RegistrationLockReply(True)),
    "blob_start": (
        {"blob": BLOB, "expires": 1766691000000},
        blob_replies.BlobStartReply(BLOB, 1766691000000),
    ),
    "blob_put": ({"received": 524288}, blob_replies.BlobPutReply(524288)),
    "blob_status": (
        {"size": 1048832, "received": 524288, "done": False, "expires": 1766691000000},
        blob_replies.BlobStatusReply(1048832, 524288, False, 1766691000000),
    ),
    "blob_finish": (
        {"size": 1048832, "expires": 1766691000000},
        blob_replies.BlobFinishReply(1048832, 1766691000000),
    ),
    "blob_get": (
        {"data": "AAECAwQ=", "size": 1048832},
        blob_replies.BlobGetReply(b"\x00\x01\x02\x03\x04", 1048832),
    ),
    "blob_delete": ({}, blob_replies.BlobDeleteReply()),
    "link_open": (
        {"code": "MFRGGZDFMZTWQ2LK", "expires_in": 600},
        device_replies.LinkOpenReply("MFRGGZDFMZTWQ2LK", 600),
    ),
    "link_join": ({"key": _b64(NONCE)}, device_replies.LinkJoinReply(NONCE)),
    "link_relay": ({}, device_replies.LinkRelayReply()),
    "link_device": ({"phone": PHONE, "device": 2}, device_replies.LinkDeviceReply(PHONE, 2)),
    "list_devices": (
        {
            "devices": [
                {
                    "device": 1,
                    "name": "",
                    "created": 1764000000000,
                    "last_seen": 1764099000000,
                    "current": True,
                },
                {
                    "device": 3,
                    "name": "AAE=",
                    "created": 1764050000000,
                    "last_seen": 1764090000000,
                    "current": False,
                },
            ]
        },
        device_replies.ListDevicesReply(
            (
                device_replies.DeviceInfo(1, b"", 1764000000000, 1764099000000, True),
                device_replies.DeviceInfo(3, b"\x00\x01", 1764050000000, 1764090000000, False),
            )
        ),
    ),
    "set_device_name": ({}, device_replies.SetDeviceNameReply()),
    "set_login_key": ({}, device_replies.SetLoginKeyReply()),
    "unlink_device": ({"devices": [1, 3]}, device_replies.UnlinkDeviceReply((1, 3))),
}


def _refusal(call: Any) -> str:
    with pytest.raises(RemoteProtocolError) as caught:
        call()
    assert caught.value.code == BAD_REPLY
    return caught.value.message


def test_every_operation_has_a_reply_shape_and_an_example_here() -> None:
    assert set(REPLIES) == set(OPERATIONS) == set(GOOD)
    assert all(shape.op == op for op, shape in REPLIES.items())


@pytest.mark.parametrize("op", sorted(GOOD))
def test_the_documented_reply_parses_into_its_object_and_unknown_fields_are_ignored(op: str) -> None:
    body, expected = GOOD[op]
    assert REPLIES[op].parse(body) == expected
    assert REPLIES[op].parse({**body, "added_by_a_newer_server": [1, {"x": None}]}) == expected


@pytest.mark.parametrize("op", sorted(GOOD))
def test_each_missing_field_is_named(op: str) -> None:
    body, _ = GOOD[op]
    for name in body:
        broken = {k: v for k, v in body.items() if k != name}
        assert _refusal(lambda b=broken: REPLIES[op].parse(b)) == f"{op} reply.{name}: missing"


@pytest.mark.parametrize("op", sorted(GOOD))
@pytest.mark.parametrize("wrong", [None, [], "7", 1.5, True, {"a": 1}])
def test_each_field_of_a_wrong_type_is_named(op: str, wrong: object) -> None:
    body, _ = GOOD[op]
    for name, value in body.items():
        if type(value) is type(wrong) and not isinstance(wrong, dict):
            continue  # the same type (an empty page is a page): not a wrong one for this field
        message = _refusal(lambda n=name: REPLIES[op].parse({**body, n: wrong}))
        assert message.startswith(f"{op} reply.{name}")


def test_an_optional_field_takes_its_default_only_when_absent() -> None:
    body, _ = GOOD["register_start"]
    assert REPLIES["register_start"].parse(body).code is None
    assert REPLIES["register_start"].parse({**body, "code": "492817"}).code == "492817"
    assert _refusal(lambda: REPLIES["register_start"].parse({**body, "code": None})).startswith(
        "register_start reply.code: expected a string"
    )
    assert _refusal(lambda: REPLIES["register_start"].parse({**body, "code": "12345"})).startswith(
        "register_start reply.code:"
    )


def test_a_page_names_the_message_and_the_field_that_broke() -> None:
    page = [dict(MESSAGE_JSON, id=n) for n in range(1, 6)]
    del page[3]["id"]
    assert _refusal(lambda: replies.FETCH.parse({"messages": page, "more": True})) == (
        "fetch reply.messages[3].id: missing"
    )
    page = [MESSAGE_JSON, dict(MESSAGE_JSON, body="not base64!")]
    assert _refusal(lambda: replies.FETCH.parse({"messages": page, "more": False})) == (
        "fetch reply.messages[1].body: not valid base64"
    )
    for id_ in (0, -1, True, 1.0, "41"):
        message = _refusal(
            lambda i=id_: replies.FETCH.parse({"messages": [dict(MESSAGE_JSON, id=i)], "more": False})
        )
        assert message.startswith("fetch reply.messages[0].id: expected an integer")
    assert _refusal(lambda: replies.FETCH.parse({"messages": {"0": MESSAGE_JSON}, "more": False})) == (
        "fetch reply.messages: expected a list"
    )
    assert _refusal(lambda: replies.FETCH.parse({"messages": ["x"], "more": False})) == (
        "fetch reply.messages[0]: expected an object"
    )
    assert _refusal(
        lambda: replies.FETCH.parse({"messages": [dict(MESSAGE_JSON, **{"from": "me"})], "more": False})
    )
    assert replies.FETCH.parse({"messages": [], "more": False}) == replies.FetchReply((), False)


def test_a_bundle_is_checked_key_by_key_and_its_one_time_prekey_is_optional() -> None:
    without = {k: v for k, v in BUNDLE_JSON.items() if k != "one_time_prekey"}
    assert replies.GET_BUNDLE.parse({"bundle": without}).bundle.one_time_prekey is None
    assert _refusal(
        lambda: replies.GET_BUNDLE.parse({"bundle": dict(BUNDLE_JSON, kem_prekey={"id": 1})})
    ).startswith("get_bundle reply.bundle.kem_prekey: ")
    missing = {k: v for k, v in BUNDLE_JSON.items() if k != "identity"}
    assert (
        _refusal(lambda: replies.GET_BUNDLE.parse({"bundle": missing}))
        == "get_bundle reply.bundle.identity: missing"
    )
    assert (
        _refusal(lambda: replies.GET_BUNDLE.parse({"bundle": "x"}))
        == "get_bundle reply.bundle: expected an object"
    )


def test_a_transient_send_has_its_own_reply_and_delete_account_must_say_true() -> None:
    assert replies.SEND_TRANSIENT.parse({"delivered": True}) == replies.TransientSendReply(True)
    assert _refusal(lambda: replies.SEND_TRANSIENT.parse({})) == "send reply.delivered: missing"
    assert _refusal(lambda: replies.DELETE_ACCOUNT.parse({"deleted": False})) == (
        "delete_account reply.deleted: expected True"
    )
    assert _refusal(lambda: replies.CHALLENGE.parse({"nonce": _b64(NONCE[:16])})) == (
        "challenge reply.nonce: expected 32 bytes"
    )


def test_messages_name_fields_never_values() -> None:
    secret = _b64(b"a secret token, too short")
    body = dict(GOOD["register_start"][0], token=secret)
    message = _refusal(lambda: replies.REGISTER_START.parse(body))
    assert secret not in message and message == "register_start reply.token: expected 32 bytes"
    parsed = replies.REGISTER_START.parse(dict(GOOD["register_start"][0], code="492817"))
    assert (
        "492817" not in repr(parsed) and _b64(TOKEN) not in repr(parsed) and repr(TOKEN) not in repr(parsed)
    )
    assert "AAECAwQ" not in repr(MESSAGE) and "\\x00" not in repr(MESSAGE)


# ---------------------------------------------------------------------- pushes


def test_every_documented_push_parses_into_its_object() -> None:
    assert parse_push(Push("message", MESSAGE_JSON)) == MessagePush(MESSAGE)
    transient = {"from": PHONE, "body": "AAECAwQ=", "ts": 5, "transient": True}
    parsed = parse_push(Push("message", transient))
    assert parsed == MessagePush(WaitingMessage(None, PHONE, b"\x00\x01\x02\x03\x04", 5))
    assert isinstance(parsed, MessagePush) and parsed.message.transient
    assert parse_push(Push("message", dict(MESSAGE_JSON, transient=False))) == MessagePush(MESSAGE)
    assert parse_push(Push("session_ended", {"reason": "re_registered"})) == SessionEndedPush("re_registered")
    assert parse_push(Push("reregistration_requested", {"ts": 7, "sent_to": "a•••@example.org"})) == (
        ReregistrationPush(7, "a•••@example.org")
    )
    assert parse_push(Push("prekeys_low", {"one_time": 24, "kem": 30})) == PrekeysLowPush(24, 30)


def test_a_push_of_a_kind_this_client_does_not_know_is_ignored() -> None:
    assert parse_push(Push("typing_in_a_group", {"anything": 1})) is None


@pytest.mark.parametrize(
    ("kind", "body", "expected"),
    [
        ("message", {k: v for k, v in MESSAGE_JSON.items() if k != "id"}, "message push.id: missing"),
        # Only transient: true makes the id optional; a truthy string does not.
        (
            "message",
            {"from": PHONE, "body": "AA==", "ts": 1, "transient": "true"},
            "message push.id: missing",
        ),
        ("message", dict(MESSAGE_JSON, transient="yes"), "message push.transient: expected False"),
        ("message", {"from": PHONE, "body": "AA==", "transient": True}, "message push.ts: missing"),
        ("message", dict(MESSAGE_JSON, body=""), "message push.body: must not be empty"),
        ("session_ended", {}, "session_ended push.reason: missing"),
        ("session_ended", {"reason": 3}, "session_ended push.reason: expected a string"),
        ("reregistration_requested", {"ts": 7}, "reregistration_requested push.sent_to: missing"),
        ("prekeys_low", {"one_time": -1, "kem": 0}, "prekeys_low push.one_time: expected an integer from 0"),
        ("prekeys_low", {"one_time": 1}, "prekeys_low push.kem: missing"),
    ],
)
def test_a_malformed_push_names_its_field(kind: str, body: dict[str, Any], expected: str) -> None:
    assert _refusal(lambda: parse_push(Push(kind, body))).startswith(expected)


# ---------------------------------------------------------------------- only the documented error


_JSON = json_values(max_text=8, max_leaves=12)


@st.composite
def _mutated(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A good reply with some of its fields (or of a first message's, or bundle's) removed or replaced."""
    op = draw(st.sampled_from(sorted(GOOD)))
    body: dict[str, Any] = {k: (list(v) if isinstance(v, list) else v) for k, v in GOOD[op][0].items()}
    target = body
    if op == "fetch" and draw(st.booleans()):
        target = body["messages"][0] = dict(MESSAGE_JSON)
    elif op == "get_bundle" and draw(st.booleans()):
        target = body["bundle"] = dict(BUNDLE_JSON)
    for name in draw(st.lists(st.sampled_from(sorted(target) or ["x"]), max_size=3)):
        if draw(st.booleans()):
            target.pop(name, None)
        else:
            target[name] = draw(_JSON)
    return op, body


@settings(max_examples=300, deadline=None)
@given(_mutated())
def test_a_mutated_reply_parses_or_raises_only_the_documented_error(case: tuple[str, dict[str, Any]]) -> None:
    op, body = case
    try:
        REPLIES[op].parse(body)
    except RemoteProtocolError as exc:
        assert exc.code == BAD_REPLY and exc.message.startswith(f"{op} reply")


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["message", "session_ended", "reregistration_requested", "prekeys_low"]), _JSON)
def test_any_push_body_parses_or_raises_only_the_documented_error(kind: str, body: object) -> None:
    fields = body if isinstance(body, dict) else {"value": body}
    try:
        parse_push(Push(kind, fields))
    except RemoteProtocolError as exc:
        assert exc.code == BAD_REPLY and exc.message.startswith(f"{kind} push")


def test_a_blob_status_whose_counts_do_not_fit_is_a_bad_reply() -> None:
    body = {"size": 10, "received": 11, "done": False, "expires": 1}
    assert _refusal(lambda: blob_replies.BLOB_STATUS.parse(body)).startswith("blob_status reply.received")
    body = {"size": 10, "received": 9, "done": True, "expires": 1}
    assert _refusal(lambda: blob_replies.BLOB_STATUS.parse(body)).startswith("blob_status reply.received")


def test_blob_replies_keep_the_id_and_the_bytes_out_of_reprs() -> None:
    assert BLOB not in repr(replies.REPLIES["blob_start"].parse({"blob": BLOB, "expires": 5}))
    got = replies.REPLIES["blob_get"].parse({"data": "c2VjcmV0", "size": 6})
    assert got.data == b"secret" and "secret" not in repr(got) and "c2VjcmV0" not in repr(got)
