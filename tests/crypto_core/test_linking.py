"""crypto_core.linking: link codes, the handshake's keys and number, sealing, the link statement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from known_answers import Replay, counting_random

from crypto_core.errors import DecryptionError, InvalidKeyFormat
from crypto_core.keys import IdentityKeyPair
from crypto_core.linking import (
    LinkKeyPair,
    format_comparison,
    group_code,
    link_statement,
    normalize_code,
    qr_text,
)

VECTOR = json.loads((Path(__file__).parent.parent / "vectors" / "linking.json").read_text(encoding="utf-8"))
CODE = VECTOR["code"]


def _pair(tape: list[str]) -> LinkKeyPair:
    return LinkKeyPair.generate(Replay(tape))


def test_known_answers_for_keys_comparison_sealing_and_statement() -> None:
    new, existing = _pair(VECTOR["new_tape"]), _pair(VECTOR["existing_tape"])
    assert new.public.hex() == VECTOR["new_key"] and existing.public.hex() == VECTOR["existing_key"]
    new_end = new.agree("new", CODE, existing.public)
    existing_end = existing.agree("existing", CODE, new.public)
    assert new_end.comparison == existing_end.comparison == VECTOR["comparison"]
    sealed = existing_end.seal(
        VECTOR["seal_kind"], VECTOR["seal_plaintext"].encode(), random=Replay(VECTOR["seal_tape"])
    )
    assert sealed.hex() == VECTOR["sealed"]
    assert new_end.open(VECTOR["seal_kind"], sealed) == VECTOR["seal_plaintext"].encode()
    statement = link_statement(
        CODE, VECTOR["phone"], bytes.fromhex(VECTOR["device_key"]), bytes.fromhex(VECTOR["fingerprint"])
    )
    assert statement.hex() == VECTOR["statement"]
    identity = IdentityKeyPair.generate(Replay(VECTOR["identity_tape"]))
    assert identity.sign(statement).hex() == VECTOR["signature"]


def test_comparison_number_follows_the_documented_derivation() -> None:
    new, existing = _pair(VECTOR["new_tape"]), _pair(VECTOR["existing_tape"])
    private = X25519PrivateKey.from_private_bytes(bytes.fromhex(VECTOR["new_tape"][0]))
    shared = private.exchange(X25519PublicKey.from_public_bytes(existing.public))
    transcript = len(CODE).to_bytes(4, "big") + CODE.encode() + new.public + existing.public
    info = b"Parley link comparison v1\x00" + transcript
    digest = HKDF(algorithm=hashes.SHA256(), length=8, salt=None, info=info).derive(shared)
    expected = int.from_bytes(digest, "big") % 1_000_000
    assert new.agree("new", CODE, existing.public).comparison == format_comparison(expected)


def test_statement_layout() -> None:
    device_key, fingerprint = bytes(range(32)), bytes(range(32, 64))
    statement = link_statement("abcd-efgh-ijkl-mnop", "+15551230001", device_key, fingerprint)
    assert statement == (
        b"Parley device link v1\x00"
        + b"\x00\x00\x00\x10ABCDEFGHIJKLMNOP"
        + b"\x00\x00\x00\x0c+15551230001"
        + device_key
        + fingerprint
    )
    with pytest.raises(InvalidKeyFormat, match="device key"):
        link_statement(CODE, "+15551230001", b"short", fingerprint)
    with pytest.raises(InvalidKeyFormat, match="fingerprint"):
        link_statement(CODE, "+15551230001", device_key, b"short")


def test_a_swapped_key_gives_different_numbers() -> None:
    random = counting_random()
    new, existing, attacker = (LinkKeyPair.generate(random) for _ in range(3))
    # The server hands the new end the attacker's key and the existing end the attacker's too.
    new_end = new.agree("new", CODE, attacker.public)
    existing_end = existing.agree("existing", CODE, attacker.public)
    assert new_end.comparison != existing_end.comparison
    sealed = existing_end.seal("provisioning", b"secret")
    with pytest.raises(DecryptionError):
        new_end.open("provisioning", sealed)


def test_a_different_code_gives_different_keys() -> None:
    random = counting_random()
    new, existing = LinkKeyPair.generate(random), LinkKeyPair.generate(random)
    one = new.agree("new", CODE, existing.public)
    other = existing.agree("existing", "A" * 16, new.public)
    assert one.comparison != other.comparison
    with pytest.raises(DecryptionError):
        one.open("m", other.seal("m", b"x"))


def test_sealed_messages_are_bound_to_direction_kind_and_version() -> None:
    random = counting_random()
    new, existing = LinkKeyPair.generate(random), LinkKeyPair.generate(random)
    new_end, existing_end = (
        new.agree("new", CODE, existing.public),
        existing.agree("existing", CODE, new.public),
    )
    sealed = new_end.seal("confirm", b"yes")
    assert existing_end.open("confirm", sealed) == b"yes"
    for bad in (
        lambda: new_end.open("confirm", sealed),  # reflected back to its sender
        lambda: existing_end.open("provisioning", sealed),  # moved to another kind
        lambda: existing_end.open("confirm", b"\x02" + sealed[1:]),  # another version
        lambda: existing_end.open("confirm", sealed[:-1] + bytes([sealed[-1] ^ 1])),  # tampered
        lambda: existing_end.open("confirm", sealed[:20]),  # truncated
    ):
        with pytest.raises(DecryptionError) as caught:
            bad()
        assert str(caught.value) == "could not decrypt"


def test_codes_are_read_in_any_spelling() -> None:
    assert normalize_code("abcd-efgh ijkl-mnop") == "ABCDEFGHIJKLMNOP"
    assert normalize_code("parley-link:ABCDEFGHIJKLMNOP") == "ABCDEFGHIJKLMNOP"
    assert normalize_code(" PARLEY-LINK:abcdefghijklmnop\n") == "ABCDEFGHIJKLMNOP"
    assert group_code("ABCDEFGHIJKLMNOP") == "ABCD-EFGH-IJKL-MNOP"
    assert qr_text("abcd-efgh-ijkl-mnop") == "parley-link:ABCDEFGHIJKLMNOP"
    for bad in ("", "ABCDEFGHIJKLMNO", "ABCDEFGHIJKLMNOPQ", "ABCDEFGHIJKLMNO1", "ABCDEFGHIJKLMNO8"):
        with pytest.raises(InvalidKeyFormat, match="link code"):
            normalize_code(bad)


def test_numbers_keep_leading_zeros_and_compare_in_constant_time() -> None:
    assert format_comparison(7) == "000 007"
    random = counting_random()
    new, existing = LinkKeyPair.generate(random), LinkKeyPair.generate(random)
    end = new.agree("new", CODE, existing.public)
    assert end.matches(end.comparison) and end.matches(end.comparison.replace(" ", ""))
    assert not end.matches("000 000" if end.comparison != "000 000" else "000 001")


def test_bad_peer_keys_are_refused_in_words() -> None:
    new = LinkKeyPair.generate(counting_random())
    with pytest.raises(InvalidKeyFormat, match="link key"):
        new.agree("new", CODE, b"\x00" * 31)
    with pytest.raises(InvalidKeyFormat, match="link key"):
        new.agree("new", CODE, b"\x00" * 32)  # a low-order point: the secret would be all zeros


def test_nothing_private_in_reprs() -> None:
    random = counting_random()
    new, existing = LinkKeyPair.generate(random), LinkKeyPair.generate(random)
    end = new.agree("new", CODE, existing.public)
    assert "private" in repr(new) and new.public.hex() not in repr(new)
    assert end._key.hex() not in repr(end) and end.comparison not in repr(end)
