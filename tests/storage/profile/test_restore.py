"""A backup restored into a new profile: all but the sessions, whole or not at all, even under SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from crypto_core.backup import BackupDamaged
from crypto_core.errors import WrongPassphrase
from crypto_core.keys import IdentityKeyPair
from crypto_core.sealing import KdfParams
from storage.profile import restore, snapshot
from storage.profile.account import Account
from storage.profile.directory import ProfileDirectory
from storage.profile.schema import CURRENT, Schema
from storage.profile.vault import Vault

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)
BOB = "+447700900123"
ROOT = Path(__file__).resolve().parents[3]
BACKUP_PASSPHRASE = "the backup's own passphrase"

_CHILD = """
import os, signal, sys
from pathlib import Path
from crypto_core.sealing import KdfParams
from storage.profile.directory import ProfileDirectory
root, backup, kill_at = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
def step(name):
    if name == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
def progress(done, total):
    if kill_at == "reading" and done > total // 2:
        os.kill(os.getpid(), signal.SIGKILL)
directory = ProfileDirectory(root, kdf_params=KdfParams(memory_kib=8, iterations=1, lanes=1))
directory.restore(backup, sys.argv[4], label="Restored", passphrase="new", on_step=step, progress=progress)
"""


def _backup_of_a_profile(tmp_path: Path, schema: Schema = CURRENT) -> tuple[Path, IdentityKeyPair]:
    identity = IdentityKeyPair.generate()
    directory = ProfileDirectory(tmp_path / "computer-1", kdf_params=FAST, schema=schema)
    with directory.create("Phone", "old passphrase", display_name="Alice") as profile:
        profile.keys.set_identity(identity)
        profile.account.save(Account(phone="+15550001111", email="me@example.org", server="127.0.0.1:5000"))
        profile.server_pins.pin("127.0.0.1:5000", "ab" * 16)
        profile.contacts.add(BOB, "Bob")
        with profile.transaction():
            profile.sessions.put(BOB, b"ratchet state of the backup's time")
            for i in range(300):
                profile.history.add(
                    BOB, client_id=f"m{i}", outgoing=i % 2 == 0, text=f"words {i}", timestamp=i
                )
        profile.outbox.enqueue(BOB, "q1", b"waiting payload")
        path = tmp_path / "alice.parley-backup"
        snapshot.backup(profile, path, BACKUP_PASSPHRASE, params=FAST)
    return path, identity


def _check_everything(directory: ProfileDirectory, profile_id: str, identity: IdentityKeyPair) -> None:
    with directory.open(profile_id, "new") as profile:
        assert profile.keys.identity().to_json() == identity.to_json()  # type: ignore[union-attr]
        assert profile.sessions.get(BOB) is None
        assert profile.contacts.get(BOB).name == "Bob"  # type: ignore[union-attr]
        assert profile.account.get().email == "me@example.org"
        assert profile.server_pins.get("127.0.0.1:5000") == "ab" * 16
        assert profile.history.count(BOB) == 300
        assert [h.message.client_id for h in profile.history.search_all("words 271")] == ["m271"]
        assert [item.payload for item in profile.outbox.pending()] == [b"waiting payload"]
        assert (profile.label, profile.name) == ("Restored", "Alice")
        assert profile.account.restored()


def test_a_restore_brings_everything_but_the_sessions_under_a_new_passphrase(tmp_path: Path) -> None:
    backup, identity = _backup_of_a_profile(tmp_path)
    directory = ProfileDirectory(tmp_path / "computer-2", kdf_params=FAST)
    first = directory.restore(backup, BACKUP_PASSPHRASE, label="Restored", passphrase="new")
    _check_everything(directory, first, identity)
    with pytest.raises(WrongPassphrase):
        directory.open(first, BACKUP_PASSPHRASE)
    with pytest.raises(WrongPassphrase):
        directory.open(first, "old passphrase")
    second = directory.restore(backup, BACKUP_PASSPHRASE, label="Restored", passphrase="new")
    assert second != first
    assert sorted(info.profile_id for info in directory.list()) == sorted([first, second])


def test_a_wrong_backup_passphrase_writes_nothing(tmp_path: Path) -> None:
    backup, _ = _backup_of_a_profile(tmp_path)
    root = tmp_path / "computer-2"
    with pytest.raises(WrongPassphrase):
        ProfileDirectory(root, kdf_params=FAST).restore(backup, "wrong", label="Restored", passphrase="new")
    assert list(root.iterdir()) == []


def test_a_damaged_backup_leaves_no_half_profile(tmp_path: Path) -> None:
    backup, _ = _backup_of_a_profile(tmp_path)
    data = bytearray(backup.read_bytes())
    data[-100] ^= 0x80  # the last chunk: everything before it was already written to the .part
    backup.write_bytes(bytes(data))
    root = tmp_path / "computer-2"
    with pytest.raises(BackupDamaged):
        ProfileDirectory(root, kdf_params=FAST).restore(
            backup, BACKUP_PASSPHRASE, label="R", passphrase="new"
        )
    assert list(root.iterdir()) == []


def test_a_backup_of_an_older_schema_is_migrated_on_restore(tmp_path: Path) -> None:
    backup, identity = _backup_of_a_profile(tmp_path)

    def add_notes(vault: Vault) -> None:
        vault.conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")

    newer = Schema({**CURRENT.steps, CURRENT.version + 1: add_notes})
    directory = ProfileDirectory(tmp_path / "computer-2", kdf_params=FAST, schema=newer)
    profile_id = directory.restore(backup, BACKUP_PASSPHRASE, label="Restored", passphrase="new")
    _check_everything(directory, profile_id, identity)
    raw = ProfileDirectory(tmp_path / "computer-2", kdf_params=FAST, schema=newer).open(profile_id, "new")
    with raw:
        assert raw.copy_to(tmp_path / "check.snapshot", os.urandom(32)) == CURRENT.version + 1


@pytest.mark.parametrize("kill_at", ["reading", *restore.STEPS[:-1]])
def test_a_sigkill_at_any_step_of_a_restore_leaves_no_half_profile(tmp_path: Path, kill_at: str) -> None:
    backup, identity = _backup_of_a_profile(tmp_path)
    root = tmp_path / "computer-2"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(root), str(backup), kill_at, BACKUP_PASSPHRASE],
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL
    assert any(p.name.endswith(".part") for p in root.iterdir())  # killed half way: a .part was left
    directory = ProfileDirectory(root, kdf_params=FAST)
    assert directory.list() == []  # nothing half-made is listed...
    assert list(root.iterdir()) == []  # ...and listing cleaned the .part up
    profile_id = directory.restore(backup, BACKUP_PASSPHRASE, label="Restored", passphrase="new")
    _check_everything(directory, profile_id, identity)
