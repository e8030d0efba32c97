"""Migration steps of stored states: one step per version, run in order, unknown versions refused."""

from __future__ import annotations

from typing import Any

import pytest

from crypto_core.errors import InvalidKeyFormat
from crypto_core.migrations import Step, check_steps, upgrade


def _rename_key(data: dict[str, Any]) -> dict[str, Any]:  # version 1 called it "k", version 2 "key"
    data["key"] = data.pop("k")
    return data


def _add_count(data: dict[str, Any]) -> dict[str, Any]:  # version 3 counts what version 2 did not
    data["count"] = 0
    return data


STEPS: dict[int, Step] = {1: _rename_key, 2: _add_count}


def test_a_state_runs_every_step_from_its_version_to_the_current_one() -> None:
    old = {"v": 1, "k": "abc"}
    assert upgrade(old, current=3, steps=STEPS, what="state") == {"v": 3, "key": "abc", "count": 0}
    assert old == {"v": 1, "k": "abc"}  # the caller's dict is left as it was
    assert upgrade({"v": 2, "key": "abc"}, current=3, steps=STEPS, what="state") == {
        "v": 3,
        "key": "abc",
        "count": 0,
    }


def test_a_state_of_the_current_version_passes_unchanged() -> None:
    today = {"v": 3, "key": "abc", "count": 7}
    assert upgrade(today, current=3, steps=STEPS, what="state") == today
    assert upgrade({"v": 1, "x": 1}, current=1, steps={}, what="state") == {"v": 1, "x": 1}


@pytest.mark.parametrize("version", [0, 4, -1, None, True, 1.0, "1"])
def test_an_unknown_or_later_version_is_refused_before_any_step(version: object) -> None:
    ran: list[int] = []

    def step(data: dict[str, Any]) -> dict[str, Any]:
        ran.append(1)
        return data

    with pytest.raises(InvalidKeyFormat, match=r"^state: unknown version$"):
        upgrade({"v": version}, current=3, steps={1: step, 2: step}, what="state")
    assert ran == []


def test_the_steps_must_lead_from_version_1_to_the_current_one() -> None:
    check_steps(1, {})
    check_steps(3, STEPS)
    for current, steps in ((3, {1: _rename_key}), (2, STEPS), (0, {}), (2, {2: _add_count})):
        with pytest.raises(ValueError, match="do not lead"):
            check_steps(current, steps)
