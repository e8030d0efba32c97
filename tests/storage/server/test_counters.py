"""The rate limits' events in the server store: kept across reopening, joined to a batch, expired."""

from __future__ import annotations

from store_support import OpenStore

from storage.server.interface import ServerStore

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
