"""What the message list adds for reading: selecting and copying text, and links, wired together.

Kept out of :mod:`gui.views.bubbles` so that the list keeps to loading and drawing: the
selection (:mod:`gui.views.text_selection`) and the links (:mod:`gui.views.link_marks`) are
told when a bubble is drawn, a drag that selects text keeps a link from opening, and the
keyboard ring (:mod:`gui.views.message_ring`) also stops at messages with a link, where Enter
opens the link when it is the only one.
"""

from __future__ import annotations

import tkinter as tk

from gui.views.bubble_items import Painter
from gui.views.link_marks import LinkMarks
from gui.views.loaded_block import LoadedBlock
from gui.views.message_ring import MessageRing
from gui.views.text_selection import TextSelection
from gui.views.theme import Fonts


def reading_parts(
    canvas: tk.Canvas, block: LoadedBlock, painter: Painter, ring: MessageRing, fonts: Fonts
) -> tuple[TextSelection, LinkMarks]:
    """The list's selection and links, drawn in the painter's colours and told of each bubble it draws."""
    selection = TextSelection(canvas, block, painter.palette, fonts)
    links = LinkMarks(canvas, painter.palette, fonts)
    painter.on_drawn = links.draw
    links.selecting = lambda: selection.span is not None
    ring.addresses = lambda message_id: [link.address for link in links.links_of(message_id)]
    ring.on_link = links.open
    return selection, links
