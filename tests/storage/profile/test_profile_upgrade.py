"""An old profile file upgrades into a folder on first unlock, and a SIGKILL at any step loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from crypto_core.errors import WrongPassphrase
from crypto_core.keys import IdentityKeyPair
from crypto_core.sealing import KdfParams
from storage.profile import upgrade
from storage.profile.account import Account
from storage.profile.directory import ProfileDirectory
from storage.profile.legacy.directory import ProfileDirectory as LegacyDirectory

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)
BOB = "+447700900123"
ROOT = Path(__file__).resolve().parents[3]

_CHILD = """
import os, signal, sys
from pathlib import Path
from crypto_core.sealing import KdfParams
from storage.profile import upgrade
root, profile_id, kill_at = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
def step(name):
    if name == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
upgrade.upgrade(root, profile_id, "pw", params=KdfParams(memory_kib=8, iterations=1, lanes=1), on_step=step)
"""


def _old_profile(root: Path) -> tuple[str, IdentityKeyPair]:
    identity = IdentityKeyPair.generate()
    with LegacyDirectory(root, kdf_params=FAST).create("Old Name", "pw") as old:
        old.keys.set_identity(identity)
        old.account.save(Account(phone="+15550001111", email="me@example.org", server="127.0.0.1:5000"))
        old.server_pins.pin("127.0.0.1:5000", "ab" * 16)
        old.contacts.add(BOB, "Bob")
        with old.transaction():
            old.sessions.put(BOB, b"ratchet state")
            for i in range(50):
                old.history.add(
                    BOB, client_id=f"m{i}", outgoing=i % 2 == 0, text=f"old words {i}", timestamp=i
                )
            old.processed.remember("server-7")
            old.keys.remember_initial(b"s" * 16, 1)
        old.outbox.enqueue(BOB, "q1", b"waiting payload")
        return old.profile_id, identity


def _check_everything(directory: ProfileDirectory, profile_id: str, identity: IdentityKeyPair) -> None:
    with directory.open(profile_id, "pw") as profile:
        assert profile.keys.identity().to_json() == identity.to_json()  # type: ignore[union-attr]
        assert profile.sessions.get(BOB) == b"ratchet state"
        assert profile.contacts.get(BOB).name == "Bob"  # type: ignore[union-attr]
        assert profile.account.get().email == "me@example.org"
        assert profile.server_pins.get("127.0.0.1:5000") == "ab" * 16
        assert profile.history.count(BOB) == 50
        assert [m.text for m in profile.history.page(BOB, limit=2).messages] == [
            "old words 49",
            "old words 48",
        ]
        assert [h.message.client_id for h in profile.history.search_all("words 7")] == ["m7"]
        assert [item.payload for item in profile.outbox.pending()] == [b"waiting payload"]
        assert profile.processed.seen("server-7") and not profile.processed.seen("server-8")
        assert profile.keys.initial_accepted(b"s" * 16)
        assert (profile.label, profile.name) == ("Old Name", "Old Name")
    assert sorted(p.name for p in directory.root.iterdir()) == [profile_id]


def test_an_old_profile_is_listed_then_upgraded_on_first_unlock(tmp_path: Path) -> None:
    profile_id, identity = _old_profile(tmp_path)
    directory = ProfileDirectory(tmp_path, kdf_params=FAST)
    (info,) = directory.list()
    assert (info.profile_id, info.name, info.problem) == (profile_id, "Old Name", None)
    before = (tmp_path / f"{profile_id}.sqlite").read_bytes()
    with pytest.raises(WrongPassphrase):
        directory.open(profile_id, "wrong")
    assert (tmp_path / f"{profile_id}.sqlite").read_bytes() == before
    assert not (tmp_path / f"{profile_id}.part").exists() and not (tmp_path / profile_id).exists()
    _check_everything(directory, profile_id, identity)


@pytest.mark.parametrize("kill_at", upgrade.STEPS[:-1])
def test_a_sigkill_at_any_step_of_the_upgrade_loses_nothing(tmp_path: Path, kill_at: str) -> None:
    profile_id, identity = _old_profile(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(tmp_path), profile_id, kill_at], env=env, timeout=60, check=False
    )
    assert done.returncode == -signal.SIGKILL
    left = sorted(p.name for p in tmp_path.iterdir())
    assert f"{profile_id}.sqlite" in left or profile_id in left
    _check_everything(ProfileDirectory(tmp_path, kdf_params=FAST), profile_id, identity)
