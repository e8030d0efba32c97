"""Registration's shared pieces: tokens and their hashes, the move statement, masked addresses."""

from __future__ import annotations

import pytest
from known_answers import counting_random

from crypto_core.errors import InvalidSignature
from crypto_core.keys import IdentityKeyPair
from net.protocol.login import login_statement
from net.protocol.registration import (
    MOVE_LABEL,
    TOKEN_SIZE,
    make_token,
    mask_email,
    move_statement,
    sign_move,
    token_hash,
    verify_move,
)

FINGERPRINT = bytes(range(32))
NONCE = b"n" * 32
PHONE = "+14155550100"


def test_a_token_is_32_random_bytes_and_only_its_labelled_hash_is_kept() -> None:
    token = make_token(counting_random())
    assert len(token) == TOKEN_SIZE == 32 and make_token() != make_token()
    assert token_hash(token) != token_hash(make_token()) and len(token_hash(token)) == 32
    assert token not in token_hash(token)


def test_the_move_statement_is_the_documented_bytes() -> None:
    new = IdentityKeyPair.generate().public
    expected = (
        b"Parley re-registration v1\x00"
        + (32).to_bytes(4, "big")
        + NONCE
        + len(PHONE).to_bytes(4, "big")
        + PHONE.encode()
        + new.signing_key
        + new.dh_key
        + FINGERPRINT
    )
    assert move_statement(NONCE, PHONE, new, FINGERPRINT) == expected
    assert login_statement(NONCE, PHONE, FINGERPRINT)[: len(MOVE_LABEL)] != MOVE_LABEL
    with pytest.raises(ValueError, match="32-byte"):
        move_statement(NONCE, PHONE, new, b"short")


def test_a_move_verifies_only_for_its_nonce_phone_keys_and_server() -> None:
    old, new, other = (
        IdentityKeyPair.generate(),
        IdentityKeyPair.generate().public,
        IdentityKeyPair.generate(),
    )
    proof = sign_move(old, NONCE, PHONE, new, FINGERPRINT)
    verify_move(old.public.signing_key, proof, NONCE, PHONE, new, FINGERPRINT)
    for nonce, phone, keys, server in (
        (b"m" * 32, PHONE, new, FINGERPRINT),
        (NONCE, "+14155550101", new, FINGERPRINT),
        (NONCE, PHONE, other.public, FINGERPRINT),
        (NONCE, PHONE, new, bytes(32)),
    ):
        with pytest.raises(InvalidSignature):
            verify_move(old.public.signing_key, proof, nonce, phone, keys, server)
    with pytest.raises(InvalidSignature):  # the login signature for the same nonce is not a proof
        verify_move(
            old.public.signing_key,
            old.sign(login_statement(NONCE, PHONE, FINGERPRINT)),
            NONCE,
            PHONE,
            new,
            FINGERPRINT,
        )


@pytest.mark.parametrize(
    ("address", "shown"),
    [("ada@example.org", "a\u2022\u2022\u2022@example.org"), ("x@b.c", "x\u2022\u2022\u2022@b.c")],
)
def test_a_masked_address_shows_the_first_character_and_the_domain(address: str, shown: str) -> None:
    assert mask_email(address) == shown
