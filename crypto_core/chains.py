"""The KDF chains of the Double Ratchet (Signal's specification, section 5.2).

* Root chain: ``KDF_RK(rk, dh_out)`` is HKDF-SHA256 with the root key as salt, the
  DH output as input key material and the label ``Parley ratchet root v1``; its 64
  bytes are the next root key and a new chain key.
* Sending and receiving chains: ``KDF_CK(ck)`` gives the message key
  ``HMAC-SHA256(ck, 0x01)`` and the next chain key ``HMAC-SHA256(ck, 0x02)``.
* A message key is expanded once more, with its own label ``Parley message keys v1``,
  into a 32-byte AES-256-GCM key and a 12-byte nonce. Each message key encrypts one
  message only, so a nonce derived from it never repeats under its key.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ROOT_INFO = b"Parley ratchet root v1"
MESSAGE_KEYS_INFO = b"Parley message keys v1"
KEY_LEN = 32
NONCE_LEN = 12
_MESSAGE_KEY_CONSTANT = b"\x01"
_CHAIN_KEY_CONSTANT = b"\x02"


def kdf_rk(root_key: bytes, dh_output: bytes) -> tuple[bytes, bytes]:
    """One step of the root chain: ``(next root key, new chain key)``."""
    out = HKDF(algorithm=hashes.SHA256(), length=2 * KEY_LEN, salt=root_key, info=ROOT_INFO).derive(dh_output)
    return out[:KEY_LEN], out[KEY_LEN:]


def _hmac(key: bytes, data: bytes) -> bytes:
    mac = hmac.HMAC(key, hashes.SHA256())
    mac.update(data)
    return mac.finalize()


def kdf_ck(chain_key: bytes) -> tuple[bytes, bytes]:
    """One step of a symmetric chain: ``(next chain key, message key)``."""
    return _hmac(chain_key, _CHAIN_KEY_CONSTANT), _hmac(chain_key, _MESSAGE_KEY_CONSTANT)


def message_key_material(message_key: bytes) -> tuple[bytes, bytes]:
    """The AES-256-GCM key and nonce that one message key stands for."""
    out = HKDF(
        algorithm=hashes.SHA256(), length=KEY_LEN + NONCE_LEN, salt=None, info=MESSAGE_KEYS_INFO
    ).derive(message_key)
    return out[:KEY_LEN], out[KEY_LEN:]
