"""The app's own small settings (theme, a new profile's server, the last profile, zoom, the window's
size and place): a JSON file.

The file lives in the user's config folder.

Nothing secret lives here; secrets belong to the encrypted profile. A missing or
damaged file means defaults, never a crash, and a write goes through a temporary
file so that a crash mid-write cannot leave half a file.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from gui.view_models.forms import DEFAULT_SERVER

FILE_NAME = "preferences.json"
THEMES = ("light", "dark")
MIN_ZOOM, MAX_ZOOM = 0.5, 3.0


@dataclass
class Preferences:
    theme: str = "light"
    server: str = DEFAULT_SERVER
    #: Ctrl+plus / Ctrl+minus: how much bigger than normal the window's text and spacing are.
    zoom: float = 1.0
    #: The window's size and place when it was last closed, as Tk writes it ("1120x740+80+40").
    geometry: str = ""
    #: The profile last unlocked (its random id, not its name): the unlock list preselects it.
    last_profile: str = ""


def load(folder: Path | None) -> Preferences:
    if folder is None:
        return Preferences()
    try:
        data = json.loads((folder / FILE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Preferences()
    if not isinstance(data, dict):
        return Preferences()
    prefs = Preferences()
    if data.get("theme") in THEMES:
        prefs.theme = data["theme"]
    if isinstance(data.get("server"), str) and 0 < len(data["server"]) < 300:
        prefs.server = data["server"]
    zoom = data.get("zoom")
    if isinstance(zoom, int | float) and not isinstance(zoom, bool) and MIN_ZOOM <= zoom <= MAX_ZOOM:
        prefs.zoom = float(zoom)
    if isinstance(data.get("geometry"), str) and len(data["geometry"]) < 40:
        prefs.geometry = data["geometry"]
    if isinstance(data.get("last_profile"), str) and len(data["last_profile"]) < 100:
        prefs.last_profile = data["last_profile"]
    return prefs


def save(folder: Path | None, prefs: Preferences) -> None:
    if folder is None:
        return
    with contextlib.suppress(OSError):  # preferences are a convenience; failing to keep them is not an error
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / (FILE_NAME + ".tmp")
        temporary.write_text(json.dumps(asdict(prefs)), encoding="utf-8")
        os.replace(temporary, folder / FILE_NAME)
