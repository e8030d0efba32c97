"""The Messenger's group commands on a real profile: each refusal a code and a sentence in words
(unknown group, not a member, not an admin, group full, log full, not an invitation)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from engine_support import FAST_KDF, PASSPHRASE
from group_support import ALICE, BOB, CAROL, IDENTITIES, created

import net.client.core.groups as core_groups
from net.client import group_inbox
from net.client.core.engine_error import EngineError
from net.client.core.events import Event
from net.client.messenger import Messenger

UNKNOWN_ID = "A" * 22


@pytest.fixture
def bob(tmp_path: Path) -> Iterator[Messenger]:
    """Bob's engine, unlocked, never connected (nothing is sent); Alice's identity is pinned, she is
    his contact."""
    events: list[Event] = []
    engine = Messenger(tmp_path, events.append, kdf_params=FAST_KDF, timeout=5.0)
    engine.create_profile("Bob", PASSPHRASE)
    ctx = engine._ctx
    assert ctx is not None
    ctx.profile.account.save(replace(ctx.profile.account.get(), phone=BOB))
    ctx.identity = IDENTITIES[BOB]  # as registration would have made it (fixed, to sign as Bob)
    ctx.profile.contacts.add(ALICE, "")
    ctx.profile.contacts.pin_identity(ALICE, IDENTITIES[ALICE].public)
    yield engine
    engine.close()


def _refusal(call: object, *args: object) -> tuple[str, str]:
    with pytest.raises(EngineError) as refused:
        call(*args)  # type: ignore[operator]
    return refused.value.code, str(refused.value)


def _alices_group(bob: Messenger, *extra: str) -> str:
    """A group Alice made with Bob in it (Bob is no admin)."""
    made = created(members=(BOB, CAROL, *extra))
    ctx = bob._ctx
    assert ctx is not None
    with ctx.profile.transaction():
        group_inbox.take_changes(ctx, ALICE, [made], relayed=False)
    return made.change.group_id


def test_an_unknown_group_is_refused_in_words(bob: Messenger) -> None:
    for call, args in [
        (bob.group, ()),
        (bob.rename_group, ("x",)),
        (bob.leave_group, ()),
        (bob.send_group_text, ("hi",)),
        (bob.accept_group_request, ()),
    ]:
        assert _refusal(call, UNKNOWN_ID, *args) == ("unknown_group", "There is no such group.")
    assert _refusal(bob.group, "not an id")[0] == "unknown_group"


def test_a_member_who_is_no_admin_is_refused_the_admins_changes(bob: Messenger) -> None:
    gid = _alices_group(bob)
    refused = ("not_an_admin", "Only an admin of the group can do that.")
    assert _refusal(bob.rename_group, gid, "Mine now") == refused
    assert _refusal(bob.add_group_members, gid, ["+442079460199"]) == refused
    assert _refusal(bob.remove_group_member, gid, CAROL) == refused
    assert _refusal(bob.set_group_admin, gid, BOB, True) == refused
    assert bob.group(gid).name == "Book club"  # nothing changed


def test_once_out_of_the_group_every_command_says_we_are_not_a_member(bob: Messenger) -> None:
    gid = _alices_group(bob)
    assert bob.leave_group(gid).standing == "left"
    refused = ("not_a_member", "You are not a member of this group.")
    assert _refusal(bob.send_group_text, gid, "still here?") == refused
    assert _refusal(bob.leave_group, gid) == refused
    assert _refusal(bob.rename_group, gid, "x") == refused


def test_a_full_group_refuses_a_101st_member(bob: Messenger) -> None:
    too_many = [f"+4420794{n:05d}" for n in range(60200, 60300)]
    code, words = _refusal(bob.create_group, "Crowd", too_many)
    assert (code, words) == ("group_full", "A group has at most 100 members, you included.")
    gid = bob.create_group("Crowd", too_many[:99]).group_id
    assert _refusal(bob.add_group_members, gid, ["+442079461999"]) == (
        "group_full",
        "A group has at most 100 members.",
    )


def test_a_full_log_refuses_new_changes_in_words(bob: Messenger, monkeypatch: pytest.MonkeyPatch) -> None:
    gid = bob.create_group("Busy", [ALICE]).group_id
    bob.rename_group(gid, "Busier")
    monkeypatch.setattr(core_groups, "MAX_CHANGES", 2)  # the bound of 10,000, lowered to reach it fast
    assert _refusal(bob.rename_group, gid, "Busiest") == (
        "group_log_full",
        "This group can take no more changes. Start a new group to go on.",
    )
    assert bob.send_group_text(gid, "messages still flow").text == "messages still flow"


def test_an_invitation_is_accepted_first_and_a_group_is_no_invitation(bob: Messenger) -> None:
    ctx = bob._ctx
    assert ctx is not None
    ctx.profile.contacts.set_standing(ALICE, "request")
    gid = _alices_group(bob)
    assert [r.group_id for r in bob.group_requests()] == [gid] and bob.groups() == []
    assert _refusal(bob.rename_group, gid, "x") == ("group_request", "Accept the invitation first.")
    assert _refusal(bob.send_group_text, gid, "hi")[0] == "group_request"
    assert bob.accept_group_request(gid).standing == "member"
    assert _refusal(bob.accept_group_request, gid) == ("not_a_request", "This group is not an invitation.")
    assert _refusal(bob.decline_group_request, gid) == ("not_a_request", "This group is not an invitation.")


def test_retry_of_a_group_message_nobody_failed_says_so(bob: Messenger) -> None:
    gid = bob.create_group("Quiet", [ALICE]).group_id
    sent = bob.send_group_text(gid, "hello")
    assert _refusal(bob.retry, gid, sent.message_id) == (
        "not_failed",
        "No copy of this message failed; there is nothing to send again.",
    )
    assert _refusal(bob.retry, gid, "m-unknown")[0] == "unknown_message"
