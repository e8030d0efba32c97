"""Registration without sockets: a real store in a temporary folder, an injected clock, sessions that record
pushes. The end-to-end versions over TLS against a server process are in
tests/e2e/test_registration_e2e.py."""

from __future__ import annotations

import pytest
from store_support import OpenStore, dump, rows
from test_service import Session, World, person
from wire_client import Person

from net.protocol.errors import RequestRefused
from net.server.limits import Limits
from net.server.verification import DeliveryError

DAY = 24 * 3600.0
LOCK = "correct horse battery"


@pytest.fixture
def world(open_test_store: OpenStore) -> World:
    return World(open_test_store, Limits(codes_per_hour=3, codes_per_address=5, codes_waiting=4))


def at(peer: str) -> Session:
    session = Session()
    session.peer = f"{peer}:5000"
    return session


def locked_owner(world: World) -> tuple[Person, Session]:
    """An account with a registration lock, logged in on the returned session."""
    owner = person()
    world.register(owner)
    online = world.login(owner)
    assert world.call(online, "set_registration_lock", lock=LOCK) == {"lock": True}
    return owner, online


def test_codes_count_per_number_and_address_and_per_address(world: World) -> None:
    number = person()
    for _ in range(3):
        world.start(number, at("192.0.2.1"))
    assert world.refused(at("192.0.2.1"), "register_start", phone=number.phone, email=number.email) == (
        "rate_limited"
    )
    world.start(number, at("192.0.2.2"))  # the same number from elsewhere is not blocked
    world.start(person(), at("192.0.2.1"))  # four of the address's five were asked (one refused)
    assert world.refused(at("192.0.2.1"), "register_start", phone=person().phone, email="a@example.org") == (
        "rate_limited"
    )


def test_a_numbers_live_codes_are_capped_and_none_is_evicted(world: World) -> None:
    number = person()
    tokens = [world.start(number, at(f"192.0.2.{n}"))["token"] for n in range(4)]
    assert world.refused(at("192.0.2.9"), "register_start", phone=number.phone, email="x@example.org") == (
        "rate_limited"
    )
    code = world.codes.last(number.phone)  # the fourth requester's code still works
    assert (
        world.call(Session(), "register_finish", **number.finish_args(code, tokens[3]))["replaced"] is False
    )
    world.clock.now += 601  # expired codes leave room again
    world.start(person(), at("192.0.2.9"))
    world.start(number, at("192.0.2.9"))


def test_the_owner_is_told_at_once_and_the_code_goes_to_the_address_on_file(world: World) -> None:
    owner = person()
    world.register(owner)
    online = world.login(owner)
    stranger = at("198.51.100.7")
    reply = world.call(stranger, "register_start", phone=owner.phone, email="mallory@evil.example")
    assert reply["existing"] is True and reply["sent_to"] == "s\u2022\u2022\u2022@example.org"
    assert online.pushes == [
        (
            "reregistration_requested",
            {"ts": world.service.now_ms(), "sent_to": "s\u2022\u2022\u2022@example.org"},
        )
    ]
    assert world.codes.count(owner.phone) == 2  # and the code book saw it go to the address on file
    fresh = world.call(stranger, "register_start", phone=person().phone, email="mallory@evil.example")
    assert fresh["existing"] is False and fresh["sent_to"] == "m\u2022\u2022\u2022@evil.example"


def test_a_failed_delivery_to_the_address_on_file_does_not_tell_a_stranger_the_address(world: World) -> None:
    owner = person()
    world.register(owner)
    # An SMTP relay's refusal may quote the recipient; the channel's reason names it too.
    world.codes.fail_with = DeliveryError(
        f"could not e-mail the code to {owner.email}: 550 <{owner.email}> unknown"
    )
    with pytest.raises(RequestRefused) as caught:
        world.call(at("198.51.100.7"), "register_start", phone=owner.phone, email="mallory@evil.example")
    assert caught.value.code == "delivery_failed"
    assert owner.email not in caught.value.message
    assert "s\u2022\u2022\u2022@example.org" in caught.value.message  # the masked form, as in sent_to
    with pytest.raises(RequestRefused) as own:  # a new number's address is the requester's own: told in full
        world.call(at("198.51.100.7"), "register_start", phone=person().phone, email="mallory@evil.example")
    assert "550" in own.value.message


def test_a_lock_applies_for_seven_days_after_the_last_login_or_while_logged_in(world: World) -> None:
    owner, online = locked_owner(world)
    world.clock.now += 10 * DAY  # logged in all along: the lock still applies
    assert world.start(person_like(owner), at("192.0.2.1"))["lock"] is True
    world.service.session_ended(online)  # type: ignore[arg-type]
    world.clock.now -= 4 * DAY  # six days after the last login
    assert world.start(person_like(owner), at("192.0.2.2"))["lock"] is True
    world.service.session_ended(world.login(owner))  # type: ignore[arg-type]  # a login is activity
    world.clock.now += 6 * DAY  # twelve days after the first login, six after the last
    assert world.start(person_like(owner), at("192.0.2.3"))["lock"] is True
    world.clock.now += 1 * DAY
    heir = person_like(owner)
    assert world.start(heir, at("192.0.2.4"))["lock"] is False
    code = world.codes.last(owner.phone)
    assert world.call(Session(), "register_finish", **heir.finish_args(code))["replaced"] is True
    assert world.store.guard(owner.phone).lock_hash is None  # type: ignore[union-attr]  # a lapsed lock is gone


def person_like(someone: Person) -> Person:
    """The same number with new keys."""
    return Person(someone.phone)


def test_a_right_code_waits_for_the_lock_and_wrong_locks_are_counted_across_requesters(world: World) -> None:
    owner, online = locked_owner(world)
    first, second = person_like(owner), person_like(owner)
    world.start(first, at("192.0.2.1"))
    code_1 = world.codes.last(owner.phone)
    world.start(second, at("192.0.2.2"))
    code_2 = world.codes.last(owner.phone)
    assert world.refused(Session(), "register_finish", **first.finish_args(code_1)) == "lock_required"
    wrong = [
        world.refused(Session(), "register_finish", **first.finish_args(code_1), lock="nope")
        for _ in range(3)
    ]
    wrong += [
        world.refused(Session(), "register_finish", **second.finish_args(code_2), lock="no") for _ in range(2)
    ]
    assert wrong == ["wrong_lock"] * 4 + ["lock_blocked"]
    assert (
        world.refused(Session(), "register_finish", **first.finish_args(code_1), lock=LOCK) == "lock_blocked"
    )
    world.clock.now += DAY  # the refusal is over: the right lock passes with a fresh code
    world.start(first, at("192.0.2.3"))
    code_3 = world.codes.last(owner.phone)
    assert world.call(Session(), "register_finish", **first.finish_args(code_3), lock=LOCK)["replaced"]
    assert online.ended and world.store.guard(owner.phone).lock_hash is not None  # type: ignore[union-attr]


def test_only_a_slow_hash_of_the_lock_is_kept(world: World) -> None:
    owner, online = locked_owner(world)
    ((salt, digest),) = rows(world.store, "SELECT lock_salt, lock_hash FROM guards")
    everything = dump(world.store)
    assert len(salt) == 16 and len(digest) == 32 and LOCK not in everything
    assert LOCK.encode().hex() not in everything
    assert world.call(online, "set_registration_lock") == {"lock": False}
    assert world.store.guard(owner.phone).lock_hash is None  # type: ignore[union-attr]


def test_set_registration_lock_needs_a_login_and_a_long_enough_passphrase(world: World) -> None:
    assert world.refused(Session(), "set_registration_lock", lock=LOCK) == "not_logged_in"
    owner = person()
    world.register(owner)
    with pytest.raises(Exception, match="6 to 128 characters"):
        world.call(world.login(owner), "set_registration_lock", lock="short")


def test_register_finish_needs_token_and_code_or_a_proof(world: World) -> None:
    alice = person()
    world.start(alice, Session())
    args = alice.finish_args(world.codes.last(alice.phone))
    del args["token"]
    assert world.refused(Session(), "register_finish", **args) == "bad_request"
