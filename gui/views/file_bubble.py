"""The picture or file inside a message's bubble: a thumbnail, or an icon with the name and size; a progress
bar while it moves, and the links of what can be done with it.

:class:`FileDrawer` draws the block at the canvas origin, with every item tagged
``att:<message id>``, and says how big it is; the bubble
(:mod:`gui.views.bubble_items`) then moves it into place. A transfer's progress
changes the bar's fill and the state line only (:meth:`FileDrawer.progress`),
never the rest of the timeline. What the words say and which links a state
offers is :mod:`gui.view_models.file_model`'s.
"""

from __future__ import annotations

import logging
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath

from PIL import Image, ImageTk

from gui.view_models.file_model import (
    ACTION_LABEL,
    FileAction,
    actions,
    fraction,
    is_moving,
    is_picture,
    state_text,
    thumbnail_size,
)
from gui.view_models.timeline_model import fit
from gui.views.theme import Fonts, Palette
from net.client.core.events import AttachmentView, MessageView, TransferState
from net.client.images import ImageRefused, decode

log = logging.getLogger(__name__)

#: The file bubble's width at most (a picture's is its thumbnail's), and the icon's size, in pixels.
FILE_WIDEST = 300
_ICON_W, _ICON_H = 34, 42
_BAR_H = 6
_GAP = 6


@dataclass
class FileItems:
    """The items of one drawn block that a progress event changes, and the block's size."""

    width: float = 0.0
    height: float = 0.0
    #: The progress bar's filled part and its full width (0 when no bar is drawn).
    bar_fill: int = 0
    bar_width: float = 0.0
    #: The line that says the size and the state.
    state_item: int = 0
    #: The thumbnail (a picture only).
    image_item: int = 0


def extension_label(name: str) -> str:
    """The icon's word: the file's extension in capitals ("PDF"), at most four letters, else "FILE"."""
    suffix = PurePath(name).suffix.lstrip(".")
    return suffix[:4].upper() if suffix.isalnum() else "FILE"


class FileDrawer:
    """Draws attachments on ``canvas``; keeps the thumbnails' Tk images alive while they are drawn."""

    def __init__(self, canvas: tk.Canvas, palette: Palette, fonts: Fonts) -> None:
        self.canvas, self.palette, self.fonts = canvas, palette, fonts
        #: A link or the thumbnail was clicked: (message id, action).
        self.on_action: Callable[[str, FileAction], None] = lambda _id, _action: None
        #: Thumbnails by (message id, width, height): Tk draws an image only while Python holds it.
        self._images: dict[tuple[str, int, int], ImageTk.PhotoImage] = {}

    def forget_images(self, keep: set[str]) -> None:
        """Let go of the thumbnails of messages no longer drawn."""
        self._images = {key: image for key, image in self._images.items() if key[0] in keep}

    def draw(self, message: MessageView, widest: int) -> FileItems:
        """The block of ``message``'s attachment at the origin, at most ``widest`` pixels wide."""
        attachment = message.attachment
        assert attachment is not None
        tag, items = f"att:{message.message_id}", FileItems()
        tags = (f"msg:{message.message_id}", tag)
        top = 0.0
        if is_picture(attachment):
            top, items.width = self._thumbnail(message, attachment, widest, tags, items)
        else:
            top, items.width = self._file_row(message, attachment, min(widest, FILE_WIDEST), tags, items)
        if is_moving(attachment) or attachment.state == TransferState.PAUSED:
            top = self._bar(message, attachment, items, top + _GAP, tags)
        top = self._links(message, attachment, top, tags)
        items.height = top
        return items

    def progress(self, items: FileItems, attachment: AttachmentView, *, outgoing: bool) -> None:
        """A transfer moved on (its state the same): the bar's fill and the state line follow."""
        c = self.canvas
        if items.bar_fill:
            x0, y0, _x1, y1 = c.coords(items.bar_fill)
            c.coords(items.bar_fill, x0, y0, x0 + max(1.0, items.bar_width * fraction(attachment)), y1)
        if items.state_item:
            c.itemconfigure(items.state_item, text=state_text(attachment, outgoing=outgoing))

    # ------------------------------------------------------------------ parts

    def _colours(self, message: MessageView) -> tuple[str, str]:
        p = self.palette
        return (p.on_mine, p.mine_muted) if message.outgoing else (p.on_theirs, p.muted)

    def _thumbnail(
        self,
        message: MessageView,
        attachment: AttachmentView,
        widest: int,
        tags: tuple[str, ...],
        items: FileItems,
    ) -> tuple[float, float]:
        c, size = self.canvas, thumbnail_size(attachment, widest)
        image = self._image(message.message_id, attachment.thumbnail, size.width, size.height)
        if image is not None:
            items.image_item = c.create_image(0, 0, image=image, anchor="nw", tags=(*tags, "thumbnail"))
        else:  # a thumbnail that does not decode: a plain box of the same size, with the name in it
            items.image_item = c.create_rectangle(
                0, 0, size.width, size.height, fill=self.palette.border, outline="", tags=(*tags, "thumbnail")
            )
            c.create_text(
                size.width / 2,
                size.height / 2,
                text=self.fonts.text.show(attachment.name),
                width=size.width - 8,
                tags=tags,
            )
        message_id = message.message_id
        if attachment.state == TransferState.DONE:
            c.tag_bind(items.image_item, "<Button-1>", lambda _e: self.on_action(message_id, FileAction.VIEW))
        top = float(size.height)
        if attachment.state != TransferState.DONE:  # what is happening to it, under the picture
            colour = self._colours(message)[1]
            items.state_item = c.create_text(
                0,
                top + _GAP,
                text=state_text(attachment, outgoing=message.outgoing),
                anchor="nw",
                font=self.fonts.small,
                fill=colour,
                width=size.width,
                tags=(*tags, "file-state"),
            )
            top = c.bbox(items.state_item)[3]
        return top, float(size.width)

    def _file_row(
        self,
        message: MessageView,
        attachment: AttachmentView,
        width: int,
        tags: tuple[str, ...],
        items: FileItems,
    ) -> tuple[float, float]:
        c, p = self.canvas, self.palette
        text, muted = self._colours(message)
        # On our own (accent) bubble the icon is the other way round: white, the word in the accent.
        icon_fill, icon_text = (p.on_mine, p.mine) if message.outgoing else (p.accent, p.on_accent)
        c.create_rectangle(0, 0, _ICON_W, _ICON_H, fill=icon_fill, outline="", tags=(*tags, "file-icon"))
        c.create_text(
            _ICON_W / 2,
            _ICON_H / 2,
            text=extension_label(attachment.name),
            fill=icon_text,
            font=self.fonts.small,
            tags=tags,
        )
        left = _ICON_W + 10
        room = max(60, width - left)
        name = fit(self.fonts.text.show(attachment.name), room, self.fonts.bold.measure)
        c.create_text(
            left, 2, text=name, anchor="nw", font=self.fonts.bold, fill=text, tags=(*tags, "file-name")
        )
        items.state_item = c.create_text(
            left,
            _ICON_H / 2 + 4,
            text=state_text(attachment, outgoing=message.outgoing),
            anchor="nw",
            font=self.fonts.small,
            fill=p.danger if attachment.state == TransferState.FAILED else muted,
            width=room,
            tags=(*tags, "file-state"),
        )
        bottom = max(float(_ICON_H), c.bbox(items.state_item)[3])
        return bottom, float(width)

    def _bar(
        self,
        message: MessageView,
        attachment: AttachmentView,
        items: FileItems,
        top: float,
        tags: tuple[str, ...],
    ) -> float:
        c, p, width = self.canvas, self.palette, items.width
        # On our own bubble (the accent's colour) the bar is drawn in the bubble's light colours.
        track, colour = (p.mine_muted, p.on_mine) if message.outgoing else (p.border, p.accent)
        if attachment.state == TransferState.PAUSED:
            colour = p.muted
        c.create_rectangle(0, top, width, top + _BAR_H, fill=track, outline="", tags=(*tags, "file-bar"))
        items.bar_width = width
        filled = max(1.0, width * fraction(attachment))
        items.bar_fill = c.create_rectangle(
            0, top, filled, top + _BAR_H, fill=colour, outline="", tags=(*tags, "file-bar-fill")
        )
        return top + _BAR_H

    def _links(
        self, message: MessageView, attachment: AttachmentView, top: float, tags: tuple[str, ...]
    ) -> float:
        # A done picture has no links: a click on it opens the viewer, which saves it (the ring's keys too).
        offered = (
            ()
            if is_picture(attachment) and attachment.state == TransferState.DONE
            else actions(attachment, outgoing=message.outgoing)
        )
        if not offered:
            return top
        c, x, y = self.canvas, 0.0, top + _GAP
        colour = self.palette.on_mine if message.outgoing else self.palette.accent
        message_id = message.message_id
        for action in offered:
            link = c.create_text(
                x,
                y,
                text=ACTION_LABEL[action],
                anchor="nw",
                font=self.fonts.small,
                fill=colour,
                tags=(*tags, "file-link", f"file-link:{action.value}"),
            )
            c.tag_bind(link, "<Button-1>", self._clicked(message_id, action))
            x = c.bbox(link)[2] + 14
        return float(c.bbox(link)[3])

    def _clicked(self, message_id: str, action: FileAction) -> Callable[[tk.Event], None]:
        return lambda _e: self.on_action(message_id, action)

    def _image(self, message_id: str, data: bytes, width: int, height: int) -> ImageTk.PhotoImage | None:
        key = (message_id, width, height)
        image = self._images.get(key)
        if image is not None:
            return image
        try:
            picture = decode(data).convert("RGB")
        except (ImageRefused, OSError, ValueError) as exc:  # a damaged thumbnail costs only itself
            log.warning("a thumbnail did not decode: %s", type(exc).__name__)
            return None
        scaled = picture.resize((width, height), Image.Resampling.LANCZOS)
        image = ImageTk.PhotoImage(scaled, master=self.canvas)
        self._images[key] = image
        return image
