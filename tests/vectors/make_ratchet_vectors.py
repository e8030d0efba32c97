"""Writes tests/vectors/ratchet.json: known answers for the Double Ratchet.

Run from the repository root as ``python -m tests.vectors.make_ratchet_vectors``,
only when a format changes on purpose. The test (tests/crypto_core/test_ratchet_vectors.py)
only reads the file, recomputes everything and compares.

Every input is fixed (derived from a label with SHA-256) and every random value
the sessions draw is listed in the file, so the file describes itself.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from crypto_core.chains import kdf_ck, kdf_rk, message_key_material
from crypto_core.encoding import RandomSource
from crypto_core.ratchet import RatchetSession

OUT = Path(__file__).with_name("ratchet.json")
CLOCK = 1_700_000_000.0


def fixed(label: str, length: int = 32) -> bytes:
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(f"Parley ratchet vectors: {label} {counter}".encode()).digest()
        counter += 1
    return out[:length]


def source(values: list[bytes]) -> RandomSource:
    """A random source that hands out exactly ``values``, in order."""
    remaining = list(values)

    def random(n: int) -> bytes:
        value = remaining.pop(0)
        assert len(value) == n
        return value

    return random


def conversation() -> dict[str, Any]:
    shared, ad, bob_key = fixed("shared key"), fixed("associated data", 128), fixed("bob signed prekey")
    alice_random = [fixed("alice ratchet 0"), fixed("alice ratchet 1")]
    bob_random = [fixed("bob ratchet 1"), fixed("bob ratchet 2")]
    bob_private = X25519PrivateKey.from_private_bytes(bob_key)
    sessions = {
        "alice": RatchetSession.initiator(
            shared,
            ad,
            bob_private.public_key().public_bytes_raw(),
            random=source(alice_random),
            clock=lambda: CLOCK,
        ),
        "bob": RatchetSession.responder(
            shared, ad, bob_private, random=source(bob_random), clock=lambda: CLOCK
        ),
    }
    wires: list[bytes] = []
    events: list[dict[str, Any]] = []

    def encrypt(side: str, text: str, note: str) -> None:
        wire = sessions[side].encrypt(text.encode())
        events.append({"op": "encrypt", "side": side, "plaintext": text, "wire": wire.hex(), "note": note})
        wires.append(wire)

    def decrypt(side: str, index: int) -> None:
        plaintext = sessions[side].decrypt(wires[index]).decode()
        events.append({"op": "decrypt", "side": side, "message": index, "plaintext": plaintext})

    def state(side: str) -> None:
        events.append({"op": "state", "side": side, "bytes": sessions[side].to_bytes().decode()})

    encrypt("alice", "first message", "Alice's first message: her first ratchet key, PN 0, N 0")
    decrypt("bob", 0)
    encrypt("alice", "late", "N 1, delivered last")
    encrypt("alice", "third", "N 2")
    decrypt("bob", 2)
    state("bob")
    encrypt("bob", "reply", "Bob's first message, after his DH step")
    decrypt("alice", 3)
    encrypt("alice", "after the turn", "after Alice's DH step: her second ratchet key, PN 3, N 0")
    decrypt("bob", 4)
    decrypt("bob", 1)
    state("alice")
    state("bob")
    return {
        "shared_key": shared.hex(),
        "associated_data": ad.hex(),
        "bob_ratchet_private": bob_key.hex(),
        "alice_random": [v.hex() for v in alice_random],
        "bob_random": [v.hex() for v in bob_random],
        "clock": CLOCK,
        "events": events,
    }


def main() -> None:
    rk, dh = fixed("root key"), fixed("dh output")
    new_rk, ck = kdf_rk(rk, dh)
    chain = fixed("chain key")
    next_ck, mk = kdf_ck(chain)
    key, nonce = message_key_material(mk)
    vectors = {
        "kdf_rk": {
            "root_key": rk.hex(),
            "dh_output": dh.hex(),
            "next_root_key": new_rk.hex(),
            "chain_key": ck.hex(),
        },
        "kdf_ck": {"chain_key": chain.hex(), "next_chain_key": next_ck.hex(), "message_key": mk.hex()},
        "message_keys": {"message_key": mk.hex(), "aes_key": key.hex(), "nonce": nonce.hex()},
        "conversation": conversation(),
    }
    OUT.write_text(json.dumps(vectors, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT.name}")


if __name__ == "__main__":
    main()
