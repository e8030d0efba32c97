"""Search across all conversations in the real app: a Tk window under Xvfb, the real engine and server.

Alice uses the window through its widgets and keys; Bob and Carol are profiles
without a window that write to her. Every wait is on a condition with a timeout.
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
    press,
    register_peer,
    type_into,
    wait_until,
)

from gui.app import App
from gui.controllers.chat import AROUND
from gui.tooling.peer import HeadlessPeer
from gui.view_models.search_model import NO_MATCHES, Header, Hit
from gui.views.theme import DARK
from gui.worker import Command
from net.client.core import events as ev

FILLER = 60
ZEBRA_AT = 10  # Bob's message with the word, far enough back that the newest page does not hold it


@pytest.fixture
def app(display: object, tmp_path: Path) -> Iterator[App]:
    app = App(
        profiles_root=tmp_path / "alice", config_dir=tmp_path / "config", local_server_dir=tmp_path / "ls"
    )
    app.root.geometry("800x600")  # the smallest window the app allows (its minimum is a little wider)
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


def test_a_search_across_conversations_jumps_to_the_message_and_escape_comes_back(
    app: App, peers: Callable[[str], HeadlessPeer], server_factory: Callable[..., InProcessServer]
) -> None:
    server = server_factory(dev_codes=True)
    alice_phone, bob_phone, carol_phone = fresh_phone(), fresh_phone(), fresh_phone()
    create_and_register(app, server, alice_phone)
    bob, carol = peers("bob"), peers("carol")
    register_peer(bob, server, bob_phone, "Bob", knows=alice_phone)
    app_knows(app, bob_phone)
    register_peer(carol, server, carol_phone, "Carol", knows=alice_phone)
    app_knows(app, carol_phone)
    texts = [f"filler {i}" for i in range(FILLER)]
    texts[ZEBRA_AT] = "Mind the zebra crossing on the way"
    bob.call(lambda engine: engine.add_contact(alice_phone, "Alice"))
    bob.call(lambda engine: [engine.send_text(alice_phone, text) for text in texts])
    row = app.main.conversations.row_text
    wait_until(app.root, lambda: (row(bob_phone) or ("", "", 0))[2] == FILLER, "Bob's messages")
    carol.call(lambda engine: engine.add_contact(alice_phone, "Alice"))
    carol.call(lambda engine: engine.send_text(alice_phone, "A Zebra at the zoo!"))  # the newest
    wait_until(app.root, lambda: row(carol_phone) is not None, "Carol's message")
    app.main.conversations.on_select(carol_phone)
    main, field, results = app.main, app.main.search_field, app.main.search_results
    composer, messages = main.conversation.text, main.conversation.messages
    wait_until(app.root, lambda: len(messages.message_ids()) == 1, "Carol's conversation")

    # Ctrl+Shift+F from the composer puts the cursor in the search field
    assert field.placeholder.winfo_ismapped() and field.placeholder.cget("text") == "Search"
    # Tab reaches the field after "New chat" and "New group"
    assert main.new_button.tk_focusNext() is main.new_group_button
    assert main.new_group_button.tk_focusNext() is field.entry
    press(composer, "<Control-Shift-F>")
    assert app.root.focus_get() is field.entry
    field.entry.insert(0, "ZEBRA")
    assert main.search_shown and not main.conversations.winfo_ismapped()
    wait_until(app.root, lambda: len(results.rows()) == 4, "the grouped results")
    header_carol, hit_carol, header_bob, hit_bob = results.rows()
    # Carol wrote last; each conversation is named as the conversation list names it
    assert (
        isinstance(header_carol, Header) and header_carol.name == row(carol_phone)[0] == "Carol"
    )  # the name she sent
    assert isinstance(header_bob, Header) and header_bob.name == row(bob_phone)[0]
    assert isinstance(hit_carol, Hit) and isinstance(hit_bob, Hit)
    assert hit_bob.result.message.text == texts[ZEBRA_AT]
    assert results.count.cget("text") == "2 messages in 2 conversations"
    assert results.highlighted() == ["Zebra", "zebra"]
    assert "Mind the zebra crossing on the way" in results.text.get("1.0", "end")

    # Down twice goes over Bob's header to his hit; Enter opens his conversation at it
    press(field.entry, "<Down>")
    assert results.selected == 1
    press(field.entry, "<Down>")
    assert results.selected == 3
    press(field.entry, "<Return>")
    found_id = hit_bob.result.message.message_id
    wait_until(app.root, lambda: messages.found() == (found_id, "zebra"), "the found message, highlighted")
    assert app.chat.model.open_contact == bob_phone and messages.flashing == found_id
    shown = [m.text for m in messages.shown()]
    assert shown == texts[ZEBRA_AT - ZEBRA_AT : ZEBRA_AT + AROUND + 1]  # the ten before it, it, 25 after
    assert "Showing the message you found" in str(main.conversation.search_label.cget("text"))
    first, last = messages.canvas.yview()
    found_at = messages.shown().index(next(m for m in messages.shown() if m.message_id == found_id))
    assert first < found_at / len(shown) < last or first == 0.0  # scrolled to it
    wait_until(app.root, lambda: messages.flashing is None, "the outline to go")

    # Escape in the conversation goes back to the results, the query kept; Escape there clears it
    press(composer, "<Escape>")
    assert app.root.focus_get() is field.entry and field.value == "ZEBRA" and main.search_shown
    press(field.entry, "<Escape>")
    assert field.value == "" and not main.search_shown and main.conversations.winfo_ismapped()
    assert app.root.focus_get() is composer

    # nothing found says so; the clear button empties the field
    press(composer, "<Control-Shift-F>")
    field.entry.insert(0, "no such words anywhere")
    wait_until(app.root, lambda: results.count.cget("text") == NO_MATCHES, "the empty answer")
    assert results.rows() == []
    field.clear_button.invoke()
    assert not main.search_shown


def test_results_are_readable_in_the_dark_theme_and_a_click_opens_a_hit(
    app: App, peers: Callable[[str], HeadlessPeer], server_factory: Callable[..., InProcessServer]
) -> None:
    server = server_factory(dev_codes=True)
    alice_phone, bob_phone = fresh_phone(), fresh_phone()
    create_and_register(app, server, alice_phone)
    bob = peers("bob")
    register_peer(bob, server, bob_phone, "Bob", knows=alice_phone)
    app_knows(app, bob_phone)
    bob.call(lambda engine: engine.add_contact(alice_phone, "Alice"))
    bob.call(lambda engine: engine.send_text(alice_phone, "Привет! Встретимся в кафе?"))
    wait_until(app.root, lambda: app.main.conversations.row_text(bob_phone) is not None, "Bob's message")
    app.set_theme("dark")
    results = app.main.search_results
    type_into(app.main.search_field.entry, "кафе")
    wait_until(app.root, lambda: len(results.rows()) == 2, "the result")
    assert results.highlighted() == ["кафе"]
    assert results.text.tag_cget("match", "foreground") == DARK.accent
    assert results.text.cget("background") == DARK.sidebar
    app.root.update()
    first_hit = results.text.tag_ranges("row:1")[0]
    x, y, _w, h = results.text.bbox(first_hit)
    results.text.event_generate("<Button-1>", x=x + 2, y=y + h // 2)
    messages = app.main.conversation.messages
    wait_until(app.root, lambda: messages.found() is not None, "the message opened by the click")
    assert messages.found()[1] == "кафе"  # type: ignore[index]
    assert app.chat.model.open_contact == bob_phone


def test_an_edited_message_is_found_by_its_newest_text_and_says_edited_a_deleted_one_never(
    app: App, peers: Callable[[str], HeadlessPeer], server_factory: Callable[..., InProcessServer]
) -> None:
    server = server_factory(dev_codes=True)
    alice_phone, bob_phone = fresh_phone(), fresh_phone()
    create_and_register(app, server, alice_phone)
    bob = peers("bob")
    register_peer(bob, server, bob_phone, "Bob", knows=alice_phone)
    app_knows(app, bob_phone)
    sent: list[ev.MessageView] = []
    for text in ("the picnic is on Saturday", "bring the red picnic blanket"):
        app.do(Command("send", lambda engine, text=text: engine.send_text(bob_phone, text), sent.append))
    wait_until(app.root, lambda: len(sent) == 2, "Alice's two messages")
    changed: list[ev.MessageView] = []
    first, second = sent
    app.do(
        Command(
            "edit",
            lambda e: e.edit_message(first.message_id, "the picnic is on Sunday", contact=bob_phone),
            changed.append,
        )
    )
    app.do(
        Command(
            "delete", lambda e: e.delete_for_everyone(second.message_id, contact=bob_phone), changed.append
        )
    )
    wait_until(app.root, lambda: len(changed) == 2, "the edit and the delete")
    field, results = app.main.search_field, app.main.search_results

    def search(text: str, shown: Callable[[], bool]) -> None:
        field.entry.delete(0, "end")
        field.entry.insert(0, text)
        wait_until(app.root, shown, f"the results for {text}")

    search("picnic", lambda: any(isinstance(row, Hit) for row in results.rows()))
    hits = [row for row in results.rows() if isinstance(row, Hit)]
    assert [h.result.message.text for h in hits] == ["the picnic is on Sunday"]
    assert hits[0].date.startswith("edited · ")
    assert "edited · " in results.text.get("1.0", "end")
    for gone in ("Saturday", "blanket"):
        search(gone, lambda: results.count.cget("text") == NO_MATCHES)
        assert results.rows() == []
