"""The login statement: what a client signs to prove it holds an account's identity key.

The server sends a fresh random nonce for one connection; the client signs a
labelled statement that binds a version, that nonce, the phone number and the
fingerprint of the server's public key (as the client saw it in TLS). A signature
made for one nonce, one account or one server is therefore useless for any other,
and a login frame recorded on one connection fails on the next. Client and server
build the statement with the same function.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from crypto_core.encoding import u32
from crypto_core.key_encoding import verify_signature
from crypto_core.keys import IdentityKeyPair

LOGIN_LABEL = b"Parley login v1\x00"
NONCE_SIZE = 32
FINGERPRINT_SIZE = 32


def make_nonce(random: Callable[[int], bytes] = secrets.token_bytes) -> bytes:
    return random(NONCE_SIZE)


def login_statement(nonce: bytes, phone: str, server_fingerprint: bytes) -> bytes:
    """LABEL || u32(len nonce) || nonce || u32(len phone) || phone (UTF-8) || fingerprint (32 bytes)."""
    if len(server_fingerprint) != FINGERPRINT_SIZE:
        raise ValueError("the server fingerprint is a 32-byte SHA-256 digest")
    phone_bytes = phone.encode("utf-8")
    return LOGIN_LABEL + u32(len(nonce)) + nonce + u32(len(phone_bytes)) + phone_bytes + server_fingerprint


def sign_login(identity: IdentityKeyPair, nonce: bytes, phone: str, server_fingerprint: bytes) -> bytes:
    return identity.sign(login_statement(nonce, phone, server_fingerprint))


def verify_login(
    signing_key: bytes, signature: bytes, nonce: bytes, phone: str, server_fingerprint: bytes
) -> None:
    """Raise crypto_core's InvalidSignature unless ``signature`` is the account's login for this nonce."""
    verify_signature(signing_key, signature, login_statement(nonce, phone, server_fingerprint), "login")
