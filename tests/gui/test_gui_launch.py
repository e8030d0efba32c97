"""``python main.py`` opens Parley's window, and closing the window ends the program cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
import tkinter as tk
from pathlib import Path

from gui_support import (
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    wait_until,
)

from crypto_core.sealing import KdfParams
from storage.profile.directory import ProfileDirectory

MAIN_PY = Path(__file__).resolve().parents[2] / "main.py"


def _other_apps(root: tk.Tk) -> list[str]:
    ours = root.tk.call("tk", "appname")
    return [str(name) for name in root.tk.call("winfo", "interps") if str(name) != ours]


def test_python_main_py_opens_the_window_and_closing_it_ends_the_program(
    display: None, tmp_path: Path
) -> None:
    home = {
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    child = subprocess.Popen([sys.executable, str(MAIN_PY)], env={**os.environ, **home})
    probe = tk.Tk()
    try:
        ticking = [True]

        def tick() -> None:  # keeps the probe's loop turning while it looks for the app's window
            if ticking[0]:
                probe.after(50, tick)

        tick()
        wait_until(
            probe, lambda: "parley" in _other_apps(probe) or child.poll() is not None, "the app's window"
        )
        assert child.poll() is None, "the app ended instead of opening its window"
        assert probe.tk.call("send", "parley", "wm", "title", ".") == "Parley"
        wait_until(
            probe, lambda: str(probe.tk.call("send", "parley", "winfo", "ismapped", ".")) == "1", "the map"
        )
        # the window manager's close button runs the app's close handler
        probe.tk.call("send", "parley", "after", "idle", "[wm protocol . WM_DELETE_WINDOW]")
        assert child.wait(60) == 0
        ticking[0] = False
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        probe.destroy()


_LISTED = """proc parley_listed {w} {
    set out {}
    if {[winfo class $w] eq "Listbox"} { set out [concat $out [$w get 0 end]] }
    foreach child [winfo children $w] { set out [concat $out [parley_listed $child]] }
    return $out
}"""


def test_profiles_come_from_the_folder_given_on_the_command_line(display: None, tmp_path: Path) -> None:
    folder = tmp_path / "elsewhere"
    fast = KdfParams(memory_kib=8, iterations=1, lanes=1)
    ProfileDirectory(folder, kdf_params=fast).create("Zed Quill", "a passphrase of some length").close()
    home = {
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    child = subprocess.Popen(
        [sys.executable, str(MAIN_PY), "--profiles", str(folder)], env={**os.environ, **home}
    )
    probe = tk.Tk()
    try:
        wait_until(
            probe, lambda: "parley" in _other_apps(probe) or child.poll() is not None, "the app's window"
        )
        assert child.poll() is None, "the app ended instead of opening its window"
        probe.tk.call("send", "parley", _LISTED)
        wait_until(
            probe,
            lambda: (
                "Zed Quill" in str(probe.tk.call("send", "parley", "parley_listed ."))
                or child.poll() is not None
            ),
            "the profile in the welcome list",
        )
        assert "Zed Quill" in str(probe.tk.call("send", "parley", "parley_listed ."))
        assert not (tmp_path / "data" / "Parley" / "profiles").exists()  # the default folder is untouched
        probe.tk.call("send", "parley", "after", "idle", "[wm protocol . WM_DELETE_WINDOW]")
        assert child.wait(60) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        probe.destroy()
