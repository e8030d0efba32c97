"""The profile's action store: reactions per person, edits with earlier versions, deletions (text,
index, versions, quotes and attachment files gone), actions kept for their message."""

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


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    profile = ProfileDirectory(tmp_path, kdf_params=FAST).create("Me", "pw")
    yield profile
    profile.close()


def _add(profile: Profile, client_id: str, text: str, *, outgoing: bool = False) -> int:
    return profile.history.add(
        ALICE, client_id=client_id, outgoing=outgoing, text=text, timestamp=10.0
    ).local_id


def test_one_reaction_per_person_and_the_newest_wins(profile: Profile) -> None:
    local = _add(profile, "m1", "hi")
    actions = profile.actions
    assert actions.react(local, ALICE, "👍", 10)
    assert not actions.react(local, ALICE, "👍", 10)  # a repeat
    assert not actions.react(local, ALICE, "🎉", 9)  # older, late: loses
    assert actions.react(local, "", "🎉", 11)
    assert [(r.reactor, r.emoji) for r in actions.reactions([local])[local]] == [(ALICE, "👍"), ("", "🎉")]
    assert actions.react(local, ALICE, "", 12)  # taken back
    assert [(r.reactor, r.emoji) for r in actions.reactions([local])[local]] == [("", "🎉")]
    assert actions.reaction_time(local, ALICE) == 12


def test_an_edit_keeps_the_earlier_text_and_the_index_follows(profile: Profile) -> None:
    local = _add(profile, "m1", "the blue boat")
    actions = profile.actions
    assert actions.edit(local, "the red boat", 100)
    assert not actions.edit(local, "the red boat", 101)  # the same text
    assert not actions.edit(local, "the green boat", 50)  # older than the edit that stands
    assert [(v.text, v.replaced_at_ms) for v in actions.versions(local)] == [("the blue boat", 100)]
    assert actions.marks([local])[local].edited_at_ms == 100
    assert [m.text for m in profile.history.search(ALICE, "red").messages] == ["the red boat"]
    assert profile.history.search(ALICE, "blue").messages == []


def test_delete_for_everyone_empties_text_index_versions_reactions_quotes_and_the_file(
    profile: Profile,
) -> None:
    local = _add(profile, "m1", "secret plans", outgoing=True)
    reply = _add(profile, "m2", "about those plans")
    actions = profile.actions
    actions.edit(local, "secret plans v2", 100)
    actions.react(local, ALICE, "👍", 5)
    actions.set_reply(reply, "", "m1", "secret plans v2")
    name = profile.attachments.new_name()
    profile.attachments.sealed(name).write_bytes(b"sealed bytes")
    profile.attachments.add(local, {"name": "x.txt"}, "done", file=name)
    assert actions.delete_for_everyone(local, "")
    assert not actions.delete_for_everyone(local, "")  # a repeat
    assert actions.marks([local])[local].deleted
    assert profile.history.get(ALICE, "m1", outgoing=True).text == ""  # type: ignore[union-attr]
    assert actions.versions(local) == [] and actions.reactions([local]) == {}
    assert actions.marks([reply])[reply].reply_text == ""
    assert profile.history.search_all("secret") == []
    assert profile.attachments.get(local) is None
    assert not profile.attachments.sealed(name).exists()
    assert not actions.edit(local, "back", 200)  # nothing more happens to it


def test_delete_for_me_removes_the_row_and_remembers_it(profile: Profile) -> None:
    local = _add(profile, "m1", "forget me")
    assert profile.actions.delete_for_me(local, ALICE, ALICE)
    assert profile.history.get(ALICE, "m1", outgoing=False) is None
    assert profile.history.search_all("forget") == []
    assert profile.actions.is_gone(ALICE, ALICE, "m1")
    assert not profile.actions.is_gone(ALICE, "", "m1")
    assert not profile.actions.delete_for_me(local, ALICE, ALICE)


def test_actions_wait_for_their_message_once_and_in_order(profile: Profile) -> None:
    actions = profile.actions
    actions.keep_pending(ALICE, ALICE, "m9", ALICE, {"t": "edit", "n": 1}, 1)
    actions.keep_pending(ALICE, ALICE, "m9", ALICE, {"t": "react", "n": 2}, 2)
    actions.keep_pending(GroupChat("g-1"), ALICE, "m9", ALICE, {"t": "react", "n": 3}, 3)
    assert actions.pending_count() == 3
    taken = actions.take_pending(ALICE, ALICE, "m9")
    assert [p.payload["n"] for p in taken] == [1, 2]
    assert actions.take_pending(ALICE, ALICE, "m9") == []
    assert [p.payload["n"] for p in actions.take_pending(GroupChat("g-1"), ALICE, "m9")] == [3]


def test_the_pending_table_keeps_only_the_newest(profile: Profile, monkeypatch: pytest.MonkeyPatch) -> None:
    import storage.profile.actions as store

    monkeypatch.setattr(store, "MAX_PENDING", 3)
    for n in range(5):
        profile.actions.keep_pending(ALICE, ALICE, f"m{n}", ALICE, {"n": n}, n)
    assert profile.actions.pending_count() == 3
    assert profile.actions.take_pending(ALICE, ALICE, "m0") == []
