"""The server's TLS: its key and self-signed certificate, its context, and its own fingerprint.

On first start the server makes a P-256 key and a ten-year self-signed
certificate in its data directory (the key readable by its owner only); clients
do not check a CA but pin the key's fingerprint (:mod:`net.protocol.fingerprints`)
on first contact, and the server prints it at start. The context speaks TLS 1.3
only. The client's side is :func:`net.client.transport.client_context`.
"""

from __future__ import annotations

import datetime
import os
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from net.protocol.fingerprints import fingerprint_of_der

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


def fingerprint_of_pem_file(cert_path: Path) -> bytes:
    """The fingerprint of the server's own certificate file: printed at start, named by logins and moves."""
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    return fingerprint_of_der(cert.public_bytes(serialization.Encoding.DER))
