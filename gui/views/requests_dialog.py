"""The message requests window: strangers who wrote first, what they sent, and Accept, Block, Delete."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from gui.view_models.requests_model import request_heading, request_key, request_title
from gui.views.theme import Palette
from net.client.core.events import GroupRequest, MessageView, RequestView


def _over(master: tk.Misc, width: int, height: int) -> str:
    """The geometry offset that centres a ``width`` x ``height`` window over ``master``'s window."""
    parent = master.winfo_toplevel()
    x = parent.winfo_rootx() + max(0, (parent.winfo_width() - width) // 2)
    y = parent.winfo_rooty() + max(0, (parent.winfo_height() - height) // 3)
    return f"+{x}+{y}"


class RequestsDialog(tk.Toplevel):
    """Not modal: the main window keeps working (and receiving) while it is open."""

    def __init__(self, master: tk.Misc, palette: Palette) -> None:
        super().__init__(master)
        self.title("Message requests")
        self.configure(background=palette.surface)
        # Never wider or taller than the screen: at 800x600 the buttons stay inside it.
        width = min(820, self.winfo_screenwidth() - 40)
        height = min(460, self.winfo_screenheight() - 80)
        self.minsize(min(560, width), min(360, height))
        self.geometry(f"{width}x{height}{_over(master, width, height)}")
        self.on_pick: Callable[[str], None] = lambda _phone: None
        self.on_accept: Callable[[str], None] = lambda _phone: None
        self.on_block: Callable[[str], None] = lambda _phone: None
        self.on_delete: Callable[[str], None] = lambda _phone: None
        self._requests: list[RequestView | GroupRequest] = []
        self.selected: str | None = None

        body = ttk.Frame(self, style="Surface.TFrame", padding=16)
        body.pack(fill="both", expand=True)
        body.columnconfigure(1, weight=1)
        body.rowconfigure(1, weight=1)
        self.summary = ttk.Label(body, text="", style="Surface.Muted.TLabel")
        self.summary.grid(row=0, column=0, columnspan=2, sticky="w", pady=(0, 8))
        self.listbox = tk.Listbox(
            body, width=24, exportselection=False, activestyle="none", font="ParleyBody"
        )
        self.listbox.grid(row=1, column=0, sticky="ns", padx=(0, 12))
        self.listbox.bind("<<ListboxSelect>>", lambda _e: self._picked())

        right = ttk.Frame(body, style="Surface.TFrame")
        right.grid(row=1, column=1, sticky="nsew")
        right.rowconfigure(1, weight=1)
        right.columnconfigure(0, weight=1)
        self.heading = ttk.Label(right, text="", style="Surface.TLabel", wraplength=360, justify="left")
        self.heading.grid(row=0, column=0, sticky="ew")
        self.messages = tk.Text(
            right, height=6, width=30, wrap="word", state="disabled", relief="flat", font="ParleyBody"
        )
        self.messages.grid(row=1, column=0, sticky="nsew", pady=8)
        buttons = ttk.Frame(right, style="Surface.TFrame")
        buttons.grid(row=2, column=0, sticky="e")
        self.delete_button = ttk.Button(buttons, text="Delete", command=lambda: self._act(self.on_delete))
        self.block_button = ttk.Button(buttons, text="Block", command=lambda: self._act(self.on_block))
        self.accept_button = ttk.Button(
            buttons, text="Accept", style="Accent.TButton", command=lambda: self._act(self.on_accept)
        )
        for button in (self.delete_button, self.block_button, self.accept_button):
            button.pack(side="left", padx=(8, 0))
        self.bind("<Escape>", lambda _e: self.destroy())
        # Enter accepts, as the default button of a form; the list has the keyboard first.
        self.bind("<Return>", lambda _e: self.accept_button.invoke())
        self.bind("<KP_Enter>", lambda _e: self.accept_button.invoke())
        self.after_idle(self.listbox.focus_set)

    def show(self, requests: list[RequestView | GroupRequest], summary: str) -> None:
        self._requests = requests
        self.summary.configure(text=summary)
        self.listbox.delete(0, "end")
        for request in requests:
            self.listbox.insert("end", f"{request_title(request)}  ({request.messages})")
        phones = [request_key(r) for r in requests]
        if self.selected not in phones:
            self.selected = phones[0] if phones else None
        if self.selected is not None:
            index = phones.index(self.selected)
            self.listbox.selection_clear(0, "end")
            self.listbox.selection_set(index)
            self.heading.configure(text=request_heading(requests[index]))
            self.on_pick(self.selected)
        else:
            self.heading.configure(text="No message requests.")
            self.show_messages([])
        state = "normal" if self.selected is not None else "disabled"
        for button in (self.delete_button, self.block_button, self.accept_button):
            button.configure(state=state)

    def show_messages(self, messages: list[MessageView]) -> None:
        """The request's messages, oldest first (only text: links and names in them are not followed)."""
        self.messages.configure(state="normal")
        self.messages.delete("1.0", "end")
        for message in reversed(messages):
            self.messages.insert("end", message.text + "\n\n")
        self.messages.configure(state="disabled")

    def shown_text(self) -> str:
        return self.messages.get("1.0", "end").strip()

    def _picked(self) -> None:
        chosen = self.listbox.curselection()
        if chosen:
            request = self._requests[chosen[0]]
            self.selected = request_key(request)
            self.heading.configure(text=request_heading(request))
            self.on_pick(self.selected)

    def _act(self, action: Callable[[str], None]) -> None:
        if self.selected is not None:
            action(self.selected)
