"""A recipient killed with SIGKILL after storing a message and before acknowledging it loses nothing."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

from engine_support import PASSPHRASE, Person, pair, run_until

from net.client.core.events import MessageReceived

HARNESS = Path(__file__).resolve().parent.parent / "engine_harness.py"


def _read_lines(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


def _wait_for_line(lines: queue.Queue[str], wanted: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"the harness never printed {wanted}"
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            continue
        if line.strip() == wanted:
            return


def test_a_recipient_killed_between_commit_and_ack_shows_the_message_once(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    store = server.running.store
    alice, bob = pair(tmp_path, server.address, phone, "alice", "bob")
    again: Person | None = None
    process: subprocess.Popen[str] | None = None
    try:
        alice.engine.add_contact(bob.phone)
        alice.engine.send_text(bob.phone, "one")
        run_until(lambda: bob.texts_from(alice.phone) == ["one"], [alice, bob])
        profile_id, bob_phone = bob.engine.list_profiles()[0][0], bob.phone
        bob.close()

        alice.engine.send_text(bob_phone, "two")
        run_until(lambda: store.queued_count(bob_phone) == 1, [alice])

        process = subprocess.Popen(
            [sys.executable, str(HARNESS), str(bob.root), profile_id, "--stop-before-ack"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        assert process.stdout is not None
        threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
        _wait_for_line(lines, "STORED-NOT-ACKED")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        assert store.queued_count(bob_phone) == 1  # stored by Bob, never acknowledged

        again = Person(tmp_path, "bob")
        again.engine.unlock(profile_id, PASSPHRASE)
        again.engine.connect()
        run_until(lambda: store.queued_count(bob_phone) == 0, [alice, again])
        assert [m.text for m in again.engine.history(alice.phone)] == ["two", "one"]
        assert again.of(MessageReceived) == []  # recognised as a redelivery, not shown twice

        alice.engine.send_text(bob_phone, "three")
        run_until(lambda: again.texts_from(alice.phone) == ["three"], [alice, again])
        again.engine.send_text(alice.phone, "four")
        run_until(lambda: alice.texts_from(bob_phone) == ["four"], [alice, again])
    finally:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        for person in (alice, again):
            if person is not None:
                person.close()
