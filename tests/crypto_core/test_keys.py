"""crypto_core.keys: generation from injected randomness, signatures, serialisation, and hidden secrets."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM1024PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from known_answers import Replay

from crypto_core.errors import InvalidKeyFormat, InvalidSignature
from crypto_core.key_encoding import (
    PURPOSE_IDENTITY_DH,
    PURPOSE_KEM_LAST_RESORT,
    PURPOSE_KEM_PREKEY,
    PURPOSE_SIGNED_PREKEY,
    encode_mlkem,
    encode_x25519,
)
from crypto_core.keys import (
    IdentityKeyPair,
    KemPreKey,
    KemPreKeyPublic,
    OneTimePreKey,
    OneTimePreKeyPublic,
    PreKeyBundle,
    PublicIdentity,
    SignedPreKey,
    SignedPreKeyPublic,
    signed_statement,
    x25519,
)

VECTOR = json.loads((Path(__file__).parent.parent / "vectors" / "keys.json").read_text(encoding="utf-8"))


def _generate_from_tape() -> tuple[
    IdentityKeyPair, SignedPreKey, OneTimePreKey, KemPreKey, KemPreKey, Replay
]:
    rnd = Replay(VECTOR["tape"])
    identity = IdentityKeyPair.generate(rnd)
    spk = SignedPreKey.generate(identity, VECTOR["signed_prekey"]["id"], VECTOR["created_at"], rnd)
    otk = OneTimePreKey.generate(VECTOR["one_time_prekey"]["id"], rnd)
    kem = KemPreKey.generate(identity, VECTOR["kem_one_time"]["id"], last_resort=False, random=rnd)
    last = KemPreKey.generate(identity, VECTOR["kem_last_resort"]["id"], last_resort=True, random=rnd)
    return identity, spk, otk, kem, last, rnd


# --------------------------------------------------------------------------- known answers


def test_generation_from_injected_randomness_matches_the_vector() -> None:
    identity, spk, otk, kem, last, rnd = _generate_from_tape()
    assert rnd.exhausted
    assert identity.to_bytes().decode() == VECTOR["identity"]["private"]
    assert identity.public.to_bytes().decode() == VECTOR["identity"]["public"]
    assert spk.to_bytes().decode() == VECTOR["signed_prekey"]["private"]
    assert spk.public().to_bytes().decode() == VECTOR["signed_prekey"]["public"]
    assert otk.to_bytes().decode() == VECTOR["one_time_prekey"]["private"]
    assert otk.public().to_bytes().decode() == VECTOR["one_time_prekey"]["public"]
    assert kem.to_bytes().decode() == VECTOR["kem_one_time"]["private"]
    assert kem.public().to_bytes().decode() == VECTOR["kem_one_time"]["public"]
    assert last.to_bytes().decode() == VECTOR["kem_last_resort"]["private"]
    assert last.public().to_bytes().decode() == VECTOR["kem_last_resort"]["public"]
    bundle = PreKeyBundle(identity.public, spk.public(), kem.public(), otk.public())
    assert bundle.to_bytes().decode() == VECTOR["bundle"]


def test_signed_statements_match_the_vector_and_carry_the_signatures() -> None:
    identity, spk, _otk, kem, last, _ = _generate_from_tape()
    signer = Ed25519PublicKey.from_public_bytes(identity.public.signing_key)
    cases = [
        (
            PURPOSE_IDENTITY_DH,
            0,
            encode_x25519(identity.public.dh_key),
            identity.public.dh_signature,
            "identity",
        ),
        (
            PURPOSE_SIGNED_PREKEY,
            spk.key_id,
            encode_x25519(spk.public().public),
            spk.signature,
            "signed_prekey",
        ),
        (PURPOSE_KEM_PREKEY, kem.key_id, encode_mlkem(kem.public().public), kem.signature, "kem_one_time"),
        (
            PURPOSE_KEM_LAST_RESORT,
            last.key_id,
            encode_mlkem(last.public().public),
            last.signature,
            "kem_last_resort",
        ),
    ]
    for purpose, key_id, encoded, signature, name in cases:
        statement = signed_statement(purpose, key_id, encoded)
        assert statement.hex() == VECTOR[name]["statement"], name
        signer.verify(signature, statement)  # raises if the signature is not over this statement


def test_signal_encode_uses_the_type_bytes_of_the_specification() -> None:
    assert encode_x25519(b"\x01" * 32) == b"\x05" + b"\x01" * 32
    assert encode_mlkem(b"\x02" * 1568) == b"\x0a" + b"\x02" * 1568


def test_private_state_from_the_vector_reloads_to_the_same_keys() -> None:
    identity = IdentityKeyPair.from_bytes(VECTOR["identity"]["private"].encode())
    assert identity.public.to_bytes().decode() == VECTOR["identity"]["public"]
    kem = KemPreKey.from_bytes(VECTOR["kem_one_time"]["private"].encode())
    assert kem.public().to_bytes().decode() == VECTOR["kem_one_time"]["public"]
    assert PreKeyBundle.from_bytes(VECTOR["bundle"].encode()).to_bytes().decode() == VECTOR["bundle"]


# --------------------------------------------------------------------------- signatures


@pytest.fixture(scope="module")
def keys() -> tuple[IdentityKeyPair, SignedPreKey, OneTimePreKey, KemPreKey, KemPreKey]:
    identity, spk, otk, kem, last, _ = _generate_from_tape()
    return identity, spk, otk, kem, last


def test_a_fresh_bundle_verifies(keys: Any) -> None:
    identity, spk, otk, kem, last = keys
    PreKeyBundle(identity.public, spk.public(), kem.public(), otk.public()).verify()
    PreKeyBundle(identity.public, spk.public(), last.public()).verify()


def test_a_signature_does_not_carry_over_to_another_key_id(keys: Any) -> None:
    identity, spk, _otk, kem, _last = keys
    moved = SignedPreKeyPublic(spk.key_id + 1, spk.public().public, spk.signature)
    with pytest.raises(InvalidSignature, match="signed prekey"):
        moved.verify(identity.public)
    pub = kem.public()
    with pytest.raises(InvalidSignature, match="ML-KEM prekey"):
        KemPreKeyPublic(pub.key_id + 1, pub.public, pub.signature, pub.last_resort).verify(identity.public)


def test_a_prekey_signed_by_someone_else_is_refused(keys: Any) -> None:
    _identity, spk, _otk, _kem, _last = keys
    stranger = IdentityKeyPair.generate()
    with pytest.raises(InvalidSignature, match="signed prekey"):
        spk.public().verify(stranger.public)


def test_an_identity_whose_dh_key_was_swapped_is_refused(keys: Any) -> None:
    identity = keys[0].public
    other_dh = X25519PrivateKey.generate().public_key().public_bytes_raw()
    with pytest.raises(InvalidSignature, match="identity key"):
        PublicIdentity(identity.signing_key, other_dh, identity.dh_signature).verify()


# --------------------------------------------------------------------------- round trips (hypothesis)

ids = st.integers(min_value=0, max_value=2**32 - 1)
key32 = st.binary(min_size=32, max_size=32)
sig64 = st.binary(min_size=64, max_size=64)
seeds = st.binary(min_size=64, max_size=64)


def _mlkem_public(seed: bytes) -> bytes:
    return MLKEM1024PrivateKey.from_seed_bytes(seed).public_key().public_bytes_raw()


public_identities = st.builds(PublicIdentity, key32, key32, sig64)
signed_prekeys_public = st.builds(SignedPreKeyPublic, ids, key32, sig64)
one_time_prekeys_public = st.builds(OneTimePreKeyPublic, ids, key32)
kem_prekeys_public = st.builds(KemPreKeyPublic, ids, seeds.map(_mlkem_public), sig64, st.booleans())
bundles = st.builds(
    PreKeyBundle,
    public_identities,
    signed_prekeys_public,
    kem_prekeys_public,
    st.none() | one_time_prekeys_public,
)


@settings(max_examples=40, deadline=None)
@given(
    st.one_of(public_identities, signed_prekeys_public, one_time_prekeys_public, kem_prekeys_public, bundles)
)
def test_public_parts_round_trip_through_json_and_bytes(value: Any) -> None:
    cls = type(value)
    assert cls.from_json(json.loads(json.dumps(value.to_json()))) == value
    assert cls.from_bytes(value.to_bytes()) == value


@settings(max_examples=25, deadline=None)
@given(key32, key32)
def test_identity_key_pairs_round_trip(signing: bytes, dh: bytes) -> None:
    pair = IdentityKeyPair(
        Ed25519PrivateKey.from_private_bytes(signing), X25519PrivateKey.from_private_bytes(dh)
    )
    again = IdentityKeyPair.from_bytes(pair.to_bytes())
    assert again.to_json() == pair.to_json()
    assert again.public == pair.public


@settings(max_examples=25, deadline=None)
@given(ids, key32, sig64, st.integers(min_value=0, max_value=2**63 - 1), ids, key32)
def test_x25519_prekeys_round_trip(
    spk_id: int, spk_key: bytes, sig: bytes, created_at: int, otk_id: int, otk_key: bytes
) -> None:
    spk = SignedPreKey(spk_id, X25519PrivateKey.from_private_bytes(spk_key), sig, created_at)
    again = SignedPreKey.from_bytes(spk.to_bytes())
    assert again.to_json() == spk.to_json()
    assert again.public() == spk.public()
    otk = OneTimePreKey(otk_id, X25519PrivateKey.from_private_bytes(otk_key))
    assert OneTimePreKey.from_json(otk.to_json()).to_json() == otk.to_json()
    assert OneTimePreKey.from_bytes(otk.to_bytes()).public() == otk.public()


@settings(max_examples=15, deadline=None)
@given(ids, seeds, sig64, st.booleans())
def test_kem_prekeys_round_trip(key_id: int, seed: bytes, sig: bytes, last_resort: bool) -> None:
    kem = KemPreKey(key_id, seed, sig, last_resort)
    again = KemPreKey.from_bytes(kem.to_bytes())
    assert again.to_json() == kem.to_json()
    assert again.public() == kem.public()


# --------------------------------------------------------------------------- malformed input


def _bundle_json() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VECTOR["bundle"])
    return data


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("identity", "sign"), base64.b64encode(b"\x01" * 31).decode()),
        (("identity", "dh"), base64.b64encode(b"\x01" * 33).decode()),
        (("identity", "sig"), "not base64!"),
        (("signed_prekey", "key"), "AAAA"),
        (("signed_prekey", "sig"), 12),
        (("signed_prekey", "id"), -1),
        (("signed_prekey", "id"), True),
        (("signed_prekey", "id"), 2**32),
        (("one_time_prekey", "key"), None),
        (("kem_prekey", "key"), base64.b64encode(b"\xff" * 1568).decode()),  # coefficients above q
        (("kem_prekey", "key"), base64.b64encode(b"\x00" * 1567).decode()),
        (("kem_prekey", "last_resort"), "no"),
        (("kem_prekey", "sig"), base64.b64encode(b"\x00" * 64).decode()[:-1] + "B"),  # non-canonical
    ],
)
def test_a_malformed_bundle_field_is_refused_with_invalid_key_format(
    path: tuple[str, str], value: object
) -> None:
    data = _bundle_json()
    data[path[0]][path[1]] = value
    with pytest.raises(InvalidKeyFormat):
        PreKeyBundle.from_json(data)


@pytest.mark.parametrize("raw", [b"", b"[]", b"{", b"\xff\xfe", b"[" * 100_000, b'{"identity": 1}'])
def test_bytes_that_are_not_a_bundle_are_refused_with_invalid_key_format(raw: bytes) -> None:
    with pytest.raises(InvalidKeyFormat):
        PreKeyBundle.from_bytes(raw)


@pytest.mark.parametrize(
    ("cls", "name", "field", "value"),
    [
        (IdentityKeyPair, "identity", "sign", "AAAA"),
        (SignedPreKey, "signed_prekey", "created_at", "yesterday"),
        (OneTimePreKey, "one_time_prekey", "key", base64.b64encode(b"\x00" * 31).decode()),
        (KemPreKey, "kem_one_time", "seed", base64.b64encode(b"\x00" * 32).decode()),
        (KemPreKey, "kem_one_time", "last_resort", 1),
    ],
)
def test_malformed_private_state_is_refused_with_invalid_key_format(
    cls: Any, name: str, field: str, value: object
) -> None:
    data = json.loads(VECTOR[name]["private"])
    data[field] = value
    with pytest.raises(InvalidKeyFormat):
        cls.from_json(data)


def test_a_kem_prekey_with_a_short_seed_is_refused() -> None:
    with pytest.raises(InvalidKeyFormat):
        KemPreKey(1, b"\x00" * 32, b"\x00" * 64, False)


def test_agreement_with_a_low_order_point_is_a_format_error() -> None:
    with pytest.raises(InvalidKeyFormat):
        x25519(X25519PrivateKey.generate(), b"\x00" * 32)


# --------------------------------------------------------------------------- nothing private is shown


def _secret_spellings(secret: bytes) -> list[str]:
    b64 = base64.b64encode(secret).decode()
    return [secret.hex(), secret.hex().upper(), b64, b64.rstrip("="), repr(secret)]


def test_reprs_and_strs_of_private_keys_show_no_private_bytes(keys: Any) -> None:
    identity, spk, otk, kem, last = keys
    secrets = [
        identity._signing.private_bytes_raw(),
        identity._dh.private_bytes_raw(),
        spk.private.private_bytes_raw(),
        otk.private.private_bytes_raw(),
        kem.seed,
        last.seed,
    ]
    shown = " ".join(f(obj) for obj in (identity, spk, otk, kem, last) for f in (repr, str))
    for secret in secrets:
        for spelling in _secret_spellings(secret):
            assert spelling not in shown
    assert "IdentityKeyPair(" in shown and "KemPreKey(id=" in shown


PROTOCOL_MD = Path(__file__).resolve().parents[2] / "net" / "protocol" / "PROTOCOL.md"


def test_the_statements_are_as_protocol_md_writes_them_out() -> None:
    text = PROTOCOL_MD.read_text(encoding="utf-8")
    rows = re.findall(
        r"^ *\| .+ \| `([a-z-]+)` \| .+ \| `0x([0-9A-F]{2})` \| .+ \((\d+)\) \| (\d+) bytes \|$", text, re.M
    )
    purposes = {PURPOSE_IDENTITY_DH, PURPOSE_SIGNED_PREKEY, PURPOSE_KEM_PREKEY, PURPOSE_KEM_LAST_RESORT}
    assert {purpose.encode() for purpose, *_ in rows} == purposes
    for purpose, type_byte, key_length, length in rows:
        key = bytes(int(key_length))
        encoded = encode_x25519(key) if type_byte == "05" else encode_mlkem(key)
        statement = signed_statement(purpose.encode(), 7, encoded)
        assert len(statement) == int(length), purpose
        assert statement[-int(key_length) - 1] == int(type_byte, 16)
    example = signed_statement(PURPOSE_SIGNED_PREKEY, 258, encode_x25519(bytes(range(32))))
    written = re.search(r"in hex:\n((?:.*\n){4})", text)
    assert written is not None
    shown = re.findall(r"`([0-9a-f ]+)`", written.group(1).split("then")[0])
    assert bytes.fromhex(" ".join(shown)) == example[:-32]
