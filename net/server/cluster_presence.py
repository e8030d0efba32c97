"""Presence across nodes: the service asks :class:`Presence` as on one node, and the bus does the rest.

A node knows only its own connections. For a device it does not hold, :meth:`ClusterPresence.get`
answers with a :class:`RemoteDevice` whose ``push`` publishes a hint for whichever node holds it (if
any: publishing to a channel nobody listens to costs Redis nothing, and asking first would make the
loop wait for Redis). ``all_of`` adds a :class:`RemoteAccount` for the account's devices elsewhere,
``take`` and ``take_all`` hand back proxies whose ``end`` ends the session(s) on the other node with the
reason pushed just before. A login publishes :class:`~net.server.bus.DeviceClaimed`: the node that held the
device before ends its session with ``logged_in_elsewhere``. So service code never learns about nodes.

A message push carries only (phone, device, id): the node holding the device reads the message from
the store. Each held session remembers which ids it was pushed, so it is pushed each message at most
once whichever way it learnt of it (a local send, a hint, the sweep), and a mark: the highest id the
sweep has read for it. On a reconnect of the bus, and every ``sweep`` seconds, the node reads each held
device's queue after its mark (a bounded page per device) and pushes what no hint told it: the store
is the truth, a hint is only a hint. Ids grow per device in commit order, so nothing committed later
can hide below the mark.

Everything here runs on the loop's thread: the bus hands payloads over with ``call_soon_threadsafe``.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from net.protocol.devices import PUSH_LINK_DONE
from net.protocol.schema import PUSH_MESSAGE, PUSH_SESSION_ENDED
from net.server.bus import (
    AccountEnded,
    BadHint,
    Bus,
    DeviceClaimed,
    DeviceEnded,
    DevicePush,
    Hint,
    LinkAnswer,
    LinkJoin,
    LinkRelay,
    MessageWaiting,
    account_channel,
    channel_of,
    decode_hint,
    device_channel,
    encode_hint,
)
from net.server.presence import Presence, Session
from net.server.service import message_fields
from storage.server.interface import ServerStore

log = logging.getLogger("parley.server")

SWEEP_INTERVAL = 30.0  # seconds between two reads of every held device's queue (--sweep)
SWEEP_PAGE = 100  # messages read per device per turn of a sweep; a longer queue is read on in later turns
ACTIVE_EVERY = 3600.0  # seconds between two marks of a held device as active (the lock's inactivity)
SWEEP_SLICE = 50  # held devices whose queues are read per turn of the loop while a sweep goes on
SETTLE = 1.0  # seconds after a login when its device's queue is read once (its subscription has settled)
REMEMBERED = 1024  # ids remembered as pushed per session (older ones are below its mark or acked)


@dataclass
class Held:
    """What a node remembers of one of its sessions: the ids pushed to it and the sweep's mark."""

    pushed: set[int] = field(default_factory=set)
    order: deque[int] = field(default_factory=deque)
    mark: int = 0
    #: When the sweep last marked the device active in the store (a registration lock counts activity).
    marked_at: float = 0.0

    def first_time(self, message_id: int) -> bool:
        """Whether ``message_id`` was not pushed yet (and note it as pushed)."""
        if message_id in self.pushed:
            return False
        self.pushed.add(message_id)
        self.order.append(message_id)
        if len(self.order) > REMEMBERED:
            self.pushed.discard(self.order.popleft())
        return True


class Tracked:
    """A session of this node as :meth:`ClusterPresence.get` hands it out: it skips a message push it had."""

    def __init__(self, session: Session, held: Held) -> None:
        self.session = session
        self._held = held
        self.peer = session.peer

    @property
    def phone(self) -> str | None:
        return self.session.phone

    @phone.setter
    def phone(self, value: str | None) -> None:
        self.session.phone = value

    @property
    def device(self) -> int:
        return self.session.device

    @device.setter
    def device(self, value: int) -> None:
        self.session.device = value

    @property
    def challenge(self) -> tuple[str, bytes] | None:
        return self.session.challenge

    @challenge.setter
    def challenge(self, value: tuple[str, bytes] | None) -> None:
        self.session.challenge = value

    def push(self, kind: str, body: dict[str, Any]) -> bool:
        if kind == PUSH_MESSAGE and isinstance(body.get("id"), int) and not self._held.first_time(body["id"]):
            return True  # pushed already (a hint or the sweep was quicker)
        return self.session.push(kind, body)

    def end(self) -> None:
        self.session.end()


class _Remote:
    """What proxies for sessions on other nodes share: a phone, a reason remembered for ``end``."""

    peer = "another node"
    remote = True  # a proxy: links compare it by (phone, device), not by identity
    challenge: tuple[str, bytes] | None = None

    def __init__(self, presence: ClusterPresence, phone: str, device: int) -> None:
        self._presence = presence
        self.phone: str | None = phone
        self._phone = phone
        self.device = device
        self._reason: str | None = None

    def _note_end(self, kind: str, body: dict[str, Any]) -> bool:
        if kind == PUSH_SESSION_ENDED:  # the end that follows says it on the other node
            self._reason = str(body.get("reason"))
            return True
        return False


class RemoteDevice(_Remote):
    """One device, maybe held by another node: a push publishes a hint on its channel."""

    def push(self, kind: str, body: dict[str, Any]) -> bool:
        if self._note_end(kind, body):
            return True
        presence, phone = self._presence, self._phone
        if kind == PUSH_MESSAGE and not body.get("transient"):
            presence.publish(MessageWaiting(phone, self.device, int(body["id"])))
        else:
            presence.publish(DevicePush(phone, self.device, kind, body, presence.node))
        return True  # handed to the bus: PROTOCOL.md says what "delivered" means in a cluster

    def end(self) -> None:
        if self._reason is not None:
            self._presence.publish(DeviceEnded(self._phone, self.device, self._reason, self._presence.node))


class RemoteAccount(_Remote):
    """The account's devices held by other nodes: a push goes to each, ``end`` ends them all."""

    def push(self, kind: str, body: dict[str, Any]) -> bool:
        if not self._note_end(kind, body):
            self._presence.publish(DevicePush(self._phone, None, kind, body, self._presence.node))
        return True

    def end(self) -> None:
        if self._reason is not None:
            self._presence.publish(AccountEnded(self._phone, self._reason, self._presence.node))


class LinkHints(Protocol):
    def receive(self, hint: LinkJoin | LinkAnswer | LinkRelay) -> None: ...

    def done(self, session: Session) -> None: ...


class ClusterPresence(Presence):
    """:class:`Presence` for a node among others on one store, joined by ``bus``."""

    def __init__(
        self,
        bus: Bus,
        node: str,
        store: ServerStore,
        now_ms: Callable[[], int],
        clock: Callable[[], float],
        sweep: float = SWEEP_INTERVAL,
    ) -> None:
        super().__init__()
        self.bus = bus
        self.node = node
        self._store = store
        self._now_ms = now_ms
        self._clock = clock
        self._sweep_every = sweep
        self._next_sweep = clock() + sweep
        self._held: dict[Session, Held] = {}
        self._subscribed: set[str] = set()
        self._soon: deque[tuple[float, Session]] = deque()  # logins whose queue is read once, soon
        self._queue: deque[Session] = deque()  # sessions whose queue the sweep is to read, in turn
        self._queued: set[Session] = set()
        #: Link hints go to the links across nodes (net/server/link_bus.py), once they are wired.
        self.links: LinkHints | None = None
        self.swept = 0  # messages the sweeps and resyncs pushed that no hint had (for logs and tests)

    def publish(self, hint: Hint) -> None:
        self.bus.publish(channel_of(hint), encode_hint(hint))

    # ------------------------------------------------------------ what the service calls

    def claim(self, phone: str, session: Session) -> Session | None:
        previous = super().claim(phone, session)
        if previous is not None:
            self._held.pop(previous, None)
        self._held[session] = Held(marked_at=self._clock())  # the login itself marked it active
        self._follow(phone)
        # A message committed between the client's first fetch and the subscription's arrival at Redis
        # has no hint that reaches us: one read of the queue once the subscription has settled.
        self._soon.append((self._clock() + SETTLE, session))
        self.publish(DeviceClaimed(phone, session.device, self.node))
        return previous

    def release(self, phone: str, session: Session) -> None:
        super().release(phone, session)
        if super().get(phone, session.device) is not session:
            self._held.pop(session, None)
        self._follow(phone)

    def take(self, phone: str, device: int) -> Session | None:
        session = super().take(phone, device)
        if session is None:
            return RemoteDevice(self, phone, device)
        self._held.pop(session, None)
        self._follow(phone)
        return session

    def take_all(self, phone: str) -> list[Session]:
        sessions = super().take_all(phone)
        for session in sessions:
            self._held.pop(session, None)
        self._follow(phone)
        # The proxy first: its end is published before a re-registering connection's new login (the
        # publisher keeps the order), so the other nodes end the old sessions with the right reason.
        return [RemoteAccount(self, phone, 0), *sessions]

    def get(self, phone: str, device: int = 1) -> Session | None:
        session = super().get(phone, device)
        if session is None:
            return RemoteDevice(self, phone, device)
        held = self._held.get(session)
        return session if held is None else Tracked(session, held)

    def all_of(self, phone: str) -> list[Session]:
        return [*super().all_of(phone), RemoteAccount(self, phone, 0)]

    def here(self, phone: str) -> list[Session]:
        return super().all_of(phone)

    def _follow(self, phone: str) -> None:
        """Subscribe to the channels of what this node holds of ``phone``, and only those."""
        devices = {s.device for s in super().all_of(phone)}
        wanted = {device_channel(phone, d) for d in devices} | (
            {account_channel(phone)} if devices else set()
        )
        prefix = (device_channel(phone, 0)[: -len("0")], account_channel(phone))
        had = {c for c in self._subscribed if c.startswith(prefix[0]) or c == prefix[1]}
        for channel in wanted - had:
            self.bus.subscribe(channel)
        for channel in had - wanted:
            self.bus.unsubscribe(channel)
        self._subscribed = (self._subscribed - had) | wanted

    # ------------------------------------------------------------ hints from the other nodes

    def receive(self, payload: bytes) -> None:
        """A payload from the bus, on the loop's thread: act on the hint, or log and ignore it."""
        try:
            hint = decode_hint(payload)
        except BadHint as exc:
            log.warning("bus: ignored a payload that is not a hint (%s)", exc)
            return
        if getattr(hint, "node", None) == self.node:
            return  # our own: what it says was done here already
        if isinstance(hint, MessageWaiting):
            self._message_waiting(hint)
        elif isinstance(hint, DeviceClaimed):
            self._end(super().take(hint.phone, hint.device), hint.phone, "logged_in_elsewhere")
        elif isinstance(hint, DeviceEnded):
            self._end(super().take(hint.phone, hint.device), hint.phone, hint.reason)
        elif isinstance(hint, AccountEnded):
            for session in super().take_all(hint.phone):
                self._end(session, hint.phone, hint.reason)
        elif isinstance(hint, DevicePush):
            self._push(hint)
        elif self.links is not None:
            self.links.receive(hint)

    def _message_waiting(self, hint: MessageWaiting) -> None:
        session = super().get(hint.phone, hint.device)
        held = None if session is None else self._held.get(session)
        if session is None or held is None or hint.id in held.pushed:
            return
        message = self._store.message(hint.phone, hint.device, hint.id, self._now_ms())  # unexpired, unacked
        if message is not None and held.first_time(hint.id):
            session.push(PUSH_MESSAGE, message_fields(message))

    def _push(self, hint: DevicePush) -> None:
        if hint.device is None:
            targets = super().all_of(hint.phone)
        else:
            one = super().get(hint.phone, hint.device)
            targets = [] if one is None else [one]
        for session in targets:
            if hint.kind == PUSH_LINK_DONE and self.links is not None:
                self.links.done(session)  # the link it joined on another node is used up
            session.push(hint.kind, hint.body)

    def _end(self, session: Session | None, phone: str, reason: str) -> None:
        if session is None:
            return
        self._held.pop(session, None)
        self._follow(phone)
        session.push(PUSH_SESSION_ENDED, {"reason": reason})
        session.phone = None
        session.end()

    # ------------------------------------------------------------ catching up from the store

    def tick(self) -> None:
        """Called on every turn of the loop: the slow sweep when it is due, then a slice of what is due."""
        now = self._clock()
        if now >= self._next_sweep:
            self._next_sweep = now + self._sweep_every
            self.catch_up()
        while self._soon and self._soon[0][0] <= now:
            self._due(self._soon.popleft()[1])
        # A slice per turn: a node holding thousands of devices must not hold one turn for all of them.
        for _ in range(min(SWEEP_SLICE, len(self._queue))):
            session = self._queue.popleft()
            self._queued.discard(session)
            try:
                self._catch_up_one(session)
            except Exception as exc:  # the store out of reach, say: the next sweep reads it again
                log.warning("bus: reading a queue to catch up failed: %s", type(exc).__name__)
                return

    def catch_up(self) -> int:
        """Read every held device's queue after its mark (a slice per turn, from the next turn on) and
        push what it was not pushed: how many devices are to be read."""
        for session in list(self._held):
            self._due(session)
        return len(self._queue)

    def _due(self, session: Session) -> None:
        if session in self._held and session not in self._queued:
            self._queued.add(session)
            self._queue.append(session)

    def _catch_up_one(self, session: Session) -> None:
        held, phone = self._held.get(session), session.phone
        if held is None or phone is None:
            return
        now, at = self._now_ms(), self._clock()
        if at - held.marked_at >= ACTIVE_EVERY and not self._store.space.full:
            # Another node answering "is the owner online?" sees only this: a device held for days
            # stays active for the registration lock, as it is on one node.
            self._store.mark_active(phone, now, session.device)
            held.marked_at = at
        pushed = 0
        page, more = self._store.fetch(phone, held.mark, SWEEP_PAGE, now, session.device)
        for message in page:
            held.mark = max(held.mark, message.id)
            if held.first_time(message.id) and session.push(PUSH_MESSAGE, message_fields(message)):
                pushed += 1
        if more:  # a long queue (its client has not acknowledged them yet): the next page in a later turn
            self._due(session)
        self.swept += pushed
        if pushed:
            log.info("bus: the sweep pushed %d messages no hint had told", pushed)
