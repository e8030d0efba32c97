"""A message's context menu: right-click on its bubble, or the Menu key or Shift+F10 in the list.

The menu takes the keyboard when it opens (Up, Down, Enter chooses, Esc closes and gives the
keyboard back to the list) but holds no grab: Tk's popup grab would keep the next right-click
from reaching the list. A click elsewhere, or the keyboard going elsewhere, closes it.

The keys open it for the message the keyboard ring is around (:mod:`gui.views.message_ring`), or,
with no ring, for the newest message in view. What it offers is
:func:`gui.view_models.message_actions.offered`'s; a chosen entry goes to ``on_action`` with the
message and, for a reaction, the emoji (else ""); the React part's :data:`MORE` goes out as a
reaction with no emoji, for which the actions' controller opens the emoji picker.
"""

from __future__ import annotations

import time
import tkinter as tk
from collections.abc import Callable

from gui.view_models.message_actions import REACTIONS, MenuAction, offered
from gui.views.loaded_block import LoadedBlock
from gui.views.message_ring import MessageRing
from net.client.core.events import MessageView

#: The React part's last entry: any other emoji, from the picker.
MORE = "More…"


class MessageMenu:
    def __init__(
        self,
        canvas: tk.Canvas,
        block: LoadedBlock,
        ring: MessageRing,
        show: Callable[[str], str] = lambda label: label,
    ) -> None:
        """``show`` prepares an emoji's label as bubbles do (by name where no font has emoji)."""
        self.canvas, self.block, self.ring, self.show = canvas, block, ring, show
        self.on_action: Callable[[MessageView, MenuAction, str], None] = lambda _m, _a, _e: None
        #: The menu shown last (kept for tests and so that a second one replaces it), or None.
        self.menu: tk.Menu | None = None
        #: The message the menu shown last is for.
        self.message_id = ""
        #: When it is now, in seconds (a test sets another clock).
        self.clock: Callable[[], float] = time.time
        canvas.bind("<Button-3>", self._clicked, add="+")
        canvas.bind("<Button-1>", lambda _e: self.close(), add="+")
        for sequence in ("<KeyPress-Menu>", "<Shift-F10>"):
            canvas.bind(sequence, lambda _e: self._key())

    def _clicked(self, event: tk.Event) -> str:
        c = self.canvas
        x, y = c.canvasx(event.x), c.canvasy(event.y)
        for item in reversed(c.find_overlapping(x, y, x, y)):
            for tag in c.gettags(item):
                if tag.startswith("msg:") and tag[4:] in self.block.by_id:
                    self.open(tag[4:], event.x_root, event.y_root)
                    return "break"
        return "break"

    def _key(self) -> str:
        message_id = self.ring.focused if self.ring.focused in self.block.by_id else self._newest_in_view()
        drawn = self.block.by_id.get(message_id) if message_id else None
        if drawn is not None and drawn.bubble_item:
            c = self.canvas
            x0, y0, _x1, _y1 = c.bbox(drawn.bubble_item)
            top = c.canvasy(0)
            x, y = c.winfo_rootx() + int(x0) + 20, c.winfo_rooty() + int(y0 - top) + 10
            self.open(drawn.message.message_id, x, y)
        return "break"

    def _newest_in_view(self) -> str | None:
        c = self.canvas
        bottom = c.canvasy(c.winfo_height())
        ids = [d.message.message_id for d in self.block.drawn if d.bubble_item and d.top < bottom]
        return ids[-1] if ids else None

    def open(self, message_id: str, x: int, y: int) -> tk.Menu | None:
        """The menu for a drawn message at screen position (x, y); None if it offers nothing."""
        drawn = self.block.by_id.get(message_id)
        entries = offered(drawn.message, self.clock()) if drawn is not None else ()
        if drawn is None or not entries:
            return None
        self.close()
        message = drawn.message
        menu = tk.Menu(self.canvas, tearoff=False)
        for entry in entries:
            if entry is MenuAction.REACT:
                for emoji in REACTIONS:
                    ours = any(e == emoji and mine for e, _n, mine in message.reactions)
                    label = self.show(f"{emoji}  {'Take back' if ours else 'React'}")
                    menu.add_command(label=label, command=self._chosen(message, entry, emoji))
                menu.add_command(label=MORE, command=self._chosen(message, entry, ""))  # the emoji picker
                menu.add_separator()
            else:
                menu.add_command(label=entry.value, command=self._chosen(message, entry, ""))
        self.menu, self.message_id = menu, message_id
        menu.bind("<Unmap>", lambda _e: self._gone(menu))
        menu.bind("<FocusOut>", lambda _e: self.canvas.after_idle(lambda: self._focus_left(menu)))
        menu.tk_popup(x, y)  # posts it with the keyboard in it (Up, Down, Enter, Esc)...
        menu.grab_release()  # ...but with no grab, so a click elsewhere reaches the list
        return menu

    def _gone(self, menu: tk.Menu) -> None:
        """Closed by Esc or a choice: the keyboard goes back to the list."""
        if self.menu is menu:
            self.menu = None
            menu.after_idle(menu.destroy)
        if self.canvas.winfo_exists():
            self.canvas.focus_set()

    def _focus_left(self, menu: tk.Menu) -> None:
        """The keyboard went elsewhere (a click outside, another window): the menu closes."""
        if self.menu is menu and menu.winfo_exists() and self.canvas.focus_get() is not menu:
            self.close()

    def _chosen(self, message: MessageView, entry: MenuAction, emoji: str) -> Callable[[], None]:
        def chosen() -> None:
            self.close()
            current = self.block.by_id.get(message.message_id)
            self.on_action(current.message if current is not None else message, entry, emoji)

        return chosen

    def close(self) -> None:
        menu, self.menu = self.menu, None
        if menu is not None and menu.winfo_exists():
            menu.unpost()
            menu.destroy()

    def labels(self) -> list[str]:
        """The entries of the menu shown, as the person reads them (for tests)."""
        menu = self.menu
        if menu is None:
            return []
        last = menu.index("end")
        return [
            str(menu.entrycget(i, "label"))
            for i in range(0 if last is None else last + 1)
            if menu.type(i) == "command"
        ]
