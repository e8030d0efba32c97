"""crypto_core.device_names: names sealed for the account's own devices, padded to buckets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from known_answers import Replay, counting_random

from crypto_core.device_names import MAX_NAME_BYTES, open_name, seal_name
from crypto_core.errors import DecryptionError, InvalidKeyFormat
from crypto_core.keys import IdentityKeyPair

VECTOR = json.loads((Path(__file__).parent.parent / "vectors" / "linking.json").read_text(encoding="utf-8"))
IDENTITY = IdentityKeyPair.generate(Replay(VECTOR["identity_tape"]))


def test_known_answers() -> None:
    for case in VECTOR["names"]:
        sealed = seal_name(IDENTITY, case["name"], random=Replay(case["tape"]))
        assert sealed.hex() == case["sealed"]
        assert open_name(IDENTITY, sealed) == case["name"]


def test_lengths_show_only_the_bucket() -> None:
    sizes = {len(seal_name(IDENTITY, "x" * n)) for n in range(0, 30)}
    assert sizes == {1 + 12 + 32 + 16}
    assert len(seal_name(IDENTITY, "x" * MAX_NAME_BYTES)) == 1 + 12 + 256 + 16 <= 512
    with pytest.raises(InvalidKeyFormat, match="device name"):
        seal_name(IDENTITY, "x" * (MAX_NAME_BYTES + 1))


def test_another_identity_or_damage_cannot_open() -> None:
    sealed = seal_name(IDENTITY, "Parley on desk", random=counting_random())
    other = IdentityKeyPair.generate(counting_random())
    for identity, data in (
        (other, sealed),
        (IDENTITY, sealed[:-1] + bytes([sealed[-1] ^ 1])),
        (IDENTITY, b"\x02" + sealed[1:]),
        (IDENTITY, sealed[:30]),
        (IDENTITY, b""),
    ):
        with pytest.raises(DecryptionError):
            open_name(identity, data)


def test_the_key_is_derived_for_this_purpose_only() -> None:
    assert IDENTITY.derive_secret(b"Parley device name v1") != IDENTITY.derive_secret(b"another purpose")
    assert len(IDENTITY.derive_secret(b"Parley device name v1")) == 32
