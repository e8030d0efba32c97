"""What a node of a cluster reads from the store for the sessions it holds, after each turn's commit.

Three kinds of reads, all made by :meth:`CatchUp.after_commit`, which the loop calls once the turn's group
commit is done: outside the batch, so they see only committed messages (a push of this turn's uncommitted
message could not be taken back if the commit failed), and a failed read costs only itself, never the
turn's transaction.

- A fresh login's mark: the highest id waiting for its device, which its client fetches itself; a catch-up
  reads only after it, so a login never has its unread queue pushed again.
- Hints of messages stored by other nodes: the turn's ids of one device in one read (``store.messages``).
- The sweep's check of the sessions held against the store, many accounts per read: a session whose
  device was unlinked, whose account was deleted or re-registered since its login, or whose device logged
  in again since (a higher epoch) is ended with that reason, even when the hint that should have ended it
  was lost.
- Catch-ups (the sweep, a resync after the bus came back, a login's settle read): a device's queue after
  its mark, a page at a time, within a byte budget per turn, never for a connection that is paused (a slow
  reader: its pushes wait, so its output never overflows).

When a read fails because the store is out of reach the reads pause for a moment (the sweep catches up
later), so the loop never waits on a connect timeout turn after turn.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from net.protocol.schema import PUSH_MESSAGE
from net.server.presence import Session
from net.server.service import message_fields
from storage.server.interface import ServerStore

log = logging.getLogger("parley.server")

SWEEP_PAGE = 100  # messages read per device per catch-up; a longer queue is read on in later turns
ACTIVE_EVERY = 3600.0  # seconds between two marks of a held device as active (the lock's inactivity)
SWEEP_SLICE = 50  # held devices whose queues are read per turn of the loop while a catch-up goes on
BYTE_BUDGET = 256 * 1024  # bytes of message bodies catch-ups push per turn (the rest in later turns)
CHECK_SLICE = 200  # held sessions checked against the store per turn while a sweep goes on
FAILED_PAUSE = 1.0  # seconds without reads after one failed (the store out of reach, say)
REMEMBERED = 1024  # ids remembered as pushed per session (older ones are below its mark or acked)


@dataclass
class Held:
    """What a node remembers of one of its sessions: the ids pushed to it and the catch-up's mark."""

    pushed: set[int] = field(default_factory=set)
    order: deque[int] = field(default_factory=deque)
    #: The highest id a catch-up has read for it; None until the login's own mark is read.
    mark: int | None = None
    #: When the node last marked the device active in the store (a registration lock counts activity).
    marked_at: float = 0.0
    #: The login's epoch (the device's count of logins in the store): a claim of a lower one loses to it.
    epoch: int = 0

    def first_time(self, message_id: int) -> bool:
        """Whether ``message_id`` was not pushed yet (and note it as pushed)."""
        if message_id in self.pushed:
            return False
        self.pushed.add(message_id)
        self.order.append(message_id)
        if len(self.order) > REMEMBERED:
            self.pushed.discard(self.order.popleft())
        return True


def stale(devices: dict[int, tuple[int, bool]] | None, device: int, epoch: int) -> str | None:
    """Why a session of ``device`` logged in with ``epoch`` must end, by the store's rows; None if not."""
    if devices is None:
        return "account_deleted"
    if device not in devices:
        return "re_registered"  # the account is there, the device is not: a new registration
    stored, removed = devices[device]
    if removed:
        return "unlinked"
    if epoch and stored < epoch:
        return "re_registered"  # its row was made anew after this login
    if epoch and stored > epoch:
        return "logged_in_elsewhere"  # a later login of the device, whose hint never came
    return None


def _paused(session: Session) -> bool:
    return bool(getattr(session, "paused", False))


class CatchUp:
    """The reads of :mod:`net.server.cluster_presence`'s held sessions; ``held`` is its table of them."""

    def __init__(
        self,
        store: ServerStore,
        held: dict[Session, Held],
        now_ms: Callable[[], int],
        clock: Callable[[], float],
        end: Callable[[Session, str], None],
    ) -> None:
        self._store = store
        self._held = held
        self._end = end
        self._unchecked: deque[Session] = deque()  # held sessions the sweep is to check against the store
        self._now_ms = now_ms
        self._clock = clock
        self._unmarked: deque[Session] = deque()  # fresh logins whose mark is still to be read
        self._hinted: dict[Session, set[int]] = {}  # ids other nodes stored for a held session
        self._queue: deque[Session] = deque()  # sessions whose queue is to be read, in turn
        self._queued: set[Session] = set()
        self._held_back: set[Session] = set()  # paused when their turn came: read once they drain
        self._quiet_until = 0.0  # no reads before this (one failed)
        self.swept = 0  # messages catch-ups pushed that no hint had (for logs and tests)

    # ------------------------------------------------------------ noted during a turn (no reads)

    def login(self, session: Session) -> None:
        self._unmarked.append(session)

    def hinted(self, session: Session, message_id: int) -> None:
        self._hinted.setdefault(session, set()).add(message_id)

    def due(self, session: Session) -> None:
        if session in self._held and session not in self._queued:
            self._queued.add(session)
            self._queue.append(session)

    def everyone(self) -> int:
        """Every held session's queue is to be read: how many are waiting to be."""
        for session in list(self._held):
            self.due(session)
        self._unchecked = deque(self._held)
        return len(self._queue)

    @property
    def waiting(self) -> bool:
        """Whether reads wait that the next turn could make (the loop must not sleep meanwhile)."""
        if self._clock() < self._quiet_until:
            return False
        return bool(self._unmarked or self._hinted or self._queue or self._unchecked)

    # ------------------------------------------------------------ after the commit

    def after_commit(self) -> None:
        if self._clock() < self._quiet_until:
            return
        try:
            self._read_marks()
            self._check_sessions()
            self._read_hinted()
            self._read_queues()
        except Exception as exc:  # the store out of reach, say: what is left waits, the sweep reads it
            log.warning("bus: a catch-up read failed: %s", type(exc).__name__)
            self._quiet_until = self._clock() + FAILED_PAUSE

    def _read_marks(self) -> None:
        for _ in range(min(SWEEP_SLICE, len(self._unmarked))):
            session = self._unmarked[0]
            held, phone = self._held.get(session), session.phone
            if held is not None and phone is not None and held.mark is None:
                held.mark = self._store.newest_id(phone, session.device)
            self._unmarked.popleft()  # after the read: a failed one is tried again

    def _check_sessions(self) -> None:
        sessions = [self._unchecked.popleft() for _ in range(min(CHECK_SLICE, len(self._unchecked)))]
        held = [(s, h, s.phone) for s in sessions if (h := self._held.get(s)) is not None and s.phone]
        if not held:
            return
        try:
            states = self._store.login_states([phone for _, _, phone in held if phone is not None])
        except Exception:
            self._unchecked.extendleft(reversed(sessions))  # checked once reads go on
            raise
        for session, record, phone in held:
            assert phone is not None
            reason = stale(states.get(phone), session.device, record.epoch)
            if reason is not None:
                log.info("bus: the sweep ended a session the store no longer backs (%s)", reason)
                self._end(session, reason)

    def _read_hinted(self) -> None:
        now = self._now_ms()
        for session in list(self._hinted)[:SWEEP_SLICE]:
            ids = self._hinted[session]
            held, phone = self._held.get(session), session.phone
            if held is not None and phone is not None:
                for message in self._store.messages(phone, session.device, sorted(ids), now):
                    if held.first_time(message.id):
                        session.push(PUSH_MESSAGE, message_fields(message))
            del self._hinted[session]

    def _read_queues(self) -> None:
        for session in [s for s in self._held_back if not _paused(s)]:  # drained: their turn again
            self._held_back.discard(session)
            self.due(session)
        budget = BYTE_BUDGET
        for _ in range(min(SWEEP_SLICE, len(self._queue))):
            if budget <= 0:
                return  # the rest in the next turn, which the loop runs at once
            session = self._queue.popleft()
            self._queued.discard(session)
            try:
                budget -= self._read_one(session, budget)
            except Exception:
                self.due(session)  # read again once reads go on
                raise

    def _read_one(self, session: Session, budget: int) -> int:
        """Push what waits for ``session`` after its mark, within ``budget`` bytes; the bytes pushed."""
        held, phone = self._held.get(session), session.phone
        if held is None or phone is None or held.mark is None:
            return 0  # gone, or its login's mark is not read yet (the sweep comes again)
        if _paused(session):
            self._held_back.add(session)
            return 0
        now, at = self._now_ms(), self._clock()
        if at - held.marked_at >= ACTIVE_EVERY and not self._store.space.full:
            # Another node answering "is the owner online?" sees only this: a device held for days
            # stays active for the registration lock, as it is on one node.
            self._store.mark_active(phone, now, session.device)
            held.marked_at = at
        page, more = self._store.fetch(phone, held.mark, SWEEP_PAGE, now, session.device)
        used = pushed = 0
        for message in page:
            if used >= budget or _paused(session):
                more = True  # the rest once the budget or the connection allows
                break
            held.mark = max(held.mark, message.id)
            if held.first_time(message.id) and session.push(PUSH_MESSAGE, message_fields(message)):
                pushed += 1
                used += len(message.body)
        if more and _paused(session):
            self._held_back.add(session)
        elif more:
            self.due(session)  # read on in a later turn
        self.swept += pushed
        if pushed:
            log.info("bus: a catch-up pushed %d messages no hint had told", pushed)
        return used
