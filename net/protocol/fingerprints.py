"""A server's fingerprint: what it is, how it is spelled, how any spelling is read.

A fingerprint is the SHA-256 of the certificate's SubjectPublicKeyInfo (DER), so it
names the key, not the certificate: a renewed certificate for the same key keeps
its fingerprint. Clients pin it on first contact and the server prints it at start.
It has one spelling, :func:`format_fingerprint`'s (upper-case hex in groups of
four); :func:`normalize_fingerprint` reads any other (colons, any case, no
spaces) into it, so two spellings compare equal exactly when they name one key.

Both sides need these and they touch no socket, so they live with the protocol;
the server's key and TLS context are in :mod:`net.server.tls`, the client's
context in :mod:`net.client.transport`.
"""

from __future__ import annotations

import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import serialization


def fingerprint_of_der(certificate_der: bytes) -> bytes:
    """SHA-256 of the SubjectPublicKeyInfo of a DER certificate (what a client sees in TLS)."""
    cert = x509.load_der_x509_certificate(certificate_der)
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).digest()


def format_fingerprint(fingerprint: bytes) -> str:
    """Upper-case hex in groups of four, for people to compare aloud."""
    hexed = fingerprint.hex().upper()
    return " ".join(hexed[i : i + 4] for i in range(0, len(hexed), 4))


def normalize_fingerprint(text: str) -> str:
    """One spelling for a fingerprint typed or shown in any of its forms: the formatted upper-case hex."""
    clean = "".join(ch for ch in text if ch not in " :\n\t").upper()
    try:
        raw = bytes.fromhex(clean)
    except ValueError:
        raise ValueError("a server fingerprint is 64 hexadecimal digits") from None
    if len(raw) != 32:
        raise ValueError("a server fingerprint is 64 hexadecimal digits")
    return format_fingerprint(raw)
