"""The login statement binds nonce, phone and server key; client and server share it."""

from __future__ import annotations

import pytest

from crypto_core.errors import InvalidSignature
from crypto_core.keys import IdentityKeyPair
from net.protocol.login import LOGIN_LABEL, NONCE_SIZE, login_statement, make_nonce, sign_login, verify_login

PHONE = "+442079460958"
SERVER = bytes(range(32))


def test_the_statement_has_a_fixed_layout() -> None:
    nonce = b"\x01" * 32
    statement = login_statement(nonce, PHONE, SERVER)
    assert statement == (
        LOGIN_LABEL + (32).to_bytes(4, "big") + nonce + (13).to_bytes(4, "big") + PHONE.encode() + SERVER
    )


def test_a_signed_login_verifies() -> None:
    identity = IdentityKeyPair.generate()
    nonce = make_nonce()
    signature = sign_login(identity, nonce, PHONE, SERVER)
    verify_login(identity.public.signing_key, signature, nonce, PHONE, SERVER)


@pytest.mark.parametrize(
    ("nonce", "phone", "server"),
    [
        (b"\x02" * 32, PHONE, SERVER),
        (b"\x01" * 32, "+442079460959", SERVER),
        (b"\x01" * 32, PHONE, bytes(32)),
    ],
    ids=["other nonce", "other phone", "other server"],
)
def test_a_login_for_anything_else_fails(nonce: bytes, phone: str, server: bytes) -> None:
    identity = IdentityKeyPair.generate()
    signature = sign_login(identity, b"\x01" * 32, PHONE, SERVER)
    with pytest.raises(InvalidSignature):
        verify_login(identity.public.signing_key, signature, nonce, phone, server)


def test_another_key_cannot_log_in() -> None:
    signature = sign_login(IdentityKeyPair.generate(), b"\x01" * 32, PHONE, SERVER)
    with pytest.raises(InvalidSignature):
        verify_login(IdentityKeyPair.generate().public.signing_key, signature, b"\x01" * 32, PHONE, SERVER)


def test_nonces_are_fresh_and_injectable() -> None:
    assert len(make_nonce()) == NONCE_SIZE
    assert make_nonce() != make_nonce()
    assert make_nonce(lambda n: b"\x07" * n) == b"\x07" * 32


def test_the_fingerprint_must_be_a_sha256() -> None:
    with pytest.raises(ValueError):
        login_statement(b"n", PHONE, b"short")
