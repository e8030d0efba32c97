"""crypto_core.sealing: passphrase wrapping, slot-bound sealing, blind indexes, tampering, known answers."""

from __future__ import annotations

import base64
import json
import os
import unicodedata
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from known_answers import Replay

from crypto_core.errors import DecryptionError, InvalidKeyFormat, WrongPassphrase
from crypto_core.sealing import (
    DEFAULT_PARAMS,
    KdfParams,
    Sealer,
    change_passphrase,
    create,
    read_params,
    unlock,
)

VECTOR = json.loads((Path(__file__).parent.parent / "vectors" / "sealing.json").read_text(encoding="utf-8"))
#: Cheap Argon2id costs, so that the many unlocks below stay fast; the defaults are tested on their own.
CHEAP = KdfParams(memory_kib=1024, iterations=1, lanes=1)
SLOT = "contact:+15551230001"


@pytest.fixture
def profile() -> tuple[Sealer, bytes]:
    return create("open sesame", params=CHEAP)


def test_a_sealed_value_opens_after_unlocking_with_the_passphrase(profile: tuple[Sealer, bytes]) -> None:
    sealer, wrapped = profile
    sealed = sealer.seal(SLOT, b"hello")
    assert b"hello" not in sealed
    assert unlock("open sesame", wrapped).open(SLOT, sealed) == b"hello"


def test_the_same_value_seals_differently_each_time(profile: tuple[Sealer, bytes]) -> None:
    sealer, _ = profile
    assert sealer.seal(SLOT, b"x") != sealer.seal(SLOT, b"x")


def test_a_wrong_passphrase_is_refused_and_the_blob_is_unchanged(profile: tuple[Sealer, bytes]) -> None:
    sealer, wrapped = profile
    sealed = sealer.seal(SLOT, b"kept")
    before = bytes(wrapped)
    with pytest.raises(WrongPassphrase):
        unlock("open sesame!", wrapped)
    assert wrapped == before
    assert unlock("open sesame", wrapped).open(SLOT, sealed) == b"kept"


def test_a_passphrase_typed_in_another_unicode_form_still_opens() -> None:
    passphrase = "caf\u00e9 cr\u00e8me"
    _, wrapped = create(passphrase, params=CHEAP)
    unlock(unicodedata.normalize("NFD", passphrase), wrapped)


def test_changing_the_passphrase_keeps_every_value_and_retires_the_old_one(
    profile: tuple[Sealer, bytes],
) -> None:
    sealer, wrapped = profile
    sealed = {f"message:{i}": sealer.seal(f"message:{i}", f"text {i}".encode()) for i in range(5)}
    rewrapped = change_passphrase(wrapped, "open sesame", "new and longer", params=CHEAP)
    reopened = unlock("new and longer", rewrapped)
    assert {slot: reopened.open(slot, value) for slot, value in sealed.items()} == {
        f"message:{i}": f"text {i}".encode() for i in range(5)
    }
    with pytest.raises(WrongPassphrase):
        unlock("open sesame", rewrapped)


def test_changing_the_passphrase_needs_the_old_one(profile: tuple[Sealer, bytes]) -> None:
    _, wrapped = profile
    with pytest.raises(WrongPassphrase):
        change_passphrase(wrapped, "guess", "new", params=CHEAP)


def test_a_value_moved_to_another_slot_does_not_open(profile: tuple[Sealer, bytes]) -> None:
    sealer, _ = profile
    sealed = sealer.seal("contact:+15551230001", b"alice's key")
    with pytest.raises(DecryptionError):
        sealer.open("contact:+15551230002", sealed)


def test_a_value_sealed_under_another_master_key_does_not_open(profile: tuple[Sealer, bytes]) -> None:
    sealer, _ = profile
    other, _ = create("open sesame", params=CHEAP)
    with pytest.raises(DecryptionError):
        other.open(SLOT, sealer.seal(SLOT, b"x"))


def test_tampering_any_byte_of_a_sealed_value_is_detected(profile: tuple[Sealer, bytes]) -> None:
    sealer, _ = profile
    sealed = sealer.seal(SLOT, b"twelve bytes")
    for i in range(len(sealed)):
        tampered = sealed[:i] + bytes([sealed[i] ^ 0x01]) + sealed[i + 1 :]
        with pytest.raises(DecryptionError):
            sealer.open(SLOT, tampered)
    for cut in (sealed[:-1], sealed[:20], b"", sealed + b"\x00"):
        with pytest.raises(DecryptionError):
            sealer.open(SLOT, cut)


def test_every_failure_to_open_looks_the_same(profile: tuple[Sealer, bytes]) -> None:
    sealer, _ = profile
    sealed = sealer.seal(SLOT, b"secret plaintext")
    failures = [
        lambda: sealer.open("elsewhere", sealed),
        lambda: sealer.open(SLOT, sealed[:-1] + bytes([sealed[-1] ^ 1])),
        lambda: sealer.open(SLOT, b"\x02" + sealed[1:]),
        lambda: sealer.open(SLOT, b""),
    ]
    messages = set()
    for fail in failures:
        with pytest.raises(DecryptionError) as caught:
            fail()
        messages.add((type(caught.value), str(caught.value), caught.value.args))
    assert len(messages) == 1
    assert "secret" not in str(messages)


def test_tampering_any_byte_of_the_wrapped_key_is_detected(profile: tuple[Sealer, bytes]) -> None:
    _, wrapped = profile
    for i in range(len(wrapped)):
        tampered = wrapped[:i] + bytes([wrapped[i] ^ 0x01]) + wrapped[i + 1 :]
        with pytest.raises((WrongPassphrase, InvalidKeyFormat)):
            unlock("open sesame", tampered)


@pytest.mark.parametrize("cut", [0, 1, 29, 40, -1])
def test_a_truncated_or_padded_blob_is_a_format_error(profile: tuple[Sealer, bytes], cut: int) -> None:
    _, wrapped = profile
    with pytest.raises(InvalidKeyFormat):
        unlock("open sesame", wrapped[:cut])
    with pytest.raises(InvalidKeyFormat):
        unlock("open sesame", wrapped + b"\x00")


def test_a_blob_of_an_unknown_version_is_a_format_error(profile: tuple[Sealer, bytes]) -> None:
    _, wrapped = profile
    with pytest.raises(InvalidKeyFormat):
        unlock("open sesame", b"\x02" + wrapped[1:])


@pytest.mark.parametrize(
    "params",
    [
        KdfParams(memory_kib=2**32 - 1, iterations=1, lanes=1),
        KdfParams(memory_kib=1024, iterations=10_000, lanes=1),
        KdfParams(memory_kib=1024, iterations=0, lanes=1),
        KdfParams(memory_kib=1024, iterations=1, lanes=0),
        KdfParams(memory_kib=16, iterations=1, lanes=4),
    ],
)
def test_a_blob_asking_for_absurd_costs_is_refused_without_running_them(
    profile: tuple[Sealer, bytes], params: KdfParams
) -> None:
    sealer, wrapped = profile
    header = (1).to_bytes(1, "big") + b"".join(
        v.to_bytes(4, "big") for v in (params.memory_kib, params.iterations, params.lanes)
    )
    forged = header + wrapped[len(header) :]
    with pytest.raises(InvalidKeyFormat):
        read_params(forged)
    with pytest.raises(InvalidKeyFormat):
        unlock("open sesame", forged)
    with pytest.raises(InvalidKeyFormat):
        sealer.wrap("open sesame", params=params)


def test_the_default_parameters_use_at_least_64_mib() -> None:
    assert DEFAULT_PARAMS.memory_kib >= 64 * 1024
    _, wrapped = create("default cost")
    params = read_params(wrapped)
    assert params.memory_kib >= 64 * 1024
    assert params == DEFAULT_PARAMS


def test_the_parameters_travel_in_the_blob(profile: tuple[Sealer, bytes]) -> None:
    assert read_params(profile[1]) == CHEAP


def test_blind_indexes_differ_per_kind_and_per_master_key(profile: tuple[Sealer, bytes]) -> None:
    sealer, _ = profile
    other, _ = create("open sesame", params=CHEAP)
    phone = "+15551230001"
    assert sealer.blind_index("phone", phone) == sealer.blind_index("phone", phone)
    assert len(sealer.blind_index("phone", phone)) == 32
    assert sealer.blind_index("phone", phone) != sealer.blind_index("email", phone)
    assert sealer.blind_index("phone", phone) != other.blind_index("phone", phone)
    assert sealer.blind_index("phone", phone) != sealer.blind_index("phone", "+15551230002")
    # The boundary between kind and value cannot be moved.
    assert sealer.blind_index("ab", "c") != sealer.blind_index("a", "bc")
    assert phone.encode() not in sealer.blind_index("phone", phone)


def test_a_master_key_of_the_wrong_size_is_refused() -> None:
    with pytest.raises(InvalidKeyFormat):
        Sealer(b"\x00" * 31)


def test_the_sealer_shows_no_key_material() -> None:
    master = os.urandom(32)
    sealer = Sealer(master)
    shown = repr(sealer) + str(sealer)
    for spelling in (master.hex(), base64.b64encode(master).decode(), repr(master)):
        assert spelling not in shown
    assert not hasattr(sealer, "__dict__")


# --------------------------------------------------------------------------- known answers


def test_known_answer_with_the_default_parameters() -> None:
    rnd = Replay(VECTOR["tape"])
    sealer, wrapped = create(VECTOR["passphrase"], random=rnd)
    plaintext = bytes.fromhex(VECTOR["plaintext"])
    sealed = sealer.seal(VECTOR["slot"], plaintext, random=rnd)
    assert rnd.exhausted
    assert VECTOR["params"] == {"memory_kib": 65536, "iterations": 3, "lanes": 4}
    assert read_params(wrapped) == KdfParams(**VECTOR["params"])
    assert wrapped.hex() == VECTOR["wrapped"]
    assert sealed.hex() == VECTOR["sealed"]
    index = VECTOR["blind_index"]
    assert sealer.blind_index(index["kind"], index["value"]).hex() == index["index"]
    assert unlock(VECTOR["passphrase"], wrapped).open(VECTOR["slot"], sealed) == plaintext


def test_known_answer_recomputed_from_the_primitives() -> None:
    """The documented layout and labels, checked without the module's own code."""
    wrapped, sealed = bytes.fromhex(VECTOR["wrapped"]), bytes.fromhex(VECTOR["sealed"])
    master, salt, wrap_nonce, seal_nonce = (bytes.fromhex(chunk) for chunk in VECTOR["tape"])
    header = wrapped[:29]
    assert (
        header
        == b"\x01" + (65536).to_bytes(4, "big") + (3).to_bytes(4, "big") + (4).to_bytes(4, "big") + salt
    )
    assert wrapped[29:41] == wrap_nonce
    kek = Argon2id(salt=salt, length=32, iterations=3, lanes=4, memory_cost=65536).derive(
        VECTOR["passphrase"].encode()
    )
    assert AESGCM(kek).decrypt(wrap_nonce, wrapped[41:], b"Parley master key wrap v1\x00" + header) == master

    sealing_key = HKDF(hashes.SHA256(), 32, salt=None, info=b"Parley profile sealing v1").derive(master)
    assert sealed[:13] == b"\x01" + seal_nonce
    aad = b"Parley sealed value v1\x00" + VECTOR["slot"].encode()
    assert AESGCM(sealing_key).decrypt(seal_nonce, sealed[13:], aad) == bytes.fromhex(VECTOR["plaintext"])
