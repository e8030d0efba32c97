"""TLS for both ends: the server's key and self-signed certificate, the client's context, and fingerprints.

A fingerprint is the SHA-256 of the certificate's SubjectPublicKeyInfo (DER), so it
names the key, not the certificate: a renewed certificate for the same key keeps
its fingerprint. Clients pin it on first contact and the server prints it at start.
It has one spelling, :func:`format_fingerprint`'s (upper-case hex in groups of
four); :func:`normalize_fingerprint` reads any other (colons, any case, no
spaces) into it, so two spellings compare equal exactly when they name one key.

:func:`client_context` is the one client TLS context (the app's engine, the load
tool and the tests' wire client use it): TLS 1.3 only, and no CA check, because
the server's key is pinned by fingerprint (trust on first use) instead.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CERT_FILE = "server-cert.pem"
KEY_FILE = "server-key.pem"
CERT_VALIDITY_DAYS = 3650


def ensure_self_signed(data_dir: Path, common_name: str = "Parley server") -> tuple[Path, Path]:
    """The certificate and key files in ``data_dir``, made (P-256, ten years) if missing."""
    cert_path, key_path = data_dir / CERT_FILE, data_dir / KEY_FILE
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CERT_VALIDITY_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_private(key_path, key_pem)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def server_context(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    """A server context that speaks TLS 1.3 only."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.load_cert_chain(cert_path, key_path)
    # Session tickets cost memory per connection and buy nothing for long-lived connections.
    context.num_tickets = 0
    return context


def fingerprint_of_der(certificate_der: bytes) -> bytes:
    """SHA-256 of the SubjectPublicKeyInfo of a DER certificate (what a client sees in TLS)."""
    cert = x509.load_der_x509_certificate(certificate_der)
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).digest()


def fingerprint_of_pem_file(cert_path: Path) -> bytes:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    return fingerprint_of_der(cert.public_bytes(serialization.Encoding.DER))


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


def client_context() -> ssl.SSLContext:
    """TLS 1.3 only. No CA check: the server's key is pinned by fingerprint (trust on first use)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    return context
