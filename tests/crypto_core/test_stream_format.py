"""The two stream formats' nonces, associated data and chunk keys, byte for byte."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto_core.stream_format import FORMATS, READABLE

PREFIX = bytes(range(1, 8))
HEADER = b"\x02" + PREFIX


def test_version_2_has_a_prefix_and_a_counter_in_the_nonce_and_the_flag_in_the_associated_data() -> None:
    form = FORMATS[2]
    assert (
        form.nonce(PREFIX, 5, last=False)
        == form.nonce(PREFIX, 5, last=True)
        == PREFIX + b"\x00\x00\x00\x00\x05"
    )
    assert form.nonce(PREFIX, 2**32 - 1, last=False) == PREFIX + b"\x00\xff\xff\xff\xff"
    assert form.aad(HEADER, b"caller", last=False) == HEADER + b"\x00caller"
    assert form.aad(HEADER, b"caller", last=True) == HEADER + b"\x01caller"


def test_version_1_has_the_flag_in_the_nonce() -> None:
    form = FORMATS[1]
    assert form.nonce(PREFIX, 5, last=False) == PREFIX + b"\x00\x00\x00\x05\x00"
    assert form.nonce(PREFIX, 5, last=True) == PREFIX + b"\x00\x00\x00\x05\x01"
    assert form.aad(b"\x01" + PREFIX, b"caller", last=True) == b"\x01" + PREFIX + b"caller"


def test_each_version_derives_its_own_chunk_key() -> None:
    assert READABLE == (1, 2)
    key, nonce = bytes(32), bytes(12)
    for version in READABLE:
        label = f"Parley stream chunks v{version}".encode()
        expected = AESGCM(HKDF(hashes.SHA256(), 32, None, label).derive(key)).encrypt(nonce, b"x", b"")
        assert FORMATS[version].aead(key).encrypt(nonce, b"x", b"") == expected
    assert FORMATS[1].aead(key).encrypt(nonce, b"x", b"") != FORMATS[2].aead(key).encrypt(nonce, b"x", b"")
