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
from net.server.catch_up import CatchUp, Held, stale
from net.server.presence import Presence, Session
from storage.server.interface import ServerStore

log = logging.getLogger("parley.server")

SWEEP_INTERVAL = 30.0  # seconds between two reads of every held device's queue (--sweep)
SETTLE = 1.0  # seconds after a login when its device's queue is read once (its subscription has settled)
HINTS_PER_TURN = 2000  # hints acted on per turn of the loop; past it they are dropped and a resync reads


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


class TakenHere(Tracked):
    """A session of this node that :meth:`ClusterPresence.take` removed: its end is published too, so a
    session of the same device on another node (two logins at once) ends with the same reason."""

    def __init__(self, session: Session, remote: RemoteDevice) -> None:
        super().__init__(session, Held())
        self._remote = remote

    def push(self, kind: str, body: dict[str, Any]) -> bool:
        if kind == PUSH_SESSION_ENDED:
            self._remote.push(kind, body)  # noted for the end published on the bus
        return self.session.push(kind, body)

    def end(self) -> None:
        self.session.end()
        self._remote.end()


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
            presence = self._presence
            presence.publish(AccountEnded(self._phone, self._reason, presence.node, presence.now_ms()))


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
        channel_key: bytes | None = None,
    ) -> None:
        super().__init__()
        self._channel_key = channel_key  # names the device and account channels (net/server/bus.py)
        self.bus = bus
        self.node = node
        self._store = store
        self._now_ms = now_ms
        self._clock = clock
        self._sweep_every = sweep
        self._next_sweep = clock() + sweep
        self._held: dict[Session, Held] = {}
        self._catching = CatchUp(store, self._held, now_ms, clock, self._end_stale)
        self._subscribed: set[str] = set()
        self._soon: deque[tuple[float, Session]] = deque()  # logins whose queue is read once, soon
        self._hints_this_turn = 0
        #: Link hints go to the links across nodes (net/server/link_bus.py), once they are wired.
        self.links: LinkHints | None = None

    def now_ms(self) -> int:
        return self._now_ms()

    def publish(self, hint: Hint) -> None:
        self.bus.publish(channel_of(hint, self._channel_key), encode_hint(hint))

    # ------------------------------------------------------------ what the service calls

    def claim(self, phone: str, session: Session) -> Session | None:
        previous = super().claim(phone, session)
        if previous is not None:
            self._held.pop(previous, None)
        held = self._held[session] = Held(marked_at=self._clock())  # the login itself marked it active
        try:  # in the login's turn: the epoch commits with it
            held.epoch = self._store.count_login(phone, session.device, self._now_ms())
        except Exception as exc:  # epoch 0 loses to any other login of the device: never the newer one
            log.warning("bus: a login's epoch was not counted: %s", type(exc).__name__)
        self._catching.login(session)  # its mark: what waits now, its client fetches itself
        self._follow(phone)
        # A message committed between the client's first fetch and the subscription's arrival at Redis
        # has no hint that reaches us: one read of the queue once the subscription has settled.
        self._soon.append((self._clock() + SETTLE, session))
        self.publish(DeviceClaimed(phone, session.device, self.node, held.epoch))
        return previous

    def claim_again(self) -> int:
        """Publish the claims of every device held here again (the bus came back: ours may have been lost,
        and a node still holding an older login of one of them ends it); how many."""
        claims = [(s.phone, s.device, h.epoch) for s, h in self._held.items() if s.phone is not None]
        for phone, device, epoch in claims:
            self.publish(DeviceClaimed(phone, device, self.node, epoch))
        return len(claims)

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
        # Another node may hold the device too (two logins at once): its end is published as well.
        return TakenHere(session, RemoteDevice(self, phone, device))

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
        key = self._channel_key
        wanted = {device_channel(phone, d, key) for d in devices} | (
            {account_channel(phone, key)} if devices else set()
        )
        prefix = (device_channel(phone, 0, key)[: -len("0")], account_channel(phone, key))
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
        self._hints_this_turn += 1
        if self._hints_this_turn > HINTS_PER_TURN:  # a flood: dropped, and the store read instead
            if self._hints_this_turn == HINTS_PER_TURN + 1:
                log.warning("bus: more than %d hints in one turn; reading the queues instead", HINTS_PER_TURN)
                self.catch_up()
            return
        if isinstance(hint, MessageWaiting):
            self._message_waiting(hint)
        elif isinstance(hint, DeviceClaimed):
            self._claimed(hint)
        elif isinstance(hint, DeviceEnded):
            self._end(super().take(hint.phone, hint.device), hint.phone, hint.reason)
        elif isinstance(hint, AccountEnded):
            for session in super().all_of(hint.phone):
                held = self._held.get(session)
                if held is None or held.epoch < hint.before:  # logged in before the end: of the old account
                    self._end(super().take(hint.phone, session.device), hint.phone, hint.reason)
        elif isinstance(hint, DevicePush):
            self._push(hint)
        elif self.links is not None:
            self.links.receive(hint)

    def _message_waiting(self, hint: MessageWaiting) -> None:
        session = super().get(hint.phone, hint.device)
        held = None if session is None else self._held.get(session)
        if session is None or held is None or hint.id in held.pushed:
            return
        self._catching.hinted(session, hint.id)  # read after the commit, with the turn's other hints

    def _claimed(self, hint: DeviceClaimed) -> None:
        session = super().get(hint.phone, hint.device)
        held = None if session is None else self._held.get(session)
        if session is None:
            return
        if held is not None and held.epoch > hint.epoch:  # a late or older claim: ours is the newer login
            self.publish(DeviceClaimed(hint.phone, hint.device, self.node, held.epoch))  # theirs ends
            return
        self._end(super().take(hint.phone, hint.device), hint.phone, "logged_in_elsewhere")

    def current(self, session: Session) -> bool:
        phone, held = session.phone, self._held.get(session)
        if phone is None or held is None:
            return True  # not a session of this node's: nothing to judge
        reason = stale(self._store.login_states([phone]).get(phone), session.device, held.epoch)
        if reason is None:
            return True
        log.info("bus: a session the store no longer backs asked to change its account (%s)", reason)
        self._end_stale(session, reason)
        return False

    def _end_stale(self, session: Session, reason: str) -> None:
        phone = session.phone
        if phone is not None and super().get(phone, session.device) is session:
            self._end(super().take(phone, session.device), phone, reason)

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
        """Called on every turn of the loop, inside its batch: notes what is due and reads nothing."""
        now = self._clock()
        if now >= self._next_sweep:
            self._next_sweep = now + self._sweep_every
            self.catch_up()
        while self._soon and self._soon[0][0] <= now:
            self._catching.due(self._soon.popleft()[1])

    def after_commit(self) -> None:
        """Called by the loop after each turn's commit: the reads that catch up (net/server/catch_up.py)."""
        self._hints_this_turn = 0
        self._catching.after_commit()

    @property
    def work_waiting(self) -> bool:
        return self._catching.waiting

    def next_due(self) -> float | None:
        return min(self._next_sweep, self._soon[0][0]) if self._soon else self._next_sweep

    def catch_up(self) -> int:
        """Read every held device's queue after its mark (a slice per turn, after the commits) and push
        what it was not pushed: how many devices are to be read."""
        return self._catching.everyone()

    @property
    def swept(self) -> int:
        """Messages catch-ups pushed that no hint had told (for logs and tests)."""
        return self._catching.swept
