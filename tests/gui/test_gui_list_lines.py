"""The conversation list's last line follows an edit, a deletion and a removal of the last message.

The chat controller runs on real views against a small recording host (as in test_gui_actions):
events come in as the app's drain delivers them, and the list is drawn as after a batch.
"""

from __future__ import annotations

import time
import tkinter as tk
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, TypeVar

import pytest
from gui_support import (
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
)

from gui.controllers.chat import ChatController
from gui.views.main_view import MainView
from gui.views.theme import LIGHT, Palette, apply_theme, make_fonts
from gui.window_session import WindowSession
from gui.worker import Command, CommandDone
from net.client.core import events as ev

T = TypeVar("T")
ALICE, BOB = "+442079460101", "+442079460202"


class RecordingHost:
    def __init__(self) -> None:
        self.session = WindowSession("localhost:7700", "Alice", ALICE)
        self.palette: Palette = LIGHT
        self.screen: tk.Widget | None = None
        self.commands: list[Command[Any]] = []
        self.busy = False

    def do(self, command: Command[T], *, busy: str | None = None) -> None:
        self.commands.append(command)

    def show_screen(self, screen: tk.Widget) -> None:
        self.screen = screen

    def report(self, code: str, message: str) -> None:
        raise AssertionError(f"nothing should be refused here: {code}")

    def update_title(self) -> None:
        pass


class ConversationsEngine:
    def __init__(self, views: list[ev.ConversationView]) -> None:
        self.views = views

    def conversations(self) -> list[ev.ConversationView]:
        return self.views


@pytest.fixture
def setup(display: None) -> Iterator[tuple[ChatController, RecordingHost]]:
    root = tk.Tk()
    apply_theme(root, LIGHT, make_fonts(root))
    main = MainView(root, LIGHT, make_fonts(root))
    main.pack(fill="both", expand=True)
    host = RecordingHost()
    chat = ChatController(host, root, main)
    chat.model.ensure_conversation(BOB, "Bob")
    try:
        yield chat, host
    finally:
        root.destroy()


def _arrived(chat: ChatController, text: str, message_id: str, at: float) -> ev.MessageView:
    message = ev.MessageView(message_id, BOB, False, text, at, ev.MessageStatus.RECEIVED)
    chat.handle(ev.MessageReceived(message))
    chat.flush()
    return message


def _line(chat: ChatController) -> str:
    row = chat.view.conversations.row_text(BOB)
    assert row is not None
    return row[1]


def test_an_edited_last_message_gives_the_list_its_new_text(
    setup: tuple[ChatController, RecordingHost],
) -> None:
    chat, _host = setup
    last = _arrived(chat, "see you at 5", "m1", time.time())
    assert _line(chat) == "see you at 5"
    chat.handle(ev.MessageChanged(replace(last, text="see you at 6", edited=True)))
    chat.flush()
    assert _line(chat) == "see you at 6"


def test_a_last_message_deleted_for_everyone_is_worded_so_and_an_earlier_one_changes_nothing(
    setup: tuple[ChatController, RecordingHost],
) -> None:
    chat, _host = setup
    now = time.time()
    first = _arrived(chat, "the plan", "m1", now - 10)
    last = _arrived(chat, "oops, wrong chat", "m2", now)
    chat.handle(ev.MessageChanged(replace(first, text="", deleted=True)))
    chat.flush()
    assert _line(chat) == "oops, wrong chat"
    chat.handle(ev.MessageChanged(replace(last, text="", deleted=True)))
    chat.flush()
    assert _line(chat) == "This message was deleted"


def test_a_removed_last_message_asks_the_engine_for_the_line_that_is_left(
    setup: tuple[ChatController, RecordingHost],
) -> None:
    chat, host = setup
    now = time.time()
    _arrived(chat, "the plan", "m1", now - 10)
    last = _arrived(chat, "a secret that disappears", "m2", now)
    host.commands.clear()
    chat.handle(ev.MessageChanged(last, removed=True))
    [command] = [c for c in host.commands if c.name == "conversations"]
    engine = ConversationsEngine([ev.ConversationView(BOB, "Bob", "the plan", now - 10, 0)])
    CommandDone(command, command.call(engine)).deliver()  # type: ignore[arg-type]
    chat.flush()
    assert _line(chat) == "the plan"
    assert "secret" not in _line(chat)
