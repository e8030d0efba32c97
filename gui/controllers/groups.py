"""Groups in the window: the new-group form, a group's conversation header, its members pane, its events.

Every engine call goes to the worker as a typed :class:`~gui.worker.Command`; the
window never waits. The controller shares the :class:`ChatModel` with the
conversations' controller (a group's conversation is keyed by its id) and never
calls it: opening a conversation goes out through :attr:`GroupsController.on_open`,
which the app wires. The group's events (:class:`~net.client.core.events.GroupChanged`,
a group message's receipts, a member typing) are handled here; a group's messages
arrive as any message does, through the conversations' controller.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from gui.controllers.host import Host
from gui.engine import Engine
from gui.view_models.chat_model import ChatModel
from gui.view_models.group_form import Choice, FormProblem, chosen_members, group_name
from gui.view_models.group_text import members_line, receipt_rows
from gui.view_models.wording import typing_text
from gui.views.group_members import GroupMembersPane
from gui.views.main_view import MainView
from gui.views.new_group import NewGroupPane
from gui.worker import Command
from net.client.core import events as ev

#: The Leave button asks once more for this long before it goes back to asking the first time.
LEAVE_CONFIRM_MS = 5000


class GroupsController:
    def __init__(
        self, host: Host, view: MainView, model: ChatModel, form: NewGroupPane, pane: GroupMembersPane
    ) -> None:
        self.host, self.view, self.model, self.form, self.pane = host, view, model, form, pane
        #: A group's conversation is to be opened (the app hands it to the conversations' controller).
        self.on_open: Callable[[str], None] = lambda _group_id: None
        #: Back from the members pane or the form (to the open conversation, or the empty pane).
        self.on_back: Callable[[], None] = lambda: None
        self._leave_asked = False
        form.on_create, form.on_cancel = self.create, self._cancel
        pane.on_back, pane.on_rename, pane.on_add = lambda: self.on_back(), self.rename, self.open_add
        pane.on_remove, pane.on_admin, pane.on_leave = self.remove, self.set_admin, self.leave
        pane.on_pick, pane.on_verified = self._safety_number, self._verified
        c = view.conversation
        contact_details = c.on_details
        c.on_details = lambda: self.open_members() if self._open_group() else contact_details()
        c.on_rename_group = self._rename_from_menu
        c.on_leave_group = self._leave_from_menu
        c.messages.on_receipts = self._receipts

    def _open_group(self) -> str | None:
        key = self.model.open_contact
        return key if self.model.is_group(key) else None

    def reset(self) -> None:
        self._leave_asked = False

    def load(self) -> None:
        """The groups and their newest message each, for the list's "Bob: see you"."""

        def call(engine: Engine) -> list[tuple[ev.GroupView, list[ev.MessageView]]]:
            return [(g, engine.history(g.group_id, limit=1)) for g in engine.groups()]

        def loaded(groups: list[tuple[ev.GroupView, list[ev.MessageView]]]) -> None:
            for group, newest in groups:
                self.model.set_group(group)
                if newest and not newest[0].notice:
                    self.model.set_last_text(group.group_id, self.model.last_line(newest[0]))
            self.view.conversations.show(self.model.ordered(), self.model.open_contact)

        self.host.do(Command("groups", call, loaded))

    def subtitle(self, group_id: str) -> str:
        group = self.model.groups.get(group_id)
        if group is not None and group.standing in ("left", "removed"):
            return "You are no longer in this group"
        conversation = self.model.conversations.get(group_id)
        count = len(group.members) if group else conversation.members if conversation else 0
        return members_line(count)

    # ------------------------------------------------------------------ engine events

    def handle(self, event: object) -> bool:
        if isinstance(event, ev.MessageReceived) and event.message.group_id in self.model.invitations:
            return True  # an invitation's messages wait in the requests window
        if isinstance(event, ev.GroupChanged):
            self._changed(event)
            return True
        if isinstance(event, ev.MessageStatusChanged) and event.group_id:
            if event.group_id == self.model.open_contact:
                self.view.conversation.messages.set_counts(
                    event.message_id, event.status, event.delivered_count, event.read_count
                )
            return True
        if isinstance(event, ev.TypingChanged) and event.group_id:
            self.model.typing(event.group_id, event.typing, time.monotonic())
            if event.group_id == self.model.open_contact:
                text = typing_text(self.model.person(event.contact)) if event.typing else ""
                self.view.conversation.typing.configure(text=text)
            return True
        return False

    def _changed(self, event: ev.GroupChanged) -> None:
        group = event.group
        if event.removed or group.standing == "request":
            if event.removed:
                self.model.drop_group(group.group_id)
            else:
                self.model.set_group(group)  # noted as an invitation: no conversation until accepted
            self.view.conversations.show(self.model.ordered(), self.model.open_contact)
            return
        self.model.set_group(group)
        open_here = group.group_id == self.model.open_contact
        for notice in event.notices:
            self.model.message(notice)
            if open_here and self.view.pane is self.view.conversation:
                self.view.conversation.messages.append(notice)
        if open_here:
            self.view.conversation.set_header(group.name, self.subtitle(group.group_id))
        if self.view.pane is self.pane and self.pane.group and self.pane.group.group_id == group.group_id:
            self.pane.show(group, self.model.person)
        self.view.conversations.show(self.model.ordered(), self.model.open_contact)

    # ------------------------------------------------------------------ the new-group form

    def _choices(self, leave_out: set[str] = frozenset()) -> list[Choice]:  # type: ignore[assignment]
        return [
            Choice(c.phone, self.model.name(c.phone))
            for c in self.model.contacts.values()
            if c.standing == "accepted" and c.phone not in leave_out
        ]

    def new_group(self) -> None:
        """The sidebar's "New group" (and Ctrl+Shift+N): the form, over the contacts."""
        self.form.show(self._choices())
        self.view.show_pane(self.form)

    def open_add(self) -> None:
        group_id = self._open_group()
        group = self.model.groups.get(group_id or "")
        if group is None:
            return
        self.form.show(self._choices({m.phone for m in group.members}), adding=group.name)
        self.view.show_pane(self.form)

    def _cancel(self) -> None:
        if self.form.adding:
            self.open_members()
        else:
            self.on_back()

    def create(self, name_text: str, ticked: list[str], typed: str) -> None:
        group_id = self._open_group() if self.form.adding else None
        group = self.model.groups.get(group_id or "")
        try:
            name = "" if self.form.adding else group_name(name_text)
            already = len(group.members) if group else 1
            members = chosen_members(ticked, typed, self.host.session.phone, already=already)
        except FormProblem as problem:
            self.form.error(problem.field, str(problem))
            return
        failed = lambda _code, text: self.form.error("members", text)  # noqa: E731 - one line, two uses
        if group_id is not None:
            gid = group_id

            def added(view: ev.GroupView) -> None:
                self.model.set_group(view)
                self.open_members()

            self.host.do(
                Command("add_members", lambda e: e.add_group_members(gid, members), added, failed=failed),
                busy="Adding members…",
            )
            return

        def created(view: ev.GroupView) -> None:
            self.model.set_group(view)
            self.on_open(view.group_id)

        self.host.do(
            Command("create_group", lambda e: e.create_group(name, members), created, failed=failed),
            busy="Making the group…",
        )

    # ------------------------------------------------------------------ the members pane

    def open_members(self) -> None:
        group_id = self._open_group()
        if group_id is None:
            return
        self._leave_asked = False
        self.pane.leave_button.configure(text="Leave the group")

        def shown(group: ev.GroupView) -> None:
            self.model.set_group(group)
            self.pane.show(group, self.model.person)
            self.view.show_pane(self.pane)

        self.host.do(Command("group", lambda engine: engine.group(group_id), shown))

    def _changed_by(self, what: str, call: Callable[[Engine], ev.GroupView], *, stay: bool = True) -> None:
        def done(group: ev.GroupView) -> None:
            self.model.set_group(group)
            if stay and self.view.pane is self.pane:
                self.pane.show(group, self.model.person)
            self.view.conversations.show(self.model.ordered(), self.model.open_contact)

        self.host.do(Command(what, call, done))

    def rename(self, name_text: str) -> None:
        group_id = self._open_group()
        if group_id is None:
            return
        try:
            name = group_name(name_text)
        except FormProblem as problem:
            self.view.show_notice(str(problem))
            return
        self._changed_by("rename_group", lambda engine: engine.rename_group(group_id, name))

    def remove(self, phone: str) -> None:
        group_id = self._open_group()
        if group_id is not None:
            self._changed_by("remove_member", lambda engine: engine.remove_group_member(group_id, phone))

    def set_admin(self, phone: str, admin: bool) -> None:
        group_id = self._open_group()
        if group_id is not None:
            self._changed_by("set_admin", lambda engine: engine.set_group_admin(group_id, phone, admin))

    def leave(self) -> None:
        """Leave asks once more on the same button (a slip of the keyboard leaves nothing)."""
        group_id = self._open_group()
        if group_id is None:
            return
        button = self.pane.leave_button
        if not self._leave_asked:
            self._leave_asked = True
            button.configure(text="Press again to leave")
            button.after(LEAVE_CONFIRM_MS, self._leave_unasked)
            return
        self._leave_asked = False
        button.configure(text="Leave the group")
        self._changed_by("leave_group", lambda engine: engine.leave_group(group_id))

    def _leave_unasked(self) -> None:
        if self._leave_asked:
            self._leave_asked = False
            self.pane.leave_button.configure(text="Leave the group")

    def _rename_from_menu(self) -> None:
        self.open_members()
        self.pane.after_idle(self.pane.rename_entry.focus_set)

    def _leave_from_menu(self) -> None:
        self.open_members()
        self.pane.after_idle(self.pane.leave_button.focus_set)

    def _safety_number(self, phone: str) -> None:
        self.host.do(
            Command(
                "safety_number",
                lambda engine: engine.safety_number(phone),
                lambda digits: self.pane.show_safety_number(phone, digits),
                failed=lambda _c, _t: self.pane.show_safety_number(phone, ""),
            )
        )

    def _verified(self, phone: str, verified: bool) -> None:
        group_id = self._open_group()
        if group_id is None:
            return

        def call(engine: Engine) -> ev.GroupView:
            engine.set_verified(phone, verified)
            return engine.group(group_id)

        self._changed_by("verify", call)

    def _receipts(self, message_id: str) -> None:
        group_id = self._open_group()
        if group_id is None:
            return
        messages = self.view.conversation.messages
        self.host.do(
            Command(
                "group_receipts",
                lambda engine: engine.group_receipts(group_id, message_id),
                lambda receipts: messages.show_receipts(
                    message_id, receipt_rows(receipts, self.model.person)
                ),
                failed=lambda _c, _t: None,
            )
        )
