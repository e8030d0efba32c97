"""Sizes and durations as an operator types them: ``100MiB``, ``1GiB``, ``30d``, ``90s``.

A size is a whole number of bytes, optionally followed by ``KiB``, ``MiB`` or
``GiB`` (powers of 1024; ``K``, ``M``, ``G`` are the same); a duration is a
number of seconds, optionally followed by ``s``, ``m``, ``h`` or ``d``. Anything
else is a :class:`ValueError` whose words say what was expected.
"""

from __future__ import annotations

import re

_SIZE = re.compile(r"\s*([0-9]+)\s*(B|K|KIB|M|MIB|G|GIB)?\s*", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "B": 1, "K": 1024, "M": 1024**2, "G": 1024**3}
_DURATION = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([smhd])?\s*", re.IGNORECASE)
_DURATION_UNITS = {"": 1.0, "S": 1.0, "M": 60.0, "H": 3600.0, "D": 86400.0}


def parse_size(text: str) -> int:
    """Bytes: ``1048576``, ``512KiB``, ``100MiB``, ``1GiB``."""
    found = _SIZE.fullmatch(text)
    if found is None:
        raise ValueError(f"{text!r} is not a size: write bytes, or a number with KiB, MiB or GiB (100MiB)")
    unit = (found.group(2) or "").upper()[:1]
    return int(found.group(1)) * _SIZE_UNITS[unit]


def parse_duration(text: str) -> float:
    """Seconds: ``90``, ``90s``, ``15m``, ``24h``, ``30d``."""
    found = _DURATION.fullmatch(text)
    if found is None:
        raise ValueError(f"{text!r} is not a duration: write seconds, or a number with s, m, h or d (30d)")
    return float(found.group(1)) * _DURATION_UNITS[(found.group(2) or "").upper()]
