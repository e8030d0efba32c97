"""Disappearing messages: a conversation's timer, its changes, and the removal of what is due."""

from __future__ import annotations

from net.client.context import Context
from net.client.core import disappearing
from net.client.core.engine_error import EngineError
from net.client.core.events import MessageView
from net.client.duties import Duties

BAD_TIMER = "A disappearing timer is off, 5 minutes, 1 hour, 1 day or 1 week."


def set_timer(ctx: Context, duties: Duties, seconds: int, contact: str, group_id: str) -> MessageView:
    if not disappearing.is_choice(seconds):
        raise EngineError("bad_timer", BAD_TIMER)
    raise EngineError("bad_conversation", "Setting a timer is not built yet.")


def timer_of(ctx: Context, contact: str, group_id: str) -> int:
    return 0
