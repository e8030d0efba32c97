"""Views dressed with what was done to their messages: quotes, counted reactions, edited and deleted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_support import FAST_KDF, PASSPHRASE

from net.client.action_views import dress, is_deleted, reply_of, view_of
from net.client.context import Context, message_view
from net.client.core.actions import ReplyRef, ReplyView, Target
from storage.profile.directory import ProfileDirectory
from storage.profile.profile import Profile

BOB = "+442079460302"
CAROL = "+15550002222"


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    profile: Profile = ProfileDirectory(tmp_path, kdf_params=FAST_KDF).create("Ada", PASSPHRASE)
    yield Context(profile, lambda _e: None)
    profile.close()


def test_a_plain_message_is_shown_as_it_was(ctx: Context) -> None:
    stored = ctx.profile.history.add(BOB, client_id="m-1", outgoing=False, text="hi", timestamp=1.0)
    assert view_of(ctx, stored) == message_view(stored)
    assert reply_of(ctx, stored) is None and not is_deleted(ctx, stored)


def test_reactions_are_counted_per_emoji_with_ours_marked(ctx: Context) -> None:
    stored = ctx.profile.history.add(BOB, client_id="m-1", outgoing=False, text="hi", timestamp=1.0)
    actions = ctx.profile.actions
    actions.react(stored.local_id, BOB, "👍", 1)
    actions.react(stored.local_id, "", "👍", 2)
    actions.react(stored.local_id, CAROL, "🎉", 3)
    shown = view_of(ctx, stored)
    assert shown.reactions == (("👍", 2, True), ("🎉", 1, False))
    assert not shown.edited and not shown.deleted


def test_a_reply_an_edit_and_a_deletion_show(ctx: Context) -> None:
    history, actions = ctx.profile.history, ctx.profile.actions
    first = history.add(BOB, client_id="m-1", outgoing=False, text="where?", timestamp=1.0)
    answer = history.add(BOB, client_id="m-2", outgoing=True, text="here", timestamp=2.0)
    actions.set_reply(answer.local_id, BOB, "m-1", "where?")
    actions.edit(answer.local_id, "over here", 3000)
    shown = dress(ctx, [first, answer], [message_view(first), message_view(answer)])
    assert shown[1].reply_to == ReplyView(BOB, "m-1", "where?")
    assert reply_of(ctx, answer) == ReplyRef(Target(BOB, "m-1"), "where?")
    assert shown[1].edited and not shown[0].edited
    actions.delete_for_everyone(first.local_id, BOB)
    again = history.get(BOB, "m-1", outgoing=False)
    assert again is not None
    gone = view_of(ctx, again)
    assert (gone.deleted, gone.text, gone.attachment, gone.edited) == (True, "", None, False)
    assert is_deleted(ctx, again)
    assert view_of(ctx, answer).reply_to == ReplyView(BOB, "m-1", "")
