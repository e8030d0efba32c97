"""A received or sent picture in a window of its own: fitted to the window as it is resized, Save as…, Esc.

The picture arrives decoded (by :func:`net.client.images.decode`, with its pixel
limit, on the worker) and already no larger than
:data:`~gui.view_models.file_model.VIEWER_SIDE` on a side, so fitting it to the
window on the Tk thread stays cheap.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from PIL import Image, ImageTk

from gui.view_models.file_model import fit_within
from gui.views.theme import Palette

_START_SIDE = 900


class PictureViewer(tk.Toplevel):
    def __init__(self, master: tk.Misc, name: str, picture: Image.Image, palette: Palette) -> None:
        super().__init__(master)
        self.title(name)
        self.picture = picture
        self.on_save: Callable[[], None] = lambda: None
        self._shown: ImageTk.PhotoImage | None = None
        self._size = (0, 0)
        bar = ttk.Frame(self, style="Surface.TFrame", padding=(12, 8))
        bar.pack(side="bottom", fill="x")
        ttk.Label(bar, text=name, style="Surface.TLabel").pack(side="left")
        self.close_button = ttk.Button(bar, text="Close", command=self.destroy)
        self.close_button.pack(side="right")
        self.save_button = ttk.Button(bar, text="Save as…", command=lambda: self.on_save())
        self.save_button.pack(side="right", padx=(0, 8))
        self.canvas = tk.Canvas(self, highlightthickness=0, borderwidth=0, background=palette.background)
        self.canvas.pack(fill="both", expand=True)
        # The first size fits the screen too (an 800x600 one included), with room for the bar and the
        # window's frame; a larger picture is scaled down into it, never cut off.
        screen_w, screen_h = self.winfo_screenwidth(), self.winfo_screenheight()
        most_w = min(_START_SIDE, max(240, screen_w - 40))
        most_h = min(_START_SIDE * 3 // 4, max(180, screen_h - 52 - 80))
        start = fit_within(picture.width, picture.height, most_w, most_h)
        self.geometry(f"{min(max(start.width, 360), most_w)}x{start.height + 52}")
        self.minsize(240, 180)
        self.canvas.bind("<Configure>", lambda e: self._fit(e.width, e.height))
        self.bind("<Escape>", lambda _e: self.destroy())
        for sequence in ("<Control-s>", "<Control-S>"):
            self.bind(sequence, lambda _e: self.on_save())
        self.focus_set()

    @property
    def shown_size(self) -> tuple[int, int]:
        """The size the picture is drawn at now (for tests and tools)."""
        return self._size

    def _fit(self, width: int, height: int) -> None:
        if width < 2 or height < 2:
            return
        size = fit_within(self.picture.width, self.picture.height, width, height)
        if (size.width, size.height) != self._size:
            self._size = (size.width, size.height)
            scaled = self.picture.resize(self._size, Image.Resampling.BILINEAR)
            self._shown = ImageTk.PhotoImage(scaled, master=self)
        self.canvas.delete("all")
        self.canvas.create_image(width / 2, height / 2, image=self._shown, anchor="center", tags=("picture",))
