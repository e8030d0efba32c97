"""EngineError: a stable code for programs, words for people, and nothing else in its text."""

from __future__ import annotations

from net.client.core.engine_error import EngineError
from net.client.messenger import EngineError as ExportedEngineError


def test_str_is_the_message_and_the_code_is_kept() -> None:
    error = EngineError("wrong_passphrase", "That passphrase does not open this profile.")
    assert str(error) == "That passphrase does not open this profile."
    assert error.code == "wrong_passphrase"
    assert error.message == str(error)
    assert "wrong_passphrase" in repr(error)


def test_the_messenger_exports_the_same_class() -> None:
    assert ExportedEngineError is EngineError
