"""The profile's private keys: identity, signed prekeys, one-time X25519 and ML-KEM prekeys."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import profile_raw as raw
import pytest

from crypto_core.errors import DecryptionError
from crypto_core.keys import IdentityKeyPair, KemPreKey, OneTimePreKey, SignedPreKey
from crypto_core.sealing import KdfParams
from storage.profile.directory import ProfileDirectory
from storage.profile.errors import ProfileError
from storage.profile.keys import KEM, ONE_TIME, SIGNED
from storage.profile.profile import Profile

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)


@pytest.fixture
def directory(tmp_path: Path) -> ProfileDirectory:
    return ProfileDirectory(tmp_path, kdf_params=FAST, clock=lambda: 1_700_000_000.0)


@pytest.fixture
def profile(directory: ProfileDirectory) -> Iterator[Profile]:
    profile = directory.create("Me", "pw")
    yield profile
    profile.close()


@pytest.fixture(scope="module")
def identity() -> IdentityKeyPair:
    return IdentityKeyPair.generate()


def test_the_identity_survives_reopen(
    directory: ProfileDirectory, profile: Profile, identity: IdentityKeyPair
) -> None:
    assert profile.keys.identity() is None
    profile.keys.set_identity(identity)
    profile.close()
    with directory.open(profile.profile_id, "pw") as again:
        stored = again.keys.identity()
        assert stored is not None
        assert stored.to_json() == identity.to_json()
        assert stored.public == identity.public


def test_an_identity_is_replaced_only_when_asked(profile: Profile, identity: IdentityKeyPair) -> None:
    profile.keys.set_identity(identity)
    other = IdentityKeyPair.generate()
    with pytest.raises(ProfileError, match="already has an identity"):
        profile.keys.set_identity(other)
    assert profile.keys.identity().public == identity.public  # type: ignore[union-attr]
    profile.keys.set_identity(other, replace=True)
    assert profile.keys.identity().public == other.public  # type: ignore[union-attr]


def test_reserved_ids_are_never_handed_out_twice(profile: Profile) -> None:
    first = profile.keys.reserve_ids(ONE_TIME, 3)
    assert list(first) == [1, 2, 3]
    profile.keys.add_one_time_prekeys(OneTimePreKey.generate(i) for i in first)
    for key_id in first:
        profile.keys.delete_one_time_prekey(key_id)
    assert list(profile.keys.reserve_ids(ONE_TIME, 2)) == [4, 5]
    assert list(profile.keys.reserve_ids(KEM, 1)) == [1]  # kinds count separately
    assert list(profile.keys.reserve_ids(SIGNED, 1)) == [1]
    with pytest.raises(ValueError, match="unknown kind"):
        profile.keys.reserve_ids("bogus", 1)


def test_signed_prekeys_current_previous_and_pruning(profile: Profile, identity: IdentityKeyPair) -> None:
    old = SignedPreKey.generate(identity, 1, created_at=1000)
    middle = SignedPreKey.generate(identity, 2, created_at=2000)
    new = SignedPreKey.generate(identity, 3, created_at=3000)
    for prekey in (old, middle, new):
        profile.keys.add_signed_prekey(prekey)
    assert profile.keys.current_signed_prekey().public() == new.public()  # type: ignore[union-attr]
    assert profile.keys.signed_prekey(1).public() == old.public()  # type: ignore[union-attr]
    assert [p.key_id for p in profile.keys.signed_prekeys()] == [1, 2, 3]
    assert profile.keys.prune_signed_prekeys(created_before=2500) == 2
    assert [p.key_id for p in profile.keys.signed_prekeys()] == [3]
    # The current one stays even when it is old itself.
    assert profile.keys.prune_signed_prekeys(created_before=10_000) == 0
    assert profile.keys.signed_prekey(1) is None


def test_accepted_initial_messages_are_kept_as_long_as_their_signed_prekey(
    profile: Profile, identity: IdentityKeyPair
) -> None:
    for key_id, created_at in ((1, 1000), (2, 3000)):
        profile.keys.add_signed_prekey(SignedPreKey.generate(identity, key_id, created_at=created_at))
    old_session, new_session = b"o" * 16, b"n" * 16
    profile.keys.remember_initial(old_session, 1)
    profile.keys.remember_initial(new_session, 2)
    profile.keys.remember_initial(new_session, 2)  # the same start noted twice is one record
    assert profile.keys.initial_accepted(old_session) and profile.keys.initial_accepted(new_session)
    assert not profile.keys.initial_accepted(b"x" * 16)
    assert profile.keys.prune_signed_prekeys(created_before=2000) == 1
    assert not profile.keys.initial_accepted(old_session)  # its prekey is gone, so it cannot open anyway
    assert profile.keys.initial_accepted(new_session)


def test_one_time_prekeys_are_taken_once(profile: Profile) -> None:
    prekeys = [OneTimePreKey.generate(i) for i in range(1, 101)]
    profile.keys.add_one_time_prekeys(prekeys)
    assert profile.keys.count_one_time_prekeys() == 100
    taken = profile.keys.take_one_time_prekey(42)
    assert taken is not None and taken.public() == prekeys[41].public()
    assert profile.keys.take_one_time_prekey(42) is None
    assert profile.keys.count_one_time_prekeys() == 99


def test_a_take_inside_a_failed_transaction_keeps_the_key(profile: Profile) -> None:
    profile.keys.add_one_time_prekeys([OneTimePreKey.generate(1)])
    with pytest.raises(RuntimeError), profile.transaction():
        assert profile.keys.take_one_time_prekey(1) is not None
        raise RuntimeError("the session could not be stored")
    assert profile.keys.one_time_prekey(1) is not None


def test_kem_prekeys_one_time_and_last_resort(profile: Profile, identity: IdentityKeyPair) -> None:
    one_time = [KemPreKey.generate(identity, i, last_resort=False) for i in (1, 2)]
    last_resort = KemPreKey.generate(identity, 3, last_resort=True)
    profile.keys.add_kem_prekeys([*one_time, last_resort])
    assert profile.keys.count_kem_prekeys() == 2
    assert profile.keys.kem_prekey(2).public() == one_time[1].public()  # type: ignore[union-attr]
    assert profile.keys.last_resort_kem_prekey().public() == last_resort.public()  # type: ignore[union-attr]
    assert profile.keys.delete_kem_prekey(1)
    assert profile.keys.kem_prekey(1) is None
    assert profile.keys.kem_prekey(3).last_resort  # type: ignore[union-attr]


def test_a_newer_last_resort_kem_prekey_becomes_current(tmp_path: Path, identity: IdentityKeyPair) -> None:
    now = [1000.0]
    with ProfileDirectory(tmp_path, kdf_params=FAST, clock=lambda: now[0]).create("Me", "pw") as profile:
        profile.keys.add_kem_prekeys([KemPreKey.generate(identity, 5, last_resort=True)])
        now[0] = 2000.0
        profile.keys.add_kem_prekeys([KemPreKey.generate(identity, 6, last_resort=True)])
        assert profile.keys.last_resort_kem_prekey().key_id == 6  # type: ignore[union-attr]
        assert profile.keys.kem_prekey(5) is not None  # the previous one stays for messages in flight


def test_a_key_row_that_is_not_a_key_is_damage(profile: Profile, identity: IdentityKeyPair) -> None:
    profile.keys.add_kem_prekeys([KemPreKey.generate(identity, 1, last_resort=True)])
    profile.keys.add_one_time_prekeys([OneTimePreKey.generate(1)])
    raw.execute(profile.folder, "pw", "UPDATE kem_prekeys SET key = '{\"kind\": 1}'")
    raw.execute(profile.folder, "pw", "UPDATE one_time_prekeys SET key = 'not json'")
    with pytest.raises(DecryptionError, match="ML-KEM prekey"):
        profile.keys.last_resort_kem_prekey()
    with pytest.raises(DecryptionError, match="one-time prekey"):
        profile.keys.one_time_prekey(1)


def test_reprs_show_no_key_material(profile: Profile, identity: IdentityKeyPair) -> None:
    profile.keys.set_identity(identity)
    secret = identity.to_json()["sign"]
    assert secret not in repr(profile.keys.identity())
    assert secret not in repr(profile)
