"""Links in real bubbles: drawn as links, a hand and the address on hover, a real click opens it."""

from __future__ import annotations

import subprocess
import time
import tkinter as tk
from collections.abc import Iterator

import pytest
from gui_support import (
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    wait_until,
)

from gui.views.bubbles import MessageList
from gui.views.link_marks import LINK_TAG
from gui.views.theme import DARK, LIGHT, apply_theme, make_fonts
from net.client.core.events import MessageStatus, MessageView

BOB = "+442079460958"
ADDRESS = "https://example.org/trip_(2026)"


@pytest.fixture
def messages(display: None) -> Iterator[MessageList]:
    root = tk.Tk()
    root.geometry("800x500+0+0")
    fonts = make_fonts(root)
    apply_theme(root, LIGHT, fonts)
    widget = MessageList(root, LIGHT, fonts)
    widget.pack(fill="both", expand=True)
    root.update()
    wait_until(root, lambda: widget.canvas.winfo_width() > 1, "the canvas to get its size")
    yield widget
    root.destroy()


@pytest.fixture
def opened(messages: MessageList) -> list[str]:
    """Only the opener is intercepted: what would have gone to the system's browser."""
    addresses: list[str] = []
    messages.links.opener = addresses.append
    return addresses


def message(message_id: str, text: str, *, outgoing: bool = False) -> MessageView:
    status = MessageStatus.SENT if outgoing else MessageStatus.RECEIVED
    return MessageView(message_id, BOB, outgoing, text, time.time() - 60, status)


def settle(messages: MessageList, seconds: float = 0.25) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        messages.update()


def xdotool(messages: MessageList, *args: str) -> None:
    subprocess.run(["xdotool", *args], check=True, timeout=10)
    settle(messages)


def link_text(messages: MessageList, message_id: str, number: int = 0) -> str:
    c = messages.canvas
    return "".join(
        str(c.itemcget(item, "text"))
        for item in c.find_withtag(f"link:{message_id}:{number}")
        if f"{LINK_TAG}-text" in c.gettags(item)
    )


def on_link(messages: MessageList, message_id: str, number: int = 0) -> tuple[int, int]:
    """A screen point on a link's first drawn part."""
    c = messages.canvas
    [first, *_rest] = [
        i for i in c.find_withtag(f"link:{message_id}:{number}") if f"{LINK_TAG}-text" in c.gettags(i)
    ]
    x0, y0, _x1, y1 = c.bbox(first)
    return c.winfo_rootx() + int(x0) + 12, c.winfo_rooty() + int((y0 + y1) / 2 - c.canvasy(0))


def test_addresses_are_drawn_as_links_in_the_link_colour_and_underlined(messages: MessageList) -> None:
    text = f"the plan: {ADDRESS}. Or write to mailto:ana@example.com, javascript:alert(1) is not one"
    messages.show([message("in1", text)], has_older=False)
    settle(messages)
    assert link_text(messages, "in1", 0) == ADDRESS
    assert link_text(messages, "in1", 1) == "mailto:ana@example.com"
    assert not messages.canvas.find_withtag("link:in1:2")  # javascript: stays plain
    c = messages.canvas
    kinds = {c.type(item): item for item in c.find_withtag("link:in1:0")}
    assert str(c.itemcget(kinds["text"], "fill")) == LIGHT.accent
    assert str(c.itemcget(kinds["line"], "fill")) == LIGHT.accent  # the underline
    messages.restyle(DARK)
    kinds = {c.type(item): item for item in c.find_withtag("link:in1:0")}
    assert str(c.itemcget(kinds["text"], "fill")) == DARK.accent


def test_a_link_that_wraps_is_drawn_on_each_of_its_lines(messages: MessageList) -> None:
    address = "https://example.com/a/very/long/path/" + "/".join(["segment"] * 20)
    messages.show([message("out1", f"look {address} ok", outgoing=True)], has_older=False)
    settle(messages)
    c = messages.canvas
    parts = [i for i in c.find_withtag("link:out1:0") if f"{LINK_TAG}-text" in c.gettags(i)]
    assert len(parts) >= 2 and link_text(messages, "out1") == address
    assert str(c.itemcget(parts[0], "fill")) == LIGHT.on_mine  # readable on our own bubble


def test_a_right_to_left_text_has_its_link_drawn_where_it_is_shown(messages: MessageList) -> None:
    messages.show([message("in1", "שלום https://example.org עולם")], has_older=False)
    settle(messages)
    assert link_text(messages, "in1") == "https://example.org"


def test_hovering_shows_a_hand_and_the_whole_address_and_a_click_opens_it(
    messages: MessageList, opened: list[str]
) -> None:
    messages.show([message("in1", f"the plan: {ADDRESS} see you")], has_older=False)
    settle(messages)
    x, y = on_link(messages, "in1")
    xdotool(messages, "mousemove", str(x), str(y))
    assert str(messages.canvas.cget("cursor")) == "hand2"
    assert messages.links.tip() == ADDRESS
    xdotool(messages, "click", "1")
    wait_until(messages, lambda: opened == [ADDRESS], "the address to go to the opener")
    c = messages.canvas
    xdotool(messages, "mousemove", str(c.winfo_rootx() + 700), str(c.winfo_rooty() + 450))
    assert str(c.cget("cursor")) == "" and messages.links.tip() == ""


def test_a_drag_that_starts_on_a_link_selects_and_opens_nothing(
    messages: MessageList, opened: list[str]
) -> None:
    messages.show([message("in1", f"{ADDRESS} is the plan")], has_older=False)
    settle(messages)
    x, y = on_link(messages, "in1")
    xdotool(messages, "mousemove", str(x), str(y))
    xdotool(messages, "mousedown", "1")
    xdotool(messages, "mousemove", str(x + 60), str(y))
    xdotool(messages, "mouseup", "1")
    assert messages.selected_text()
    assert opened == []
    c = messages.canvas  # the patches that hide the plain text under the link let the selection show
    assert {c.itemcget(i, "state") for i in c.find_withtag("link-patch:in1")} == {"hidden"}
    xdotool(messages, "mousemove", str(c.winfo_rootx() + 700), str(c.winfo_rooty() + 450))
    xdotool(messages, "click", "1")
    assert {c.itemcget(i, "state") for i in c.find_withtag("link-patch:in1")} == {"normal"}


def test_an_internationalised_name_shows_the_name_looked_up_too(messages: MessageList) -> None:
    messages.show([message("in1", "https://bücher.example/x")], has_older=False)
    settle(messages)
    x, y = on_link(messages, "in1")
    xdotool(messages, "mousemove", str(x), str(y))
    assert messages.links.tip() == "https://bücher.example/x\nhttps://xn--bcher-kva.example/x"
