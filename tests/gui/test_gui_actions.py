"""The actions controller on real views: a menu choice becomes an engine command, its outcome a redraw.

As in test_gui_files, the controller runs against a small recording Host: its commands are run by
hand against an engine that records each call and answers as the real one would, and their
outcomes (a changed message, or a refusal in words) are delivered as the app's drain loop would.
"""

from __future__ import annotations

import subprocess
import time
import tkinter as tk
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, TypeVar

import pytest
from gui_support import (
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    press_return,
    wait_until,
)

from gui.controllers.chat import ChatController
from gui.view_models.message_actions import REACTIONS, MenuAction
from gui.views.main_view import MainView
from gui.views.theme import LIGHT, Palette, apply_theme, make_fonts
from gui.window_session import WindowSession
from gui.worker import Command, CommandDone
from net.client.core import events as ev
from net.client.core.actions import ReplyView
from net.client.core.engine_error import EngineError

T = TypeVar("T")
ALICE, BOB, CAROL = "+442079460101", "+442079460202", "+442079460303"


class RecordingHost:
    def __init__(self) -> None:
        self.session = WindowSession("localhost:7700", "Alice", ALICE)
        self.palette: Palette = LIGHT
        self.screen: tk.Widget | None = None
        self.commands: list[Command[Any]] = []
        self.reports: list[tuple[str, str]] = []
        self.busy = False

    def do(self, command: Command[T], *, busy: str | None = None) -> None:
        self.commands.append(command)

    def show_screen(self, screen: tk.Widget) -> None:
        self.screen = screen

    def report(self, code: str, message: str) -> None:
        self.reports.append((code, message))

    def update_title(self) -> None:
        pass

    def take(self, name: str) -> Command[Any]:
        [command] = [c for c in self.commands if c.name == name]
        self.commands.remove(command)
        return command


class ActionsEngine:
    """Records the action calls; a reaction or a delete answers with the changed view, as the engine does."""

    def __init__(self, message: ev.MessageView) -> None:
        self.message = message
        self.calls: list[tuple[str, tuple[object, ...], dict[str, object]]] = []
        self.refuse: EngineError | None = None
        self.details: ev.MessageDetails | None = None

    def react(self, message_id: str, emoji: str, **names: str) -> ev.MessageView:
        self.calls.append(("react", (message_id, emoji), names))
        return replace(self.message, reactions=((emoji, 1, True),))

    def delete_for_everyone(self, message_id: str, **names: str) -> ev.MessageView:
        self.calls.append(("delete_for_everyone", (message_id,), names))
        if self.refuse is not None:
            raise self.refuse
        return replace(self.message, text="", deleted=True)

    def send_reply(self, message_id: str, text: str, **names: str) -> ev.MessageView:
        self.calls.append(("send_reply", (message_id, text), names))
        quoted = ReplyView(self.message.sender, message_id, self.message.text)
        return ev.MessageView(
            "reply1",
            self.message.contact,
            True,
            text,
            time.time(),
            ev.MessageStatus.QUEUED,
            group_id=self.message.group_id,
            reply_to=quoted,
        )

    def edit_message(self, message_id: str, text: str, **names: str) -> ev.MessageView:
        self.calls.append(("edit_message", (message_id, text), names))
        if self.refuse is not None:
            raise self.refuse
        return replace(self.message, text=text, edited=True)

    def message_details(self, message_id: str, **names: str) -> ev.MessageDetails | None:
        self.calls.append(("message_details", (message_id,), names))
        return self.details

    def delete_for_me(self, message_id: str, **names: str) -> None:
        self.calls.append(("delete_for_me", (message_id,), names))


def run(command: Command[T], engine: object, host: RecordingHost) -> None:
    """As the app's drain loop: the result to the command, or a refusal to its ``failed`` or the host."""
    try:
        result = command.call(engine)  # type: ignore[arg-type]
    except EngineError as exc:
        if command.failed is not None:
            command.failed(exc.code, exc.message)
        else:
            host.report(exc.code, exc.message)
        return
    CommandDone(command, result).deliver()


@pytest.fixture
def root(display: None) -> Iterator[tk.Tk]:
    root = tk.Tk()
    root.geometry("1000x700")
    apply_theme(root, LIGHT, make_fonts(root))
    yield root
    root.destroy()


@pytest.fixture
def main(root: tk.Tk) -> MainView:
    view = MainView(root, LIGHT, make_fonts(root))
    view.pack(fill="both", expand=True)
    return view


@pytest.fixture
def host() -> RecordingHost:
    return RecordingHost()


@pytest.fixture
def chat(root: tk.Tk, main: MainView, host: RecordingHost) -> ChatController:
    chat = ChatController(host, root, main)
    chat.open(BOB)
    root.update()
    host.commands.clear()
    return chat


def shown(main: MainView, *messages: ev.MessageView) -> None:
    listed = main.conversation.messages
    listed.show(list(reversed(messages)), has_older=False)
    main.update()
    wait_until(main, lambda: all(listed.block.by_id[m.message_id].bubble_item for m in messages), "drawn")


def ours() -> ev.MessageView:
    now = time.time()
    return ev.MessageView(
        "out1", BOB, True, "see you at noon", now - 5, ev.MessageStatus.SENT, sent_at=now - 5
    )


def test_a_reaction_from_the_menu_goes_to_the_engine_and_redraws_the_bubble(
    chat: ChatController, main: MainView, host: RecordingHost
) -> None:
    theirs = ev.MessageView("in1", BOB, False, "lunch?", time.time() - 9, ev.MessageStatus.RECEIVED)
    shown(main, theirs)
    engine = ActionsEngine(theirs)
    chat.actions.chosen(theirs, MenuAction.REACT, REACTIONS[0])
    run(host.take("react"), engine, host)
    assert engine.calls == [("react", ("in1", REACTIONS[0]), {"contact": BOB})]
    drawn = main.conversation.messages.block.by_id["in1"]
    assert drawn.message.reactions == ((REACTIONS[0], 1, True),)


def test_a_group_message_is_named_by_its_group_and_sender_and_delete_for_me_takes_its_bubble_away(
    chat: ChatController, main: MainView, host: RecordingHost
) -> None:
    chat.model.set_group(ev.GroupView("g1", "Hikers", (), "member", 1, 0.0))
    chat.open("g1")
    host.commands.clear()
    carols = ev.MessageView(
        "c1", "", False, "summit at 3", time.time(), ev.MessageStatus.RECEIVED, group_id="g1", sender=CAROL
    )
    shown(main, carols)
    engine = ActionsEngine(carols)
    chat.actions.chosen(carols, MenuAction.DELETE_FOR_ME, "")
    question = chat.actions.question
    assert question is not None and "delete_for_me" not in [
        c.name for c in host.commands
    ]  # not before the answer
    question.confirm_button.invoke()
    run(host.take("delete_for_me"), engine, host)
    assert engine.calls == [("delete_for_me", ("c1",), {"group_id": "g1", "sender": CAROL})]
    assert main.conversation.messages.message_ids() == []


def test_a_refusal_is_reported_in_words_and_the_bubble_stays(
    chat: ChatController, main: MainView, host: RecordingHost
) -> None:
    mine = ours()
    shown(main, mine)
    engine = ActionsEngine(mine)
    engine.refuse = EngineError(
        "too_late", "A message can be deleted for everyone only within 24 hours of sending it."
    )
    chat.actions.chosen(mine, MenuAction.DELETE_FOR_EVERYONE, "")
    question = chat.actions.question
    assert question is not None
    question.confirm_button.invoke()
    run(host.take("delete_for_everyone"), engine, host)
    assert engine.calls == [("delete_for_everyone", ("out1",), {"contact": BOB})]
    assert host.reports == [
        ("too_late", "A message can be deleted for everyone only within 24 hours of sending it.")
    ]
    assert main.conversation.messages.drawn_text("out1") == "see you at noon"


def test_the_engine_event_redraws_the_shown_bubble_and_copy_fills_the_clipboard(
    chat: ChatController, main: MainView, host: RecordingHost, root: tk.Tk
) -> None:
    mine = ours()
    shown(main, mine)
    chat.handle(ev.MessageChanged(replace(mine, text="see you at one", edited=True)))
    assert main.conversation.messages.drawn_text("out1") == "see you at one"
    chat.handle(ev.MessageChanged(replace(mine, message_id="elsewhere", contact=CAROL)))  # not this one
    chat.actions.chosen(main.conversation.messages.block.by_id["out1"].message, MenuAction.COPY, "")
    assert root.clipboard_get() == "see you at one"
    assert host.commands == []  # copying asks nothing of the engine


def test_copy_from_the_menu_takes_the_selection_in_that_bubble_and_says_copied(
    chat: ChatController, main: MainView, host: RecordingHost, root: tk.Tk
) -> None:
    mine = ours()
    shown(main, mine)
    messages = main.conversation.messages
    messages.selection.select("out1", 4, 6)  # "you", as a drag over it leaves it
    chat.actions.chosen(messages.block.by_id["out1"].message, MenuAction.COPY, "")
    assert root.clipboard_get() == "you"
    assert messages.selection.note() == "Copied"
    assert host.commands == []


def test_reply_chosen_with_real_keys_leaves_the_keyboard_in_the_composer(
    chat: ChatController, main: MainView, root: tk.Tk
) -> None:
    mine = ours()
    shown(main, mine)
    messages, composer = main.conversation.messages, main.conversation.composer
    messages.canvas.focus_force()
    root.update()
    for key in ("shift+F10", "Down", "Return"):  # through the X server, as a person types them
        subprocess.run(["xdotool", "key", key], check=True, timeout=10)
        deadline = time.monotonic() + 0.3
        while time.monotonic() < deadline:
            root.update()
    assert composer.answer.mode == "reply"
    wait_until(root, lambda: root.focus_get() is composer.text, "the keyboard in the composer")
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:  # and it stays there: the closed menu takes nothing back
        root.update()
    assert root.focus_get() is composer.text


def test_reply_from_the_menu_shows_the_bar_and_enter_sends_send_reply_and_draws_it(
    chat: ChatController, main: MainView, host: RecordingHost
) -> None:
    chat.model.set_contact(ev.ContactView(BOB, "Bob", False, False, ""))
    theirs = ev.MessageView(
        "in1", BOB, False, "lunch on Tuesday?", time.time() - 9, ev.MessageStatus.RECEIVED
    )
    shown(main, theirs)
    composer = main.conversation.composer
    chat.actions.chosen(theirs, MenuAction.REPLY, "")
    main.update()
    assert composer.answer.winfo_manager() == "grid"
    assert composer.answer.words == "Replying to Bob: lunch on Tuesday?"
    composer.set("yes, at noon")
    press_return(main.conversation.text)
    engine = ActionsEngine(theirs)
    run(host.take("send_reply"), engine, host)
    assert engine.calls == [("send_reply", ("in1", "yes, at noon"), {"contact": BOB})]
    assert not composer.answer.winfo_manager() and composer.value == ""
    assert main.conversation.messages.message_ids() == ["in1", "reply1"]  # drawn at once
    assert main.conversation.messages.block.by_id["reply1"].message.reply_to is not None


def test_escape_cancels_a_reply_and_enter_then_sends_a_plain_text(
    chat: ChatController, main: MainView, host: RecordingHost
) -> None:
    theirs = ev.MessageView("in1", BOB, False, "lunch?", time.time() - 9, ev.MessageStatus.RECEIVED)
    shown(main, theirs)
    composer = main.conversation.composer
    chat.actions.chosen(theirs, MenuAction.REPLY, "")
    composer.set("sure")
    main.conversation.text.focus_force()
    main.update()
    main.conversation.text.event_generate("<Escape>")
    main.update()
    assert composer.answer.mode == "" and not composer.answer.winfo_manager()
    assert composer.value == "sure"  # what was typed stays
    press_return(main.conversation.text)
    assert "send" in [c.name for c in host.commands] and "send_reply" not in [c.name for c in host.commands]


def test_edit_puts_the_text_in_the_composer_and_enter_sends_edit_message_then_the_draft_returns(
    chat: ChatController, main: MainView, host: RecordingHost
) -> None:
    mine = ours()
    shown(main, mine)
    composer = main.conversation.composer
    composer.set("a half-written thought")
    chat.actions.chosen(mine, MenuAction.EDIT, "")
    main.update()
    assert composer.answer.words.startswith("Editing") and composer.value == "see you at noon"
    composer.set("see you at one")
    press_return(main.conversation.text)
    assert composer.value == "a half-written thought"  # the draft comes back
    engine = ActionsEngine(mine)
    run(host.take("edit_message"), engine, host)
    assert engine.calls == [("edit_message", ("out1", "see you at one"), {"contact": BOB})]
    assert main.conversation.messages.drawn_text("out1") == "see you at one"
    assert main.conversation.messages.meta_text("out1").startswith("edited")


def test_an_edit_refused_as_too_late_comes_back_in_the_bar_and_escape_gives_back_the_draft(
    chat: ChatController, main: MainView, host: RecordingHost
) -> None:
    mine = ours()
    shown(main, mine)
    composer = main.conversation.composer
    composer.set("draft")
    chat.actions.chosen(mine, MenuAction.EDIT, "")
    composer.set("see you at one")
    press_return(main.conversation.text)
    engine = ActionsEngine(mine)
    engine.refuse = EngineError("too_late", "A message can be edited only within 24 hours of sending it.")
    run(host.take("edit_message"), engine, host)
    assert host.reports == [("too_late", "A message can be edited only within 24 hours of sending it.")]
    assert composer.answer.mode == "edit" and composer.value == "see you at one"
    assert main.conversation.messages.drawn_text("out1") == "see you at noon"
    composer.answer.close_button.invoke()
    assert composer.value == "draft" and composer.answer.mode == ""


def test_a_reply_in_a_group_names_the_member_and_goes_with_the_group_and_sender(
    chat: ChatController, main: MainView, host: RecordingHost
) -> None:
    chat.model.set_contact(ev.ContactView(CAROL, "Carol", False, False, ""))
    chat.model.set_group(ev.GroupView("g1", "Hikers", (), "member", 1, 0.0))
    chat.open("g1")
    host.commands.clear()
    carols = ev.MessageView(
        "c1", "", False, "summit at 3", time.time(), ev.MessageStatus.RECEIVED, group_id="g1", sender=CAROL
    )
    shown(main, carols)
    chat.actions.chosen(carols, MenuAction.REPLY, "")
    assert main.conversation.composer.answer.words == "Replying to Carol: summit at 3"
    main.conversation.composer.set("on my way")
    press_return(main.conversation.text)
    engine = ActionsEngine(carols)
    run(host.take("send_reply"), engine, host)
    assert engine.calls == [("send_reply", ("c1", "on my way"), {"group_id": "g1", "sender": CAROL})]


def test_opening_another_conversation_ends_an_edit_and_keeps_the_draft_for_the_return(
    chat: ChatController, main: MainView, host: RecordingHost
) -> None:
    mine = ours()
    shown(main, mine)
    composer = main.conversation.composer
    composer.set("draft for Bob")
    chat.actions.chosen(mine, MenuAction.EDIT, "")
    chat.open(CAROL)
    assert composer.answer.mode == "" and composer.value == ""
    chat.open(BOB)
    assert composer.value == "draft for Bob"


def test_details_from_the_menu_open_a_window_with_the_times_and_escape_closes_it(
    chat: ChatController, main: MainView, host: RecordingHost
) -> None:
    chat.model.set_contact(ev.ContactView(BOB, "Bob", False, False, ""))
    mine = ours()
    shown(main, mine)
    chat.actions.chosen(mine, MenuAction.DETAILS, "")
    details = ev.MessageDetails(mine, mine.sent_at, delivered_at=mine.sent_at + 1, reactions=((BOB, "👍"),))
    engine = ActionsEngine(mine)
    engine.details = details
    run(host.take("message_details"), engine, host)
    assert engine.calls == [("message_details", ("out1",), {"contact": BOB})]
    dialog = chat.actions.dialog
    assert dialog is not None and dialog.winfo_exists()
    assert [heading for heading, _lines in dialog.sections] == ["Times", "Reactions"]
    assert dialog.sections[1][1] == ["Bob: 👍"]
    shown_words = [str(w.cget("text")) for w in dialog.winfo_children()[0].winfo_children()]
    assert "Read not yet" in shown_words
    dialog.focus_force()
    main.update()
    dialog.event_generate("<Escape>")
    main.update()
    assert not dialog.winfo_exists()


def test_a_deletion_asks_first_and_escape_or_cancel_deletes_nothing(
    chat: ChatController, main: MainView, host: RecordingHost, root: tk.Tk
) -> None:
    mine = ours()
    shown(main, mine)
    chat.actions.chosen(mine, MenuAction.DELETE_FOR_EVERYONE, "")
    question = chat.actions.question
    assert question is not None and question.title() == "Delete for everyone?"
    assert "deleted for everyone" in question.words
    root.update()
    assert question.focus_get() is question.cancel_button  # an Enter once too often deletes nothing
    question.event_generate("<Escape>")
    root.update()
    assert not question.winfo_exists() and not [c for c in host.commands if c.name.startswith("delete")]
    chat.actions.chosen(mine, MenuAction.DELETE_FOR_ME, "")
    again = chat.actions.question
    assert again is not None and again.title() == "Delete for me?"
    again.cancel_button.invoke()
    root.update()
    assert not [c for c in host.commands if c.name.startswith("delete")]
    assert main.conversation.messages.drawn_text("out1") == "see you at noon"
