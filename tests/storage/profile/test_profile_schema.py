"""Schema versions: a profile written by this version opens in the next, and failures roll back."""

from __future__ import annotations

import hashlib
from pathlib import Path

import profile_raw as raw
import pytest

from crypto_core.sealing import KdfParams
from storage.profile.directory import ProfileDirectory
from storage.profile.errors import MigrationFailed, ProfileTooNew
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
    assert _version(profile.path) == CURRENT.version == 4


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
