"""Attachments in the profile: rows with their messages, files removed with them, the sweep at open."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crypto_core.sealing import KdfParams
from storage.profile.directory import ProfileDirectory
from storage.profile.history import GroupChat
from storage.profile.profile import Profile

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)
ALICE = "+15550001111"
SPEC = {"name": "cat.jpg", "size": 3, "type": "image/jpeg"}


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    profile = ProfileDirectory(tmp_path, kdf_params=FAST).create("Me", "pw")
    yield profile
    profile.close()


def _with_file(profile: Profile, client_id: str, chat: str | GroupChat = ALICE, state: str = "done") -> str:
    store = profile.attachments
    name = store.new_name()
    with profile.transaction():
        message = profile.history.add(chat, client_id=client_id, outgoing=True, text="", timestamp=1.0)
        store.add(message.local_id, SPEC, state, file=name)
    store.sealed(name).write_bytes(b"sealed bytes")
    return name


def test_the_files_folder_is_made_at_open_inside_the_profile_folder(profile: Profile) -> None:
    assert profile.attachments.folder == profile.folder / "files"
    assert profile.attachments.folder.is_dir()


def test_pages_and_lookups_carry_the_attachment_and_its_state(profile: Profile) -> None:
    name = _with_file(profile, "m1", state="uploading")
    profile.history.add(ALICE, client_id="m2", outgoing=True, text="plain", timestamp=2.0)
    newest, oldest = profile.history.page(ALICE).messages
    assert newest.attachment is None
    assert oldest.attachment is not None
    assert (oldest.attachment.state, oldest.attachment.file, dict(oldest.attachment.spec)) == (
        "uploading",
        name,
        SPEC,
    )
    profile.attachments.update(oldest.local_id, state="done", done=99, error="")
    found = profile.attachments.find("m1")
    assert found is not None and found.outgoing and found.contact == ALICE
    assert (found.attachment.state, found.attachment.done) == ("done", 99)
    assert [m.attachment.state for m in profile.history.page(ALICE).messages if m.attachment] == ["done"]


def test_only_transfers_that_go_on_by_themselves_are_moving(profile: Profile) -> None:
    for number, state in enumerate(("preparing", "uploading", "waiting", "downloading", "paused", "done")):
        _with_file(profile, f"m{number}", state=state)
    moving = sorted(found.attachment.state for found in profile.attachments.moving())
    assert moving == ["downloading", "preparing", "uploading", "waiting"]


def test_a_deleted_message_takes_its_file_along(profile: Profile) -> None:
    name = _with_file(profile, "m1")
    kept = _with_file(profile, "m2")
    assert profile.history.delete(ALICE, "m1", outgoing=True)
    assert not profile.attachments.sealed(name).exists()
    assert profile.attachments.sealed(kept).exists()
    assert profile.attachments.find("m1") is None


def test_a_deleted_conversation_takes_every_file_along(profile: Profile) -> None:
    names = [_with_file(profile, "m1"), _with_file(profile, "m2")]
    profile.groups.upsert("group1", "member")
    in_group = _with_file(profile, "g1", GroupChat("group1"))
    assert profile.history.delete_conversation(ALICE) == 2
    assert not any(profile.attachments.sealed(name).exists() for name in names)
    assert profile.attachments.sealed(in_group).exists()
    profile.groups.delete("group1")
    assert not profile.attachments.sealed(in_group).exists()


def test_a_delete_rolled_back_keeps_its_file(profile: Profile) -> None:
    name = _with_file(profile, "m1")
    with pytest.raises(RuntimeError), profile.transaction():
        profile.history.delete(ALICE, "m1", outgoing=True)
        raise RuntimeError("changed my mind")
    assert profile.attachments.sealed(name).exists()
    assert profile.attachments.find("m1") is not None


def test_the_sweep_at_open_removes_unnamed_files_stale_parts_and_viewer_copies(tmp_path: Path) -> None:
    directory = ProfileDirectory(tmp_path, kdf_params=FAST)
    profile = directory.create("Me", "pw")
    done = _with_file(profile, "m1", state="done")
    moving = _with_file(profile, "m2", state="downloading")
    store = profile.attachments
    store.part(done).write_bytes(b"left over")
    store.part(moving).write_bytes(b"half")
    orphan = store.sealed(store.new_name())
    orphan.write_bytes(b"nobody's")
    viewer = store.fresh_open_folder() / "cat.jpg"
    viewer.write_bytes(b"plaintext")
    # The plaintext copy is never inside the profile folder, which a thief may copy whole.
    assert profile.path.parent not in viewer.parents
    assert viewer.parent.stat().st_mode & 0o077 == 0
    profile_id = profile.profile_id
    profile.close()
    assert not viewer.exists()  # the viewer's copies go when the profile locks
    viewer.parent.mkdir(parents=True)
    viewer.write_bytes(b"plaintext")
    reopened = directory.open(profile_id, "pw")
    try:
        assert store.sealed(done).exists() and store.part(moving).exists()
        assert not store.part(done).exists() and not orphan.exists() and not viewer.exists()
    finally:
        reopened.close()
