"""Link codes and the link statement: the bytes client and server sign and check."""

from __future__ import annotations

import base64

import pytest

from crypto_core.errors import InvalidSignature
from crypto_core.keys import IdentityKeyPair
from net.protocol.devices import LINK_LABEL, link_statement, make_link_code, sign_link, verify_link

FINGERPRINT = bytes(range(32))
DEVICE_KEY = bytes(range(32, 64))


def test_a_link_code_is_the_base32_of_ten_random_bytes() -> None:
    code = make_link_code(lambda n: bytes(range(n)))
    assert code == base64.b32encode(bytes(range(10))).decode() == "AAAQEAYEAUDAOCAJ"
    assert len(make_link_code()) == 16 and make_link_code() != make_link_code()


def test_the_link_statement_has_the_documented_bytes() -> None:
    statement = link_statement("AAAQEAYEAUDAOCAJ", "+14155550100", DEVICE_KEY, FINGERPRINT)
    assert statement == (
        b"Parley device link v1\x00"
        + (16).to_bytes(4, "big")
        + b"AAAQEAYEAUDAOCAJ"
        + (12).to_bytes(4, "big")
        + b"+14155550100"
        + DEVICE_KEY
        + FINGERPRINT
    )
    assert statement.startswith(LINK_LABEL)
    with pytest.raises(ValueError):
        link_statement("AAAQEAYEAUDAOCAJ", "+14155550100", DEVICE_KEY[:31], FINGERPRINT)


def test_a_link_signature_is_good_for_its_code_phone_key_and_server_only() -> None:
    identity = IdentityKeyPair.generate()
    code, phone = make_link_code(), "+14155550100"
    signature = sign_link(identity, code, phone, DEVICE_KEY, FINGERPRINT)
    verify_link(identity.public.signing_key, signature, code, phone, DEVICE_KEY, FINGERPRINT)
    for changed in (
        (make_link_code(), phone, DEVICE_KEY, FINGERPRINT),
        (code, "+14155550101", DEVICE_KEY, FINGERPRINT),
        (code, phone, bytes(32), FINGERPRINT),
        (code, phone, DEVICE_KEY, bytes(32)),
    ):
        with pytest.raises(InvalidSignature):
            verify_link(identity.public.signing_key, signature, *changed)
