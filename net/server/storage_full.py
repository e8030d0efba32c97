"""The server loop on a full disk or an unreachable database: which requests wait for room, and answering
those a failed commit lost.

Two parts, both used by :class:`~net.server.loop.ServerLoop`:

- :func:`waits_for_room`: while the store is full, the requests that only add
  data (a stored ``send`` or ``send_many``, ``register_start``, ``register_finish``,
  ``upload_prekeys``, ``set_registration_lock``, ``blob_start``, ``blob_put``,
  ``link_device``, ``set_login_key``, ``set_device_name``) are refused with
  ``storage_full`` before they write anything. Everything else — login, fetch, ack,
  get_bundle, pings, reading and deleting blobs, ``list_devices``, ``unlink_device``
  (it frees room), the link handshake (``link_open``, ``link_join``, ``link_relay``:
  memory only) — goes on.
- :class:`LostWrites`: a turn's replies are in the connections' buffers before
  the turn commits. The loop notes, for each request that wrote (or read what
  the turn had not committed yet), where its reply lies in its connection's
  buffer. If the commit then fails for lack of room, exactly those replies are
  replaced by ``storage_full`` error replies in place; pushes and the other
  replies around them stay as they are, and the connections stay open. A commit
  that failed because the database is out of reach (a PostgreSQL server
  restarting, say: :meth:`~storage.server.interface.ServerStore.unreachable`) is
  answered the same way with ``storage_unavailable``: nothing of those requests
  was kept, and the same requests may come again in a moment.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from net.protocol.connection import ErrorReply, Request
from net.protocol.errors import ErrorCode
from net.protocol.schema import OPERATIONS
from net.server.peer_connection import PeerConnection
from storage.server.interface import Space

log = logging.getLogger("parley.server")

STORAGE_FULL_MESSAGE = "the server is out of storage: nothing was stored; try again later"
STORAGE_UNAVAILABLE_MESSAGE = (
    "the server cannot reach its database just now; nothing of this request was kept; try again in a moment"
)
_ADD_DATA = frozenset(
    {
        "register_start",
        "register_finish",
        "upload_prekeys",
        "set_registration_lock",
        "blob_start",
        "blob_put",
        "link_device",
        "set_login_key",
        "set_device_name",
    }
)


def waits_for_room(request: Request, *, logged_in: bool) -> bool:
    """Whether ``request`` is refused while the store is full (it would only add data).

    One that needs a login it does not have is not: ``not_logged_in`` says more.
    """
    if OPERATIONS[request.op].needs_login and not logged_in:
        return False
    if request.op in ("send", "send_many"):
        return not request.args["transient"]
    return request.op in _ADD_DATA


def storage_full_reply(request_id: int) -> ErrorReply:
    return ErrorReply(request_id, ErrorCode.STORAGE_FULL, STORAGE_FULL_MESSAGE)


def storage_unavailable_reply(request_id: int) -> ErrorReply:
    return ErrorReply(request_id, ErrorCode.STORAGE_UNAVAILABLE, STORAGE_UNAVAILABLE_MESSAGE)


OUTAGE_LOG_EVERY = 10.0
#: How a lost write is answered: for lack of room, or for a database out of reach.
LostReply = Callable[[int], ErrorReply]


def check_space(space: Space) -> None:
    """Ask the guard whether there is room again (the loop does, about once a second while full)."""
    try:
        space.check()
    except Exception as exc:  # looking at the free room must never stop the serving
        log.error("store: checking the free room failed: %s", type(exc).__name__)
        log.debug("details", exc_info=True)


class LostWrites:
    """The requests of one turn whose answers depend on its commit (see the module doc)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        #: Requests answered storage_unavailable since the outage was last logged, and when to log again.
        self._unavailable = 0
        self._next_outage_log = 0.0
        # (connection, request id, where its reply starts and ends in the buffer, whether it runs elsewhere)
        self._noted: list[tuple[PeerConnection, int, int, int, bool]] = []
        #: Requests whose work ran off the loop and whose write was lost: the answer they get when done.
        self._later: dict[tuple[PeerConnection, int], LostReply] = {}

    def note(self, connection: PeerConnection, request: Request, start: int, *, later: bool) -> None:
        """``request`` wrote in this turn; its reply (if any yet) is ``connection.out[start:]``."""
        self._noted.append((connection, request.id, start, len(connection.out), later))

    def clear(self) -> None:
        """The turn committed: every noted reply stands."""
        self._noted.clear()

    def answer_storage_full(self, space: Space) -> int:
        """The turn's commit failed for lack of room: the store is full; replace each noted reply."""
        was_full = space.full
        space.met_full("a commit failed for lack of room")
        answered = self._replace_noted(storage_full_reply)
        # The full state is logged once when it begins; a later failed commit only for debugging.
        (log.debug if was_full else log.warning)(
            "store: a commit failed for lack of room; %d requests answered storage_full", answered
        )
        return answered

    def answer_unavailable(self) -> int:
        """The turn's commit failed because the database is out of reach: replace each noted reply."""
        answered = self._replace_noted(storage_unavailable_reply)
        self.met_unavailable(answered)
        return answered

    def met_unavailable(self, refused: int = 1) -> None:
        """``refused`` requests were answered storage_unavailable; logged at most every OUTAGE_LOG_EVERY s,
        so that an outage under many clients is a few lines, not one per request."""
        self._unavailable += refused
        now = self._clock()
        if now >= self._next_outage_log:
            log.warning(
                "store: the database is out of reach; %d requests answered storage_unavailable "
                "(said again every %.0f s while it lasts)",
                self._unavailable,
                OUTAGE_LOG_EVERY,
            )
            self._unavailable = 0
            self._next_outage_log = now + OUTAGE_LOG_EVERY

    def _replace_noted(self, reply: LostReply) -> int:
        by_connection: dict[PeerConnection, list[tuple[int, int, int, bool]]] = {}
        for connection, request_id, start, end, later in self._noted:
            by_connection.setdefault(connection, []).append((request_id, start, end, later))
        self._noted.clear()
        answered = 0
        for connection, noted in by_connection.items():
            if connection.closed:
                continue
            # Nothing was written to the socket since the turn began, so every offset still holds.
            out = connection.out
            rebuilt = bytearray()
            done = 0
            for request_id, start, end, later in noted:
                rebuilt += out[done:start]
                done = end
                if later:  # its reply is not made yet: it becomes this error when its work is done
                    self._later[(connection, request_id)] = reply
                else:
                    rebuilt += connection.protocol.send(reply(request_id))
                answered += 1
            rebuilt += out[done:]
            connection.out = rebuilt
        return answered

    def lost_later(self, connection: PeerConnection, request_id: int) -> ErrorReply | None:
        """The answer for this request, whose work ran off the loop, if its write was lost (asked once)."""
        if not self._later:
            return None
        reply = self._later.pop((connection, request_id), None)
        return None if reply is None else reply(request_id)

    def forget(self, connection: PeerConnection) -> None:
        """``connection`` is gone."""
        if self._later:
            self._later = {key: reply for key, reply in self._later.items() if key[0] is not connection}
