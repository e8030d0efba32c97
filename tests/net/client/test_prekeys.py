"""Prekeys: a registration's set, top-ups when the server runs low, weekly rotation keeping old ones."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_support import FAST_KDF, PASSPHRASE

from crypto_core.keys import IdentityKeyPair
from net.client import prekeys
from net.client.core.duties_plan import Wanted, prekeys_wanted
from storage.profile.directory import ProfileDirectory
from storage.profile.profile import Profile

NOW = 1_764_000_000.0


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    opened = ProfileDirectory(tmp_path, kdf_params=FAST_KDF).create("Ada", PASSPHRASE)
    yield opened
    opened.close()


def test_registration_publishes_a_full_signed_set_and_keeps_the_private_parts(profile: Profile) -> None:
    identity = IdentityKeyPair.generate()
    with profile.transaction():
        published = prekeys.for_registration(profile.keys, identity, NOW)
    assert len(published.one_time_prekeys) == prekeys.TARGET
    assert len(published.kem_prekeys) == prekeys.TARGET
    assert published.kem_last_resort.last_resort and not any(k.last_resort for k in published.kem_prekeys)
    published.signed_prekey.verify(identity.public)
    published.kem_last_resort.verify(identity.public)
    for kem in published.kem_prekeys:
        kem.verify(identity.public)
    assert profile.keys.count_one_time_prekeys() == prekeys.TARGET
    assert profile.keys.count_kem_prekeys() == prekeys.TARGET
    ids = [k.key_id for k in published.one_time_prekeys]
    assert len(set(ids)) == len(ids)
    assert "key" not in repr(published)


def test_a_top_up_makes_and_stores_as_many_of_each_kind_as_wanted(profile: Profile) -> None:
    identity = IdentityKeyPair.generate()
    none = prekeys.fresh(profile.keys, identity, Wanted(one_time=0, kem=0))
    assert none.one_time_prekeys == [] and none.kem_prekeys == []
    fresh = prekeys.fresh(profile.keys, identity, prekeys_wanted(prekeys.LOW - 1, 80))
    assert len(fresh.one_time_prekeys) == prekeys.TARGET - prekeys.LOW + 1
    assert fresh.kem_prekeys == []
    assert profile.keys.count_one_time_prekeys() == prekeys.TARGET - prekeys.LOW + 1
    both = prekeys.fresh(profile.keys, identity, prekeys_wanted(0, 0))
    assert len(both.one_time_prekeys) == len(both.kem_prekeys) == prekeys.TARGET
    assert not {k.key_id for k in both.one_time_prekeys} & {k.key_id for k in fresh.one_time_prekeys}


def test_the_signed_prekey_rotates_weekly_and_old_ones_stay_a_while(profile: Profile) -> None:
    identity = IdentityKeyPair.generate()
    assert prekeys.signed_prekey_rotation_due(profile.keys, NOW)
    with profile.transaction():
        first = prekeys.signed_prekey(profile.keys, identity, NOW)
    assert not prekeys.signed_prekey_rotation_due(profile.keys, NOW + prekeys.ROTATE_AFTER - 1)
    assert prekeys.signed_prekey_rotation_due(profile.keys, NOW + prekeys.ROTATE_AFTER)
    second = prekeys.rotate(profile.keys, identity, NOW + prekeys.ROTATE_AFTER).signed_prekey
    assert second.key_id != first.key_id
    assert profile.keys.signed_prekey(first.key_id) is not None  # for initial messages still in flight
    later = NOW + prekeys.KEEP_OLD_FOR + prekeys.ROTATE_AFTER + 1
    prekeys.rotate(profile.keys, identity, later)
    assert profile.keys.signed_prekey(first.key_id) is None
    assert profile.keys.signed_prekey(second.key_id) is not None


def test_a_damaged_signed_prekey_is_due_for_rotation_and_replaced(profile: Profile) -> None:
    identity = IdentityKeyPair.generate()
    with profile.transaction():
        prekeys.for_registration(profile.keys, identity, NOW)
    profile._vault.conn.execute("UPDATE signed_prekeys SET key = 'not a key'")
    # Not an error that recurs at every check:
    assert prekeys.signed_prekey_rotation_due(profile.keys, NOW + 1)
    with profile.transaction():
        published = prekeys.rotate(profile.keys, identity, NOW + 1)
    published.signed_prekey.verify(identity.public)
    current = profile.keys.current_signed_prekey()
    assert current is not None and current.public() == published.signed_prekey
    assert not prekeys.signed_prekey_rotation_due(profile.keys, NOW + 2)
