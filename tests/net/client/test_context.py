"""The shared context: fresh ids, phone checks in words, views, cached safety numbers and session records."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from engine_support import FAST_KDF, PASSPHRASE
from session_support import bundle_of

from crypto_core.keys import IdentityKeyPair
from crypto_core.safety_number import safety_number
from net.client.context import DISK_FULL, Context, checked_phone, message_view
from net.client.core.engine_error import EngineError
from net.client.core.events import DiskSpaceChanged, ErrorReported, MessageStatus
from net.client.sessions import SessionRecord, start
from storage.profile.account import Account
from storage.profile.directory import ProfileDirectory
from storage.profile.errors import ProfileDamaged
from storage.profile.profile import Profile

ADA, BEA = "+442079460401", "+442079460402"


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    profile: Profile = ProfileDirectory(tmp_path, kdf_params=FAST_KDF).create("Ada", PASSPHRASE)
    yield Context(profile, lambda _e: None, identity=IdentityKeyPair.generate())
    profile.close()


def test_fresh_ids_start_with_the_time_and_fit_the_wire() -> None:
    counter = iter(range(1000))
    ctx = Context.__new__(Context)
    ctx.random = lambda n: bytes([next(counter) % 256] * n)
    ctx.clock = lambda: 1_764_000_000.123
    first, second = ctx.new_id("m-"), ctx.new_id("m-")
    assert first == "m-019ab697e87b" + "00" * 8 and second == "m-019ab697e87b" + "01" * 8
    ctx.clock = lambda: 1_764_000_001.0
    assert ctx.new_id("m-") > second
    assert re.fullmatch(r"[A-Za-z0-9._:-]{1,64}", first)


def test_phone_numbers_are_normalised_or_refused_in_words() -> None:
    assert checked_phone("+44 20 7946 0401") == ADA
    with pytest.raises(EngineError) as caught:
        checked_phone("020 7946 0401")
    assert caught.value.code == "bad_phone" and "+" in caught.value.message


def test_contact_views_carry_the_safety_number_both_sides_compute(ctx: Context) -> None:
    ctx.profile.account.save(Account(phone=ADA, registered=True))
    bea = IdentityKeyPair.generate()
    with pytest.raises(EngineError) as caught:
        ctx.contact(BEA)
    assert caught.value.code == "unknown_contact"
    ctx.profile.contacts.add(BEA, "Bea")
    assert ctx.contact_view(ctx.contact(BEA)).safety_number == ""  # no key pinned yet
    _, contact = ctx.profile.contacts.pin_identity(BEA, bea.public)
    view = ctx.contact_view(contact)
    assert ctx.identity is not None
    assert view.safety_number == safety_number(bea.public, BEA, ctx.identity.public, ADA)
    assert (view.phone, view.name, view.verified, view.key_changed) == (BEA, "Bea", False, False)
    _, changed = ctx.profile.contacts.pin_identity(BEA, IdentityKeyPair.generate().public)
    assert ctx.previous_safety_number(changed) == view.safety_number
    assert ctx.contact_view(changed).safety_number != view.safety_number


def test_message_views_come_from_stored_rows(ctx: Context) -> None:
    stored = ctx.profile.history.add(BEA, client_id="m-1", outgoing=True, text="hello", timestamp=12.5)
    view = message_view(stored)
    assert (view.message_id, view.contact, view.outgoing, view.text, view.timestamp) == (
        "m-1",
        BEA,
        True,
        "hello",
        12.5,
    )
    assert view.status is MessageStatus.QUEUED
    assert "hello" not in repr(view)


def test_a_full_disk_is_disk_full_for_the_call_and_one_event_until_a_write_works_again(
    tmp_path: Path,
) -> None:
    events: list[object] = []
    profile = ProfileDirectory(tmp_path, kdf_params=FAST_KDF).create("Ada", PASSPHRASE)
    ctx = Context(profile, events.append)
    conn = profile._vault.conn  # the page cap of the profile's own connection: SQLite's "disk is full"
    try:
        (pages,) = conn.execute("PRAGMA page_count").fetchone()
        conn.execute(f"PRAGMA max_page_count = {pages}").fetchall()
        for _ in range(2):
            with pytest.raises(EngineError) as caught, ctx.storing("sending"):
                profile.history.add(BEA, client_id="m-1", outgoing=True, text="x" * 20000, timestamp=1.0)
            assert caught.value.code == "disk_full" and caught.value.message == DISK_FULL
        full = [ErrorReported("disk_full", DISK_FULL, "storage"), DiskSpaceChanged(True, DISK_FULL)]
        assert events == full
        conn.execute("PRAGMA max_page_count = 1073741823").fetchall()
        with ctx.storing("sending"):
            profile.history.add(BEA, client_id="m-1", outgoing=True, text="x" * 20000, timestamp=1.0)
        assert events == [*full, DiskSpaceChanged(False, "")]
    finally:
        profile.close()


def test_damage_is_profile_damaged_for_each_call_and_one_event_per_part(ctx: Context) -> None:
    events: list[object] = []
    ctx.emit = events.append
    for part in ("history", "history", "contacts"):
        with pytest.raises(EngineError) as caught, ctx.storing(part):
            raise ProfileDamaged()
        assert caught.value.code == "profile_damaged" and "damaged" in caught.value.message
    assert [(e.code, e.context) for e in events] == [  # type: ignore[attr-defined]
        ("profile_damaged", "history"),
        ("profile_damaged", "contacts"),
    ]


def _session_record(ctx: Context) -> SessionRecord:
    bea = IdentityKeyPair.generate()
    record = SessionRecord()
    record.make_current(start(ctx.require_identity(), bundle_of(bea), clock=ctx.clock))
    return record


def test_a_saved_session_record_is_not_decoded_again_while_its_bytes_are_stored(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = _session_record(ctx)
    with ctx.profile.transaction():
        ctx.save_record(BEA, record)
    decoded: list[bytes | None] = []
    decode = SessionRecord.from_bytes

    def counting(data: bytes | None, **kwargs: Any) -> SessionRecord:
        decoded.append(data)
        return decode(data, **kwargs)

    monkeypatch.setattr(SessionRecord, "from_bytes", counting)
    loaded = ctx.load_record(BEA)
    assert loaded is record and decoded == []
    loaded.seal("m-1", b"hello")  # changed and not saved: the next load must not see the change
    again = ctx.load_record(BEA)
    assert again is not loaded and len(decoded) == 1
    assert again.to_bytes() == ctx.profile.sessions.get(BEA)


def test_a_session_record_replaced_or_rolled_back_is_decoded_afresh(ctx: Context) -> None:
    record = _session_record(ctx)
    with ctx.profile.transaction():
        ctx.save_record(BEA, record)
    stored = ctx.profile.sessions.get(BEA)
    other = _session_record(ctx)
    with ctx.profile.transaction():
        ctx.profile.sessions.put(BEA, other.to_bytes())  # as a restore or another writer would
    loaded = ctx.load_record(BEA)
    assert loaded is not record and loaded.current is not None and other.current is not None
    assert loaded.current.session_id == other.current.session_id

    ctx.save_record(BEA, loaded)
    loaded.seal("m-2", b"lost")
    with pytest.raises(RuntimeError), ctx.profile.transaction():
        ctx.save_record(BEA, loaded)  # stored, then rolled back
        raise RuntimeError("the batch failed")
    after = ctx.load_record(BEA)
    assert after is not loaded and after.to_bytes() == ctx.profile.sessions.get(BEA) != stored
