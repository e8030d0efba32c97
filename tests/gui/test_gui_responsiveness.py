"""The window never blocks: while the engine delivers a backlog of 1,000 messages, Tk keeps ticking.

A timer re-arms itself every 10 ms on the Tk loop and records when it ran; the
largest gap between two runs is how long the loop was blocked at worst.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import InProcessServer, fresh_phone
from gui_support import (
    PASSPHRASE,
    create_and_register,
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    start_conversation,
    wait_until,
)

from gui.app import App
from gui.tooling.peer import HeadlessPeer
from net.client.core import events as ev

#: The server keeps at most 1,000 messages waiting from one sender for one recipient, and Bob's display
#: name goes with his first message: 999 texts and the name fill it.
BACKLOG = 999
MAX_GAP = 0.100
TICK_MS = 10


@pytest.mark.slow
def test_a_backlog_of_a_thousand_messages_never_blocks_the_window_for_100_ms(
    display: object, tmp_path: Path, server_factory: Callable[..., InProcessServer]
) -> None:
    server = server_factory(dev_codes=True)
    alice_phone, bob_phone = fresh_phone(), fresh_phone()
    app = App(
        profiles_root=tmp_path / "alice", config_dir=tmp_path / "config", local_server_dir=tmp_path / "ls"
    )
    bob = HeadlessPeer.with_profiles(tmp_path / "bob")
    try:
        create_and_register(app, server, alice_phone)
        host, port = server.address
        bob.register("Bob", PASSPHRASE, host, port, bob_phone, "bob@example.com")
        start_conversation(app, bob_phone, "Bob")
        bob.call(lambda engine: engine.add_contact(alice_phone, "Alice"))

        app.settings.logout()
        wait_until(app.root, lambda: app.main.reconnect_button.winfo_manager() and not app.busy, "the logout")

        ids = bob.call(
            lambda engine: [
                engine.send_text(alice_phone, f"Backlog message {i}").message_id for i in range(BACKLOG)
            ]
        )
        sent = set()
        deadline = time.monotonic() + 300
        while len(sent) < BACKLOG:
            assert time.monotonic() < deadline, f"only {len(sent)} of {BACKLOG} messages reached the server"
            event = bob.wait_for(lambda e: isinstance(e, ev.MessageStatusChanged), timeout=120)
            if event.status != ev.MessageStatus.QUEUED:
                sent.add(event.message_id)
        assert sent == set(ids)

        ticks: list[float] = []

        def tick() -> None:
            ticks.append(time.monotonic())
            app.root.after(TICK_MS, tick)

        tick()
        app.main.reconnect_button.invoke()
        messages = app.main.conversation.messages
        wait_until(app.root, lambda: len(messages.message_ids()) >= BACKLOG, "the backlog", timeout=300)
        gaps = [later - earlier for earlier, later in itertools.pairwise(ticks)]
        assert len(gaps) > 10
        print(f"longest gap between Tk ticks while {BACKLOG} messages arrived: {max(gaps) * 1000:.1f} ms")
        assert max(gaps) < MAX_GAP, f"the Tk loop was blocked for {max(gaps) * 1000:.0f} ms"
        assert app.main.conversations.row_text(bob_phone)[1] == f"Backlog message {BACKLOG - 1}"
    finally:
        bob.stop()
        app.close()
