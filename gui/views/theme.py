"""Colours, fonts and ttk styles: a light and a dark theme on top of ttk's 'clam'.

'clam' is the one built-in ttk theme that honours every colour option on every
platform, so it is the base; the palettes below give it Parley's look. Views ask
for colours through :class:`Palette` (for canvases and plain Tk widgets) and for
ttk styles by name ("Sidebar.TFrame", "Accent.TButton", ...), never hard-coding
a colour, so that switching themes is one call.
"""

from __future__ import annotations

import tkinter as tk
import tkinter.font as tkfont
from dataclasses import dataclass
from tkinter import ttk
from typing import Literal, cast

from gui.view_models.bidi_text import TextStyle, emoji_font


@dataclass(frozen=True)
class Palette:
    name: str
    background: str
    surface: str
    sidebar: str
    selection: str
    border: str
    text: str
    muted: str
    accent: str
    accent_active: str
    on_accent: str
    mine: str
    on_mine: str
    mine_muted: str
    theirs: str
    on_theirs: str
    warning: str
    on_warning: str
    danger: str
    success: str
    field: str


LIGHT = Palette(
    name="light",
    background="#f3f4f6",
    surface="#ffffff",
    sidebar="#f8f9fb",
    selection="#e3ebfd",
    border="#dcdfe4",
    text="#1d2026",
    muted="#6b7280",
    accent="#2563eb",
    accent_active="#1d4fc4",
    on_accent="#ffffff",
    mine="#2563eb",
    on_mine="#ffffff",
    mine_muted="#c9d8fb",
    theirs="#ffffff",
    on_theirs="#1d2026",
    warning="#fff4d1",
    on_warning="#6a4b00",
    danger="#c62828",
    success="#1e8e3e",
    field="#ffffff",
)

DARK = Palette(
    name="dark",
    background="#15171a",
    surface="#1e2125",
    sidebar="#1a1d21",
    selection="#263552",
    border="#30343a",
    text="#e7e9ec",
    muted="#9aa1ab",
    accent="#4d8dff",
    accent_active="#6aa0ff",
    on_accent="#0b1220",
    mine="#2f6ae0",
    on_mine="#ffffff",
    mine_muted="#bcd0fa",
    theirs="#2a2e34",
    on_theirs="#e7e9ec",
    warning="#3a2f0f",
    on_warning="#f4d67c",
    danger="#ff6b6b",
    success="#5bd08a",
    field="#25292e",
)

PALETTES = {"light": LIGHT, "dark": DARK}

_SANS = ("Segoe UI", "SF Pro Text", "Helvetica Neue", "Cantarell", "Ubuntu", "Noto Sans", "DejaVu Sans")
_MONO = ("Cascadia Mono", "SF Mono", "Menlo", "Ubuntu Mono", "Noto Sans Mono", "DejaVu Sans Mono")


NO_EMOJI_FONT = TextStyle(None)


@dataclass(frozen=True)
class Fonts:
    body: tkfont.Font
    bold: tkfont.Font
    small: tkfont.Font
    title: tkfont.Font
    heading: tkfont.Font
    digits: tkfont.Font
    #: A linked device's comparison number, large enough to compare across a desk.
    number: tkfont.Font
    #: How text is prepared for drawing here (right-to-left order, emoji or their names).
    text: TextStyle = NO_EMOJI_FONT


def _first_available(root: tk.Misc, wanted: tuple[str, ...], fallback: str) -> str:
    families = set(tkfont.families(root))
    return next((name for name in wanted if name in families), fallback)


#: The zoom steps of Ctrl+plus and Ctrl+minus; 1.0 is Ctrl+0.
ZOOM_LEVELS = (0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0)
BASE_SIZE = 11
#: Each named font's size against the body text's.
_OFFSETS = {"Body": 0, "Bold": 0, "Small": -2, "Title": 9, "Heading": 2, "Digits": 5, "Number": 17}


def zoom_step(zoom: float, step: int) -> float:
    """The zoom one step bigger (``step`` 1) or smaller (-1) than ``zoom``; 0 resets it."""
    if step == 0:
        return 1.0
    nearest = min(range(len(ZOOM_LEVELS)), key=lambda i: abs(ZOOM_LEVELS[i] - zoom))
    return ZOOM_LEVELS[max(0, min(len(ZOOM_LEVELS) - 1, nearest + step))]


def set_zoom(root: tk.Misc, fonts: Fonts, zoom: float) -> None:
    """Every named font at ``zoom`` times its normal size: each widget drawn with one follows."""
    body = max(6, round(BASE_SIZE * zoom))
    for name in ("TkDefaultFont", "TkTextFont", "TkMenuFont", "TkHeadingFont"):
        tkfont.nametofont(name, root=root).configure(size=body)
    for name, offset in _OFFSETS.items():
        getattr(fonts, name.lower()).configure(size=max(6, round((BASE_SIZE + offset) * zoom)))


def make_fonts(root: tk.Misc, size: int = BASE_SIZE) -> Fonts:
    """Named fonts, so that every widget follows a later change of size in one place."""
    sans = _first_available(root, _SANS, "TkDefaultFont")
    mono = _first_available(root, _MONO, "TkFixedFont")
    for name in ("TkDefaultFont", "TkTextFont", "TkMenuFont", "TkHeadingFont"):
        tkfont.nametofont(name, root=root).configure(family=sans, size=size)

    def font(
        name: str, family: str, font_size: int, weight: Literal["normal", "bold"] = "normal"
    ) -> tkfont.Font:
        return tkfont.Font(root=root, name=f"Parley{name}", family=family, size=font_size, weight=weight)

    return Fonts(
        body=font("Body", sans, size),
        bold=font("Bold", sans, size, "bold"),
        small=font("Small", sans, size - 2),
        title=font("Title", sans, size + 9, "bold"),
        heading=font("Heading", sans, size + 2, "bold"),
        digits=font("Digits", mono, size + 5),
        number=font("Number", mono, size + 17, "bold"),
        text=TextStyle(emoji_font(tkfont.families(root))),
    )


def apply_theme(root: tk.Tk, palette: Palette, fonts: Fonts, zoom: float = 1.0) -> None:
    """The palette's colours on every style; paddings grow and shrink with ``zoom`` as the fonts do."""

    def z(*values: int) -> tuple[int, ...]:
        return tuple(round(v * zoom) for v in values)

    style = ttk.Style(root)
    style.theme_use("clam")
    p = palette
    root.configure(background=p.background)
    root.option_add("*TCombobox*Listbox.background", p.field)
    root.option_add("*TCombobox*Listbox.foreground", p.text)
    style.configure(
        ".",
        background=p.background,
        foreground=p.text,
        fieldbackground=p.field,
        bordercolor=p.border,
        lightcolor=p.border,
        darkcolor=p.border,
        troughcolor=p.background,
        focuscolor=p.accent,
        selectbackground=p.accent,
        selectforeground=p.on_accent,
        insertcolor=p.text,
        font=fonts.body,
    )
    style.map(".", foreground=[("disabled", p.muted)])
    for area, colour in (("Card", p.surface), ("Sidebar", p.sidebar), ("Surface", p.surface)):
        style.configure(f"{area}.TFrame", background=colour)
        style.configure(f"{area}.TLabel", background=colour, foreground=p.text)
        style.configure(f"{area}.Muted.TLabel", background=colour, foreground=p.muted, font=fonts.small)
        style.configure(f"{area}.Error.TLabel", background=colour, foreground=p.danger, font=fonts.small)
        style.configure(f"{area}.Ok.TLabel", background=colour, foreground=p.success, font=fonts.small)
        style.configure(f"{area}.Heading.TLabel", background=colour, foreground=p.text, font=fonts.heading)
        style.configure(f"{area}.Title.TLabel", background=colour, foreground=p.text, font=fonts.title)
        style.configure(f"{area}.Digits.TLabel", background=colour, foreground=p.text, font=fonts.digits)
        style.configure(f"{area}.Number.TLabel", background=colour, foreground=p.text, font=fonts.number)
        for kind in ("TCheckbutton", "TRadiobutton"):
            style.configure(
                f"{area}.{kind}",
                background=colour,
                foreground=p.text,
                indicatorbackground=p.field,
                indicatorforeground=p.accent,
                upperbordercolor=p.border,
                lowerbordercolor=p.border,
                padding=z(0, 4),
            )
            style.map(
                f"{area}.{kind}",
                background=[("active", colour)],
                indicatorbackground=[("selected", p.field), ("active", p.selection)],
            )
    style.configure("Warning.TFrame", background=p.warning)
    style.configure("Warning.TLabel", background=p.warning, foreground=p.on_warning)
    style.configure("Status.TFrame", background=p.sidebar)
    style.configure("Status.TLabel", background=p.sidebar, foreground=p.muted, font=fonts.small)
    style.configure("TEntry", padding=z(8, 6), fieldbackground=p.field, foreground=p.text)
    style.map("TEntry", bordercolor=[("focus", p.accent)], lightcolor=[("focus", p.accent)])
    style.configure("TButton", padding=z(14, 6), background=p.surface, foreground=p.text)
    style.map("TButton", background=[("pressed", p.selection), ("active", p.selection)])
    style.configure(
        "Accent.TButton", background=p.accent, foreground=p.on_accent, bordercolor=p.accent, font=fonts.bold
    )
    style.map(
        "Accent.TButton",
        background=[("disabled", p.border), ("pressed", p.accent_active), ("active", p.accent_active)],
        foreground=[("disabled", p.muted)],
    )
    style.configure("Danger.TButton", background=p.surface, foreground=p.danger)
    style.map("Danger.TButton", background=[("active", p.selection)])
    style.configure("Link.TButton", background=p.sidebar, bordercolor=p.sidebar, padding=z(8, 4))
    style.map("Link.TButton", background=[("active", p.selection)])
    style.configure(
        "Treeview", background=p.surface, fieldbackground=p.surface, foreground=p.text, rowheight=z(30)[0]
    )
    style.map("Treeview", background=[("selected", p.selection)], foreground=[("selected", p.text)])
    # A slim scrollbar without arrows, as people know it from today's apps.
    # The cast holds: Tk's layouts take "expand" too (the thumb fills the trough), a key that
    # typeshed's description of a layout leaves out; the options go to Tk as they are.
    thumb = ("Vertical.Scrollbar.thumb", cast("ttk._Layout", {"expand": "1", "sticky": "nswe"}))
    style.layout(
        "Vertical.TScrollbar", [("Vertical.Scrollbar.trough", {"sticky": "ns", "children": [thumb]})]
    )
    style.configure(
        "Vertical.TScrollbar",
        background=p.border,
        troughcolor=p.background,
        bordercolor=p.background,
        lightcolor=p.border,
        darkcolor=p.border,
        arrowsize=10,
        gripcount=0,
    )
    style.map("Vertical.TScrollbar", background=[("active", p.muted)])
    style.configure("Sash", sashthickness=2, gripcount=0, background=p.border)
    style.configure("Horizontal.TProgressbar", background=p.accent, troughcolor=p.border)
    style.configure("TSeparator", background=p.border)
    style.configure("TPanedwindow", background=p.border)
