"""The server's TLS: the self-made key and certificate, its context, its own fingerprint."""

from __future__ import annotations

import hashlib
import ssl
import stat
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from net.protocol.fingerprints import fingerprint_of_der
from net.server.tls import ensure_self_signed, fingerprint_of_pem_file, server_context


def test_first_start_makes_a_private_key_and_certificate_and_keeps_them(tmp_path: Path) -> None:
    cert, key = ensure_self_signed(tmp_path / "data")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    first = fingerprint_of_pem_file(cert)
    again_cert, _ = ensure_self_signed(tmp_path / "data")
    assert fingerprint_of_pem_file(again_cert) == first


def test_the_fingerprint_is_the_sha256_of_the_subject_public_key_info(tmp_path: Path) -> None:
    cert_path, _ = ensure_self_signed(tmp_path)
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    assert fingerprint_of_der(der) == hashlib.sha256(spki).digest() == fingerprint_of_pem_file(cert_path)


def test_two_servers_have_different_fingerprints(tmp_path: Path) -> None:
    a, _ = ensure_self_signed(tmp_path / "a")
    b, _ = ensure_self_signed(tmp_path / "b")
    assert fingerprint_of_pem_file(a) != fingerprint_of_pem_file(b)


def test_the_context_speaks_tls_1_3_only(tmp_path: Path) -> None:
    context = server_context(*ensure_self_signed(tmp_path))
    assert context.minimum_version == ssl.TLSVersion.TLSv1_3
