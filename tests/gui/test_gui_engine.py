"""The engine as the window sees it: the real Messenger has every method, and mypy holds commands to it."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from mypy import api as mypy_api

from gui.engine import Engine
from net.client.messenger import Messenger

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = sorted(name for name in vars(Engine) if not name.startswith("_"))


def test_the_protocol_lists_what_the_window_calls() -> None:
    assert {"poll", "wakeup", "stop", "close", "unlock", "send_text", "history", "phone"} <= set(MEMBERS)


@pytest.mark.parametrize("name", MEMBERS)
def test_the_messenger_has_each_member_with_the_same_signature(name: str) -> None:
    wanted, real = inspect.getattr_static(Engine, name), inspect.getattr_static(Messenger, name)
    if isinstance(wanted, property):
        assert isinstance(real, property)
        wanted, real = wanted.fget, real.fget
    assert inspect.signature(real) == inspect.signature(wanted)


PROBE = """
from gui.worker import Command
from net.client.core.events import ContactView, MessageView


def shown(view: ContactView) -> None: ...
def listed(page: list[MessageView]) -> None: ...


right = Command("details", lambda engine: engine.contact("+442079460101"), shown)
also_right = Command("history", lambda engine: engine.history("+442079460101", limit=5), listed)
wrong_continuation = Command("history", lambda engine: engine.history("+442079460101"), shown)  # refused
unknown_call = Command("nope", lambda engine: engine.no_such_method())  # refused
"""


def test_mypy_checks_both_sides_of_a_command(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE, encoding="utf-8")
    out, err, _status = mypy_api.run(
        [
            "--follow-imports=silent",
            "--no-error-summary",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--python-version",
            "3.11",
            str(probe),
        ]
    )
    errors = sorted({int(line.split(":")[1]) for line in out.splitlines() if ": error:" in line})
    refused = [n for n, line in enumerate(PROBE.splitlines(), 1) if line.endswith("# refused")]
    assert errors == refused, out + err
    assert "no_such_method" in out
