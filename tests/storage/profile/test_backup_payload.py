"""A backup's files: sealed copies carried after the snapshot, restored byte for byte, rows settled."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from crypto_core.backup import BackupDamaged
from crypto_core.encoding import b64encode
from crypto_core.sealing import KdfParams
from crypto_core.stream import encrypt_file, sealed_size
from storage.profile import backup_payload, snapshot
from storage.profile.backup_file import read_backup
from storage.profile.directory import ProfileDirectory
from storage.profile.profile import Profile

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)
BOB = "+447700900123"
PASSPHRASE = "the backup's own passphrase"
VECTOR = Path(__file__).resolve().parents[2] / "vectors" / "profile_backup_v2.parley-backup"
MIB = 1024 * 1024


def _plain(size: int, label: str) -> bytes:
    return hashlib.shake_256(label.encode()).digest(size)


def _add_file(profile: Profile, client_id: str, plain: bytes, state: str = "done", *, name: str = "x") -> str:
    """A message carrying a file, its copy sealed under its own key as the transfers seal it."""
    store = profile.attachments
    file = store.new_name()
    key = hashlib.sha256(client_id.encode()).digest()
    spec = {"name": name, "size": len(plain), "type": "image/png" if name.endswith(".png") else "x/y"}
    spec["key"] = b64encode(key)
    with profile.transaction():
        message = profile.history.add(BOB, client_id=client_id, outgoing=False, text="", timestamp=5.0)
        store.add(message.local_id, spec, state, file=file)
    with store.sealed(file).open("wb") as out:
        encrypt_file(key, io.BytesIO(plain), out)
    return file


def _made(tmp_path: Path, extra: dict[str, str] | None = None) -> tuple[Path, dict[str, bytes]]:
    """A backup of a profile with a picture, a 3 MiB file and (``extra``) transfers in other states."""
    directory = ProfileDirectory(tmp_path / "computer-1", kdf_params=FAST)
    sealed: dict[str, bytes] = {}
    with directory.create("Phone", "pw") as profile:
        profile.contacts.add(BOB, "Bob")
        for client_id, plain, name in (
            ("pic", _plain(70_000, "pic"), "lake.png"),
            ("doc", _plain(3 * MIB, "doc"), "a.pdf"),
        ):
            file = _add_file(profile, client_id, plain, name=name)
            sealed[client_id] = profile.attachments.sealed(file).read_bytes()
        for client_id, state in (extra or {}).items():
            file = _add_file(profile, client_id, _plain(1000, client_id), state)
            sealed[client_id] = profile.attachments.sealed(file).read_bytes()
        path = tmp_path / "b.parley-backup"
        seen: list[tuple[int, int | None]] = []
        snapshot.backup(profile, path, PASSPHRASE, params=FAST, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1][0] == seen[-1][1] and seen[-1][0] > 3 * MIB  # the progress counts the files' bytes
    return path, sealed


def _restored(tmp_path: Path, path: Path) -> tuple[ProfileDirectory, str]:
    directory = ProfileDirectory(tmp_path / "computer-2", kdf_params=FAST)
    return directory, directory.restore(path, PASSPHRASE, label="Restored", passphrase="new")


def test_a_backup_with_a_picture_and_a_3_mib_file_restores_them_byte_for_byte(tmp_path: Path) -> None:
    path, sealed = _made(tmp_path)
    manifest = read_backup(path, PASSPHRASE, io.BytesIO())
    assert (manifest["files"], manifest["file_bytes"]) == (2, sum(map(len, sealed.values())))
    assert path.read_bytes()[8] == 3
    directory, profile_id = _restored(tmp_path, path)
    with directory.open(profile_id, "new") as profile:
        for client_id, data in sealed.items():
            found = profile.attachments.find(client_id)
            assert found is not None and found.attachment.state == "done"
            assert profile.attachments.sealed(found.attachment.file).read_bytes() == data


def test_a_transfer_moving_at_the_backup_restores_paused_and_a_paused_one_stays(tmp_path: Path) -> None:
    path, _ = _made(tmp_path, {"up": "uploading", "down": "downloading", "held": "paused"})
    directory, profile_id = _restored(tmp_path, path)
    with directory.open(profile_id, "new") as profile:
        states = {cid: profile.attachments.find(cid).attachment.state for cid in ("up", "down", "held")}  # type: ignore[union-attr]
        assert states == {"up": "paused", "down": "paused", "held": "paused"}
        assert profile.attachments.moving() == []


def test_a_part_file_does_not_travel(tmp_path: Path) -> None:
    directory = ProfileDirectory(tmp_path / "computer-1", kdf_params=FAST)
    with directory.create("Phone", "pw") as profile:
        profile.contacts.add(BOB, "Bob")
        file = _add_file(profile, "down", b"abc", "downloading")
        profile.attachments.sealed(file).rename(profile.attachments.part(file))
        path = tmp_path / "b.parley-backup"
        snapshot.backup(profile, path, PASSPHRASE, params=FAST)
    assert read_backup(path, PASSPHRASE, io.BytesIO())["files"] == 0
    directory2, profile_id = _restored(tmp_path, path)
    with directory2.open(profile_id, "new") as restored:
        assert list(restored.attachments.folder.iterdir()) == []
        assert restored.attachments.find("down").attachment.state == "paused"  # type: ignore[union-attr]


def test_a_copy_of_the_wrong_size_is_dropped_and_its_message_failed_with_words(tmp_path: Path) -> None:
    directory = ProfileDirectory(tmp_path / "computer-1", kdf_params=FAST)
    with directory.create("Phone", "pw") as profile:
        profile.contacts.add(BOB, "Bob")
        cut = _add_file(profile, "cut", _plain(5000, "cut"))
        whole = _add_file(profile, "whole", _plain(5000, "whole"))
        gone = _add_file(profile, "gone", _plain(10, "gone"))
        profile.attachments.sealed(cut).write_bytes(profile.attachments.sealed(cut).read_bytes()[:-1])
        profile.attachments.sealed(gone).unlink()  # not here when the backup was made
        path = tmp_path / "b.parley-backup"
        snapshot.backup(profile, path, PASSPHRASE, params=FAST)
    directory2, profile_id = _restored(tmp_path, path)
    with directory2.open(profile_id, "new") as restored:
        store = restored.attachments
        found = {cid: store.find(cid).attachment for cid in ("cut", "whole", "gone")}  # type: ignore[union-attr]
        assert (found["cut"].state, found["cut"].error) == ("failed", backup_payload.NOT_WHOLE)
        assert (found["gone"].state, found["gone"].error) == ("failed", backup_payload.NOT_IN_BACKUP)
        assert found["whole"].state == "done" and found["whole"].error == ""
        assert not store.sealed(cut).exists() and store.sealed(whole).stat().st_size == sealed_size(5000)


def test_a_backup_of_the_format_before_files_still_restores_and_calls_nothing_missing(tmp_path: Path) -> None:
    """Frozen: made by the version before backups carried files (container 2, the snapshot alone)."""
    assert VECTOR.read_bytes()[8] == 2
    directory = ProfileDirectory(tmp_path / "computer-2", kdf_params=FAST)
    profile_id = directory.restore(VECTOR, "old backup passphrase", label="Restored", passphrase="new")
    with directory.open(profile_id, "new") as profile:
        assert profile.history.count(BOB) == 6
        found = profile.attachments.find("f1")
        assert found is not None and (found.attachment.state, found.attachment.error) == ("done", "")
        assert list(profile.attachments.folder.iterdir()) == []


@pytest.mark.parametrize("cut", [1, 1000, 3 * MIB // 2])
def test_a_truncated_backup_with_files_fails_as_one_error_and_leaves_nothing(
    tmp_path: Path, cut: int
) -> None:
    path, _ = _made(tmp_path)
    path.write_bytes(path.read_bytes()[:-cut])
    root = tmp_path / "computer-2"
    with pytest.raises(BackupDamaged, match="damaged or incomplete"):
        ProfileDirectory(root, kdf_params=FAST).restore(path, PASSPHRASE, label="R", passphrase="new")
    assert list(root.iterdir()) == []


@pytest.mark.parametrize("where", [0.3, 0.6, 0.99])
def test_a_tampered_backup_with_files_fails_as_one_error_and_leaves_nothing(
    tmp_path: Path, where: float
) -> None:
    path, _ = _made(tmp_path)
    data = bytearray(path.read_bytes())
    data[int(len(data) * where)] ^= 0x01
    path.write_bytes(bytes(data))
    root = tmp_path / "computer-2"
    with pytest.raises(BackupDamaged, match="damaged or incomplete"):
        ProfileDirectory(root, kdf_params=FAST).restore(path, PASSPHRASE, label="R", passphrase="new")
    assert list(root.iterdir()) == []


def _parts(payload: bytes, chunk: int, part: Path) -> backup_payload.PayloadWriter:
    writer = backup_payload.PayloadWriter(part, framed=True)
    for start in range(0, len(payload), chunk):
        writer.write(payload[start : start + chunk])
    return writer


def _framed(snapshot_bytes: bytes, files: list[tuple[bytes, bytes]], end: bytes = b"\x00") -> bytes:
    out = len(snapshot_bytes).to_bytes(8, "big") + snapshot_bytes
    for name, data in files:
        out += bytes([len(name)]) + name + len(data).to_bytes(8, "big") + data
    return out + end


@pytest.mark.parametrize("chunk", [1, 7, 64 * 1024])
def test_the_layout_is_taken_apart_whatever_the_pieces(tmp_path: Path, chunk: int) -> None:
    payload = _framed(b"database", [(b"00ff", b"sealed one"), (b"abcd", b"")])
    writer = _parts(payload, chunk, tmp_path / "p.part")
    writer.finish()
    assert (tmp_path / "p.part" / "profile.db").read_bytes() == b"database"
    assert (tmp_path / "p.part" / "files" / "00ff.sealed").read_bytes() == b"sealed one"
    assert (tmp_path / "p.part" / "files" / "abcd.sealed").read_bytes() == b""
    assert writer.files == ["00ff", "abcd"]


@pytest.mark.parametrize(
    "payload",
    [
        _framed(b"db", [(b"../x", b"1")]),  # a path, not a name
        _framed(b"db", [(b"ABCD", b"1")]),  # not the way files/ names a file
        _framed(b"db", [(b"ab", b"1"), (b"ab", b"2")]),  # a name twice
        _framed(b"db", [(b"ab", b"1")], end=b"\x00extra"),  # bytes after the end
    ],
)
def test_a_malformed_layout_is_damage(tmp_path: Path, payload: bytes) -> None:
    with pytest.raises(BackupDamaged):
        _parts(payload, 3, tmp_path / "p.part").finish()
    assert not (tmp_path / "x").exists()


def test_a_layout_without_its_end_is_damage(tmp_path: Path) -> None:
    writer = _parts(_framed(b"db", [(b"ab", b"1")], end=b""), 5, tmp_path / "p.part")
    with pytest.raises(BackupDamaged):
        writer.finish()
