"""The server store's devices (SQLite and PostgreSQL): ids never reused, at most five, unlinking, logins."""

from __future__ import annotations

import pytest
from store_support import ALICE, BOB, NOW, register, store

from storage.server.interface import ServerStore
from storage.server.records import DeviceKeys, DeviceSetChanged, LastDevice, TooManyDevices

__all__ = ["store"]  # the fixture, imported so pytest finds it here


def device_keys(tag: str) -> DeviceKeys:
    return DeviceKeys(
        signed_prekey={"id": 2, "tag": tag},
        kem_last_resort={"id": 8, "last_resort": True, "tag": tag},
        one_time_prekeys=[(1, {"id": 1, "tag": tag}), (2, {"id": 2, "tag": tag})],
        kem_prekeys=[(10, {"id": 10, "last_resort": False, "tag": tag})],
    )


def add(store: ServerStore, phone: str = ALICE, tag: str = "d") -> int:
    device, _ = store.add_device(phone, bytes(32), b"name", device_keys(tag), NOW, max_devices=5)
    return device


def test_a_registered_account_is_device_1_and_a_linked_one_gets_the_next_id(store: ServerStore) -> None:
    register(store, ALICE)
    assert store.device_ids(ALICE) == [1]
    assert store.add_device(ALICE, b"k" * 32, b"n", device_keys("2"), NOW, max_devices=5) == (2, [1, 2])
    login = store.device_login(ALICE, 2)
    assert login is not None and (login.login_key, login.removed) == (b"k" * 32, False)
    one = store.device_login(ALICE, 1)
    assert one is not None and one.login_key is None  # device 1 logs in with the identity's key
    assert store.device_login(ALICE, 3) is None and store.device_login(BOB, 1) is None
    assert store.prekey_counts(ALICE, 2) == (2, 1)
    taken = store.take_device_bundle(ALICE, 2)
    assert (taken.device, taken.devices, taken.bundle["signed_prekey"]["tag"]) == (2, [1, 2], "2")
    assert store.prekey_counts(ALICE, 2) == (1, 0) and store.prekey_counts(ALICE, 1) == (2, 2)


def test_an_id_is_never_given_twice_and_at_most_five_devices_live(store: ServerStore) -> None:
    register(store, ALICE)
    assert [add(store) for _ in range(4)] == [2, 3, 4, 5]
    with pytest.raises(TooManyDevices):
        add(store)
    assert store.remove_device(ALICE, 3, NOW) == [1, 2, 4, 5]
    assert add(store) == 6  # not 3 again
    assert store.device_ids(ALICE) == [1, 2, 4, 5, 6]


def test_unlinking_removes_keys_prekeys_and_queue_and_marks_the_device(store: ServerStore) -> None:
    register(store, ALICE)
    register(store, BOB)
    add(store)
    store.enqueue_many(BOB, "c1", [(ALICE, 1, b"one"), (ALICE, 2, b"two")], NOW, 100)
    assert store.queued_count(ALICE, 2) == 1
    assert store.remove_device(ALICE, 2, NOW) == [1]
    assert store.queued_count(ALICE, 2) == 0 and store.fetch(ALICE, 0, 10, NOW, 2) == ([], False)
    assert store.prekey_counts(ALICE, 2) == (0, 0)
    login = store.device_login(ALICE, 2)
    assert login is not None and login.removed
    assert [m.body for m in store.fetch(ALICE, 0, 10, NOW, 1)[0]] == [b"one"]
    with pytest.raises(LastDevice):
        store.remove_device(ALICE, 1, NOW)
    with pytest.raises(DeviceSetChanged) as caught:
        store.remove_device(ALICE, 2, NOW)
    assert caught.value.devices == [1]
    with pytest.raises(DeviceSetChanged):
        store.take_device_bundle(ALICE, 2)


def test_a_re_registration_forgets_every_device_and_ids_start_again(store: ServerStore) -> None:
    register(store, ALICE)
    add(store)
    store.remove_device(ALICE, 2, NOW)
    add(store)
    register(store, ALICE, tag="b")
    assert store.device_ids(ALICE) == [1]
    assert store.device_login(ALICE, 2) is None and store.device_login(ALICE, 3) is None
    assert add(store) == 2


def test_the_copies_of_a_recipient_are_stored_together_or_not_at_all(store: ServerStore) -> None:
    register(store, ALICE)
    register(store, BOB)
    add(store, BOB)
    outcomes = store.enqueue_many(ALICE, "c1", [(BOB, 1, b"a"), (BOB, 2, b"b")], NOW, 1)
    assert [o.duplicate for o in outcomes] == [False, False]  # type: ignore[union-attr]
    store.ack(BOB, [outcomes[0].id], 1)  # type: ignore[union-attr]
    full = store.enqueue_many(ALICE, "c2", [(BOB, 1, b"a"), (BOB, 2, b"b")], NOW, 1)
    assert [type(o).__name__ for o in full] == ["QueueFull", "QueueFull"]
    assert store.queued_count(BOB, 1) == 0  # device 1 had room, but nothing of the refused recipient stays
    changed = store.enqueue_many(ALICE, "c3", [(BOB, 1, b"a")], NOW, 10)
    assert isinstance(changed[0], DeviceSetChanged) and changed[0].devices == [1, 2]


def test_every_login_moves_the_epoch_on_even_past_a_re_registration(store: ServerStore) -> None:
    register(store, ALICE)
    first = store.count_login(ALICE, 1, NOW)
    second = store.count_login(ALICE, 1, NOW)  # the same millisecond: still one more
    assert first == NOW and second == NOW + 1
    assert store.count_login(ALICE, 9, NOW) == 0  # no such device
    store.delete_account(ALICE)
    register(store, ALICE)  # its device row made anew
    assert store.count_login(ALICE, 1, NOW + 5) > second


def test_login_states_tell_epochs_removals_and_missing_accounts_in_one_read(store: ServerStore) -> None:
    register(store, ALICE)
    register(store, BOB)
    epoch = store.count_login(ALICE, 1, NOW)
    assert store.login_states([ALICE, BOB, "+15550000000"]) == {
        ALICE: {1: (epoch, False)},
        BOB: {1: (0, False)},
    }
