"""Linked devices on the wire: device ids, link codes and the link statement (PROTOCOL.md, "Devices").

An account has 1 to :data:`MAX_DEVICES` devices, each with an id from 1 to
:data:`MAX_DEVICE_ID`. A new device asks the server for a link code
(``link_open``): :data:`LINK_CODE_LENGTH` characters of RFC 4648 base32 made from
:data:`LINK_CODE_BYTES` random bytes, which the person types (or scans) on a device
already logged in. Once the two ends have met (``link_join``) and the existing device
has sent the account's keys through the relay, the new device registers itself with
``link_device``, signed by the account's identity over the **link statement**: a
labelled statement that binds the code, the phone number, the new device's login key
and the server's fingerprint, so that a signature is good for one link on one server
only. Client and server build it with the same function.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable

from crypto_core.encoding import u32
from crypto_core.key_encoding import verify_signature
from crypto_core.keys import IdentityKeyPair
from net.protocol.login import FINGERPRINT_SIZE

MAX_DEVICES = 5
MAX_DEVICE_ID = 2**31 - 1
#: A device's sealed name, as the server keeps it (it cannot read it).
MAX_DEVICE_NAME = 512
LINK_CODE_BYTES = 10
LINK_CODE_LENGTH = 16
#: A link lives this long (seconds), and only while the connection that opened it stays open.
LINK_LIFETIME = 600
#: The most a ``link_relay`` body carries (bytes).
MAX_RELAY_BODY = 512 * 1024
DEVICE_KEY_SIZE = 32
LINK_LABEL = b"Parley device link v1\x00"

#: What the server pushes about devices and links.
PUSH_DEVICES_CHANGED = "devices_changed"
PUSH_LINK_JOINED = "link_joined"
PUSH_LINK_RELAY = "link_relay"
PUSH_LINK_DONE = "link_done"
#: The ``session_ended`` reason of a device unlinked by another (or by itself).
UNLINKED = "unlinked"


def make_link_code(random: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """16 characters A-Z and 2-7: the base32 of 10 random bytes (no padding: 80 bits are 16 characters)."""
    return base64.b32encode(random(LINK_CODE_BYTES)).decode("ascii")


def link_statement(code: str, phone: str, device_key: bytes, server_fingerprint: bytes) -> bytes:
    """LABEL || u32(len code) || code || u32(len phone) || phone (UTF-8) || device_key || fingerprint."""
    if len(device_key) != DEVICE_KEY_SIZE:
        raise ValueError("a device key is a 32-byte Ed25519 public key")
    if len(server_fingerprint) != FINGERPRINT_SIZE:
        raise ValueError("the server fingerprint is a 32-byte SHA-256 digest")
    code_bytes, phone_bytes = code.encode("ascii"), phone.encode("utf-8")
    return (
        LINK_LABEL
        + u32(len(code_bytes))
        + code_bytes
        + u32(len(phone_bytes))
        + phone_bytes
        + device_key
        + server_fingerprint
    )


def sign_link(
    identity: IdentityKeyPair, code: str, phone: str, device_key: bytes, server_fingerprint: bytes
) -> bytes:
    return identity.sign(link_statement(code, phone, device_key, server_fingerprint))


def verify_link(
    signing_key: bytes, signature: bytes, code: str, phone: str, device_key: bytes, server_fingerprint: bytes
) -> None:
    """Raise crypto_core's InvalidSignature unless the account's identity signed this link."""
    statement = link_statement(code, phone, device_key, server_fingerprint)
    verify_signature(signing_key, signature, statement, "device link")
