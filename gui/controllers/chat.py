"""The main window's controller: conversations, messages and contacts.

Engine events update :class:`ChatModel` one by one; the drawing that depends on
the whole model (the conversation list, the title, read receipts) happens once
per drained batch in :meth:`ChatController.flush`, so a backlog of a thousand
messages costs a thousand bubbles and a few redraws, not a thousand redraws.
The open conversation's pages are the :class:`TimelineController`'s, the open
contact's details the :class:`DetailsController`'s, its pictures and files the
:class:`FilesController`'s; they share the model.
"""

from __future__ import annotations

import time
import tkinter as tk
from collections.abc import Callable
from dataclasses import replace

from gui.controllers.actions import ActionsController
from gui.controllers.details import DetailsController
from gui.controllers.emoji import EmojiController
from gui.controllers.files import FilesController
from gui.controllers.host import Host
from gui.controllers.list_lines import ListLines
from gui.controllers.presence import Presence
from gui.controllers.timeline import AROUND, PAGE, TimelineController
from gui.controllers.timer import TimerController
from gui.engine import Engine
from gui.view_models.chat_model import ChatModel, conversation_key
from gui.view_models.wording import connection_text, typing_text
from gui.views.main_view import MainView
from gui.worker import Command
from net.client.core import events as ev
from net.protocol.validation import ValidationError, normalize_phone, validate_display_name

__all__ = ["AROUND", "PAGE", "ChatController"]

#: A typing notice is re-sent at most this often while keys are pressed, and withdrawn after a pause.
TYPING_REFRESH = 4.0
TYPING_PAUSE_MS = 5000
#: Messages in one drained batch that make the status bar say a backlog is arriving.
BACKLOG_BATCH = 20


class ChatController:
    def __init__(self, host: Host, root: tk.Tk, view: MainView) -> None:
        self.host, self.root, self.view = host, root, view
        self.model = ChatModel()
        #: A group's header line ("4 members"): the groups' controller says it (the app wires it).
        self.group_subtitle: Callable[[str], str] = lambda _group_id: ""
        self._list_dirty = False
        self._ring = False
        self._typing_sent = 0.0
        self._typing_after: str | None = None
        self.offline_by_choice = False
        self._arrived = 0
        self._receiving = False
        #: The words of the disk-full notice while it is shown, so that writes working again can hide it.
        self._disk_full_notice = ""
        #: What is read is what was on screen while the window had the focus (presence.py).
        self.presence = Presence(host, root, view, self.model)
        self.presence.on_read = self._seen
        #: A message arrived from a contact (the window decides whether to notify).
        self.on_incoming: Callable[[ev.MessageView], None] = lambda _m: None
        #: Messages of a conversation were seen (its notification can go).
        self.on_seen: Callable[[str], None] = lambda _contact: None
        v = self.view
        v.conversations.on_select = self.open
        v.on_new_conversation = self.new_conversation
        self.timeline = TimelineController(host, view, self.model)
        self.details = DetailsController(host, view, self.model)
        self.files = FilesController(host, root, view, self.model)
        self.files.on_sent = self._sent
        self.actions = ActionsController(host, view, self.model)
        self.actions.on_sent = self._sent
        self.actions.on_changed = ListLines(host, self.model, self._mark_list_dirty).changed
        self.emoji = EmojiController(host, root, view)
        self.actions.on_pick, self.actions.on_original = self.emoji.for_reaction, self.timeline.show_original
        self.timer = TimerController(host, view, self.model)
        self.details.on_contact_updated, self.details.on_key_accepted = (
            self._contact_updated,
            self._show_key_warning,
        )
        c = v.conversation
        c.on_send, c.on_typing, c.on_search = self.send, self.typing, self.search
        c.on_details, c.on_accept_key = self.details.open, self.details.accept_key_change
        c.messages.on_retry = self.retry
        c.messages.on_notice = lambda _kind: self.details.open()
        v.details.on_back = self.back

    # ------------------------------------------------------------------ life

    def reset(self) -> None:
        self.model.clear()
        self.presence.reset()
        self.details.reset()
        self.files.reset()
        self.emoji.reset()
        self.offline_by_choice = False
        self._disk_full_notice = ""
        self.view.hide_notice()
        self.view.close_new_form()
        self.view.show_pane(self.view.empty)
        self.refresh_list()

    def close(self) -> None:
        self.files.close()
        self.actions.close()
        self.emoji.close()
        if self._typing_after is not None:
            self.root.after_cancel(self._typing_after)
            self._typing_after = None

    def load(self) -> None:
        def call(engine: Engine) -> tuple[list[ev.ConversationView], list[ev.ContactView]]:
            return engine.conversations(), engine.contacts()

        def loaded(result: tuple[list[ev.ConversationView], list[ev.ContactView]]) -> None:
            conversations, contacts = result
            self.model.set_conversations(conversations)
            for contact in contacts:
                self.model.set_contact(contact)
                if contact.standing == "accepted":  # requests and blocked numbers are no conversations
                    self.model.ensure_conversation(contact.phone, contact.name)
            self.refresh_list()

        self.host.do(Command("load", call, loaded), busy="Loading conversations…")

    def refresh_list(self) -> None:
        self._list_dirty = False
        self.view.conversations.show(self.model.ordered(), self.model.open_contact)
        self.host.update_title()

    def flush(self) -> None:
        """After a batch of events: redraw what depends on the whole model, once."""
        self._show_backlog_progress()
        if self._list_dirty:
            self.refresh_list()
        if self._ring:
            self._ring = False
            self.root.bell()
        self.presence.check()
        open_contact = self.model.open_contact
        if (
            open_contact is not None
            and self.view.conversation.typing.cget("text")
            and not self.model.is_typing(open_contact, time.monotonic())
        ):
            self.view.conversation.typing.configure(text="")

    def _show_backlog_progress(self) -> None:
        # A backlog arrives as full batches; say so while it lasts, so the person knows why the list moves.
        arrived, self._arrived = self._arrived, 0
        if arrived >= BACKLOG_BATCH and not self._receiving:
            self._receiving = True
            self.view.set_busy("Receiving messages…")
        elif arrived == 0 and self._receiving:
            self._receiving = False
            if not self.host.busy:
                self.view.set_busy(None)

    # ------------------------------------------------------------------ engine events

    def handle(self, event: object) -> None:
        if isinstance(event, ev.MessageReceived):
            self._received(event.message)
        elif isinstance(event, ev.MessageStatusChanged):
            if event.contact == self.model.open_contact:
                self.view.conversation.messages.set_status(event.message_id, event.status)
        elif isinstance(event, ev.TypingChanged):
            self.model.typing(event.contact, event.typing, time.monotonic())
            if event.contact == self.model.open_contact:
                text = typing_text(self.model.name(event.contact)) if event.typing else ""
                self.view.conversation.typing.configure(text=text)
        elif isinstance(event, ev.ContactUpdated):
            self._contact_updated(event.contact)
        elif isinstance(event, ev.ContactKeyChanged):
            self.details.key_changed(event.contact.phone, event.previous_safety_number)
            self._contact_updated(event.contact)
            self.model.key_changed.add(event.contact.phone)
            self._show_key_warning()
            open_here = event.contact.phone == self.model.open_contact
            if open_here and event.notice is not None and self.view.pane is self.view.conversation:
                self.view.conversation.messages.append(event.notice)
        elif isinstance(event, ev.UndecryptableMessage):
            name = self.model.name(event.contact)
            self.view.show_notice(
                f"A message from {name} could not be decrypted. Parley asks {name}'s app to send it "
                "again; if it does not arrive, ask them."
            )
        elif isinstance(event, ev.MessageChanged):
            self.actions.handle(event)
        elif isinstance(event, ev.TimerChanged):
            self.timer.handle(event)
        elif isinstance(event, ev.TransferProgress):
            self.files.progress(event)
        elif isinstance(event, ev.ConnectionChanged):
            self.connection(event)
        elif isinstance(event, ev.DiskSpaceChanged):
            self.disk_space(event)

    def disk_space(self, event: ev.DiskSpaceChanged) -> None:
        """A full disk stays in the notice bar until writes work again, then the notice goes."""
        if event.full:
            self._disk_full_notice = event.message
            self.view.show_notice(event.message)
        elif self._disk_full_notice and self.view.notice_shown == self._disk_full_notice:
            self.view.hide_notice()
            self._disk_full_notice = ""

    def _received(self, message: ev.MessageView) -> None:
        self._arrived += 1
        # Unread until its bubble is seen in a focused window (presence.py counts it down then).
        if self.model.message(message, window_focused=False):
            self._ring = True
        key = conversation_key(message)
        shown = key == self.model.open_contact and self.view.pane is self.view.conversation
        if shown:
            self.view.conversation.messages.append(message)  # counted, not drawn, below a gap
        if not message.outgoing and message.notice != "timer_changed":  # a note, not a message to notify
            self.on_incoming(message)
        self._list_dirty = True

    def _mark_list_dirty(self) -> None:
        self._list_dirty = True

    def _seen(self, contact: str) -> None:
        self.refresh_list()
        self.on_seen(contact)

    def _contact_updated(self, contact: ev.ContactView) -> None:
        self.model.set_contact(contact)
        self._list_dirty = True
        if contact.phone == self.model.open_contact:
            self.view.conversation.set_header(
                self.model.name(contact.phone),
                self._subtitle(contact.phone),
                self.model.key_id(contact.phone),
                self.model.picture(contact.phone),
            )
            self._show_key_warning()

    def connection(self, event: ev.ConnectionChanged) -> None:
        p = self.host.palette
        colour = {ev.ConnectionState.CONNECTED: p.success, ev.ConnectionState.OFFLINE: p.muted}.get(
            event.state, "#e0a800"
        )
        server = self.host.session.server
        detail = event.detail or (server if event.state != ev.ConnectionState.OFFLINE else "")
        text = connection_text(event.state, detail)
        if event.state == ev.ConnectionState.OFFLINE and self.offline_by_choice:
            text = "Logged out — messages you write wait until you log in again"
        self.view.set_status(text, colour, offer_login=event.state == ev.ConnectionState.OFFLINE)

    def logged_out(self) -> None:
        """The person logged out: say so until they log in again, and leave the settings."""
        self.offline_by_choice = True
        self.connection(ev.ConnectionChanged(ev.ConnectionState.OFFLINE))
        self.back()

    def online(self) -> None:
        self.connection(ev.ConnectionChanged(ev.ConnectionState.CONNECTED))

    def reconnecting(self) -> None:
        self.offline_by_choice = False
        self.connection(ev.ConnectionChanged(ev.ConnectionState.CONNECTING))

    # ------------------------------------------------------------------ conversations

    def _subtitle(self, phone: str) -> str:
        if self.model.is_group(phone):
            return self.group_subtitle(phone)
        contact = self.model.contacts.get(phone)
        verified = contact is not None and contact.verified
        return "  ·  ".join(
            part for part in (self.model.number_beneath(phone), "✓ verified" if verified else "") if part
        )

    def open(self, contact: str, at: ev.SearchResultView | None = None) -> None:
        """Open a conversation at its first unread message, its newest, or ``at`` a found message."""
        self.model.open_contact = contact
        pane = self.view.conversation
        pane.set_group(self.model.is_group(contact))
        pane.messages.set_name_of(self.model.person)
        shown = (self.model.name(contact), self._subtitle(contact), self.model.key_id(contact))
        pane.open(contact, *shown, self.model.picture(contact))
        self.view.show_pane(pane)
        self._show_key_warning()
        self.timeline.open(contact, at)
        self.timer.opened(contact)
        self.refresh_list()

    def open_found(self, result: ev.SearchResultView) -> None:
        self.open(result.contact, at=result)

    def _show_key_warning(self) -> None:
        contact = self.model.open_contact
        changed = contact is not None and contact in self.model.key_changed
        self.view.conversation.show_key_warning(self.model.name(contact) if changed and contact else None)
        self.timeline.held_changed()

    def new_conversation(self, phone_text: str, name_text: str) -> None:
        try:
            phone = normalize_phone(phone_text)
            name = validate_display_name(name_text) if name_text.strip() else ""
        except ValidationError as exc:
            self.view.new_form_error(str(exc))
            return
        if phone == self.host.session.phone:
            self.view.new_form_error(
                "That is your own number. Enter the number of the person you want to write to."
            )
            return

        def added(contact: ev.ContactView) -> None:
            self.view.close_new_form()
            self.model.set_contact(contact)
            self.model.ensure_conversation(contact.phone, contact.name)
            self.open(contact.phone)

        self.host.do(
            Command(
                "add_contact",
                lambda engine: engine.add_contact(phone, name),
                added,
                failed=lambda _c, text: self.view.new_form_error(text),
            ),
            busy="Setting up a secure conversation…",
        )

    def send(self, text: str) -> None:
        contact = self.model.open_contact
        if contact is None:
            return
        if self._typing_sent:
            self._stop_typing()

        def refused(code: str, words: str) -> None:
            # Nothing was stored (a full disk, say): the words go back to the composer, not to waste.
            composer = self.view.conversation.text
            if self.model.open_contact == contact and not composer.get("1.0", "end-1c").strip():
                composer.insert("1.0", text)
            self.host.report(code, words)

        def call(engine: Engine) -> ev.MessageView:
            return engine.send_group_text(contact, text) if group else engine.send_text(contact, text)

        group = self.model.is_group(contact)
        self.host.do(Command("send", call, self._sent, failed=refused))

    def _sent(self, message: ev.MessageView) -> None:
        """A message of ours (a text, a file) was stored: drawn, and the list's last line follows it."""
        if message.group_id and not message.recipients:  # the count its receipts are out of
            message = replace(message, recipients=self.model.others_in(message.group_id))
        self._received(message)
        self.flush()

    def retry(self, message_id: str) -> None:
        contact = self.model.open_contact
        if contact is not None:
            self.host.do(Command("retry", lambda engine: engine.retry(contact, message_id)))

    def typing(self) -> None:
        contact = self.model.open_contact
        if contact is None:
            return
        now = time.monotonic()
        if now - self._typing_sent > TYPING_REFRESH:
            self._typing_sent = now
            self.host.do(
                Command("typing", lambda engine: engine.set_typing(contact, True), failed=lambda _c, _t: None)
            )
        if self._typing_after is not None:
            self.root.after_cancel(self._typing_after)
        self._typing_after = self.root.after(TYPING_PAUSE_MS, self._stop_typing)

    def _stop_typing(self) -> None:
        contact = self.model.open_contact
        self._typing_sent = 0.0
        if self._typing_after is not None:
            self.root.after_cancel(self._typing_after)
            self._typing_after = None
        if contact is not None:
            self.host.do(
                Command(
                    "typing", lambda engine: engine.set_typing(contact, False), failed=lambda _c, _t: None
                )
            )

    def search(self, text: str) -> None:
        contact = self.model.open_contact
        if contact is None:
            return
        if not text:
            self.timeline.load_newest()
            return

        def found(results: list[ev.MessageView]) -> None:
            if self.model.open_contact == contact:
                self.view.conversation.messages.show(
                    results, has_older=False, empty_text="No messages match."
                )
                self.view.conversation.show_search_results(text, len(results))

        self.host.do(Command("search", lambda engine: engine.search(contact, text), found))

    # ------------------------------------------------------------------ back from the details or settings

    def back(self) -> None:
        contact = self.model.open_contact
        if contact is not None:
            self.open(contact)
        else:
            self.view.show_pane(self.view.empty)
