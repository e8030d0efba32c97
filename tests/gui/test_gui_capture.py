"""Reading an XWD framebuffer and writing PNGs, checked on a hand-made screen and on real Xvfb."""

from __future__ import annotations

import os
import select
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from gui.tooling.capture import CaptureError, encode_png, read_screen, save_region
from gui.tooling.display import VirtualDisplay


def _xwd(width: int, height: int, pixel: bytes) -> bytes:
    name = b"test\x00"
    header_size = 25 * 4 + len(name)
    fields = [header_size, 7, 2, 24, width, height, 0, 0, 32, 0, 32, 32, width * 4, 4]
    fields += [0xFF0000, 0xFF00, 0xFF, 8, 0, 0, width, height, 0, 0, 0]
    return struct.pack(">25I", *fields) + name + pixel * (width * height)


def _png_pixels(data: bytes) -> tuple[int, int, bytes]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", data[16:24])
    idat_length = struct.unpack(">I", data[33:37])[0]
    raw = zlib.decompress(data[41 : 41 + idat_length])
    return width, height, raw


def test_a_region_of_a_little_endian_screen_becomes_rgb(tmp_path: Path) -> None:
    framebuffer = tmp_path / "Xvfb_screen0"
    framebuffer.write_bytes(_xwd(4, 3, bytes([0x30, 0x20, 0x10, 0])))  # B G R x
    screen = read_screen(framebuffer)
    assert (screen.width, screen.height) == (4, 3)
    rows = screen.rgb_rows(1, 1, 2, 5)  # clipped at the bottom
    assert rows == [bytes([0x10, 0x20, 0x30] * 2)] * 2


def test_png_encoding_round_trips_through_zlib(tmp_path: Path) -> None:
    rows = [bytes([255, 0, 0, 0, 255, 0]), bytes([0, 0, 255, 9, 9, 9])]
    width, height, raw = _png_pixels(encode_png(rows))
    assert (width, height) == (2, 2)
    assert raw == b"\x00" + rows[0] + b"\x00" + rows[1]


def test_an_unknown_file_or_an_empty_region_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x00" * 200)
    with pytest.raises(CaptureError):
        read_screen(bad)
    good = tmp_path / "good"
    good.write_bytes(_xwd(2, 2, b"\x00\x00\x00\x00"))
    with pytest.raises(CaptureError):
        save_region(good, (10, 10, 5, 5), tmp_path / "out.png")


_WINDOW = """
import sys, tkinter
root = tkinter.Tk()
root.geometry("120x80+10+10")
root.configure(background="#123456")
root.wait_visibility()
root.update()
root.winfo_pointerxy()
print(root.winfo_rootx(), root.winfo_rooty(), flush=True)
sys.stdin.readline()
root.destroy()
"""


def test_a_real_window_is_captured_with_its_colour(tmp_path: Path) -> None:
    # A window of its own in a child process on a screen of its own: the tests' shared Tk never
    # sees this Xvfb, so stopping it cannot take the test process down with it.
    with VirtualDisplay(framebuffer_dir=tmp_path / "fb") as display:
        assert display.name is not None
        child = subprocess.Popen(
            [sys.executable, "-c", _WINDOW],
            env={**os.environ, "DISPLAY": display.name},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stdout is not None and child.stdin is not None
            ready, _, _ = select.select([child.stdout], [], [], 60)
            assert ready, "the window did not appear"
            x, y = (int(v) for v in child.stdout.readline().split())
            target = tmp_path / "shot.png"
            save_region(display.framebuffer, (x, y, 120, 80), target)
            child.stdin.write("done\n")
            child.stdin.flush()
        finally:
            assert child.wait(60) == 0
    width, height, raw = _png_pixels(target.read_bytes())
    assert (width, height) == (120, 80)
    assert raw[1 + 3 * 60 : 1 + 3 * 61] == bytes([0x12, 0x34, 0x56])
