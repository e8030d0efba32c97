"""The profile folder: listing without a passphrase, create, open, delete, and bad input."""

from __future__ import annotations

import hashlib
import sqlite3
import stat
from pathlib import Path

import pytest

from crypto_core.errors import WrongPassphrase
from crypto_core.sealing import KdfParams
from storage.profile_account import Account
from storage.profile_dir import ProfileDirectory, default_root
from storage.profile_errors import MigrationFailed, NotAProfile, ProfileError, ProfileNotFound
from storage.profile_schema import CURRENT, Schema
from storage.profile_vault import Vault

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)
PHONE = "+15550001111"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def directory(tmp_path: Path) -> ProfileDirectory:
    return ProfileDirectory(tmp_path / "profiles", kdf_params=FAST)


def test_the_default_folder_is_the_platform_user_data_directory() -> None:
    root = default_root()
    assert root.name == "profiles"
    assert "Parley" in root.parts[-2]


def test_an_absent_folder_lists_no_profiles(directory: ProfileDirectory) -> None:
    assert directory.list() == []


def test_create_then_list_shows_the_name_only(directory: ProfileDirectory) -> None:
    profile = directory.create("  Alice  ", "correct horse")
    profile.account.save(Account(phone=PHONE))
    profile.close()
    (info,) = directory.list()
    assert (info.profile_id, info.name, info.problem) == (profile.profile_id, "Alice", None)
    assert info.path.name == f"{profile.profile_id}.sqlite"
    assert "Alice" not in info.path.name
    assert PHONE not in repr(info)


def test_profiles_are_listed_by_name_and_have_random_ids(directory: ProfileDirectory) -> None:
    for name in ("carol", "Bob", "alice"):
        directory.create(name, "pw").close()
    infos = directory.list()
    assert [i.name for i in infos] == ["alice", "Bob", "carol"]
    assert len({i.profile_id for i in infos}) == 3


def test_listing_never_writes_to_the_files(directory: ProfileDirectory) -> None:
    profile = directory.create("Alice", "pw")
    profile.close()
    before = _digest(profile.path)
    directory.list()
    assert _digest(profile.path) == before
    assert not Path(f"{profile.path}-wal").exists() or Path(f"{profile.path}-wal").stat().st_size == 0


def test_open_with_the_passphrase_gives_the_same_profile(directory: ProfileDirectory) -> None:
    created = directory.create("Alice", "correct horse")
    created.sessions.put(PHONE, b"state")
    created.close()
    with directory.open(created.profile_id, "correct horse") as profile:
        assert profile.name == "Alice"
        assert profile.sessions.get(PHONE) == b"state"


def test_a_wrong_passphrase_is_a_clear_error_and_changes_nothing(directory: ProfileDirectory) -> None:
    profile = directory.create("Alice", "correct horse")
    profile.sessions.put(PHONE, b"state")
    profile.close()
    before = _digest(profile.path)
    with pytest.raises(WrongPassphrase, match="wrong passphrase"):
        directory.open(profile.profile_id, "Correct horse")
    assert _digest(profile.path) == before
    with directory.open(profile.profile_id, "correct horse") as again:
        assert again.sessions.get(PHONE) == b"state"


def test_the_file_is_readable_by_its_owner_only(directory: ProfileDirectory) -> None:
    profile = directory.create("Alice", "pw")
    profile.sessions.put(PHONE, b"state")
    wal = Path(f"{profile.path}-wal")
    assert stat.S_IMODE(profile.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(wal.stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.root.stat().st_mode) == 0o700
    profile.close()


@pytest.mark.parametrize("profile_id", ["0123456789abcdef", "../../etc/passwd", "ABCDEF0123456789", ""])
def test_unknown_or_malformed_ids_are_not_found(directory: ProfileDirectory, profile_id: str) -> None:
    with pytest.raises(ProfileNotFound):
        directory.open(profile_id, "pw")
    with pytest.raises(ProfileNotFound):
        directory.delete(profile_id)


def test_a_foreign_sqlite_file_is_not_a_profile(directory: ProfileDirectory) -> None:
    directory.root.mkdir(parents=True)
    foreign = directory.root / "0123456789abcdef.sqlite"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE meta (key TEXT, value BLOB)")
    conn.commit()
    conn.close()
    (directory.root / "fedcba9876543210.sqlite").write_bytes(b"not a database at all" * 100)
    with pytest.raises(NotAProfile, match="not a Parley profile"):
        directory.open("0123456789abcdef", "pw")
    with pytest.raises(NotAProfile):
        directory.open("fedcba9876543210", "pw")
    infos = directory.list()
    assert len(infos) == 2
    assert all(info.problem and info.name == "" for info in infos)


def test_other_files_in_the_folder_are_ignored(directory: ProfileDirectory) -> None:
    directory.create("Alice", "pw").close()
    (directory.root / "notes.sqlite").write_bytes(b"")
    (directory.root / "readme.txt").write_text("hello")
    assert [i.name for i in directory.list()] == ["Alice"]


@pytest.mark.parametrize("name", ["", "   ", "x" * 65, "tab\there", "bell\x07"])
def test_bad_names_are_refused_before_any_file_is_made(directory: ProfileDirectory, name: str) -> None:
    with pytest.raises(ValueError, match="name"):
        directory.create(name, "pw")
    assert directory.list() == []


def test_an_empty_passphrase_is_refused(directory: ProfileDirectory) -> None:
    with pytest.raises(ValueError, match="passphrase"):
        directory.create("Alice", "")


def test_a_failed_create_leaves_no_file(tmp_path: Path) -> None:
    def broken(_vault: Vault) -> None:
        raise RuntimeError("disk on fire")

    directory = ProfileDirectory(tmp_path, kdf_params=FAST, schema=Schema({**CURRENT.steps, 2: broken}))
    with pytest.raises(MigrationFailed):
        directory.create("Alice", "pw")
    assert list(tmp_path.iterdir()) == []


def test_delete_removes_the_file_and_its_logs(directory: ProfileDirectory) -> None:
    keep = directory.create("Bob", "pw")
    keep.close()
    gone = directory.create("Alice", "pw")
    gone.close()
    directory.delete(gone.profile_id)
    assert [i.name for i in directory.list()] == ["Bob"]
    assert not any(p.name.startswith(gone.profile_id) for p in directory.root.iterdir())
    with pytest.raises(ProfileNotFound):
        directory.open(gone.profile_id, "pw")


def test_an_id_that_is_taken_is_never_overwritten(tmp_path: Path) -> None:
    directory = ProfileDirectory(tmp_path, kdf_params=FAST, random=lambda n: b"\x07" * n)
    first = directory.create("Alice", "pw")
    first.sessions.put(PHONE, b"state")
    first.close()
    with pytest.raises(ProfileError, match="exists already"):
        directory.create("Mallory", "pw")
    with directory.open(first.profile_id, "pw") as again:
        assert (again.name, again.sessions.get(PHONE)) == ("Alice", b"state")
