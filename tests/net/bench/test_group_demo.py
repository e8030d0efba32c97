"""`python -m net.demo --group 5`: five profiles through adds, a removal, a rename, a race and a restart."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from net.demo.__main__ import main

ROOT = Path(__file__).resolve().parents[3]
LINE = re.compile(
    r"group of 5: (\d+) messages, lost (\d+), duplicated (\d+), undecryptable (\d+), converged (yes|no)"
)


def test_the_group_demo_ends_with_its_line_and_every_figure_right() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "net.demo", "--group", "5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    lines = result.stdout.strip().splitlines()
    assert lines, result.stderr[-2000:]
    match = LINE.fullmatch(lines[-1])
    assert match is not None, (lines[-5:], result.stderr[-2000:])
    messages, lost, duplicated, undecryptable, converged = match.groups()
    # Four write, then five, then three while one is away, then that one: 4 + 5 + 3 + 1.
    assert int(messages) == 13
    assert (lost, duplicated, undecryptable, converged) == ("0", "0", "0", "yes")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Bob removed Dave" in result.stdout
    assert "Carol opened their profile again" in result.stdout


@pytest.mark.parametrize("size", ["4", "101", "five"])
def test_a_group_size_out_of_range_is_refused_in_words(size: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--group", size])
    assert exit_info.value.code == 2
    assert "--group" in capsys.readouterr().err
