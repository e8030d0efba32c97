"""The device replies and pushes as the client checks them, from_device, and an error's devices."""

from __future__ import annotations

import pytest

from net.protocol.connection import Connection, ErrorReply, Push, Role
from net.protocol.copy_results import SEND_MANY, CopyResult, CopyStatus, PendingSendMany, answers_in_order
from net.protocol.device_replies import DevicesChangedPush, LinkDonePush, LinkJoinedPush, LinkRelayPush
from net.protocol.errors import RemoteProtocolError, RequestRefused
from net.protocol.replies import FETCH, GET_BUNDLE, LOGIN, STORED_MESSAGE_PUSH, parse_push
from net.protocol.reply_shapes import BAD_REPLY

PHONE = "+14155550100"
KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="


def test_the_device_pushes_parse_into_their_objects() -> None:
    assert parse_push(Push("devices_changed", {"devices": [1, 2, 5]})) == DevicesChangedPush((1, 2, 5))
    joined = parse_push(Push("link_joined", {"key": KEY, "phone": PHONE}))
    assert joined == LinkJoinedPush(bytes(range(32)), PHONE)
    assert parse_push(Push("link_relay", {"body": "AAE="})) == LinkRelayPush(b"\x00\x01")
    assert parse_push(Push("link_done", {"device": 4})) == LinkDonePush(4)


@pytest.mark.parametrize("devices", [[], [2, 1], [1, 1], [0], ["1"], None])
def test_a_devices_list_must_be_ascending_ids_each_once(devices: object) -> None:
    with pytest.raises(RemoteProtocolError) as caught:
        parse_push(Push("devices_changed", {"devices": devices}))
    assert caught.value.code == BAD_REPLY and caught.value.message.startswith("devices_changed push.devices")


def test_login_and_get_bundle_say_the_device_and_the_devices() -> None:
    login = LOGIN.parse({"phone": PHONE, "queued": 0, "device": 3, "devices": [1, 3]})
    assert (login.device, login.devices) == (3, (1, 3))
    assert LOGIN.parse({"phone": PHONE, "queued": 0}).devices == (1,)  # a server before devices


def test_from_device_comes_with_every_message_and_defaults_to_1() -> None:
    message = {"id": 1, "from": PHONE, "from_device": 2, "body": "AA==", "ts": 5}
    assert FETCH.parse({"messages": [message], "more": False}).messages[0].sender_device == 2
    assert (
        STORED_MESSAGE_PUSH.parse(
            {k: v for k, v in message.items() if k != "from_device"}
        ).message.sender_device
        == 1
    )
    with pytest.raises(RemoteProtocolError, match=r"from_device"):
        FETCH.parse({"messages": [{**message, "from_device": 0}], "more": False})
    assert GET_BUNDLE.fields[-1].name == "devices"


def test_a_copy_refused_for_its_devices_carries_them_and_results_are_matched_by_device() -> None:
    reply = SEND_MANY.parse(
        {
            "results": [
                {"to": PHONE, "device": 1, "status": "devices_changed", "devices": [1, 2]},
                {"to": PHONE, "device": 2, "status": "devices_changed", "devices": [1, 2]},
            ]
        }
    )
    assert reply.results[0] == CopyResult(PHONE, CopyStatus.DEVICES_CHANGED, device=1, devices=(1, 2))
    assert answers_in_order(reply, [PHONE, PHONE], [1, 2])
    assert not answers_in_order(reply, [PHONE, PHONE], [2, 1])
    with pytest.raises(RemoteProtocolError, match=r"needs its devices"):
        SEND_MANY.parse({"results": [{"to": PHONE, "status": "devices_changed"}]})
    assert PendingSendMany(1, (PHONE,), False).devices == ()


def test_an_error_carries_its_devices_over_the_wire_and_into_the_exception() -> None:
    server, client = Connection(Role.SERVER), Connection(Role.CLIENT)
    request_id, data = client.request("ping")
    server.receive_data(data)
    server.next_event()
    client.receive_data(server.send(ErrorReply(request_id, "devices_changed", "changed", (1, 4))))
    event = client.next_event()
    assert isinstance(event, ErrorReply) and event.devices == (1, 4)
    refused = event.exception()
    assert isinstance(refused, RequestRefused) and refused.devices == (1, 4)
    assert "devices=[1, 4]" in repr(refused)
    request_id, data = client.request("ping")
    server.receive_data(data)
    server.next_event()
    client.receive_data(server.send(ErrorReply(request_id, "bad_request", "no")))
    plain = client.next_event()
    assert isinstance(plain, ErrorReply) and plain.devices is None


def test_an_error_with_malformed_devices_breaks_the_frame() -> None:
    import json

    from net.protocol.frames import encode_frame

    client = Connection(Role.CLIENT)
    request_id, _ = client.request("ping")
    frame = {
        "re": request_id,
        "ok": False,
        "error": {"code": "devices_changed", "message": "x", "devices": [3, 1]},
    }
    client.receive_data(encode_frame(json.dumps(frame).encode()))
    with pytest.raises(RemoteProtocolError, match="ascending device ids"):
        client.next_event()
