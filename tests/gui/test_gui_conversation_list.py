"""The conversation list on a real canvas: rows, badges, a click opens one."""

from __future__ import annotations

import io
import struct
import tkinter as tk
from collections.abc import Iterator

import pytest
from gui_support import (
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    wait_until,
)
from PIL import Image

from gui.view_models.names import formatted_number
from gui.views.conversation_list import ConversationList
from gui.views.theme import LIGHT, apply_theme, make_fonts
from net.client.core.events import ConversationView

BOB, CAROL = "+442079460958", "+14155550123"


@pytest.fixture
def conversations(display: None) -> Iterator[ConversationList]:
    root = tk.Tk()
    root.geometry("320x400")
    fonts = make_fonts(root)
    apply_theme(root, LIGHT, fonts)
    widget = ConversationList(root, LIGHT, fonts)
    widget.pack(fill="both", expand=True)
    root.update()
    wait_until(root, lambda: widget.canvas.winfo_width() > 1, "the canvas to get its size")
    yield widget
    root.destroy()


def drawn_texts(widget: ConversationList) -> list[str]:
    return [
        widget.canvas.itemcget(i, "text") for i in widget.canvas.find_all() if widget.canvas.type(i) == "text"
    ]


def test_rows_show_name_last_line_and_unread_badge(conversations: ConversationList) -> None:
    conversations.show(
        [
            ConversationView(BOB, "Bob", "See you\nat seven", 1.0e9, 3),
            ConversationView(CAROL, "", "", 0.0, 0),
        ],
        selected=None,
    )
    texts = drawn_texts(conversations)
    assert "Bob" in texts and "See you at seven" in texts and "3" in texts
    assert formatted_number(CAROL) in texts and "No messages yet" in texts
    assert "#" not in texts  # a number's avatar shows its last two digits
    assert conversations.row_text(BOB) == ("Bob", "See you at seven", 3)
    assert conversations.row_text("+33612345678") is None


def test_a_click_on_a_row_selects_its_conversation(conversations: ConversationList) -> None:
    chosen: list[str] = []
    conversations.on_select = chosen.append
    conversations.show(
        [ConversationView(BOB, "Bob", "hi", 2.0, 0), ConversationView(CAROL, "Carol", "yo", 1.0, 0)], None
    )
    conversations.canvas.event_generate("<Button-1>", x=100, y=64 + 30)
    conversations.canvas.event_generate("<Button-1>", x=100, y=380)  # below the rows: nothing
    conversations.update()
    assert chosen == [CAROL]


def test_an_empty_list_invites_a_first_conversation(conversations: ConversationList) -> None:
    conversations.show([], None)
    assert any("No conversations yet" in text for text in drawn_texts(conversations))


@pytest.mark.parametrize("width", [220, 640, 1120])
@pytest.mark.parametrize("unread", [7, 120, 999, 1000, 123456])
def test_the_badge_never_overlaps_the_preview(
    conversations: ConversationList, width: int, unread: int
) -> None:
    conversations.master.geometry(f"{width}x400")  # type: ignore[attr-defined]
    wait_until(conversations, lambda: conversations.canvas.winfo_width() == width, "the new width")
    long = "A very long message that goes on and on about the weather, the trains and the rest " * 5
    conversations.show(
        [
            ConversationView(BOB, "Bob " + "Quite-Long-Surname " * 6, long, 1000.0, unread),
            ConversationView(CAROL, "Carol", "short", 999.0, 0),
        ],
        None,
    )
    conversations.update()
    preview_right, badge_left = conversations.drawn_edges[BOB]
    assert preview_right <= badge_left - 4, (preview_right, badge_left)
    shown = {
        str(conversations.canvas.itemcget(i, "text"))
        for i in conversations.canvas.find_all()
        if conversations.canvas.type(i) == "text"
    }
    assert ("999+" if unread > 999 else str(unread)) in shown
    assert any(text.endswith("…") and text.startswith("A very long") for text in shown)
    assert "short" in shown  # a preview that fits is not cut


def test_the_keyboard_moves_a_ring_over_the_rows_and_enter_opens_the_one_under_it(
    conversations: ConversationList,
) -> None:
    opened: list[str] = []
    requests: list[bool] = []
    conversations.on_select = opened.append
    conversations.on_requests = lambda: requests.append(True)
    conversations.show_requests("Message requests · 1", "From numbers not in your contacts")
    conversations.show(
        [ConversationView(BOB, "Bob", "hi", 1.0e9, 0), ConversationView(CAROL, "Carol", "yo", 1.0e9, 0)],
        selected=CAROL,
    )
    canvas = conversations.canvas
    assert int(canvas.cget("takefocus")) == 1  # Tab reaches the list
    assert not canvas.find_withtag("ring")  # no ring without the focus
    canvas.focus_force()
    wait_until(canvas, lambda: canvas.focus_get() is canvas, "the list to take the focus")
    canvas.event_generate("<FocusIn>")
    canvas.update()
    assert conversations.cursor == 2  # on the open conversation (the requests row is first)
    assert canvas.find_withtag("ring")
    canvas.event_generate("<Up>")
    canvas.event_generate("<Return>")
    assert opened == [BOB]
    canvas.event_generate("<Home>")
    canvas.event_generate("<space>")
    assert requests == [True]
    canvas.event_generate("<End>")
    canvas.event_generate("<Down>")  # stays on the last row
    canvas.event_generate("<KP_Enter>")
    assert opened == [BOB, CAROL]


def test_the_neighbour_of_the_open_conversation_stops_at_the_ends(conversations: ConversationList) -> None:
    rows = [ConversationView(BOB, "Bob", "hi", 1.0e9, 0), ConversationView(CAROL, "Carol", "yo", 1.0e9, 0)]
    conversations.show(rows, selected=None)
    assert conversations.neighbour(1) == BOB and conversations.neighbour(-1) == CAROL
    conversations.show(rows, selected=BOB)
    assert conversations.neighbour(1) == CAROL and conversations.neighbour(-1) == BOB
    conversations.show([], selected=None)
    assert conversations.neighbour(1) is None


def _jpeg(colour: tuple[int, int, int], size: tuple[int, int] = (96, 96)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def test_a_contact_with_a_picture_is_drawn_with_it_and_one_without_with_initials(
    conversations: ConversationList,
) -> None:
    canvas = conversations.canvas
    conversations.show(
        [
            ConversationView(BOB, "Bob", "hi", 2.0e9, 0, picture=_jpeg((200, 20, 20))),
            ConversationView(CAROL, "Carol", "hello", 1.0e9, 0),
        ],
        selected=None,
    )
    (bob_picture,) = canvas.find_withtag(f"picture:{BOB}")
    assert canvas.type(bob_picture) == "image" and not canvas.find_withtag(f"picture:{CAROL}")
    image = canvas.itemcget(bob_picture, "image")
    size = (int(canvas.tk.call("image", "width", image)), int(canvas.tk.call("image", "height", image)))
    assert size == (38, 38)
    # Its middle shows the picture's colour, its corner is transparent (a round picture).
    red, green, _blue = (int(v) for v in canvas.tk.splitlist(canvas.tk.call(image, "get", 19, 19)))
    assert red > 150 and green < 80
    assert canvas.tk.getboolean(canvas.tk.call(image, "transparency", "get", 0, 0))
    texts = drawn_texts(conversations)
    assert "C" in texts  # Carol's initial as before
    assert "B" not in texts  # Bob's picture instead of his initial


def test_a_picture_that_cannot_be_shown_falls_back_to_the_initials(conversations: ConversationList) -> None:
    bomb = bytearray(_jpeg((0, 0, 255), (16, 16)))
    sof = bomb.index(b"\xff\xc0")
    bomb[sof + 5 : sof + 9] = struct.pack(">HH", 30_000, 30_000)
    conversations.show([ConversationView(BOB, "Bob", "hi", 1.0e9, 0, picture=bytes(bomb))], selected=None)
    assert not conversations.canvas.find_withtag("picture")
    assert "B" in drawn_texts(conversations)


def test_a_group_never_draws_a_picture(conversations: ConversationList) -> None:
    row = ConversationView(
        "", "Climbers", "", 1.0e9, 0, group_id="g-1", members=3, picture=_jpeg((0, 200, 0))
    )
    conversations.show([row], selected=None)
    assert not conversations.canvas.find_withtag("picture")
