"""The Settings section "Profile picture": ours as contacts see it, Choose… a picture file, Remove.

The picture is made by the engine (a square from the middle of the file, without
its metadata) and goes to contacts with the display name; this section only
shows it and passes the person's choice on.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from gui.views.avatar_pictures import PictureCache
from gui.views.fields import paragraph
from gui.views.flow import FlowRow

#: The preview's size in pixels.
PREVIEW = 64


class ProfilePictureSection(ttk.Frame):
    def __init__(self, master: tk.Misc) -> None:
        super().__init__(master, style="Surface.TFrame")
        #: The person pressed Choose… (the controller asks for a file) or Remove.
        self.on_choose: Callable[[], None] = lambda: None
        self.on_remove: Callable[[], None] = lambda: None
        ttk.Label(self, text="Profile picture", style="Surface.Heading.TLabel").pack(anchor="w")
        paragraph(
            self,
            "Your contacts see it beside your name. Parley sends a small square from the middle of the "
            "picture, without the place, time or camera a photo file may record.",
            area="Surface",
            muted=True,
            width=640,
        ).pack(anchor="w", pady=(2, 4))
        row = ttk.Frame(self, style="Surface.TFrame")
        row.pack(anchor="w", fill="x")
        self.preview = tk.Canvas(row, width=PREVIEW, height=PREVIEW, highlightthickness=0, borderwidth=0)
        self.preview.pack(side="left", padx=(0, 12))
        buttons = FlowRow(row, style="Surface.TFrame")
        buttons.pack(side="left", fill="x", expand=True)
        self.choose_button = ttk.Button(buttons, text="Choose…", command=lambda: self.on_choose())
        self.remove_button = ttk.Button(buttons, text="Remove", command=lambda: self.on_remove())
        buttons.flow()
        self.note = ttk.Label(self, text="", style="Surface.Error.TLabel", wraplength=640)
        self.note.pack(anchor="w")
        self._pictures = PictureCache(self)
        self.picture = b""
        self.show(b"")

    def show(self, picture: bytes) -> None:
        """Show our picture (b"" for none: an empty circle), and offer Remove only when there is one."""
        self.picture = picture
        canvas = self.preview
        canvas.configure(background=str(ttk.Style(self).lookup("Surface.TFrame", "background") or "#ffffff"))
        canvas.delete("all")
        image = self._pictures.get(picture, PREVIEW)
        if image is None:
            edge = PREVIEW - 1
            canvas.create_oval(1, 1, edge, edge, outline="#9aa0a6", dash=(3, 3), tags=("empty",))
            canvas.create_text(PREVIEW / 2, PREVIEW / 2, text="none", fill="#9aa0a6", tags=("empty",))
        else:
            canvas.create_image(PREVIEW / 2, PREVIEW / 2, image=image, tags=("picture",))
        self.remove_button.state(["!disabled"] if picture else ["disabled"])

    def restyle(self) -> None:
        """After a change of theme: the preview's background is the pane's again."""
        self.show(self.picture)

    def show_error(self, text: str) -> None:
        self.note.configure(text=text)
