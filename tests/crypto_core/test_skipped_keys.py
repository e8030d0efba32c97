"""The skipped-key store: lookups, the total bound, expiry, copies and serialisation."""

from __future__ import annotations

import os

import pytest

from crypto_core.encoding import b64encode
from crypto_core.errors import InvalidKeyFormat
from crypto_core.skipped_keys import MAX_AGE_SECONDS, MAX_STORED, SkippedKeys

DH_A, DH_B = b"a" * 32, b"b" * 32
T0 = 1_000_000.0


def test_a_stored_key_is_found_by_ratchet_key_and_number_and_removed() -> None:
    store = SkippedKeys()
    key = os.urandom(32)
    store.add(DH_A, 5, key, T0)
    assert store.get(DH_A, 5) == key
    assert store.get(DH_B, 5) is None and store.get(DH_A, 4) is None
    store.remove(DH_A, 5)
    assert store.get(DH_A, 5) is None and len(store) == 0


def test_past_the_total_bound_the_oldest_are_dropped() -> None:
    store = SkippedKeys()
    for n in range(MAX_STORED + 10):
        store.add(DH_A, n, n.to_bytes(32, "big"), T0 + n)
    assert len(store) == MAX_STORED
    assert all(store.get(DH_A, n) is None for n in range(10))
    assert store.get(DH_A, 10) == (10).to_bytes(32, "big")
    assert store.get(DH_A, MAX_STORED + 9) is not None


def test_keys_older_than_the_maximum_age_are_dropped() -> None:
    store = SkippedKeys()
    store.add(DH_A, 0, os.urandom(32), T0)
    store.add(DH_A, 1, os.urandom(32), T0 + 10)
    store.drop_expired(T0 + MAX_AGE_SECONDS)
    assert len(store) == 2
    store.drop_expired(T0 + MAX_AGE_SECONDS + 1)
    assert (DH_A, 0) not in store and (DH_A, 1) in store
    assert not store.has_expired(T0 + MAX_AGE_SECONDS + 10)
    store.drop_expired(T0 + MAX_AGE_SECONDS + 11)
    assert len(store) == 0


def test_expiry_follows_the_times_even_if_the_clock_went_backwards() -> None:
    store = SkippedKeys(max_age=100)
    store.add(DH_A, 0, os.urandom(32), T0)
    store.add(DH_A, 1, os.urandom(32), T0 - 50)  # the clock was set back in between
    store.drop_expired(T0 + 60)
    assert (DH_A, 0) in store and (DH_A, 1) not in store


def test_a_copy_is_independent() -> None:
    store = SkippedKeys()
    store.add(DH_A, 0, os.urandom(32), T0)
    copy = store.copy()
    copy.remove(DH_A, 0)
    copy.add(DH_B, 1, os.urandom(32), T0)
    assert (DH_A, 0) in store and (DH_B, 1) not in store


def test_json_round_trip_keeps_order_and_times() -> None:
    store = SkippedKeys()
    for n in (3, 1, 2):
        store.add(DH_A if n % 2 else DH_B, n, os.urandom(32), T0 + n)
    data = store.to_json()
    restored = SkippedKeys.from_json(data)
    assert restored.to_json() == data
    assert [entry[1] for entry in data] == [3, 1, 2]


GOOD = [b64encode(DH_A), 1, b64encode(bytes(32)), T0]


@pytest.mark.parametrize(
    "data",
    [
        {},
        [GOOD[:3]],
        [[b64encode(b"short"), *GOOD[1:]]],
        [[GOOD[0], -1, *GOOD[2:]]],
        [[*GOOD[:3], "yesterday"]],
        [[*GOOD[:3], float("nan")]],
        [[*GOOD[:3], True]],
        [GOOD, GOOD],
        [[GOOD[0], n, GOOD[2], T0] for n in range(MAX_STORED + 1)],
    ],
    ids=[
        "not a list",
        "short entry",
        "short key",
        "negative n",
        "text time",
        "nan",
        "bool",
        "dup",
        "too many",
    ],
)
def test_malformed_json_is_refused(data: object) -> None:
    with pytest.raises(InvalidKeyFormat):
        SkippedKeys.from_json(data)


def test_repr_shows_no_keys() -> None:
    store = SkippedKeys()
    key = os.urandom(32)
    store.add(DH_A, 0, key, T0)
    assert repr(store) == "SkippedKeys(count=1)"
    assert key.hex() not in repr(store) and b64encode(key) not in repr(store)
