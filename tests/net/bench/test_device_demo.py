"""`python -m net.demo --devices 3`: two people, one on three computers, linked and unlinked as they write."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from net.bench.device_demo import Written, tally
from net.demo.__main__ import main

ROOT = Path(__file__).resolve().parents[3]
LINE = re.compile(r"devices 3: (\d+) messages, each on every device once, lost (\d+), duplicated (\d+)")
A, B = "+1", "+2"


def test_the_devices_demo_ends_with_its_line_and_every_figure_right() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "net.demo", "--devices", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    lines = result.stdout.strip().splitlines()
    assert lines, result.stderr[-2000:]
    match = LINE.fullmatch(lines[-1])
    assert match is not None, (lines[-8:], result.stderr[-2000:])
    # Alice, B1, B2 write; then with B3 all four; then without B2 three: 3 + 4 + 3.
    assert match.groups() == ("10", "0", "0")
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    # The real comparison step: both ends showed the same number, for each computer linked.
    shown = re.findall(r"(B\d) shows (\d{3} \d{3}), B1 shows (\d{3} \d{3}): the same, confirmed on both", out)
    assert [(label, new == old) for label, new, old in shown] == [("B2", True), ("B3", True)]
    assert "B3 is linked as device 3 with the history" in out
    assert "B1 unlinked B2" in out
    assert re.search(r"B2 was told: This computer was unlinked from the account", out)
    assert re.search(r"B2 logging in again is refused: This computer was unlinked from the account", out)


def _sent() -> list[Written]:
    everyone = frozenset({"Alice", "B1", "B2"})
    return [Written(A, "a", everyone), Written(B, "b", everyone), Written(B, "c", frozenset({"Alice", "B1"}))]


def test_the_count_is_clean_when_every_device_holds_its_messages_once() -> None:
    histories = {"Alice": [(A, "a"), (B, "b"), (B, "c")], "B1": [(A, "a"), (B, "b"), (B, "c")]}
    histories["B2"] = [(A, "a"), (B, "b")]
    result = tally(_sent(), histories)
    assert (result.messages, result.lost, result.duplicated, result.leaked, result.clean) == (
        3,
        0,
        0,
        0,
        True,
    )
    assert result.line(3) == "devices 3: 3 messages, each on every device once, lost 0, duplicated 0"


def test_a_missing_a_doubled_and_a_misplaced_message_are_each_counted() -> None:
    histories = {
        "Alice": [(A, "a"), (B, "b")],  # "c" lost
        "B1": [(A, "a"), (B, "b"), (B, "b"), (B, "c")],  # "b" twice
        "B2": [(A, "a"), (B, "b"), (B, "c")],  # "c" was written after B2 was unlinked
    }
    result = tally(_sent(), histories)
    assert (result.lost, result.duplicated, result.leaked, result.clean) == (1, 1, 1, False)
    assert result.line(3) == "devices 3: 3 messages, not each on every device once, lost 1, duplicated 1"


def test_a_device_the_demo_could_not_read_has_lost_all_it_should_hold() -> None:
    result = tally(_sent(), {"Alice": [(A, "a"), (B, "b"), (B, "c")]})
    # B1 should hold all three, B2 the first two.
    assert result.lost == 3 + 2


def test_an_unlinked_device_not_refused_or_an_undecryptable_message_is_not_clean() -> None:
    histories = {"Alice": [(A, "a"), (B, "b"), (B, "c")], "B1": [(A, "a"), (B, "b"), (B, "c")]}
    histories["B2"] = [(A, "a"), (B, "b")]
    assert not tally(_sent(), histories, refused=False).clean
    assert not tally(_sent(), histories, undecryptable=1).clean


@pytest.mark.parametrize("count", ["2", "6", "three"])
def test_a_device_count_out_of_range_is_refused_in_words(
    count: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--devices", count])
    assert exit_info.value.code == 2
    assert "--devices" in capsys.readouterr().err
