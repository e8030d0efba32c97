"""Stored states of older versions, brought to today's by one step per version.

A secret state kept across releases (a ratchet state, a session record) carries
its version under ``"v"``. Its module keeps a table of steps, ``{n: step}``,
where ``step`` takes the state as version ``n`` wrote it and returns it as
version ``n + 1`` writes it (the way the stores' schema steps do, and Syndace's
python-doubleratchet migrates its models). :func:`upgrade` runs the steps from
the version found to the current one, so a state written by any earlier release
loads, and a state of an unknown or later version is refused before any of it
is read.

A step is a pure function of JSON-compatible data: no keys are made or used in
it, so it cannot fail halfway into a state that half opens. When a format
changes, its module raises its version and adds the step from the one before;
the frozen fixtures of the earlier versions (tests/vectors/) keep loading.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from crypto_core.errors import InvalidKeyFormat

#: One version's state (a dict of JSON values) to the next version's.
Step = Callable[[dict[str, Any]], dict[str, Any]]


def check_steps(current: int, steps: Mapping[int, Step]) -> None:
    """Raise ValueError unless ``steps`` leads from version 1 to ``current`` with no gap or extra step."""
    if current < 1 or set(steps) != set(range(1, current)):
        raise ValueError(f"migration steps {sorted(steps)} do not lead from version 1 to {current}")


def upgrade(data: dict[str, Any], *, current: int, steps: Mapping[int, Step], what: str) -> dict[str, Any]:
    """``data`` as version ``current`` writes it; :class:`InvalidKeyFormat` for an unknown version.

    ``data`` itself is left as it was: each step gets and returns a dict of its own.
    """
    version = data.get("v")
    if type(version) is not int or not 1 <= version <= current:
        raise InvalidKeyFormat(f"{what}: unknown version")
    while version < current:
        data = steps[version](dict(data))
        version += 1
        data["v"] = version
    return data
