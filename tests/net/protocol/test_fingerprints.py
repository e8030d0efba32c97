"""Fingerprints: the SHA-256 of the key, one spelling shown, every spelling read."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from net.protocol.fingerprints import fingerprint_of_der, format_fingerprint, normalize_fingerprint


def _certificate_der(key: ec.EllipticCurvePrivateKey, serial: int) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
        .not_valid_after(datetime.datetime(2027, 1, 1, tzinfo=datetime.UTC))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


def test_the_fingerprint_names_the_key_not_the_certificate() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    first, renewed = _certificate_der(key, 1), _certificate_der(key, 2)
    assert first != renewed
    assert fingerprint_of_der(first) == fingerprint_of_der(renewed) == hashlib.sha256(spki).digest()
    other = ec.generate_private_key(ec.SECP256R1())
    assert fingerprint_of_der(_certificate_der(other, 1)) != fingerprint_of_der(first)


def test_fingerprints_are_shown_in_groups_of_four() -> None:
    text = format_fingerprint(bytes(range(32)))
    assert text.startswith("0001 0203 ") and len(text.split()) == 16


def test_every_spelling_of_a_fingerprint_reads_as_the_one_shown() -> None:
    key = bytes(range(32))
    shown = format_fingerprint(key)
    for spelling in (
        shown,
        shown.lower(),
        key.hex(),
        ":".join(f"{b:02x}" for b in key),
        shown.replace(" ", "\n"),
    ):
        assert normalize_fingerprint(spelling) == shown
    for bad in ("", "xyz", "00" * 31, "00" * 33):
        with pytest.raises(ValueError, match="64 hexadecimal digits"):
            normalize_fingerprint(bad)
