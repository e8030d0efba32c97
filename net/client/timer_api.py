"""The Messenger's disappearing messages: a conversation's timer, set and read.

A mixin, so that :mod:`net.client.messenger` stays small; the work is :mod:`net.client.timers`'.
A conversation is ``contact`` (1:1) or ``group_id``: exactly one of them. Errors, as EngineError:

=====================  ===========================================================
``bad_timer``          not one of :data:`net.client.core.disappearing.CHOICES`
``not_an_admin``       a group's timer, and we are not one of its admins (the group code's own)
``unknown_contact``    no such contact
``bad_conversation``   neither or both of ``contact`` and ``group_id``
=====================  ===========================================================

plus the group codes (``unknown_group``, ``group_request``, ``not_a_member``). A change emits our
notice as :class:`~net.client.core.events.MessageReceived` and a
:class:`~net.client.core.events.TimerChanged`.
"""

from __future__ import annotations

from net.client import timers
from net.client.api_base import ApiBase
from net.client.core.events import MessageView


class TimerApi(ApiBase):
    """The disappearing timer of :class:`net.client.messenger.Messenger`."""

    def set_disappearing(self, seconds: int, *, contact: str = "", group_id: str = "") -> MessageView:
        """Set the conversation's timer (seconds; 0 off) on every side; our timeline notice."""
        ctx, duties = self._unlocked()
        with ctx.storing("sending"):
            notice = timers.set_timer(ctx, seconds, contact, group_id)
        duties.outbox.dirty = True
        return notice

    def disappearing_timer(self, *, contact: str = "", group_id: str = "") -> int:
        """The conversation's timer now (seconds; 0 off)."""
        ctx = self._require()
        with ctx.storing("history"):
            return timers.timer_of(ctx, contact, group_id)
