"""Linking a device over real TLS, two real connections: open, join, relay, link_device, and every refusal."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
from conftest import InProcessServer, fresh_phone
from device_support import EXISTING_KEY, NEW_KEY, NewDevice, b64, link_device, open_and_join, registered
from wire_client import CodeBook, Person

from crypto_core.keys import IdentityKeyPair
from net.protocol.connection import ErrorReply, Request, encode_json
from net.protocol.devices import make_link_code, sign_link
from net.protocol.errors import RequestRefused
from net.protocol.schema import OPERATIONS
from net.server.codes import CodeHasher
from net.server.limits import Limits
from net.server.service import Service
from storage.server.interface import ServerStore


def devices_of(client: object) -> list[int]:
    return [d["device"] for d in client.call("list_devices")["devices"]]  # type: ignore[attr-defined]


def test_a_device_is_linked_through_two_connections_and_logs_in_with_its_own_key(
    server: InProcessServer,
) -> None:
    alice, first = registered(server, fresh_phone())
    new = server.connect()
    opened = new.call("link_open", key=NEW_KEY)
    code = opened["code"]
    assert len(code) == 16 and set(code) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert opened["expires_in"] == 600
    assert b64(first.call("link_join", code=code, key=EXISTING_KEY)["key"]) == NEW_KEY
    joined = new.wait_push("link_joined")
    assert (b64(joined.body["key"]), joined.body["phone"]) == (EXISTING_KEY, alice.phone)
    device = NewDevice(alice)
    assert new.call("link_device", **device.link_args(code, new.fingerprint)) == {
        "phone": alice.phone,
        "device": 2,
    }
    assert first.wait_push("link_done").body == {"device": 2}
    assert first.wait_push("devices_changed").body == {"devices": [1, 2]}
    device.number = 2
    login = device.login(new)
    assert (login["device"], login["devices"], login["queued"]) == (2, [1, 2], 0)
    assert "time" in first.call("ping")  # the first device stays online
    assert devices_of(first) == [1, 2]


def test_a_wrong_code_is_link_not_found_and_links_nothing(server: InProcessServer) -> None:
    alice, first = registered(server, fresh_phone())
    new = server.connect()
    code = new.call("link_open", key=NEW_KEY)["code"]
    wrong = make_link_code()
    assert first.refused("link_join", code=wrong, key=EXISTING_KEY) == "link_not_found"
    assert new.no_push_within(0.3)
    device = NewDevice(alice)
    # Not joined: the opener cannot link, nor relay.
    assert new.refused("link_device", **device.link_args(code, new.fingerprint)) == "link_not_found"
    assert new.refused("link_relay", code=code, body=b"x") == "link_not_found"
    assert devices_of(first) == [1]
    assert first.refused("link_join", code="lowercase-is-bad", key=EXISTING_KEY) == "bad_request"


def test_relay_passes_bodies_both_ways_and_only_between_the_two_ends(server: InProcessServer) -> None:
    _alice, first = registered(server, fresh_phone())
    _mallory, other = registered(server, fresh_phone())
    new, code = open_and_join(server, first)
    assert new.call("link_relay", code=code, body=b"from the new one") == {}
    assert b64(first.wait_push("link_relay").body["body"]) == b"from the new one"
    assert first.call("link_relay", code=code, body=b"provisioning") == {}
    assert b64(new.wait_push("link_relay").body["body"]) == b"provisioning"
    assert other.refused("link_relay", code=code, body=b"x") == "link_not_found"
    assert other.refused("link_join", code=code, key=EXISTING_KEY) == "link_not_found"  # joined already
    assert first.no_push_within(0.2) and new.no_push_within(0.2)


def test_a_bad_signature_links_nothing_and_uses_the_link_up(server: InProcessServer) -> None:
    alice, first = registered(server, fresh_phone())
    new, code = open_and_join(server, first)
    device = NewDevice(alice)
    forged = sign_link(IdentityKeyPair.generate(), code, alice.phone, device.public, new.fingerprint)
    assert new.refused("link_device", **device.link_args(code, new.fingerprint, signature=forged)) == (
        "bad_signature"
    )
    assert devices_of(first) == [1]
    assert new.refused("link_device", **device.link_args(code, new.fingerprint)) == "link_not_found"
    assert first.no_push_within(0.3)  # no link_done, no devices_changed


def test_prekeys_not_signed_by_the_identity_are_refused(server: InProcessServer) -> None:
    alice, first = registered(server, fresh_phone())
    new, code = open_and_join(server, first)
    foreign = NewDevice(Person(fresh_phone()))  # prekeys signed by someone else's identity
    args = NewDevice(alice).link_args(code, new.fingerprint, signed_prekey=foreign.signed_prekey.public())
    assert new.refused("link_device", **args) == "bad_signature"
    assert devices_of(first) == [1]


def test_a_sixth_device_is_too_many_at_the_join_and_at_link_device(server: InProcessServer) -> None:
    alice, first = registered(server, fresh_phone())
    numbers = [link_device(server, alice, first)[0].number for _ in range(3)]
    assert numbers == [2, 3, 4]
    # Two links joined at four devices: the second link_device finds five (the store's own check).
    (new_a, code_a), (new_b, code_b) = open_and_join(server, first), open_and_join(server, first)
    assert new_a.call("link_device", **NewDevice(alice).link_args(code_a, new_a.fingerprint))["device"] == 5
    assert (
        new_b.refused("link_device", **NewDevice(alice).link_args(code_b, new_b.fingerprint))
        == "too_many_devices"
    )
    # At five devices a join is refused at once: no secret reaches the new computer.
    new = server.connect()
    code = new.call("link_open", key=NEW_KEY)["code"]
    assert first.refused("link_join", code=code, key=EXISTING_KEY) == "too_many_devices"
    assert new.no_push_within(0.3)
    assert devices_of(first) == [1, 2, 3, 4, 5]


def test_a_code_dies_with_its_connection_and_a_new_one_replaces_it(server: InProcessServer) -> None:
    _alice, first = registered(server, fresh_phone())
    new = server.connect()
    old_code = new.call("link_open", key=NEW_KEY)["code"]
    code = new.call("link_open", key=NEW_KEY)["code"]
    assert first.refused("link_join", code=old_code, key=EXISTING_KEY) == "link_not_found"
    assert len(server.running.service.links) == 1
    new.close()
    deadline = time.monotonic() + 10
    while len(server.running.service.links):  # the server's loop sees the connection close
        assert time.monotonic() < deadline, "the link outlived its connection"
        time.sleep(0.02)
    reply = first.request("link_join", code=code, key=EXISTING_KEY)
    assert isinstance(reply, ErrorReply) and reply.code == "link_not_found"


def test_joins_are_limited_per_account_found_or_not(server_factory: Callable[..., InProcessServer]) -> None:
    server = server_factory(limits=Limits(link_joins_per_account=2, link_opens_per_address=3))
    _alice, first = registered(server, fresh_phone())
    for _ in range(2):
        assert first.refused("link_join", code=make_link_code(), key=EXISTING_KEY) == "link_not_found"
    new = server.connect()
    code = new.call("link_open", key=NEW_KEY)["code"]
    assert first.refused("link_join", code=code, key=EXISTING_KEY) == "rate_limited"  # even the right one
    for _ in range(2):
        new.call("link_open", key=NEW_KEY)
    assert new.refused("link_open", key=NEW_KEY) == "rate_limited"


def test_a_logged_in_connection_cannot_use_link_device_and_joining_needs_a_login(
    server: InProcessServer,
) -> None:
    alice, first = registered(server, fresh_phone())
    stranger = server.connect()
    assert stranger.refused("link_join", code=make_link_code(), key=EXISTING_KEY) == "not_logged_in"
    assert first.refused("link_open", key=NEW_KEY) == "already_logged_in"
    _bob, second = registered(server, fresh_phone())
    new, code = open_and_join(server, second)
    alice.login(new)  # the opening connection logs in (as alice's device 1; first is displaced)
    assert new.refused("link_device", **NewDevice(alice).link_args(code, new.fingerprint)) == (
        "already_logged_in"
    )


def refused_soon(client: object, op: str, **args: object) -> None:
    """``op`` is refused ``link_not_found`` within seconds (the server's loop sees a close)."""
    deadline = time.monotonic() + 10
    while True:
        reply = client.request(op, **args)  # type: ignore[attr-defined]
        if isinstance(reply, ErrorReply) and reply.code == "link_not_found":
            return
        assert time.monotonic() < deadline, f"{op} still reached a closed end: {reply}"
        time.sleep(0.05)


def test_a_join_asked_again_by_its_connection_answers_and_pushes_again(server: InProcessServer) -> None:
    _alice, first = registered(server, fresh_phone())
    new, code = open_and_join(server, first)
    assert b64(first.call("link_join", code=code, key=EXISTING_KEY)["key"]) == NEW_KEY
    assert b64(new.wait_push("link_joined").body["key"]) == EXISTING_KEY
    assert first.refused("link_join", code=code, key=NEW_KEY) == "link_not_found"  # another key: no


def test_a_link_ends_with_its_joiner_and_relays_only_to_an_open_end(server: InProcessServer) -> None:
    alice, first = registered(server, fresh_phone())
    new, code = open_and_join(server, first)
    new.close()
    refused_soon(first, "link_relay", code=code, body=b"x")  # the opener went away
    other = server.connect()
    other_code = other.call("link_open", key=NEW_KEY)["code"]
    joiner = server.connect()
    alice.login(joiner)  # device 1 again, on a connection of its own (first is displaced)
    joiner.call("link_join", code=other_code, key=EXISTING_KEY)
    other.wait_push("link_joined")
    joiner.close()
    refused_soon(other, "link_relay", code=other_code, body=b"x")  # the joiner went away
    deadline = time.monotonic() + 10
    while len(server.running.service.links):  # the joiner's close ends the link it joined
        assert time.monotonic() < deadline, "the link outlived its joiner"
        time.sleep(0.02)
    assert other.refused("link_device", **NewDevice(alice).link_args(other_code, other.fingerprint)) == (
        "link_not_found"
    )


class _Session:
    """A connection without a socket, recording its pushes (the service's view of one)."""

    def __init__(self, phone: str | None = None) -> None:
        self.peer = "192.0.2.7:40000"
        self.phone = phone
        self.device = 1
        self.challenge: tuple[str, bytes] | None = None
        self.pushes: list[tuple[str, dict[str, object]]] = []

    def push(self, kind: str, body: dict[str, object]) -> bool:
        self.pushes.append((kind, body))
        return True

    def end(self) -> None:
        pass


def registered_session(call: Callable[..., dict[str, object]], codes: CodeBook, phone: str) -> _Session:
    """A session logged in as a new account's device 1 with its own login key (register_finish's)."""
    person, session = Person(phone), _Session()
    person.took(call(session, "register_start", phone=phone, email=person.email))
    own = NewDevice(person)
    call(session, "register_finish", **person.finish_args(codes.last(phone)), device_key=own.public)
    session.phone = phone  # the service's view of a logged-in connection
    return session


def test_a_code_lives_ten_minutes_on_the_servers_clock(store: ServerStore) -> None:
    now = [1_700_000_000.0]
    codes = CodeBook()
    service = Service(store, codes, CodeHasher(b"k" * 32), bytes(32), clock=lambda: now[0])
    ids = iter(range(1, 100))

    def call(session: _Session, op: str, **raw: object) -> dict[str, object]:
        args = OPERATIONS[op].parse(json.loads(encode_json(raw)))
        outcome = service.handle(session, Request(next(ids), op, args)).settled()
        if outcome.then is not None:
            outcome.then()
        return outcome.body

    try:
        early, late = _Session(), _Session()
        early_code = str(call(early, "link_open", key=NEW_KEY)["code"])
        now[0] += 300
        late_code = str(call(late, "link_open", key=NEW_KEY)["code"])
        now[0] += 300  # the first is 600 s old now, the second 300 s
        joiner = registered_session(call, codes, "+442079460001")
        with pytest.raises(RequestRefused) as caught:
            call(joiner, "link_join", code=early_code, key=EXISTING_KEY)
        assert caught.value.code == "link_not_found"
        assert call(joiner, "link_join", code=late_code, key=EXISTING_KEY) == {"key": NEW_KEY}
        assert [kind for kind, _ in late.pushes] == ["link_joined"] and early.pushes == []
    finally:
        store.close()


def test_expired_links_are_swept_by_the_loops_tick_and_refused_joins_count_nothing(
    store: ServerStore,
) -> None:
    now = [1_700_000_000.0]
    codes = CodeBook()
    limits = Limits(link_joins_per_account=1, link_joins_per_address=1)
    service = Service(store, codes, CodeHasher(b"k" * 32), bytes(32), limits=limits, clock=lambda: now[0])
    ids = iter(range(1, 100))

    def call(session: _Session, op: str, **raw: object) -> dict[str, object]:
        args = OPERATIONS[op].parse(json.loads(encode_json(raw)))
        return service.handle(session, Request(next(ids), op, args)).settled().body

    def refusal(session: _Session, op: str, **raw: object) -> str:
        with pytest.raises(RequestRefused) as caught:
            call(session, op, **raw)
        return str(caught.value.code)

    try:
        for _ in range(3):
            call(_Session(), "link_open", key=NEW_KEY)
        assert len(service.links) == 3
        now[0] += 601
        service.tick()  # nobody looks the codes up: the tick drops them
        assert len(service.links) == 0
        first = registered_session(call, codes, "+442079460001")
        second = registered_session(call, codes, "+442079460002")
        assert refusal(first, "link_join", code=make_link_code(), key=EXISTING_KEY) == "link_not_found"
        assert refusal(second, "link_join", code=make_link_code(), key=EXISTING_KEY) == "rate_limited"
        second.peer = "198.51.100.9:40000"  # the same account from another address: its try was not counted
        assert refusal(second, "link_join", code=make_link_code(), key=EXISTING_KEY) == "link_not_found"
    finally:
        store.close()
