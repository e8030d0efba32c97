"""Regenerate the known-answer vectors in this folder: ``python tests/vectors/generate.py``.

Run it only on purpose, after a deliberate change of format, and review the diff:
the tests read these files and never write them. Every random draw is recorded in
the file as a "tape" (hex strings, in the order drawn), so a test replays exactly
the same bytes through the injectable ``random`` parameter. ML-KEM encapsulation
cannot take injected randomness, so its (shared secret, ciphertext) is recorded too.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey  # noqa: E402

from crypto_core import key_encoding, keys, pqxdh, safety_number, sealing  # noqa: E402

CREATED_AT = 1_700_000_000


class RecordingRandom:
    """Deterministic bytes (SHAKE-256 of a label and a counter) that remembers every draw."""

    def __init__(self, label: str) -> None:
        self.label = label.encode()
        self.tape: list[str] = []

    def __call__(self, n: int) -> bytes:
        data = hashlib.shake_256(self.label + len(self.tape).to_bytes(4, "big")).digest(n)
        self.tape.append(data.hex())
        return data


def _text(obj: key_encoding.Serialised | pqxdh.InitialMessage) -> str:
    return obj.to_bytes().decode("ascii")


def keys_vector() -> dict[str, Any]:
    rnd = RecordingRandom("parley keys vector")
    identity = keys.IdentityKeyPair.generate(rnd)
    spk = keys.SignedPreKey.generate(identity, 7, CREATED_AT, rnd)
    otk = keys.OneTimePreKey.generate(42, rnd)
    kem = keys.KemPreKey.generate(identity, 9, last_resort=False, random=rnd)
    last = keys.KemPreKey.generate(identity, 10, last_resort=True, random=rnd)
    bundle = keys.PreKeyBundle(identity.public, spk.public(), kem.public(), otk.public())
    ident = identity.public
    return {
        "tape": rnd.tape,
        "created_at": CREATED_AT,
        "identity": {
            "private": _text(identity),
            "public": _text(ident),
            "statement": key_encoding.signed_statement(
                key_encoding.PURPOSE_IDENTITY_DH, 0, key_encoding.encode_x25519(ident.dh_key)
            ).hex(),
        },
        "signed_prekey": {
            "id": 7,
            "private": _text(spk),
            "public": _text(spk.public()),
            "statement": key_encoding.signed_statement(
                key_encoding.PURPOSE_SIGNED_PREKEY, 7, key_encoding.encode_x25519(spk.public().public)
            ).hex(),
        },
        "one_time_prekey": {"id": 42, "private": _text(otk), "public": _text(otk.public())},
        "kem_one_time": {
            "id": 9,
            "private": _text(kem),
            "public": _text(kem.public()),
            "statement": key_encoding.signed_statement(
                key_encoding.PURPOSE_KEM_PREKEY, 9, key_encoding.encode_mlkem(kem.public().public)
            ).hex(),
        },
        "kem_last_resort": {
            "id": 10,
            "private": _text(last),
            "public": _text(last.public()),
            "statement": key_encoding.signed_statement(
                key_encoding.PURPOSE_KEM_LAST_RESORT, 10, key_encoding.encode_mlkem(last.public().public)
            ).hex(),
        },
        "bundle": _text(bundle),
    }


def pqxdh_vector() -> dict[str, Any]:
    rnd = RecordingRandom("parley pqxdh vector")
    alice = keys.IdentityKeyPair.generate(rnd)
    bob = keys.IdentityKeyPair.generate(rnd)
    spk = keys.SignedPreKey.generate(bob, 1, CREATED_AT, rnd)
    otk = keys.OneTimePreKey.generate(2, rnd)
    kem = keys.KemPreKey.generate(bob, 3, last_resort=False, random=rnd)
    last = keys.KemPreKey.generate(bob, 4, last_resort=True, random=rnd)
    out: dict[str, Any] = {
        "alice": _text(alice),
        "bob": _text(bob),
        "bob_signed_prekey": _text(spk),
        "bob_one_time_prekey": _text(otk),
        "bob_kem_one_time": _text(kem),
        "bob_kem_last_resort": _text(last),
        "cases": [],
    }
    for name, one_time, kem_key in [("with one-time prekeys", otk, kem), ("last resort only", None, last)]:
        bundle = keys.PreKeyBundle(
            bob.public, spk.public(), kem_key.public(), None if one_time is None else one_time.public()
        )
        secret, ciphertext = kem_key.private.public_key().encapsulate()
        eph = RecordingRandom(f"parley pqxdh ephemeral {name}")
        result = pqxdh.initiate(
            alice, bundle, random=eph, encapsulate=lambda _pk, s=secret, c=ciphertext: (s, c)
        )
        ephemeral = X25519PrivateKey.from_private_bytes(bytes.fromhex(eph.tape[0]))
        dh = [
            alice.dh(spk.public().public),
            keys.x25519(ephemeral, bob.public.dh_key),
            keys.x25519(ephemeral, spk.public().public),
        ]
        if one_time is not None:
            dh.append(keys.x25519(ephemeral, one_time.public().public))
        out["cases"].append(
            {
                "name": name,
                "one_time_prekey": one_time is not None,
                "kem_last_resort": kem_key.last_resort,
                "ephemeral_tape": eph.tape,
                "kem_secret": secret.hex(),
                "kem_ciphertext": ciphertext.hex(),
                "bundle": _text(bundle),
                "initial_message": _text(result.initial_message),
                "dh": [d.hex() for d in dh],
                "shared_key": result.shared_key.hex(),
                "associated_data": result.associated_data.hex(),
                "deleted_one_time_prekey_id": None if one_time is None else one_time.key_id,
                "deleted_kem_prekey_id": None if kem_key.last_resort else kem_key.key_id,
            }
        )
    out["tape"] = rnd.tape
    return out


def sealing_vector() -> dict[str, Any]:
    rnd = RecordingRandom("parley sealing vector")
    passphrase = "correct horse battery staple \u00e9t\u00e9"
    sealer, wrapped = sealing.create(passphrase, random=rnd)
    slot = "contact:+15551230001"
    plaintext = b"Parley sealed value"
    sealed = sealer.seal(slot, plaintext, random=rnd)
    return {
        "tape": rnd.tape,
        "passphrase": passphrase,
        "params": {
            "memory_kib": sealing.DEFAULT_PARAMS.memory_kib,
            "iterations": sealing.DEFAULT_PARAMS.iterations,
            "lanes": sealing.DEFAULT_PARAMS.lanes,
        },
        "wrapped": wrapped.hex(),
        "slot": slot,
        "plaintext": plaintext.hex(),
        "sealed": sealed.hex(),
        "blind_index": {
            "kind": "phone",
            "value": "+15551230001",
            "index": sealer.blind_index("phone", "+15551230001").hex(),
        },
    }


def safety_number_vector() -> dict[str, Any]:
    rnd = RecordingRandom("parley safety number vector")
    alice = keys.IdentityKeyPair.generate(rnd).public
    bob = keys.IdentityKeyPair.generate(rnd).public
    alice_phone, bob_phone = "+15551230001", "+442079460002"
    return {
        "alice": _text(alice),
        "alice_phone": alice_phone,
        "bob": _text(bob),
        "bob_phone": bob_phone,
        "safety_number": safety_number.safety_number(alice, alice_phone, bob, bob_phone),
        "alice_scannable": safety_number.scannable_payload(alice, alice_phone, bob, bob_phone).hex(),
        "bob_scannable": safety_number.scannable_payload(bob, bob_phone, alice, alice_phone).hex(),
        # Signal's own test vector (libsignal's fingerprint tests): 33-byte Curve25519 keys.
        "signal": {
            "alice_key": "0506863bc66d02b40d27b8d49ca7c09e9239236f9d7d25d6fcca5ce13c7064d868",
            "alice_id": "+14152222222",
            "bob_key": "05f781b6fb32fed9ba1cf2de978d4d5da28dc34046ae814402b5c0dbd96fda907b",
            "bob_id": "+14153333333",
            "iterations": 5200,
            "displayable": "300354477692869396892869876765458257569162576843440918079131",
            "alice_scannable_v1": (
                "080112220a201e301a0353dce3dbe7684cb8336e85136cdc0ee96219494ada305d62a7bd61df"
                "1a220a20d62cbf73a11592015b6b9f1682ac306fea3aaf3885b84d12bca631e9d4fb3a4d"
            ),
        },
    }


def main() -> None:
    for name, build in [
        ("keys", keys_vector),
        ("pqxdh", pqxdh_vector),
        ("sealing", sealing_vector),
        ("safety_number", safety_number_vector),
    ]:
        path = HERE / f"{name}.json"
        path.write_text(json.dumps(build(), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path.name}")


if __name__ == "__main__":
    main()
