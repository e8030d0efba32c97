"""What a decoded request becomes on the server: a reply, a refusal in words, or work for later.

:class:`Answerer` hands each request to the :class:`~net.server.service.Service` and
writes what comes back into the connection's buffer, for the loop to send after the
turn's commit:

* a reply (one larger than a frame becomes the error that says so), with the
  pushes it leaves for after the commit (``Outcome.then``);
* blocking work (``Outcome.later``) goes to a small thread pool; the connection's
  later requests wait for it, and its result comes back to the loop's thread
  through the loop's hand-over, to be delivered like any reply;
* a refusal (:class:`~net.protocol.errors.RequestRefused`) in words; a write that
  found no room, ``storage_full``; a read or write that found the database out of
  reach, ``storage_unavailable``, and so too a write another server held up
  (:class:`~storage.server.records.StoreBusy`: nothing of it was kept); any other
  failure, ``server_error``: a bug or a failing disk costs the request, never the connection or the server.

While the store is full, a request that only adds data is refused before it
writes, and a reply whose write the turn's commit may still lose is noted in
:class:`~net.server.storage_full.LostWrites`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from net.protocol.connection import ErrorReply, Reply, Request
from net.protocol.errors import ErrorCode, LocalProtocolError, RequestRefused
from net.server.outcome import Outcome
from net.server.peer_connection import PeerConnection
from net.server.service import Service
from net.server.storage_full import LostWrites, storage_full_reply, storage_unavailable_reply, waits_for_room
from storage.server.interface import ServerStore
from storage.server.records import StoreBusy

log = logging.getLogger("parley.server")

BLOCKING_WORKERS = 4
_SERVER_ERROR = "the server could not complete this request"
_BUSY = (
    "another server was changing what this request needed; nothing of this request was kept;"
    " try again in a moment"
)
#: Called on the loop's thread when a request's blocking work is done.
Finished = Callable[[PeerConnection, Request, "Future[Outcome]"], None]


class Answerer:
    def __init__(
        self,
        service: Service,
        store: ServerStore,
        lost: LostWrites,
        hand_over: Callable[[Callable[[], None]], None],
        finished: Finished,
    ) -> None:
        self._service = service
        self._store = store
        self._space = store.space
        self._lost = lost
        self._hand_over = hand_over
        self._finished = finished
        self._blocking = ThreadPoolExecutor(BLOCKING_WORKERS, thread_name_prefix="server-blocking")
        #: What the turn's requests left for after its commit (pushes to recipients).
        self.after_commit: list[Callable[[], None]] = []
        #: What the turn's requests left for a failed commit (taking back what they did in memory).
        self.after_failure: list[Callable[[], None]] = []

    def answer(self, connection: PeerConnection, request: Request) -> None:
        if self._space.full and waits_for_room(request, logged_in=connection.phone is not None):
            connection.send(storage_full_reply(request.id))  # before any write; logged once, by the guard
            return
        start, dependents = len(connection.out), self._store.dependents
        try:
            outcome = self._service.handle(connection, request)
        except Exception as exc:
            self.refuse(connection, request, exc)
        else:
            self.deliver(connection, request, outcome)
        if self._store.dependents != dependents:  # its reply holds only if this turn commits
            self._lost.note(connection, request, start, later=connection.busy)

    def deliver(self, connection: PeerConnection, request: Request, outcome: Outcome) -> None:
        later = outcome.later
        if later is not None:
            connection.busy = True
            future = self._blocking.submit(later)
            future.add_done_callback(
                lambda done: self._hand_over(lambda: self._finished(connection, request, done))
            )
            return
        try:
            connection.send(Reply(request.id, outcome.body))
        except LocalProtocolError as exc:  # a reply larger than a frame: say so instead
            connection.send(ErrorReply(request.id, exc.code, exc.message))
        if outcome.then is not None:
            self.after_commit.append(outcome.then)
        if outcome.undo is not None:
            self.after_failure.append(outcome.undo)
        if outcome.close:
            connection.end()

    def finish(self, connection: PeerConnection, request: Request, done: Future[Outcome]) -> None:
        """Deliver the result of a request's blocking work (on the loop's thread, in a batch)."""
        error = done.exception()
        lost = self._lost.lost_later(connection, request.id)  # its write went with a commit that failed
        if lost is not None:
            connection.send(lost)
        elif error is None:
            self.deliver(connection, request, done.result())
        else:
            self.refuse(connection, request, error)

    def refuse(self, connection: PeerConnection, request: Request, error: BaseException) -> None:
        if isinstance(error, RequestRefused):
            log.info("%s: %s refused: %s", connection.peer, request.op, error.code)
            connection.send(ErrorReply(request.id, error.code, error.message, error.devices))
            return
        if isinstance(error, StoreBusy):  # a deadlock, a serialization check or a lock wait lost to a node
            log.info("%s: %s refused: busy (%s)", connection.peer, request.op, error)
            connection.send(ErrorReply(request.id, ErrorCode.STORAGE_UNAVAILABLE, _BUSY))
            return
        if self._store.lacks_room(error):
            self._space.met_full(f"{request.op} found no room")
            connection.send(storage_full_reply(request.id))
            return
        if self._store.unreachable(error):  # nothing of it was kept; the same request may come again
            log.debug("%s: %s found the database out of reach", connection.peer, request.op)
            self._lost.met_unavailable()
            connection.send(storage_unavailable_reply(request.id))
            return
        # A bug or a failing disk must cost this request, not the connection or the server.
        log.error("%s: %s failed: %s", connection.peer, request.op, type(error).__name__)
        log.debug("details", exc_info=error)
        connection.send(ErrorReply(request.id, ErrorCode.SERVER_ERROR, _SERVER_ERROR))

    def take_after_commit(self) -> list[Callable[[], None]]:
        after, self.after_commit, self.after_failure = self.after_commit, [], []
        return after

    def undo_turn(self) -> None:
        """The turn's commit failed: take back what its requests did in memory (none of their pushes run)."""
        undo, self.after_failure = self.after_failure, []
        for call in undo:
            try:
                call()
            except Exception as exc:  # one failing undo must not keep the others from running
                log.error("taking back a request after a failed commit failed: %s", type(exc).__name__)
                log.debug("details", exc_info=True)

    def shutdown(self) -> None:
        self._blocking.shutdown(wait=False, cancel_futures=True)
