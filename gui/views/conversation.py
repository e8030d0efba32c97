"""One open conversation: header with search, key-change warning, bubbles, typing notice, composer."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from gui.view_models.names import avatar_colour, avatar_text
from gui.view_models.wording import held_messages_note, key_change_warning
from gui.views.bubbles import MessageList
from gui.views.theme import Fonts, Palette


class ConversationPane(ttk.Frame):
    def __init__(self, master: tk.Misc, palette: Palette, fonts: Fonts) -> None:
        super().__init__(master, style="Surface.TFrame")
        self.contact: str | None = None
        self.drafts: dict[str, str] = {}
        self.on_send: Callable[[str], None] = lambda _text: None
        self.on_typing: Callable[[], None] = lambda: None
        self.on_search: Callable[[str], None] = lambda _text: None
        self.on_details: Callable[[], None] = lambda: None
        self.on_accept_key: Callable[[], None] = lambda: None

        header = ttk.Frame(self, style="Surface.TFrame", padding=(18, 10))
        header.grid(row=0, column=0, sticky="ew")
        self.avatar = tk.Canvas(header, width=40, height=40, highlightthickness=0, borderwidth=0)
        self.avatar.pack(side="left", padx=(0, 12))
        names = ttk.Frame(header, style="Surface.TFrame")
        names.pack(side="left", fill="x", expand=True)
        self.name = ttk.Label(names, text="", style="Surface.Heading.TLabel")
        self.name.pack(anchor="w")
        self.subtitle = ttk.Label(names, text="", style="Surface.Muted.TLabel")
        self.subtitle.pack(anchor="w")
        self.details_button = ttk.Button(
            header, text="Safety number & details", command=lambda: self.on_details()
        )
        self.details_button.pack(side="right", padx=(8, 0))
        self.search_var = tk.StringVar(self)
        self.search = ttk.Entry(header, textvariable=self.search_var, width=22)
        self.search.pack(side="right")
        ttk.Label(header, text="Search", style="Surface.Muted.TLabel").pack(side="right", padx=(0, 6))
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

        composer = ttk.Frame(self, style="Surface.TFrame", padding=(14, 8, 14, 12))
        composer.grid(row=6, column=0, sticky="ew")
        self.text = tk.Text(
            composer,
            height=3,
            wrap="word",
            undo=True,
            font=fonts.body,
            relief="flat",
            borderwidth=0,
            highlightthickness=1,
            padx=10,
            pady=8,
        )
        self.text.pack(side="left", fill="x", expand=True)
        self.send_button = ttk.Button(composer, text="Send", style="Accent.TButton", command=self._send)
        self.send_button.pack(side="right", padx=(10, 0), fill="y")
        self.hint = ttk.Label(
            self,
            text="Enter sends · Shift+Enter starts a new line · double-click a message to copy it",
            style="Surface.Muted.TLabel",
            padding=(18, 0, 0, 6),
        )
        self.hint.grid(row=7, column=0, sticky="w")
        self.columnconfigure(0, weight=1)
        self.rowconfigure(4, weight=1)

        self.text.bind("<Return>", self._enter)
        self.text.bind("<KP_Enter>", self._enter)
        self.text.bind("<Shift-Return>", self._new_line)
        self.text.bind("<KeyPress>", self._key)
        self.search.bind("<Return>", lambda _e: self.on_search(self.search_var.get().strip()))
        self.search.bind("<Escape>", lambda _e: self.clear_search())
        self.restyle(palette)

    # ------------------------------------------------------------------ controller-facing

    def open(self, contact: str, name: str, subtitle: str, key_id: str = "") -> None:
        """Show another conversation; what was typed and not sent waits for its return."""
        draft = self.text.get("1.0", "end-1c")
        if self.contact is not None and draft.strip():
            self.drafts[self.contact] = draft
        self.contact = contact
        self.set_header(name, subtitle, key_id)
        self.typing.configure(text="")
        self.search_var.set("")
        self.search_bar.grid_forget()
        self.text.delete("1.0", "end")
        self.text.insert("1.0", self.drafts.pop(contact, ""))
        self.text.focus_set()

    def set_header(self, name: str, subtitle: str, key_id: str = "") -> None:
        """The name shown, the line beneath (the formatted number, unless the name is it), the avatar."""
        phone = self.contact or ""
        self.name.configure(text=name)
        self.subtitle.configure(text=subtitle)
        if subtitle:
            self.subtitle.pack(anchor="w")
        else:  # the name shown is the number: it is never shown twice
            self.subtitle.pack_forget()
        self.avatar.delete("all")
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

    def show_found_note(self, text: str) -> None:
        """Above a page opened at a found message: what is shown, with the way back to the latest."""
        self.search_label.configure(text=text)
        self.search_bar.grid(row=3, column=0, sticky="ew")

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

    # ------------------------------------------------------------------ widgets

    def _send(self) -> None:
        text = self.text.get("1.0", "end-1c").strip()
        if text:
            self.text.delete("1.0", "end")
            self.on_send(text)

    def _enter(self, _event: tk.Event) -> str:
        self._send()
        return "break"

    def _new_line(self, _event: tk.Event) -> str:
        self.text.insert("insert", "\n")
        return "break"

    def _key(self, event: tk.Event) -> None:
        if event.char and event.keysym not in ("Return", "KP_Enter"):
            self.on_typing()
