"""The group commands and what they show: make, add, remove, leave, rename, admin; views; invitations.

Each command makes its change through :mod:`net.client.core.group_making` (which checks it
against the rules first), then stores it (the change and the folded state) and queues one
copy per recipient in the outbox, in one transaction (:mod:`net.client.group_fanout`).
"""

from __future__ import annotations

from net.client.context import Context
from net.client.core.engine_error import EngineError
from net.client.core.events import GroupRequest, GroupView, MemberReceipt
from net.client.duties import Duties

_TO_COME = EngineError("not_ready", "Groups are not ready yet.")


def create(ctx: Context, duties: Duties, name: str, members: list[str]) -> GroupView:
    raise _TO_COME


def one(ctx: Context, group_id: str) -> GroupView:
    raise _TO_COME


def every(ctx: Context) -> list[GroupView]:
    return []


def add_members(ctx: Context, duties: Duties, group_id: str, phones: list[str]) -> GroupView:
    raise _TO_COME


def remove_member(ctx: Context, duties: Duties, group_id: str, phone: str) -> GroupView:
    raise _TO_COME


def leave(ctx: Context, duties: Duties, group_id: str) -> GroupView:
    raise _TO_COME


def rename(ctx: Context, duties: Duties, group_id: str, name: str) -> GroupView:
    raise _TO_COME


def set_admin(ctx: Context, duties: Duties, group_id: str, phone: str, admin: bool) -> GroupView:
    raise _TO_COME


def receipts(ctx: Context, group_id: str, message_id: str) -> list[MemberReceipt]:
    raise _TO_COME


def requests(ctx: Context) -> list[GroupRequest]:
    return []


def accept_request(ctx: Context, duties: Duties, group_id: str) -> GroupView:
    raise _TO_COME


def decline_request(ctx: Context, group_id: str) -> None:
    raise _TO_COME


def block_inviter(ctx: Context, group_id: str) -> None:
    raise _TO_COME
