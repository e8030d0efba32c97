"""Contacts: names, pinned identity keys (trust on first use), verification and key changes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import profile_raw as raw
import pytest

from crypto_core.keys import IdentityKeyPair
from crypto_core.sealing import KdfParams
from storage.profile.contacts import ACCEPTED, REQUEST, Brief, PinResult
from storage.profile.directory import ProfileDirectory
from storage.profile.errors import DamagedValue, ProfileError
from storage.profile.profile import Profile

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)
ALICE = "+15550001111"
BOB = "+447700900123"


@pytest.fixture
def directory(tmp_path: Path) -> ProfileDirectory:
    return ProfileDirectory(tmp_path, kdf_params=FAST, clock=lambda: 1234.5)


@pytest.fixture
def profile(directory: ProfileDirectory) -> Iterator[Profile]:
    profile = directory.create("Me", "pw")
    yield profile
    profile.close()


def test_add_get_and_reopen(directory: ProfileDirectory, profile: Profile) -> None:
    added = profile.contacts.add(ALICE, "Alice")
    assert (added.phone, added.name, added.created_at, added.identity) == (ALICE, "Alice", 1234.5, None)
    assert profile.contacts.add(ALICE, "Someone else") == added  # adding again changes nothing
    profile.close()
    with directory.open(profile.profile_id, "pw") as again:
        assert again.contacts.get(ALICE) == added
        assert again.contacts.get(BOB) is None


def test_all_contacts_by_name_and_rename(profile: Profile) -> None:
    profile.contacts.add(ALICE, "zoe")
    profile.contacts.add(BOB, "Adam")
    assert [c.name for c in profile.contacts.all()] == ["Adam", "zoe"]
    profile.contacts.rename(ALICE, "Alice")
    assert [c.phone for c in profile.contacts.all()] == [BOB, ALICE]
    with pytest.raises(ProfileError, match="no such contact"):
        profile.contacts.rename("+19999999999", "Nobody")


def test_a_damaged_contact_is_skipped_in_the_list_and_reported(profile: Profile) -> None:
    profile.contacts.add(ALICE, "Alice")
    profile.contacts.add(BOB, "Bob")
    # Inside the encrypted database a row can still be damaged: an identity that is not JSON.
    raw.execute(
        profile.folder,
        "pw",
        "UPDATE contacts SET identity = '{not json' WHERE phone = (SELECT MIN(phone) FROM contacts)",
    )
    (left,) = profile.contacts.all()
    assert profile.contacts.get(left.phone) == left
    assert profile.take_damage() == ["contact"]
    damaged = BOB if left.phone == ALICE else ALICE
    with pytest.raises(DamagedValue):
        profile.contacts.get(damaged)


def test_the_first_key_is_pinned_and_the_same_key_again_changes_nothing(profile: Profile) -> None:
    key = IdentityKeyPair.generate().public
    result, contact = profile.contacts.pin_identity(ALICE, key)
    assert result is PinResult.NEW and contact.identity == key and not contact.key_changed
    profile.contacts.set_verified(ALICE, True)
    result, contact = profile.contacts.pin_identity(ALICE, key)
    assert result is PinResult.SAME and contact.verified


def test_a_changed_key_is_flagged_and_unverified_until_acknowledged(profile: Profile) -> None:
    first, second = IdentityKeyPair.generate().public, IdentityKeyPair.generate().public
    profile.contacts.add(ALICE, "Alice")
    profile.contacts.pin_identity(ALICE, first)
    profile.contacts.set_verified(ALICE, True)
    result, contact = profile.contacts.pin_identity(ALICE, second)
    assert result is PinResult.CHANGED
    assert (contact.identity, contact.previous_identity) == (second, first)
    assert contact.key_changed and not contact.verified
    assert profile.contacts.get(ALICE) == contact
    assert not profile.contacts.acknowledge_key_change(ALICE).key_changed
    profile.contacts.pin_identity(ALICE, second)
    assert profile.contacts.set_verified(ALICE, True).verified


def test_verifying_clears_the_key_change_flag(profile: Profile) -> None:
    profile.contacts.pin_identity(ALICE, IdentityKeyPair.generate().public)
    profile.contacts.pin_identity(ALICE, IdentityKeyPair.generate().public)
    contact = profile.contacts.set_verified(ALICE, True)
    assert contact.verified and not contact.key_changed


def test_delete(profile: Profile) -> None:
    profile.contacts.add(ALICE, "Alice")
    assert profile.contacts.delete(ALICE)
    assert not profile.contacts.delete(ALICE)
    assert profile.contacts.all() == []


def test_the_repr_shows_neither_phone_nor_name(profile: Profile) -> None:
    contact = profile.contacts.add(ALICE, "Alice Liddell")
    assert ALICE not in repr(contact) and "Liddell" not in repr(contact)


def test_standing_profile_names_and_the_dropped_count(directory: ProfileDirectory, profile: Profile) -> None:
    stranger = IdentityKeyPair.generate().public
    _outcome, contact = profile.contacts.pin_identity(BOB, stranger, standing="request")
    assert (contact.name, contact.standing) == ("", "request")
    assert profile.contacts.take_profile(BOB, "Bob B.", 2) is not None
    assert profile.contacts.take_profile(BOB, "Older name", 1) is None  # an older version never wins
    assert profile.contacts.take_profile(BOB, "Same version", 2) is None
    profile.contacts.set_standing(BOB, "blocked")
    profile.contacts.set_profile_sent(BOB, 3)
    with pytest.raises(ValueError, match="standing"):
        profile.contacts.set_standing(BOB, "friend")
    assert profile.contacts.count_dropped(2) == 2 and profile.contacts.count_dropped(1) == 3
    assert profile.account.display_name_version() == 1
    assert profile.account.set_display_name("Me again") == 2
    profile.close()
    with directory.open(profile.profile_id, "pw") as again:
        kept = again.contacts.get(BOB)
        assert kept is not None
        assert (kept.profile_name, kept.profile_version, kept.profile_sent, kept.standing) == (
            "Bob B.",
            2,
            3,
            "blocked",
        )
        assert [c.phone for c in again.contacts.with_standing("blocked")] == [BOB]
        assert again.contacts.dropped_from_blocked() == 3
        assert (again.account.display_name(), again.account.display_name_version()) == ("Me again", 2)


def test_the_numbers_with_a_changed_key_are_read_without_opening_a_contact(profile: Profile) -> None:
    profile.contacts.pin_identity(ALICE, IdentityKeyPair.generate().public)
    profile.contacts.pin_identity(BOB, IdentityKeyPair.generate().public)
    assert profile.contacts.phones_with_key_changed() == set()
    profile.contacts.pin_identity(ALICE, IdentityKeyPair.generate().public)
    assert profile.contacts.phones_with_key_changed() == {ALICE}
    # A damaged identity key costs only that contact's row, not the outbox's question.
    raw.execute(profile.folder, "pw", "UPDATE contacts SET identity = '{not json' WHERE phone = ?", (BOB,))
    assert profile.contacts.phones_with_key_changed() == {ALICE}
    profile.contacts.acknowledge_key_change(ALICE)
    assert profile.contacts.phones_with_key_changed() == set()


def test_briefs_give_standing_and_name_version_of_the_contacts_asked_for(profile: Profile) -> None:
    profile.contacts.add(ALICE, "Alice")
    profile.contacts.add(BOB, "", standing=REQUEST)
    profile.contacts.set_profile_sent(ALICE, 3)
    profile.contacts.pin_identity(BOB, IdentityKeyPair.generate().public)
    # A damaged identity key does not stop the brief: none is decoded.
    raw.execute(profile.folder, "pw", "UPDATE contacts SET identity = '{not json' WHERE phone = ?", (BOB,))
    briefs = profile.contacts.briefs([ALICE, BOB, "+15550009999", ALICE])
    assert briefs == {ALICE: Brief(ACCEPTED, 3), BOB: Brief(REQUEST, 0)}
    assert profile.contacts.briefs([]) == {}


def _picture_column(profile: Profile, phone: str) -> object:
    conn = raw.connect(profile.folder, "pw")
    try:
        return conn.execute("SELECT picture FROM contacts WHERE phone = ?", (phone,)).fetchone()[0]
    finally:
        conn.close()


def test_a_picture_comes_and_goes_with_the_name_and_an_older_one_never_wins(
    directory: ProfileDirectory, profile: Profile
) -> None:
    profile.contacts.add(BOB, "Bob")
    assert profile.contacts.get(BOB).picture == b"" and _picture_column(profile, BOB) is None
    taken = profile.contacts.take_profile(BOB, "Bob B.", 2, b"\xff\xd8 picture 2")
    assert taken is not None and taken.picture == b"\xff\xd8 picture 2"
    assert profile.contacts.take_profile(BOB, "Bob B.", 1, b"\xff\xd8 older") is None
    assert profile.contacts.take_profile(BOB, "Bob B.", 2, b"\xff\xd8 same version") is None
    assert profile.contacts.get(BOB).picture == b"\xff\xd8 picture 2"
    assert "picture" not in repr(profile.contacts.get(BOB))
    profile.close()
    with directory.open(profile.profile_id, "pw") as again:
        assert again.contacts.get(BOB).picture == b"\xff\xd8 picture 2"
        assert [c.picture for c in again.contacts.all()] == [b"\xff\xd8 picture 2"]
        # A newer profile without a picture removes it: the column is NULL again.
        assert again.contacts.take_profile(BOB, "Bob B.", 3) is not None
        assert again.contacts.get(BOB).picture == b"" and _picture_column(again, BOB) is None
        # Renaming or changing the standing keeps the picture.
        again.contacts.take_profile(BOB, "Bob B.", 4, b"\xff\xd8 picture 4")
        again.contacts.rename(BOB, "Bobby")
        assert again.contacts.get(BOB).picture == b"\xff\xd8 picture 4"


def test_a_picture_column_of_the_wrong_type_is_damage(profile: Profile) -> None:
    profile.contacts.add(BOB, "Bob")
    raw.execute(
        profile.folder, "pw", "UPDATE contacts SET picture = 'text, not bytes' WHERE phone = ?", (BOB,)
    )
    with pytest.raises(DamagedValue):
        profile.contacts.get(BOB)
