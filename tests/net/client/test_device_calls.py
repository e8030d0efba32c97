"""The client's typed device calls over real TLS against a real server: login and bundles per device,
linking through two connections, list/rename/unlink, and send_many items naming devices."""

from __future__ import annotations

import time

from conftest import InProcessServer, fresh_phone
from device_support import NewDevice
from wire_client import Person

from net.client.transport import ServerConnection
from net.protocol import device_replies, replies
from net.protocol.copy_results import CopyStatus
from net.protocol.device_replies import DevicesChangedPush, LinkDonePush, LinkJoinedPush, LinkRelayPush
from net.protocol.devices import sign_link
from net.protocol.errors import RequestRefused
from net.protocol.login import login_statement, sign_login
from net.protocol.replies import ServerPush


def connect(server: InProcessServer, pushes: list[ServerPush] | None = None) -> ServerConnection:
    kept = pushes if pushes is not None else []
    return ServerConnection.open(*server.address, on_push=kept.append, timeout=10)


def logged_in(
    server: InProcessServer, pushes: list[ServerPush] | None = None
) -> tuple[Person, ServerConnection]:
    person, conn = Person(fresh_phone()), connect(server, pushes)
    started = conn.call("register_start", phone=person.phone, email=person.email)
    person.took(started)
    conn.call("register_finish", **person.finish_args(server.codes.last(person.phone)))
    nonce = conn.request(replies.CHALLENGE, phone=person.phone).nonce
    login = conn.login(person.phone, sign_login(person.identity, nonce, person.phone, conn.fingerprint))
    assert (login.device, login.devices) == (1, (1,))
    return person, conn


def pumped(conn: ServerConnection, pushes: list[ServerPush], kind: type) -> object:
    """The first push of ``kind``, read as it arrives (within 10 s)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = [p for p in pushes if isinstance(p, kind)]
        if found:
            pushes.remove(found[0])
            return found[0]
        conn.pump()
        time.sleep(0.01)
    raise AssertionError(f"no {kind.__name__}")


def test_a_device_is_linked_listed_renamed_and_unlinked_with_the_typed_calls(server: InProcessServer) -> None:
    first_pushes: list[ServerPush] = []
    new_pushes: list[ServerPush] = []
    alice, first = logged_in(server, first_pushes)
    new = connect(server, new_pushes)
    opened = new.link_open(b"N" * 32)
    assert opened.expires_in == 600 and "code" not in repr(opened)
    own_key = NewDevice(alice).public  # device 1's own login key: joining needs one
    assert first.set_login_key(own_key) == device_replies.SetLoginKeyReply()
    assert first.link_join(opened.code, b"E" * 32).key == b"N" * 32
    joined = pumped(new, new_pushes, LinkJoinedPush)
    assert joined == LinkJoinedPush(b"E" * 32, alice.phone)
    new.link_relay(opened.code, b"hello")
    assert pumped(first, first_pushes, LinkRelayPush) == LinkRelayPush(b"hello")
    device = NewDevice(alice)
    signature = sign_link(alice.identity, opened.code, alice.phone, device.public, new.fingerprint)
    linked = new.link_device(
        opened.code,
        device.public,
        b"sealed",
        device.signed_prekey.public(),
        device.last_resort.public(),
        signature,
        one_time_prekeys=[k.public() for k in device.one_time],
        kem_prekeys=[k.public() for k in device.kem],
    )
    assert (linked.phone, linked.device) == (alice.phone, 2)
    assert pumped(first, first_pushes, LinkDonePush) == LinkDonePush(2)
    assert pumped(first, first_pushes, DevicesChangedPush) == DevicesChangedPush((1, 2))
    nonce = new.request(replies.CHALLENGE, phone=alice.phone).nonce
    login = new.login(
        alice.phone, device.key.sign(login_statement(nonce, alice.phone, new.fingerprint)), device=2
    )
    assert (login.device, login.devices) == (2, (1, 2))
    new.set_device_name(b"laptop")
    listed = first.list_devices().devices
    assert [(d.device, d.name, d.current) for d in listed] == [(1, b"", True), (2, b"laptop", False)]
    bundle = first.get_bundle(alice.phone, device=2)
    assert (bundle.device, bundle.devices, bundle.bundle.signed_prekey.key_id) == (2, (1, 2), 11)
    try:
        first.get_bundle(alice.phone, device=9)
    except RequestRefused as refused:
        assert (refused.code, refused.devices) == ("devices_changed", (1, 2))
    else:
        raise AssertionError("a bundle of a device the account lacks")
    assert first.unlink_device(2).devices == (1,)


def test_send_many_items_name_devices_and_a_changed_set_comes_back_typed(server: InProcessServer) -> None:
    _alice, a = logged_in(server)
    bob, b = logged_in(server)
    reply = a.send_many("m-1", [(bob.phone, 1, b"x")])
    assert reply.results[0].status is CopyStatus.STORED and reply.results[0].device == 1
    old_style = a.send_many("m-2", [(bob.phone, b"y")])  # (phone, body) still means device 1
    assert old_style.results[0].stored
    changed = a.send_many("m-3", [(bob.phone, 1, b"z"), (bob.phone, 2, b"z")])
    assert [r.status for r in changed.results] == [CopyStatus.DEVICES_CHANGED] * 2
    assert changed.results[0].devices == (1,)
    sent = a.start_send(bob.phone, "s-1", b"w", device=1)
    assert a.wait_typed(replies.SEND, sent).duplicate is False
    assert len(b.request(replies.FETCH).messages) == 3
