"""Registration codes: six random digits, and the keyed hash that is all the server keeps of them.

The hash is HMAC-SHA256 under a server secret (kept in the data directory) over a
purpose label, the phone number and the code, so a stolen database does not give
the codes away by a quick brute force of the million possibilities, and a hash
made for one phone is useless for another.

Nodes that share a store must share the code key too (a code made on one is
checked on another, and the registration lock's pepper is derived from it):
:func:`check_code_key` refuses to start a node whose key differs from the one the
store's first node kept a check value of.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from storage.server.interface import ServerStore

CODE_DIGITS = 6
CODE_KEY_FILE = "code-key"
CODE_KEY_SIZE = 32
_LABEL = b"Parley registration code v1\x00"


def make_code(randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    return f"{randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


class CodeHasher:
    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) != CODE_KEY_SIZE:
            raise ValueError("the code key is 32 bytes")
        self._key = key

    def hash(self, phone: str, code: str) -> bytes:
        message = _LABEL + phone.encode("utf-8") + b"\x00" + code.encode("ascii")
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def subkey(self, label: bytes) -> bytes:
        """A 32-byte key of its own for another purpose (``label``), derived from the code key."""
        return hmac.new(self._key, b"Parley subkey v1\x00" + label, hashlib.sha256).digest()

    def __repr__(self) -> str:
        return "CodeHasher(<key hidden>)"


def check_code_key(store: ServerStore, hasher: CodeHasher) -> None:
    """Raise ValueError in words when other nodes of ``store`` use another code key than ``hasher``'s.

    The store keeps a value derived from the key under a label of its own, never the key: a stolen
    database does not give it away, and a wrong key is told at start, not by codes that never match.
    """
    mine = hasher.subkey(b"code key check").hex()
    kept = store.shared_setting("code_key_check", mine)
    if not hmac.compare_digest(kept.encode("ascii"), mine.encode("ascii")):
        raise ValueError(
            f"this node's {CODE_KEY_FILE} differs from the one the other nodes of this store use: copy"
            f" their {CODE_KEY_FILE} file into this node's data directory (like the certificate and key),"
            " or codes and registration locks made on one node fail on another"
        )


def load_or_make_code_key(data_dir: Path) -> bytes:
    """The server's code key from ``data_dir``, made (mode 0600) on first start."""
    path = data_dir / CODE_KEY_FILE
    if path.exists():
        key = path.read_bytes()
        if len(key) != CODE_KEY_SIZE:
            raise ValueError(f"{path.name} is damaged: expected {CODE_KEY_SIZE} bytes")
        return key
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_bytes(CODE_KEY_SIZE)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    os.replace(tmp, path)
    return key
