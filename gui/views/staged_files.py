"""The files staged above the composer: one row each, with a small picture for a picture, name, size and ×.

Enter in the composer sends them with its text as the caption (of the first);
× or Escape takes them off again. Nothing here reads a file: the rows show what
the controller staged, and a preview the controller made off the Tk thread.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from PIL import ImageTk

from gui.view_models.file_model import Staged


class StagedFiles(ttk.Frame):
    def __init__(self, master: tk.Misc) -> None:
        super().__init__(master, style="Surface.TFrame")
        self.items: list[Staged] = []
        self._rows: dict[Staged, ttk.Frame] = {}
        self._previews: dict[Staged, ImageTk.PhotoImage] = {}
        self._labels: dict[Staged, ttk.Label] = {}
        #: The staged list changed (shown or hidden, so the composer can lay itself out).
        self.on_changed: Callable[[], None] = lambda: None

    def add(self, staged: Staged, preview: ImageTk.PhotoImage | None = None) -> None:
        row = ttk.Frame(self, style="Surface.TFrame", padding=(0, 0, 0, 6))
        label = ttk.Label(row, text="📎", style="Surface.TLabel", compound="left")
        label.pack(side="left")
        ttk.Label(row, text=staged.line, style="Surface.TLabel").pack(side="left", padx=(8, 0))
        remove = ttk.Button(row, text="×", width=2, command=lambda: self.remove(staged))
        remove.pack(side="left", padx=(8, 0))
        row.pack(anchor="w", fill="x")
        self.items.append(staged)
        self._rows[staged] = row
        self._labels[staged] = label
        if preview is not None:
            self.set_preview(staged, preview)
        self.on_changed()

    def set_preview(self, staged: Staged, image: ImageTk.PhotoImage) -> None:
        """The small picture of a staged picture, once made (nothing if it was taken off meanwhile)."""
        label = self._labels.get(staged)
        if label is not None:
            self._previews[staged] = image
            label.configure(image=image, text="")

    def remove(self, staged: Staged) -> None:
        row = self._rows.pop(staged, None)
        if row is None:
            return
        row.destroy()
        self.items.remove(staged)
        self._labels.pop(staged, None)
        self._previews.pop(staged, None)
        self.on_changed()

    def take(self) -> list[Staged]:
        """Every staged file, in the order staged; the rows go."""
        taken = list(self.items)
        for staged in taken:
            self.remove(staged)
        return taken

    def park(self) -> list[tuple[Staged, ImageTk.PhotoImage | None]]:
        """Every staged file with its preview, the rows gone: kept while another conversation is open."""
        parked = [(staged, self._previews.get(staged)) for staged in self.items]
        self.take()
        return parked

    def preview_of(self, staged: Staged) -> ImageTk.PhotoImage | None:
        return self._previews.get(staged)

    def lines(self) -> list[str]:
        """What the rows say (for tests and tools)."""
        return [staged.line for staged in self.items]
