"""The server store's prekeys (SQLite and PostgreSQL): each one-time prekey once, top-ups, the signed one."""

from __future__ import annotations

import pytest
from store_support import (
    ALICE,
    register,
    store,
)

from storage.server.interface import ServerStore
from storage.server.store import (
    PrekeyLimit,
    UnknownAccount,
)

__all__ = ["store"]  # the fixture, imported so pytest finds it here


def test_a_bundle_hands_out_each_one_time_prekey_once_then_the_last_resort(store: ServerStore) -> None:
    register(store, ALICE, one_time=1, kem=1)
    first = store.take_bundle(ALICE)
    assert first["one_time_prekey"]["id"] == 1
    assert first["kem_prekey"]["id"] == 10
    second = store.take_bundle(ALICE)
    assert "one_time_prekey" not in second
    assert second["kem_prekey"]["last_resort"] is True
    assert store.take_bundle(ALICE)["kem_prekey"]["id"] == 9  # the last-resort key stays
    assert store.prekey_counts(ALICE) == (0, 0)


def test_a_bundle_of_nobody_is_unknown(store: ServerStore) -> None:
    with pytest.raises(UnknownAccount):
        store.take_bundle(ALICE)


def test_prekeys_are_added_without_duplicates_up_to_a_cap(store: ServerStore) -> None:
    register(store, ALICE, one_time=2, kem=0)
    assert store.add_prekeys(ALICE, [(2, {"id": 2}), (3, {"id": 3})], [(20, {"id": 20})], cap=5) == (3, 1)
    with pytest.raises(PrekeyLimit):
        store.add_prekeys(ALICE, [(i, {"id": i}) for i in range(100, 103)], [], cap=5)
    assert store.prekey_counts(ALICE) == (3, 1)  # the refused upload left nothing behind


def test_replace_swaps_the_stock_of_each_kind_sent_at_once_and_leaves_the_others(
    store: ServerStore,
) -> None:
    register(store, ALICE, one_time=3, kem=2)
    # The same id as a key held already: replaced too, not ignored (a restored copy reuses ids).
    new = [(1, {"id": 1, "new": True}), (7, {"id": 7, "new": True})]
    assert store.add_prekeys(ALICE, new, [], cap=5, replace=True) == (2, 2)
    taken = [store.take_bundle(ALICE)["one_time_prekey"] for _ in range(2)]
    assert taken == [{"id": 1, "new": True}, {"id": 7, "new": True}]
    assert store.prekey_counts(ALICE) == (0, 0)  # the two ML-KEM keys were handed out with them


def test_a_refused_replace_keeps_the_old_stock(store: ServerStore) -> None:
    register(store, ALICE, one_time=3, kem=0)
    with pytest.raises(PrekeyLimit):
        store.add_prekeys(ALICE, [(i, {"id": i}) for i in range(100, 106)], [], cap=5, replace=True)
    assert store.prekey_counts(ALICE) == (3, 0)


def test_the_signed_prekey_is_replaced(store: ServerStore) -> None:
    register(store, ALICE)
    store.set_signed_prekey(ALICE, {"id": 2}, None)
    assert store.account(ALICE).signed_prekey == {"id": 2}  # type: ignore[union-attr]
    assert store.account(ALICE).kem_last_resort["tag"] == "a"  # type: ignore[union-attr]


def test_a_bundle_without_one_time_prekeys_consumes_nothing(store: ServerStore) -> None:
    register(store, ALICE, one_time=1, kem=1)
    bare = store.take_bundle(ALICE, one_time=False)
    assert "one_time_prekey" not in bare and bare["kem_prekey"]["last_resort"] is True
    assert store.prekey_counts(ALICE) == (1, 1)
    full = store.take_bundle(ALICE)
    assert full["one_time_prekey"]["id"] == 1 and full["kem_prekey"]["id"] == 10
    assert store.prekey_counts(ALICE) == (0, 0)
