"""A person's engine parts on a real profile, for the tests of the engine's group modules.

The profile is a real SQLCipher file; the identities are the fixed ones of ``group_support``
(pinned for the people named), the clock is a :class:`FakeClock` the test moves, and the
:class:`~net.client.duties.Duties` are the real ones, never connected (nothing is sent: the
tests read what was queued in the profile's outbox).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from engine_support import FAST_KDF, PASSPHRASE
from group_support import IDENTITIES, NOW_MS, random

from net.client.context import Context
from net.client.core.envelope import Payload, decode_payload
from net.client.core.events import Event
from net.client.duties import Duties
from net.client.inbox import Inbox
from net.client.link import Link
from net.client.outbox import Entry, Outbox
from storage.profile.directory import ProfileDirectory


@dataclass
class FakeClock:
    """Seconds since the epoch, moved by the test."""

    now: float = NOW_MS / 1000

    def __call__(self) -> float:
        return self.now


@dataclass
class Queued:
    """One outbox copy as the profile holds it, decoded."""

    contact: str
    client_id: str
    group: str | None
    message_id: str | None
    payload: Payload


class Engine:
    """A person's context and duties on a real profile, with the events it emitted."""

    def __init__(self, root: Path, me: str, pinned: Iterable[str] = ()) -> None:
        self.clock = FakeClock()
        self.events: list[Event] = []
        profile = ProfileDirectory(root / me.lstrip("+"), kdf_params=FAST_KDF).create(me, PASSPHRASE)
        profile.account.save(replace(profile.account.get(), phone=me))
        self.ctx = Context(
            profile, self.events.append, clock=self.clock, random=random(), identity=IDENTITIES[me]
        )
        for phone in pinned:
            self.pin(phone)
        link = Link(self.events.append, lambda _push: None, random=self.ctx.random)
        self.duties = Duties(self.ctx, link, Inbox(self.ctx), Outbox(self.ctx, link))

    def pin(self, phone: str, standing: str = "accepted") -> None:
        """``phone`` as a contact of ours with its identity pinned."""
        if self.ctx.profile.contacts.get(phone) is None:
            self.ctx.profile.contacts.add(phone, "", standing=standing)
        self.ctx.profile.contacts.pin_identity(phone, IDENTITIES[phone].public)

    def queued(self) -> list[Queued]:
        found = []
        for item in self.ctx.profile.outbox.pending():
            entry = Entry.from_bytes(item.payload)
            found.append(
                Queued(
                    item.contact, item.client_id, entry.group, entry.message_id, decode_payload(entry.inner)
                )
            )
        return found

    def close(self) -> None:
        self.ctx.profile.close()
