"""net.bench.envelope: the bench's plaintext and body layouts, and that every byte is checked."""

from __future__ import annotations

import pytest

from crypto_core.keys import IdentityKeyPair, KemPreKey, OneTimePreKey, PreKeyBundle, SignedPreKey
from crypto_core.pqxdh import initiate
from net.bench.envelope import BadEnvelope, plaintext, read_plaintext, unwrap, wrap


def test_plaintext_has_the_asked_size_and_reads_back() -> None:
    for size in (16, 17, 100, 256, 4096):
        data = plaintext(12345, 987654321, size)
        assert len(data) == size
        assert read_plaintext(data) == (12345, 987654321)


def test_plaintexts_of_different_messages_differ() -> None:
    assert plaintext(1, 5, 64) != plaintext(2, 5, 64)


@pytest.mark.parametrize("index", [0, 8, 15, 16, 40, 63])
def test_any_changed_byte_of_the_filler_is_caught(index: int) -> None:
    data = bytearray(plaintext(7, 1, 64))
    data[index] ^= 0x01
    if index < 8:  # the sequence number: the filler no longer matches it
        with pytest.raises(BadEnvelope):
            read_plaintext(bytes(data))
    elif index < 16:  # the send time is not repeated; it reads back changed
        assert read_plaintext(bytes(data))[1] != 1
    else:
        with pytest.raises(BadEnvelope):
            read_plaintext(bytes(data))


def test_too_small_sizes_are_refused() -> None:
    with pytest.raises(ValueError):
        plaintext(1, 1, 15)
    with pytest.raises(BadEnvelope):
        read_plaintext(b"short")


def _initial():  # type: ignore[no-untyped-def]
    alice, bob = IdentityKeyPair.generate(), IdentityKeyPair.generate()
    bundle = PreKeyBundle(
        bob.public,
        SignedPreKey.generate(bob, 1, 0).public(),
        KemPreKey.generate(bob, 2, last_resort=True).public(),
        OneTimePreKey.generate(3).public(),
    )
    return initiate(alice, bundle).initial_message


def test_a_first_message_carries_the_initial_message() -> None:
    initial = _initial()
    found, message = unwrap(wrap(b"ratchet bytes", initial))
    assert message == b"ratchet bytes"
    assert found is not None and found.to_bytes() == initial.to_bytes()


def test_a_later_message_carries_only_the_ratchet_message() -> None:
    assert unwrap(wrap(b"ratchet bytes")) == (None, b"ratchet bytes")


@pytest.mark.parametrize(
    "body", [b"", b"\x07abc", b"\x01\x00", b"\x01\x00\x00\x00\x09{}", b"\x01\x00\x00\x00\x02{}"]
)
def test_bodies_the_bench_never_sends_are_refused(body: bytes) -> None:
    with pytest.raises(BadEnvelope):
        unwrap(body)
