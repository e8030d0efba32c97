"""The contact details in the app, through its widgets: the safety number, verified, the name, a new key.

A real Tk window under Xvfb and the real engine; Bob is a profile without a
window on the same real server over TLS, reinstalled for the key change. Every
wait has a timeout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import InProcessServer, fresh_phone
from gui_support import (
    app_knows,
    create_and_register,
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    register_peer,
    start_conversation,
    type_into,
    wait_until,
)

from gui.app import App
from gui.tooling.peer import HeadlessPeer
from gui.view_models.wording import safety_number_rows
from net.client.core import events as ev


@pytest.fixture
def peers(tmp_path: Path) -> Iterator[Callable[[str], HeadlessPeer]]:
    started: list[HeadlessPeer] = []

    def make(name: str) -> HeadlessPeer:
        started.append(HeadlessPeer.with_profiles(tmp_path / name))
        return started[-1]

    yield make
    for peer in started:
        peer.stop()


def test_the_details_show_the_safety_number_mark_it_verified_rename_and_accept_a_new_key(
    app: App, peers: Callable[[str], HeadlessPeer], server_factory: Callable[..., InProcessServer]
) -> None:
    server = server_factory(dev_codes=True)
    alice_phone, bob_phone = fresh_phone(), fresh_phone()
    create_and_register(app, server, alice_phone)
    bob = peers("bob")
    register_peer(bob, server, bob_phone, "Bob", knows=alice_phone)
    app_knows(app, bob_phone)
    start_conversation(app, bob_phone, "Bob")
    main, pane, details = app.main, app.main.conversation, app.main.details
    bob.call(lambda engine: engine.add_contact(alice_phone, "Alice"))
    bob.call(lambda engine: engine.send_text(alice_phone, "Hello Alice"))
    wait_until(app.root, lambda: len(pane.messages.message_ids()) == 1, "Bob's message")

    # the safety number is the one Bob sees, in groups of five; mark it verified
    pane.details_button.invoke()
    wait_until(app.root, lambda: main.pane is details, "the contact details")
    first_number = bob.call(lambda engine: engine.safety_number(alice_phone))
    shown = str(details.digits.cget("text"))
    assert shown.replace(" ", "").replace("\n", "") == first_number
    assert all(len(group) == 5 for group in shown.split())
    assert not details.changed.winfo_manager()
    details.verified.invoke()
    wait_until(app.root, lambda: app.chat.model.contacts[bob_phone].verified, "the verified mark")
    assert "✓ verified" in str(pane.subtitle.cget("text"))  # the header follows

    # a new name is saved and shown everywhere; one that is no name is refused in words, nothing changes
    type_into(details.rename_entry, "Bob Builder")
    details.save_button.invoke()
    wait_until(app.root, lambda: app.chat.model.name(bob_phone) == "Bob Builder", "the new name")
    assert main.conversations.row_text(bob_phone)[0] == "Bob Builder"
    assert str(details.name.cget("text")) == "Bob Builder"
    type_into(details.rename_entry, "B" * 65)
    details.save_button.invoke()
    assert main.notice_shown == "A name can have at most 64 characters."
    assert app.chat.model.name(bob_phone) == "Bob Builder"
    details.on_back()
    wait_until(app.root, lambda: main.pane is pane, "the conversation again")

    # Bob reinstalls: the details show the new number, the one before it, and accept the change
    bob.stop()
    new_bob = peers("bob-reinstalled")
    register_peer(new_bob, server, bob_phone, "Bob", knows=alice_phone)
    new_bob.call(lambda engine: engine.add_contact(alice_phone, "Alice"))
    new_bob.call(lambda engine: engine.send_text(alice_phone, "New phone, same Bob"))
    wait_until(app.root, lambda: pane.key_warning_shown, "the key-change warning")
    pane.compare_button.invoke()
    wait_until(app.root, lambda: main.pane is details and details.changed.winfo_manager(), "the change")
    new_number = new_bob.call(lambda engine: engine.safety_number(alice_phone))
    assert str(details.digits.cget("text")).replace(" ", "").replace("\n", "") == new_number != first_number
    note = str(details.changed_text.cget("text"))
    assert "\n".join(safety_number_rows(first_number)) in note  # the number before the change
    assert not details.verified_var.get()  # a new key is not verified
    details.changed_button.invoke()
    wait_until(app.root, lambda: not details.changed.winfo_manager(), "the change accepted")
    assert not pane.key_warning_shown and bob_phone not in app.chat.model.key_changed
    out = (ev.MessageStatus.SENT, ev.MessageStatus.DELIVERED, ev.MessageStatus.READ)
    details.on_back()
    wait_until(app.root, lambda: main.pane is pane and len(pane.messages.shown()) == 3, "the conversation")
    pane.composer.set("Welcome back")
    pane.send_button.invoke()
    wait_until(app.root, lambda: pane.messages.shown()[-1].text == "Welcome back", "my message")
    sent = pane.messages.message_ids()[-1]
    wait_until(app.root, lambda: pane.messages.status_of(sent) in out, "my message to go out to the new key")
