"""A virtual screen (Xvfb) for the GUI tests and the screenshot script.

Xvfb picks a free display number itself (``-displayfd``), so parallel runs
never collide. With ``framebuffer_dir`` it also keeps its screen as an XWD file
there, which :mod:`gui.tooling.capture` turns into PNGs without any other tool.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time
from pathlib import Path


class DisplayError(Exception):
    """No virtual screen could be started; the message says what to install."""


class VirtualDisplay:
    def __init__(self, *, size: tuple[int, int] = (1280, 860), framebuffer_dir: Path | None = None) -> None:
        self.size = size
        self.framebuffer_dir = framebuffer_dir
        self.name: str | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def framebuffer(self) -> Path:
        if self.framebuffer_dir is None:
            raise DisplayError("this display was started without a framebuffer folder")
        return self.framebuffer_dir / "Xvfb_screen0"

    def start(self, timeout: float = 20.0) -> str:
        """Start Xvfb and return its display name (":N")."""
        xvfb = shutil.which("Xvfb")
        if xvfb is None:
            raise DisplayError(
                "The GUI needs a display, and Xvfb is not installed to provide one. "
                "Install it (Debian/Ubuntu: apt-get install xvfb) or run with DISPLAY set."
            )
        read_end, write_end = os.pipe()
        width, height = self.size
        argv = [
            xvfb,
            "-displayfd",
            str(write_end),
            "-screen",
            "0",
            f"{width}x{height}x24",
            "-nolisten",
            "tcp",
            # End with the last client instead of resetting: if whoever started it dies without
            # stopping it, the server does not outlive the windows it was started for.
            "-terminate",
        ]
        if self.framebuffer_dir is not None:
            self.framebuffer_dir.mkdir(parents=True, exist_ok=True)
            argv += ["-fbdir", str(self.framebuffer_dir)]
        try:
            self._process = subprocess.Popen(  # noqa: S603 - a fixed program found on PATH, no shell
                argv, pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        finally:
            os.close(write_end)
        try:
            self.name = ":" + self._read_display_number(read_end, timeout)
        finally:
            os.close(read_end)
        return self.name

    def _read_display_number(self, fd: int, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        data = b""
        while not data.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(0.0, remaining))
            chunk = os.read(fd, 64) if ready else b""
            if not chunk:
                self.stop()
                raise DisplayError("Xvfb did not start (it printed no display number in time).")
            data += chunk
        return data.decode("ascii").strip()

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)

    def __enter__(self) -> VirtualDisplay:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
