"""The profile folder: listing without a passphrase, create, open, delete, and bad input."""

from __future__ import annotations

import hashlib
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

import damage_support as damage
import profile_raw as raw
import pytest
from damage_support import digest as damage_digest

from crypto_core.errors import WrongPassphrase
from crypto_core.sealing import KdfParams
from storage.profile.account import Account
from storage.profile.directory import DAMAGED, ProfileDirectory, default_root
from storage.profile.errors import MigrationFailed, NotAProfile, ProfileDamaged, ProfileError, ProfileNotFound
from storage.profile.profile import Profile
from storage.profile.schema import CURRENT, Schema
from storage.profile.vault import Vault

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
    assert info.path.name == profile.profile_id and info.path.is_dir()
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
    before = _files(directory)
    directory.list()
    assert _files(directory) == before


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
    before = _files(directory)
    with pytest.raises(WrongPassphrase, match="wrong passphrase"):
        directory.open(profile.profile_id, "Correct horse")
    assert _files(directory) == before
    with directory.open(profile.profile_id, "correct horse") as again:
        assert again.sessions.get(PHONE) == b"state"


def test_the_file_is_readable_by_its_owner_only(directory: ProfileDirectory) -> None:
    profile = directory.create("Alice", "pw")
    profile.sessions.put(PHONE, b"state")
    wal = Path(f"{profile.path}-wal")
    for path in (profile.path, wal, profile.folder / "header"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    assert stat.S_IMODE(profile.folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(directory.root.stat().st_mode) == 0o700
    profile.close()


@pytest.mark.parametrize("profile_id", ["0123456789abcdef", "../../etc/passwd", "ABCDEF0123456789", ""])
def test_unknown_or_malformed_ids_are_not_found(directory: ProfileDirectory, profile_id: str) -> None:
    with pytest.raises(ProfileNotFound):
        directory.open(profile_id, "pw")
    with pytest.raises(ProfileNotFound):
        directory.delete(profile_id)


def test_a_foreign_folder_or_sqlite_file_is_not_a_profile(directory: ProfileDirectory) -> None:
    directory.root.mkdir(parents=True)
    foreign_folder = directory.root / "00112233445566aa"
    foreign_folder.mkdir()
    (foreign_folder / "header").write_bytes(b"#!/bin/sh\necho not a header\n")
    (foreign_folder / "profile.db").write_bytes(b"x" * 4096)
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
    with pytest.raises(NotAProfile, match="not a Parley profile"):
        directory.open("00112233445566aa", "pw")
    infos = directory.list()
    assert len(infos) == 3
    assert all(info.problem and info.name == "" and not info.damaged for info in infos)


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

    after = CURRENT.version + 1
    directory = ProfileDirectory(tmp_path, kdf_params=FAST, schema=Schema({**CURRENT.steps, after: broken}))
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
    assert (directory.root / keep.profile_id / "profile.db").is_file()
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


# ------------------------------------------------------------------ damaged files beside a healthy one


def _files(directory: ProfileDirectory) -> dict[str, str]:
    """Every file of every profile and its contents; a write-ahead log may appear, but empty."""
    assert all(log.stat().st_size == 0 for log in directory.root.rglob("*-wal"))
    return {
        str(path.relative_to(directory.root)): damage_digest(path)
        for path in directory.root.rglob("*")
        if path.is_file() and not path.name.endswith(("-wal", "-shm"))
    }


def _with_history(directory: ProfileDirectory, name: str) -> Profile:
    profile = directory.create(name, "pw")
    for n in range(120):  # enough pages that a middle one holds messages
        profile.history.add(PHONE, client_id=f"m-{n}", outgoing=True, text="words " * 60, timestamp=n)
    profile.close()
    return profile


def _key(profile: Profile) -> bytes:
    return raw.database_key(profile.folder, "pw")


@pytest.mark.parametrize(
    "damage",
    [
        lambda profile: damage.cut_last_page(profile.path),
        lambda profile: damage.break_schema_text(profile.path, "messages", _key(profile)),
        lambda profile: damage.overwrite_page(profile.path, 1),
    ],
    ids=["last page cut off", "schema names not UTF-8", "first page overwritten"],
)
def test_a_damaged_database_is_listed_by_its_label_fails_to_open_as_damaged_and_hides_no_other(
    directory: ProfileDirectory, damage: Callable[[Profile], None]
) -> None:
    healthy = _with_history(directory, "Healthy")
    broken = _with_history(directory, "Broken")
    damage(broken)
    before = _files(directory)

    # The database cannot be checked before the passphrase: its header lists it as it is.
    infos = {info.profile_id: info for info in directory.list()}
    assert (infos[healthy.profile_id].name, infos[healthy.profile_id].problem) == ("Healthy", None)
    assert infos[broken.profile_id].name == "Broken"
    with pytest.raises(ProfileDamaged) as caught:
        directory.open(broken.profile_id, "pw")
    assert caught.value.code == "profile_damaged" and "damaged" in caught.value.message
    assert "malformed" not in caught.value.message  # SQLite's words (and bytes) stay out
    assert _files(directory) == before  # nothing written, nothing deleted
    directory.open(healthy.profile_id, "pw").close()


@pytest.mark.parametrize(
    "damage",
    [
        lambda folder: (folder / "header").write_bytes((folder / "header").read_bytes()[:40]),
        lambda folder: (folder / "header").unlink(),
        lambda folder: (folder / "profile.db").unlink(),
    ],
    ids=["header cut off", "header gone", "database gone"],
)
def test_a_damaged_header_is_listed_as_damaged_and_hides_no_other(
    directory: ProfileDirectory, damage: Callable[[Path], None]
) -> None:
    healthy = _with_history(directory, "Healthy")
    broken = _with_history(directory, "Broken")
    damage(broken.folder)
    before = _files(directory)
    infos = {info.profile_id: info for info in directory.list()}
    assert (infos[healthy.profile_id].name, infos[healthy.profile_id].problem) == ("Healthy", None)
    listed = infos[broken.profile_id]
    assert listed.damaged and listed.problem == DAMAGED
    assert "not a Parley profile" not in listed.problem
    with pytest.raises(ProfileDamaged):
        directory.open(broken.profile_id, "pw")
    assert _files(directory) == before
    directory.open(healthy.profile_id, "pw").close()


def test_a_tampered_header_does_not_open_and_says_only_wrong_passphrase(directory: ProfileDirectory) -> None:
    profile = _with_history(directory, "Alice")
    path = profile.folder / "header"
    original = path.read_bytes()
    for offset in (9, 12, 30, len(original) - 1):  # version, Argon2id cost, salt, label
        tampered = bytearray(original)
        tampered[offset] ^= 0x01
        path.write_bytes(bytes(tampered))
        with pytest.raises((WrongPassphrase, ProfileError)):
            directory.open(profile.profile_id, "pw")
    path.write_bytes(original)
    directory.open(profile.profile_id, "pw").close()


def test_garbage_beside_a_healthy_profile_is_not_a_profile_and_hides_nothing(
    directory: ProfileDirectory,
) -> None:
    healthy = _with_history(directory, "Healthy")
    junk = directory.root / "0123456789abcdef"
    junk.mkdir()
    damage.garbage(junk / "header")
    infos = {info.profile_id: info for info in directory.list()}
    assert infos[healthy.profile_id].problem is None
    assert infos["0123456789abcdef"].problem == "this folder's header is not a Parley profile header"
    assert not infos["0123456789abcdef"].damaged


def test_a_page_overwritten_in_the_middle_opens_and_fails_later_as_damaged_not_as_sqlite(
    directory: ProfileDirectory,
) -> None:
    healthy = _with_history(directory, "Healthy")
    broken = _with_history(directory, "Broken")
    damage.overwrite_middle_page(broken.path, key=_key(broken))
    assert [(i.name, i.problem) for i in directory.list()] == [("Broken", None), ("Healthy", None)]
    profile = directory.open(broken.profile_id, "pw")  # its header and meta are intact
    try:
        with pytest.raises(ProfileDamaged), profile.guarded():  # reading everything meets the page
            profile.history.page(PHONE, limit=500)
            profile.history.search_all("words", limit=500)
            profile._vault.conn.execute("PRAGMA integrity_check").fetchall()
        assert profile.profile_id == broken.profile_id
    finally:
        profile.close()
    directory.open(healthy.profile_id, "pw").close()
