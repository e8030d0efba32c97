"""The link code's QR code as modules: segno's symbol, a regular QR code (never Micro), level M or better."""

from __future__ import annotations

import segno

from gui.view_models.qr_code import qr_modules


def test_the_modules_are_segnos_symbol_for_the_text() -> None:
    text = "parley-link:ABCDEFGHIJKLMNOP"
    modules = qr_modules(text)
    expected = segno.make(text, error="m", micro=False)
    assert modules == tuple(tuple(bool(c) for c in row) for row in expected.matrix)
    assert len(modules) == expected.symbol_size(border=0)[0] and all(len(r) == len(modules) for r in modules)
    assert not expected.is_micro and expected.error in ("M", "Q", "H")
    # The finder pattern's corner: a 7×7 dark frame, as every reader looks for.
    assert all(modules[0][:7]) and all(modules[6][:7]) and not any(modules[1][1:6])


def test_another_code_makes_another_symbol() -> None:
    assert qr_modules("parley-link:ABCDEFGHIJKLMNOP") != qr_modules("parley-link:ABCDEFGHIJKLMNOQ")
