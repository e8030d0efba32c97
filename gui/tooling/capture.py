"""Pictures of real windows: read Xvfb's framebuffer (an XWD file) and write a PNG.

Xvfb started with ``-fbdir`` keeps its screen in an XWD file that it updates as
it draws; this module reads the region of a window from it and encodes a PNG
with the standard library (zlib), so screenshots need no image package.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

_HEADER_FIELDS = 25
_XWD_VERSION = 7
_COLOUR_ENTRY = 12
_TRUE_COLOUR_BITS = 32


class CaptureError(Exception):
    """The framebuffer is not in a form this reader understands."""


@dataclass(frozen=True)
class Screen:
    width: int
    height: int
    bytes_per_line: int
    little_endian_pixels: bool
    pixels: bytes

    def rgb_rows(self, x: int, y: int, width: int, height: int) -> list[bytes]:
        """Rows of packed RGB for a rectangle, clipped to the screen."""
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(self.width, x + width), min(self.height, y + height)
        rows = []
        for row in range(y0, y1):
            start = row * self.bytes_per_line + 4 * x0
            line = self.pixels[start : start + 4 * (x1 - x0)]
            if self.little_endian_pixels:  # B G R x
                red, green, blue = line[2::4], line[1::4], line[0::4]
            else:  # x R G B
                red, green, blue = line[1::4], line[2::4], line[3::4]
            rgb = bytearray(3 * (x1 - x0))
            rgb[0::3], rgb[1::3], rgb[2::3] = red, green, blue
            rows.append(bytes(rgb))
        return rows


def read_screen(framebuffer: Path) -> Screen:
    data = framebuffer.read_bytes()
    for order in (">", "<"):
        header = struct.unpack_from(f"{order}{_HEADER_FIELDS}I", data)
        if header[1] == _XWD_VERSION:
            break
    else:
        raise CaptureError("not an XWD file of version 7")
    header_size, width, height = header[0], header[4], header[5]
    byte_order, bits_per_pixel, bytes_per_line, ncolours = header[7], header[11], header[12], header[19]
    if bits_per_pixel != _TRUE_COLOUR_BITS:
        raise CaptureError(f"only 32-bit pixels are supported, not {bits_per_pixel}")
    offset = header_size + ncolours * _COLOUR_ENTRY
    pixels = data[offset : offset + height * bytes_per_line]
    return Screen(width, height, bytes_per_line, byte_order == 0, pixels)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def encode_png(rows: list[bytes]) -> bytes:
    height = len(rows)
    width = len(rows[0]) // 3 if rows else 0
    raw = b"".join(b"\x00" + row for row in rows)  # filter type 0 on every row
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def save_region(framebuffer: Path, box: tuple[int, int, int, int], target: Path) -> None:
    """Save the rectangle ``(x, y, width, height)`` of the screen as a PNG."""
    rows = read_screen(framebuffer).rgb_rows(*box)
    if not rows:
        raise CaptureError("the region is outside the screen")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(encode_png(rows))
