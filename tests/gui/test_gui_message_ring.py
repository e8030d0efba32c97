"""The keyboard's ring over the messages of a real message list, and the keys that act on a ringed file."""

from __future__ import annotations

import io
import time
import tkinter as tk
from collections.abc import Iterator

import pytest
from gui_support import (
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    wait_until,
)
from PIL import Image

from gui.view_models.file_model import FileAction
from gui.views.bubbles import MessageList
from gui.views.theme import LIGHT, apply_theme, make_fonts
from net.client.core.events import AttachmentView, MessageStatus, MessageView, TransferState

BOB = "+442079460958"
MIB = 1024 * 1024


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 60, 40)).save(out, format="JPEG")
    return out.getvalue()


def picture_message() -> MessageView:
    attachment = AttachmentView("summit.jpg", MIB, "image/jpeg", TransferState.DONE, MIB, 640, 480, jpeg())
    return MessageView("pic1", BOB, False, "", time.time() - 9, MessageStatus.RECEIVED, attachment=attachment)


def file_message(state: TransferState, transferred: int = 0) -> MessageView:
    attachment = AttachmentView("minutes.pdf", 10 * MIB, "application/pdf", state, transferred)
    return MessageView("doc1", BOB, False, "", time.time(), MessageStatus.RECEIVED, attachment=attachment)


@pytest.fixture
def messages(display: None) -> Iterator[MessageList]:
    root = tk.Tk()
    root.geometry("800x600")
    fonts = make_fonts(root)
    apply_theme(root, LIGHT, fonts)
    widget = MessageList(root, LIGHT, fonts)
    widget.pack(fill="both", expand=True)
    root.update()
    wait_until(root, lambda: widget.canvas.winfo_width() > 1, "the canvas to get its size")
    yield widget
    root.destroy()


def test_the_keyboard_rings_files_and_acts_on_the_ringed_one(messages: MessageList) -> None:
    asked: list[tuple[str, FileAction]] = []
    messages.on_file_action = lambda message_id, action: asked.append((message_id, action))
    text = MessageView("t1", BOB, False, "a text between", time.time() - 3, MessageStatus.RECEIVED)
    messages.show([file_message(TransferState.DOWNLOADING, MIB), text, picture_message()], has_older=False)
    messages.update()
    c = messages.canvas
    c.focus_force()
    messages.update()
    c.event_generate("<Up>")  # from none: the newest file message
    messages.update()
    assert messages.ring.focused == "doc1" and c.find_withtag("message-ring")
    c.event_generate("<space>")
    c.event_generate("<Delete>")
    c.event_generate("<Control-s>")  # a download under way cannot be saved: nothing
    c.event_generate("<Up>")  # the text between is ringed too
    messages.update()
    assert messages.ring.focused == "t1"
    c.event_generate("<Return>")  # a text without a link has no first action: nothing
    c.event_generate("<Up>")
    c.event_generate("<Return>")
    c.event_generate("<Control-s>")
    messages.update()
    assert messages.ring.focused == "pic1"
    assert asked == [
        ("doc1", FileAction.PAUSE),
        ("doc1", FileAction.CANCEL),
        ("pic1", FileAction.VIEW),
        ("pic1", FileAction.SAVE),
    ]


def test_alt_up_still_reaches_the_window_and_a_plain_text_is_ringed_but_a_note_is_passed_over(
    messages: MessageList,
) -> None:
    heard: list[str] = []
    messages.winfo_toplevel().bind("<Alt-Up>", lambda _e: heard.append("previous conversation"))
    text = MessageView("t1", BOB, False, "just words", time.time() - 5, MessageStatus.RECEIVED)
    note = MessageView("n1", BOB, False, "", time.time(), MessageStatus.RECEIVED, notice="key_changed")
    messages.show([note, text], has_older=False)
    messages.update()
    c = messages.canvas
    c.focus_force()
    messages.update()
    c.event_generate("<Up>")
    c.event_generate("<Alt-Up>")
    messages.update()
    assert messages.ring.focused == "t1" and c.find_withtag("message-ring")
    assert heard == ["previous conversation"]
