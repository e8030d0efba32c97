"""Making, refilling and rotating our prekeys, as the wire protocol wants them.

* Registration publishes a signed X25519 prekey, a last-resort ML-KEM prekey,
  :data:`TARGET` one-time X25519 prekeys and :data:`TARGET` one-time ML-KEM prekeys.
* When the server says fewer than :data:`LOW` of a kind are left, enough new
  ones are made to reach :data:`TARGET` again.
* The signed prekey is replaced every :data:`ROTATE_AFTER` seconds; older ones
  are kept for :data:`KEEP_OLD_FOR` seconds, for initial messages still in flight.

Private parts go into the profile (in the caller's transaction) before their
public parts leave the machine, so the server never hands out a key we lack.
The numbers and the decisions (how many to make, whether a rotation is due) are
pure functions in :mod:`net.client.core.duties_plan`; this module makes and stores the keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crypto_core.encoding import RandomSource, default_random
from crypto_core.errors import CryptoError
from crypto_core.keys import IdentityKeyPair, KemPreKey, OneTimePreKey, SignedPreKey
from net.client.core import duties_plan
from net.client.core.duties_plan import CHECK_EVERY as CHECK_EVERY
from net.client.core.duties_plan import LOW as LOW
from net.client.core.duties_plan import ROTATE_AFTER as ROTATE_AFTER
from net.client.core.duties_plan import TARGET as TARGET
from net.client.core.duties_plan import Wanted
from storage.profile.keys import KEM, ONE_TIME, SIGNED, KeyStore

KEEP_OLD_FOR = 30 * 24 * 3600


@dataclass
class Published:
    """Public prekeys ready for ``register_finish``, ``upload_prekeys`` or ``set_signed_prekey``."""

    signed_prekey: Any = None
    kem_last_resort: Any = None
    one_time_prekeys: list[Any] = field(default_factory=list)
    kem_prekeys: list[Any] = field(default_factory=list)

    def registration_fields(self) -> dict[str, Any]:
        """The keys as ``register_finish`` takes them, whether it is proved by a code or by a move."""
        return {
            "signed_prekey": self.signed_prekey,
            "kem_last_resort": self.kem_last_resort,
            "one_time_prekeys": self.one_time_prekeys,
            "kem_prekeys": self.kem_prekeys,
        }

    def __repr__(self) -> str:
        return f"Published(one_time={len(self.one_time_prekeys)}, kem={len(self.kem_prekeys)})"


def one_time_prekeys(
    keys: KeyStore, count: int, random: RandomSource = default_random
) -> list[OneTimePreKey]:
    made = [OneTimePreKey.generate(key_id, random) for key_id in keys.reserve_ids(ONE_TIME, count)]
    keys.add_one_time_prekeys(made)
    return made


def kem_prekeys(
    keys: KeyStore, identity: IdentityKeyPair, count: int, random: RandomSource = default_random
) -> list[KemPreKey]:
    made = [
        KemPreKey.generate(identity, key_id, last_resort=False, random=random)
        for key_id in keys.reserve_ids(KEM, count)
    ]
    keys.add_kem_prekeys(made)
    return made


def signed_prekey(
    keys: KeyStore, identity: IdentityKeyPair, now: float, random: RandomSource = default_random
) -> SignedPreKey:
    (key_id,) = keys.reserve_ids(SIGNED, 1)
    made = SignedPreKey.generate(identity, key_id, int(now), random)
    keys.add_signed_prekey(made)
    return made


def last_resort_prekey(
    keys: KeyStore, identity: IdentityKeyPair, random: RandomSource = default_random
) -> KemPreKey:
    (key_id,) = keys.reserve_ids(KEM, 1)
    made = KemPreKey.generate(identity, key_id, last_resort=True, random=random)
    keys.add_kem_prekeys([made])
    return made


def for_registration(
    keys: KeyStore, identity: IdentityKeyPair, now: float, random: RandomSource = default_random
) -> Published:
    """A full set of fresh prekeys, stored; call inside a transaction."""
    return Published(
        signed_prekey=signed_prekey(keys, identity, now, random).public(),
        kem_last_resort=last_resort_prekey(keys, identity, random).public(),
        one_time_prekeys=[k.public() for k in one_time_prekeys(keys, TARGET, random)],
        kem_prekeys=[k.public() for k in kem_prekeys(keys, identity, TARGET, random)],
    )


def forget(keys: KeyStore, published: Published) -> None:
    """Delete the one-time and last-resort prekeys of a set the server refused."""
    for one_time in published.one_time_prekeys:
        keys.delete_one_time_prekey(one_time.key_id)
    for kem in [*published.kem_prekeys, *([published.kem_last_resort] if published.kem_last_resort else [])]:
        keys.delete_kem_prekey(kem.key_id)


def fresh(
    keys: KeyStore, identity: IdentityKeyPair, wanted: Wanted, random: RandomSource = default_random
) -> Published:
    """A top-up: as many new one-time prekeys of each kind as wanted, stored; call inside a transaction.

    How many are wanted is :func:`net.client.core.duties_plan.prekeys_wanted`.
    """
    published = Published()
    if wanted.one_time > 0:
        published.one_time_prekeys = [k.public() for k in one_time_prekeys(keys, wanted.one_time, random)]
    if wanted.kem > 0:
        published.kem_prekeys = [k.public() for k in kem_prekeys(keys, identity, wanted.kem, random)]
    return published


def _current(keys: KeyStore) -> SignedPreKey | None:
    """The current signed prekey, or None if it is missing or damaged (a rotation then replaces it)."""
    try:
        return keys.current_signed_prekey()
    except CryptoError:
        return None


def signed_prekey_rotation_due(keys: KeyStore, now: float) -> bool:
    """Whether the stored signed prekey is due for rotation: it is read here, the rule is the core's."""
    current = _current(keys)
    return duties_plan.rotation_due(None if current is None else current.created_at, now)


def rotate(
    keys: KeyStore, identity: IdentityKeyPair, now: float, random: RandomSource = default_random
) -> Published:
    """A new signed prekey (stored); old ones past the keeping time go, never the one just replaced."""
    previous = _current(keys)
    cutoff = int(now - KEEP_OLD_FOR)
    if previous is not None:
        # After a long time offline the replaced key may itself be old, yet it is what the server handed out.
        cutoff = min(cutoff, previous.created_at)
    made = signed_prekey(keys, identity, now, random)
    keys.prune_signed_prekeys(cutoff)
    return Published(signed_prekey=made.public())
