"""Three people chat, each in a process of its own, while the server is SIGKILLed and restarted, many times.

The server is a real process on a real SQLite file; each restart uses the same
data directory and the same port, so the engines just reconnect (same key, same
fingerprint). At the end every message a sender's history shows as sent (or
beyond) is in its recipient's history exactly once, as text, so it decrypted;
nothing is left waiting in any outbox, and no message arrived that nobody sent.
"""

from __future__ import annotations

import json
import queue
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import IO, Any

import pytest
from conftest import fresh_phone
from engine_support import pair
from server_process import ServerProcess

HARNESS = Path(__file__).resolve().parent.parent / "chat_harness.py"
RESTARTS = 5
SENT_OR_BEYOND = {"sent", "delivered", "read"}
# Rate limits count per server process today, but need not: the restarts must not be what is measured.
SERVER_FLAGS = ("--dev-codes", "--logins-per-minute", "1000", "--bundles-per-hour", "1000")


class Chatter:
    """A person's process: commands in on standard input, lines out on standard output."""

    def __init__(self, root: Path, profile_id: str, name: str, contacts: list[str]) -> None:
        self.name = name
        self.process = subprocess.Popen(
            [sys.executable, str(HARNESS), str(root), profile_id, name, *contacts],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        assert self.process.stdout is not None
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line)

    def wait_for(self, prefix: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"{self.name} never printed {prefix}"
            assert self.process.poll() is None, f"{self.name} exited with {self.process.returncode}"
            try:
                line = self.lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            if line.startswith(prefix):
                return line[len(prefix) :]

    def tell(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def report(self) -> dict[str, Any]:
        self.tell("report")
        return json.loads(self.wait_for("REPORT "))

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                self.tell("stop")
                self.process.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait(timeout=30)


def _settled(reports: dict[str, dict[str, Any]], phones: dict[str, str]) -> bool:
    """Nothing waits to be sent, and every message sent has arrived."""
    for sender, report in reports.items():
        for contact, chat in report["contacts"].items():
            if any(status == "queued" for _, status in chat["out"]):
                return False
            recipient = next(name for name, phone in phones.items() if phone == contact)
            arrived = set(reports[recipient]["contacts"][phones[sender]]["in"])
            if not {text for text, _ in chat["out"]} <= arrived:
                return False
    return True


def _sent_so_far(chatters: list[Chatter]) -> int:
    return sum(
        status in SENT_OR_BEYOND
        for chatter in chatters
        for chat in chatter.report()["contacts"].values()
        for _, status in chat["out"]
    )


def _wait_for_progress(chatters: list[Chatter], before: int, timeout: float = 30.0) -> int:
    """Wait until a few more messages than ``before`` are sent; the new count."""
    deadline = time.monotonic() + timeout
    while (now := _sent_so_far(chatters)) < before + 4:
        assert time.monotonic() < deadline, "nothing was sent through the restarted server"
        time.sleep(0.1)
    return now


@pytest.mark.slow
def test_messages_sent_while_the_server_is_killed_arrive_exactly_once(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "server", *SERVER_FLAGS)
    port = server.address[1]
    names = ["ann", "ben", "cat"]
    chatters: list[Chatter] = []
    try:
        people = pair(tmp_path / "people", server.address, fresh_phone, *names)
        phones = {person.name: person.phone for person in people}
        profiles = {}
        for person in people:
            for other in people:
                if other is not person:
                    person.engine.add_contact(other.phone)
            profiles[person.name] = person.engine.list_profiles()[0][0]
            person.close()
        for person in people:
            contacts = [phones[name] for name in names if name != person.name]
            chatters.append(Chatter(person.root, profiles[person.name], person.name, contacts))
        for chatter in chatters:
            chatter.wait_for("READY")

        rng = random.Random()
        progress = 0
        for _ in range(RESTARTS):
            progress = _wait_for_progress(chatters, progress)  # they chat through this server first
            time.sleep(rng.uniform(0.0, 0.3))  # then the kill lands wherever it lands
            server.kill()
            server = ServerProcess(tmp_path / "server", "--port", str(port), *SERVER_FLAGS)
        _wait_for_progress(chatters, progress)
        for chatter in chatters:
            chatter.tell("last")

        deadline = time.monotonic() + 60
        while True:
            reports = {chatter.name: chatter.report() for chatter in chatters}
            if not any(r["sending"] for r in reports.values()) and _settled(reports, phones):
                break
            assert time.monotonic() < deadline, "the outboxes never emptied"
            time.sleep(0.3)

        total_sent = 0
        for sender, report in reports.items():
            for contact, chat in report["contacts"].items():
                recipient = next(name for name, phone in phones.items() if phone == contact)
                arrived = Counter(reports[recipient]["contacts"][phones[sender]]["in"])
                sent = [text for text, status in chat["out"] if status in SENT_OR_BEYOND]
                assert len(sent) == len(chat["out"]), f"{sender}: not all sent: {chat['out']}"
                assert all(text.startswith(f"{sender} #") for text in arrived)
                assert set(arrived) == set(sent), f"{sender} → {recipient}"
                assert [text for text, n in arrived.items() if n != 1] == [], (
                    f"{sender} → {recipient}: repeats"
                )
                total_sent += len(sent)
            assert "undecryptable" not in report["trouble"], f"{sender}: {report['trouble']}"
        assert total_sent >= 3 * 10  # they really chatted through the restarts
    finally:
        for chatter in chatters:
            chatter.stop()
        server.stop()
