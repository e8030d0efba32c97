"""Test helpers for sessions: real profiles with real keys, and bundles made from them."""

from __future__ import annotations

import time
from pathlib import Path

from engine_support import FAST_KDF, PASSPHRASE

from crypto_core.keys import (
    IdentityKeyPair,
    KemPreKey,
    KemPreKeyPublic,
    OneTimePreKey,
    OneTimePreKeyPublic,
    PreKeyBundle,
    SignedPreKey,
)
from net.client import prekeys
from net.client.prekeys import Published
from storage.profile.directory import ProfileDirectory
from storage.profile.profile import Profile


def bundle_of(identity: IdentityKeyPair, *, one_time: bool = True) -> PreKeyBundle:
    """A bundle whose private parts are thrown away (for tests of the sending side only)."""
    signed = SignedPreKey.generate(identity, 1, 0)
    kem = KemPreKey.generate(identity, 1, last_resort=True)
    otk = OneTimePreKey.generate(1) if one_time else None
    return PreKeyBundle(identity.public, signed.public(), kem.public(), None if otk is None else otk.public())


class Side:
    """One person's profile with an identity and a registration's worth of prekeys."""

    def __init__(self, root: Path, name: str) -> None:
        self.profile: Profile = ProfileDirectory(root / name, kdf_params=FAST_KDF).create(name, PASSPHRASE)
        self.identity = IdentityKeyPair.generate()
        with self.profile.transaction():
            self.profile.keys.set_identity(self.identity)
            self.published: Published = prekeys.for_registration(
                self.profile.keys, self.identity, time.time()
            )
        self._next_one_time = 0
        self._next_kem = 0

    def bundle(self, *, one_time: bool = True, kem_one_time: bool = True) -> PreKeyBundle:
        """As the server would hand it out: each one-time prekey once."""
        otk: OneTimePreKeyPublic | None = None
        if one_time:
            otk = self.published.one_time_prekeys[self._next_one_time]
            self._next_one_time += 1
        kem: KemPreKeyPublic = self.published.kem_last_resort
        if kem_one_time:
            kem = self.published.kem_prekeys[self._next_kem]
            self._next_kem += 1
        return PreKeyBundle(self.identity.public, self.published.signed_prekey, kem, otk)

    def close(self) -> None:
        self.profile.close()
