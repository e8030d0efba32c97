"""The server's event loop: one thread and one selector for every connection, with group commit.

Each turn of the loop:

1. waits (``selectors``) for sockets that are ready, the next deadline, or a wake-up;
2. inside one store batch (:meth:`~storage.server.interface.ServerStore.group_commit`):
   runs calls handed over by other threads, accepts, moves TLS handshakes on,
   reads, decodes and handles requests; replies go to each connection's buffer;
3. commits the batch — one commit and one sync for every request of the turn;
4. runs what the handled requests left for after their commit (pushes to recipients), then the reads
   a node of a cluster makes to catch up (committed reads, outside the batch);
5. writes the buffers, and closes what has to close.

Nothing of a turn is written before its commit, so a reply that says "stored"
is durable. A commit that fails for lack of room costs no connection: the
requests whose writes it lost are answered ``storage_full`` instead, and while
the store is full the requests that only add data are refused before they write
(:mod:`net.server.storage_full`; the store's :meth:`~storage.server.interface.ServerStore.lacks_room`
tells a lack of room from other failures). A commit that fails because the
database is out of reach (:meth:`~storage.server.interface.ServerStore.unreachable`)
costs no connection either: those requests are answered ``storage_unavailable``.
Any other failed commit drops the connections it served.

A connection from a ``--proxy-from`` address first gives its PROXY protocol v2 header
(:mod:`net.server.proxy_wait`), within the handshake's deadline; the connection then
starts TLS as the client the header names, and the limits count that client's address.

Only this thread touches sockets and TLS objects; other threads hand work over
with :meth:`ServerLoop.call_soon_threadsafe` (a queue and a socketpair to wake
the selector). Blocking work a request asks for (``Outcome.later``) runs on a
small thread pool; that connection's later requests wait for it, nobody else
does. A failure while serving one connection drops that connection only.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from net.protocol.connection import NEED_DATA, ConnectionClosed, Request
from net.protocol.connection import error_reply as make_error_reply
from net.protocol.errors import RemoteProtocolError
from net.server.addresses import ProxySources
from net.server.answering import Answerer
from net.server.handover import Handover
from net.server.limits import Limits
from net.server.outcome import Outcome
from net.server.peer_connection import OutputLimits, PeerConnection, PeerLost
from net.server.proxy_wait import HeaderWait, HeaderWaits
from net.server.service import Service
from net.server.storage_full import LostWrites, check_space
from net.server.timers import Deadlines
from storage.server.interface import ServerStore
from storage.server.records import BatchFailed, SyncFailed

log = logging.getLogger("parley.server")

READ_BUDGET = 256 * 1024  # bytes read from one connection per turn, so one client cannot starve the rest
REQUEST_BUDGET = 64  # requests handled for one connection per turn, for the same reason
MAX_WAIT = 1.0
#: The default of ``--commit-wait``: how long a turn holding a write to sync may wait for more requests
#: to share its sync (seconds). See :meth:`ServerLoop._linger`.
COMMIT_WAIT = 0.0005
#: A turn with this many jobs already shares its sync well enough: it commits at once.
LINGER_FULL = 16
#: It waits only while requests from different connections come at most this many waits apart (on
#: average), so that one is likely to come meanwhile.
LINGER_GAP = 2.0
#: Nor when the newest request came this many waits after the one before: the first of a quiet while.
LINGER_QUIET = 8.0
#: How fast that average follows the traffic: the weight of the newest gap.
GAP_WEIGHT = 0.1


class ServerLoop:
    def __init__(
        self,
        service: Service,
        store: ServerStore,
        context: ssl.SSLContext,
        limits: Limits,
        clock: Callable[[], float] = time.monotonic,
        proxies: ProxySources | None = None,
        commit_wait: float = COMMIT_WAIT,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._service = service
        self._commit_wait = commit_wait
        self._sleep = sleep
        # The mean gap between requests of different connections (seconds; the loop's clock), and the
        # last such request: a client that sends again only once answered never makes the loop wait.
        self._gap = MAX_WAIT
        self._last_gap = MAX_WAIT
        self._last_request: tuple[PeerConnection | None, float] = (None, 0.0)
        #: Why the loop stopped, when a failed sync of the store stopped it (the server then exits).
        self.failure: SyncFailed | None = None
        self._proxies = proxies or ProxySources()
        self._store = store
        self._space = store.space
        self._lost = LostWrites()  # the requests of this turn whose replies a failed commit would void
        self._context = context
        self._limits = limits
        self._output_limits = OutputLimits.for_frames(limits.max_frame)
        self._clock = clock
        self._selector = selectors.DefaultSelector()
        self._handover = Handover(self._selector)
        self._connections: set[PeerConnection] = set()
        self._established = 0
        self._ready: set[PeerConnection] = set()  # input to handle without waiting for the selector
        self._dirty: set[PeerConnection] = set()  # output to write, events to update, or closing
        # Served this turn: if the commit fails (not for lack of room), they are closed before any reply
        # claims a lost write.
        self._touched: list[PeerConnection] = []
        self._answerer = Answerer(
            service, store, self._lost, self.call_soon_threadsafe, self._finish_later, self._answer_again
        )
        self._deadlines = Deadlines()
        timeout = limits.handshake_timeout  # a PROXY header and the TLS handshake after it share it
        self._header_waits = HeaderWaits(self._selector, self._deadlines, timeout, self._start_tls)
        self._listener: tuple[socket.socket, Callable[[], None]] | None = None
        self._accept_again_at: float | None = None
        self._stopping = False

    # ---------------------------------------------------------------- from any thread

    def call_soon_threadsafe(self, call: Callable[[], None]) -> None:
        """Run ``call`` on the loop's thread at the start of its next turn (from any thread)."""
        self._handover.call_soon_threadsafe(call)

    @property
    def thread_id(self) -> int | None:
        """The loop's thread, once it runs: only it touches sockets and TLS objects."""
        return self._handover.thread_id

    def stop(self) -> None:
        """Ask the loop to close every connection and return from :meth:`run`."""
        self.call_soon_threadsafe(self._request_stop)

    def connection_count(self) -> int:
        """Connections past their TLS handshake and not yet closed."""
        return self._established

    # ---------------------------------------------------------------- setup (before run)

    def watch_listener(self, listener: socket.socket, accept: Callable[[], None]) -> None:
        """``accept`` takes every waiting connection and hands each to :meth:`adopt`."""
        self._listener = (listener, accept)
        self._selector.register(listener, selectors.EVENT_READ, self._accept)

    # ---------------------------------------------------------------- the loop's thread

    def run(self) -> None:
        self._handover.thread_id = threading.get_ident()
        try:
            while not self._stopping:
                try:
                    self._turn()
                except SyncFailed as exc:  # nothing may be acknowledged any more: stop, unanswered
                    log.critical("store: %s; the server stops", exc)
                    self.failure = exc
                    for connection in self._connections:
                        connection.out.clear()  # this turn's replies, which claim what may not be on the disk
                    return
                except Exception as exc:  # a bug outside any one connection: log it and keep serving
                    log.error("the server loop hit an error: %s", type(exc).__name__)
                    log.debug("details", exc_info=True)
        finally:
            self.close()

    def adopt(self, raw: socket.socket, address: Any) -> None:
        """Take a freshly accepted socket: TLS starts on it without blocking (after a PROXY header if due)."""
        peer = f"{address[0]}:{address[1]}"
        try:
            raw.setblocking(False)
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError as exc:
            log.info("%s: could not start TLS (%s)", peer, type(exc).__name__)
            raw.close()
            return
        if self._proxies.send_header(address[0]):
            self._header_waits.begin(raw, peer, self._clock())
            return
        self._start_tls(raw, peer, self._clock())

    def _start_tls(self, raw: socket.socket, peer: str, now: float) -> None:
        """TLS on an accepted socket; the handshake's deadline counts from ``now``, when it was accepted."""
        try:
            sock = self._context.wrap_socket(raw, server_side=True, do_handshake_on_connect=False)
        except OSError as exc:
            log.info("%s: could not start TLS (%s)", peer, type(exc).__name__)
            raw.close()
            return
        connection = PeerConnection(sock, peer, self, self._limits.max_frame, self._output_limits, now)
        self._connections.add(connection)
        connection.events = selectors.EVENT_READ
        self._selector.register(sock, connection.events, connection)
        self._watch(connection)

    def mark_dirty(self, connection: PeerConnection) -> None:
        self._dirty.add(connection)

    def _turn(self) -> None:
        events = self._selector.select(self._wait_time())
        began = self._clock()
        try:
            with self._store.group_commit():
                self._handover.run_calls()
                self._handle(events)
                self._linger(began)
                self._expire()
                self._service.tick()
        except BatchFailed as exc:
            self._answerer.undo_turn()  # links joined or used by requests whose writes were lost
            self._answerer.take_after_commit()  # pushes of messages that were not stored
            if self._store.lacks_room(exc):
                self._lost.answer_storage_full(self._space)
            elif self._store.unreachable(exc):
                self._lost.answer_unavailable()
            else:
                log.error("store: the writes of %d connections failed to commit: %s", len(self._touched), exc)
                for connection in self._touched:  # no reply of theirs may claim a write that did not happen
                    self._drop(connection, "its writes were not committed")
        finally:  # even after a bug: the offsets noted in this turn mean nothing in the next
            self._lost.clear()
            self._touched.clear()
        for call in self._answerer.take_after_commit():
            try:
                call()
            except Exception as exc:
                log.error("a push after a commit failed: %s", type(exc).__name__)
                log.debug("details", exc_info=True)
        try:  # outside the batch: committed reads only, and a failed one costs only itself
            self._service.after_commit()
        except Exception as exc:
            log.error("catching up after a commit failed: %s", type(exc).__name__)
            log.debug("details", exc_info=True)
        if self._space.full and self._space.check_due():
            check_space(self._space)
        while self._dirty:
            self._guarded(self._dirty.pop(), self._write)

    def _handle(self, events: list[tuple[selectors.SelectorKey, int]]) -> None:
        """What the selector reported, then every connection with input to handle."""
        for key, mask in events:
            if isinstance(key.data, PeerConnection):
                self._guarded(key.data, self._on_socket, mask)
            else:
                key.data()
        ready, self._ready = self._ready, set()  # who runs out of budget waits for the next turn
        for connection in ready:
            self._guarded(connection, self._serve)

    def _linger(self, began: float) -> None:
        """Wait until ``commit_wait`` after ``began`` for more requests to share this turn's sync.

        A sync costs the same for one write as for fifty (some 65 µs of CPU in the kernel, and a
        few hundred µs of waiting for the disk). Under steady but moderate traffic each turn would
        hold one send and pay a sync of its own; waiting a fraction of a millisecond lets the next
        requests join it, as PostgreSQL's ``commit_delay`` does. It waits only when this turn holds
        a write to sync, has few jobs yet, nothing else is ready, and requests of different
        connections have lately come less than ``LINGER_GAP`` waits apart (and the newest less than
        ``LINGER_QUIET`` after the one before): a lone client, one waiting for its own reply, or the
        first request after a quiet while, is answered at once.

        One sleep, then whatever came meanwhile: the selector's timeout has whole milliseconds only,
        and selecting again on what this turn could not take (a closing peer, a paused one) would spin.
        """
        if (
            self._commit_wait <= 0
            or self._gap > LINGER_GAP * self._commit_wait
            or self._last_gap > LINGER_QUIET * self._commit_wait
            or self._ready
            or not self._store.sync_pending
            or self._store.dependents >= LINGER_FULL
        ):
            return
        left = began + self._commit_wait - self._clock()
        if left > 0:
            self._sleep(left)
        events = self._selector.select(0)
        if events:
            self._handle(events)

    def _arrived(self, connection: PeerConnection) -> None:
        """A request of ``connection`` is about to be handled: the mean gap between different ones."""
        last, at = self._last_request
        if last is connection:
            return
        now = self._clock()
        if last is not None:
            self._last_gap = min(now - at, MAX_WAIT)
            self._gap += GAP_WEIGHT * (self._last_gap - self._gap)
        self._last_request = (connection, now)

    def _guarded(self, connection: PeerConnection, step: Callable[..., None], *args: Any) -> None:
        if connection.closed:
            return
        try:
            step(connection, *args)
        except Exception as exc:  # a bug or a broken socket costs this connection, never the loop
            log.error("%s: dropped after an error: %s", connection.peer, type(exc).__name__)
            log.debug("details", exc_info=True)
            self._drop(connection, None)

    def _wait_time(self) -> float:
        if self._ready or self._handover.waiting or self._service.work_waiting:
            return 0.0
        wait = MAX_WAIT
        for due in (self._deadlines.next_time(), self._service.next_due()):
            if due is not None:
                wait = min(wait, due - self._clock())
        if self._accept_again_at is not None:
            wait = min(wait, self._accept_again_at - self._clock())
        return max(wait, 0.0)

    def _request_stop(self) -> None:
        self._stopping = True

    def _accept(self) -> None:
        assert self._listener is not None
        listener, accept = self._listener
        try:
            accept()
        except OSError as exc:  # out of file descriptors, say: stop asking for a second, keep serving
            log.error("accepting connections failed: %s; trying again in a second", type(exc).__name__)
            self._selector.unregister(listener)
            self._accept_again_at = self._clock() + 1.0

    # ---------------------------------------------------------------- one connection

    def _on_socket(self, connection: PeerConnection, mask: int) -> None:
        if connection.handshaking:
            now = self._clock()
            try:
                done = connection.handshake(now)
            except (ssl.SSLError, OSError) as exc:
                self._drop(connection, f"TLS handshake failed ({type(exc).__name__})")
                return
            if done:
                connection.established = True
                self._established += 1
                log.info("%s: connected", connection.peer)
                self._watch(connection)
                self._ready.add(connection)  # the first request may have come with the handshake
            self._dirty.add(connection)
            return
        if mask & selectors.EVENT_WRITE:
            self._dirty.add(connection)
        if mask & selectors.EVENT_READ:
            self._ready.add(connection)

    def _serve(self, connection: PeerConnection) -> None:
        """Read what arrived and handle the requests in it, within this turn's budgets."""
        if not connection.can_handle():
            return
        self._touched.append(connection)
        self._dirty.add(connection)
        more = connection.read(READ_BUDGET, self._clock()) if connection.needs_data else True
        connection.needs_data = False
        for _ in range(REQUEST_BUDGET):
            if not connection.can_handle():
                return  # what is buffered waits until the client reads, the work finishes, or for ever
            try:
                event = connection.protocol.next_event()
            except RemoteProtocolError as exc:
                log.info("%s: refused a frame: %s", connection.peer, exc.code)
                connection.send(make_error_reply(exc))
                if exc.fatal:
                    connection.end()
                continue
            if event is NEED_DATA:
                connection.needs_data = True
                if more:
                    self._ready.add(connection)
                return
            if isinstance(event, ConnectionClosed):
                connection.end()
                return
            assert isinstance(event, Request)
            self._arrived(connection)
            self._answerer.answer(connection, event)
        self._ready.add(connection)  # the request budget ran out: the rest next turn

    def _answer_again(
        self, connection: PeerConnection, request: Request, settled: Future[Outcome], tries: int
    ) -> None:
        self._touched.append(connection)  # its writes are this turn's: a failed commit must not be claimed
        self._answerer.again(connection, request, settled, tries)

    def _finish_later(self, connection: PeerConnection, request: Request, done: Future[Outcome]) -> None:
        connection.busy = False
        if connection.closed:
            return
        self._touched.append(connection)
        self._answerer.finish(connection, request, done)
        self._ready.add(connection)
        self._dirty.add(connection)

    def _write(self, connection: PeerConnection) -> None:
        out = connection.out  # flushing empties this very buffer
        if out:
            if connection.overflowing:
                self._drop(connection, f"stopped reading with {len(out)} bytes unsent")
                return
            was_paused = connection.paused
            try:
                connection.flush(self._clock())
            except PeerLost as exc:
                self._drop(connection, f"gone while writing ({exc})")
                return
            if was_paused and not connection.paused:
                self._ready.add(connection)  # frames held back while it was not reading
            if connection.stalled_since is not None:
                self._watch(connection)  # output that stopped draining may bring the deadline forward
        if connection.closing and not out:
            self._drop(connection, None)
            return
        wanted = connection.wanted_events()
        if wanted != connection.events:
            if connection.events and wanted:
                self._selector.modify(connection.sock, wanted, connection)
            elif wanted:
                self._selector.register(connection.sock, wanted, connection)
            else:
                self._selector.unregister(connection.sock)
            connection.events = wanted

    def _drop(self, connection: PeerConnection, reason: str | None) -> None:
        if connection.closed:
            return
        if connection.events:
            self._selector.unregister(connection.sock)
            connection.events = 0
        connection.close_socket()
        self._connections.discard(connection)
        self._lost.forget(connection)
        if connection.established:
            self._established -= 1
            self._service.session_ended(connection)
            if reason:
                log.info("%s: %s, closing", connection.peer, reason)
            log.info("%s: disconnected", connection.peer)
        elif reason:
            log.info("%s: %s", connection.peer, reason)

    # ---------------------------------------------------------------- deadlines

    def _watch(self, connection: PeerConnection) -> None:
        """Look at ``connection`` again when its deadline comes (the rules are the connection's own)."""
        self._deadlines.schedule(connection, connection.deadline(self._limits)[0])

    def _expire(self) -> None:
        now = self._clock()
        if self._accept_again_at is not None and now >= self._accept_again_at and self._listener:
            self._accept_again_at = None
            self._selector.register(self._listener[0], selectors.EVENT_READ, self._accept)
        for connection in self._deadlines.due(now):
            if isinstance(connection, HeaderWait):
                self._header_waits.expired(connection)
                continue
            assert isinstance(connection, PeerConnection)
            deadline, reason = connection.deadline(self._limits)
            if deadline > now:
                self._deadlines.schedule(connection, deadline)
            else:
                self._drop(connection, reason)

    def close(self) -> None:
        """Close every connection and the loop's own resources (what :meth:`run` does when it ends)."""
        for connection in list(self._connections):
            if not connection.handshaking and connection.out:
                with contextlib.suppress(PeerLost):
                    connection.flush(self._clock())  # one try, without waiting: stopping is bounded
            self._drop(connection, None)
        self._header_waits.close()
        self._answerer.shutdown()
        self._selector.close()
        self._handover.close()
