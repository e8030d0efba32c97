"""Device lists as the engine keeps them: the server's word replaces ours, a removed device's session
goes at once, a contact's new device heard from is added, and one device writes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import profile_raw
import pytest
from engine_support import FAST_KDF, PASSPHRASE

from crypto_core.keys import IdentityKeyPair
from net.client import devices
from net.client.context import Context
from net.client.core.outbox_plan import DeviceChange
from storage.profile.account import Account
from storage.profile.directory import ProfileDirectory
from storage.profile.profile import Profile

ME, BOB = "+442079460401", "+442079460402"


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    profile: Profile = ProfileDirectory(tmp_path, kdf_params=FAST_KDF).create("Ada", PASSPHRASE)
    profile.account.save(Account(phone=ME, registered=True))
    yield Context(profile, lambda _e: None, identity=IdentityKeyPair.generate())
    profile.close()


def test_a_new_list_replaces_ours_and_a_removed_device_loses_its_session(ctx: Context) -> None:
    for device in (1, 2, 3):
        ctx.profile.sessions.put(BOB, b"state", device)
    assert devices.learn(ctx, BOB, [1, 2, 3]) == DeviceChange(added=(2, 3))
    assert devices.known(ctx, BOB) == [1, 2, 3]
    assert devices.learn(ctx, BOB, [3, 1, 4]) == DeviceChange(added=(4,), removed=(2,))
    assert devices.known(ctx, BOB) == [1, 3, 4]
    assert ctx.profile.sessions.devices(BOB) == [1, 3]  # device 2's session went with it


def test_one_device_writes_nothing(ctx: Context, tmp_path: Path) -> None:
    assert not devices.learn(ctx, BOB, [1])
    ctx.profile.sessions.put(BOB, b"state")  # a write that commits, so a second connection sees it
    conn = profile_raw.connect(tmp_path / ctx.profile.profile_id, PASSPHRASE)
    try:
        assert conn.execute("SELECT COUNT(*) FROM known_devices").fetchone()[0] == 0
    finally:
        conn.close()
    assert devices.own_others(ctx) == []


def test_a_device_heard_from_is_added_once(ctx: Context) -> None:
    assert devices.heard_from(ctx, BOB, 2)
    assert not devices.heard_from(ctx, BOB, 2)
    assert devices.known(ctx, BOB) == [1, 2]


def test_our_own_list_names_the_devices_sync_copies_go_to(ctx: Context) -> None:
    devices.learn_own(ctx, [1, 2, 5], own=2)
    assert ctx.profile.devices.own() == 2
    assert devices.own_others(ctx) == [1, 5]
