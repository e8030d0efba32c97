"""Message requests and names in the real app: a Tk window under Xvfb, the real engine and server.

Alice uses the window through its widgets; Bob and a stranger are profiles
without a window. What goes back to the stranger is asserted on the stranger's
side. Every wait is on a condition with a timeout.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
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
from gui.view_models.names import formatted_number
from net.client.core.events import MessageStatus, MessageStatusChanged, TypingChanged


@pytest.fixture
def app(display: object, tmp_path: Path) -> Iterator[App]:
    app = App(
        profiles_root=tmp_path / "alice", config_dir=tmp_path / "config", local_server_dir=tmp_path / "ls"
    )
    app.root.geometry("1120x740")
    wait_until(app.root, lambda: not app.busy, "the profile list")
    yield app
    app.close()


@pytest.fixture
def peers(tmp_path: Path) -> Iterator[Callable[[str], HeadlessPeer]]:
    started: list[HeadlessPeer] = []

    def make(name: str) -> HeadlessPeer:
        started.append(HeadlessPeer.with_profiles(tmp_path / name))
        return started[-1]

    yield make
    for peer in started:
        peer.stop()


def _answers(peer: HeadlessPeer) -> list[object]:
    return [
        e
        for e in peer.events
        if isinstance(e, TypingChanged)
        or (isinstance(e, MessageStatusChanged) and e.status in (MessageStatus.DELIVERED, MessageStatus.READ))
    ]


def _pump(app: App, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.root.update()
        time.sleep(0.02)


def test_a_strangers_message_is_a_request_and_accept_block_delete_work_through_the_widgets(
    app: App, peers: Callable[[str], HeadlessPeer], server_factory: Callable[..., InProcessServer]
) -> None:
    server = server_factory(dev_codes=True)
    alice_phone, stranger_phone, other_phone = fresh_phone(), fresh_phone(), fresh_phone()
    stranger, other = peers("stranger"), peers("other")
    register_peer(stranger, server, stranger_phone, "Sam")
    register_peer(other, server, other_phone, "Olga")
    create_and_register(app, server, alice_phone)
    listing = app.main.conversations

    stranger.call(lambda e: e.add_contact(alice_phone))
    stranger.call(lambda e: e.send_text(alice_phone, "hello from a stranger"))
    wait_until(app.root, lambda: listing.requests_title == "Message requests · 1", "the requests row")
    assert listing.contacts() == []  # not in the conversation list
    assert app.chat.model.total_unread == 0
    # A click on the row opens the requests window with the number, the name they sent, the text.
    listing.canvas.update()
    listing.canvas.event_generate("<Button-1>", x=40, y=20)
    wait_until(app.root, lambda: app.requests.dialog is not None, "the requests window")
    dialog = app.requests.dialog
    assert dialog is not None
    wait_until(app.root, lambda: dialog.shown_text() == "hello from a stranger", "the request's messages")
    assert dialog.listbox.get(0).startswith(f"{formatted_number(stranger_phone)} — “Sam”")
    _pump(app, 1.0)
    assert _answers(stranger) == []  # looked at, and still nothing went back

    other.call(lambda e: e.add_contact(alice_phone))
    other.call(lambda e: e.send_text(alice_phone, "spam"))
    wait_until(app.root, lambda: dialog.listbox.size() == 2, "the second request")
    dialog.listbox.selection_clear(0, "end")
    index = next(i for i in range(2) if dialog.listbox.get(i).startswith(formatted_number(other_phone)))
    dialog.listbox.selection_set(index)
    dialog.listbox.event_generate("<<ListboxSelect>>")
    wait_until(app.root, lambda: dialog.selected == other_phone and dialog.shown_text() == "spam", "Olga's")
    dialog.block_button.invoke()
    wait_until(app.root, lambda: dialog.listbox.size() == 1, "the blocked request gone")
    other.call(lambda e: e.send_text(alice_phone, "more spam"))
    wait_until(app.root, lambda: "1 message from blocked numbers dropped" in listing.requests_line, "dropped")

    # The window fits the screen, and Enter in its list accepts (the default button), by the keyboard.
    dialog.update_idletasks()
    assert dialog.winfo_width() <= dialog.winfo_screenwidth()
    assert dialog.winfo_height() <= dialog.winfo_screenheight()
    dialog.listbox.focus_force()
    dialog.listbox.event_generate("<Return>")
    wait_until(app.root, lambda: listing.contacts() == [stranger_phone], "the accepted conversation")
    wait_until(app.root, lambda: app.chat.model.open_contact == stranger_phone, "it opened")
    wait_until(app.root, lambda: app.requests.dialog is None, "the requests window closed: none left")
    assert listing.row_text(stranger_phone)[0] == "Sam"  # type: ignore[index]
    header = app.main.conversation
    assert header.name.cget("text") == "Sam"
    assert header.subtitle.cget("text") == formatted_number(stranger_phone)  # beneath the name, once
    stranger.wait_for(lambda e: isinstance(e, MessageStatusChanged) and e.status is MessageStatus.DELIVERED)

    stranger.call(lambda e: e.send_text(alice_phone, "now a conversation"))
    wait_until(app.root, lambda: listing.row_text(stranger_phone)[1] == "now a conversation", "the reply")  # type: ignore[index]
    assert listing.requests_title == "Message requests"  # no request left; the dropped count stays


def test_a_request_deleted_through_the_window_is_gone_and_names_show_in_the_list(
    app: App, peers: Callable[[str], HeadlessPeer], server_factory: Callable[..., InProcessServer]
) -> None:
    server = server_factory(dev_codes=True)
    alice_phone, bob_phone, stranger_phone = fresh_phone(), fresh_phone(), fresh_phone()
    bob, stranger = peers("bob"), peers("stranger")
    register_peer(bob, server, bob_phone, "Bob")
    register_peer(stranger, server, stranger_phone, "Sam")
    create_and_register(app, server, alice_phone)
    listing = app.main.conversations

    bob.call(lambda e: e.add_contact(alice_phone))  # Bob knows Alice: his name goes with his receipt
    start_conversation(app, bob_phone, "")  # no nickname: the name Bob sends is shown
    app.main.conversation.text.insert("1.0", "hi Bob")
    app.main.conversation.send_button.invoke()
    wait_until(app.root, lambda: (listing.row_text(bob_phone) or ("",))[0] == "Bob", "Bob's own name")
    assert app.main.conversation.name.cget("text") == "Bob"
    assert app.main.conversation.subtitle.cget("text") == formatted_number(bob_phone)

    stranger.call(lambda e: e.add_contact(alice_phone))
    stranger.call(lambda e: e.send_text(alice_phone, "delete me"))
    wait_until(app.root, lambda: listing.requests_title == "Message requests · 1", "the request")
    app.requests.open()
    dialog = app.requests.dialog
    assert dialog is not None
    wait_until(app.root, lambda: dialog.shown_text() == "delete me", "the request's message")
    dialog.delete_button.invoke()
    wait_until(app.root, lambda: listing.requests_title == "", "the requests row gone")
    wait_until(app.root, lambda: app.requests.dialog is None, "the requests window closed: none left")
    assert listing.contacts() == [bob_phone]
