"""Groups in the app, through its widgets: made from the window, names in colours, receipts k of n, changes.

A real Tk window under Xvfb and the real engine on a real server over TLS; the
other members are profiles without a window (gui.tooling.peer). Every wait has
a timeout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import InProcessServer, fresh_phone
from gui_support import (
    create_and_register,
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    press,
    register_peer,
    type_into,
    wait_until,
)

from gui.app import App
from gui.tooling.peer import HeadlessPeer
from gui.view_models.group_text import sender_colour
from gui.worker import Command
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


def _notes(app: App) -> list[str]:
    messages = app.main.conversation.messages
    canvas = messages.canvas
    return [
        str(canvas.itemcget(d.text_item, "text"))
        for d in messages.block.drawn
        if d.message.notice and d.text_item
    ]


def test_a_group_made_from_the_window_shows_senders_receipts_and_every_change_as_a_note(
    app: App, peers: Callable[[str], HeadlessPeer], server_factory: Callable[..., InProcessServer]
) -> None:
    server = server_factory(dev_codes=True)
    alice, bob_phone, carol_phone, dave_phone = (fresh_phone() for _ in range(4))
    create_and_register(app, server, alice)
    bob, carol, dave = peers("bob"), peers("carol"), peers("dave")
    register_peer(bob, server, bob_phone, "Bob", knows=alice)
    register_peer(carol, server, carol_phone, "Carol", knows=alice)
    register_peer(dave, server, dave_phone, "Dave", knows=alice)
    named: list[object] = []
    people = ((bob_phone, "Bob"), (carol_phone, "Carol"), (dave_phone, "Dave"))
    call = lambda engine: [engine.add_contact(p, n) for p, n in people]  # noqa: E731
    app.do(Command("contacts", call, named.append))
    wait_until(app.root, lambda: bool(named), "the contacts named")
    app.chat.load()
    wait_until(app.root, lambda: not app.busy and bob_phone in app.chat.model.contacts, "the contacts")
    m = app.main

    # the form: Ctrl+Shift+N opens it; no name is refused in a sentence; Bob ticked, Carol typed
    m.conversations.canvas.focus_force()
    press(m.conversations.canvas, "<Control-Shift-N>")
    form = m.new_group
    wait_until(app.root, lambda: m.pane is form, "the new-group form")
    press(form.name.entry, "<Return>")
    assert "Give the group a name" in str(form.name.note.cget("text"))
    type_into(form.name.entry, "Book club")
    type_into(form.filter, "bo")
    assert [row.split(maxsplit=1)[1] for row in form.shown_names] == ["Bob"]
    form.checklist.focus_force()
    form.checklist.activate(0)
    press(form.checklist, "<space>")
    type_into(form.typed.entry, carol_phone)
    press(form.typed.entry, "<Return>")
    model = app.chat.model
    wait_until(
        app.root, lambda: model.is_group(model.open_contact) and not app.busy, "the group's conversation"
    )
    group_id = model.open_contact or ""
    pane = m.conversation
    assert str(pane.name.cget("text")) == "Book club"
    assert str(pane.subtitle.cget("text")) == "3 members"
    assert pane.menu_labels() == [
        "Search in this conversation",
        "Members",
        "Rename",
        "Leave",
        "Disappearing messages: Off",
    ]
    assert m.conversations.row_text(group_id) is not None

    # a message from each, with the sender's name above it in their colour; the list says who wrote last
    for peer in (bob, carol):
        peer.wait_for(lambda e: isinstance(e, ev.GroupChanged))
    messages = pane.messages
    bob.call(lambda engine: engine.send_group_text(group_id, "Hi all"))
    wait_until(app.root, lambda: any(x.text == "Hi all" for x in messages.shown()), "Bob's message")
    carol.call(lambda engine: engine.send_group_text(group_id, "see you"))
    wait_until(app.root, lambda: sum(not x.outgoing for x in messages.shown() if not x.notice) == 2, "both")
    senders = {
        str(messages.canvas.itemcget(i, "text")): str(messages.canvas.itemcget(i, "fill"))
        for i in messages.canvas.find_withtag("sender")
    }
    assert senders == {"Bob": sender_colour(bob_phone, "light"), "Carol": sender_colour(carol_phone, "light")}
    wait_until(app.root, lambda: m.conversations.row_text(group_id)[1] == "Carol: see you", "the list's line")

    # ours shows delivered to k of n, then read by k of n
    pane.text.insert("1.0", "Welcome!")
    press(pane.text, "<Return>")
    wait_until(app.root, lambda: any(x.outgoing and x.text == "Welcome!" for x in messages.shown()), "ours")
    mine = next(x for x in messages.shown() if x.outgoing and x.text == "Welcome!").message_id
    wait_until(app.root, lambda: "✓ 2/2" in messages.meta_text(mine), "delivered to 2 of 2")
    bob.call(lambda engine: engine.mark_read(group_id))
    wait_until(app.root, lambda: "read 1/2" in messages.meta_text(mine), "read by 1 of 2")

    # the members pane: names, marks; add Dave, make Bob an admin, remove Carol, rename: each a note
    pane.details_button.invoke()
    members = m.members
    wait_until(app.root, lambda: m.pane is members and len(members.rows()) == 3, "the members pane")
    assert members.rows()[0][0].startswith("You  (") and "admin" in members.rows()[0][1]
    members.add_button.invoke()
    wait_until(app.root, lambda: m.pane is form and form.adding, "the add-members form")
    assert [row.split(maxsplit=1)[1] for row in form.shown_names] == ["Dave"]
    form.tick(dave_phone)
    form.create_button.invoke()
    wait_until(app.root, lambda: m.pane is members and len(members.rows()) == 4, "Dave added")
    members.list.selection_set(bob_phone)
    wait_until(app.root, lambda: members.member_buttons() == ["Remove", "Make admin"], "Bob's buttons")
    members.admin_button.invoke()
    wait_until(app.root, lambda: "admin" in dict(members.rows())[f"Bob  ({_fmt(bob_phone)})"], "Bob an admin")
    members.list.selection_set(carol_phone)
    wait_until(app.root, lambda: members.member_buttons() == ["Remove", "Make admin"], "Carol's buttons")
    members.remove_button.invoke()
    wait_until(app.root, lambda: len(members.rows()) == 3, "Carol removed")
    type_into(members.rename_entry, "Hikers")
    press(members.rename_entry, "<Return>")
    wait_until(app.root, lambda: str(members.name.cget("text")) == "Hikers", "the new name")
    press(members.list, "<Escape>")
    wait_until(app.root, lambda: m.pane is pane, "the conversation again")
    wait_until(app.root, lambda: str(pane.name.cget("text")) == "Hikers", "the header's new name")
    said = (
        "You added Dave",
        "You made Bob an admin",
        "You removed Carol",
        "You renamed the group to “Hikers”",
    )
    wait_until(app.root, lambda: set(said) <= set(_notes(app)), "the notes in the timeline")

    # Bob leaves: a note; then we leave (the button asks once more), and the header says so
    bob.call(lambda engine: engine.leave_group(group_id))
    wait_until(app.root, lambda: "Bob left" in _notes(app), "Bob's leaving")
    pane.details_button.invoke()
    wait_until(app.root, lambda: m.pane is members, "the members pane")
    members.leave_button.invoke()
    assert str(members.leave_button.cget("text")) == "Press again to leave"
    members.leave_button.invoke()
    wait_until(app.root, lambda: model.groups[group_id].standing == "left", "we left")
    assert "no longer" in str(members.count.cget("text"))
    assert m.notice_shown == ""  # nothing went wrong on the way (reading up to a note, say)


def _fmt(phone: str) -> str:
    from gui.view_models.names import formatted_number

    return formatted_number(phone)


def test_a_strangers_group_invitation_is_a_request_accepted_as_a_whole(
    app: App, peers: Callable[[str], HeadlessPeer], server_factory: Callable[..., InProcessServer]
) -> None:
    server = server_factory(dev_codes=True)
    alice, sam_phone = fresh_phone(), fresh_phone()
    create_and_register(app, server, alice)
    sam = peers("sam")
    register_peer(sam, server, sam_phone, "Sam")
    group = sam.call(lambda engine: engine.create_group("Prize club", [alice]))
    sam.call(lambda engine: engine.send_group_text(group.group_id, "Welcome, winners!"))
    listing = app.main.conversations
    wait_until(app.root, lambda: listing.requests_title == "Message requests · 1", "the requests row")
    assert app.main.conversations.row_text(group.group_id) is None  # not a conversation yet
    listing.on_requests()
    dialog = app.requests.dialog
    assert dialog is not None
    wait_until(app.root, lambda: "Welcome, winners!" in dialog.shown_text(), "the invitation's messages")
    heading = str(dialog.heading.cget("text"))
    assert "added you to the group “Prize club”" in heading and "“Sam”" in heading
    assert str(dialog.listbox.get(0)).startswith("Group “Prize club”")
    dialog.accept_button.invoke()
    model = app.chat.model
    wait_until(app.root, lambda: model.open_contact == group.group_id, "the group's conversation")
    assert str(app.main.conversation.name.cget("text")) == "Prize club"
    wait_until(app.root, lambda: listing.requests_title == "", "the requests row gone")
