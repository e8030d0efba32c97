"""The KDF chains, checked against an independent RFC 5869 / RFC 2104 computation (standard library)."""

from __future__ import annotations

import hashlib
import hmac
import os

from crypto_core.chains import MESSAGE_KEYS_INFO, ROOT_INFO, kdf_ck, kdf_rk, message_key_material


def _hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    prk = hmac.new(salt or bytes(32), ikm, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def test_root_step_is_hkdf_with_the_root_key_as_salt_and_its_own_label() -> None:
    root_key, dh_output = os.urandom(32), os.urandom(32)
    expected = _hkdf(root_key, dh_output, b"Parley ratchet root v1", 64)
    assert kdf_rk(root_key, dh_output) == (expected[:32], expected[32:])
    assert ROOT_INFO == b"Parley ratchet root v1"


def test_chain_step_is_hmac_with_constants_one_and_two() -> None:
    chain_key = os.urandom(32)
    next_chain_key, message_key = kdf_ck(chain_key)
    assert message_key == hmac.new(chain_key, b"\x01", hashlib.sha256).digest()
    assert next_chain_key == hmac.new(chain_key, b"\x02", hashlib.sha256).digest()
    assert next_chain_key != message_key


def test_message_key_expands_into_key_and_nonce_with_its_own_label() -> None:
    message_key = os.urandom(32)
    key, nonce = message_key_material(message_key)
    expected = _hkdf(b"", message_key, b"Parley message keys v1", 44)
    assert (key, nonce) == (expected[:32], expected[32:])
    assert len(key) == 32 and len(nonce) == 12
    assert MESSAGE_KEYS_INFO != ROOT_INFO


def test_every_step_gives_new_keys() -> None:
    chain_key = os.urandom(32)
    seen = set()
    for _ in range(50):
        chain_key, message_key = kdf_ck(chain_key)
        seen.update((chain_key, message_key))
    assert len(seen) == 100
