"""Hypothesis strategies for JSON-like values, shared by the property tests of every parser."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st


def json_values(
    *, max_text: int = 12, max_leaves: int = 10, allow_nan: bool = False
) -> st.SearchStrategy[Any]:
    """Nested JSON values (None, bools, wide integers, floats, short texts, lists, objects).

    ``allow_nan`` lets floats be NaN or infinite, for parsers whose input did not come through a
    strict JSON decoder.
    """
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(-(2**64), 2**64)
        | st.floats(allow_nan=allow_nan)
        | st.text(max_size=max_text)
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
        max_leaves=max_leaves,
    )
