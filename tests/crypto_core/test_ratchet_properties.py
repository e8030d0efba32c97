"""Property tests: after any history of sends, deliveries, drops and saves, the state still works."""

from __future__ import annotations

import os

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto_core.ratchet import RatchetSession

ACTIONS = ["alice sends", "bob sends", "to bob", "to alice", "drop", "save alice", "save bob", "tick"]
Operation = tuple[str, int]


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def _reload(session: RatchetSession, clock: Clock) -> RatchetSession:
    saved = session.to_bytes()
    restored = RatchetSession.from_bytes(saved, clock=clock)
    assert restored.to_bytes() == saved
    return restored


def _deliver(receiver: RatchetSession, queue: list[tuple[bytes, bytes]], pick: int) -> None:
    wire, plaintext = queue.pop(pick % len(queue))
    assert receiver.decrypt(wire) == plaintext


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(0, 2**16)), max_size=40))
def test_any_history_round_trips_and_keeps_working(operations: list[Operation]) -> None:
    clock = Clock()
    shared, ad = os.urandom(32), os.urandom(128)
    bob_key = X25519PrivateKey.generate()
    alice = RatchetSession.initiator(shared, ad, bob_key.public_key().public_bytes_raw(), clock=clock)
    bob = RatchetSession.responder(shared, ad, bob_key, clock=clock)
    to_bob: list[tuple[bytes, bytes]] = []
    to_alice: list[tuple[bytes, bytes]] = []
    for count, (action, pick) in enumerate(operations):
        plaintext = b"%d:%d" % (count, pick)
        if action == "alice sends":
            to_bob.append((alice.encrypt(plaintext), plaintext))
        elif action == "bob sends" and bob.can_send:
            to_alice.append((bob.encrypt(plaintext), plaintext))
        elif action == "to bob" and to_bob:
            _deliver(bob, to_bob, pick)
        elif action == "to alice" and to_alice:
            _deliver(alice, to_alice, pick)
        elif action == "drop" and (to_bob or to_alice):
            queue = to_bob if to_bob and (pick % 2 or not to_alice) else to_alice
            queue.pop(pick % len(queue))
        elif action == "save alice":
            alice = _reload(alice, clock)
        elif action == "save bob":
            bob = _reload(bob, clock)
        elif action == "tick":
            clock.now += pick  # at most a day: nothing expires here
    alice, bob = _reload(alice, clock), _reload(bob, clock)
    while to_bob:
        _deliver(bob, to_bob, 0)
    while to_alice:
        _deliver(alice, to_alice, len(to_alice) - 1)
    assert bob.decrypt(alice.encrypt(b"still works")) == b"still works"
    assert alice.decrypt(bob.encrypt(b"both ways")) == b"both ways"
