"""The Messenger's group commands: thin delegations to :mod:`net.client.groups` and its neighbours.

A mixin, so that :mod:`net.client.messenger` stays small. Every command runs inside
:meth:`Context.storing` (a full disk or a damaged file is an EngineError) and refuses in
words what the group's rules refuse (:class:`~net.client.core.group_making.GroupChangeRefused`
becomes an EngineError with the same code).

Reading a group's conversation uses the Messenger's conversation methods: ``history``,
``search``, ``around``, ``newer``, ``first_unread``, ``mark_read``, ``set_typing``,
``timeline_place``, ``history_at`` and ``retry`` take a group's id where they take a contact.
"""

from __future__ import annotations

from net.client import groups
from net.client.api_base import ApiBase
from net.client.core.events import GroupRequest, GroupView, MemberReceipt, MessageView


class GroupsApi(ApiBase):
    """The group commands of :class:`net.client.messenger.Messenger`."""

    def create_group(self, name: str, members: list[str]) -> GroupView:
        """Make a group of us and ``members`` (phones of contacts, or numbers); we are its admin."""
        ctx, duties = self._unlocked()
        with ctx.storing("groups"):
            return groups.create(ctx, duties, name, members)

    def group(self, group_id: str) -> GroupView:
        ctx = self._require()
        with ctx.storing("groups"):
            return groups.one(ctx, group_id)

    def groups(self) -> list[GroupView]:
        """Every group this profile holds that is not a request (requests: :meth:`group_requests`)."""
        ctx = self._require()
        with ctx.storing("groups"):
            return groups.every(ctx)

    def add_group_members(self, group_id: str, phones: list[str]) -> GroupView:
        ctx, duties = self._unlocked()
        with ctx.storing("groups"):
            return groups.add_members(ctx, duties, group_id, phones)

    def remove_group_member(self, group_id: str, phone: str) -> GroupView:
        ctx, duties = self._unlocked()
        with ctx.storing("groups"):
            return groups.remove_member(ctx, duties, group_id, phone)

    def leave_group(self, group_id: str) -> GroupView:
        ctx, duties = self._unlocked()
        with ctx.storing("groups"):
            return groups.leave(ctx, duties, group_id)

    def rename_group(self, group_id: str, name: str) -> GroupView:
        ctx, duties = self._unlocked()
        with ctx.storing("groups"):
            return groups.rename(ctx, duties, group_id, name)

    def set_group_admin(self, group_id: str, phone: str, admin: bool) -> GroupView:
        ctx, duties = self._unlocked()
        with ctx.storing("groups"):
            return groups.set_admin(ctx, duties, group_id, phone, admin)

    def send_group_text(self, group_id: str, text: str) -> MessageView:
        """Store a text in the group and queue one copy per member; returns it as the history shows it."""
        ctx, duties = self._unlocked()
        with ctx.storing("sending"):
            return groups.send_text(ctx, duties, group_id, text)

    def group_receipts(self, group_id: str, message_id: str) -> list[MemberReceipt]:
        """Who our group message went to, and when each said delivered and read."""
        ctx = self._require()
        with ctx.storing("history"):
            return groups.receipts(ctx, group_id, message_id)

    def group_requests(self) -> list[GroupRequest]:
        """Invitations from people who are not our contacts, newest first."""
        ctx = self._require()
        with ctx.storing("groups"):
            return groups.requests(ctx)

    def accept_group_request(self, group_id: str) -> GroupView:
        ctx, duties = self._unlocked()
        with ctx.storing("groups"):
            return groups.accept_request(ctx, duties, group_id)

    def decline_group_request(self, group_id: str) -> None:
        """Leave the group (its members are sent our signed ``leave``) and delete it with what it holds."""
        ctx, duties = self._unlocked()
        with ctx.storing("groups"):
            groups.decline_request(ctx, duties, group_id)

    def block_group_inviter(self, group_id: str) -> None:
        """Block whoever added us and delete the group with what it holds (quietly: nobody is told)."""
        ctx = self._require()
        with ctx.storing("groups"):
            groups.block_inviter(ctx, group_id)
