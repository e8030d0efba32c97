"""Known answers: the KDFs, the message keys, the exact wire bytes and the serialised state are pinned.

The file is written by tests/vectors/make_ratchet_vectors.py and only read here:
any change of a label, a layout or the state format makes this test fail.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from crypto_core.chains import kdf_ck, kdf_rk, message_key_material
from crypto_core.ratchet import RatchetSession

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent.parent / "vectors" / "ratchet.json").read_text(encoding="utf-8")
)


class Recorded:
    """Hands out the recorded random values in order, and knows whether all were used."""

    def __init__(self, values: list[str]) -> None:
        self.values = [bytes.fromhex(v) for v in values]

    def __call__(self, n: int) -> bytes:
        assert self.values, "the session drew more randomness than recorded"
        value = self.values.pop(0)
        assert len(value) == n
        return value


def test_kdf_rk() -> None:
    v = VECTORS["kdf_rk"]
    assert kdf_rk(bytes.fromhex(v["root_key"]), bytes.fromhex(v["dh_output"])) == (
        bytes.fromhex(v["next_root_key"]),
        bytes.fromhex(v["chain_key"]),
    )


def test_kdf_ck() -> None:
    v = VECTORS["kdf_ck"]
    assert kdf_ck(bytes.fromhex(v["chain_key"])) == (
        bytes.fromhex(v["next_chain_key"]),
        bytes.fromhex(v["message_key"]),
    )


def test_message_key_and_nonce() -> None:
    v = VECTORS["message_keys"]
    assert message_key_material(bytes.fromhex(v["message_key"])) == (
        bytes.fromhex(v["aes_key"]),
        bytes.fromhex(v["nonce"]),
    )


def _sessions(v: dict[str, Any]) -> tuple[dict[str, RatchetSession], list[Recorded]]:
    shared, ad = bytes.fromhex(v["shared_key"]), bytes.fromhex(v["associated_data"])
    bob_key = X25519PrivateKey.from_private_bytes(bytes.fromhex(v["bob_ratchet_private"]))
    alice_random, bob_random = Recorded(v["alice_random"]), Recorded(v["bob_random"])

    def clock() -> float:
        return float(v["clock"])

    sessions = {
        "alice": RatchetSession.initiator(
            shared, ad, bob_key.public_key().public_bytes_raw(), random=alice_random, clock=clock
        ),
        "bob": RatchetSession.responder(shared, ad, bob_key, random=bob_random, clock=clock),
    }
    return sessions, [alice_random, bob_random]


def test_the_conversation_reproduces_every_byte() -> None:
    v = VECTORS["conversation"]
    sessions, sources = _sessions(v)
    wires: list[bytes] = []
    for event in v["events"]:
        session = sessions[event["side"]]
        if event["op"] == "encrypt":
            wire = session.encrypt(event["plaintext"].encode())
            assert wire.hex() == event["wire"], event["note"]
            wires.append(wire)
        elif event["op"] == "decrypt":
            assert session.decrypt(wires[event["message"]]) == event["plaintext"].encode()
        else:
            assert session.to_bytes() == event["bytes"].encode()
            restored = RatchetSession.from_bytes(event["bytes"].encode(), clock=lambda: float(v["clock"]))
            assert restored.to_bytes() == event["bytes"].encode()
    assert all(not source.values for source in sources), "recorded randomness was left unused"
    assert len(wires) == 5


@pytest.mark.parametrize("index", [0, 3, 4], ids=["first message", "after Bob's DH step", "after Alice's"])
def test_pinned_messages_name_the_ratchet_key_and_counters(index: int) -> None:
    encrypts = [e for e in VECTORS["conversation"]["events"] if e["op"] == "encrypt"]
    wire = bytes.fromhex(encrypts[index]["wire"])
    pn, n = int.from_bytes(wire[33:37], "big"), int.from_bytes(wire[37:41], "big")
    assert wire[0] == 1
    assert (pn, n) == {0: (0, 0), 3: (0, 0), 4: (3, 0)}[index]
    assert len(wire) == 41 + len(encrypts[index]["plaintext"]) + 16
