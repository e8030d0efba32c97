"""Honest presence in the real window: read receipts go only for what was on screen in a focused window.

Alice's window is a real Tk window under Xvfb; another Tk application takes the
keyboard focus from it, as another program's window does on a desktop. Bob is
a headless engine on the same real server. "No read receipt came" is proved
without a clock: Alice's app then sends Bob a text, and her outbox keeps order,
so once Bob has that text any receipt queued before it has arrived too.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import InProcessServer, fresh_phone
from gui_support import (
    create_and_register,
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    register_peer,
    start_conversation,
    wait_until,
)

from gui.app import App
from gui.tooling.peer import HeadlessPeer
from net.client.core import events as ev
from net.client.core.privacy import PrivacySettings


@pytest.fixture
def chat(
    display: object, tmp_path: Path, dev_server: InProcessServer
) -> Iterator[tuple[App, HeadlessPeer, tk.Tk]]:
    app = App(
        profiles_root=tmp_path / "alice", config_dir=tmp_path / "config", local_server_dir=tmp_path / "ls"
    )
    bob = HeadlessPeer.with_profiles(tmp_path / "bob")
    other = tk.Tk(className="Elsewhere")  # another program's window
    other.geometry("300x200+700+100")
    entry = tk.Entry(other)
    entry.pack()
    try:
        wait_until(app.root, lambda: not app.busy, "the profile list")
        alice_phone, bob_phone = fresh_phone(), fresh_phone()
        create_and_register(app, dev_server, alice_phone)
        register_peer(bob, dev_server, bob_phone, "Bob")
        start_conversation(app, bob_phone, "Bob")
        bob.call(lambda engine: engine.add_contact(alice_phone, "Alice"))
        yield app, bob, other
    finally:
        bob.stop()
        app.close()
        other.destroy()


def _take_focus(widget: tk.Misc, root: tk.Tk, looked: bool, app: App) -> None:
    widget.focus_force()
    wait_until(
        root,
        lambda: app.chat.presence.looked_at() is looked,
        f"the window {'with' if looked else 'without'} focus",
    )


def _from_bob(app: App, bob: HeadlessPeer, text: str) -> str:
    alice = app.session.phone
    sent = bob.call(lambda engine: engine.send_text(alice, text))
    messages = app.main.conversation.messages
    wait_until(app.root, lambda: sent.message_id in messages.message_ids(), f"Bob's {text!r} in the window")
    return sent.message_id


def _alice_says(app: App, bob: HeadlessPeer, text: str) -> None:
    app.chat.send(text)  # the controller's own send: no key press, so the focus stays where it is
    bob.wait_for(lambda e: isinstance(e, ev.MessageReceived) and e.message.text == text)


def _wait_read_here(app: App, message_id: str) -> None:
    """Alice's engine marked the message read (and so queued the receipt): the window runs while it waits."""
    messages = app.main.conversation.messages
    wait_until(app.root, lambda: messages.status_of(message_id) == ev.MessageStatus.READ, "the message read")


def _read_at_bob(bob: HeadlessPeer, message_id: str) -> bool:
    return any(
        isinstance(e, ev.MessageStatusChanged)
        and e.message_id == message_id
        and e.status == ev.MessageStatus.READ
        for e in bob.events
    )


def test_no_read_receipt_while_the_window_is_unfocused_then_focus_sends_it(
    chat: tuple[App, HeadlessPeer, tk.Tk],
) -> None:
    app, bob, other = chat
    _take_focus(other.winfo_children()[0], other, False, app)
    first = _from_bob(app, bob, "Are you looking?")
    assert first in app.main.conversation.messages.visible_ids()  # on screen, but nobody looks
    _alice_says(app, bob, "sent while unfocused")
    assert not _read_at_bob(bob, first)
    assert app.root.title().startswith("(1)")

    _take_focus(app.main.conversation.text, app.root, True, app)
    _wait_read_here(app, first)
    bob.wait_for(
        lambda e: (
            isinstance(e, ev.MessageStatusChanged)
            and e.message_id == first
            and e.status == ev.MessageStatus.READ
        )
    )
    wait_until(app.root, lambda: not app.root.title().startswith("("), "the unread count gone")


def test_a_message_not_on_screen_is_not_read_until_its_conversation_is_shown(
    chat: tuple[App, HeadlessPeer, tk.Tk],
) -> None:
    app, bob, _other = chat
    _take_focus(app.main.conversation.text, app.root, True, app)
    app.settings.open_settings()  # focused, but the conversation is not on screen
    alice = app.session.phone
    sent = bob.call(lambda engine: engine.send_text(alice, "Behind the settings"))
    wait_until(app.root, lambda: app.chat.model.total_unread == 1, "Bob's message counted unread")
    _alice_says(app, bob, "sent from the settings")
    assert not _read_at_bob(bob, sent.message_id)

    app.chat.back()  # the conversation again: now the message is on screen in a focused window
    _wait_read_here(app, sent.message_id)
    bob.wait_for(
        lambda e: (
            isinstance(e, ev.MessageStatusChanged)
            and e.message_id == sent.message_id
            and e.status == ev.MessageStatus.READ
        )
    )


def test_with_read_receipts_off_in_settings_reading_sends_none(chat: tuple[App, HeadlessPeer, tk.Tk]) -> None:
    app, bob, _other = chat
    _take_focus(app.main.conversation.text, app.root, True, app)
    app.settings.open_settings()
    section = app.main.settings.privacy
    wait_until(app.root, lambda: not app.busy, "the settings")
    section.receipts_button.invoke()
    section.typing_button.invoke()
    assert section.settings == PrivacySettings(read_receipts=False, typing_notices=False)
    wait_until(app.root, lambda: app.worker.alive and not app.busy, "the settings saved")
    app.chat.back()
    _take_focus(app.main.conversation.text, app.root, True, app)
    read = _from_bob(app, bob, "Will you tell me you read this?")
    wait_until(app.root, lambda: app.chat.model.total_unread == 0, "the message read on Alice's side")
    app.chat.typing()  # a key pressed in the composer: no notice goes either
    _alice_says(app, bob, "no receipt, no notice")
    assert not _read_at_bob(bob, read)
    assert not any(isinstance(e, ev.TypingChanged) for e in bob.events)
