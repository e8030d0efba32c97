"""The profile as a whole: transactions, change of passphrase, nothing readable at rest, damage reported."""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from crypto_core.encoding import RandomSource
from crypto_core.errors import DecryptionError, WrongPassphrase
from crypto_core.keys import IdentityKeyPair, OneTimePreKey
from crypto_core.sealing import KdfParams
from storage.profile.account import Account
from storage.profile.directory import ProfileDirectory
from storage.profile.errors import DamagedValue
from storage.profile.profile import Profile

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)
ALICE = "+15550001111"
BOB = "+447700900123"
PASS = "correct horse battery staple"


@pytest.fixture
def directory(tmp_path: Path) -> ProfileDirectory:
    return ProfileDirectory(tmp_path, kdf_params=FAST)


@pytest.fixture
def profile(directory: ProfileDirectory) -> Iterator[Profile]:
    profile = directory.create("Me", PASS)
    yield profile
    profile.close()


def _counter_random(start: int) -> RandomSource:
    state = {"n": start}

    def random(n: int) -> bytes:
        out = bytes((state["n"] + i) % 256 for i in range(n))
        state["n"] += 7
        return out

    return random


# --------------------------------------------------------------------------- transactions


def test_a_transaction_commits_message_session_and_processed_id_together(profile: Profile) -> None:
    with profile.transaction():
        profile.sessions.put(ALICE, b"ratchet state 2")
        profile.history.add(ALICE, client_id="m1", outgoing=False, text="hi", timestamp=10.0)
        profile.processed.remember("server-1")
    assert profile.sessions.get(ALICE) == b"ratchet state 2"
    assert profile.history.count(ALICE) == 1
    assert profile.processed.seen("server-1")


def test_a_transaction_rolls_everything_back_on_an_exception(profile: Profile) -> None:
    profile.sessions.put(ALICE, b"ratchet state 1")
    with pytest.raises(RuntimeError, match="crash"), profile.transaction():
        profile.sessions.put(ALICE, b"ratchet state 2")
        profile.sessions.put(BOB, b"bob state")
        profile.history.add(ALICE, client_id="m1", outgoing=False, text="hi", timestamp=10.0)
        profile.processed.remember("server-1")
        raise RuntimeError("crash between storing and committing")
    assert profile.sessions.get(ALICE) == b"ratchet state 1"
    assert profile.sessions.get(BOB) is None
    assert profile.history.count(ALICE) == 0
    assert profile.history.conversations() == []
    assert not profile.processed.seen("server-1")


def test_an_inner_failure_caught_by_the_caller_undoes_only_its_own_part(profile: Profile) -> None:
    with profile.transaction():
        profile.sessions.put(ALICE, b"kept")
        try:
            with profile.transaction():
                profile.sessions.put(BOB, b"undone")
                raise ValueError("inner")
        except ValueError:
            pass
    assert profile.sessions.get(ALICE) == b"kept"
    assert profile.sessions.get(BOB) is None


def test_work_committed_survives_close_and_reopen(directory: ProfileDirectory, profile: Profile) -> None:
    with profile.transaction():
        profile.sessions.put(ALICE, b"state")
        profile.history.add(ALICE, client_id="m1", outgoing=True, text="hello", timestamp=1.0)
    profile.close()
    with directory.open(profile.profile_id, PASS) as again:
        assert again.sessions.get(ALICE) == b"state"
        assert [m.text for m in again.history.page(ALICE).messages] == ["hello"]


# --------------------------------------------------------------------------- passphrase


def test_change_of_passphrase(directory: ProfileDirectory, profile: Profile) -> None:
    profile.sessions.put(ALICE, b"state")
    profile.change_passphrase(PASS, "a new passphrase")
    profile.close()
    with pytest.raises(WrongPassphrase):
        directory.open(profile.profile_id, PASS)
    with directory.open(profile.profile_id, "a new passphrase") as again:
        assert again.sessions.get(ALICE) == b"state"


def test_change_of_passphrase_needs_the_old_one_and_changes_nothing_without_it(
    directory: ProfileDirectory, profile: Profile
) -> None:
    with pytest.raises(WrongPassphrase):
        profile.change_passphrase("guess", "a new passphrase")
    with pytest.raises(ValueError, match="empty"):
        profile.change_passphrase(PASS, "")
    profile.close()
    directory.open(profile.profile_id, PASS).close()


def test_the_old_wrapping_is_gone_from_the_files_after_a_change(profile: Profile) -> None:
    old = _wrapped_key(profile.path)
    profile.change_passphrase(PASS, "a new passphrase")
    assert _wrapped_key(profile.path) != old
    for path in (profile.path, Path(f"{profile.path}-wal")):
        if path.exists():
            assert old not in path.read_bytes()


def _wrapped_key(path: Path) -> bytes:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT value FROM meta WHERE key = 'wrapped_key'").fetchone()[0]
    finally:
        conn.close()


# --------------------------------------------------------------------------- nothing in clear


def _forms(secret: bytes) -> list[bytes]:
    forms = [secret, secret.hex().encode(), secret.hex().upper().encode()]
    forms += [base64.b64encode(secret).rstrip(b"="), base64.urlsafe_b64encode(secret).rstrip(b"=")]
    return forms


def test_nothing_readable_in_the_raw_file_or_its_log(directory: ProfileDirectory) -> None:
    text = "Meet me at the old mill at 23:15, bring the ledger"
    identity = IdentityKeyPair.generate(random=_counter_random(1))
    prekey = OneTimePreKey.generate(7, random=_counter_random(101))
    private_keys = {
        "identity signing key": identity.to_json()["sign"],
        "identity dh key": identity.to_json()["dh"],
        "one-time prekey": prekey.to_json()["key"],
    }
    needles = {name: _forms(base64.b64decode(value)) for name, value in private_keys.items()}
    needles["message text"] = [*_forms(text.encode()), text[:24].encode(), b"old mill"]
    needles["phone"] = [*_forms(BOB.encode()), BOB.encode()[1:]]
    needles["contact name"] = [b"Bartholomew Quince"]
    needles["session state"] = _forms(b"RATCHET-STATE-0123456789")
    needles["server pin"] = [b"9f86d081884c7d659a2feaa0c55ad015"]
    needles["outbox payload"] = _forms(b"QUEUED-PAYLOAD-abcdef")
    needles["e-mail"] = [b"me@example.org"]
    needles["passphrase"] = [PASS.encode()]

    profile = directory.create("Me", PASS)
    profile.keys.set_identity(identity)
    profile.keys.add_one_time_prekeys([prekey])
    profile.account.save(Account(phone=ALICE, email="me@example.org", server="127.0.0.1:5000"))
    profile.server_pins.pin("127.0.0.1:5000", "9f86d081884c7d659a2feaa0c55ad015")
    profile.contacts.add(BOB, "Bartholomew Quince")
    with profile.transaction():
        profile.sessions.put(BOB, b"RATCHET-STATE-0123456789")
        profile.history.add(BOB, client_id="c-1", outgoing=False, text=text, timestamp=1_700_000_000.0)
    profile.outbox.enqueue(BOB, "c-2", b"QUEUED-PAYLOAD-abcdef")

    wal = Path(f"{profile.path}-wal")
    assert wal.stat().st_size > 0, "the write-ahead log should hold the writes while the profile is open"
    _assert_absent({"profile file": profile.path.read_bytes(), "write-ahead log": wal.read_bytes()}, needles)
    profile.close()
    assert not wal.exists() or wal.stat().st_size == 0
    _assert_absent({"closed profile file": profile.path.read_bytes()}, needles)

    # The data really is there: it opens with the passphrase.
    with directory.open(profile.profile_id, PASS) as again:
        assert again.history.page(BOB).messages[0].text == text
        assert again.keys.identity().to_json() == identity.to_json()  # type: ignore[union-attr]


def _assert_absent(files: dict[str, bytes], needles: dict[str, list[bytes]]) -> None:
    for file_name, data in files.items():
        for what, forms in needles.items():
            for form in forms:
                assert form not in data, f"the {what} is readable in the {file_name}"


# --------------------------------------------------------------------------- damage


def test_a_sealed_value_copied_into_another_row_is_reported_as_damaged(profile: Profile) -> None:
    raw = sqlite3.connect(profile.path, isolation_level=None)
    profile.sessions.put(ALICE, b"alice state")
    ((alice_row, sealed),) = raw.execute("SELECT contact, sealed FROM sessions").fetchall()
    profile.sessions.put(BOB, b"bob state")
    raw.execute("UPDATE sessions SET sealed = ? WHERE contact <> ?", (sealed, alice_row))
    raw.close()

    with pytest.raises(DecryptionError) as caught:
        profile.sessions.get(BOB)
    assert isinstance(caught.value, DamagedValue)
    assert (
        str(caught.value)
        == "the stored session could not be opened: the profile file is damaged or was altered"
    )
    assert profile.sessions.get(ALICE) == b"alice state"


def test_close_is_idempotent_and_the_repr_shows_no_secret(profile: Profile) -> None:
    assert PASS not in repr(profile)
    assert "Me" not in repr(profile)
    profile.close()
    profile.close()
    assert profile.closed
    with pytest.raises(sqlite3.ProgrammingError):
        profile.sessions.get(ALICE)
