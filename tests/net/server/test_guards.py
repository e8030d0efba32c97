"""The limits against lock-out, prekey draining and enumeration, on the service with a real store."""

from __future__ import annotations

import pytest
from store_support import OpenStore
from test_service import SERVER_KEY, Session, World, person

from crypto_core.keys import PreKeyBundle
from net.protocol.login import sign_login
from net.server.limits import Limits

ATTACKER, VICTIM_HOME = "198.51.100.7:40000", "203.0.113.9:50000"


@pytest.fixture
def world(open_test_store: OpenStore) -> World:
    limits = Limits(
        logins_per_minute=3,
        address_logins_per_minute=5,
        prekeys_per_target=2,
        prekeys_per_address=3,
        prekeys_low=2,
        unknown_per_account=2,
        unknown_per_address=3,
    )
    return World(open_test_store, limits)


def fail_login(world: World, phone: str, peer: str = ATTACKER) -> str:
    session = Session(peer)
    world.call(session, "challenge", phone=phone)
    return world.refused(session, "login", phone=phone, signature=b"\x00" * 64)


def test_failed_logins_past_the_limit_do_not_keep_the_owner_out(world: World) -> None:
    alice = person()
    world.register(alice)
    assert [fail_login(world, alice.phone) for _ in range(4)] == ["login_failed"] * 3 + ["rate_limited"]
    session = world.login(alice, Session(VICTIM_HOME))  # the right signature still logs in
    assert session.phone == alice.phone
    assert fail_login(world, alice.phone, VICTIM_HOME) == "rate_limited"  # only more failures are refused


def test_failed_logins_are_counted_per_address_across_numbers(world: World) -> None:
    numbers = [person().phone for _ in range(6)]
    assert [fail_login(world, phone) for phone in numbers] == ["login_failed"] * 5 + ["rate_limited"]
    assert fail_login(world, person().phone, VICTIM_HOME) == "login_failed"  # another address is not held up


def test_an_unknown_number_fails_exactly_like_a_registered_one(world: World) -> None:
    alice, nobody = person(), person()
    world.register(alice)
    known = [fail_login(world, alice.phone, VICTIM_HOME) for _ in range(4)]
    unknown = [fail_login(world, nobody.phone, "203.0.113.10:1") for _ in range(4)]
    assert known == unknown == ["login_failed"] * 3 + ["rate_limited"]


def test_a_signature_for_no_challenge_or_another_number_never_logs_in(world: World) -> None:
    alice, bob = person(), person()
    world.register(alice)
    world.register(bob)
    session = Session()
    nonce = world.call(session, "challenge", phone=bob.phone)["nonce"]
    signature = sign_login(alice.identity, nonce, alice.phone, SERVER_KEY)
    assert world.refused(session, "login", phone=alice.phone, signature=signature) == "login_failed"
    signature = sign_login(alice.identity, bytes(32), alice.phone, SERVER_KEY)  # the dummy nonce
    assert world.refused(Session(), "login", phone=alice.phone, signature=signature) == "login_failed"


def test_one_time_prekeys_per_target_are_limited_across_fetchers(world: World) -> None:
    bob = person()
    world.register(bob)
    fetchers = [person() for _ in range(3)]
    bundles = []
    for n, fetcher in enumerate(fetchers):  # three accounts on three addresses
        world.register(fetcher)
        session = world.login(fetcher, Session(f"192.0.2.{n + 10}:1"))
        bundles.append(PreKeyBundle.from_json(world.call(session, "get_bundle", phone=bob.phone)["bundle"]))
    assert [b.one_time_prekey is not None for b in bundles] == [True, True, False]
    assert bundles[2].kem_prekey == bob.last_resort.public()  # served, with the last-resort key
    bundles[2].verify()
    assert world.store.prekey_counts(bob.phone) == (1, 0)  # the third fetch consumed nothing


def test_one_time_prekeys_per_address_are_limited_across_targets(world: World) -> None:
    targets = [person() for _ in range(4)]
    for target in targets:
        world.register(target)
    fetchers = [person() for _ in range(2)]
    for fetcher in fetchers:
        world.register(fetcher)
    sessions = [world.login(fetcher, Session(ATTACKER)) for fetcher in fetchers]
    got = [
        "one_time_prekey" in world.call(sessions[n % 2], "get_bundle", phone=t.phone)["bundle"]
        for n, t in enumerate(targets)
    ]
    assert got == [True, True, True, False]


def test_the_owner_is_pushed_prekeys_low_when_a_fetch_leaves_few(world: World) -> None:
    alice, bob = person(), person()  # Bob has 3 one-time X25519 and 2 one-time ML-KEM prekeys
    world.register(alice)
    world.register(bob)
    b = world.login(bob)
    a = world.login(alice, Session(ATTACKER))
    world.call(a, "get_bundle", phone=bob.phone)
    assert b.pushes == [("prekeys_low", {"one_time": 2, "kem": 1})]  # ML-KEM fell below 2
    world.call(a, "get_bundle", phone=bob.phone)
    assert b.pushes[1:] == [("prekeys_low", {"one_time": 1, "kem": 0})]  # X25519 fell below 2
    world.call(a, "get_bundle", phone=bob.phone)
    assert b.pushes[2:] == []  # nothing new fell below the mark


def test_unknown_numbers_per_account_then_every_lookup_is_refused(world: World) -> None:
    alice, bob = person(), person()
    world.register(alice)
    world.register(bob)
    a = world.login(alice, Session(ATTACKER))
    assert world.refused(a, "get_bundle", phone=person().phone) == "unknown_account"
    assert world.refused(a, "send", to=person().phone, client_id="c1", body=b"x", transient=True) == (
        "unknown_account"
    )
    # Past the limit a registered number is refused too, so the answer tells nothing.
    assert world.refused(a, "get_bundle", phone=bob.phone) == "rate_limited"
    assert world.refused(a, "send", to=bob.phone, client_id="c2", body=b"x") == "rate_limited"
    assert world.refused(a, "send", to=person().phone, client_id="c3", body=b"x") == "rate_limited"
    b = world.login(bob, Session(VICTIM_HOME))  # another account elsewhere is not held up
    assert world.call(b, "send", to=alice.phone, client_id="b1", body=b"x")["duplicate"] is False


def test_unknown_numbers_per_address_across_accounts(world: World) -> None:
    accounts = [person() for _ in range(3)]
    for someone in accounts:
        world.register(someone)
    sessions = [world.login(someone, Session(ATTACKER)) for someone in accounts]
    answers = [world.refused(s, "send", to=person().phone, client_id="c", body=b"x") for s in sessions]
    assert answers == ["unknown_account"] * 3
    assert world.refused(sessions[0], "get_bundle", phone=accounts[1].phone) == "rate_limited"


def test_the_counts_survive_a_restart(world: World) -> None:
    alice = person()
    world.register(alice)
    for _ in range(3):
        fail_login(world, alice.phone)
    world.restart()
    assert fail_login(world, alice.phone) == "rate_limited"
    world.clock.now += 61  # and they still leave the window
    assert fail_login(world, alice.phone) == "login_failed"


def _copies(*phones: str) -> list[dict[str, object]]:
    return [{"to": phone, "body": b"x"} for phone in phones]


def test_each_unknown_recipient_of_a_send_many_counts_for_the_account_and_the_address(world: World) -> None:
    alice, bob, carol = person(), person(), person()
    for someone in (alice, bob, carol):
        world.register(someone)
    a = world.login(alice, Session(ATTACKER))
    answers = world.call(a, "send_many", client_id="m1", items=_copies(person().phone, person().phone))
    assert [r["status"] for r in answers["results"]] == ["unknown_account", "unknown_account"]
    assert world.refused(a, "get_bundle", phone=bob.phone) == "rate_limited"  # two: Alice is at her limit
    # Bob, from the same address, may be told of one more unknown number; his request has two.
    b = world.login(bob, Session(ATTACKER))
    items = _copies(carol.phone, person().phone, person().phone)
    assert world.refused(b, "send_many", client_id="m2", items=items) == "rate_limited"
    assert world.store.queued_count(carol.phone) == 0  # refused whole: nothing stored
    assert world.refused(b, "get_bundle", phone=carol.phone) == "rate_limited"  # that one was counted
    world.restart()  # and the counts are kept
    assert world.refused(world.login(carol, Session(ATTACKER)), "get_bundle", phone=bob.phone) == (
        "rate_limited"
    )


def test_a_transient_send_many_past_the_limit_is_refused_before_anything_is_pushed(world: World) -> None:
    alice, bob = person(), person()
    world.register(alice)
    world.register(bob)
    b = world.login(bob, Session(VICTIM_HOME))
    a = world.login(alice, Session(ATTACKER))
    items = _copies(bob.phone, person().phone, person().phone, person().phone)
    assert world.refused(a, "send_many", client_id="t1", items=items, transient=True) == "rate_limited"
    assert b.pushes == []
    assert world.refused(a, "send_many", client_id="t2", items=_copies(bob.phone), transient=True) == (
        "rate_limited"
    )
