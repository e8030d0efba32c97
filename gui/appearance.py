"""The window's look as a person sets it and the app remembers it: size and place, zoom, theme.

Each change is saved in the preferences at once, so the next run opens as this
one was left. What a zoom or a theme means for the widgets that draw their own
colours (the welcome card's list, the main view) is the app's ``restyle``, which
runs after each change.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from pathlib import Path

from gui import preferences
from gui.view_models.window_geometry import MINIMUM_SIZE, first_size, restored
from gui.views.theme import PALETTES, Palette, apply_theme, make_fonts, set_zoom, zoom_step


class Appearance:
    """Places the window, makes its fonts and applies its theme; then zooms and changes theme on request."""

    def __init__(self, root: tk.Tk, config_dir: Path, prefs: preferences.Preferences) -> None:
        self._root = root
        self._config_dir = config_dir
        self._prefs = prefs
        #: Set by the app once its views exist: what a new zoom or theme redraws by hand.
        self.on_restyle: Callable[[], None] = lambda: None
        self._place_window()
        self.fonts = make_fonts(root)
        set_zoom(root, self.fonts, prefs.zoom)
        self.palette: Palette = PALETTES[prefs.theme]
        apply_theme(root, self.palette, self.fonts, prefs.zoom)

    def _place_window(self) -> None:
        """The size and place of the last run, fitted to this screen; the cards scroll below their size."""
        self._root.minsize(*MINIMUM_SIZE)
        screen = (self._root.winfo_screenwidth(), self._root.winfo_screenheight())
        saved = restored(self._prefs.geometry, screen)
        self._root.geometry(saved or first_size(screen))

    def remember_window(self) -> None:
        if self._root.wm_state() == "normal":  # a maximised or minimised window keeps the last normal size
            self._prefs.geometry = self._root.wm_geometry()
            preferences.save(self._config_dir, self._prefs)

    def zoom(self, step: int) -> None:
        """Ctrl+plus (1), Ctrl+minus (-1), Ctrl+0 (0): every font and spacing of the window, remembered."""
        level = zoom_step(self._prefs.zoom, step)
        if level == self._prefs.zoom:
            return
        self._prefs.zoom = level
        preferences.save(self._config_dir, self._prefs)
        set_zoom(self._root, self.fonts, level)
        apply_theme(self._root, self.palette, self.fonts, level)
        self.on_restyle()

    def set_theme(self, name: str) -> None:
        """A theme by name (an unknown name keeps the one shown), remembered."""
        self.palette = PALETTES.get(name, self.palette)
        self._prefs.theme = self.palette.name
        preferences.save(self._config_dir, self._prefs)
        apply_theme(self._root, self.palette, self.fonts, self._prefs.zoom)
        self.on_restyle()
