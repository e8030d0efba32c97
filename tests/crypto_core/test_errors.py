"""crypto_core.errors: one base class, and messages that never carry secrets."""

from __future__ import annotations

import pytest

from crypto_core.errors import (
    CryptoError,
    DecryptionError,
    InvalidKeyFormat,
    InvalidSignature,
    UnknownPreKey,
    WrongPassphrase,
)


@pytest.mark.parametrize(
    "cls", [DecryptionError, InvalidKeyFormat, InvalidSignature, UnknownPreKey, WrongPassphrase]
)
def test_every_error_is_a_crypto_error(cls: type[Exception]) -> None:
    assert issubclass(cls, CryptoError)


def test_the_decryption_error_takes_no_details_and_always_says_the_same() -> None:
    assert str(DecryptionError()) == "could not decrypt"
    assert DecryptionError().args == DecryptionError().args
    with pytest.raises(TypeError):
        DecryptionError("the tag did not match")  # type: ignore[call-arg]


def test_the_wrong_passphrase_error_takes_no_details() -> None:
    assert str(WrongPassphrase()) == "wrong passphrase"
    with pytest.raises(TypeError):
        WrongPassphrase("hunter2")  # type: ignore[call-arg]
