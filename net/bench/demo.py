"""Two people, headless: register against a development server, add each other, and chat.

    python -m net.bench.demo                          starts `python main.py server --dev-codes` itself
    python -m net.bench.demo --server 127.0.0.1:5000  uses a server already started with --dev-codes

Both profiles live in a temporary folder that is removed at the end. The
server's key is compared with the fingerprint it printed before it is pinned,
as a careful person would. Everything goes through the same engine the app uses.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from net.client.core.engine_error import EngineError
from net.client.core.events import CodeSent, Event, MessageReceived, MessageStatusChanged, ServerKeyUnknown
from net.client.link import split_address
from net.client.messenger import Messenger
from net.protocol.fingerprints import normalize_fingerprint

ROOT = Path(__file__).resolve().parents[2]
_LISTENING = re.compile(r"listening on (\S+):(\d+)")
_FINGERPRINT = re.compile(r"fingerprint \(SHA-256\): ([0-9A-F ]+)")
PASSPHRASE = "a demo passphrase, not a real one"  # noqa: S105 - throwaway profiles, deleted at the end


class Person:
    def __init__(self, root: Path, name: str, phone: str) -> None:
        self.name, self.phone = name, phone
        self.events: list[Event] = []
        self.engine = Messenger(root / name, self._on_event)

    def _on_event(self, event: Event) -> None:
        self.events.append(event)
        if isinstance(event, MessageReceived):
            print(f"  {self.name} received: {event.message.text}")
        elif isinstance(event, MessageStatusChanged):
            print(
                f"  {self.name}: message {event.message_id[:10]}… ({event.contact}) is {event.status.value}"
            )

    def join(self, host: str, port: int, expected_fingerprint: str | None) -> None:
        self.engine.create_profile(self.name, PASSPHRASE)
        self.engine.set_server(host, port)
        try:
            self.engine.connect()
        except EngineError as exc:
            if exc.code != "server_key_unknown":
                raise
        offered = [e for e in self.events if isinstance(e, ServerKeyUnknown)][-1].fingerprint
        if expected_fingerprint is not None and normalize_fingerprint(offered) != expected_fingerprint:
            raise SystemExit(f"{self.name}: the server presented another key than it printed; stopping")
        self.engine.accept_server_key(offered)
        self.engine.connect()
        self.engine.register_start(self.phone, f"{self.name.lower()}@example.org")
        code = [e for e in self.events if isinstance(e, CodeSent)][-1].dev_code
        if code is None:
            raise SystemExit("the server does not return codes: start it with --dev-codes")
        self.engine.register_finish(code)
        print(f"{self.name} registered as {self.phone}")


def run_until(condition: Callable[[], bool], people: list[Person], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("the demo timed out waiting for the other side")
        for person in people:
            person.engine.poll(0.02)


def settle(what: str, condition: Callable[[], bool], poll: Callable[[], None], timeout: float) -> bool:
    """Call ``poll`` until ``condition`` holds (checked every 0.2 s); False, said, after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() > deadline:
            print(f"  timed out after {timeout:g} s waiting for {what}")
            return False
        checked = time.monotonic()
        while time.monotonic() - checked < 0.2:
            poll()


def chat(host: str, port: int, fingerprint: str | None, folder: Path) -> None:
    alice = Person(folder, "Alice", "+442079460001")
    bob = Person(folder, "Bob", "+442079460002")
    people = [alice, bob]
    try:
        for person in people:
            person.join(host, port, fingerprint)
        alice.engine.add_contact(bob.phone, "Bob")
        bob.engine.add_contact(alice.phone, "Alice")
        number = alice.engine.safety_number(bob.phone)
        print(
            f"safety number: {number} (Bob sees the same: {bob.engine.safety_number(alice.phone) == number})"
        )

        def received(person: Person) -> int:
            return sum(isinstance(e, MessageReceived) for e in person.events)

        alice.engine.send_text(bob.phone, "Hello Bob, this is Alice.")
        run_until(lambda: received(bob) == 1, people)
        bob.engine.mark_read(alice.phone)
        bob.engine.send_text(alice.phone, "Hello Alice! Bob here.")
        run_until(lambda: received(alice) == 1, people)
        alice.engine.mark_read(bob.phone)

        def all_read() -> bool:
            mine = [
                m for p, o in ((alice, bob), (bob, alice)) for m in p.engine.history(o.phone) if m.outgoing
            ]
            return all(m.status.value == "read" for m in mine)

        run_until(all_read, people)
        for person, other in ((alice, bob), (bob, alice)):
            lines = [
                f"{'me' if m.outgoing else other.name}: {m.text}"
                for m in reversed(person.engine.history(other.phone))
            ]
            print(f"{person.name}'s conversation: {lines}")
    finally:
        for person in people:
            person.engine.close()


def start_server(data_dir: Path) -> tuple[subprocess.Popen[str], str, int, str]:
    command = [
        sys.executable,
        str(ROOT / "main.py"),
        "server",
        "--dev-codes",
        "--port",
        "0",
        "--data-dir",
        str(data_dir),
    ]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and main.py
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    host = port = fingerprint = None
    for line in process.stdout:
        if match := _LISTENING.search(line):
            host, port = match.group(1), int(match.group(2))
        if match := _FINGERPRINT.search(line):
            fingerprint = normalize_fingerprint(match.group(1))
        if host and port and fingerprint:
            return process, host, port, fingerprint
    process.kill()
    raise SystemExit("the server did not start")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m net.bench.demo", description=__doc__.split("\n")[0])
    parser.add_argument("--server", help="host:port of a server started with --dev-codes")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="parley-demo-") as folder:
        if args.server:
            host, port = split_address(args.server)
            chat(host, port, None, Path(folder))
            return 0
        process, host, port, fingerprint = start_server(Path(folder) / "server")
        print(f"server on {host}:{port}, fingerprint {fingerprint}")
        try:
            chat(host, port, fingerprint, Path(folder))
        finally:
            process.terminate()
            process.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
