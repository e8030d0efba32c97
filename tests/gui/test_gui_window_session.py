"""The session object: frozen, its changes are new objects, and only the app makes them."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest
from gui_support import (
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
)

from gui import preferences
from gui.app import App
from gui.window_session import WindowSession

GUI = Path(__file__).resolve().parents[2] / "gui"
ALICE = "+442079460101"


def test_a_session_cannot_be_written_in_place() -> None:
    session = WindowSession("localhost:7700", "Alice", ALICE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        session.phone = None  # type: ignore[misc]
    assert session.phone == ALICE


def test_opening_a_profile_keeps_the_server() -> None:
    opened = WindowSession("chat.example.org:7700").opened("Alice", None)
    assert opened == WindowSession("chat.example.org:7700", "Alice", None)
    assert opened.with_phone(ALICE) == WindowSession("chat.example.org:7700", "Alice", ALICE)


def test_closing_forgets_the_profile_but_not_the_server() -> None:
    session = WindowSession("chat.example.org:7700", "Alice", ALICE)
    assert session.closed() == WindowSession("chat.example.org:7700")
    assert session == WindowSession("chat.example.org:7700", "Alice", ALICE)  # the old object is unchanged


def test_choosing_a_server_keeps_the_profile() -> None:
    session = WindowSession("localhost:7700", "Alice", ALICE).with_server("chat.example.org:7700")
    assert session == WindowSession("chat.example.org:7700", "Alice", ALICE)


def test_only_the_app_makes_a_new_session() -> None:
    """Reading the source: no gui module but the app builds a WindowSession or calls what derives one."""
    makers = {"opened", "with_phone", "with_server", "closed", "_session"}
    for path in sorted(GUI.glob("*.py")):
        if path.name in ("app.py", "window_session.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in makers:
                pytest.fail(f"{path.name}:{node.lineno} changes the session ({node.attr})")
            called = node.func if isinstance(node, ast.Call) else None
            if isinstance(called, ast.Name) and called.id == "WindowSession":
                pytest.fail(f"{path.name}:{node.lineno} builds a session")


def test_the_app_session_follows_the_profile_from_welcome_to_open(display: None, tmp_path: Path) -> None:
    """The app's own writers, driven the way the onboarding controller's callbacks drive them."""
    app = App(profiles_root=tmp_path / "p", config_dir=tmp_path / "c", local_server_dir=tmp_path / "ls")
    try:
        o = app.onboarding
        assert app.session.profile_name is None and app.session.phone is None
        o.on_server_chosen("chat.example.org:7700")
        o.on_opened("Alice", None)
        assert app.session == WindowSession("chat.example.org:7700", "Alice", None)
        assert app.root.title() == "Parley — Alice"
        o.on_phone(ALICE)
        assert app.session.phone == ALICE
        assert preferences.load(tmp_path / "c").server == "chat.example.org:7700"  # not local: kept
        o.on_closed()
        assert app.session == WindowSession("chat.example.org:7700")
        assert app.root.title() == "Parley"
    finally:
        app.close()
