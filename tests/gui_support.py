"""Support for the GUI tests: a display to draw on, and waiting on the Tk loop without sleeping.

When DISPLAY is unset the tests start their own Xvfb (Debian: apt-get install
xvfb). If neither is there they fail with a sentence that says what to
install: a GUI test that silently skips would hide a broken window.
"""

from __future__ import annotations

import gc
import os
import time
import tkinter as tk
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest import InProcessServer

from gui.tooling.display import DisplayError, VirtualDisplay
from gui.tooling.peer import HeadlessPeer
from gui.view_models.forms import Stage
from gui.worker import Command

PASSPHRASE = "a long and happy passphrase"
#: Long enough for Argon2id, key generation and TLS on a busy 2-core machine; a hang still ends.
WAIT_SECONDS = 60.0


_shared: VirtualDisplay | None = None


def display_for_tests() -> Iterator[None]:
    """One virtual screen for the whole test run (or the real one when DISPLAY is set).

    Tk keeps its connection to a display open until the process ends, and Xlib
    ends the process when that display goes away, so the screen must outlive
    every Tk window of the run: fixtures scoped to the whole run use this, and the
    first of them to finish at the end of the test run stops it.
    """
    global _shared
    if _shared is None and os.environ.get("DISPLAY"):
        yield
        return
    if _shared is None:
        display = VirtualDisplay()
        try:
            os.environ["DISPLAY"] = display.start()
        except DisplayError as exc:
            pytest.fail(str(exc), pytrace=False)
        _shared = display
    yield
    if _shared is not None:
        _shared.stop()
        _shared = None
        os.environ.pop("DISPLAY", None)


@pytest.fixture(autouse=True)
def forget_tk() -> Iterator[None]:
    """After each test, collect the Python side of its destroyed windows, on the Tk thread.

    Apps and widgets hold reference cycles; left to the garbage collector, they
    may be freed on whichever thread triggers it (an engine worker), and Tcl
    aborts the process when an interpreter is deleted from a thread not its own.
    Being autouse, this is torn down after the test's other fixtures.
    """
    yield
    gc.collect()


def wait_until(
    root: tk.Misc, condition: Callable[[], object], what: str, timeout: float = WAIT_SECONDS
) -> None:
    """Run the Tk loop until ``condition()`` holds; fail naming ``what`` after ``timeout`` seconds.

    Each turn blocks in Tcl until an event arrives (the app's drain timer fires
    every 50 ms at least), so this waits on events, never on a fixed sleep.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        root.tk.dooneevent(0)


def type_into(widget: tk.Misc, text: str) -> None:
    """Put text in an entry or text widget as a person would leave it."""
    if isinstance(widget, tk.Text):
        widget.delete("1.0", "end")
        widget.insert("1.0", text)
    else:
        widget.delete(0, "end")  # type: ignore[call-arg]
        widget.insert(0, text)  # type: ignore[call-arg]


def press(widget: tk.Misc, sequence: str) -> None:
    """Press a key in a widget: it must have the focus for the key event to reach it."""
    widget.focus_force()
    widget.update()
    widget.event_generate(sequence)
    widget.update()


def press_return(widget: tk.Misc) -> None:
    press(widget, "<Return>")


# ---------------------------------------------------------------- driving the app


def address(server: InProcessServer) -> str:
    host, port = server.address
    return f"{host}:{port}"


def create_and_register(app: Any, server: InProcessServer, phone: str, name: str = "Alice") -> None:
    w = app.welcome
    type_into(w.server, address(server))
    type_into(w.display_name.entry, name)
    type_into(w.new_passphrase.entry, PASSPHRASE)
    type_into(w.repeat.entry, PASSPHRASE)
    w.create_button.invoke()
    wait_until(app.root, lambda: app.screen is app.server_key, "the server's fingerprint")
    app.server_key.accept_button.invoke()
    r = app.registration
    wait_until(app.root, lambda: app.screen is r and not app.busy, "the registration form")
    type_into(r.phone.entry, phone)
    type_into(r.email.entry, f"{name.lower()}@example.com")
    r.send_button.invoke()
    wait_until(app.root, lambda: r.form.stage == Stage.CODE and not app.busy, "the code field")
    assert r.code.value == r.form.dev_code and len(r.code.value) == 6
    assert "development mode" in str(r.code_note.cget("text"))
    r.finish_button.invoke()
    wait_until(app.root, lambda: app.screen is app.main and not app.busy, "the main window")


def start_conversation(app: Any, phone: str, name: str) -> None:
    m = app.main
    m.new_button.invoke()
    type_into(m.new_phone.entry, phone)
    type_into(m.new_name.entry, name)
    m.start_button.invoke()
    wait_until(
        app.root,
        lambda: app.chat.model.open_contact == phone and not app.busy,
        f"the conversation with {name}",
    )


def register_peer(
    peer: HeadlessPeer, server: InProcessServer, phone: str, name: str, *, knows: str | None = None
) -> None:
    """Register a profile without a window; ``knows``: a number already in its contacts (so a
    message from it is a conversation, not a message request), as in an address book."""
    host, port = server.address
    peer.register(name, PASSPHRASE, host, port, phone, f"{name.lower()}@example.com")
    if knows is not None:
        peer.call(lambda engine: _know(engine, knows))


def app_knows(app: Any, *phones: str) -> None:
    """Put numbers in the app's contacts (no key pinned yet), on its worker: a message from them is a
    conversation at once, not a message request."""
    done: list[None] = []
    app.do(Command("knows", lambda engine: [_know(engine, phone) for phone in phones], done.append))
    wait_until(app.root, lambda: bool(done), "the numbers in the contacts")


def _know(engine: Any, phone: str) -> None:
    ctx = engine._ctx
    assert ctx is not None
    ctx.profile.contacts.add(phone, "")
