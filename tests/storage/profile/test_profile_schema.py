"""Schema versions: a profile written by this version opens in the next, and failures roll back."""

from __future__ import annotations

import hashlib
from pathlib import Path

import profile_pages as pages
import profile_raw as raw
import pytest

from crypto_core.sealing import KdfParams
from storage.profile.directory import ProfileDirectory
from storage.profile.errors import MigrationFailed, ProfileTooNew
from storage.profile.history import GroupChat
from storage.profile.schema import CURRENT, Schema
from storage.profile.vault import Vault

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)
ALICE = "+15550001111"


def _add_drafts_table(vault: Vault) -> None:
    """A stand-in for the next version: a new table, and a new column filled in for every row."""
    vault.conn.execute("CREATE TABLE drafts (contact BLOB PRIMARY KEY, sealed BLOB NOT NULL)")
    vault.conn.execute("ALTER TABLE sessions ADD COLUMN migrated INTEGER NOT NULL DEFAULT 0")
    vault.conn.execute("UPDATE sessions SET migrated = 1")


NEXT = Schema({**CURRENT.steps, CURRENT.version + 1: _add_drafts_table})


def _version(path: Path) -> int:
    conn = raw.connect(path.parent, "pw")
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def _tables(path: Path) -> set[str]:
    conn = raw.connect(path.parent, "pw")
    try:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


def _make_current(tmp_path: Path) -> tuple[str, Path]:
    profile = ProfileDirectory(tmp_path, kdf_params=FAST).create("Alice", "pw")
    with profile.transaction():
        profile.sessions.put(ALICE, b"state")
        profile.history.add(ALICE, client_id="m1", outgoing=False, text="kept across versions", timestamp=5.0)
    profile.close()
    return profile.profile_id, profile.path


def test_a_new_profile_is_at_the_current_version(tmp_path: Path) -> None:
    _profile_id, path = _make_current(tmp_path)
    assert _version(path) == CURRENT.version


def test_this_version_opens_in_the_next_with_everything_kept(tmp_path: Path) -> None:
    profile_id, path = _make_current(tmp_path)
    with ProfileDirectory(tmp_path, kdf_params=FAST, schema=NEXT).open(profile_id, "pw") as profile:
        assert profile.sessions.get(ALICE) == b"state"
        assert profile.history.page(ALICE).messages[0].text == "kept across versions"
    assert _version(path) == CURRENT.version + 1
    assert "drafts" in _tables(path)
    # Opening again applies nothing twice.
    ProfileDirectory(tmp_path, kdf_params=FAST, schema=NEXT).open(profile_id, "pw").close()
    assert _version(path) == CURRENT.version + 1


def test_a_failing_step_rolls_back_to_the_old_version(tmp_path: Path) -> None:
    def half_done(vault: Vault) -> None:
        vault.conn.execute("CREATE TABLE drafts (contact BLOB PRIMARY KEY)")
        vault.conn.execute("DELETE FROM sessions")
        raise KeyError("secret detail that must not leak")

    profile_id, path = _make_current(tmp_path)
    broken = ProfileDirectory(
        tmp_path, kdf_params=FAST, schema=Schema({**CURRENT.steps, CURRENT.version + 1: half_done})
    )
    with pytest.raises(MigrationFailed, match=f"left at version {CURRENT.version}") as caught:
        broken.open(profile_id, "pw")
    assert "secret detail" not in str(caught.value)
    assert _version(path) == CURRENT.version
    assert "drafts" not in _tables(path)
    with ProfileDirectory(tmp_path, kdf_params=FAST).open(profile_id, "pw") as profile:
        assert profile.sessions.get(ALICE) == b"state"


def test_a_profile_from_a_newer_version_is_refused_and_left_untouched(tmp_path: Path) -> None:
    profile_id, path = _make_current(tmp_path)
    ProfileDirectory(tmp_path, kdf_params=FAST, schema=NEXT).open(profile_id, "pw").close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(ProfileTooNew, match="update Parley") as caught:
        ProfileDirectory(tmp_path, kdf_params=FAST).open(profile_id, "pw")
    assert (caught.value.found, caught.value.supported) == (CURRENT.version + 1, CURRENT.version)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_steps_must_be_numbered_without_gaps() -> None:
    with pytest.raises(ValueError, match="without gaps"):
        Schema({1: _add_drafts_table, 3: _add_drafts_table})
    with pytest.raises(ValueError, match="without gaps"):
        Schema({})


def test_a_version_1_profile_gains_the_kind_of_each_row_and_its_messages_stay_text(tmp_path: Path) -> None:
    version_1 = Schema({1: CURRENT.steps[1]})
    directory = ProfileDirectory(tmp_path, kdf_params=FAST, schema=version_1)
    profile = directory.create("Alice", "pw")
    profile.close()
    # A row as version 1 wrote it (today's history writes today's columns).
    raw.execute(profile.folder, "pw", "INSERT INTO conversations (id, contact) VALUES (1, ?)", (ALICE,))
    raw.execute(
        profile.folder,
        "pw",
        "INSERT INTO messages (conversation, client, outgoing, ts, status, body, meta) "
        "VALUES (1, 'm1', 0, 5000, 'received', 'from before notices', '{}')",
    )
    assert _version(profile.path) == 1
    reopened = ProfileDirectory(tmp_path, kdf_params=FAST).open(profile.profile_id, "pw")
    try:
        (message,) = reopened.history.page(ALICE).messages
        assert (message.text, message.kind) == ("from before notices", "text")
        reopened.history.add_notice(ALICE, client_id="n1", kind="key_changed", timestamp=6.0)
        assert [m.kind for m in reopened.history.page(ALICE).messages] == ["key_changed", "text"]
    finally:
        reopened.close()
    assert _version(profile.path) == CURRENT.version == 9


def test_step_2_keeps_contacts_accepted_and_turns_a_number_as_name_into_no_nickname(tmp_path: Path) -> None:
    first = Schema({1: CURRENT.steps[1]})
    profile = ProfileDirectory(tmp_path, kdf_params=FAST, schema=first).create("Me", "pw")
    profile.close()
    conn = raw.connect(profile.path.parent, "pw")
    with conn:
        for phone, name in ((ALICE, ALICE), ("+15550002222", "Bobby")):
            conn.execute(
                "INSERT INTO contacts (phone, name, created_at, verified, key_changed) "
                "VALUES (?, ?, 1.0, 0, 0)",
                (phone, name),
            )
    conn.close()
    assert _version(profile.path) == 1
    with ProfileDirectory(tmp_path, kdf_params=FAST).open(profile.profile_id, "pw") as again:
        alice, bob = again.contacts.get(ALICE), again.contacts.get("+15550002222")
        assert alice is not None and bob is not None
        assert (alice.name, bob.name) == ("", "Bobby")
        assert {alice.standing, bob.standing} == {"accepted"}
        assert (bob.profile_name, bob.profile_version, bob.profile_sent) == ("", 0, 0)
    assert _version(profile.path) == CURRENT.version


STEP_3 = Schema({n: CURRENT.steps[n] for n in (1, 2, 3)})
BOB = "+447700900123"
GROUP = "uv_A6i_cl0qh2ZfdY0PtAQ"


def _made_at_step_3(tmp_path: Path) -> tuple[str, Path]:
    """A profile as version 3 left it: two conversations, a notice, the search index, a half-sent outbox."""
    profile = ProfileDirectory(tmp_path, kdf_params=FAST, schema=STEP_3).create("Alice", "pw")
    profile.close()
    conn = raw.connect(profile.folder, "pw")
    with conn:
        conn.execute("INSERT INTO conversations (id, contact) VALUES (7, ?), (9, ?)", (ALICE, BOB))
        conn.executemany(
            "INSERT INTO messages (id, conversation, client, outgoing, ts, status, body, meta, kind) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (3, 7, "m1", 0, 5000, "read", "the old mill at noon", '{"sent_at":4.5}', "text"),
                (4, 7, "m1", 1, 6000, "delivered", "see you at the mill", "{}", "text"),
                (5, 9, "n1", 0, 6500, "read", "", "{}", "key_changed"),
                (8, 9, "m2", 0, 7000, "received", "bring the ledger", "{}", "text"),
            ],
        )
        conn.executemany(
            "INSERT INTO outbox (client, contact, payload, created_at) VALUES (?, ?, ?, ?)",
            [(f"c{i}", BOB if i % 2 else ALICE, f"payload {i}".encode(), 1000 + i) for i in range(5)],
        )
        conn.execute("DELETE FROM outbox WHERE client = 'c4'")  # the counter stays at 5
    conn.close()
    assert _version(profile.path) == 3
    return profile.profile_id, profile.path


def test_step_4_keeps_every_message_conversation_and_outbox_entry_of_a_step_3_profile(tmp_path: Path) -> None:
    profile_id, path = _made_at_step_3(tmp_path)
    with ProfileDirectory(tmp_path, kdf_params=FAST).open(profile_id, "pw") as profile:
        history = profile.history
        assert [
            (m.local_id, m.client_id, m.outgoing, m.text, m.status) for m in history.page(ALICE).messages
        ] == [
            (4, "m1", True, "see you at the mill", "delivered"),
            (3, "m1", False, "the old mill at noon", "read"),
        ]
        (old,) = [m for m in history.page(ALICE).messages if not m.outgoing]
        assert (old.timestamp, dict(old.meta), old.sender, old.group) == (5.0, {"sent_at": 4.5}, "", "")
        assert [(m.client_id, m.kind) for m in history.page(BOB).messages] == [
            ("m2", "text"),
            ("n1", "key_changed"),
        ]
        assert history.unread(BOB) == 1 and history.conversation_id(ALICE) == 7
        # The search index still answers for what was there, and follows what comes.
        assert [h.message.local_id for h in history.search_all("mill")] == [4, 3]
        history.add(BOB, client_id="m3", outgoing=False, text="the mill burned", timestamp=8.0)
        assert [h.message.client_id for h in history.search_all("mill")] == ["m3", "m1", "m1"]
        assert history.edit(BOB, "m2", "bring the book", outgoing=False)
        assert history.search_all("ledger") == []
        # The outbox: the same order, the counter goes on, and one client id may go to two recipients.
        assert [p.client_id for p in profile.outbox.pending()] == ["c0", "c1", "c2", "c3"]
        profile.outbox.enqueue(ALICE, "c1", b"the same id to another recipient")
        profile.outbox.enqueue(BOB, "c9", b"new")
        assert [p.client_id for p in profile.outbox.pending()] == ["c0", "c1", "c2", "c3", "c1", "c9"]
        # Groups can be kept now.
        profile.groups.upsert(GROUP, "member", state={"v": 1})
        history.add(GroupChat(GROUP), client_id="g1", outgoing=False, text="hi", timestamp=9.0, sender=BOB)
        assert next(s.chat for s in history.conversations()) == GroupChat(GROUP)
    assert _version(path) == CURRENT.version
    conn = raw.connect(path.parent, "pw")
    try:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        conn.execute("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")
        (seq,) = conn.execute("SELECT seq FROM outbox WHERE client = 'c9'").fetchone()
        assert seq == 7  # 5 was the highest ever used (c4, removed); then the copy of c1, then c9
        assert {"groups", "group_changes", "group_receipts"} <= _tables(path)
        # Step 5: a contact may have a picture; none after the upgrade.
        assert conn.execute("SELECT COUNT(*) FROM contacts WHERE picture IS NOT NULL").fetchone() == (0,)
    finally:
        conn.close()


RUNES = "ᚠᚢᚦᚨᚱᚲᚷᚹᚺᚾᛁᛃ"  # letters no other text here has: each of its trigrams is its own


def test_step_8_adds_the_timers_and_makes_the_search_index_forget_what_step_7_deleted(tmp_path: Path) -> None:
    step_7 = Schema({n: CURRENT.steps[n] for n in range(1, 8)})
    profile = ProfileDirectory(tmp_path, kdf_params=FAST, schema=step_7).create("Alice", "pw")
    with profile.transaction():
        for n in range(40):
            profile.history.add(ALICE, client_id=f"k{n}", outgoing=False, text=f"kept {n}", timestamp=n)
        profile.history.add(ALICE, client_id="gone", outgoing=False, text=RUNES, timestamp=50.0)
    assert profile.history.delete(ALICE, "gone", outgoing=False)
    profile.close()
    assert _version(profile.path) == 7
    # At step 7 a delete leaves the index's old entries (and a tombstone naming them) in its pages.
    db, wal = pages.decrypted(profile.folder, "pw")
    assert any(trace in db + wal for trace in pages.traces(RUNES))
    with ProfileDirectory(tmp_path, kdf_params=FAST).open(profile.profile_id, "pw") as reopened:
        assert len(reopened.history.search_all("kept")) == 40
        assert reopened.timers.chat(ALICE).seconds == 0
    assert _version(profile.path) == CURRENT.version == 9
    pages.assert_gone(profile.folder, "pw", RUNES)
    conn = raw.connect(profile.folder, "pw")
    try:
        assert {"chat_timers", "message_timers"} <= {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        assert conn.execute("SELECT v FROM messages_fts_config WHERE k = 'secure-delete'").fetchone() == (1,)
        conn.execute("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")
    finally:
        conn.close()


def test_step_9_keys_sessions_by_device_and_keeps_every_old_one_as_device_1(tmp_path: Path) -> None:
    step_8 = Schema({n: CURRENT.steps[n] for n in range(1, 9)})
    profile = ProfileDirectory(tmp_path, kdf_params=FAST, schema=step_8).create("Alice", "pw")
    profile.close()
    raw.execute(profile.folder, "pw", "INSERT INTO sessions (phone, state) VALUES (?, ?)", (ALICE, b"old"))
    assert _version(profile.path) == 8
    with ProfileDirectory(tmp_path, kdf_params=FAST).open(profile.profile_id, "pw") as reopened:
        assert reopened.sessions.get(ALICE) == reopened.sessions.get(ALICE, 1) == b"old"
        assert reopened.sessions.get(ALICE, 2) is None
        reopened.sessions.put(ALICE, b"second", 2)
        assert reopened.sessions.devices(ALICE) == [1, 2]
        assert reopened.sessions.get(ALICE) == b"old"
        assert reopened.devices.of(ALICE) == [1] and reopened.devices.own() == 1
    assert _version(profile.path) == CURRENT.version == 9
