"""Sealed streams: both formats pinned by known answers, and every change to a stream refused as one error."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given, settings
from hypothesis import strategies as st
from known_answers import Replay

from crypto_core.errors import DecryptionError
from crypto_core.stream import (
    CHUNK_SIZE,
    HEADER_SIZE,
    READABLE,
    SEALED_CHUNK_SIZE,
    VERSION,
    StreamDecryptor,
    StreamEncryptor,
    decrypt_file,
    encrypt_file,
    sealed_size,
)

VECTOR_DIR = Path(__file__).parent.parent / "vectors"
VECTORS = {
    1: json.loads((VECTOR_DIR / "stream.json").read_text(encoding="utf-8")),
    2: json.loads((VECTOR_DIR / "stream_v2.json").read_text(encoding="utf-8")),
}
KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
AAD = b"Parley test purpose"
SIZES = [0, 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE + 5]
SMALL = 16  # a chunk size for walking every byte of streams of many chunks


def _plaintext(size: int) -> bytes:
    return hashlib.shake_256(b"test plaintext").digest(size) if size else b""


def _prefix(tag: int) -> Replay:
    return Replay([(bytes([tag]) * 7).hex()])


def seal(plaintext: bytes, *, key: bytes = KEY, aad: bytes = AAD, prefix: int = 1) -> bytes:
    out = io.BytesIO()
    encrypt_file(key, io.BytesIO(plaintext), out, associated_data=aad, random=_prefix(prefix))
    return out.getvalue()


def open_(sealed: bytes, *, key: bytes = KEY, aad: bytes = AAD) -> bytes:
    out = io.BytesIO()
    decrypt_file(key, io.BytesIO(sealed), out, associated_data=aad)
    return out.getvalue()


def seal_small(plaintext: bytes, *, key: bytes = KEY, prefix: int = 1) -> bytes:
    encryptor = StreamEncryptor(key, AAD, random=_prefix(prefix), chunk_size=SMALL)
    return encryptor.header + encryptor.update(plaintext) + encryptor.finalize()


def open_small(data: bytes, *, key: bytes = KEY) -> bytes:
    decryptor = StreamDecryptor(key, AAD, chunk_size=SMALL)
    return decryptor.update(data) + decryptor.finalize()


@functools.cache
def sealed(size: int) -> bytes:
    return seal(_plaintext(size))


def chunks(data: bytes, sealed_chunk: int = SEALED_CHUNK_SIZE) -> tuple[bytes, list[bytes]]:
    body = data[HEADER_SIZE:]
    return data[:HEADER_SIZE], [body[i : i + sealed_chunk] for i in range(0, len(body), sealed_chunk)]


def reference_seal(
    version: int, key: bytes, prefix: bytes, plaintext: bytes, aad: bytes, chunk_size: int = CHUNK_SIZE
) -> bytes:
    """Either format written from the module's docstring alone, independently of the module's code."""
    label = b"Parley stream chunks v1" if version == 1 else b"Parley stream chunks v2"
    aead = AESGCM(HKDF(hashes.SHA256(), 32, None, label).derive(key))
    header = bytes([version]) + prefix
    pieces = [plaintext[i : i + chunk_size] for i in range(0, len(plaintext), chunk_size)] or [b""]
    out = [header]
    for i, piece in enumerate(pieces):
        flag = b"\x01" if i == len(pieces) - 1 else b"\x00"
        if version == 1:
            out.append(aead.encrypt(prefix + i.to_bytes(4, "big") + flag, piece, header + aad))
        else:
            out.append(aead.encrypt(prefix + i.to_bytes(5, "big"), piece, header + flag + aad))
    return b"".join(out)


def _vector_cases() -> list[tuple[int, dict[str, Any]]]:
    return [(version, case) for version, vectors in VECTORS.items() for case in vectors["cases"]]


def _matches(got: bytes, case: dict[str, Any]) -> None:
    if "sealed" in case:
        assert got.hex() == case["sealed"]
    else:
        assert (len(got), got[:64].hex(), got[-64:].hex()) == (
            case["sealed_size"],
            case["head"],
            case["tail"],
        )
        assert hashlib.sha256(got).hexdigest() == case["sealed_sha256"]


# --------------------------------------------------------------------------- known answers


def test_version_2_is_written_and_both_are_read() -> None:
    assert VERSION == 2 and READABLE == (1, 2)
    assert sealed(1)[0] == 2


@pytest.mark.parametrize(
    ("version", "case"),
    _vector_cases(),
    ids=lambda v: f"size {v['size']}" if isinstance(v, dict) else f"v{v}",
)
def test_the_frozen_vectors_are_the_documented_layout_and_open(version: int, case: dict[str, Any]) -> None:
    vectors = VECTORS[version]
    key, aad = bytes.fromhex(vectors["key"]), bytes.fromhex(vectors["associated_data"])
    plaintext = hashlib.shake_256(f"Parley stream vectors: plaintext {case['size']}".encode()).digest(
        case["size"]
    )
    # The docstring's layout, written out by hand, gives the frozen bytes...
    made = reference_seal(version, key, bytes.fromhex(case["tape"][0]), plaintext, aad)
    _matches(made, case)
    # ... which the module opens, whatever version they are.
    assert open_(made, key=key, aad=aad) == plaintext


@pytest.mark.parametrize("case", VECTORS[2]["cases"], ids=lambda case: f"size {case['size']}")
def test_the_module_writes_the_frozen_version_2_bytes(case: dict[str, Any]) -> None:
    key, aad = bytes.fromhex(VECTORS[2]["key"]), bytes.fromhex(VECTORS[2]["associated_data"])
    plaintext = hashlib.shake_256(f"Parley stream vectors: plaintext {case['size']}".encode()).digest(
        case["size"]
    )
    replay = Replay(case["tape"])
    out = io.BytesIO()
    encrypt_file(key, io.BytesIO(plaintext), out, associated_data=aad, random=replay)
    assert replay.exhausted
    _matches(out.getvalue(), case)


def test_the_layout_is_the_documented_one() -> None:
    # Open a two-chunk stream by hand, from the docstring alone: header, chunk key, nonces, aad with the flag.
    plaintext = _plaintext(CHUNK_SIZE + 10)
    data = seal(plaintext, prefix=9)
    header, (first, last) = chunks(data)
    assert header == b"\x02" + b"\x09" * 7
    aead = AESGCM(HKDF(hashes.SHA256(), 32, None, b"Parley stream chunks v2").derive(KEY))
    assert (
        aead.decrypt(b"\x09" * 7 + (0).to_bytes(5, "big"), first, header + b"\x00" + AAD)
        == plaintext[:CHUNK_SIZE]
    )
    assert (
        aead.decrypt(b"\x09" * 7 + (1).to_bytes(5, "big"), last, header + b"\x01" + AAD)
        == plaintext[CHUNK_SIZE:]
    )


def test_a_version_1_stream_opens_and_a_version_changed_does_not() -> None:
    plaintext = _plaintext(2 * CHUNK_SIZE + 3)
    old = reference_seal(1, KEY, b"\x07" * 7, plaintext, AAD)
    assert open_(old) == plaintext
    # The same chunks under the other version's byte: the aad and the chunk key differ, nothing opens.
    _refused(b"\x02" + old[1:])
    _refused(b"\x01" + seal(plaintext, prefix=7)[1:])


@pytest.mark.parametrize("size", SIZES)
def test_the_sealed_size_is_as_documented_and_every_size_round_trips(size: int) -> None:
    assert len(sealed(size)) == sealed_size(size)
    assert open_(sealed(size)) == _plaintext(size)


def test_the_empty_plaintext_is_a_header_and_one_tag() -> None:
    assert len(sealed(0)) == HEADER_SIZE + 16
    assert sealed_size(CHUNK_SIZE) == HEADER_SIZE + CHUNK_SIZE + 16
    assert sealed_size(CHUNK_SIZE + 1) == HEADER_SIZE + CHUNK_SIZE + 1 + 32


# --------------------------------------------------------------------------- round trips


@settings(max_examples=40, deadline=None)
@given(
    size=st.integers(0, 3 * CHUNK_SIZE + 3),
    pieces=st.lists(st.integers(1, 2 * SEALED_CHUNK_SIZE), min_size=1, max_size=8),
)
def test_any_plaintext_fed_in_any_pieces_opens_fed_in_any_pieces(size: int, pieces: list[int]) -> None:
    plaintext = os.urandom(size)
    encryptor = StreamEncryptor(KEY, AAD)
    out = bytearray(encryptor.header)
    fed = 0
    for n in pieces * (size // max(1, sum(pieces)) + 1):
        out += encryptor.update(plaintext[fed : fed + n])
        fed += n
    out += encryptor.finalize()
    assert len(out) == sealed_size(size)
    decryptor = StreamDecryptor(KEY, AAD)
    opened = bytearray()
    at = 0
    for n in reversed(pieces * (len(out) // max(1, sum(pieces)) + 1)):
        opened += decryptor.update(bytes(out[at : at + n]))
        at += n
    opened += decryptor.finalize()
    assert opened == plaintext


def test_neither_side_holds_more_than_one_chunk_back() -> None:
    encryptor, decryptor = StreamEncryptor(KEY, AAD), StreamDecryptor(KEY, AAD)
    piece = os.urandom(10_000)
    fed = opened = 0
    sealed_out = bytearray(encryptor.header)
    for _ in range(100):
        sealed_out += encryptor.update(piece)
        fed += len(piece)
        assert fed - (len(sealed_out) - HEADER_SIZE) * CHUNK_SIZE / SEALED_CHUNK_SIZE <= CHUNK_SIZE
    for start in range(0, len(sealed_out), 10_000):
        opened += len(decryptor.update(bytes(sealed_out[start : start + 10_000])))
        assert min(
            start + 10_000, len(sealed_out)
        ) - HEADER_SIZE - opened * SEALED_CHUNK_SIZE / CHUNK_SIZE <= (2 * SEALED_CHUNK_SIZE)


class _Trickle(io.RawIOBase):
    """A pipe that hands out at most 1,000 bytes per read and cannot seek."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        part = self._data.read(min(len(buffer), 1000))
        buffer[: len(part)] = part
        return len(part)


def test_progress_counts_up_to_the_total_and_a_pipe_reads_to_its_end() -> None:
    plaintext = _plaintext(3 * CHUNK_SIZE + 5)
    heard: list[tuple[int, int | None]] = []
    out = io.BytesIO()
    encrypt_file(
        KEY, io.BytesIO(plaintext), out, associated_data=AAD, progress=lambda d, t: heard.append((d, t))
    )
    assert heard[0] == (0, len(plaintext)) and heard[-1] == (len(plaintext), len(plaintext))
    assert [done for done, _ in heard] == sorted(done for done, _ in heard)
    heard.clear()
    back = io.BytesIO()
    source: Any = _Trickle(out.getvalue())
    decrypt_file(KEY, source, back, associated_data=AAD, progress=lambda d, t: heard.append((d, t)))
    assert back.getvalue() == plaintext
    assert heard[-1] == (len(out.getvalue()), None)


# --------------------------------------------------------------------------- every change is one error


def _refused(data: bytes, **kwargs: Any) -> None:
    with pytest.raises(DecryptionError) as raised:
        open_(data, **kwargs)
    assert str(raised.value) == "could not decrypt"


@settings(max_examples=60, deadline=None)
@given(size=st.sampled_from(SIZES), data=st.data())
def test_every_truncation_is_refused(size: int, data: st.DataObject) -> None:
    whole = sealed(size)
    _refused(whole[: data.draw(st.integers(0, len(whole) - 1))])


@pytest.mark.parametrize("size", SIZES)
def test_a_truncation_at_every_chunk_boundary_is_refused(size: int) -> None:
    whole = sealed(size)
    for end in range(HEADER_SIZE, len(whole), SEALED_CHUNK_SIZE):
        _refused(whole[:end])


@settings(max_examples=80, deadline=None)
@given(size=st.sampled_from(SIZES), data=st.data())
def test_a_flipped_bit_in_any_byte_of_any_chunk_is_refused(size: int, data: st.DataObject) -> None:
    damaged = bytearray(sealed(size))
    damaged[data.draw(st.integers(0, len(damaged) - 1))] ^= 1 << data.draw(st.integers(0, 7))
    _refused(bytes(damaged))


@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_swapped_dropped_or_repeated_chunks_are_refused(data: st.DataObject) -> None:
    header, parts = chunks(sealed(3 * CHUNK_SIZE + 5))
    i, j = data.draw(st.integers(0, 3)), data.draw(st.integers(0, 3))
    if i != j:
        swapped = list(parts)
        swapped[i], swapped[j] = swapped[j], swapped[i]
        _refused(header + b"".join(swapped))
    _refused(header + b"".join(parts[:i] + parts[i + 1 :]))
    _refused(header + b"".join(parts[: i + 1] + parts[i:]))


@settings(max_examples=20, deadline=None)
@given(i=st.integers(0, 3))
def test_a_chunk_spliced_in_from_another_stream_under_the_same_key_is_refused(i: int) -> None:
    plaintext = _plaintext(3 * CHUNK_SIZE + 5)
    header, ours = chunks(seal(plaintext, prefix=1))
    other_header, theirs = chunks(seal(plaintext, prefix=2))
    spliced = list(ours)
    spliced[i] = theirs[i]
    _refused(header + b"".join(spliced))
    _refused(other_header + b"".join(ours))


@pytest.mark.parametrize("size", [1, CHUNK_SIZE, 2 * CHUNK_SIZE])
def test_a_chunk_after_the_last_is_refused(size: int) -> None:
    # The same prefix, the same key: the longer stream's chunks are the shorter one's, but for the flag.
    short, longer = seal(_plaintext(size), prefix=3), seal(_plaintext(size + CHUNK_SIZE), prefix=3)
    _, longer_parts = chunks(longer)
    _refused(short + longer_parts[-1])
    _refused(short + b"\x00")
    # And the longer stream cut to the shorter one's length lacks its last chunk.
    _refused(longer[: len(short)])


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x02",
        b"\x02" * HEADER_SIZE,
        b"\x01" * HEADER_SIZE,
        b"\x02" + bytes(7 + 16),
        b"\x01" + bytes(7 + 16),
    ],
)
def test_empty_headers_only_or_another_version_are_refused(data: bytes) -> None:
    _refused(data)


@pytest.mark.parametrize("version", [0, 1, 3, 255])
def test_a_version_byte_changed_is_refused(version: int) -> None:
    _refused(bytes([version]) + sealed(1)[1:])
    _refused(bytes([version]) + sealed(CHUNK_SIZE + 1)[1:])


@pytest.mark.parametrize("size", SIZES)
def test_a_wrong_key_or_other_associated_data_is_refused(size: int) -> None:
    _refused(sealed(size), key=OTHER_KEY)
    _refused(sealed(size), aad=AAD + b"!")
    _refused(sealed(size), aad=b"")


def test_an_empty_last_chunk_after_full_ones_is_refused() -> None:
    # Only the empty plaintext ends in an empty chunk; here one is forged with the key to check the rule.
    plaintext = _plaintext(CHUNK_SIZE)
    data = seal(plaintext, prefix=4)
    header, (first,) = chunks(data)
    aead = AESGCM(HKDF(hashes.SHA256(), 32, None, b"Parley stream chunks v2").derive(KEY))
    not_last = aead.encrypt(b"\x04" * 7 + bytes(5), plaintext, header + b"\x00" + AAD)
    empty_last = aead.encrypt(b"\x04" * 7 + (1).to_bytes(5, "big"), b"", header + b"\x01" + AAD)
    _refused(header + not_last + empty_last)
    assert first != not_last
    # The same forgery in version 1 is refused by the same rule.
    header1 = b"\x01" + header[1:]
    aead1 = AESGCM(HKDF(hashes.SHA256(), 32, None, b"Parley stream chunks v1").derive(KEY))
    not_last1 = aead1.encrypt(header1[1:] + bytes(4) + b"\x00", plaintext, header1 + AAD)
    empty_last1 = aead1.encrypt(header1[1:] + (1).to_bytes(4, "big") + b"\x01", b"", header1 + AAD)
    assert (
        open_(header1 + aead1.encrypt(header1[1:] + bytes(4) + b"\x01", plaintext, header1 + AAD))
        == plaintext
    )
    _refused(header1 + not_last1 + empty_last1)


# --------------------------------------------------------------------------- byte by byte, in small chunks
# The same code with 16-byte chunks: streams of many chunks small enough to change at every byte.

SMALL_SIZES = [0, 1, 15, 16, 17, 32, 33, 47, 48, 70]


def _small(version: int, size: int, *, key: bytes = KEY, prefix: int = 1) -> bytes:
    plaintext = _plaintext(size)
    if version == 2:
        return seal_small(plaintext, key=key, prefix=prefix)
    return reference_seal(1, key, bytes([prefix]) * 7, plaintext, AAD, chunk_size=SMALL)


def _refused_small(data: bytes, *, key: bytes = KEY) -> None:
    with pytest.raises(DecryptionError) as raised:
        open_small(data, key=key)
    assert str(raised.value) == "could not decrypt"


@pytest.mark.parametrize("version", READABLE)
@pytest.mark.parametrize("size", SMALL_SIZES)
def test_small_chunks_round_trip_in_both_versions(version: int, size: int) -> None:
    data = _small(version, size)
    assert len(data) == HEADER_SIZE + size + 16 * max(1, -(-size // SMALL))
    assert open_small(data) == _plaintext(size)


@pytest.mark.parametrize("version", READABLE)
@pytest.mark.parametrize("size", SMALL_SIZES)
def test_every_truncation_at_every_byte_is_refused(version: int, size: int) -> None:
    whole = _small(version, size)
    for end in range(len(whole)):
        _refused_small(whole[:end])


@pytest.mark.parametrize("version", READABLE)
@pytest.mark.parametrize("size", [1, 33, 70])
def test_a_flipped_bit_at_every_byte_is_refused(version: int, size: int) -> None:
    whole = _small(version, size)
    for at in range(len(whole)):
        for bit in (0, 7):
            damaged = bytearray(whole)
            damaged[at] ^= 1 << bit
            _refused_small(bytes(damaged))


@settings(max_examples=60, deadline=None)
@given(
    version=st.sampled_from(READABLE),
    size=st.integers(SMALL + 1, 6 * SMALL),
    data=st.data(),
)
def test_any_two_chunks_swapped_dropped_or_repeated_are_refused(
    version: int, size: int, data: st.DataObject
) -> None:
    header, parts = chunks(_small(version, size), SMALL + 16)
    i = data.draw(st.integers(0, len(parts) - 1))
    j = data.draw(st.integers(0, len(parts) - 1).filter(lambda j: j != i))
    swapped = list(parts)
    swapped[i], swapped[j] = swapped[j], swapped[i]
    if swapped[i] != swapped[j]:
        _refused_small(header + b"".join(swapped))
    _refused_small(header + b"".join(parts[:i] + parts[i + 1 :]))
    _refused_small(header + b"".join(parts[: i + 1] + parts[i:]))


@settings(max_examples=60, deadline=None)
@given(version=st.sampled_from(READABLE), size=st.integers(1, 6 * SMALL), data=st.data())
def test_a_chunk_from_another_stream_under_the_same_key_is_refused(
    version: int, size: int, data: st.DataObject
) -> None:
    header, ours = chunks(_small(version, size, prefix=1), SMALL + 16)
    other_header, theirs = chunks(_small(version, size, prefix=2), SMALL + 16)
    i = data.draw(st.integers(0, len(ours) - 1))
    spliced = list(ours)
    spliced[i] = theirs[i]
    _refused_small(header + b"".join(spliced))
    _refused_small(other_header + b"".join(ours))


@settings(max_examples=60, deadline=None)
@given(
    version=st.sampled_from(READABLE),
    size=st.integers(0, 6 * SMALL),
    trailing=st.binary(min_size=1, max_size=3 * (SMALL + 16)),
)
def test_trailing_bytes_of_any_kind_are_refused(version: int, size: int, trailing: bytes) -> None:
    _refused_small(_small(version, size) + trailing)


@settings(max_examples=40, deadline=None)
@given(
    version=st.sampled_from(READABLE), size=st.integers(0, 6 * SMALL), key=st.binary(min_size=32, max_size=32)
)
def test_a_wrong_key_is_refused(version: int, size: int, key: bytes) -> None:
    if key != KEY:
        _refused_small(_small(version, size), key=key)


@pytest.mark.parametrize("size", [1, SMALL, 3 * SMALL])
def test_a_chunk_after_the_last_is_refused_in_version_1_too(size: int) -> None:
    short, longer = _small(1, size, prefix=3), _small(1, size + SMALL, prefix=3)
    _, longer_parts = chunks(longer, SMALL + 16)
    _refused_small(short + longer_parts[-1])
    _refused_small(longer[: len(short)])


def test_the_chunk_size_is_checked() -> None:
    with pytest.raises(ValueError, match="1 byte to 64 KiB"):
        StreamEncryptor(KEY, chunk_size=0)
    with pytest.raises(ValueError, match="1 byte to 64 KiB"):
        StreamDecryptor(KEY, chunk_size=CHUNK_SIZE + 1)
    # Both sides must agree: a stream of 16-byte chunks does not open as one of 64 KiB.
    _refused(_small(2, 70))


def test_a_decryptor_that_failed_refuses_everything_after() -> None:
    decryptor = StreamDecryptor(KEY, AAD)
    with pytest.raises(DecryptionError):
        decryptor.finalize()
    with pytest.raises(DecryptionError):
        decryptor.update(sealed(1))


def test_a_finished_encryptor_takes_nothing_more_and_keys_are_checked() -> None:
    encryptor = StreamEncryptor(KEY)
    encryptor.finalize()
    with pytest.raises(ValueError, match="finished"):
        encryptor.update(b"x")
    with pytest.raises(ValueError, match="32 bytes"):
        StreamEncryptor(b"short")
    with pytest.raises(ValueError, match="32 bytes"):
        StreamDecryptor(b"short")


def test_reprs_show_no_key_or_data() -> None:
    encryptor = StreamEncryptor(KEY, AAD, random=_prefix(5))
    encryptor.update(b"secret text")
    shown = repr(encryptor) + repr(StreamDecryptor(KEY, AAD))
    assert KEY.hex() not in shown and "secret" not in shown and "05050505" not in shown
