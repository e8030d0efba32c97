"""``python -m net.demo --attachment PATH``: one line, the file's size and whether it arrived intact."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_demo_sends_a_file_and_prints_one_line_with_a_matching_digest(tmp_path: Path) -> None:
    path = tmp_path / "holiday.bin"
    path.write_bytes(os.urandom(1_500_000))
    done = subprocess.run(
        [sys.executable, "-m", "net.demo", "--attachment", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["attachment: 1500000 bytes, sha256 match yes"]
