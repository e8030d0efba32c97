"""The server store's records and refusals."""

from __future__ import annotations

from storage.server.records import (
    CodeCheck,
    PrekeyLimit,
    QueueFull,
    Registration,
    SchemaMismatch,
    StoredMessage,
    StoreError,
    UnknownAccount,
)


def test_refusals_share_one_base() -> None:
    for cls in (SchemaMismatch, UnknownAccount, QueueFull, PrekeyLimit):
        assert issubclass(cls, StoreError)


def test_a_stored_message_repr_shows_its_size_not_its_body() -> None:
    text = repr(StoredMessage(7, "+442079460958", b"ciphertext bytes", 123))
    assert "ciphertext" not in text and "size=16" in text and "id=7" in text


def test_a_registration_outcome_defaults_to_nothing_replaced() -> None:
    accepted = Registration(CodeCheck.ACCEPTED)
    assert (accepted.attempts_left, accepted.replaced) == (0, False)
