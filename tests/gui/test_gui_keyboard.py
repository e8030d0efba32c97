"""The keyboard and the window's sizes, through the real window: Alice's app, Bob a headless peer.

The Send button inside the window at every size, the header folded when narrow,
Ctrl+F then Enter searching (never sending), Tab out of the composer, Enter on
buttons and in single-line edits, Page Up and Ctrl+Home/End, zoom and the
window's geometry remembered, the welcome card scrolling, right-to-left bubbles.
"""

from __future__ import annotations

import tkinter as tk
import tkinter.font as tkfont
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import InProcessServer, fresh_phone
from gui_support import (
    create_and_register,
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    press,
    press_return,
    register_peer,
    start_conversation,
    type_into,
    wait_until,
)

from gui import preferences
from gui.app import App
from gui.tooling.peer import HeadlessPeer
from gui.view_models.bidi_text import emoji_font
from gui.views.composer import MAX_LINES, MIN_LINES
from gui.views.fields import ScrollingCard
from net.client.core import events as ev

HEBREW = "שלום לכולם"
ARABIC = "مرحبا بالعالم"


@pytest.fixture
def make_app(display: object, tmp_path: Path) -> Iterator[Callable[[str], App]]:
    apps: list[App] = []

    def make(name: str = "alice") -> App:
        app = App(
            profiles_root=tmp_path / name,
            config_dir=tmp_path / f"{name}-config",
            local_server_dir=tmp_path / "ls",
        )
        apps.append(app)
        wait_until(app.root, lambda: not app.busy, "the profile list")
        return app

    yield make
    for app in apps:
        app.close()
    apps.clear()


@pytest.fixture
def chatting(
    make_app: Callable[[str], App], server_factory: Callable[..., InProcessServer], tmp_path: Path
) -> Iterator[tuple[App, HeadlessPeer, str]]:
    """Alice's window with the conversation with Bob open; Bob's phone."""
    server = server_factory(dev_codes=True)
    alice_phone, bob_phone = fresh_phone(), fresh_phone()
    app = make_app("alice")
    create_and_register(app, server, alice_phone)
    bob = HeadlessPeer.with_profiles(tmp_path / "bob")
    try:
        register_peer(bob, server, bob_phone, "Bob", knows=alice_phone)
        start_conversation(app, bob_phone, "Bob")
        yield app, bob, bob_phone
    finally:
        bob.stop()


def resize(app: App, width: int, height: int) -> None:
    app.root.geometry(f"{width}x{height}")
    wait_until(
        app.root,
        lambda: (app.root.winfo_width(), app.root.winfo_height()) == (width, height),
        f"the window at {width}x{height}",
    )
    app.root.update()


def inside_window(widget: tk.Misc) -> bool:
    """Mapped, not squeezed below the size it asks for, and entirely inside its toplevel."""
    top = widget.winfo_toplevel()
    x, y = widget.winfo_rootx() - top.winfo_rootx(), widget.winfo_rooty() - top.winfo_rooty()
    return (
        bool(widget.winfo_ismapped())
        and widget.winfo_width() >= widget.winfo_reqwidth()
        and x >= 0
        and y >= 0
        and x + widget.winfo_width() <= top.winfo_width()
        and y + widget.winfo_height() <= top.winfo_height()
    )


def test_send_stays_inside_the_window_and_the_header_folds_at_every_size(
    chatting: tuple[App, HeadlessPeer, str],
) -> None:
    app, _bob, _phone = chatting
    pane = app.main.conversation
    for width, height in ((1120, 740), (800, 600), (640, 480)):
        resize(app, width, height)
        assert inside_window(pane.send_button), f"Send is cut off at {width}x{height}"
        shown = pane.menu_button if pane.narrow else pane.details_button
        assert inside_window(shown), f"the details are out of reach at {width}x{height}"
    assert pane.narrow and not pane.details_button.winfo_ismapped()
    # the window cannot be made smaller than its minimum
    assert app.root.minsize() == (640, 480)


def test_ctrl_f_then_enter_searches_and_never_sends_even_when_the_header_is_folded(
    chatting: tuple[App, HeadlessPeer, str],
) -> None:
    app, _bob, _phone = chatting
    pane, messages = app.main.conversation, app.main.conversation.messages
    pane.composer.set("hello there")
    press_return(pane.text)
    wait_until(app.root, lambda: len(messages.message_ids()) == 1, "the sent bubble")
    resize(app, 640, 480)
    assert not pane.search.winfo_ismapped()
    press(pane.text, "<Control-f>")
    wait_until(app.root, lambda: app.root.focus_get() is pane.search, "the focus in the search field")
    wait_until(app.root, lambda: inside_window(pane.search), "the search field on a row of its own")
    pane.search.insert("end", "hello")
    press_return(pane.search)
    wait_until(app.root, lambda: pane.search_bar.winfo_manager(), "the search's result line")
    assert len(messages.message_ids()) == 1  # nothing was sent
    assert pane.text.get("1.0", "end-1c") == ""
    # Escape leaves the search: the field folds away and the cursor is back in the composer
    press(pane.search, "<Escape>")
    assert app.root.focus_get() is pane.text and not pane.search.winfo_ismapped()


def test_tab_leaves_the_composer_which_grows_with_its_text_up_to_eight_lines(
    chatting: tuple[App, HeadlessPeer, str],
) -> None:
    app, _bob, _phone = chatting
    pane = app.main.conversation
    assert pane.composer.lines == MIN_LINES
    press(pane.text, "<Tab>")
    assert app.root.focus_get() is not pane.text and "\t" not in pane.composer.value
    press(pane.text, "<Control-Tab>")
    assert pane.composer.value == "\t"
    pane.composer.set("\n".join(f"line {i}" for i in range(5)))
    wait_until(app.root, lambda: pane.composer.lines == 5, "a five-line composer")
    pane.composer.set("\n".join(f"line {i}" for i in range(30)))
    wait_until(app.root, lambda: pane.composer.lines == MAX_LINES, "the composer at its tallest")
    assert inside_window(pane.send_button)


def test_enter_presses_a_focused_button_and_saves_the_contact_name_escape_undoes_it(
    chatting: tuple[App, HeadlessPeer, str],
) -> None:
    app, _bob, bob_phone = chatting
    m = app.main
    press_return(m.new_button)  # a focused button: Enter presses it, as Space does
    assert m.new_form.winfo_manager()
    press(m.new_phone.entry, "<Escape>")
    m.conversation.details_button.invoke()
    wait_until(app.root, lambda: m.pane is m.details, "the contact details")
    entry = m.details.rename_entry
    type_into(entry, "Bobby")
    press(entry, "<Escape>")
    assert entry.get() == "Bob" and m.pane is m.details  # the edit undone, the details still open
    type_into(entry, "Bobby")
    press_return(entry)
    wait_until(app.root, lambda: m.conversations.row_text(bob_phone)[0] == "Bobby", "the saved name")
    assert str(m.details.save_button.cget("default")) == "active"


def test_ctrl_a_selects_all_in_an_entry(chatting: tuple[App, HeadlessPeer, str]) -> None:
    app, _bob, _phone = chatting
    m = app.main
    m.open_new_form()
    type_into(m.new_phone.entry, "+1 202 555")
    m.new_phone.entry.icursor(3)
    press(m.new_phone.entry, "<Control-a>")
    assert m.new_phone.entry.selection_present()
    assert m.new_phone.entry.index("sel.first") == 0
    assert m.new_phone.entry.index("sel.last") == len("+1 202 555")


def test_page_up_and_ctrl_home_end_scroll_the_conversation(chatting: tuple[App, HeadlessPeer, str]) -> None:
    app, _bob, _phone = chatting
    pane, messages = app.main.conversation, app.main.conversation.messages
    resize(app, 800, 600)
    for i in range(24):
        pane.composer.set(f"message number {i}")
        press_return(pane.text)
    wait_until(app.root, lambda: len(messages.message_ids()) == 24, "24 bubbles")
    app.root.update()
    canvas = messages.canvas
    assert canvas.yview()[1] == pytest.approx(1.0)
    press(pane.text, "<Prior>")
    after_page_up = canvas.yview()
    assert after_page_up[1] < 1.0
    press(pane.text, "<Next>")
    assert canvas.yview()[0] > after_page_up[0]
    press(pane.text, "<Control-Home>")
    assert canvas.yview()[0] == 0.0
    press(pane.text, "<Control-End>")
    assert canvas.yview()[1] == pytest.approx(1.0)


def test_zoom_scales_the_fonts_and_is_remembered_with_the_window_geometry(
    make_app: Callable[[str], App], tmp_path: Path
) -> None:
    app = make_app("zoomer")
    normal = app.fonts.body.actual("size")
    press(app.welcome.passphrase.entry, "<Control-plus>")
    assert app.fonts.body.actual("size") > normal
    assert tkfont.nametofont("TkDefaultFont", root=app.root).actual("size") > normal
    press(app.welcome.passphrase.entry, "<Control-plus>")
    zoom = app.prefs.zoom
    assert zoom > 1.1
    app.root.geometry("900x650+30+40")
    wait_until(app.root, lambda: app.root.winfo_width() == 900, "the window at 900 wide")
    app.close()
    assert preferences.load(tmp_path / "zoomer-config").zoom == zoom

    again = make_app("zoomer")
    again.root.update()
    assert again.prefs.zoom == zoom and again.fonts.body.actual("size") > normal
    assert (again.root.winfo_width(), again.root.winfo_height()) == (900, 650)
    assert again.root.wm_geometry().endswith("+30+40")
    press(again.welcome.passphrase.entry, "<Control-0>")
    assert again.fonts.body.actual("size") == normal and again.prefs.zoom == 1.0


def test_the_welcome_card_scrolls_at_640_by_480_and_keeps_the_focused_field_in_view(
    make_app: Callable[[str], App],
) -> None:
    app = make_app("small")
    resize(app, 640, 480)
    scroller = next(w for w in app.welcome.winfo_children() if isinstance(w, ScrollingCard))
    wait_until(app.root, lambda: scroller.scrolls, "the welcome card's scroll bar")
    assert inside_window(scroller.scrollbar)
    button = app.welcome.create_button
    button.focus_force()
    wait_until(app.root, lambda: inside_window(button), "the create button scrolled into view")
    resize(app, 1120, 740)
    wait_until(app.root, lambda: not scroller.scrolls, "the card fitting again")


def test_hebrew_and_arabic_bubbles_are_drawn_in_reading_order_and_copied_as_stored(
    chatting: tuple[App, HeadlessPeer, str],
) -> None:
    app, bob, _phone = chatting
    pane, messages = app.main.conversation, app.main.conversation.messages
    for text in (HEBREW, ARABIC, "ok 🙂"):
        pane.composer.set(text)
        press_return(pane.text)
    wait_until(app.root, lambda: len(messages.message_ids()) == 3, "three bubbles")
    hebrew_id, arabic_id, emoji_id = messages.message_ids()
    assert messages.drawn_text(hebrew_id) == "םלוכל םולש"
    shown_arabic = messages.drawn_text(arabic_id)
    assert shown_arabic != ARABIC and all("\ufe70" <= c <= "\ufeff" or c == " " for c in shown_arabic)
    messages.copy(hebrew_id)
    assert app.root.clipboard_get() == HEBREW  # the stored order, not the drawn one
    received = bob.wait_for(lambda e: isinstance(e, ev.MessageReceived) and e.message.text == HEBREW)
    assert received.message.text == HEBREW
    # without an emoji font on this machine the emoji is written as its name; with one, drawn as it is
    family = emoji_font(tkfont.families(app.root))
    assert app.fonts.text.emoji_family == family
    expected = "ok 🙂" if family else "ok [slightly smiling face]"
    assert messages.drawn_text(emoji_id) == expected


def test_enter_in_the_passphrase_form_presses_its_default_button(
    chatting: tuple[App, HeadlessPeer, str],
) -> None:
    app, _bob, _phone = chatting
    m = app.main
    m.settings_button.invoke()
    pane = m.settings
    assert str(pane.change_button.cget("default")) == "active"
    press_return(pane.old.entry)  # nothing typed: the form says what is missing, as the button does
    wait_until(
        app.root, lambda: pane.old.note.cget("text") or pane.new.note.cget("text"), "the form's answer"
    )


def test_the_keyboard_starts_in_the_conversation_list_and_alt_up_down_step_through_it(
    make_app: Callable[[str], App], server_factory: Callable[..., InProcessServer], tmp_path: Path
) -> None:
    server = server_factory(dev_codes=True)
    app = make_app("alice")
    alice_phone, bob_phone, carol_phone = fresh_phone(), fresh_phone(), fresh_phone()
    create_and_register(app, server, alice_phone)
    listing = app.main.conversations
    wait_until(app.root, lambda: app.root.focus_get() is listing.canvas, "the list to have the keyboard")
    peers = [HeadlessPeer.with_profiles(tmp_path / name) for name in ("bob", "carol")]
    try:
        register_peer(peers[0], server, bob_phone, "Bob", knows=alice_phone)
        register_peer(peers[1], server, carol_phone, "Carol", knows=alice_phone)
        start_conversation(app, bob_phone, "Bob")
        start_conversation(app, carol_phone, "Carol")
        wait_until(app.root, lambda: len(listing.contacts()) == 2, "both conversations listed")
        composer = app.main.conversation.text
        first, second = listing.contacts()
        press(composer, "<Alt-Up>" if app.chat.model.open_contact == second else "<Alt-Down>")
        other = first if app.chat.model.open_contact == first else second
        wait_until(app.root, lambda: app.chat.model.open_contact == other, "the other conversation")
        press(composer, "<Control-Next>")
        wait_until(app.root, lambda: app.chat.model.open_contact == second, "Ctrl+Page Down: the next one")
        # Tab from the search field reaches the list; Enter there opens the row under the ring.
        press(listing.canvas, "<Home>")
        press(listing.canvas, "<Return>")
        wait_until(app.root, lambda: app.chat.model.open_contact == first, "the first row opened")
    finally:
        for peer in peers:
            peer.stop()
