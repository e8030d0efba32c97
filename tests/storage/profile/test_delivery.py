"""The outbox (in order, kept across restarts) and the server message ids already processed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import profile_raw as raw
import pytest

from crypto_core.sealing import KdfParams
from storage.profile.directory import ProfileDirectory
from storage.profile.errors import DuplicateEntry
from storage.profile.profile import Profile

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)
ALICE = "+15550001111"
BOB = "+447700900123"
CAROL = "+442079460103"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def directory(tmp_path: Path, clock: Clock) -> ProfileDirectory:
    return ProfileDirectory(tmp_path, kdf_params=FAST, clock=clock)


@pytest.fixture
def profile(directory: ProfileDirectory) -> Iterator[Profile]:
    profile = directory.create("Me", "pw")
    yield profile
    profile.close()


def test_the_outbox_survives_reopen_in_order(directory: ProfileDirectory, profile: Profile) -> None:
    for i, contact in enumerate([ALICE, BOB, ALICE, BOB, ALICE]):
        profile.outbox.enqueue(contact, f"c{i}", f"payload {i}".encode())
    profile.close()
    with directory.open(profile.profile_id, "pw") as again:
        pending = again.outbox.pending()
        assert [(p.client_id, p.contact, p.payload) for p in pending] == [
            (f"c{i}", contact, f"payload {i}".encode())
            for i, contact in enumerate([ALICE, BOB, ALICE, BOB, ALICE])
        ]
        assert pending[0].enqueued_at == 1_700_000_000.0


def test_removing_keeps_the_order_of_the_rest(profile: Profile) -> None:
    for i in range(4):
        profile.outbox.enqueue(ALICE, f"c{i}", b"x")
    assert profile.outbox.remove("c1")
    assert not profile.outbox.remove("c1")
    profile.outbox.enqueue(ALICE, "c9", b"x")
    assert [p.client_id for p in profile.outbox.pending()] == ["c0", "c2", "c3", "c9"]
    assert [p.client_id for p in profile.outbox.pending(limit=2)] == ["c0", "c2"]
    assert len(profile.outbox) == 4


def test_a_damaged_outbox_entry_is_skipped_reported_and_kept(
    directory: ProfileDirectory, profile: Profile
) -> None:
    for i in range(4):
        profile.outbox.enqueue(ALICE, f"c{i}", f"payload {i}".encode())
    # A payload that is text, not bytes, cannot be sent: damage, kept in place.
    raw.execute(profile.folder, "pw", "UPDATE outbox SET payload = 'text' WHERE seq = 2")
    assert [p.client_id for p in profile.outbox.pending()] == ["c0", "c2", "c3"]
    assert [p.client_id for p in profile.outbox.pending(limit=2)] == ["c0", "c2"]
    assert profile.take_damage() == ["outbox entry"]
    assert profile.take_damage() == []
    assert len(profile.outbox) == 4  # nothing is deleted on a guess
    profile.close()
    with directory.open(profile.profile_id, "pw") as again:
        assert [p.payload for p in again.outbox.pending()] == [b"payload 0", b"payload 2", b"payload 3"]
        assert again.take_damage() == ["outbox entry"]


def test_a_client_id_is_queued_once_per_recipient(profile: Profile) -> None:
    profile.outbox.enqueue(ALICE, "c1", b"first")
    with pytest.raises(DuplicateEntry):
        profile.outbox.enqueue(ALICE, "c1", b"again")
    # A group message: one copy per member under the same client id.
    profile.outbox.enqueue(BOB, "c1", b"second")
    assert [(p.contact, p.payload) for p in profile.outbox.pending()] == [(ALICE, b"first"), (BOB, b"second")]


def test_each_copy_of_a_client_id_leaves_on_its_own(profile: Profile) -> None:
    for contact in (ALICE, BOB, CAROL):
        profile.outbox.enqueue(contact, "g1", b"group text")
    profile.outbox.enqueue(ALICE, "c2", b"other")
    assert profile.outbox.remove("g1", BOB)
    assert not profile.outbox.remove("g1", BOB)
    assert [(p.client_id, p.contact) for p in profile.outbox.pending()] == [
        ("g1", ALICE),
        ("g1", CAROL),
        ("c2", ALICE),
    ]
    assert profile.outbox.remove("g1")  # without a recipient: every copy
    assert [p.client_id for p in profile.outbox.pending()] == ["c2"]


def test_an_enqueue_rolled_back_with_its_message_leaves_nothing(profile: Profile) -> None:
    with pytest.raises(RuntimeError), profile.transaction():
        profile.history.add(ALICE, client_id="c1", outgoing=True, text="hi", timestamp=1.0)
        profile.outbox.enqueue(ALICE, "c1", b"hi")
        raise RuntimeError("interrupted")
    assert profile.outbox.pending() == []
    assert profile.history.count(ALICE) == 0


def test_the_repr_of_an_item_hides_payload_and_contact(profile: Profile) -> None:
    item = profile.outbox.enqueue(ALICE, "c1", b"secret payload")
    assert "secret" not in repr(item) and ALICE not in repr(item)


def test_processed_ids_are_recognised_until_pruned(
    directory: ProfileDirectory, profile: Profile, clock: Clock
) -> None:
    assert not profile.processed.seen("srv-1")
    profile.processed.remember("srv-1")
    profile.processed.remember("srv-1")  # a redelivery stored twice is still one entry
    clock.now += 3600
    profile.processed.remember("srv-2")
    profile.close()
    with directory.open(profile.profile_id, "pw") as again:
        assert again.processed.seen("srv-1") and again.processed.seen("srv-2")
        assert again.processed.prune(older_than=clock.now - 60) == 1
        assert not again.processed.seen("srv-1")
        assert again.processed.seen("srv-2")
