"""The rate limits' events in the server store: kept across reopening, joined to a batch, expired."""

from __future__ import annotations

from pathlib import Path

from store_support import OpenStore

from storage.server.interface import ServerStore
from storage.server.store import SqliteServerStore

NOW = 1_000_000


def test_events_survive_reopening_and_same_millisecond_events_add_up(open_test_store: OpenStore) -> None:
    store = open_test_store()
    store.rate_events.record("logins", "+442079460001", NOW, NOW + 60_000)
    store.rate_events.record("logins", "+442079460001", NOW, NOW + 60_000)
    store.rate_events.record("logins", "+442079460002", NOW + 5, NOW + 60_005)
    store.rate_events.record("other", "+442079460001", NOW, NOW + 60_000)
    store.close()
    reopened = open_test_store()
    assert list(reopened.rate_events.load("logins", NOW)) == [
        ("+442079460001", NOW, 2),
        ("+442079460002", NOW + 5, 1),
    ]
    assert list(reopened.rate_events.load("logins", NOW + 60_000)) == [("+442079460002", NOW + 5, 1)]


def test_events_counted_in_a_batch_are_kept_or_lost_with_it(store: ServerStore) -> None:
    with store.group_commit():
        store.rate_events.record("logins", "a", NOW, NOW + 1000)
        assert list(store.rate_events.load("logins", NOW)) == [("a", NOW, 1)]  # the batch sees its own
    assert list(store.rate_events.load("logins", NOW)) == [("a", NOW, 1)]


def test_pruning_deletes_expired_events(store: ServerStore) -> None:
    store.rate_events.record("logins", "a", NOW, NOW + 1000)
    store.rate_events.record("logins", "b", NOW, NOW + 5000)
    store.prune(NOW + 1000)
    # Asked as of NOW, both would still count: only what pruning deleted is missing.
    assert list(store.rate_events.load("logins", NOW)) == [("b", NOW, 1)]


def test_rate_count_sums_a_keys_events_since_a_time_over_every_store_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    first, second = SqliteServerStore(path), SqliteServerStore(path)
    try:
        first.rate_events.record("logins", "a", NOW, NOW + 60_000)
        first.rate_events.record("logins", "a", NOW, NOW + 60_000)  # the same millisecond: one row, two
        second.rate_events.record("logins", "a", NOW + 10, NOW + 60_010)
        second.rate_events.record("logins", "b", NOW + 10, NOW + 60_010)
        second.rate_events.record("other", "a", NOW + 10, NOW + 60_010)
        assert (
            second.rate_count("logins", "a", NOW - 1) == 3 and first.rate_count("logins", "a", NOW - 1) == 3
        )
        assert first.rate_count("logins", "a", NOW) == 1  # only events after ``since``
        assert first.rate_count("logins", "nobody", 0) == 0
        with first.group_commit():
            first.rate_events.record("logins", "a", NOW + 20, NOW + 60_020)
            assert first.rate_count("logins", "a", NOW - 1) == 4  # the open batch counts its own
            assert second.rate_count("logins", "a", NOW - 1) == 3  # others see it once it commits
        assert second.rate_count("logins", "a", NOW - 1) == 4
    finally:
        first.close()
        second.close()


def test_a_glance_reads_several_counts_in_one_query_and_adds_no_dependent(tmp_path: Path) -> None:
    store = SqliteServerStore(tmp_path / "s.sqlite3")
    try:
        store.rate_events.record("unknown", "a", NOW, NOW + 60_000)
        store.rate_events.record("address_unknown", "192.0.2.1", NOW + 1, NOW + 60_000)
        store.rate_events.record("address_unknown", "192.0.2.1", NOW + 2, NOW + 60_000)
        with store.group_commit():
            store.rate_events.record("unknown", "a", NOW + 3, NOW + 60_000)
            before = store.dependents
            asked = [("unknown", "a", NOW - 1), ("address_unknown", "192.0.2.1", NOW + 1)]
            asked.append(("unknown", "b", 0))
            assert store.rate_events.glance(asked) == [2, 1, 0]  # the turn's own event too
            assert store.dependents == before  # a reply that only glanced does not wait on the commit
        assert store.rate_events.glance([]) == []
    finally:
        store.close()


def test_take_counts_an_event_only_below_the_limit(tmp_path: Path) -> None:
    store = SqliteServerStore(tmp_path / "s.sqlite3")
    try:
        assert store.rate_events.take("codes", "k", NOW - 1, 2, NOW, NOW + 1000)
        assert store.rate_events.take("codes", "k", NOW - 1, 2, NOW + 1, NOW + 1001)
        assert not store.rate_events.take("codes", "k", NOW - 1, 2, NOW + 2, NOW + 1002)
        assert store.rate_events.locked_count("codes", "k", NOW - 1) == 2
        assert store.rate_events.take("codes", "k", NOW, 2, NOW + 3, NOW + 1003)  # the first left the window
    finally:
        store.close()
