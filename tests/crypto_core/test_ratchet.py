"""The Double Ratchet session: round trips, tampering, replays, bounds, expiry, forward secrecy, state."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto_core.chains import kdf_ck, message_key_material
from crypto_core.encoding import b64decode, b64encode
from crypto_core.errors import ChainExhausted, DecryptionError, InvalidKeyFormat, RatchetNotReady
from crypto_core.migrations import check_steps
from crypto_core.ratchet import MIGRATIONS, STATE_VERSION, RatchetSession
from crypto_core.ratchet_header import MAX_COUNTER, PREFIX_LEN, Header
from crypto_core.skipped_keys import MAX_AGE_SECONDS, MAX_GAP, MAX_STORED

DAY = 24 * 3600.0


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_pair(clock: FakeClock | None = None) -> tuple[RatchetSession, RatchetSession]:
    clock = clock or FakeClock()
    shared, ad = os.urandom(32), os.urandom(128)
    bob_key = X25519PrivateKey.generate()
    alice = RatchetSession.initiator(shared, ad, bob_key.public_key().public_bytes_raw(), clock=clock)
    bob = RatchetSession.responder(shared, ad, bob_key, clock=clock)
    return alice, bob


def started_pair(clock: FakeClock | None = None) -> tuple[RatchetSession, RatchetSession]:
    """A pair where both sides have sent and received once (both have both chains)."""
    alice, bob = make_pair(clock)
    assert bob.decrypt(alice.encrypt(b"hello")) == b"hello"
    assert alice.decrypt(bob.encrypt(b"hi")) == b"hi"
    return alice, bob


def test_messages_round_trip_in_both_directions() -> None:
    alice, bob = make_pair()
    for i in range(5):
        assert bob.decrypt(alice.encrypt(f"a{i}".encode())) == f"a{i}".encode()
        assert alice.decrypt(bob.encrypt(f"b{i}".encode())) == f"b{i}".encode()
    assert bob.decrypt(alice.encrypt(b"")) == b""


def test_ciphertexts_differ_for_equal_plaintexts() -> None:
    alice, _bob = make_pair()
    assert alice.encrypt(b"same") != alice.encrypt(b"same")


def test_the_responder_cannot_send_before_the_first_message() -> None:
    alice, bob = make_pair()
    assert alice.can_send and not bob.can_send
    with pytest.raises(RatchetNotReady):
        bob.encrypt(b"too early")
    bob.decrypt(alice.encrypt(b"first"))
    assert bob.can_send


def test_wire_layout_is_version_header_then_ciphertext_and_tag() -> None:
    alice, bob = make_pair()
    alice.encrypt(b"zero")
    message = alice.encrypt(b"12345")
    assert message[0] == 1
    assert int.from_bytes(message[33:37], "big") == 0  # PN
    assert int.from_bytes(message[37:41], "big") == 1  # N
    assert len(message) == PREFIX_LEN + 5 + 16
    assert message[1:33] == _public_of(alice)
    bob.decrypt(message)


def _public_of(session: RatchetSession) -> bytes:
    private = X25519PrivateKey.from_private_bytes(b64decode(session.to_json()["dhs"]))
    return private.public_key().public_bytes_raw()


def test_flipping_any_byte_fails_and_changes_nothing() -> None:
    alice, bob = started_pair()
    message = alice.encrypt(b"attack at dawn")
    follow_up = alice.encrypt(b"next")
    before = bob.to_bytes()
    for i in range(len(message)):
        forged = bytearray(message)
        forged[i] ^= 0xFF
        with pytest.raises(DecryptionError):
            bob.decrypt(bytes(forged))
        assert bob.to_bytes() == before, f"state changed by a forgery at byte {i}"
    for forged in (message[:-1], message + b"\x00", message[:PREFIX_LEN], b""):
        with pytest.raises(DecryptionError):
            bob.decrypt(forged)
        assert bob.to_bytes() == before
    assert bob.decrypt(message) == b"attack at dawn"
    assert bob.decrypt(follow_up) == b"next"


def test_a_forged_new_ratchet_key_fails_and_changes_nothing() -> None:
    alice, bob = started_pair()
    message = bytearray(alice.encrypt(b"x"))
    message[1:33] = X25519PrivateKey.generate().public_key().public_bytes_raw()
    low_order = bytearray(message)
    low_order[1:33] = bytes(32)
    before = bob.to_bytes()
    for forged in (message, low_order):
        with pytest.raises(DecryptionError):
            bob.decrypt(bytes(forged))
        assert bob.to_bytes() == before


def test_other_associated_data_fails_and_the_genuine_session_still_works() -> None:
    shared = os.urandom(32)
    bob_key = X25519PrivateKey.generate()
    ad = os.urandom(128)
    alice = RatchetSession.initiator(shared, ad, bob_key.public_key().public_bytes_raw())
    message = alice.encrypt(b"bound to both identities")
    for changed in (ad[:-1] + bytes([ad[-1] ^ 1]), ad[64:] + ad[:64]):
        impostor = RatchetSession.responder(shared, changed, bob_key)
        with pytest.raises(DecryptionError):
            impostor.decrypt(message)
    bob = RatchetSession.responder(shared, ad, bob_key)
    assert bob.decrypt(message) == b"bound to both identities"


def test_a_replayed_message_fails() -> None:
    alice, bob = started_pair()
    first, second, third = (alice.encrypt(bytes([i])) for i in range(3))
    bob.decrypt(first)
    bob.decrypt(third)  # skips `second`
    bob.decrypt(second)  # opened from the skipped keys
    for replay in (first, second, third):
        before = bob.to_bytes()
        with pytest.raises(DecryptionError):
            bob.decrypt(replay)
        assert bob.to_bytes() == before
    assert bob.decrypt(alice.encrypt(b"fresh")) == b"fresh"


def test_out_of_order_across_ratchet_steps() -> None:
    alice, bob = started_pair()
    early = [alice.encrypt(b"early %d" % i) for i in range(3)]
    bob.decrypt(early[1])
    alice.decrypt(bob.encrypt(b"turn"))
    late = alice.encrypt(b"after the turn")
    assert bob.decrypt(late) == b"after the turn"
    assert bob.decrypt(early[2]) == b"early 2"
    assert bob.decrypt(early[0]) == b"early 0"


def test_a_gap_at_the_limit_opens_and_beyond_it_fails_cleanly() -> None:
    alice, bob = started_pair()
    messages = [alice.encrypt(b"m%d" % i) for i in range(MAX_GAP + 2)]
    before = bob.to_bytes()
    with pytest.raises(DecryptionError):
        bob.decrypt(messages[MAX_GAP + 1])  # would skip MAX_GAP + 1 keys
    assert bob.to_bytes() == before
    assert bob.decrypt(messages[MAX_GAP]) == b"m%d" % MAX_GAP
    assert len(bob.to_json()["skipped"]) == MAX_GAP
    assert bob.decrypt(messages[0]) == b"m0"


def test_a_gap_in_the_previous_chain_beyond_the_limit_fails_cleanly() -> None:
    alice, bob = started_pair()
    for _ in range(MAX_GAP + 1):
        alice.encrypt(b"lost")  # all lost: PN of Alice's next chain will be MAX_GAP + 2
    alice.decrypt(bob.encrypt(b"turn"))  # Alice turns; her next message says PN = MAX_GAP + 2
    after_turn = alice.encrypt(b"new chain")
    before = bob.to_bytes()
    with pytest.raises(DecryptionError):
        bob.decrypt(after_turn)
    assert bob.to_bytes() == before


def _with_counters(session: RatchetSession, clock: FakeClock, **counters: int) -> RatchetSession:
    """The same state with other counters: a chain key does not depend on its number, so both sides
    moved to the same number stay in step without sealing 2^32 messages."""
    data = session.to_json()
    data.update(counters)
    return RatchetSession.from_json(data, clock=clock)


def test_a_chain_refuses_to_send_past_the_last_number_and_the_next_chain_carries_its_count() -> None:
    clock = FakeClock()
    alice, bob = started_pair(clock)
    assert bob.decrypt(alice.encrypt(b"on a new chain")) == b"on a new chain"
    alice = _with_counters(alice, clock, ns=MAX_COUNTER - 1)
    bob = _with_counters(bob, clock, nr=MAX_COUNTER - 1)
    assert bob.decrypt(alice.encrypt(b"the last one")) == b"the last one"
    before = alice.to_bytes()
    with pytest.raises(ChainExhausted, match="new session"):
        alice.encrypt(b"one too many")  # its N would be 2^32 - 1, and the next chain's PN 2^32
    assert alice.to_bytes() == before
    # After the peer's ratchet step the new chain starts at 0 and its PN still fits the header.
    assert alice.decrypt(bob.encrypt(b"answer")) == b"answer"
    again = alice.encrypt(b"going on")
    assert bob.decrypt(again) == b"going on"
    assert RatchetSession.from_bytes(bob.to_bytes(), clock=clock).to_json()["nr"] == 1


def test_a_stored_state_beyond_the_sending_limit_is_refused() -> None:
    alice, _bob = started_pair()
    for field in ("ns", "pn"):
        data = alice.to_json()
        data[field] = MAX_COUNTER + 1
        with pytest.raises(InvalidKeyFormat, match=field):
            RatchetSession.from_json(data)


def test_a_header_with_the_largest_number_opens_once() -> None:
    clock = FakeClock()
    alice, bob = started_pair(clock)
    sender = bob.to_json()
    # Seal by hand what a peer may send: N = 2^32 - 1, which this side never sends itself.
    prefix = Header(b64decode(alice.to_json()["dhr"]), sender["pn"], MAX_COUNTER).prefix()
    _next, message_key = kdf_ck(b64decode(sender["cks"]))
    key, nonce = message_key_material(message_key)
    message = prefix + AESGCM(key).encrypt(nonce, b"largest", b64decode(sender["ad"]) + prefix)
    alice = _with_counters(alice, clock, nr=MAX_COUNTER)
    assert alice.decrypt(message) == b"largest"
    restored = RatchetSession.from_bytes(alice.to_bytes(), clock=clock)
    assert restored.to_json()["nr"] == MAX_COUNTER + 1
    with pytest.raises(DecryptionError):
        restored.decrypt(message)


def test_at_most_the_total_bound_is_stored_and_the_oldest_go_first() -> None:
    clock = FakeClock()
    alice, bob = started_pair(clock)
    chains: list[list[bytes]] = []
    for _round in range(3):
        chain = [alice.encrypt(b"%d" % i) for i in range(MAX_GAP + 1)]
        bob.decrypt(chain[-1])  # skips MAX_GAP keys of this chain
        alice.decrypt(bob.encrypt(b"turn"))
        chains.append(chain)
        clock.now += 1
    assert len(bob.to_json()["skipped"]) == MAX_STORED == 2 * MAX_GAP
    with pytest.raises(DecryptionError):
        bob.decrypt(chains[0][0])  # the oldest chain's keys were dropped
    assert bob.decrypt(chains[1][0]) == b"0"
    assert bob.decrypt(chains[2][MAX_GAP - 1]) == b"%d" % (MAX_GAP - 1)


def test_skipped_keys_expire_after_the_maximum_age() -> None:
    clock = FakeClock()
    alice, bob = started_pair(clock)
    late = [alice.encrypt(b"late %d" % i) for i in range(3)]
    bob.decrypt(alice.encrypt(b"skips three"))
    assert len(bob.to_json()["skipped"]) == 3
    clock.now += MAX_AGE_SECONDS
    assert bob.decrypt(late[0]) == b"late 0"  # exactly the maximum age: still kept
    clock.now += 1
    assert len(bob.to_json()["skipped"]) == 0  # dropped at serialisation
    with pytest.raises(DecryptionError):
        bob.decrypt(late[1])


def test_expired_keys_are_dropped_on_encrypt() -> None:
    clock = FakeClock()
    alice, bob = started_pair(clock)
    alice.encrypt(b"never delivered")
    bob.decrypt(alice.encrypt(b"skips one"))
    clock.now += MAX_AGE_SECONDS + 1
    bob.encrypt(b"reply")
    assert "skipped=0" in repr(bob)


def test_a_used_message_key_leaves_the_state() -> None:
    alice, bob = make_pair()
    bob.decrypt(alice.encrypt(b"first"))
    in_order = alice.encrypt(b"in order")  # same chain: Bob has not answered
    chain_key = b64decode(bob.to_json()["ckr"])
    next_chain_key, message_key = kdf_ck(chain_key)
    bob.decrypt(in_order)
    state = bob.to_bytes()
    for secret in (message_key, chain_key):
        assert b64encode(secret).encode() not in state
    assert json.loads(state)["ckr"] == b64encode(next_chain_key)

    late = alice.encrypt(b"late")
    bob.decrypt(alice.encrypt(b"skips the late one"))
    (skipped,) = bob.to_json()["skipped"]
    skipped_key = b64decode(skipped[2])
    assert skipped_key == kdf_ck(next_chain_key)[1]
    bob.decrypt(late)
    assert b64encode(skipped_key).encode() not in bob.to_bytes()


def test_state_round_trips_and_keeps_working() -> None:
    clock = FakeClock()
    alice, bob = started_pair(clock)
    pending = alice.encrypt(b"in flight")
    alice.encrypt(b"skipped")
    bob.decrypt(alice.encrypt(b"third"))
    alice = RatchetSession.from_bytes(alice.to_bytes(), clock=clock)
    restored = RatchetSession.from_json(json.loads(json.dumps(bob.to_json())), clock=clock)
    assert len(restored.to_json()["skipped"]) == 2  # "in flight" and "skipped"
    assert restored.to_bytes() == bob.to_bytes()
    assert restored.decrypt(pending) == b"in flight"
    assert alice.decrypt(restored.encrypt(b"back")) == b"back"


def test_a_fresh_responder_state_round_trips() -> None:
    alice, bob = make_pair()
    restored = RatchetSession.from_bytes(bob.to_bytes())
    assert not restored.can_send
    assert restored.decrypt(alice.encrypt(b"first")) == b"first"


@pytest.mark.parametrize("version", [0, 2, "1", True, None, 1.0])
def test_an_unknown_state_version_is_refused(version: object) -> None:
    alice, _bob = started_pair()
    data = alice.to_json()
    data["v"] = version
    with pytest.raises(InvalidKeyFormat, match="version"):
        RatchetSession.from_json(data)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("rk", "AAAA"),
        ("dhs", None),
        ("cks", 5),
        ("ns", -1),
        ("nr", True),
        ("pn", 2**32),
        ("skipped", {}),
        ("ad", "not base64!"),
    ],
)
def test_a_malformed_state_is_refused(field: str, value: object) -> None:
    alice, _bob = started_pair()
    data = alice.to_json()
    data[field] = value
    with pytest.raises(InvalidKeyFormat):
        RatchetSession.from_json(data)


def test_inconsistent_chains_are_refused() -> None:
    alice, _bob = started_pair()
    data = alice.to_json()
    data["cks"] = None
    with pytest.raises(InvalidKeyFormat, match="disagree"):
        RatchetSession.from_json(data)
    for bad in (b"[1,2", b"\xff", b"[]"):
        with pytest.raises(InvalidKeyFormat):
            RatchetSession.from_bytes(bad)


def test_bad_start_parameters_are_refused() -> None:
    key = X25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    with pytest.raises(InvalidKeyFormat):
        RatchetSession.initiator(b"short", bytes(128), public)
    with pytest.raises(InvalidKeyFormat):
        RatchetSession.initiator(bytes(32), bytes(128), public[:31])
    with pytest.raises(InvalidKeyFormat):
        RatchetSession.initiator(bytes(32), bytes(128), bytes(32))  # low order
    with pytest.raises(InvalidKeyFormat):
        RatchetSession.responder(bytes(32), "ad", key)  # type: ignore[arg-type]


def test_no_secret_appears_in_repr_or_str() -> None:
    alice, bob = started_pair()
    alice.encrypt(b"skipped")
    bob.decrypt(alice.encrypt(b"skips one"))
    for session in (alice, bob):
        data = session.to_json()
        secrets = [data["rk"], data["dhs"], data["cks"], data["ckr"]]
        secrets += [entry[2] for entry in data["skipped"]]
        shown = repr(session) + str(session) + repr(session._state)
        for secret in secrets:
            raw = b64decode(secret)
            assert secret not in shown and raw.hex() not in shown and repr(raw) not in shown


# ---------------------------------------------------------------- stored versions

VECTORS = Path(__file__).parent.parent / "vectors"


def _frozen_ratchet_state(version: int) -> dict[str, Any]:
    return json.loads((VECTORS / f"ratchet_state_v{version}.json").read_text(encoding="utf-8"))


def test_every_state_version_has_its_frozen_fixture_and_its_step() -> None:
    check_steps(STATE_VERSION, MIGRATIONS)
    for version in range(1, STATE_VERSION + 1):
        assert _frozen_ratchet_state(version)["version"] == version


def test_a_frozen_version_1_state_loads_and_still_decrypts_and_encrypts() -> None:
    frozen = _frozen_ratchet_state(1)
    clock = FakeClock(frozen["clock"])
    for side in ("alice", "bob"):
        stored = frozen[side].encode("ascii")
        assert json.loads(stored)["v"] == 1
        assert RatchetSession.from_bytes(stored, clock=clock).to_bytes() == stored  # nothing lost on the way
    alice = RatchetSession.from_bytes(frozen["alice"].encode("ascii"), clock=clock)
    bob = RatchetSession.from_bytes(frozen["bob"].encode("ascii"), clock=clock)
    for waiting in ("in_flight", "skipped"):  # sealed before the states were stored
        message = b64decode(frozen[waiting]["message"])
        assert bob.decrypt(message) == frozen[waiting]["plaintext"].encode()
    assert bob.decrypt(alice.encrypt(b"after loading")) == b"after loading"
    assert alice.decrypt(bob.encrypt(b"a reply")) == b"a reply"
    assert bob.decrypt(alice.encrypt(b"a new chain")) == b"a new chain"


def test_a_frozen_state_is_refused_as_a_later_version() -> None:
    data = json.loads(_frozen_ratchet_state(1)["alice"])
    data["v"] = STATE_VERSION + 1
    with pytest.raises(InvalidKeyFormat, match="unknown version"):
        RatchetSession.from_json(data)
