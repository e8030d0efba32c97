"""The backup container: its layout pinned, a wrong passphrase told apart from damage, and damage in words."""

from __future__ import annotations

import hashlib
import io
import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given, settings
from hypothesis import strategies as st
from known_answers import Replay, counting_random

from crypto_core import backup
from crypto_core.backup import (
    HEADER_SIZE,
    BackupDamaged,
    BackupOpener,
    BackupSealer,
    BackupTooNew,
    NotABackup,
    encode_preamble,
    read_params,
)
from crypto_core.errors import CryptoError, WrongPassphrase
from crypto_core.sealing import KdfParams
from crypto_core.stream import CHUNK_SIZE, StreamDecryptor

VECTOR_DIR = Path(__file__).parent.parent / "vectors"
VECTORS: dict[str, Any] = json.loads((VECTOR_DIR / "backup_v2.json").read_text(encoding="utf-8"))
# Made by the versions before stream format 2 (container version 1), frozen: they must keep opening.
VECTORS_V1: dict[str, Any] = json.loads((VECTOR_DIR / "backup.json").read_text(encoding="utf-8"))
FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)
PASSPHRASE = "a backup passphrase"
PAYLOAD = hashlib.shake_256(b"payload").digest(2 * CHUNK_SIZE + 77)


def make(payload: bytes = PAYLOAD, manifest: dict[str, Any] | None = None) -> bytes:
    out = io.BytesIO()
    backup.seal(PASSPHRASE, io.BytesIO(payload), out, manifest=manifest or {"kind": "test"}, params=FAST)
    return out.getvalue()


def restore(data: bytes, passphrase: str = PASSPHRASE) -> tuple[dict[str, Any], bytes]:
    source, target = io.BytesIO(data), io.BytesIO()
    opener = backup.open_header(passphrase, source)
    manifest = backup.open_into(opener, source, target)
    return manifest, target.getvalue()


WHOLE = make()


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda case: f"payload {case['size']}")
def test_the_container_matches_the_frozen_vector(case: dict[str, Any]) -> None:
    payload = _vector_payload(case["size"])
    replay = Replay(case["tape"])
    out = io.BytesIO()
    params = KdfParams(**VECTORS["params"])
    backup.seal(
        VECTORS["passphrase"],
        io.BytesIO(payload),
        out,
        manifest=VECTORS["manifest"],
        params=params,
        random=replay,
        version=2,  # the frozen vector is of container version 2 (a payload of one piece)
    )
    got = out.getvalue()
    assert replay.exhausted
    if "sealed" in case:
        assert got.hex() == case["sealed"]
    else:
        assert (len(got), got[:64].hex(), got[-64:].hex()) == (
            case["sealed_size"],
            case["head"],
            case["tail"],
        )
        assert hashlib.sha256(got).hexdigest() == case["sealed_sha256"]
    assert restore(got, VECTORS["passphrase"]) == (VECTORS["manifest"], payload)


def _vector_payload(size: int) -> bytes:
    return hashlib.shake_256(f"Parley stream vectors: payload {size}".encode()).digest(size)


def _version_1_backup(case: dict[str, Any]) -> bytes:
    if "sealed" in case:
        return bytes.fromhex(case["sealed"])
    data = (VECTOR_DIR / f"backup_v1_payload_{case['size']}.bin").read_bytes()
    assert hashlib.sha256(data).hexdigest() == case["sealed_sha256"]  # the very bytes of the frozen vector
    return data


@pytest.mark.parametrize("case", VECTORS_V1["cases"], ids=lambda case: f"payload {case['size']}")
def test_a_backup_made_by_an_earlier_version_still_opens(case: dict[str, Any]) -> None:
    data = _version_1_backup(case)
    assert data[8] == 1 and data[backup.HEADER_SIZE] == 1  # container and stream both version 1
    assert restore(data, VECTORS_V1["passphrase"]) == (VECTORS_V1["manifest"], _vector_payload(case["size"]))


def test_an_earlier_backup_cut_off_or_changed_is_still_damage() -> None:
    data = _version_1_backup(VECTORS_V1["cases"][-1])
    for damaged in (data[:-1], data[: HEADER_SIZE + 8 + CHUNK_SIZE + 16], data[:-5] + bytes(5)):
        with pytest.raises(BackupDamaged, match="damaged or incomplete"):
            restore(damaged, VECTORS_V1["passphrase"])


def test_the_layout_is_the_documented_one() -> None:
    data = make(b"payload bytes", {"kind": "layout"})
    assert data[:8] == b"PARLEYBK" and data[8] == 3 and data[HEADER_SIZE] == 2
    assert (int.from_bytes(data[9:13], "big"), int.from_bytes(data[13:17], "big")) == (8, 1)
    assert int.from_bytes(data[17:21], "big") == 1
    assert data[53:57] == hashlib.sha256(data[:53]).digest()[:4]
    assert read_params(data) == FAST
    # The stream after the header opens with the documented key and the header as associated data.
    stretched = FAST.derive(PASSPHRASE, data[21:37])
    key = HKDF(hashes.SHA256(), 32, None, b"Parley backup stream v1").derive(stretched)
    decryptor = StreamDecryptor(key, data[:HEADER_SIZE])
    plaintext = decryptor.update(data[HEADER_SIZE:]) + decryptor.finalize()
    manifest = b'{"kind":"layout"}'
    assert plaintext == b"\x01" + len(manifest).to_bytes(4, "big") + manifest + b"payload bytes"


@pytest.mark.parametrize("size", [0, 1, CHUNK_SIZE - 10, CHUNK_SIZE, 3 * CHUNK_SIZE + 1])
def test_a_payload_of_any_size_and_its_manifest_round_trip(size: int) -> None:
    payload = hashlib.shake_256(b"p").digest(size) if size else b""
    manifest = {"kind": "profile", "name": "Grüße 👋", "n": size}
    assert restore(make(payload, manifest)) == (manifest, payload)


def test_a_manifest_larger_than_a_chunk_still_round_trips() -> None:
    manifest = {"big": "x" * (CHUNK_SIZE - 20)}
    assert restore(make(b"tail", manifest)) == (manifest, b"tail")
    with pytest.raises(ValueError, match="at most"):
        encode_preamble({"big": "x" * (CHUNK_SIZE + 1)})


def test_a_wrong_passphrase_is_told_before_any_plaintext() -> None:
    source = io.BytesIO(WHOLE)
    with pytest.raises(WrongPassphrase):
        backup.open_header("not the passphrase", source)
    assert source.tell() == HEADER_SIZE  # only the header was read


def test_the_passphrase_is_normalised_like_a_profiles() -> None:
    composed = "café"
    out = io.BytesIO()
    backup.seal(composed, io.BytesIO(b"x"), out, params=FAST)
    assert restore(out.getvalue(), unicodedata.normalize("NFD", composed))[1] == b"x"


def test_a_file_that_is_not_a_backup_says_so() -> None:
    for data in (b"", b"SQLite format 3\x00" + bytes(100), b"PARLEYB"):
        with pytest.raises(NotABackup, match="not a Parley backup"):
            restore(data)


def test_a_backup_of_a_later_format_says_to_update() -> None:
    with pytest.raises(BackupTooNew, match="update Parley"):
        restore(WHOLE[:8] + b"\x04" + WHOLE[9:])
    with pytest.raises(BackupDamaged):  # no backup ever had version 0: that byte was damaged
        restore(WHOLE[:8] + b"\x00" + WHOLE[9:])


@settings(max_examples=40, deadline=None)
@given(at=st.integers(9, HEADER_SIZE - 1), bit=st.integers(0, 7))
def test_a_damaged_header_is_damage_not_a_wrong_passphrase(at: int, bit: int) -> None:
    damaged = bytearray(WHOLE)
    damaged[at] ^= 1 << bit
    with pytest.raises(BackupDamaged, match="damaged"):
        restore(bytes(damaged))


def test_a_header_asking_for_absurd_costs_is_damage() -> None:
    fields = WHOLE[:9] + (2**31).to_bytes(4, "big") + WHOLE[13:53]
    with pytest.raises(BackupDamaged):
        restore(fields + hashlib.sha256(fields).digest()[:4] + WHOLE[57:])


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_a_damaged_or_cut_off_body_is_damage_in_words(data: st.DataObject) -> None:
    damaged = bytearray(WHOLE)
    if data.draw(st.booleans()):
        damaged[data.draw(st.integers(HEADER_SIZE, len(WHOLE) - 1))] ^= 0x40
    else:
        del damaged[data.draw(st.integers(HEADER_SIZE, len(WHOLE) - 1)) :]
    with pytest.raises(BackupDamaged, match="damaged or incomplete") as raised:
        restore(bytes(damaged))
    assert isinstance(raised.value, CryptoError)


def test_a_header_cut_short_is_damage() -> None:
    with pytest.raises(BackupDamaged):
        restore(WHOLE[: HEADER_SIZE - 1])


def test_the_incremental_sealer_and_opener_agree_with_the_file_functions() -> None:
    sealer = BackupSealer(PASSPHRASE, {"kind": "inc"}, params=FAST, random=counting_random())
    parts = [sealer.header, *(sealer.update(PAYLOAD[i : i + 5000]) for i in range(0, len(PAYLOAD), 5000))]
    data = b"".join([*parts, sealer.finalize()])
    opener = BackupOpener(PASSPHRASE, data[:HEADER_SIZE])
    assert opener.manifest is None
    payload = b"".join(opener.update(data[i : i + 7000]) for i in range(HEADER_SIZE, len(data), 7000))
    payload += opener.finalize()
    assert (opener.manifest, payload) == ({"kind": "inc"}, PAYLOAD)


def test_an_empty_passphrase_is_refused_and_reprs_hide_the_keys() -> None:
    with pytest.raises(ValueError, match="empty"):
        BackupSealer("", params=FAST)
    sealer = BackupSealer(PASSPHRASE, params=FAST)
    opener = BackupOpener(PASSPHRASE, sealer.header)
    assert "hidden" in repr(sealer) and "hidden" in repr(opener)
    assert PASSPHRASE not in repr(sealer) + repr(opener)


def test_a_new_backup_is_of_version_3_and_the_opener_tells_its_version() -> None:
    assert WHOLE[8] == 3
    opener = backup.open_header(PASSPHRASE, io.BytesIO(WHOLE))
    assert opener.version == 3
    old = io.BytesIO()
    backup.seal(PASSPHRASE, io.BytesIO(b"x"), old, params=FAST, version=2)
    assert backup.open_header(PASSPHRASE, io.BytesIO(old.getvalue())).version == 2
    with pytest.raises(ValueError, match="format version"):
        backup.seal(PASSPHRASE, io.BytesIO(b"x"), io.BytesIO(), params=FAST, version=1)
