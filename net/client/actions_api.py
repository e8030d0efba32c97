"""The Messenger's message actions: reply, react, edit, delete (for everyone, or for us), details.

A mixin, so that :mod:`net.client.messenger` stays small; the work is :mod:`net.client.actions`'.
A message is named as its :class:`~net.client.core.events.MessageView` names it: its client id
(``message_id``), its conversation (``contact`` for a 1:1 conversation or ``group_id`` for a
group's: exactly one of them), and, for a message a member sent in a group, its ``sender``
("" for ours). Every command runs inside :meth:`Context.storing` and refuses in words, as an
EngineError with a stable code:

=====================  ===========================================================
``unknown_message``    no such message (text) in that conversation
``bad_conversation``   neither or both of ``contact`` and ``group_id``
``not_yours``          an edit or a delete for everyone of someone else's message
``too_late``           an edit or a delete for everyone more than 24 hours after sending
``deleted``            a reply to, a reaction to or an edit of a message deleted for everyone
``not_emoji``          a reaction that is not one emoji
=====================  ===========================================================

plus the codes of sending a text (``too_long``, ``empty``, ``unknown_group``, ``not_a_member``...)
for a reply. A command that changes a message shown returns it and emits
:class:`~net.client.core.events.MessageChanged`; a repeat changes nothing and emits nothing.
"""

from __future__ import annotations

from net.client import actions
from net.client.api_base import ApiBase
from net.client.core.events import MessageDetails, MessageView


class ActionsApi(ApiBase):
    """The message actions of :class:`net.client.messenger.Messenger`."""

    def send_reply(
        self, message_id: str, text: str, *, contact: str = "", group_id: str = "", sender: str = ""
    ) -> MessageView:
        """Send ``text`` as an answer to the message; the new message, with its ``reply_to``."""
        ctx, duties = self._unlocked()
        with ctx.storing("sending"):
            return actions.send_reply(ctx, duties, message_id, text, contact, group_id, sender)

    def react(
        self, message_id: str, emoji: str, *, contact: str = "", group_id: str = "", sender: str = ""
    ) -> MessageView:
        """React with ``emoji`` (replacing our reaction; the same one again, or "", takes it back)."""
        ctx, duties = self._unlocked()
        with ctx.storing("sending"):
            return actions.react(ctx, duties, message_id, emoji, contact, group_id, sender)

    def edit_message(
        self, message_id: str, text: str, *, contact: str = "", group_id: str = ""
    ) -> MessageView:
        """Replace the text of our own message, within 24 hours of sending it."""
        ctx, duties = self._unlocked()
        with ctx.storing("sending"):
            return actions.edit_message(ctx, duties, message_id, text, contact, group_id)

    def delete_for_everyone(self, message_id: str, *, contact: str = "", group_id: str = "") -> MessageView:
        """Delete our own message, within 24 hours of sending it, here and for everyone it went to."""
        ctx, duties = self._unlocked()
        with ctx.storing("sending"):
            return actions.delete_for_everyone(ctx, duties, message_id, contact, group_id)

    def delete_for_me(
        self, message_id: str, *, contact: str = "", group_id: str = "", sender: str = ""
    ) -> None:
        """Remove any message from this profile only."""
        ctx = self._require()
        with ctx.storing("history"):
            actions.delete_for_me(ctx, message_id, contact, group_id, sender)

    def message_details(
        self, message_id: str, *, contact: str = "", group_id: str = "", sender: str = ""
    ) -> MessageDetails:
        """Its times (and each member's receipts in a group), who reacted with what, its earlier texts."""
        ctx = self._require()
        with ctx.storing("history"):
            return actions.details(ctx, message_id, contact, group_id, sender)
