"""One open conversation: header with search, key-change warning, bubbles, typing notice, composer."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from PIL import ImageTk

from gui.view_models.file_model import Staged
from gui.view_models.group_text import group_avatar_colour, group_initials
from gui.view_models.names import avatar_colour, avatar_text
from gui.view_models.timer_text import choice_words
from gui.view_models.wording import held_messages_note, key_change_warning
from gui.views.avatar_pictures import PictureCache
from gui.views.bubbles import MessageList
from gui.views.composer import Composer
from gui.views.theme import Fonts, Palette
from gui.views.timer_choice import TITLE as TIMER_TITLE
from gui.views.timer_choice import TimerChoice


def hint_text(*, drop: bool) -> str:
    """The line under the composer; where files cannot be dropped it says how else to attach them."""
    files = "drop files here or press Ctrl+U" if drop else "Ctrl+U attaches files (dropping is not available)"
    return f"Enter sends · Shift+Enter new line · {files} · select words in a message and Ctrl+C copies them"


#: Below this width the header folds its search field, details and timer buttons into a menu.
WIDE_HEADER = 660


def timer_entry(seconds: int) -> str:
    """The ⋯ menu's entry for the timer: "Disappearing messages: Off", "…: 1 hour"."""
    return f"{TIMER_TITLE}: {choice_words(seconds)}"


class ConversationPane(ttk.Frame):
    def __init__(self, master: tk.Misc, palette: Palette, fonts: Fonts) -> None:
        super().__init__(master, style="Surface.TFrame")
        self.fonts = fonts
        self.contact: str | None = None
        self.drafts: dict[str, str] = {}
        #: Files staged and not sent, by conversation, while another one is open (with their previews).
        self.staged_drafts: dict[str, list[tuple[Staged, ImageTk.PhotoImage | None]]] = {}
        self.on_send: Callable[[str], None] = lambda _text: None
        self.on_typing: Callable[[], None] = lambda: None
        self.on_search: Callable[[str], None] = lambda _text: None
        self.on_details: Callable[[], None] = lambda: None
        self.on_accept_key: Callable[[], None] = lambda: None
        #: A group's header: its ⋯ menu's Rename and Leave (Members is ``on_details``).
        self.on_rename_group: Callable[[], None] = lambda: None
        self.on_leave_group: Callable[[], None] = lambda: None
        #: The open conversation is a group's (its id is ``contact``).
        self.is_group = False

        # The header: at a narrow width the search field and the details button fold into a menu
        # (the search comes back on its own row with Ctrl+F), so nothing is ever cut short.
        header = ttk.Frame(self, style="Surface.TFrame", padding=(18, 10))
        header.grid(row=0, column=0, sticky="ew")
        self.header = header
        self.avatar = tk.Canvas(header, width=40, height=40, highlightthickness=0, borderwidth=0)
        self.pictures = PictureCache(self.avatar)
        self.avatar.grid(row=0, column=0, padx=(0, 12))
        names = ttk.Frame(header, style="Surface.TFrame", width=1)
        names.grid(row=0, column=1, sticky="ew")
        self.name = ttk.Label(names, text="", style="Surface.Heading.TLabel", width=1)
        self.name.pack(anchor="w", fill="x")
        self.subtitle = ttk.Label(names, text="", style="Surface.Muted.TLabel", width=1)
        self.subtitle.pack(anchor="w", fill="x")
        self.search_caption = ttk.Label(header, text="Search", style="Surface.Muted.TLabel")
        self.search_var = tk.StringVar(self)
        self.search = ttk.Entry(header, textvariable=self.search_var, width=22)
        self.details_button = ttk.Button(
            header, text="Safety number & details", command=lambda: self.on_details()
        )
        #: The disappearing timer's button (folded away with the search at a narrow width) and its
        #: choices, which the ⋯ menu has too.
        self.timer = TimerChoice(header)
        self.menu_button = ttk.Menubutton(header, text="⋯", width=2)
        self.menu = tk.Menu(self.menu_button, tearoff=False)
        self._fill_menu()
        self.menu_button.configure(menu=self.menu)
        self.search_row = ttk.Frame(header, style="Surface.TFrame", padding=(0, 8, 0, 0))
        self.search_row_label = ttk.Label(self.search_row, text="Search", style="Surface.Muted.TLabel")
        self.search_row_label.pack(side="left", padx=(0, 6))
        header.columnconfigure(1, weight=1)
        self._narrow: bool | None = None
        self._search_open = False
        #: The bar under the header says where a found message is shown (not what a search found).
        self._found_note = False
        header.bind("<Configure>", lambda e: self._fold(e.width))
        self._fold(WIDE_HEADER)
        ttk.Separator(self).grid(row=1, column=0, sticky="ew")

        self.banner = ttk.Frame(self, style="Warning.TFrame", padding=(18, 10))
        self.banner_text = ttk.Label(
            self.banner, text="", style="Warning.TLabel", wraplength=640, justify="left"
        )
        self.banner_text.pack(anchor="w")
        self.banner_note = ttk.Label(
            self.banner, text="", style="Warning.TLabel", wraplength=640, justify="left"
        )
        self.banner_note.pack(anchor="w", pady=(2, 6))
        row = ttk.Frame(self.banner, style="Warning.TFrame")
        row.pack(anchor="w")
        self.compare_button = ttk.Button(
            row, text="Compare safety numbers", command=lambda: self.on_details()
        )
        self.compare_button.pack(side="left")
        self.accept_button = ttk.Button(
            row, text="I understand — continue", command=lambda: self.on_accept_key()
        )
        self.accept_button.pack(side="left", padx=(8, 0))

        self.search_bar = ttk.Frame(self, style="Surface.TFrame", padding=(18, 6))
        self.search_label = ttk.Label(self.search_bar, text="", style="Surface.Muted.TLabel")
        self.search_label.pack(side="left")
        ttk.Button(self.search_bar, text="Show all messages", command=self.clear_search).pack(side="right")

        self.messages = MessageList(self, palette, fonts)
        self.messages.grid(row=4, column=0, sticky="nsew")
        self.typing = ttk.Label(self, text="", style="Surface.Muted.TLabel", padding=(18, 2))
        self.typing.grid(row=5, column=0, sticky="ew")

        self.composer = Composer(self, fonts)
        self.composer.grid(row=6, column=0, sticky="ew")
        self.composer.on_send = lambda text: self.on_send(text)
        self.composer.on_typing = lambda: self.on_typing()
        self.text = self.composer.text
        self.send_button = self.composer.send_button
        self.hint = ttk.Label(
            self,
            text=hint_text(drop=False),
            style="Surface.Muted.TLabel",
            padding=(18, 0, 0, 6),
            width=1,
        )
        self.hint.grid(row=7, column=0, sticky="ew")
        self.hint.bind("<Configure>", lambda e: self.hint.configure(wraplength=max(e.width - 24, 100)))
        self.columnconfigure(0, weight=1)
        self.rowconfigure(4, weight=1)

        for sequence in ("<Return>", "<KP_Enter>"):  # the search's Enter searches and goes no further
            self.search.bind(sequence, self._search_entered)
        self.search.bind("<Escape>", self._search_escaped)
        self.restyle(palette)

    # ------------------------------------------------------------------ controller-facing

    def open(self, contact: str, name: str, subtitle: str, key_id: str = "", picture: bytes = b"") -> None:
        """Show another conversation; what was typed or staged and not sent waits for its return."""
        self.composer.answer.close()  # a reply or an edit belongs to the conversation left
        draft = self.text.get("1.0", "end-1c")
        if self.contact is not None and draft.strip():
            self.drafts[self.contact] = draft
        parked = self.composer.staged.park()
        if self.contact is not None and parked:
            self.staged_drafts[self.contact] = parked
        self.contact = contact
        self.set_header(name, subtitle, key_id, picture)
        self.typing.configure(text="")
        self.search_var.set("")
        self.search_bar.grid_forget()
        self._close_search_row()
        self.composer.set(self.drafts.pop(contact, ""))
        for staged, preview in self.staged_drafts.pop(contact, []):
            self.composer.stage(staged, preview)
        self.text.focus_set()

    def set_drop_hint(self, drop: bool) -> None:
        """Whether files dropped onto the conversation are taken: the hint says so, or says what to do."""
        self.hint.configure(text=hint_text(drop=drop))

    def _fill_menu(self) -> None:
        self.menu.delete(0, "end")
        self.menu.add_command(label="Search in this conversation", command=self.focus_search)
        if self.is_group:
            self.menu.add_command(label="Members", command=lambda: self.on_details())
            self.menu.add_command(label="Rename", command=lambda: self.on_rename_group())
            self.menu.add_command(label="Leave", command=lambda: self.on_leave_group())
        else:
            self.menu.add_command(label="Safety number & details", command=lambda: self.on_details())
        timer_menu = tk.Menu(self.menu, tearoff=False)
        self.timer.fill(timer_menu)
        self.menu.add_cascade(label=timer_entry(self.timer.seconds), menu=timer_menu)
        index = self.menu.index("end") or 0

        def shown(seconds: int) -> None:
            # Folded into this menu, the timer says what it is set to where the person looks for it.
            self.menu.entryconfigure(index, label=timer_entry(seconds))

        self.timer.on_shown = shown

    def set_group(self, is_group: bool) -> None:
        """A group's header has Members, Rename and Leave in its ⋯ menu, which it always shows."""
        if is_group == self.is_group:
            return
        self.is_group = is_group
        self._fill_menu()
        self.details_button.configure(text="Members" if is_group else "Safety number & details")
        if is_group:
            self.menu_button.grid(row=0, column=5, padx=(8, 0))
        elif not self._narrow:
            self.menu_button.grid_forget()

    def menu_labels(self) -> list[str]:
        """The ⋯ menu's entries (for tests and tools)."""
        return [str(self.menu.entrycget(i, "label")) for i in range(int(self.menu.index("end") or 0) + 1)]

    def set_header(self, name: str, subtitle: str, key_id: str = "", picture: bytes = b"") -> None:
        """The name shown, the line beneath (the formatted number, unless the name is it), the avatar.

        A contact's avatar is their profile picture when they sent one, else their initials.
        """
        phone = self.contact or ""
        if self.is_group:  # a group: its name, "N members", initials in a colour from its id
            self.name.configure(text=self.fonts.text.show(name))
            self.subtitle.configure(text=subtitle)
            self.subtitle.pack(anchor="w")
            self.avatar.delete("all")
            self.avatar.create_oval(1, 1, 39, 39, fill=group_avatar_colour(phone), outline="")
            self.avatar.create_text(20, 20, text=group_initials(name), fill="#ffffff", font="ParleyBold")
            return
        self.name.configure(text=self.fonts.text.show(name))
        self.subtitle.configure(text=subtitle)
        if subtitle:
            self.subtitle.pack(anchor="w")
        else:  # the name shown is the number: it is never shown twice
            self.subtitle.pack_forget()
        self.avatar.delete("all")
        image = self.pictures.get(picture, 38)
        if image is not None:
            self.avatar.create_image(20, 20, image=image, tags=("picture",))
            return
        self.avatar.create_oval(1, 1, 39, 39, fill=avatar_colour(key_id, phone or name), outline="")
        self.avatar.create_text(20, 20, text=avatar_text(name, phone), fill="#ffffff", font="ParleyBold")

    def show_key_warning(self, name: str | None) -> None:
        if name is None:
            self.banner.grid_forget()
            return
        self.banner_text.configure(text="⚠  " + key_change_warning(name))
        self.banner_note.configure(text=held_messages_note(name))
        self.banner.grid(row=2, column=0, sticky="ew")

    @property
    def key_warning_shown(self) -> bool:
        return bool(self.banner.winfo_manager())

    def show_search_results(self, text: str, count: int) -> None:
        noun = "message" if count == 1 else "messages"
        self.search_label.configure(text=f"{count} {noun} with “{text}”")
        self.search_bar.grid(row=3, column=0, sticky="ew")
        self._found_note = False

    def show_found_note(self, text: str) -> None:
        """Above a page opened at a found message: what is shown, with the way back to the latest."""
        self.search_label.configure(text=text)
        self.search_bar.grid(row=3, column=0, sticky="ew")
        self._found_note = True

    def hide_found_note(self) -> None:
        """The newest messages are shown again: the note about the found one goes (search results stay)."""
        if self._found_note:
            self._found_note = False
            self.search_bar.grid_forget()

    def clear_search(self) -> None:
        if self.search_bar.winfo_manager():
            self.search_bar.grid_forget()
            self.search_var.set("")
            self.on_search("")

    def restyle(self, palette: Palette) -> None:
        self.avatar.configure(background=palette.surface)
        self.text.configure(
            background=palette.field,
            foreground=palette.text,
            insertbackground=palette.text,
            highlightbackground=palette.border,
            highlightcolor=palette.accent,
        )
        self.messages.restyle(palette)
        self.composer.set_ink(palette.text)
        self.timer.set_ink(palette.text)

    # ------------------------------------------------------------------ header, search, scrolling

    @property
    def narrow(self) -> bool:
        """Whether the header has folded its search and details into the menu."""
        return bool(self._narrow)

    def focus_search(self) -> None:
        """Put the cursor in the search field; a folded header shows it on its own row first."""
        if self._narrow and not self._search_open:
            self._search_open = True
            self.search.configure(width=1)  # on its own row it takes the row's width, whatever that is
            self.search.pack(in_=self.search_row, side="left", fill="x", expand=True)
            self.search_row.grid(row=1, column=0, columnspan=5, sticky="ew")
        self.search.focus_set()
        self.search.select_range(0, "end")

    def leave_search(self) -> None:
        """Escape in the search field: the search ends, the cursor goes back to the composer."""
        self.clear_search()
        self.search_var.set("")
        self._close_search_row()
        self.text.focus_set()

    def _search_entered(self, _event: tk.Event) -> str:
        self.on_search(self.search_var.get().strip())
        return "break"

    def _search_escaped(self, _event: tk.Event) -> str:
        self.leave_search()
        return "break"

    def _close_search_row(self) -> None:
        if self._search_open:
            self._search_open = False
            self.search.pack_forget()
            self.search_row.grid_forget()

    def _fold(self, width: int) -> None:
        narrow = width < WIDE_HEADER
        if narrow == self._narrow:
            return
        self._narrow = narrow
        for widget in (
            self.search_caption,
            self.search,
            self.details_button,
            self.menu_button,
            self.timer.button,
        ):
            widget.grid_forget()
            widget.pack_forget()
        if narrow or self.is_group:
            self.menu_button.grid(row=0, column=2 if narrow else 5, padx=(8, 0))
        if narrow:
            if self._search_open:
                self.search.configure(width=1)
                self.search.pack(in_=self.search_row, side="left", fill="x", expand=True)
        else:
            focused = self.focus_get() is self.search
            self._search_open = False
            self.search_row.grid_forget()
            self.search_caption.grid(row=0, column=2, padx=(8, 6))
            self.search.configure(width=22)
            self.search.grid(row=0, column=3, in_=self.header)
            self.details_button.grid(row=0, column=4, padx=(8, 0))
            self.timer.button.grid(row=0, column=6, padx=(8, 0))
            if focused:
                self.search.focus_set()

    def scroll(self, how: str) -> None:
        """Page Up/Down and Ctrl+Home/End: "up", "down", "top" or "bottom"."""
        self.messages.scroll(how)
