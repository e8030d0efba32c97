"""net.bench.client: real PQXDH and Double Ratchet between two bench clients, and what a recipient counts."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from bench_pair import Pair

from net.bench.client import BenchAccount
from net.protocol.connection import Connection, Request, Role


@pytest.fixture
def pair() -> Iterator[Pair]:
    p = Pair()
    yield p
    p.close()


def _bundle(account: BenchAccount) -> dict[str, object]:
    return account.bundle().to_json()


def test_a_session_starts_with_pqxdh_and_messages_flow_both_ways(pair: Pair) -> None:
    alice, bob = pair.alice, pair.bob
    alice.start_session(_bundle(bob.account))
    alice.send_message(time.monotonic_ns())
    first = pair.sent_by(alice)
    assert first.op == "send" and first.args["to"] == bob.phone and first.args["body"][0] == 1
    assert not bob.can_send
    bob.receive(pair.push_of(first, alice), time.monotonic_ns())
    assert bob.can_send and bob.account.one_time_prekey is None  # used up
    bob.send_message(time.monotonic_ns())
    alice.receive(pair.push_of(pair.sent_by(bob), bob), time.monotonic_ns())
    assert pair.tally.received == 2 and pair.tally.undecryptable == pair.tally.duplicated == 0
    assert len(pair.tally.latencies_ms) == 2 and alice.acks == [2] and bob.acks == [1]
    assert alice.in_flight == bob.in_flight == 0


def test_repeats_forgeries_and_strangers_are_counted(pair: Pair) -> None:
    alice, bob = pair.alice, pair.bob
    alice.start_session(_bundle(bob.account))
    alice.send_message(1)
    request = pair.sent_by(alice)
    push = pair.push_of(request, alice)
    bob.receive(push, 2)
    bob.receive(push, 3)  # the server pushed the same message twice
    assert pair.tally.duplicated == 1
    alice.send_message(4)
    second = pair.sent_by(alice)
    tampered = bytearray(second.args["body"])
    tampered[-1] ^= 1
    bob.receive(pair.push_of(second, alice, bytes(tampered)), 5)
    stranger = pair.push_of(second, alice)
    stranger.body["from"] = "+14155550999"
    bob.receive(stranger, 6)
    assert pair.tally.undecryptable == 2 and pair.tally.received == 1


def test_a_replayed_message_under_a_new_id_is_a_duplicate_not_a_new_one(pair: Pair) -> None:
    alice, bob = pair.alice, pair.bob
    alice.start_session(_bundle(bob.account))
    alice.send_message(1)
    alice.send_message(2)
    first, second = pair.all_sent_by(alice)
    bob.receive(pair.push_of(first, alice), 3)
    bob.receive(pair.push_of(second, alice), 4)
    bob.receive(pair.push_of(second, alice), 5)  # the same ciphertext again under a new server id
    assert (pair.tally.received, pair.tally.duplicated, pair.tally.undecryptable) == (2, 1, 0)


def test_acks_are_split_to_the_protocol_limit(pair: Pair) -> None:
    bob = pair.bob
    bob.acks = list(range(1, 2501))
    bob.send_acks(1000)
    server = Connection(Role.SERVER)
    server.receive_data(bytes(bob.link.out))  # type: ignore[union-attr]
    sizes = []
    while isinstance(event := server.next_event(), Request):
        sizes.append(len(event.args["ids"]))
    assert sizes == [1000, 1000, 500] and bob.acks == []
