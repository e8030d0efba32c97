"""``python main.py backup`` and ``restore`` in subprocesses, on real profiles: a whole profile and back."""

from __future__ import annotations

import errno
import subprocess
import sys
from pathlib import Path

import pytest
from disk_support import SmallDisk

from crypto_core.keys import IdentityKeyPair
from crypto_core.sealing import KdfParams
from storage.profile.directory import ProfileDirectory

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)
MAIN_PY = Path(__file__).resolve().parents[3] / "main.py"
ALICE = "+15550001111"
BOB = "+447700900123"
PASSPHRASE = "pass phrase of the profile"
BACKUP_PASSPHRASE = "a backup passphrase"
NEW_PASSPHRASE = "the passphrase on computer two"


@pytest.fixture(scope="module")
def profiles(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, bytes]:
    root = tmp_path_factory.mktemp("archive-profiles")
    with ProfileDirectory(root, kdf_params=FAST).create("Holiday phone", PASSPHRASE) as profile:
        identity = IdentityKeyPair.generate()
        profile.keys.set_identity(identity)
        profile.contacts.add(ALICE, "Alice")
        profile.contacts.add(BOB, "Bob")
        for i in range(5):
            profile.history.add(
                ALICE, client_id=f"a{i}", outgoing=i % 2 == 0, text=f"to alice {i}", timestamp=100 + i
            )
        profile.history.add(BOB, client_id="b0", outgoing=False, text="from bob <3", timestamp=50)
        profile.sessions.put(ALICE, b"a ratchet state of the backup's time")
        return root, profile.profile_id, identity.public.encoded()


def _secret(tmp: Path, name: str, text: str) -> str:
    path = tmp / name
    path.write_text(text + "\n", encoding="utf-8")
    return str(path)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(MAIN_PY), *args],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def _backup(root: Path, out: Path, tmp: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return _run(
        "backup",
        "--profiles",
        str(root),
        "--profile",
        "holiday PHONE",
        "--out",
        str(out),
        "--passphrase-file",
        _secret(tmp, "profile.txt", PASSPHRASE),
        "--backup-passphrase-file",
        _secret(tmp, "backup.txt", BACKUP_PASSPHRASE),
        *extra,
    )


def _restore(root: Path, backup: Path, tmp: Path, backup_passphrase: str) -> subprocess.CompletedProcess[str]:
    return _run(
        "restore",
        str(backup),
        "--profiles",
        str(root),
        "--label",
        "Alice on computer 2",
        "--passphrase-file",
        _secret(tmp, "new.txt", NEW_PASSPHRASE),
        "--backup-passphrase-file",
        _secret(tmp, "restore-backup.txt", backup_passphrase),
    )


def _failed(done: subprocess.CompletedProcess[str], line: str) -> None:
    assert done.returncode == 1
    assert done.stdout == ""
    # Progress lines may come first; the error is one line, the last.
    *progress, last = done.stderr.splitlines()
    assert last == line
    assert all(text.startswith(("backing up: ", "restoring: ")) for text in progress)


def test_backup_then_restore_elsewhere_gives_the_same_conversations_keys_and_contacts(
    profiles: tuple[Path, str, bytes], tmp_path: Path
) -> None:
    root, _, identity = profiles
    out = tmp_path / "holiday.parley-backup"
    done = _backup(root, out, tmp_path)
    assert done.returncode == 0, done.stderr
    size = out.stat().st_size
    assert done.stdout.strip() == f"backed up 2 conversations, 6 messages, to {out} ({size} bytes)"
    assert (
        done.stderr.splitlines()[0] == "backing up: 0%" and done.stderr.splitlines()[-1] == "backing up: 100%"
    )

    elsewhere = tmp_path / "computer-2"
    restored = _restore(elsewhere, out, tmp_path, BACKUP_PASSPHRASE)
    assert restored.returncode == 0, restored.stderr
    (info,) = ProfileDirectory(elsewhere).list()
    assert restored.stdout.strip() == f"restored the profile 'Alice on computer 2' as {info.profile_id}"
    assert restored.stderr.splitlines()[-1] == "restoring: 100%"
    assert info.name == "Alice on computer 2" and info.problem is None
    with ProfileDirectory(elsewhere).open(info.profile_id, NEW_PASSPHRASE) as profile:
        assert profile.name == "Holiday phone"
        assert [c.phone for c in profile.contacts.all()] == sorted([ALICE, BOB])
        assert sorted(s.contact for s in profile.history.conversations()) == sorted([ALICE, BOB])
        texts = [m.text for m in reversed(profile.history.page(ALICE, limit=50).messages)]
        assert texts == [f"to alice {i}" for i in range(5)]
        stored = profile.keys.identity()
        assert stored is not None and stored.public.encoded() == identity
        assert profile.sessions.get(ALICE) is None  # the backup's ratchet state is never used again
        assert profile.account.restored()
    # The backup passphrase does not open the restored profile: it has a passphrase of its own.
    again = _restore(elsewhere, out, tmp_path, BACKUP_PASSPHRASE)
    assert again.returncode == 0
    assert len(ProfileDirectory(elsewhere).list()) == 2  # restored twice: two profiles, two ids


def test_a_wrong_backup_passphrase_restores_nothing(
    profiles: tuple[Path, str, bytes], tmp_path: Path
) -> None:
    root, _, _ = profiles
    out = tmp_path / "b.parley-backup"
    assert _backup(root, out, tmp_path).returncode == 0
    elsewhere = tmp_path / "computer-2"
    done = _restore(elsewhere, out, tmp_path, "not the backup passphrase")
    _failed(done, "parley restore: That backup passphrase does not open this backup. Check it and try again.")
    assert not elsewhere.exists() or list(elsewhere.iterdir()) == []


def test_a_file_that_is_not_a_backup_is_one_line(tmp_path: Path) -> None:
    stray = tmp_path / "holiday.jpg"
    stray.write_bytes(b"\xff\xd8\xff\xe0 not a backup at all" * 100)
    done = _restore(tmp_path / "computer-2", stray, tmp_path, BACKUP_PASSPHRASE)
    _failed(done, "parley restore: This file is not a backup of a Parley profile, so nothing was restored.")


def test_a_damaged_backup_is_one_line_and_leaves_no_half_profile(
    profiles: tuple[Path, str, bytes], tmp_path: Path
) -> None:
    root, _, _ = profiles
    out = tmp_path / "b.parley-backup"
    assert _backup(root, out, tmp_path).returncode == 0
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 0x01
    out.write_bytes(bytes(data))
    elsewhere = tmp_path / "computer-2"
    done = _restore(elsewhere, out, tmp_path, BACKUP_PASSPHRASE)
    _failed(
        done,
        "parley restore: This backup is damaged or incomplete, so it cannot be restored; "
        "nothing was restored.",
    )
    assert list(elsewhere.iterdir()) == []


def test_without_a_terminal_it_names_the_backup_passphrase_option(
    profiles: tuple[Path, str, bytes], tmp_path: Path
) -> None:
    root, _, _ = profiles
    done = _run(
        "backup",
        "--profiles",
        str(root),
        "--profile",
        "Holiday phone",
        "--out",
        str(tmp_path / "b"),
        "--passphrase-file",
        _secret(tmp_path, "p.txt", PASSPHRASE),
    )
    _failed(
        done, "parley backup: There is no terminal to ask the passphrase on; give --backup-passphrase-file."
    )


def test_a_full_disk_on_the_output_says_so_and_leaves_nothing(
    profiles: tuple[Path, str, bytes], tmp_path: Path
) -> None:
    root, _, _ = profiles
    with SmallDisk(tmp_path / "disk") as disk:
        assert disk.mounted, "this test needs a tmpfs (root)"
        with (disk.root / "filler").open("ab", buffering=0) as filler:
            try:
                while filler.write(b"\0" * 65536):
                    pass
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
        out = disk.root / "holiday.parley-backup"
        done = _backup(root, out, tmp_path)
        assert done.returncode == 1 and done.stdout == ""
        assert done.stderr.splitlines()[-1] == (
            "parley backup: There is no room for the backup holiday.parley-backup on its disk: nothing of "
            "it was kept, and an earlier backup of that name is unchanged; free some space or choose "
            "another disk."
        )
        assert sorted(p.name for p in disk.root.iterdir()) == ["filler"]
        (disk.root / "filler").unlink()
        assert _backup(root, out, tmp_path).returncode == 0  # and it works once there is room
        assert not list(root.glob("*/*.snapshot"))
