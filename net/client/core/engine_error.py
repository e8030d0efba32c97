"""The one error the client engine raises to its caller.

Like h11's protocol errors, there is one class with a stable ``code`` for
programs and a ``message`` for people; ``str()`` is the message. A message
never holds a key, a passphrase, a verification code, a text or a ciphertext,
so the app may show it and a log may keep it.
"""

from __future__ import annotations


class EngineError(Exception):
    """A command could not be done. ``code`` never changes meaning; ``message`` is for a person."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"EngineError(code={self.code!r}, message={self.message!r})"
