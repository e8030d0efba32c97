"""crypto_core.safety_number: Signal's numeric fingerprint over both identity keys and phone numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from crypto_core.keys import IdentityKeyPair, PublicIdentity
from crypto_core.safety_number import (
    ITERATIONS,
    displayable_half,
    format_safety_number,
    identity_digest,
    safety_number,
    scannable_payload,
)

VECTOR = json.loads(
    (Path(__file__).parent.parent / "vectors" / "safety_number.json").read_text(encoding="utf-8")
)
ALICE_PHONE, BOB_PHONE = "+15551230001", "+15551230002"


def _identity(signing: int, dh: int) -> PublicIdentity:
    """A self-consistent identity from two small numbers, so tests can change one key at a time."""
    return IdentityKeyPair(
        Ed25519PrivateKey.from_private_bytes(bytes([signing]) * 32),
        X25519PrivateKey.from_private_bytes(bytes([dh]) * 32),
    ).public


ALICE, BOB = _identity(1, 2), _identity(3, 4)


def test_signals_own_test_vector() -> None:
    signal = VECTOR["signal"]
    alice = identity_digest(bytes.fromhex(signal["alice_key"]), signal["alice_id"], signal["iterations"])
    bob = identity_digest(bytes.fromhex(signal["bob_key"]), signal["bob_id"], signal["iterations"])
    assert "".join(sorted([displayable_half(alice), displayable_half(bob)])) == signal["displayable"]
    scannable = bytes.fromhex(signal["alice_scannable_v1"])
    assert scannable[6:38] == alice[:32] and scannable[42:74] == bob[:32]
    assert signal["iterations"] == ITERATIONS


def test_known_answer_for_parley_identities() -> None:
    alice, bob = (
        PublicIdentity.from_bytes(VECTOR["alice"].encode()),
        PublicIdentity.from_bytes(VECTOR["bob"].encode()),
    )
    assert safety_number(alice, VECTOR["alice_phone"], bob, VECTOR["bob_phone"]) == VECTOR["safety_number"]
    alice_scan = scannable_payload(alice, VECTOR["alice_phone"], bob, VECTOR["bob_phone"])
    assert alice_scan.hex() == VECTOR["alice_scannable"]
    assert (
        scannable_payload(bob, VECTOR["bob_phone"], alice, VECTOR["alice_phone"]).hex()
        == VECTOR["bob_scannable"]
    )
    # Same framing as Signal's version-1 payload.
    signal = bytes.fromhex(VECTOR["signal"]["alice_scannable_v1"])
    assert (
        alice_scan[:6] == signal[:6] and alice_scan[38:42] == signal[38:42] and len(alice_scan) == len(signal)
    )


def test_both_sides_see_the_same_sixty_digits() -> None:
    ours = safety_number(ALICE, ALICE_PHONE, BOB, BOB_PHONE)
    assert ours == safety_number(BOB, BOB_PHONE, ALICE, ALICE_PHONE)
    assert len(ours) == 60 and ours.isdigit()


def test_the_digits_are_the_two_halves_in_order() -> None:
    halves = [
        displayable_half(identity_digest(ALICE.encoded(), ALICE_PHONE)),
        displayable_half(identity_digest(BOB.encoded(), BOB_PHONE)),
    ]
    assert safety_number(ALICE, ALICE_PHONE, BOB, BOB_PHONE) == min(halves) + max(halves)


@pytest.mark.parametrize(
    ("alice", "alice_phone", "bob", "bob_phone"),
    [
        (_identity(9, 2), ALICE_PHONE, BOB, BOB_PHONE),
        (_identity(1, 9), ALICE_PHONE, BOB, BOB_PHONE),
        (ALICE, ALICE_PHONE, _identity(9, 4), BOB_PHONE),
        (ALICE, ALICE_PHONE, _identity(3, 9), BOB_PHONE),
        (ALICE, "+15551230009", BOB, BOB_PHONE),
        (ALICE, ALICE_PHONE, BOB, "+15551230009"),
    ],
    ids=["alice signing key", "alice dh key", "bob signing key", "bob dh key", "alice phone", "bob phone"],
)
def test_any_change_of_key_or_phone_changes_the_number(
    alice: PublicIdentity, alice_phone: str, bob: PublicIdentity, bob_phone: str
) -> None:
    assert safety_number(alice, alice_phone, bob, bob_phone) != safety_number(
        ALICE, ALICE_PHONE, BOB, BOB_PHONE
    )


def test_format_gives_twelve_groups_of_five() -> None:
    digits = safety_number(ALICE, ALICE_PHONE, BOB, BOB_PHONE)
    groups = format_safety_number(digits)
    assert len(groups) == 12 and all(len(group) == 5 for group in groups)
    assert "".join(groups) == digits


@pytest.mark.parametrize("bad", ["1" * 59, "1" * 61, "a" * 60, "\u0661" * 60])
def test_format_refuses_anything_but_sixty_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError, match="60 digits"):
        format_safety_number(bad)


@pytest.mark.parametrize("phone", ["15551230001", "+1 555 123 0001", "+0555", ""])
def test_a_phone_not_in_e164_form_is_refused(phone: str) -> None:
    with pytest.raises(ValueError, match=r"E\.164"):
        safety_number(ALICE, phone, BOB, BOB_PHONE)
