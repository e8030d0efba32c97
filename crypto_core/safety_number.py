"""Safety numbers: 60 digits that two people compare out of band to rule out a swapped key.

Computed as Signal's ``NumericFingerprintGenerator`` does (version 0 of the
hash, 5,200 iterations). For each side::

    h = 0x0000 || key || id
    repeat 5,200 times:  h = SHA-512(h || key)

where ``key`` is :meth:`PublicIdentity.encoded` (Ed25519 key then X25519 key, so a
change of either key changes the number) and ``id`` the E.164 phone number in
UTF-8. The first 30 bytes of ``h`` give 30 digits: six 5-byte big-endian chunks,
each modulo 100000 and written with five digits. The two 30-digit halves are
put in ascending order, so both sides show the same 60 digits.

The scannable form is Signal's version-1 ``CombinedFingerprints`` message (the
first 32 bytes of each side's hash, ours first), written by hand because its
layout is fixed: no protobuf library is needed to make one. Checking a scanned one belongs to
the QR code feature, which does not exist yet.
"""

from __future__ import annotations

import hashlib
import re

from crypto_core.keys import PublicIdentity

ITERATIONS = 5200
FINGERPRINT_VERSION = b"\x00\x00"
DIGITS = 60
GROUP = 5
SCANNABLE_VERSION = 1
_SCANNABLE_LEN = 32
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")


def identity_digest(key: bytes, stable_id: str, iterations: int = ITERATIONS) -> bytes:
    """One side's iterated SHA-512 over the key and its stable identifier (the phone number)."""
    if iterations < 1:
        raise ValueError("iterations must be positive")
    digest = FINGERPRINT_VERSION + key + stable_id.encode("utf-8")
    for _ in range(iterations):
        digest = hashlib.sha512(digest + key).digest()
    return digest


def displayable_half(digest: bytes) -> str:
    """Thirty digits from the first 30 bytes of a side's digest."""
    return "".join(f"{int.from_bytes(digest[i : i + 5], 'big') % 100000:05d}" for i in range(0, 30, 5))


def _checked_phone(phone: str) -> str:
    # Both sides must hash the very same text; a number not in E.164 form would
    # silently give each side a different safety number.
    if not _E164.fullmatch(phone):
        raise ValueError("the phone number must be in E.164 form, e.g. +15551234567")
    return phone


def _digest(identity: PublicIdentity, phone: str) -> bytes:
    return identity_digest(identity.encoded(), _checked_phone(phone))


def safety_number(local: PublicIdentity, local_id: str, remote: PublicIdentity, remote_id: str) -> str:
    """The 60 digits for this pair of identities; the same whichever side computes them."""
    halves = sorted(
        [displayable_half(_digest(local, local_id)), displayable_half(_digest(remote, remote_id))]
    )
    return halves[0] + halves[1]


def format_safety_number(digits: str) -> list[str]:
    """Twelve groups of five digits, the way the app shows them."""
    if len(digits) != DIGITS or not digits.isascii() or not digits.isdigit():
        raise ValueError(f"a safety number has {DIGITS} digits")
    return [digits[i : i + GROUP] for i in range(0, DIGITS, GROUP)]


def _combined(version: int, first: bytes, second: bytes) -> bytes:
    # CombinedFingerprints { uint32 version = 1; LogicalFingerprint local = 2; remote = 3 },
    # LogicalFingerprint { bytes content = 1 }: tags and lengths are constants here.
    def logical(tag: int, content: bytes) -> bytes:
        return bytes([tag, 2 + _SCANNABLE_LEN, 0x0A, _SCANNABLE_LEN]) + content

    return bytes([0x08, version]) + logical(0x12, first) + logical(0x1A, second)


def scannable_payload(local: PublicIdentity, local_id: str, remote: PublicIdentity, remote_id: str) -> bytes:
    """The bytes to show as a QR code: our half first, as in Signal."""
    ours = _digest(local, local_id)[:_SCANNABLE_LEN]
    theirs = _digest(remote, remote_id)[:_SCANNABLE_LEN]
    return _combined(SCANNABLE_VERSION, ours, theirs)
