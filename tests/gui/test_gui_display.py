"""The virtual screen: Xvfb starts on a free display number and stops."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gui.tooling.display import DisplayError, VirtualDisplay


def test_xvfb_starts_on_a_free_display_that_tk_can_use(tmp_path: Path) -> None:
    if shutil.which("Xvfb") is None:
        pytest.fail(
            "Xvfb is not installed; the GUI tests need it (Debian: apt-get install xvfb)", pytrace=False
        )
    with VirtualDisplay(framebuffer_dir=tmp_path) as display:
        assert display.name is not None and display.name.startswith(":")
        assert display.framebuffer.exists()
        probe = "import tkinter; r = tkinter.Tk(); print(r.winfo_screenwidth()); r.destroy()"
        result = subprocess.run(
            [sys.executable, "-c", probe],
            env={**os.environ, "DISPLAY": display.name},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert result.stdout.strip() == str(display.size[0])
    assert display._process is None


def test_a_missing_xvfb_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(DisplayError, match="apt-get install xvfb"):
        VirtualDisplay().start()


def test_two_displays_do_not_collide() -> None:
    with VirtualDisplay() as first, VirtualDisplay() as second:
        assert first.name != second.name
