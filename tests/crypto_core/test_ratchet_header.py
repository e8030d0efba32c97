"""The ratchet message's wire format: exact layout, and every malformed message is the opaque error."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto_core.errors import DecryptionError
from crypto_core.ratchet_header import MESSAGE_VERSION, MIN_MESSAGE_LEN, PREFIX_LEN, Header, split_message

DH = bytes(range(32))


def test_prefix_is_version_key_pn_and_n_big_endian() -> None:
    prefix = Header(DH, pn=0x01020304, n=0xA0B0C0D0).prefix()
    assert prefix == b"\x01" + DH + b"\x01\x02\x03\x04" + b"\xa0\xb0\xc0\xd0"
    assert len(prefix) == PREFIX_LEN == 41
    assert MESSAGE_VERSION == 1


def test_split_returns_header_prefix_and_ciphertext() -> None:
    header = Header(DH, pn=7, n=2**32 - 1)
    body = bytes(range(16)) * 2
    parsed, prefix, ciphertext = split_message(header.prefix() + body)
    assert parsed == header
    assert prefix == header.prefix()
    assert ciphertext == body
    assert split_message(bytearray(header.prefix() + body))[0] == header


@pytest.mark.parametrize(
    "message",
    [
        b"",
        Header(DH, 0, 0).prefix(),
        Header(DH, 0, 0).prefix() + bytes(15),
        b"\x02" + Header(DH, 0, 0).prefix()[1:] + bytes(16),
        b"\x00" + Header(DH, 0, 0).prefix()[1:] + bytes(16),
        "text, not bytes",
    ],
    ids=["empty", "no ciphertext", "short tag", "version 2", "version 0", "str"],
)
def test_malformed_messages_are_the_opaque_error(message: object) -> None:
    with pytest.raises(DecryptionError) as caught:
        split_message(message)  # type: ignore[arg-type]
    assert str(caught.value) == "could not decrypt"


def test_the_shortest_message_is_an_empty_plaintext() -> None:
    assert MIN_MESSAGE_LEN == PREFIX_LEN + 16
    assert split_message(Header(DH, 0, 0).prefix() + bytes(16))[2] == bytes(16)


@settings(max_examples=300, deadline=1000)
@given(st.binary(max_size=120))
def test_any_bytes_split_into_a_header_and_a_ciphertext_or_the_opaque_error(message: bytes) -> None:
    try:
        header, prefix, ciphertext = split_message(message)
    except DecryptionError as exc:
        assert str(exc) == "could not decrypt"
        return
    assert prefix + ciphertext == message and header.prefix() == prefix
    assert len(ciphertext) >= 16 and 0 <= header.pn < 2**32 and 0 <= header.n < 2**32
