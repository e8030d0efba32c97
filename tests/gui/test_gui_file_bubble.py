"""Pictures and files inside bubbles on a real canvas: the thumbnail, the progress bar, the links, groups."""

from __future__ import annotations

import io
import statistics
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
from gui.views.file_bubble import extension_label
from gui.views.theme import LIGHT, apply_theme, make_fonts
from net.client.core.events import AttachmentView, MessageStatus, MessageView, TransferState

BOB, CAROL = "+442079460958", "+442079460303"
MIB = 1024 * 1024


def jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 60, 40)).save(out, format="JPEG")
    return out.getvalue()


def picture_message(message_id: str = "pic1", caption: str = "The view from the top") -> MessageView:
    attachment = AttachmentView(
        "summit.jpg", 3 * MIB, "image/jpeg", TransferState.DONE, 3 * MIB, 4000, 3000, jpeg(320, 240)
    )
    now = time.time()
    return MessageView(message_id, BOB, False, caption, now, MessageStatus.RECEIVED, attachment=attachment)


def file_message(
    state: TransferState, transferred: int = 0, *, message_id: str = "doc1", group: bool = False
) -> MessageView:
    attachment = AttachmentView("minutes.pdf", 10 * MIB, "application/pdf", state, transferred)
    return MessageView(
        message_id,
        "" if group else BOB,
        False,
        "",
        time.time(),
        MessageStatus.RECEIVED,
        group_id="g1" if group else "",
        sender=CAROL if group else "",
        attachment=attachment,
    )


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


def click(messages: MessageList, item: int | str) -> None:
    x0, y0, x1, y1 = messages.canvas.bbox(item)
    messages.canvas.event_generate("<Button-1>", x=(x0 + x1) // 2, y=(y0 + y1) // 2)
    messages.update()


def item_width(messages: MessageList, item: int | str) -> float:
    x0, _y0, x1, _y1 = messages.canvas.coords(item)
    return x1 - x0


def test_a_picture_is_drawn_as_an_image_with_its_caption_under_it_and_a_click_views_it(
    messages: MessageList,
) -> None:
    asked: list[tuple[str, FileAction]] = []
    messages.on_file_action = lambda message_id, action: asked.append((message_id, action))
    messages.show([picture_message()], has_older=False)
    messages.update()
    c = messages.canvas
    [thumb] = c.find_withtag("att:pic1&&thumbnail")
    assert c.type(thumb) == "image"
    x0, y0, x1, y1 = c.bbox(thumb)
    assert (x1 - x0, y1 - y0) == (320, 240)  # 4000x3000 scaled to the bubble's widest, aspect kept
    caption_box = c.bbox(messages.block.by_id["pic1"].text_item)
    assert caption_box[1] >= y1  # the caption is under the picture
    bubble = c.bbox(messages.block.by_id["pic1"].bubble_item)
    assert bubble[0] <= x0 and x1 <= bubble[2] and bubble[1] <= y0  # inside the bubble
    click(messages, thumb)
    assert asked == [("pic1", FileAction.VIEW)]


def test_a_narrow_window_draws_the_picture_narrower_with_the_same_aspect(messages: MessageList) -> None:
    messages.winfo_toplevel().geometry("360x600")
    messages.show([picture_message(caption="")], has_older=False)
    wait_until(messages, lambda: messages.canvas.winfo_width() < 400, "the narrow window")
    messages.update()
    [thumb] = messages.canvas.find_withtag("att:pic1&&thumbnail")
    x0, y0, x1, y1 = messages.canvas.bbox(thumb)
    assert x1 - x0 < 320 and abs((x1 - x0) / (y1 - y0) - 4 / 3) < 0.02


def test_a_thumbnail_that_does_not_decode_costs_only_its_picture(messages: MessageList) -> None:
    broken = MessageView(
        "pic2",
        BOB,
        False,
        "",
        time.time(),
        MessageStatus.RECEIVED,
        attachment=AttachmentView("x.jpg", 10, "image/jpeg", TransferState.DONE, thumbnail=b"\xff\xd8 bad"),
    )
    messages.show([picture_message(), broken], has_older=False)
    messages.update()
    c = messages.canvas
    assert c.type(c.find_withtag("att:pic2&&thumbnail")[0]) == "rectangle"
    assert c.type(c.find_withtag("att:pic1&&thumbnail")[0]) == "image"


def test_the_progress_bar_moves_without_redrawing_the_timeline(messages: MessageList) -> None:
    other = MessageView("t1", BOB, False, "Sending you the minutes", time.time() - 5, MessageStatus.RECEIVED)
    messages.show([file_message(TransferState.DOWNLOADING, MIB), other], has_older=False)
    messages.update()
    c = messages.canvas
    [fill] = c.find_withtag("att:doc1&&file-bar-fill")
    [track] = c.find_withtag("att:doc1&&file-bar")
    before_items = c.find_all()
    assert abs(item_width(messages, fill) - item_width(messages, track) * 0.1) < 1.5
    messages.set_attachment("doc1", file_message(TransferState.DOWNLOADING, 6 * MIB).attachment)  # type: ignore[arg-type]
    messages.update()
    assert c.find_all() == before_items  # the same items: nothing was drawn again
    assert abs(item_width(messages, fill) - item_width(messages, track) * 0.6) < 1.5
    [state] = c.find_withtag("att:doc1&&file-state")
    assert c.itemcget(state, "text") == "Downloading · 6 MB of 10 MB"
    assert messages.attachment("doc1") is not None and messages.attachment("doc1").transferred == 6 * MIB


def test_a_file_shows_its_icon_name_and_size_and_its_links_follow_its_state(messages: MessageList) -> None:
    asked: list[tuple[str, FileAction]] = []
    messages.on_file_action = lambda message_id, action: asked.append((message_id, action))
    messages.show([file_message(TransferState.DOWNLOADING, MIB)], has_older=False)
    messages.update()
    c = messages.canvas

    def links() -> list[str]:
        return [str(c.itemcget(i, "text")) for i in c.find_withtag("att:doc1&&file-link")]

    assert [c.itemcget(i, "text") for i in c.find_withtag("att:doc1&&file-name")] == ["minutes.pdf"]
    assert c.find_withtag("att:doc1&&file-icon")
    assert links() == ["Pause", "Cancel"]
    click(messages, "file-link:pause")
    click(messages, "file-link:cancel")
    assert asked == [("doc1", FileAction.PAUSE), ("doc1", FileAction.CANCEL)]
    messages.set_attachment("doc1", file_message(TransferState.PAUSED, MIB).attachment)  # type: ignore[arg-type]
    messages.update()
    assert links() == ["Resume", "Cancel"]
    failed = AttachmentView("minutes.pdf", 10 * MIB, "application/pdf", TransferState.FAILED, error="Gone.")
    messages.set_attachment("doc1", failed)
    messages.update()
    assert links() == ["Retry", "Cancel"]
    [state] = c.find_withtag("att:doc1&&file-state")
    assert c.itemcget(state, "text") == "10 MB · not downloaded: Gone"
    messages.set_attachment("doc1", file_message(TransferState.DONE, 10 * MIB).attachment)  # type: ignore[arg-type]
    messages.update()
    assert links() == ["Open", "Save as…"] and not c.find_withtag("att:doc1&&file-bar")
    asked.clear()
    click(messages, "file-link:open")
    click(messages, "file-link:save")
    assert asked == [("doc1", FileAction.OPEN), ("doc1", FileAction.SAVE)]


def test_in_a_group_the_senders_name_is_above_the_file(messages: MessageList) -> None:
    messages.set_name_of(lambda phone: "Carol" if phone == CAROL else phone)
    messages.show([file_message(TransferState.DONE, group=True)], has_older=False)
    messages.update()
    c = messages.canvas
    [sender] = c.find_withtag("msg:doc1&&sender")
    assert c.itemcget(sender, "text") == "Carol"
    [icon] = c.find_withtag("att:doc1&&file-icon")
    assert c.bbox(sender)[3] <= c.bbox(icon)[1]


def test_the_icon_names_the_files_kind() -> None:
    assert extension_label("minutes.pdf") == "PDF"
    assert extension_label("archive.tar.gz") == "GZ"
    assert extension_label("README") == "FILE"
    assert extension_label("weird.$$$") == "FILE"
    assert extension_label("film.matroska") == "MATR"


def test_a_progress_event_costs_a_small_fraction_of_a_redraw(messages: MessageList) -> None:
    """Among 800 drawn messages, 200 progress events against 5 whole redraws (figures printed with -s)."""
    now, size = time.time(), 100 * MIB
    page = [
        MessageView(
            f"t{i}", BOB, i % 2 == 0, f"Message {i} with some words", now - 900 + i, MessageStatus.RECEIVED
        )
        for i in range(799)
    ]
    moving = AttachmentView("big.iso", size, "application/octet-stream", TransferState.DOWNLOADING)
    page.append(MessageView("big", BOB, False, "", now, MessageStatus.RECEIVED, attachment=moving))
    messages.show(list(reversed(page)), has_older=False)
    messages.update()
    steps, redraws = [], []
    for k in range(1, 201):
        later = AttachmentView(
            "big.iso", size, "application/octet-stream", TransferState.DOWNLOADING, k * size // 200
        )
        started = time.perf_counter()
        messages.set_attachment("big", later)
        messages.update_idletasks()
        steps.append(time.perf_counter() - started)
    for _ in range(5):
        started = time.perf_counter()
        messages._relayout()
        messages.update_idletasks()
        redraws.append(time.perf_counter() - started)
    step, redraw = statistics.median(steps), statistics.median(redraws)
    print(f"progress event: median {step * 1000:.2f} ms; a redraw of 800: median {redraw * 1000:.0f} ms")
    assert step < redraw / 10
    assert messages.attachment("big").transferred == size  # type: ignore[union-attr]
