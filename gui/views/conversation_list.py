"""The list of conversations on the left: name, last message, time, an unread badge; requests on top.

A contact's avatar is their profile picture when they sent one (round, tagged
``picture``), else their initials on a colour from their key.

The name and the preview are cut to the pixels left beside the time and the badge
(measured in the font they are drawn in), so a "999+" badge never sits on the text.

The list takes the keyboard as any list does: Tab reaches it, Up/Down (and Home/End)
move a ring over the rows, the requests row included, and Enter or Space opens the
row under the ring. The ring is drawn only while the list has the focus.
"""

from __future__ import annotations

import time
import tkinter as tk
import tkinter.font as tkfont
from collections.abc import Callable
from tkinter import ttk

from gui.view_models.chat_model import conversation_key
from gui.view_models.group_text import group_avatar_colour, group_initials
from gui.view_models.names import avatar_colour, avatar_text, shown_name
from gui.view_models.timeline_model import badge_label, fit
from gui.view_models.wording import when
from gui.views.avatar_pictures import PictureCache
from gui.views.theme import Fonts, Palette
from net.client.core.events import ConversationView

_ROW = 64
_PAD = 14
_AVATAR = 38


def _shown(row: ConversationView) -> str:
    return row.name if row.group_id else shown_name(row.contact, row.name, row.profile_name)


def _avatar(row: ConversationView, name: str) -> tuple[str, str]:
    """The avatar's colour and letters: a group's from its id and name, a contact's from their key."""
    if row.group_id:
        return group_avatar_colour(row.group_id), group_initials(name)
    return avatar_colour(row.key_id, row.contact), avatar_text(name, row.contact)


def _one_line(text: str, limit: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class ConversationList(ttk.Frame):
    def __init__(self, master: tk.Misc, palette: Palette, fonts: Fonts) -> None:
        super().__init__(master, style="Sidebar.TFrame")
        self.palette, self.fonts = palette, fonts
        self.on_select: Callable[[str], None] = lambda _contact: None
        self.on_requests: Callable[[], None] = lambda: None
        #: The requests row's title and line ("" when there are none): it sits above the conversations.
        self.requests_title, self.requests_line = "", ""
        self.canvas = tk.Canvas(
            self, highlightthickness=0, borderwidth=0, background=palette.sidebar, width=300, takefocus=1
        )
        self.canvas.configure(yscrollincrement=_ROW // 2)
        self.canvas.pack(fill="both", expand=True)
        self._rows: list[ConversationView] = []
        self._selected: str | None = None
        #: The row under the keyboard's ring, counted with the requests row when there is one.
        self.cursor = 0
        #: contact -> the preview's right edge and the badge's left edge as drawn (for tests and tools).
        self.drawn_edges: dict[str, tuple[float, float]] = {}
        self.pictures = PictureCache(self.canvas)
        self.canvas.bind("<Configure>", lambda _e: self._draw())
        self.canvas.bind("<Button-1>", self._clicked)
        for sequence in ("<MouseWheel>", "<Button-4>", "<Button-5>"):
            self.canvas.bind(sequence, self._wheel)
        moves = {"<Up>": -1, "<Down>": 1, "<Home>": -(10**6), "<End>": 10**6, "<Prior>": -8, "<Next>": 8}
        for sequence, step in moves.items():
            self.canvas.bind(sequence, self._mover(step))
        for sequence in ("<Return>", "<KP_Enter>", "<space>"):
            self.canvas.bind(sequence, lambda _e: self._open_cursor())
        self.canvas.bind("<FocusIn>", lambda _e: self._focused())
        self.canvas.bind("<FocusOut>", lambda _e: self._draw())

    def show(self, rows: list[ConversationView], selected: str | None) -> None:
        self._rows, self._selected = rows, selected
        self.cursor = min(self.cursor, max(0, self._count() - 1))
        self._draw()

    def neighbour(self, step: int) -> str | None:
        """The conversation ``step`` rows from the open one (the first or last when none is open)."""
        contacts = self.contacts()
        if not contacts:
            return None
        if self._selected not in contacts:
            return contacts[0] if step > 0 else contacts[-1]
        index = contacts.index(self._selected) + step
        return contacts[max(0, min(len(contacts) - 1, index))]

    # ------------------------------------------------------------------ the keyboard

    def _count(self) -> int:
        return len(self._rows) + (1 if self.requests_title else 0)

    def _has_focus(self) -> bool:
        try:
            return self.focus_get() is self.canvas
        except KeyError:  # Tk's own popdown windows have no Python widget
            return False

    def _focused(self) -> None:
        """The ring starts on the open conversation, else on the first row."""
        offset = 1 if self.requests_title else 0
        contacts = self.contacts()
        if self._selected in contacts:
            self.cursor = contacts.index(self._selected) + offset
        self._draw()
        self._reveal()

    def _mover(self, step: int) -> Callable[[tk.Event], str]:
        return lambda _event: self._move(step)

    def _move(self, step: int) -> str:
        if self._count():
            self.cursor = max(0, min(self._count() - 1, self.cursor + step))
            self._draw()
            self._reveal()
        return "break"

    def _open_cursor(self) -> str:
        self._open_index(self.cursor)
        return "break"

    def _reveal(self) -> None:
        """Scroll so that the ring's row is inside the list."""
        c = self.canvas
        total = max(self._count() * _ROW, c.winfo_height(), 1)
        top, bottom = self.cursor * _ROW, (self.cursor + 1) * _ROW
        shown_top = c.canvasy(0)
        if top < shown_top:
            c.yview_moveto(top / total)
        elif bottom > shown_top + c.winfo_height():
            c.yview_moveto((bottom - c.winfo_height()) / total)

    def show_requests(self, title: str, line: str) -> None:
        self.requests_title, self.requests_line = title, line
        self._draw()

    def contacts(self) -> list[str]:
        """The conversations' keys in the order shown: a contact's phone, or a group's id."""
        return [conversation_key(row) for row in self._rows]

    def row_text(self, contact: str) -> tuple[str, str, int] | None:
        """The name, last-message line and unread count shown for a contact (for tests and tools)."""
        for row in self._rows:
            if conversation_key(row) == contact:
                return (
                    _shown(row),
                    _one_line(row.last_text),
                    row.unread,
                )
        return None

    def restyle(self, palette: Palette) -> None:
        self.palette = palette
        self.canvas.configure(background=palette.sidebar)
        self._draw()

    def _draw(self) -> None:
        c, p, f = self.canvas, self.palette, self.fonts
        c.delete("all")
        self.drawn_edges.clear()
        width = max(c.winfo_width(), 200)
        now = time.time()
        small, bold = tkfont.Font(font=f.small), tkfont.Font(font=f.bold)
        first = 0
        if self.requests_title:
            first = _ROW
            c.create_rectangle(0, 0, width, _ROW, fill=p.surface, outline="", tags=("requests",))
            c.create_text(_PAD, 20, text=self.requests_title, anchor="w", fill=p.accent, font=f.bold)
            c.create_text(_PAD, 43, text=self.requests_line, anchor="w", fill=p.muted, font=f.small)
            c.create_line(0, _ROW - 1, width, _ROW - 1, fill=p.border)
        if not self._rows:
            c.create_text(
                width / 2,
                first + 60,
                text="No conversations yet.\nStart one with the button above.",
                fill=p.muted,
                font=f.small,
                justify="center",
            )
        for i, row in enumerate(self._rows):
            top = first + i * _ROW
            key = conversation_key(row)
            if key == self._selected:
                c.create_rectangle(0, top, width, top + _ROW, fill=p.selection, outline="")
            name = _shown(row)
            cx, cy = _PAD + _AVATAR / 2, top + _ROW / 2
            picture = None if row.group_id else self.pictures.get(row.picture, _AVATAR)
            if picture is not None:  # their profile picture where the initials would be
                c.create_image(cx, cy, image=picture, tags=("picture", f"picture:{key}"))
            else:
                colour, letters = _avatar(row, name)
                c.create_oval(
                    cx - _AVATAR / 2,
                    cy - _AVATAR / 2,
                    cx + _AVATAR / 2,
                    cy + _AVATAR / 2,
                    fill=colour,
                    outline="",
                )
                c.create_text(cx, cy, text=letters, fill="#ffffff", font=f.bold)
            left = _PAD * 2 + _AVATAR
            stamp = when(row.last_timestamp, now)
            stamp_w = small.measure(stamp) + 8 if stamp else 0
            c.create_text(width - _PAD, top + 20, text=stamp, anchor="e", fill=p.muted, font=f.small)
            name_line = fit(name, width - _PAD - stamp_w - left, bold.measure)
            c.create_text(left, top + 20, text=f.text.show(name_line), anchor="w", fill=p.text, font=f.bold)
            badge_left = float(width - _PAD)
            if row.unread:
                label = badge_label(row.unread)
                r = 10.0
                half = max(0.0, small.measure(label) / 2 + 6 - r)  # a pill as wide as its label needs
                bx, by = width - _PAD - r - half, top + 43
                c.create_oval(bx - half - r, by - r, bx - half + r, by + r, fill=p.accent, outline="")
                c.create_oval(bx + half - r, by - r, bx + half + r, by + r, fill=p.accent, outline="")
                c.create_rectangle(bx - half, by - r, bx + half, by + r, fill=p.accent, outline="")
                c.create_text(bx, by, text=label, fill=p.on_accent, font=f.small)
                badge_left = bx - half - r
            text = row.last_text or "No messages yet"
            preview = fit(text, badge_left - 8 - left, small.measure)
            shown_preview = f.text.show(preview)
            item = c.create_text(left, top + 43, text=shown_preview, anchor="w", fill=p.muted, font=f.small)
            self.drawn_edges[key] = (float(c.bbox(item)[2]) if preview else float(left), badge_left)
            c.create_line(left, top + _ROW - 1, width, top + _ROW - 1, fill=p.border)
        if self._count() and self._has_focus():
            top = self.cursor * _ROW
            c.create_rectangle(
                2, top + 2, width - 2, top + _ROW - 2, outline=p.accent, width=2, tags=("ring",)
            )
        c.configure(scrollregion=(0, 0, width, max(first + len(self._rows) * _ROW, c.winfo_height())))

    def _clicked(self, event: tk.Event) -> None:
        index = int(self.canvas.canvasy(event.y) // _ROW)
        if 0 <= index < self._count():
            self.cursor = index
        self._open_index(index)

    def _open_index(self, index: int) -> None:
        if self.requests_title:
            if index == 0:
                self.on_requests()
                return
            index -= 1
        if 0 <= index < len(self._rows):
            self.on_select(conversation_key(self._rows[index]))

    def _wheel(self, event: tk.Event) -> None:
        direction = -1 if event.num == 4 or getattr(event, "delta", 0) > 0 else 1
        self.canvas.yview_scroll(direction, "units")
