"""The errors of crypto_core.

One base class, so callers can catch everything cryptographic at once, and one
deliberately opaque :class:`DecryptionError` for everything that fails to open:
a forged tag, a replay, a wrong key, a malformed header and a too-large gap all
look the same from outside, so there is no oracle to query.
"""

from __future__ import annotations


class CryptoError(Exception):
    """Base of every error raised by crypto_core."""


class DecryptionError(CryptoError):
    """A message or sealed value could not be opened. Deliberately says nothing more."""

    def __init__(self) -> None:
        super().__init__("could not decrypt")


class InvalidSignature(CryptoError):
    """A signature in a key bundle or identity did not verify; the message names which."""


class InvalidKeyFormat(CryptoError):
    """Serialised key material is malformed (wrong length, type or version)."""


class WrongPassphrase(CryptoError):
    """The passphrase does not unwrap the master key."""

    def __init__(self) -> None:
        super().__init__("wrong passphrase")


class UnknownPreKey(CryptoError):
    """An initial message names a prekey this side does not hold (used up or rotated away)."""


class RatchetNotReady(CryptoError):
    """This side of a session cannot send yet: a responder first needs the initiator's message."""


class ChainExhausted(CryptoError):
    """The sending chain has used every message number the header can carry; a new session is needed."""
