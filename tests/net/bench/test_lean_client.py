"""net.bench.lean_client: opaque bodies the length of a sealed message, and what the recipient checks."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator

import pytest
from bench_pair import Pair

from net.bench.client import BenchAccount, BenchClient, Tally
from net.bench.lean_client import LEAN_VERSION, LeanClient, sealed_size

SIZE = 256
_HEAD = struct.Struct(">BQQ")


def _lean(account: BenchAccount, tally: Tally, dirty: set[BenchClient]) -> BenchClient:
    return LeanClient(account, tally, dirty, SIZE)


@pytest.fixture
def pair() -> Iterator[Pair]:
    p = Pair(_lean)
    yield p
    p.close()


def _counts(pair: Pair) -> tuple[int, int, int]:
    return pair.tally.received, pair.tally.duplicated, pair.tally.undecryptable


@pytest.mark.parametrize("size", [16, 256, 1000])
def test_sealed_size_is_the_length_of_a_real_sealed_body(size: int) -> None:
    real = Pair()
    try:
        real.alice.size = size
        real.alice.start_session(real.bob.account.bundle().to_json())
        real.alice.send_message(1)
        real.alice.send_message(2)
        first, second = real.all_sent_by(real.alice)
        assert len(first.args["body"]) > len(second.args["body"])  # the first carries PQXDH's start
        assert sealed_size(size) == len(second.args["body"])
    finally:
        real.close()


def test_lean_bodies_go_both_ways_without_a_session(pair: Pair) -> None:
    alice, bob = pair.alice, pair.bob
    assert alice.can_send and bob.can_send and alice.session is bob.session is None
    alice.send_message(10)
    request = pair.sent_by(alice)
    assert request.op == "send" and request.args["to"] == bob.phone and request.args["client_id"]
    body = request.args["body"]
    assert len(body) == sealed_size(SIZE) and _HEAD.unpack_from(body) == (LEAN_VERSION, 0, 10)
    bob.receive(pair.push_of(request, alice), 25)
    bob.send_message(30)
    alice.receive(pair.push_of(pair.sent_by(bob), bob), 42)
    assert _counts(pair) == (2, 0, 0) and pair.tally.latencies_ms == pytest.approx([15e-6, 12e-6])
    assert alice.acks == [2] and bob.acks == [1] and alice.in_flight == bob.in_flight == 0
    assert alice.account.one_time_prekey is not None  # no PQXDH used it


def test_each_client_draws_its_own_filler(pair: Pair) -> None:
    alice, bob = pair.alice, pair.bob
    alice.send_message(1)
    bob.send_message(1)
    ours, theirs = pair.sent_by(alice).args["body"], pair.sent_by(bob).args["body"]
    assert ours[: _HEAD.size] == theirs[: _HEAD.size] and ours != theirs


def _damaged(body: bytes, at: int) -> bytes:
    changed = bytearray(body)
    changed[at] ^= 1
    return bytes(changed)


@pytest.mark.parametrize(
    "damage",
    [
        lambda body: _damaged(body, len(body) - 1),  # the filler
        lambda body: _damaged(body, 0),  # the version
        lambda body: _damaged(body, 8),  # the sequence number: one never sent
        lambda body: body[:-1],
        lambda body: body + b"\0",
        lambda body: b"",
    ],
    ids=["filler", "version", "unsent seq", "short", "long", "empty"],
)
def test_a_damaged_body_is_counted_as_undecryptable(pair: Pair, damage: Callable[[bytes], bytes]) -> None:
    alice, bob = pair.alice, pair.bob
    alice.send_message(1)
    request = pair.sent_by(alice)
    bob.receive(pair.push_of(request, alice, damage(request.args["body"])), 2)
    assert _counts(pair) == (0, 0, 1) and alice.in_flight == 1
    bob.receive(pair.push_of(request, alice), 3)  # the intact one still counts
    assert _counts(pair) == (1, 0, 1) and alice.in_flight == 0


def test_a_strangers_body_or_anothers_filler_is_undecryptable(pair: Pair) -> None:
    alice, bob = pair.alice, pair.bob
    alice.send_message(1)
    request = pair.sent_by(alice)
    stranger = pair.push_of(request, alice)
    stranger.body["from"] = "+14155550999"
    bob.receive(stranger, 2)
    other = LeanClient(BenchAccount("+14155550103"), Tally(), set(), SIZE)
    other.next_seq = 1  # it did send a message 0, with its own filler, in alice's name
    forged = other.seal(0, 1)
    assert len(forged) == len(request.args["body"])
    bob.receive(pair.push_of(request, alice, forged), 3)
    assert _counts(pair) == (0, 0, 2)


def test_repeats_by_server_id_by_body_and_by_sequence_number_are_duplicates(pair: Pair) -> None:
    alice, bob = pair.alice, pair.bob
    alice.send_message(1)
    request = pair.sent_by(alice)
    push = pair.push_of(request, alice)
    bob.receive(push, 2)
    bob.receive(push, 3)  # the same server id again
    bob.receive(pair.push_of(request, alice), 4)  # the same body under a new id
    body = request.args["body"]
    later = body[:9] + struct.pack(">Q", 5) + body[17:]  # seq 0 again, with another send time
    bob.receive(pair.push_of(request, alice, later), 6)
    assert _counts(pair) == (1, 3, 0)
    assert bob.acks == [1, 1, 2, 3]  # every copy is acknowledged, so the server stops pushing it
