"""crypto_core.pqxdh: agreement, signature checks, prekey bookkeeping, formats and known answers."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM1024PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given, settings
from hypothesis import strategies as st
from known_answers import Replay

from crypto_core.errors import InvalidKeyFormat, InvalidSignature, UnknownPreKey
from crypto_core.keys import (
    IdentityKeyPair,
    KemPreKey,
    OneTimePreKey,
    PreKeyBundle,
    PublicIdentity,
    SignedPreKey,
)
from crypto_core.pqxdh import PQXDH_INFO, InitialMessage, initiate, respond

VECTOR = json.loads((Path(__file__).parent.parent / "vectors" / "pqxdh.json").read_text(encoding="utf-8"))
VECTOR_CREATED_AT = json.loads(VECTOR["bob_signed_prekey"])["created_at"]


class Bob:
    """A responder with every kind of prekey."""

    def __init__(self) -> None:
        self.identity = IdentityKeyPair.generate()
        self.spk = SignedPreKey.generate(self.identity, 11, created_at=0)
        self.otk = OneTimePreKey.generate(22)
        self.kem = KemPreKey.generate(self.identity, 33, last_resort=False)
        self.last = KemPreKey.generate(self.identity, 44, last_resort=True)

    def bundle(self, *, one_time: bool = True, last_resort: bool = False) -> PreKeyBundle:
        kem = self.last if last_resort else self.kem
        return PreKeyBundle(
            self.identity.public, self.spk.public(), kem.public(), self.otk.public() if one_time else None
        )


@pytest.fixture(scope="module")
def bob() -> Bob:
    return Bob()


@pytest.fixture(scope="module")
def alice() -> IdentityKeyPair:
    return IdentityKeyPair.generate()


# --------------------------------------------------------------------------- agreement


@pytest.mark.parametrize("one_time", [True, False], ids=["one-time-x25519", "no-one-time-x25519"])
@pytest.mark.parametrize("last_resort", [False, True], ids=["one-time-kem", "last-resort-kem"])
def test_both_sides_derive_the_same_key_and_bob_learns_what_to_delete(
    alice: IdentityKeyPair, bob: Bob, one_time: bool, last_resort: bool
) -> None:
    sent = initiate(alice, bob.bundle(one_time=one_time, last_resort=last_resort))
    message = InitialMessage.from_bytes(sent.initial_message.to_bytes())
    got = respond(
        bob.identity,
        message,
        signed_prekey=bob.spk,
        kem_prekey=bob.last if last_resort else bob.kem,
        one_time_prekey=bob.otk if one_time else None,
    )
    assert len(sent.shared_key) == 32
    assert got.shared_key == sent.shared_key
    assert (
        got.associated_data == sent.associated_data == alice.public.encoded() + bob.identity.public.encoded()
    )
    assert got.peer_identity == alice.public and sent.peer_identity == bob.identity.public
    assert sent.peer_ratchet_key == bob.spk.public().public
    assert got.used_one_time_prekey_id == (22 if one_time else None)
    assert got.used_kem_prekey_id == (None if last_resort else 33)


def test_the_initial_message_names_what_the_responder_needs(alice: IdentityKeyPair, bob: Bob) -> None:
    message = initiate(alice, bob.bundle()).initial_message
    assert message.identity == alice.public
    assert (message.signed_prekey_id, message.kem_prekey_id, message.one_time_prekey_id) == (11, 33, 22)
    assert len(message.ephemeral) == 32 and len(message.kem_ciphertext) == 1568
    assert "otk" not in initiate(alice, bob.bundle(one_time=False)).initial_message.to_json()


def test_two_sessions_never_share_a_key(alice: IdentityKeyPair, bob: Bob) -> None:
    assert initiate(alice, bob.bundle()).shared_key != initiate(alice, bob.bundle()).shared_key


def test_the_kem_secret_is_mixed_into_the_key(alice: IdentityKeyPair, bob: Bob) -> None:
    ephemeral = b"\x07" * 32
    real_secret, ciphertext = MLKEM1024PublicKey.from_public_bytes(bob.kem.public().public).encapsulate()
    other_secret = bytes([real_secret[0] ^ 1]) + real_secret[1:]

    def run(secret: bytes) -> bytes:
        result = initiate(
            alice, bob.bundle(), random=lambda n: ephemeral, encapsulate=lambda _pk: (secret, ciphertext)
        )
        return result.shared_key

    honest = run(real_secret)
    assert run(other_secret) != honest
    # And Bob really takes the secret from the ciphertext: his key equals the honest one.
    message = initiate(
        alice, bob.bundle(), random=lambda n: ephemeral, encapsulate=lambda _pk: (real_secret, ciphertext)
    ).initial_message
    got = respond(bob.identity, message, signed_prekey=bob.spk, kem_prekey=bob.kem, one_time_prekey=bob.otk)
    assert got.shared_key == honest


def test_a_replaced_kem_ciphertext_gives_bob_another_key(alice: IdentityKeyPair, bob: Bob) -> None:
    sent = initiate(alice, bob.bundle())
    _, other_ct = MLKEM1024PublicKey.from_public_bytes(bob.kem.public().public).encapsulate()
    forged = replace(sent.initial_message, kem_ciphertext=other_ct)
    got = respond(bob.identity, forged, signed_prekey=bob.spk, kem_prekey=bob.kem, one_time_prekey=bob.otk)
    assert got.shared_key != sent.shared_key


# --------------------------------------------------------------------------- signatures


def _flip(data: bytes) -> bytes:
    return bytes([data[0] ^ 1]) + data[1:]


def test_a_forged_signed_prekey_signature_is_refused(alice: IdentityKeyPair, bob: Bob) -> None:
    bundle = bob.bundle()
    forged = replace(
        bundle, signed_prekey=replace(bundle.signed_prekey, signature=_flip(bundle.signed_prekey.signature))
    )
    with pytest.raises(InvalidSignature, match="signed prekey"):
        initiate(alice, forged)


def test_a_forged_kem_prekey_signature_is_refused(alice: IdentityKeyPair, bob: Bob) -> None:
    bundle = bob.bundle()
    forged = replace(
        bundle, kem_prekey=replace(bundle.kem_prekey, signature=_flip(bundle.kem_prekey.signature))
    )
    with pytest.raises(InvalidSignature, match="ML-KEM prekey"):
        initiate(alice, forged)


def test_a_forged_identity_signature_is_refused(alice: IdentityKeyPair, bob: Bob) -> None:
    bundle = bob.bundle()
    forged = replace(
        bundle, identity=replace(bundle.identity, dh_signature=_flip(bundle.identity.dh_signature))
    )
    with pytest.raises(InvalidSignature, match="identity key"):
        initiate(alice, forged)


@pytest.mark.parametrize("last_resort", [False, True])
def test_a_kem_prekey_whose_last_resort_flag_was_flipped_is_refused(
    alice: IdentityKeyPair, bob: Bob, last_resort: bool
) -> None:
    bundle = bob.bundle(last_resort=last_resort)
    flipped = replace(bundle, kem_prekey=replace(bundle.kem_prekey, last_resort=not last_resort))
    with pytest.raises(InvalidSignature, match="ML-KEM prekey"):
        initiate(alice, flipped)


def test_a_bundle_with_a_swapped_signed_prekey_is_refused(alice: IdentityKeyPair, bob: Bob) -> None:
    bundle = bob.bundle()
    swapped_key = X25519PrivateKey.generate().public_key().public_bytes_raw()
    forged = replace(bundle, signed_prekey=replace(bundle.signed_prekey, public=swapped_key))
    with pytest.raises(InvalidSignature, match="signed prekey"):
        initiate(alice, forged)


def test_the_responder_refuses_an_initiator_whose_identity_does_not_verify(
    alice: IdentityKeyPair, bob: Bob
) -> None:
    message = initiate(alice, bob.bundle()).initial_message
    bad_identity = replace(message.identity, dh_signature=_flip(message.identity.dh_signature))
    with pytest.raises(InvalidSignature, match="identity key"):
        respond(
            bob.identity,
            replace(message, identity=bad_identity),
            signed_prekey=bob.spk,
            kem_prekey=bob.kem,
            one_time_prekey=bob.otk,
        )


# --------------------------------------------------------------------------- prekey bookkeeping


@pytest.mark.parametrize(
    "case",
    ["other signed prekey", "other kem prekey", "one-time missing", "one-time unexpected", "other one-time"],
)
def test_the_responder_refuses_prekeys_that_do_not_match_the_message(
    alice: IdentityKeyPair, bob: Bob, case: str
) -> None:
    with_otk = initiate(alice, bob.bundle()).initial_message
    without_otk = initiate(alice, bob.bundle(one_time=False)).initial_message
    other_spk = SignedPreKey.generate(bob.identity, 12, created_at=0)
    other_otk = OneTimePreKey.generate(23)
    message, spk, kem, otk = {
        "other signed prekey": (with_otk, other_spk, bob.kem, bob.otk),
        "other kem prekey": (with_otk, bob.spk, bob.last, bob.otk),
        "one-time missing": (with_otk, bob.spk, bob.kem, None),
        "one-time unexpected": (without_otk, bob.spk, bob.kem, bob.otk),
        "other one-time": (with_otk, bob.spk, bob.kem, other_otk),
    }[case]
    with pytest.raises(UnknownPreKey):
        respond(bob.identity, message, signed_prekey=spk, kem_prekey=kem, one_time_prekey=otk)


def test_a_low_order_ephemeral_key_is_refused(alice: IdentityKeyPair, bob: Bob) -> None:
    message = replace(initiate(alice, bob.bundle()).initial_message, ephemeral=b"\x00" * 32)
    with pytest.raises(InvalidKeyFormat):
        respond(bob.identity, message, signed_prekey=bob.spk, kem_prekey=bob.kem, one_time_prekey=bob.otk)


def test_a_wrong_sized_injected_encapsulation_is_refused(alice: IdentityKeyPair, bob: Bob) -> None:
    with pytest.raises(InvalidKeyFormat):
        initiate(alice, bob.bundle(), encapsulate=lambda _pk: (b"\x00" * 31, b"\x00" * 1568))


# --------------------------------------------------------------------------- wire format


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ek", base64.b64encode(b"\x01" * 31).decode()),
        ("ek", "***"),
        ("ct", base64.b64encode(b"\x01" * 1567).decode()),
        ("ct", 5),
        ("spk", "1"),
        ("kem", -3),
        ("otk", 1.5),
        ("identity", "me"),
    ],
)
def test_a_malformed_initial_message_is_refused(
    alice: IdentityKeyPair, bob: Bob, field: str, value: object
) -> None:
    data = initiate(alice, bob.bundle()).initial_message.to_json()
    data[field] = value
    with pytest.raises(InvalidKeyFormat):
        InitialMessage.from_json(data)


@pytest.mark.parametrize("raw", [b"", b"null", b"[1]", b"\x80", b"{" * 50_000])
def test_bytes_that_are_not_an_initial_message_are_refused(raw: bytes) -> None:
    with pytest.raises(InvalidKeyFormat):
        InitialMessage.from_bytes(raw)


@pytest.mark.parametrize(
    ("section", "field"), [("signed_prekey", "key"), ("kem_prekey", "sig"), ("identity", "dh")]
)
def test_a_bundle_with_a_bad_field_is_refused_before_any_agreement(
    bob: Bob, section: str, field: str
) -> None:
    data: dict[str, Any] = bob.bundle().to_json()
    data[section][field] = data[section][field][:-4]
    with pytest.raises(InvalidKeyFormat):
        PreKeyBundle.from_json(data)
    data[section][field] = "not/base64?"
    with pytest.raises(InvalidKeyFormat):
        PreKeyBundle.from_json(data)


_identity_keys = st.builds(
    PublicIdentity,
    st.binary(min_size=32, max_size=32),
    st.binary(min_size=32, max_size=32),
    st.binary(min_size=64, max_size=64),
)
_ids = st.integers(min_value=0, max_value=2**32 - 1)


@settings(max_examples=40, deadline=None)
@given(
    _identity_keys,
    st.binary(min_size=32, max_size=32),
    st.binary(min_size=1568, max_size=1568),
    _ids,
    _ids,
    st.none() | _ids,
)
def test_initial_messages_round_trip(
    identity: PublicIdentity, ek: bytes, ct: bytes, spk: int, kem: int, otk: int | None
) -> None:
    message = InitialMessage(identity, ek, ct, spk, kem, otk)
    assert InitialMessage.from_bytes(message.to_bytes()) == message
    assert InitialMessage.from_json(json.loads(json.dumps(message.to_json()))) == message


# --------------------------------------------------------------------------- known answers


def _vector_keys() -> dict[str, Any]:
    return {
        "alice": IdentityKeyPair.from_bytes(VECTOR["alice"].encode()),
        "bob": IdentityKeyPair.from_bytes(VECTOR["bob"].encode()),
        "spk": SignedPreKey.from_bytes(VECTOR["bob_signed_prekey"].encode()),
        "otk": OneTimePreKey.from_bytes(VECTOR["bob_one_time_prekey"].encode()),
        "kem": KemPreKey.from_bytes(VECTOR["bob_kem_one_time"].encode()),
        "last": KemPreKey.from_bytes(VECTOR["bob_kem_last_resort"].encode()),
    }


def test_the_vector_keys_come_from_its_tape() -> None:
    rnd = Replay(VECTOR["tape"])
    alice = IdentityKeyPair.generate(rnd)
    bob = IdentityKeyPair.generate(rnd)
    spk = SignedPreKey.generate(bob, 1, VECTOR_CREATED_AT, rnd)
    otk = OneTimePreKey.generate(2, rnd)
    kem = KemPreKey.generate(bob, 3, last_resort=False, random=rnd)
    last = KemPreKey.generate(bob, 4, last_resort=True, random=rnd)
    assert rnd.exhausted
    made = [alice, bob, spk, otk, kem, last]
    names = [
        "alice",
        "bob",
        "bob_signed_prekey",
        "bob_one_time_prekey",
        "bob_kem_one_time",
        "bob_kem_last_resort",
    ]
    assert [key.to_bytes().decode() for key in made] == [VECTOR[name] for name in names]


@pytest.mark.parametrize("case", VECTOR["cases"], ids=[case["name"] for case in VECTOR["cases"]])
def test_known_answer(case: dict[str, Any]) -> None:
    k = _vector_keys()
    kem: KemPreKey = k["last"] if case["kem_last_resort"] else k["kem"]
    otk: OneTimePreKey | None = k["otk"] if case["one_time_prekey"] else None
    bundle = PreKeyBundle(
        k["bob"].public, k["spk"].public(), kem.public(), None if otk is None else otk.public()
    )
    assert bundle.to_bytes().decode() == case["bundle"]

    secret, ciphertext = bytes.fromhex(case["kem_secret"]), bytes.fromhex(case["kem_ciphertext"])
    # The recorded encapsulation is genuine: Bob's key (deterministic from its seed) opens it.
    assert kem.decapsulate(ciphertext) == secret

    rnd = Replay(case["ephemeral_tape"])
    sent = initiate(k["alice"], bundle, random=rnd, encapsulate=lambda _pk: (secret, ciphertext))
    assert rnd.exhausted
    assert sent.initial_message.to_bytes().decode() == case["initial_message"]
    assert sent.shared_key.hex() == case["shared_key"]
    assert sent.associated_data.hex() == case["associated_data"]

    # The KDF, recomputed from the primitives: each DH output, then HKDF over F || DHs || SS.
    ephemeral = X25519PrivateKey.from_private_bytes(bytes.fromhex(case["ephemeral_tape"][0]))
    alice_dh = X25519PrivateKey.from_private_bytes(base64.b64decode(json.loads(VECTOR["alice"])["dh"]))
    peers = [k["spk"].public().public, k["bob"].public.dh_key, k["spk"].public().public]
    peers += [] if otk is None else [otk.public().public]
    dh = [alice_dh.exchange(X25519PublicKey.from_public_bytes(peers[0]))]
    dh += [ephemeral.exchange(X25519PublicKey.from_public_bytes(p)) for p in peers[1:]]
    assert [d.hex() for d in dh] == case["dh"]
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"\x00" * 32, info=PQXDH_INFO)
    assert hkdf.derive(b"\xff" * 32 + b"".join(dh) + secret).hex() == case["shared_key"]
    assert PQXDH_INFO == b"Parley_PQXDH_CURVE25519_SHA-256_ML-KEM-1024"

    got = respond(
        k["bob"],
        InitialMessage.from_bytes(case["initial_message"].encode()),
        signed_prekey=k["spk"],
        kem_prekey=kem,
        one_time_prekey=otk,
    )
    assert got.shared_key.hex() == case["shared_key"]
    assert got.associated_data.hex() == case["associated_data"]
    assert got.used_one_time_prekey_id == case["deleted_one_time_prekey_id"]
    assert got.used_kem_prekey_id == case["deleted_kem_prekey_id"]


# --------------------------------------------------------------------------- nothing secret is shown


def test_results_show_no_shared_key(alice: IdentityKeyPair, bob: Bob) -> None:
    sent = initiate(alice, bob.bundle())
    got = respond(
        bob.identity, sent.initial_message, signed_prekey=bob.spk, kem_prekey=bob.kem, one_time_prekey=bob.otk
    )
    key = sent.shared_key
    shown = repr(sent) + str(sent) + repr(got) + str(got)
    for spelling in (key.hex(), base64.b64encode(key).decode(), repr(key)):
        assert spelling not in shown
    assert bob.identity.public.short_id() in repr(sent)
