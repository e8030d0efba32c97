"""The composer: a text field that grows with what is typed (up to eight lines), the paperclip, and Send.

The Send button has a column of its own that never shrinks, so it stays inside
the window at every size the window allows; the text field takes the rest.
Enter sends, Shift+Enter breaks the line, Tab and Shift+Tab leave the field as
in every other field (Ctrl+Tab types a tab). The paperclip (and Ctrl+U, a window key) asks
for files to attach (``on_attach``); staged files wait in a row above the field
(:mod:`gui.views.staged_files`) and Enter sends them with the text as their
caption (``on_send_files``); Escape takes them off. While the answer bar is open
(:mod:`gui.views.answer_bar`: a reply or an edit), Enter hands the text to ``on_answer`` and
Escape closes the bar. The emoji button (☺, or Ctrl+Shift+J) asks for the emoji picker
(``on_emoji``), whose choice :meth:`Composer.insert` types at the cursor. Ctrl+V offers the
clipboard's picture to ``on_paste`` first, which answers whether it took it;
if not, the text is pasted as always. Text that reads right to left is
aligned to the right; Tk 8.6 cannot reorder characters inside an editable field,
so its letters keep their stored order while typed (bubbles show them right).
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from PIL import ImageTk

from gui.view_models.bidi_text import base_is_rtl
from gui.view_models.file_model import Staged
from gui.views.answer_bar import AnswerBar
from gui.views.paperclip import paperclip
from gui.views.staged_files import StagedFiles
from gui.views.theme import Fonts
from net.client.core.events import MessageView

MIN_LINES, MAX_LINES = 2, 8


class Composer(ttk.Frame):
    def __init__(self, master: tk.Misc, fonts: Fonts) -> None:
        super().__init__(master, style="Surface.TFrame", padding=(14, 8, 14, 12))
        self.on_send: Callable[[str], None] = lambda _text: None
        self.on_typing: Callable[[], None] = lambda: None
        #: The paperclip or Ctrl+U: the controller asks which files (the file dialog) and stages them.
        self.on_attach: Callable[[], None] = lambda: None
        #: Enter with files staged: the files, and the text as the caption ("" for none).
        self.on_send_files: Callable[[list[Staged], str], None] = lambda _files, _caption: None
        #: Ctrl+V: True when the clipboard held a picture (or files) and it was staged; else text is pasted.
        self.on_paste: Callable[[], bool] = lambda: False
        #: Enter with the answer bar open: (what is done, the message, the text) for a reply or an edit.
        self.on_answer: Callable[[str, MessageView, str], None] = lambda _mode, _message, _text: None
        self.answer = AnswerBar(self)
        self.answer.on_closed = self._answer_closed
        self.staged = StagedFiles(self)
        self.staged.on_changed = self._staged_changed
        self._clip = paperclip(self, "black")
        # The paperclip over the emoji button, left of the field: beside it they would push Send out
        # of the narrowest window. Made first, so that the buttons gridded into it are drawn above it.
        tools = ttk.Frame(self, style="Surface.TFrame")
        tools.grid(row=2, column=0, sticky="nsw", padx=(0, 8))
        self.attach_button = ttk.Button(self, image=self._clip, command=lambda: self.on_attach())
        self.attach_button.grid(in_=tools, row=0, column=0, sticky="nsew")
        self.text = tk.Text(
            self,
            height=MIN_LINES,
            width=1,  # asks for no width: the grid gives it what Send leaves
            wrap="word",
            undo=True,
            font=fonts.body,
            relief="flat",
            borderwidth=0,
            highlightthickness=1,
            padx=10,
            pady=8,
        )
        self.text.grid(row=2, column=1, sticky="nsew")
        self.send_button = ttk.Button(self, text="Send", style="Accent.TButton", command=self.submit)
        self.send_button.grid(row=2, column=2, sticky="nse", padx=(10, 0))
        #: The emoji button (or Ctrl+Shift+J, a window key): the controller opens the emoji picker.
        self.on_emoji: Callable[[], None] = lambda: None
        # ☺ is in the common text fonts (DejaVu), unlike the colour emoji
        # made after Send: Shift+Tab from the field still goes to the paperclip, Tab to Send
        self.emoji_button = ttk.Button(self, text="☺", width=2, command=lambda: self.on_emoji())
        self.emoji_button.grid(in_=tools, row=1, column=0, sticky="nsew", pady=(4, 0))
        tools.rowconfigure((0, 1), weight=1)
        self.columnconfigure(0, weight=0)
        self.columnconfigure(1, weight=1)
        self.columnconfigure(2, weight=0)
        self.text.tag_configure("rtl", justify="right")

        t = self.text
        for sequence in ("<Return>", "<KP_Enter>"):
            t.bind(sequence, self._enter)
        t.bind("<Shift-Return>", self._new_line)
        t.bind("<Tab>", lambda _e: self._leave(forward=True))
        for sequence in ("<Shift-Tab>", "<ISO_Left_Tab>"):
            t.bind(sequence, lambda _e: self._leave(forward=False))
        t.bind("<Control-Tab>", self._tab)
        for sequence in ("<Control-v>", "<Control-V>"):
            t.bind(sequence, self._paste)
        t.bind("<Escape>", self._escape)
        t.bind("<KeyPress>", self._key)
        t.bind("<<Modified>>", self._modified)
        t.bind("<Configure>", lambda _e: self.fit())

    # ------------------------------------------------------------------ public

    @property
    def value(self) -> str:
        return self.text.get("1.0", "end-1c")

    def set(self, text: str) -> None:
        self.text.delete("1.0", "end")
        self.text.insert("1.0", text)
        self.fit()

    def insert(self, text: str) -> None:
        """``text`` typed at the cursor (over the selection, if any), the keyboard back in the field."""
        t = self.text
        if t.tag_ranges("sel"):
            t.delete("sel.first", "sel.last")
        t.insert("insert", text)
        self.fit()
        t.focus_set()

    def set_ink(self, colour: str) -> None:
        """The paperclip in the theme's text colour."""
        self._clip = paperclip(self, colour)
        self.attach_button.configure(image=self._clip)

    @property
    def lines(self) -> int:
        """How many lines tall the field is now."""
        return int(self.text.cget("height"))

    def submit(self) -> None:
        text = self.value.strip()
        if text and self.answer.message is not None:
            # The open bar says what Enter does: an edit's text must never leave as a new file's
            # caption; staged files stay and go with the next Enter.
            mode, message = self.answer.mode, self.answer.message
            if mode == "reply":
                self.set("")
            self.answer.close()  # an edit gives back what was typed before it
            self.on_answer(mode, message, text)
        elif self.staged.items:
            files = self.staged.take()
            self.set("")
            self.on_send_files(files, text)
        elif text:
            self.set("")
            self.on_send(text)

    def answering(self, mode: str, message: MessageView, words: str, text: str = "") -> None:
        """The bar for a reply to ``message``, or an edit of it (``text`` in the field, over the draft)."""
        self.answer.close()  # one answer at a time; an edit's closing gives back what was typed before it
        self.answer.open(mode, message, words, self.value if mode == "edit" else "")
        self.answer.grid(row=0, column=0, columnspan=3, sticky="ew")
        if mode == "edit":
            self.set(text)
        self.text.focus_set()

    def _answer_closed(self, mode: str, draft: str) -> None:
        self.answer.grid_forget()
        if mode == "edit":  # the message's text goes; what was typed before comes back
            self.set(draft)

    def stage(self, staged: Staged, preview: ImageTk.PhotoImage | None = None) -> None:
        """A file waits above the field for Enter; the keyboard stays in the field for its caption."""
        self.staged.add(staged, preview)

    def fit(self) -> None:
        """As tall as the text's wrapped lines, between two and eight; beyond that the field scrolls."""
        # -update: count the lines as wrapped at the current width, even before the next redraw
        counted = self.text.tk.call(str(self.text), "count", "-update", "-displaylines", "1.0", "end-1c")
        shown = int(counted or 0) + 1
        height = max(MIN_LINES, min(MAX_LINES, shown))
        if height != self.lines:
            self.text.configure(height=height)
        self.text.see("insert")
        if base_is_rtl(self.value):
            self.text.tag_add("rtl", "1.0", "end")
        else:
            self.text.tag_remove("rtl", "1.0", "end")

    # ------------------------------------------------------------------ keys

    def _enter(self, _event: tk.Event) -> str:
        self.submit()
        return "break"

    def _new_line(self, _event: tk.Event) -> str:
        self.text.insert("insert", "\n")
        self.fit()
        return "break"

    def _paste(self, _event: tk.Event) -> str | None:
        return "break" if self.on_paste() else None  # None: the field's own paste runs (text)

    def _escape(self, _event: tk.Event) -> str | None:
        if self.staged.items:
            self.staged.take()
        elif self.answer.mode:
            self.answer.close()
        else:
            return None  # the window's Escape (close a search, the details...)
        return "break"

    def _staged_changed(self) -> None:
        if self.staged.items:
            self.staged.grid(row=1, column=0, columnspan=3, sticky="ew")
        else:
            self.staged.grid_forget()

    def _tab(self, _event: tk.Event) -> str:
        self.text.insert("insert", "\t")
        return "break"

    def _leave(self, *, forward: bool) -> str:
        following = self.text.tk_focusNext() if forward else self.text.tk_focusPrev()
        if following is not None:
            following.focus_set()
        return "break"

    def _key(self, event: tk.Event) -> None:
        if event.char and event.keysym not in ("Return", "KP_Enter", "Tab"):
            self.on_typing()

    def _modified(self, _event: tk.Event) -> None:
        if self.text.edit_modified():
            self.text.edit_modified(False)
            self.fit()
