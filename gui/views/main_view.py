"""The main window's frame: conversations on the left, the open pane on the right, a status bar below."""

from __future__ import annotations

import tkinter as tk
import tkinter.font as tkfont
from collections.abc import Callable
from tkinter import ttk

from gui.view_models.names import formatted_number
from gui.view_models.timeline_model import fit
from gui.views.contact_details import ContactDetailsPane
from gui.views.conversation import ConversationPane
from gui.views.conversation_list import ConversationList
from gui.views.fields import FormField
from gui.views.group_members import GroupMembersPane
from gui.views.new_group import NewGroupPane
from gui.views.search_results import SearchField, SearchResults
from gui.views.settings import SettingsPane
from gui.views.theme import Fonts, Palette


class MainView(ttk.Frame):
    def __init__(self, master: tk.Misc, palette: Palette, fonts: Fonts) -> None:
        super().__init__(master)
        self.on_new_conversation: Callable[[str, str], None] = lambda _phone, _name: None
        self.on_settings: Callable[[], None] = lambda: None
        self.on_reconnect: Callable[[], None] = lambda: None
        self.on_new_group: Callable[[], None] = lambda: None

        panes = ttk.Panedwindow(self, orient="horizontal")
        panes.grid(row=1, column=0, sticky="nsew")
        sidebar = ttk.Frame(panes, style="Sidebar.TFrame", width=320)
        self.content = ttk.Frame(panes, style="Surface.TFrame")
        panes.add(sidebar, weight=0)
        panes.add(self.content, weight=1)

        top = ttk.Frame(sidebar, style="Sidebar.TFrame", padding=(14, 12, 14, 8))
        top.pack(fill="x")
        self.profile_name = ttk.Label(top, text="", style="Sidebar.Heading.TLabel")
        self.profile_name.grid(row=0, column=0, sticky="w")
        self.profile_phone = ttk.Label(top, text="", style="Sidebar.Muted.TLabel")
        self.profile_phone.grid(row=1, column=0, sticky="w")
        self.settings_button = ttk.Button(
            top, text="⚙  Settings", style="Link.TButton", command=lambda: self.on_settings()
        )
        self.settings_button.grid(row=0, column=1, rowspan=2, sticky="e")
        top.columnconfigure(0, weight=1)
        # A long name (or a zoomed one) is cut with "…" beside the Settings button, never drawn under it.
        self._own = ("", "")
        top.bind("<Configure>", lambda e: self._fit_own(e.width - self.settings_button.winfo_reqwidth() - 36))
        actions = ttk.Frame(sidebar, style="Sidebar.TFrame")
        actions.pack(fill="x", padx=14, pady=(0, 10))
        # Two short labels in two equal columns: together they fit the sidebar's 300 pixels at 100 %
        # (longer ones widened the sidebar and squeezed the conversation at 800x600).
        self.new_button = ttk.Button(
            actions, text="+  New chat", style="Accent.TButton", command=self.open_new_form
        )
        self.new_button.grid(row=0, column=0, sticky="ew")
        self.new_group_button = ttk.Button(actions, text="+  New group", command=lambda: self.on_new_group())
        self.new_group_button.grid(row=0, column=1, sticky="ew", padx=(6, 0))
        for column in (0, 1):
            actions.columnconfigure(column, weight=1, uniform="new")
        self._actions = actions

        self.new_form = ttk.Frame(sidebar, style="Sidebar.TFrame", padding=(14, 0, 14, 10))
        self.new_phone = FormField(
            self.new_form, "Their phone number (+ country code)", area="Sidebar", width=24
        )
        self.new_phone.pack(fill="x")
        self.new_name = FormField(self.new_form, "Name (optional)", area="Sidebar", width=24)
        self.new_name.pack(fill="x")
        row = ttk.Frame(self.new_form, style="Sidebar.TFrame")
        row.pack(fill="x")
        self.start_button = ttk.Button(row, text="Start", style="Accent.TButton", command=self._start)
        self.start_button.pack(side="left")
        ttk.Button(row, text="Cancel", command=self.close_new_form).pack(side="left", padx=8)
        for field in (self.new_phone, self.new_name):
            field.entry.bind("<Return>", lambda _e: self._start())
            field.entry.bind("<Escape>", lambda _e: self.close_new_form())

        self.search_field = SearchField(sidebar, palette, fonts)
        self.search_field.pack(fill="x", padx=14, pady=(0, 10))

        ttk.Separator(sidebar).pack(fill="x")
        self.conversations = ConversationList(sidebar, palette, fonts)
        self.conversations.pack(fill="both", expand=True)
        self.search_results = SearchResults(sidebar, palette, fonts)

        self.notice = ttk.Frame(self, style="Warning.TFrame", padding=(14, 6))
        self.notice_text = ttk.Label(
            self.notice, text="", style="Warning.TLabel", wraplength=600, justify="left"
        )
        dismiss = ttk.Button(self.notice, text="Dismiss", command=self.hide_notice)
        # The button is packed first so that it keeps its place; the sentence wraps to what is left.
        dismiss.pack(side="right", padx=(12, 0))
        self.notice_text.pack(side="left", fill="x", expand=True)
        self.notice.bind(
            "<Configure>",
            lambda e: self.notice_text.configure(
                wraplength=max(120, e.width - dismiss.winfo_reqwidth() - 40)
            ),
        )

        status = ttk.Frame(self, style="Status.TFrame", padding=(12, 3))
        status.grid(row=2, column=0, sticky="ew")
        self.status_dot = tk.Label(status, text="●", font=fonts.small, borderwidth=0)
        self.status_dot.pack(side="left")
        self.status = ttk.Label(status, text="Offline", style="Status.TLabel")
        self.status.pack(side="left", padx=(4, 0))
        self.reconnect_button = ttk.Button(
            status, text="Log in", style="Link.TButton", command=lambda: self.on_reconnect()
        )
        self.busy = ttk.Progressbar(status, mode="indeterminate", length=120)
        self.busy_label = ttk.Label(status, text="", style="Status.TLabel")
        self.columnconfigure(0, weight=1)
        self.rowconfigure(1, weight=1)

        self.empty = ttk.Frame(self.content, style="Surface.TFrame")
        ttk.Label(
            self.empty,
            text="Choose a conversation, or start a new one.",
            style="Surface.Muted.TLabel",
            font=fonts.body,
        ).place(relx=0.5, rely=0.45, anchor="center")
        self.conversation = ConversationPane(self.content, palette, fonts)
        self.details = ContactDetailsPane(self.content)
        self.new_group = NewGroupPane(self.content)
        self.members = GroupMembersPane(self.content)
        self.settings = SettingsPane(self.content)
        self._pane: ttk.Frame = self.empty
        self.empty.pack(fill="both", expand=True)
        self.palette = palette

    # ------------------------------------------------------------------ panes

    def show_pane(self, pane: ttk.Frame) -> None:
        if pane is not self._pane:
            self._pane.pack_forget()
            pane.pack(fill="both", expand=True)
            self._pane = pane

    @property
    def pane(self) -> ttk.Frame:
        return self._pane

    def show_search(self, shown: bool) -> None:
        """The search results in place of the conversation list, or the list again."""
        if shown and not self.search_results.winfo_manager():
            self.conversations.pack_forget()
            self.search_results.pack(fill="both", expand=True)
        elif not shown and self.search_results.winfo_manager():
            self.search_results.pack_forget()
            self.conversations.pack(fill="both", expand=True)

    @property
    def search_shown(self) -> bool:
        return bool(self.search_results.winfo_manager())

    def open_new_form(self) -> None:
        self.new_form.pack(fill="x", after=self._actions)
        self.new_phone.error("")
        self.new_phone.entry.focus_set()

    def close_new_form(self) -> None:
        self.new_form.pack_forget()
        self.new_phone.set("")
        self.new_name.set("")
        self.new_phone.error("")

    def new_form_error(self, text: str) -> None:
        self.new_phone.error(text)

    def _start(self) -> None:
        self.on_new_conversation(self.new_phone.value, self.new_name.value)

    # ------------------------------------------------------------------ status and notices

    def set_profile(self, name: str, phone: str) -> None:
        """Our own name and number above the list; the number in international form, as contacts' are."""
        self._own = (name, formatted_number(phone) if phone else "")
        self.profile_name.configure(text=name)
        self.profile_phone.configure(text=self._own[1])
        top = self.profile_name.master
        if top.winfo_width() > 1:
            self._fit_own(top.winfo_width() - self.settings_button.winfo_reqwidth() - 36)

    @property
    def own_name(self) -> str:
        """Our name as given (the label may show it cut to fit)."""
        return self._own[0]

    def _fit_own(self, room: int) -> None:
        style = ttk.Style(self)
        for label, text, style_name in (
            (self.profile_name, self._own[0], "Sidebar.Heading.TLabel"),
            (self.profile_phone, self._own[1], "Sidebar.Muted.TLabel"),
        ):
            font = tkfont.Font(font=style.lookup(style_name, "font") or "TkDefaultFont")
            label.configure(text=fit(text, max(room, 20), font.measure))

    def set_status(self, text: str, colour: str, *, offer_login: bool = False) -> None:
        self.status.configure(text=text)
        self.status_dot.configure(foreground=colour, background=self.palette.sidebar)
        if offer_login:
            self.reconnect_button.pack(side="left", padx=(8, 0))
        else:
            self.reconnect_button.pack_forget()

    def set_busy(self, text: str | None) -> None:
        if text:
            self.busy_label.configure(text=text)
            self.busy.pack(side="right")
            self.busy_label.pack(side="right", padx=(0, 8))
            self.busy.start(15)
        else:
            self.busy.stop()
            self.busy.pack_forget()
            self.busy_label.pack_forget()

    def show_notice(self, text: str) -> None:
        self.notice_text.configure(text=text)
        self.notice.grid(row=0, column=0, sticky="ew")

    def hide_notice(self) -> None:
        self.notice.grid_forget()

    @property
    def notice_shown(self) -> str:
        return str(self.notice_text.cget("text")) if self.notice.winfo_manager() else ""

    def restyle(self, palette: Palette) -> None:
        self.palette = palette
        self.status_dot.configure(background=palette.sidebar)
        self.conversations.restyle(palette)
        self.search_field.restyle(palette)
        self.search_results.restyle(palette)
        self.conversation.restyle(palette)
        self.new_group.restyle(palette)
