"""A group's messages and changes fanned out: one history row, one outbox copy per recipient."""

from __future__ import annotations

from net.client.context import Context
from net.client.core.engine_error import EngineError
from net.client.core.events import MessageView
from net.client.duties import Duties


def send_text(ctx: Context, duties: Duties, group_id: str, text: str) -> MessageView:
    raise EngineError("not_ready", "Groups are not ready yet.")
