"""The link code's QR code as a grid of modules, made by segno; the window draws it (gui.views.qr_canvas).

Error correction at level M at least (segno raises it when the symbol has room to spare),
never a Micro QR: every phone camera reads a regular one. The quiet zone of four modules
round the symbol is the standard's, and readers need it.
"""

from __future__ import annotations

import segno

#: Light modules round the symbol (ISO/IEC 18004 asks for four).
QUIET_ZONE = 4

Modules = tuple[tuple[bool, ...], ...]


def qr_modules(text: str) -> Modules:
    """The symbol for ``text``, row by row, True for a dark module, without the quiet zone."""
    symbol = segno.make(text, error="m", micro=False)
    return tuple(tuple(bool(cell) for cell in row) for row in symbol.matrix)
