"""The service's operations per device over real TLS: login, presence, get_bundle, send and send_many
completeness (Sesame's rule), from_device, and queues, acknowledgements and caps per device."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conftest import InProcessServer, fresh_phone
from device_support import b64, link_device, registered
from wire_client import WireClient

from net.protocol.connection import ErrorReply, Reply
from net.protocol.copy_results import SEND_MANY
from net.protocol.login import sign_login
from net.server.limits import Limits


def item(to: str, device: int, body: bytes) -> dict[str, Any]:
    return {"to": to, "device": device, "body": body}


def results(client: WireClient, client_id: str, *items: dict[str, Any]) -> list[dict[str, Any]]:
    reply = client.request("send_many", client_id=client_id, items=list(items))
    assert isinstance(reply, Reply), reply
    SEND_MANY.parse(reply.body)  # the shape the client checks
    found: list[dict[str, Any]] = reply.body["results"]
    return found


def refused(reply: Reply | ErrorReply) -> ErrorReply:
    assert isinstance(reply, ErrorReply), reply
    return reply


def bodies(client: WireClient) -> list[tuple[str, int, bytes]]:
    return [(m["from"], m["from_device"], b64(m["body"])) for m in client.call("fetch")["messages"]]


def test_a_login_displaces_only_the_same_device(server: InProcessServer) -> None:
    alice, first = registered(server, fresh_phone())
    device, second = link_device(server, alice, first)
    third = server.connect()
    assert device.login(third)["device"] == 2
    assert second.wait_push("session_ended").body == {"reason": "logged_in_elsewhere"}
    assert second.wait_closed()
    assert "time" in first.call("ping") and "time" in third.call("ping")
    assert alice.login(server.connect())["devices"] == [1, 2]
    assert first.wait_push("session_ended").body == {"reason": "logged_in_elsewhere"}
    assert "time" in third.call("ping")  # device 2 stays


def test_a_device_logs_in_only_with_its_own_key(server: InProcessServer) -> None:
    alice, first = registered(server, fresh_phone())
    link_device(server, alice, first)
    client = server.connect()
    nonce = b64(client.call("challenge", phone=alice.phone)["nonce"])
    signature = sign_login(alice.identity, nonce, alice.phone, client.fingerprint)  # device 1's key
    assert client.refused("login", phone=alice.phone, signature=signature, device=2) == "login_failed"
    nonce = b64(client.call("challenge", phone=alice.phone)["nonce"])
    signature = sign_login(alice.identity, nonce, alice.phone, client.fingerprint)
    assert client.refused("login", phone=alice.phone, signature=signature, device=3) == "login_failed"


def test_a_bundle_is_a_devices_and_one_time_prekeys_are_per_device(server: InProcessServer) -> None:
    alice, first = registered(server, fresh_phone())
    device, _ = link_device(server, alice, first)
    _bob, b = registered(server, fresh_phone())
    second = b.call("get_bundle", phone=alice.phone, device=2)
    assert (second["device"], second["devices"]) == (2, [1, 2])
    assert second["bundle"]["signed_prekey"]["id"] == device.signed_prekey.key_id
    assert second["bundle"]["one_time_prekey"]["id"] == device.one_time[0].key_id
    assert b.call("get_bundle", phone=alice.phone, device=2)["bundle"]["one_time_prekey"]["id"] == 501
    assert "one_time_prekey" not in b.call("get_bundle", phone=alice.phone, device=2)["bundle"]
    default = b.call("get_bundle", phone=alice.phone)  # no device: the lowest
    assert (default["device"], default["bundle"]["one_time_prekey"]["id"]) == (1, alice.one_time[0].key_id)
    absent = refused(b.request("get_bundle", phone=alice.phone, device=3))
    assert (absent.code, absent.devices) == ("devices_changed", (1, 2))
    assert first.call("prekey_count") == {"one_time": 2, "kem": 1}  # device 1's: one of each taken


def test_a_send_must_name_every_device_of_its_recipient(server: InProcessServer) -> None:
    alice, a = registered(server, fresh_phone())
    bob, b1 = registered(server, fresh_phone())
    _, b2 = link_device(server, bob, b1)
    one = refused(a.request("send", to=bob.phone, client_id="s-1", body=b"x"))
    assert (one.code, one.devices) == ("devices_changed", (1, 2))
    missing = results(a, "m-1", item(bob.phone, 1, b"x"))
    assert missing == [{"to": bob.phone, "device": 1, "status": "devices_changed", "devices": [1, 2]}]
    extra = results(a, "m-1", item(bob.phone, 1, b"x"), item(bob.phone, 2, b"x"), item(bob.phone, 3, b"x"))
    assert [r["status"] for r in extra] == ["devices_changed"] * 3
    assert bodies(b1) == [] and bodies(b2) == []  # nothing stored for a refused recipient
    stored = results(a, "m-1", item(bob.phone, 2, b"for two"), item(bob.phone, 1, b"for one"))
    assert [(r["device"], r["status"]) for r in stored] == [(2, "stored"), (1, "stored")]
    assert b1.wait_push().body["from_device"] == 1 and b2.wait_push().body["from_device"] == 1
    assert bodies(b1) == [(alice.phone, 1, b"for one")] and bodies(b2) == [(alice.phone, 1, b"for two")]
    again = results(a, "m-1", item(bob.phone, 1, b"for one"), item(bob.phone, 2, b"for two"))
    assert [r["status"] for r in again] == ["duplicate", "duplicate"]


def test_copies_to_the_own_number_go_to_the_other_devices_never_the_sending_one(
    server: InProcessServer,
) -> None:
    alice, a1 = registered(server, fresh_phone())
    _, a2 = link_device(server, alice, a1)
    a1.wait_push("devices_changed")
    bob, b = registered(server, fresh_phone())
    sending = refused(
        a2.request("send_many", client_id="m-1", items=[item(bob.phone, 1, b"x"), item(alice.phone, 2, b"x")])
    )
    assert sending.code == "bad_request" and "sending device" in sending.message
    wrong = results(a2, "m-1", item(bob.phone, 1, b"hi"), item(alice.phone, 3, b"sync"))
    assert [r["status"] for r in wrong] == ["stored", "devices_changed"] and wrong[1]["devices"] == [1, 2]
    synced = results(a2, "m-2", item(bob.phone, 1, b"hi again"), item(alice.phone, 1, b"sync"))
    assert [r["status"] for r in synced] == ["stored", "stored"]
    push = a1.wait_push()
    assert (push.body["from"], push.body["from_device"], b64(push.body["body"])) == (alice.phone, 2, b"sync")
    assert bodies(b) == [(alice.phone, 2, b"hi"), (alice.phone, 2, b"hi again")]
    assert bodies(a2) == []  # nothing for the sending device
    own = a1.call("send", to=alice.phone, client_id="s-1", body=b"one to one", device=2)
    assert not own["duplicate"] and bodies(a2) == [(alice.phone, 1, b"one to one")]
    assert refused(a1.request("send", to=alice.phone, client_id="s-2", body=b"x")).code == "bad_request"


def test_queues_and_acknowledgements_are_per_device(server: InProcessServer) -> None:
    alice, a = registered(server, fresh_phone())
    bob, b1 = registered(server, fresh_phone())
    _, b2 = link_device(server, bob, b1)
    got = results(a, "m-1", item(bob.phone, 1, b"one"), item(bob.phone, 2, b"two"))
    first, second = got[0]["id"], got[1]["id"]
    assert b1.call("ack", ids=[second]) == {"deleted": 0}  # not its queue
    assert b2.call("ack", ids=[second]) == {"deleted": 1}
    assert bodies(b2) == [] and bodies(b1) == [(alice.phone, 1, b"one")]
    assert b1.call("ack", ids=[first]) == {"deleted": 1}


def test_a_full_device_queue_refuses_every_copy_of_its_recipient(
    server_factory: Callable[..., InProcessServer],
) -> None:
    server = server_factory(limits=Limits(queue_cap=1))
    _alice, a = registered(server, fresh_phone())
    bob, b1 = registered(server, fresh_phone())
    link_device(server, bob, b1)
    results(a, "m-1", item(bob.phone, 1, b"x"), item(bob.phone, 2, b"x"))
    b1.call("ack", ids=[m["id"] for m in b1.call("fetch")["messages"]])  # device 2's queue stays full
    full = results(a, "m-2", item(bob.phone, 1, b"y"), item(bob.phone, 2, b"y"))
    assert [r["status"] for r in full] == ["queue_full", "queue_full"]
    assert bodies(b1) == []


def test_a_transient_send_reaches_the_named_device_only(server: InProcessServer) -> None:
    alice, a = registered(server, fresh_phone())
    bob, b1 = registered(server, fresh_phone())
    _, b2 = link_device(server, bob, b1)
    b1.wait_push("devices_changed")
    assert a.call("send", to=bob.phone, client_id="t-1", body=b"typing", transient=True, device=2) == {
        "delivered": True
    }
    push = b2.wait_push()
    assert (push.body["from_device"], push.body["transient"]) == (1, True)
    assert b1.no_push_within(0.3)
    assert a.call("send", to=bob.phone, client_id="t-2", body=b"x", transient=True, device=9) == {
        "delivered": False
    }
    many = results_transient(a, item(bob.phone, 1, b"t"), item(bob.phone, 2, b"t"))
    assert many == [
        {"to": bob.phone, "device": 1, "status": "delivered"},
        {"to": bob.phone, "device": 2, "status": "delivered"},
    ]
    assert alice.phone


def results_transient(client: WireClient, *items: dict[str, Any]) -> list[dict[str, Any]]:
    reply = client.request("send_many", client_id="t-3", items=list(items), transient=True)
    assert isinstance(reply, Reply), reply
    found: list[dict[str, Any]] = reply.body["results"]
    return found
