"""The registration lock: a passphrase the owner sets, kept on the server only as a slow, peppered hash.

The owner's app sends the passphrase itself over TLS (as a password form
would); the server stretches it with Argon2id and keeps the salt and the hash.
The Argon2id input carries a purpose label and the phone as associated data and
a server secret (derived from the code key in the data directory) as Argon2's
secret, so a stolen database alone does not let anyone guess locks offline, and
a hash is useless for another number. Hashes are compared with
:func:`hmac.compare_digest`.

Cost: 19 MiB, 2 passes, 1 lane takes about 16 ms on one core of the
development machine (the OWASP minimum for Argon2id); the server runs it off
its event loop. Attempts are few per account (see net/protocol/PROTOCOL.md), so the
cost is there for a stolen database, not for online guessing.

The lock's allowed lengths are a fact of the protocol, so they live with it
(:data:`net.protocol.registration.MIN_LOCK`, ``MAX_LOCK``); this module is the
server's only, since it holds the server's secret.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

SALT_SIZE = 16
HASH_SIZE = 32
_LABEL = b"Parley registration lock v1\x00"


@dataclass(frozen=True)
class LockCost:
    memory_kib: int = 19 * 1024
    iterations: int = 2
    lanes: int = 1


class LockHasher:
    __slots__ = ("_cost", "_pepper", "_random")

    def __init__(
        self,
        pepper: bytes,
        cost: LockCost | None = None,
        random: Callable[[int], bytes] = secrets.token_bytes,
    ) -> None:
        if len(pepper) != 32:
            raise ValueError("the lock pepper is 32 bytes")
        self._pepper = pepper
        self._cost = cost or LockCost()
        self._random = random

    def make_salt(self) -> bytes:
        return self._random(SALT_SIZE)

    def hash(self, phone: str, lock: str, salt: bytes) -> bytes:
        cost = self._cost
        kdf = Argon2id(
            salt=salt,
            length=HASH_SIZE,
            iterations=cost.iterations,
            lanes=cost.lanes,
            memory_cost=cost.memory_kib,
            ad=_LABEL + phone.encode("utf-8"),
            secret=self._pepper,
        )
        return kdf.derive(lock.encode("utf-8"))

    def matches(self, phone: str, lock: str, salt: bytes, stored: bytes) -> bool:
        return hmac.compare_digest(self.hash(phone, lock, salt), stored)

    def __repr__(self) -> str:
        return "LockHasher(<pepper hidden>)"
