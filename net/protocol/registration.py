"""Registration's small pieces shared by client and server: tokens, the move statement, masked addresses.

* A pending code belongs to whoever asked for it: ``register_start`` returns a
  random **token** to the requester only, and ``register_finish`` must present
  it. The server keeps only the token's SHA-256 (under its own label), so its
  database does not hand out tokens either.
* The **move statement** lets the current identity hand its number to new keys
  without any code: the old identity key signs a labelled statement binding a
  fresh server nonce (one use), the phone, the new identity's two public keys
  and the server's fingerprint, so it is worthless on another connection, for
  another number, for other keys or on another server. Client and server build
  it with the same function, as they do the login statement.
* The **registration lock** is a passphrase of :data:`MIN_LOCK` to
  :data:`MAX_LOCK` characters; only the server hashes it
  (:mod:`net.server.registration_lock`).
* A masked address (``a•••@example.org``) tells the requester where the code of
  an existing account went without telling the address.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable

from crypto_core.encoding import u32
from crypto_core.key_encoding import verify_signature
from crypto_core.keys import IdentityKeyPair, PublicIdentity
from net.protocol.login import FINGERPRINT_SIZE

TOKEN_SIZE = 32
MOVE_LABEL = b"Parley re-registration v1\x00"
_TOKEN_LABEL = b"Parley registration token v1\x00"
MASK = "\u2022\u2022\u2022"  # three bullets
#: The registration lock's lengths, in characters: the schema checks them, the app tells the owner.
MIN_LOCK = 6
MAX_LOCK = 128


def make_token(random: Callable[[int], bytes] = secrets.token_bytes) -> bytes:
    return random(TOKEN_SIZE)


def token_hash(token: bytes) -> bytes:
    """What the server keeps of a token: SHA-256 over a purpose label and the token."""
    return hashlib.sha256(_TOKEN_LABEL + token).digest()


def move_statement(
    nonce: bytes, phone: str, new_identity: PublicIdentity, server_fingerprint: bytes
) -> bytes:
    """LABEL || u32(len nonce) || nonce || u32(len phone) || phone || new sign || new dh || fingerprint."""
    if len(server_fingerprint) != FINGERPRINT_SIZE:
        raise ValueError("the server fingerprint is a 32-byte SHA-256 digest")
    phone_bytes = phone.encode("utf-8")
    return (
        MOVE_LABEL
        + u32(len(nonce))
        + nonce
        + u32(len(phone_bytes))
        + phone_bytes
        + new_identity.encoded()
        + server_fingerprint
    )


def sign_move(
    current: IdentityKeyPair,
    nonce: bytes,
    phone: str,
    new_identity: PublicIdentity,
    server_fingerprint: bytes,
) -> bytes:
    return current.sign(move_statement(nonce, phone, new_identity, server_fingerprint))


def verify_move(
    signing_key: bytes,
    signature: bytes,
    nonce: bytes,
    phone: str,
    new_identity: PublicIdentity,
    server_fingerprint: bytes,
) -> None:
    """Raise crypto_core's InvalidSignature unless the current identity signed this move."""
    statement = move_statement(nonce, phone, new_identity, server_fingerprint)
    verify_signature(signing_key, signature, statement, "re-registration proof")


def mask_email(email: str) -> str:
    """``ada@example.org`` becomes ``a•••@example.org``: the first character of the name, and the domain."""
    local, _, domain = email.rpartition("@")
    return f"{local[:1]}{MASK}@{domain}"
