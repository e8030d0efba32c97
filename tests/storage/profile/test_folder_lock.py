"""One profile, one window: the folder lock, held while open, refused to a second process, freed by the OS."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from crypto_core.errors import WrongPassphrase
from crypto_core.sealing import KdfParams
from storage.profile.directory import ProfileDirectory
from storage.profile.folder_lock import LOCK_NAME, FolderLock, ProfileInUse, in_use

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)
ROOT = Path(__file__).resolve().parents[3]
#: A second process: open the profile, say what happened, then hold it until stdin closes.
_OPENER = """
import sys
from crypto_core.sealing import KdfParams
from storage.profile.directory import ProfileDirectory
from storage.profile.folder_lock import ProfileInUse
directory = ProfileDirectory(__import__("pathlib").Path(sys.argv[1]), kdf_params=KdfParams(8, 1, 1))
try:
    profile = directory.open(sys.argv[2], "correct horse")
except ProfileInUse as exc:
    print("refused:", exc.message, flush=True)
    sys.exit(0)
print("open", flush=True)
sys.stdin.read()
profile.close()
"""


def _opener(root: Path, profile_id: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _OPENER, str(root), profile_id],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _first_line(process: subprocess.Popen[str], timeout: float = 60.0) -> str:
    """The child's first line; a child that hangs fails the test after ``timeout``, never blocks it."""
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()  # type: ignore[union-attr]
    try:
        return lines.get(timeout=timeout).strip()
    except queue.Empty:
        pytest.fail(f"the second process said nothing in {timeout:.0f} s")


@pytest.fixture
def directory(tmp_path: Path) -> ProfileDirectory:
    return ProfileDirectory(tmp_path / "profiles", kdf_params=FAST)


def test_a_profile_open_in_one_process_is_refused_to_another_with_a_sentence(
    directory: ProfileDirectory,
) -> None:
    profile = directory.create("Alice", "correct horse")
    assert (profile.folder / LOCK_NAME).is_file()
    other = _opener(directory.root, profile.profile_id)
    try:
        assert _first_line(other) == "refused: This profile is already open in another Parley window."
    finally:
        other.kill()
        other.wait(30)
    profile.close()
    # closed: the other process may open it now, and then this one may not
    holder = _opener(directory.root, profile.profile_id)
    try:
        assert _first_line(holder) == "open"
        with pytest.raises(ProfileInUse):
            directory.open(profile.profile_id, "correct horse")
    finally:
        holder.kill()
        holder.wait(30)


def test_the_lock_of_a_killed_process_is_released_by_the_system(directory: ProfileDirectory) -> None:
    profile = directory.create("Alice", "correct horse")
    profile.close()
    holder = _opener(directory.root, profile.profile_id)
    try:
        assert _first_line(holder) == "open"
        with pytest.raises(ProfileInUse):
            directory.open(profile.profile_id, "correct horse")
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(30)
    reopened = directory.open(profile.profile_id, "correct horse")  # no stale lock after a crash
    reopened.close()


def test_in_one_process_a_second_open_is_refused_and_a_close_releases(directory: ProfileDirectory) -> None:
    profile = directory.create("Alice", "correct horse")
    with pytest.raises(ProfileInUse) as refused:
        directory.open(profile.profile_id, "correct horse")
    assert refused.value.code == "profile_in_use"
    profile.close()
    profile.close()  # twice is harmless
    again = directory.open(profile.profile_id, "correct horse")
    again.close()


def test_a_failed_open_leaves_no_lock_behind(directory: ProfileDirectory) -> None:
    profile = directory.create("Alice", "correct horse")
    profile.close()
    with pytest.raises(WrongPassphrase):
        directory.open(profile.profile_id, "not the passphrase")
    lock = FolderLock.take(profile.folder)  # nothing holds it
    assert lock.held and repr(lock) == "FolderLock(held=True)"
    lock.release()
    lock.release()
    assert not lock.held


def test_in_use_looks_without_keeping_the_lock(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    assert not in_use(folder) and not in_use(tmp_path / "missing")
    held = FolderLock.take(folder)
    assert in_use(folder)
    held.release()
    assert not in_use(folder)
    FolderLock.take(folder).release()  # the look gave the lock back: it can be taken
