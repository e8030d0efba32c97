"""An account's devices over real TLS: list, rename, unlink (and what an unlinked device meets), and an
account of several devices re-registered, moved or deleted."""

from __future__ import annotations

from conftest import InProcessServer, fresh_phone
from device_support import NEW_KEY, NewDevice, b64, link_device, registered
from wire_client import Person, WireClient

from net.protocol.connection import ErrorReply
from net.protocol.login import login_statement


def login_reply(client: WireClient, phone: str, device: NewDevice, number: int) -> ErrorReply:
    """A refused login of (phone, number) signed with ``device``'s own key."""
    nonce = b64(client.call("challenge", phone=phone)["nonce"])
    signature = device.key.sign(login_statement(nonce, phone, client.fingerprint))
    reply = client.request("login", phone=phone, signature=signature, device=number)
    assert isinstance(reply, ErrorReply), reply
    return reply


def devices_of(client: WireClient) -> list[int]:
    return [d["device"] for d in client.call("list_devices")["devices"]]


def test_devices_are_listed_with_their_sealed_names_and_renamed_by_themselves(
    server: InProcessServer,
) -> None:
    alice, first = registered(server, fresh_phone())
    _, second = link_device(server, alice, first)
    listed = first.call("list_devices")["devices"]
    assert [(d["device"], b64(d["name"]) if d["name"] else b"", d["current"]) for d in listed] == [
        (1, b"", True),
        (2, b"sealed name", False),
    ]
    assert all(d["created"] > 0 and d["last_seen"] >= d["created"] for d in listed)
    assert first.call("set_device_name", name=b"office") == {}
    assert second.call("set_device_name", name=b"") == {}
    names = {d["device"]: d["name"] for d in second.call("list_devices")["devices"]}
    assert (b64(names[1]), names[2]) == (b"office", "")
    assert [d["current"] for d in second.call("list_devices")["devices"]] == [False, True]
    assert first.refused("set_device_name", name="A" * 700) == "bad_request"  # more than 512 bytes


def test_an_unlinked_device_is_closed_refused_and_its_queue_is_gone(server: InProcessServer) -> None:
    alice, first = registered(server, fresh_phone())
    _bob, b = registered(server, fresh_phone())
    device, second = link_device(server, alice, first)
    first.wait_push("devices_changed")
    items = [
        {"to": alice.phone, "device": 1, "body": b"one"},
        {"to": alice.phone, "device": 2, "body": b"two"},
    ]
    assert [r["status"] for r in b.call("send_many", client_id="m-1", items=items)["results"]] == [
        "stored"
    ] * 2
    store = server.running.store
    assert store.queued_count(alice.phone, 2) == 1
    assert first.call("unlink_device", device=2) == {"devices": [1]}
    assert second.wait_push("session_ended").body == {"reason": "unlinked"}
    assert second.wait_closed()
    assert first.wait_push("devices_changed").body == {"devices": [1]}
    assert store.queued_count(alice.phone, 2) == 0 and store.prekey_counts(alice.phone, 2) == (0, 0)
    again = server.connect()
    reply = login_reply(again, alice.phone, device, 2)
    assert reply.code == "device_unlinked"
    assert reply.message.startswith("This computer was unlinked from the account")
    # It cannot add itself back: joining a link needs a logged-in device of the account.
    assert again.refused("link_join", code="A" * 16, key=NEW_KEY) == "not_logged_in"
    # A send naming the removed device is refused with what remains.
    refused = b.request("send_many", client_id="m-2", items=items)
    assert refused.body["results"][0]["status"] == "devices_changed"  # type: ignore[union-attr]
    assert refused.body["results"][0]["devices"] == [1]  # type: ignore[union-attr]
    assert devices_of(first) == [1]


def test_a_device_may_unlink_itself_but_not_the_last_one(server: InProcessServer) -> None:
    alice, first = registered(server, fresh_phone())
    _, second = link_device(server, alice, first)
    assert second.call("unlink_device", device=2) == {"devices": [1]}
    assert second.wait_push("session_ended").body == {"reason": "unlinked"} and second.wait_closed()
    assert first.refused("unlink_device", device=1) == "bad_request"
    reply = first.request("unlink_device", device=7)
    assert isinstance(reply, ErrorReply) and (reply.code, reply.devices) == ("devices_changed", (1,))
    assert "time" in first.call("ping")


def test_a_re_registration_removes_every_device_and_ids_start_again(server: InProcessServer) -> None:
    alice, first = registered(server, fresh_phone())
    device, second = link_device(server, alice, first)
    successor = Person(alice.phone, email=alice.email)
    other = server.connect()
    successor.register(other, server.codes)  # a code to the address on file, no lock
    for client in (first, second):
        assert client.wait_push("session_ended").body == {"reason": "re_registered"}
        assert client.wait_closed()
    login = successor.login(other)
    assert (login["device"], login["devices"]) == (1, [1])
    old = server.connect()
    assert login_reply(old, alice.phone, device, 2).code == "login_failed"  # no record of it is left
    successor.own_login_key(other)
    assert link_device(server, successor, other)[0].number == 2


def test_a_move_of_an_account_of_several_devices_needs_one_of_them_logged_in(server: InProcessServer) -> None:
    alice, first = registered(server, fresh_phone())
    _, second = link_device(server, alice, first)
    first.wait_push("devices_changed")
    thief = server.connect()  # holds the identity key (an unlinked computer would), not logged in
    mover = Person(alice.phone)
    assert thief.refused("register_finish", **mover.move_args(thief, alice.identity)) == "proof_failed"
    assert devices_of(first) == [1, 2]
    assert first.call("register_finish", **mover.move_args(first, alice.identity))["replaced"] is True
    assert second.wait_push("session_ended").body == {"reason": "re_registered"}
    assert "time" in first.call("ping") and devices_of(first) == [1]  # it stays, as the new device 1


def test_deleting_the_account_closes_every_device(server: InProcessServer) -> None:
    alice, first = registered(server, fresh_phone())
    _, second = link_device(server, alice, first)
    assert first.call("delete_account") == {"deleted": True}
    assert second.wait_push("session_ended").body == {"reason": "account_deleted"}
    assert second.wait_closed() and first.wait_closed()
    assert server.running.store.device_ids(alice.phone) == []


def identity_login(client: WireClient, person: Person) -> ErrorReply | dict[str, object]:
    """A login of device 1 signed with the identity key (what any holder of the identity can sign)."""
    nonce = b64(client.call("challenge", phone=person.phone)["nonce"])
    signature = person.identity.sign(login_statement(nonce, person.phone, client.fingerprint))
    reply = client.request("login", phone=person.phone, signature=signature)
    return reply if isinstance(reply, ErrorReply) else reply.body


def test_after_set_login_key_the_identity_key_no_longer_logs_device_1_in(server: InProcessServer) -> None:
    alice, first = Person(fresh_phone()), server.connect()
    alice.register(first, server.codes)
    alice.login(first)
    assert first.refused("set_login_key", key=b"short") == "bad_key"
    alice.own_login_key(first)  # set_login_key with a fresh key: {}
    thief = server.connect()  # holds the identity key pair, as every linked computer does
    refused = identity_login(thief, alice)
    assert isinstance(refused, ErrorReply) and refused.code == "login_failed"
    again = server.connect()
    assert alice.login(again)["device"] == 1  # the own key does


def test_register_finish_with_a_device_key_never_lets_the_identity_key_log_in(
    server: InProcessServer,
) -> None:
    alice, client = Person(fresh_phone()), server.connect()
    alice.start(client)
    own = NewDevice(alice)
    finish = {**alice.finish_args(server.codes.last(alice.phone)), "device_key": own.public}
    assert client.call("register_finish", **finish)["replaced"] is False
    refused = identity_login(server.connect(), alice)
    assert isinstance(refused, ErrorReply) and refused.code == "login_failed"
    own.number = 1
    assert own.login(client)["device"] == 1


def test_a_device_logging_in_with_the_identity_key_may_not_join_a_link(server: InProcessServer) -> None:
    alice, first = Person(fresh_phone()), server.connect()
    alice.register(first, server.codes)
    alice.login(first)
    new = server.connect()
    code = new.call("link_open", key=NEW_KEY)["code"]
    reply = first.request("link_join", code=code, key=NEW_KEY)
    assert isinstance(reply, ErrorReply) and reply.code == "login_key_required"
    assert "set_login_key" in reply.message
    assert new.no_push_within(0.3)  # the opener learnt nothing
    alice.own_login_key(first)
    assert b64(first.call("link_join", code=code, key=NEW_KEY)["key"]) == NEW_KEY


def test_an_unlinked_computer_cannot_log_in_as_device_1_nor_link_itself_back(server: InProcessServer) -> None:
    alice, first = registered(server, fresh_phone())
    device, second = link_device(server, alice, first)
    assert first.call("unlink_device", device=device.number) == {"devices": [1]}
    assert second.wait_closed()
    stolen = server.connect()  # the unlinked computer: it has the identity key and its own old key
    refused = identity_login(stolen, alice)
    assert isinstance(refused, ErrorReply) and refused.code == "login_failed"
    assert login_reply(stolen, alice.phone, device, device.number).code == "device_unlinked"
    assert devices_of(first) == [1]


def test_a_move_needs_a_logged_in_device_once_the_account_had_a_linked_one(server: InProcessServer) -> None:
    alice, first = registered(server, fresh_phone())
    device, second = link_device(server, alice, first)
    first.call("unlink_device", device=device.number)  # back to one device
    assert second.wait_closed()
    thief = server.connect()  # the unlinked computer still holds the identity key
    mover = Person(alice.phone)
    assert thief.refused("register_finish", **mover.move_args(thief, alice.identity)) == "proof_failed"
    assert devices_of(first) == [1]
    assert first.call("register_finish", **mover.move_args(first, alice.identity))["replaced"] is True
