"""Helpers for driving real client engines against a real server: people, and waiting without sleeps.

Every engine runs on the test's thread; :func:`run_until` polls all of them in
turn (each poll waits on its socket for a few milliseconds) until a condition
holds or the time is up, so a test waits on what happens, never on a clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import profile_raw

from crypto_core.sealing import KdfParams
from net.client.core.events import (
    CodeSent,
    ConnectionChanged,
    ConnectionState,
    Event,
    MessageReceived,
    MessageStatusChanged,
    ServerKeyUnknown,
)
from net.client.messenger import Messenger

FAST_KDF = KdfParams(memory_kib=8, iterations=1, lanes=1)
PASSPHRASE = "correct horse battery staple"
#: The one message more that waits for a contact beside the first texts: the sender's display name,
#: which goes with the first message to every accepted contact.
NAME = 1


class Person:
    """One profile in its own folder, with the events its engine reported."""

    def __init__(self, root: Path, name: str, **engine: Any) -> None:
        self.root = root / name
        self.name = name
        self.events: list[Event] = []
        engine.setdefault("kdf_params", FAST_KDF)
        engine.setdefault("timeout", 5.0)
        self.engine = Messenger(self.root, self.events.append, **engine)
        self.phone = ""

    @property
    def connection_state(self) -> ConnectionState:
        """The state the engine last reported (ConnectionChanged), as the window learns it."""
        changes = [e.state for e in self.events if isinstance(e, ConnectionChanged)]
        return changes[-1] if changes else ConnectionState.OFFLINE

    def create(self, address: tuple[str, int]) -> None:
        self.engine.create_profile(self.name, PASSPHRASE)
        self.engine.set_server(*address)

    def first_connect(self) -> None:
        """Connect, accept the key offered on first contact, connect again."""
        from net.client.core.engine_error import EngineError

        try:
            self.engine.connect()
        except EngineError as exc:
            assert exc.code == "server_key_unknown"
        offered = self.of(ServerKeyUnknown)[-1]
        self.engine.accept_server_key(offered.fingerprint)
        self.engine.connect()

    def register(self, address: tuple[str, int], phone: str) -> None:
        self.create(address)
        self.first_connect()
        self.engine.register_start(phone, f"{self.name}@example.org")
        code = self.of(CodeSent)[-1].dev_code
        assert code is not None
        self.engine.register_finish(code)
        self.phone = phone

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def texts_from(self, phone: str) -> list[str]:
        return [e.message.text for e in self.of(MessageReceived) if e.message.contact == phone]

    def knows(self, *phones: str) -> None:
        """Put these numbers in the contacts (accepted, no key pinned yet), as an address book would."""
        ctx = self.engine._ctx
        assert ctx is not None
        for phone in phones:
            ctx.profile.contacts.add(phone, "")

    def accept_from(self, phone: str, people: Iterable[Person]) -> None:
        """Wait for a message request from ``phone``, then accept it (its held receipts go then)."""
        run_until(lambda: any(r.phone == phone for r in self.engine.requests()), people)
        self.engine.accept_request(phone)

    def statuses(self, message_id: str) -> list[str]:
        return [e.status.value for e in self.of(MessageStatusChanged) if e.message_id == message_id]

    def tamper(self, statement: str) -> int:
        """Run ``statement`` on the raw profile file, as a failing disk or an attacker would; rows changed."""
        (path,) = self.root.glob("*/profile.db")
        raw = profile_raw.connect(path.parent, PASSPHRASE)
        try:
            return raw.execute(statement).rowcount
        finally:
            raw.close()

    def close(self) -> None:
        self.engine.close()


def run_until(
    condition: Callable[[], bool], people: Iterable[Person], *, timeout: float = 20.0, step: float = 0.02
) -> None:
    people = list(people)
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        for person in people:
            person.engine.poll(step)


def pair(
    root: Path, address: tuple[str, int], phones: Callable[[], str], *names: str, known: bool = True
) -> list[Person]:
    """Registered people; ``known``: each has the others in their contacts (no session yet), so a
    message between them is a conversation, not a message request."""
    people = []
    for name in names:
        person = Person(root, name)
        person.register(address, phones())
        people.append(person)
    if known:
        for person in people:
            person.knows(*(other.phone for other in people if other is not person))
    return people
