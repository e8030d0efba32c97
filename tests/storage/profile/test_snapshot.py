"""A backup of an open profile: made from an encrypted snapshot that never stays, with a sealed manifest."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest

from crypto_core.sealing import KdfParams
from storage.profile import database, snapshot
from storage.profile.backup_file import BackupFileError, read_backup
from storage.profile.directory import ProfileDirectory
from storage.profile.history import GroupChat
from storage.profile.profile import Profile
from storage.profile.schema import CURRENT

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)
BOB = "+447700900123"
SECRET_TEXT = "the plaintext nobody may find"


def _profile(tmp_path: Path) -> Profile:
    profile = ProfileDirectory(tmp_path / "profiles", kdf_params=FAST).create("Phone", "pw")
    profile.contacts.add(BOB, "Bob")
    for i in range(20):
        profile.history.add(BOB, client_id=f"m{i}", outgoing=False, text=f"{SECRET_TEXT} {i}", timestamp=i)
    return profile


def test_the_manifest_says_what_is_inside_and_the_snapshot_opens_with_its_key(tmp_path: Path) -> None:
    with _profile(tmp_path) as profile:
        path = tmp_path / "b.parley-backup"
        done = snapshot.backup(profile, path, "backup pw", params=FAST, clock=lambda: 1_700_000_000.0)
        assert (done.path, done.size, done.conversations, done.messages) == (path, path.stat().st_size, 1, 20)
        assert list(profile.folder.glob("*.snapshot")) == []
    payload = io.BytesIO()
    manifest = read_backup(path, "backup pw", payload)
    assert {k: v for k, v in manifest.items() if k != "snapshot_key"} == {
        "kind": "parley-profile",
        "payload": "sqlcipher4",
        "schema": CURRENT.version,
        "application_id": 0x50524C59,
        "label": "Phone",
        "made_at": 1_700_000_000_000,
        "conversations": 1,
        "messages": 20,
        "files": 0,
        "file_bytes": 0,
    }
    # The payload's layout (container version 3): the snapshot's size, the snapshot, no file, the end.
    size = int.from_bytes(payload.getvalue()[:8], "big")
    assert len(payload.getvalue()) == 8 + size + 1 and payload.getvalue()[-1:] == b"\x00"
    copy = tmp_path / "copy.db"
    copy.write_bytes(payload.getvalue()[8 : 8 + size])
    assert SECRET_TEXT.encode() not in payload.getvalue() and SECRET_TEXT.encode() not in path.read_bytes()
    with pytest.raises(sqlite3.DatabaseError):  # the snapshot is no SQLite file in clear
        sqlite3.connect(copy).execute("SELECT count(*) FROM sqlite_master").fetchone()
    conn = database.connect(copy, bytes.fromhex(manifest["snapshot_key"]))
    try:
        assert conn.execute("SELECT count(*) FROM messages").fetchone() == (20,)
        assert conn.execute("PRAGMA user_version").fetchone() == (CURRENT.version,)
    finally:
        conn.close()


def test_the_snapshot_is_removed_when_the_backup_fails(tmp_path: Path) -> None:
    with _profile(tmp_path) as profile:
        with pytest.raises(BackupFileError):
            snapshot.backup(profile, tmp_path / "no such folder" / "b", "backup pw", params=FAST)
        assert list(profile.folder.glob("*.snapshot")) == []


def test_a_snapshot_a_killed_backup_left_goes_at_the_next_open(tmp_path: Path) -> None:
    with _profile(tmp_path) as profile:
        folder, profile_id = profile.folder, profile.profile_id
    (folder / "0123456789abcdef.snapshot").write_bytes(b"encrypted under a key no one kept")
    with ProfileDirectory(tmp_path / "profiles", kdf_params=FAST).open(profile_id, "pw"):
        assert list(folder.glob("*.snapshot")) == []


def test_the_manifest_counts_the_messages_of_group_conversations_too(tmp_path: Path) -> None:
    with _profile(tmp_path) as profile:
        profile.groups.upsert("uv_A6i_cl0qh2ZfdY0PtAQ", "member")
        chat = GroupChat("uv_A6i_cl0qh2ZfdY0PtAQ")
        for i in range(3):
            profile.history.add(chat, client_id=f"g{i}", outgoing=True, text="group text", timestamp=100 + i)
        done = snapshot.backup(profile, tmp_path / "b.parley-backup", "backup pw", params=FAST)
        assert (done.conversations, done.messages) == (2, 23)
