"""End to end: PQXDH, then a long Double Ratchet conversation over a lossy, reordering network."""

from __future__ import annotations

import random

import pytest

from crypto_core.errors import DecryptionError
from crypto_core.keys import IdentityKeyPair, KemPreKey, OneTimePreKey, PreKeyBundle, SignedPreKey
from crypto_core.pqxdh import initiate, respond
from crypto_core.ratchet import RatchetSession

MESSAGES = 240


def start_sessions(*, one_time_prekey: bool) -> tuple[RatchetSession, RatchetSession]:
    alice_identity, bob_identity = IdentityKeyPair.generate(), IdentityKeyPair.generate()
    signed = SignedPreKey.generate(bob_identity, key_id=1, created_at=0)
    kem = KemPreKey.generate(bob_identity, key_id=2, last_resort=not one_time_prekey)
    otk = OneTimePreKey.generate(key_id=3) if one_time_prekey else None
    bundle = PreKeyBundle(
        bob_identity.public, signed.public(), kem.public(), otk.public() if otk is not None else None
    )
    started = initiate(alice_identity, bundle)
    answered = respond(
        bob_identity, started.initial_message, signed_prekey=signed, kem_prekey=kem, one_time_prekey=otk
    )
    assert answered.used_one_time_prekey_id == (3 if one_time_prekey else None)
    alice = RatchetSession.initiator(started.shared_key, started.associated_data, started.peer_ratchet_key)
    bob = RatchetSession.responder(answered.shared_key, answered.associated_data, signed.private)
    return alice, bob


class Network:
    """Two one-way links that deliver in random order, drop some messages and replay some."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.in_flight: dict[str, list[tuple[bytes, bytes]]] = {"alice": [], "bob": []}
        self.delivered: dict[str, list[tuple[bytes, bytes]]] = {"alice": [], "bob": []}
        self.received: dict[str, list[bytes]] = {"alice": [], "bob": []}
        self.dropped = 0
        self.replays_refused = 0

    def send(self, to: str, wire: bytes, plaintext: bytes) -> None:
        if self.rng.random() < 0.07:
            self.dropped += 1
        else:
            self.in_flight[to].append((wire, plaintext))

    def deliver_one(self, to: str, session: RatchetSession) -> None:
        queue = self.in_flight[to]
        wire, plaintext = queue.pop(self.rng.randrange(len(queue)))
        assert session.decrypt(wire) == plaintext
        self.received[to].append(plaintext)
        self.delivered[to].append((wire, plaintext))

    def replay_one(self, to: str, session: RatchetSession) -> None:
        wire, _plaintext = self.rng.choice(self.delivered[to])
        before = session.to_bytes()
        with pytest.raises(DecryptionError):
            session.decrypt(wire)
        assert session.to_bytes() == before
        self.replays_refused += 1


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("one_time_prekey", [True, False], ids=["with-otk", "without-otk"])
def test_a_long_conversation_delivers_every_message_exactly_once(seed: int, one_time_prekey: bool) -> None:
    rng = random.Random(seed)
    sessions = dict(zip(("alice", "bob"), start_sessions(one_time_prekey=one_time_prekey), strict=True))
    peer = {"alice": "bob", "bob": "alice"}
    net = Network(rng)
    sent: dict[str, list[bytes]] = {"alice": [], "bob": []}
    for i in range(MESSAGES):
        sender = rng.choice(["alice", "bob"]) if sessions["bob"].can_send else "alice"
        plaintext = f"{sender} #{i}: {rng.random()}".encode()
        net.send(peer[sender], sessions[sender].encrypt(plaintext), plaintext)
        sent[peer[sender]].append(plaintext)
        for _ in range(rng.randrange(3)):
            receiver = rng.choice(["alice", "bob"])
            if net.in_flight[receiver]:
                net.deliver_one(receiver, sessions[receiver])
        if rng.random() < 0.05 and net.delivered["bob"]:
            net.replay_one("bob", sessions["bob"])
    for receiver in ("alice", "bob"):
        while net.in_flight[receiver]:
            net.deliver_one(receiver, sessions[receiver])
    assert net.dropped > 0 and net.replays_refused > 0
    ratchet_keys = {wire[1:33] for queue in net.delivered.values() for wire, _plaintext in queue}
    assert len(ratchet_keys) > 20, "the DH ratchet should have turned many times"
    assert sent["alice"] and sent["bob"]
    for receiver in ("alice", "bob"):
        received = net.received[receiver]
        assert len(received) == len(set(received)), "a message was delivered twice"
        delivered = {plaintext for _wire, plaintext in net.delivered[receiver]}
        assert set(received) == delivered
        assert len(received) + sum(1 for p in sent[receiver] if p not in delivered) == len(sent[receiver])
    assert sum(len(v) for v in net.received.values()) + net.dropped == MESSAGES


def test_an_old_copy_of_alices_state_cannot_read_bobs_messages_after_the_ratchet_turns() -> None:
    alice, bob = start_sessions(one_time_prekey=True)
    bob.decrypt(alice.encrypt(b"hello"))
    alice.decrypt(bob.encrypt(b"hi"))
    stolen = alice.to_bytes()  # the attacker copies Alice's whole state here

    bob.decrypt(alice.encrypt(b"round trip, out"))
    reply = bob.encrypt(b"round trip, back")  # Bob's ratchet key is new, Alice's is still the stolen one
    assert RatchetSession.from_bytes(stolen).decrypt(reply) == b"round trip, back"  # the copy is real
    assert alice.decrypt(reply) == b"round trip, back"

    bob.decrypt(alice.encrypt(b"after Alice's new ratchet key"))
    healed = bob.encrypt(b"secret again")
    for attacker in (RatchetSession.from_bytes(stolen), _advanced(stolen, reply)):
        with pytest.raises(DecryptionError):
            attacker.decrypt(healed)
    assert alice.decrypt(healed) == b"secret again"


def _advanced(stolen: bytes, reply: bytes) -> RatchetSession:
    """The stolen copy after it, too, has taken the round trip's reply."""
    attacker = RatchetSession.from_bytes(stolen)
    attacker.decrypt(reply)
    return attacker
