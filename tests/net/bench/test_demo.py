"""The headless demo: two profiles register against `python main.py server --dev-codes` and chat."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_demo_registers_two_people_who_chat() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "net.bench.demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "Alice registered as +442079460001" in out
    assert "Bob registered as +442079460002" in out
    assert "Bob received: Hello Bob, this is Alice." in out
    assert "Alice received: Hello Alice! Bob here." in out
    assert "(Bob sees the same: True)" in out
