"""The pictures-and-files scene of ``python -m gui.tooling.screenshots``: a photo, a file, one on its way.

Bob sends a photo with a caption, Alice sends the minutes as a file, and Bob
sends a large file whose download is photographed while it moves, its progress
bar part way. Everything goes through the real engines and the real server.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from gui.engine import Engine
from gui.tooling.peer import HeadlessPeer
from net.client.core import events as ev

#: The large file: big enough that its download is seen moving on a fast machine.
LARGE = 90 * 1024 * 1024


def landscape(path: Path) -> Path:
    """A picture to send: a sky, a sun and two ridges, as a PNG (no camera's metadata to strip)."""
    width, height = 1600, 1000
    picture = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(picture)
    for y in range(height):  # the sky, lighter towards the horizon
        shade = y / height
        draw.line(
            [(0, y), (width, y)], fill=(int(70 + 150 * shade), int(130 + 90 * shade), int(220 + 30 * shade))
        )
    draw.ellipse((1150, 140, 1330, 320), fill=(255, 214, 120))
    draw.polygon(
        [(0, 760), (380, 420), (700, 700), (1050, 380), (1600, 780), (1600, 1000), (0, 1000)],
        fill=(80, 110, 140),
    )
    draw.polygon(
        [(0, 880), (500, 640), (900, 860), (1300, 700), (1600, 900), (1600, 1000), (0, 1000)],
        fill=(44, 86, 70),
    )
    picture.save(path, format="PNG")
    return path


def _send_file(engine: Engine, *, path: Path, contact: str, caption: str) -> ev.MessageView:
    return engine.send_file(path, contact=contact, caption=caption)


def _state(messages: Any, message_id: str) -> ev.AttachmentView | None:
    found: ev.AttachmentView | None = messages.attachment(message_id)
    return found


def file_scene(d: Any, work: Path, bob: HeadlessPeer, *, alice: str, bob_phone: str) -> None:
    """``d`` is the screenshots' Director (its app, wait and shot)."""
    app, m = d.app, d.app.main
    app.chat.open(bob_phone)
    messages = m.conversation.messages
    d.wait(lambda: m.pane is m.conversation and not app.busy, "the conversation with Bob")
    done = ev.TransferState.DONE

    photo = landscape(work / "Lake District.png")
    bob.call(partial(_send_file, path=photo, contact=alice, caption="The view from Cat Bells this morning"))
    d.wait(
        lambda: any(x.attachment and x.attachment.name == photo.name for x in messages.shown()), "the photo"
    )
    photo_id = next(
        x.message_id for x in messages.shown() if x.attachment and x.attachment.name == photo.name
    )
    d.wait(
        lambda: (_state(messages, photo_id) or ev.AttachmentView("", 0, "", done)).state == done,
        "its download",
    )

    minutes = work / "Book club minutes.pdf"
    minutes.write_bytes(b"%PDF-1.4\n" + b"minutes of the book club " * 6000)
    app.chat.files.stage([minutes])  # as the file dialog or a drop would
    m.conversation.composer.set("Minutes from Thursday")
    m.conversation.composer.submit()
    d.wait(
        lambda: any(x.attachment and x.attachment.name == minutes.name for x in messages.shown()),
        "Alice's file",
    )
    minutes_id = next(
        x.message_id for x in messages.shown() if x.attachment and x.attachment.name == minutes.name
    )
    d.wait(
        lambda: (_state(messages, minutes_id) or ev.AttachmentView("", 0, "", done)).state == done,
        "its upload",
    )

    large = work / "Holiday video.mp4"
    with large.open("wb") as out:
        chunk = bytes(range(256)) * 4096
        for _ in range(LARGE // len(chunk)):
            out.write(chunk)
    bob.call(partial(_send_file, path=large, contact=alice, caption=""))
    d.wait(
        lambda: any(x.attachment and x.attachment.name == large.name for x in messages.shown()),
        "the large file",
    )
    large_id = next(
        x.message_id for x in messages.shown() if x.attachment and x.attachment.name == large.name
    )

    def part_way() -> bool:
        state = _state(messages, large_id)
        return (
            state is not None
            and state.state == ev.TransferState.DOWNLOADING
            and state.transferred > LARGE // 5
        )

    d.wait(part_way, "the large file part way", timeout=300)
    messages.jump_to_bottom()
    d.shot("16-pictures-and-files")
