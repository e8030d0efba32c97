"""The record cache: a record comes back only for the very bytes it was stored as, and only once."""

from __future__ import annotations

from net.client.record_cache import RecordCache


def test_a_stored_record_comes_back_for_the_same_bytes_once() -> None:
    cache: RecordCache[object] = RecordCache()
    record = object()
    cache.stored(("+1", 1), b"state-1", record)
    assert cache.take(("+1", 1), b"state-1") is record
    assert cache.take(("+1", 1), b"state-1") is None  # handed out: its holder may change it


def test_other_bytes_or_none_stored_mean_decoding_afresh() -> None:
    cache: RecordCache[object] = RecordCache()
    cache.stored(("+1", 1), b"state-1", object())
    assert cache.take(("+1", 1), b"state-2") is None
    cache.stored(("+1", 1), b"state-1", object())
    assert cache.take(("+1", 1), None) is None  # the row was deleted
    assert cache.take(("+2", 1), b"state-1") is None  # another contact's


def test_the_cache_is_bounded_and_drops_the_oldest_first() -> None:
    cache: RecordCache[int] = RecordCache(limit=2)
    for number, phone in enumerate((("+1", 1), ("+2", 1), ("+3", 1))):
        cache.stored(phone, b"s", number)
    assert len(cache) == 2
    assert cache.take(("+1", 1), b"s") is None
    assert (cache.take(("+2", 1), b"s"), cache.take(("+3", 1), b"s")) == (1, 2)


def test_a_forgotten_record_is_not_handed_out_and_the_repr_shows_no_state() -> None:
    cache: RecordCache[bytes] = RecordCache()
    cache.stored(("+1", 1), b"secret-state", b"secret-record")
    assert "secret" not in repr(cache)
    cache.forget(("+1", 1))
    assert cache.take(("+1", 1), b"secret-state") is None


def test_each_device_of_a_contact_has_its_own_record() -> None:
    cache: RecordCache[str] = RecordCache()
    cache.stored(("+1", 1), b"s", "laptop")
    cache.stored(("+1", 2), b"s", "desktop")
    assert (cache.take(("+1", 2), b"s"), cache.take(("+1", 1), b"s")) == ("desktop", "laptop")
