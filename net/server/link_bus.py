"""Links whose two computers are on different nodes: the meeting and the relay go through the bus.

A link lives where it was opened: the opener's node keeps it in memory, as on one node, and while it
is open subscribes to its channel (``parley:link:<the code's SHA-256>``). A ``link_join`` on another
node that finds no such link at home asks that channel (:class:`~net.server.bus.LinkJoin`) and waits,
off the loop, at most ``wait`` seconds for the opener's node's answer on its own node channel: the
opener's handshake key, or not found (a code nobody holds anywhere is answered ``link_not_found`` when
the wait ends, which also slows down guessing). The opener's node notes the joiner as a proxy of its
device (:class:`~net.server.cluster_presence.RemoteDevice`), so what it sends the joiner (a relay body,
``link_done``) is a push to that device through the bus. The joiner's ``link_relay`` goes to the link's
channel (:class:`~net.server.bus.LinkRelay`), and the opener's node pushes it to the opener.

What stays per node: the link itself, the opener's connection, the rate counts (in the store, shared).
A link goes when its opener's connection closes or it expires, as on one node; a joiner on another
node that goes away is not seen by the opener's node, whose relays then reach nobody until the link
dies (10 minutes at most), which costs nothing but a publish.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time

from net.protocol.devices import LINK_LIFETIME
from net.protocol.errors import ErrorCode, RequestRefused
from net.server.bus import LinkAnswer, LinkJoin, LinkRelay, link_channel
from net.server.cluster_presence import ClusterPresence, RemoteDevice
from net.server.links import Links
from net.server.outcome import Outcome
from net.server.presence import Session

ASK_WAIT = 3.0  # seconds a link_join waits for the node that holds the code


def _not_found() -> RequestRefused:
    return RequestRefused(
        ErrorCode.LINK_NOT_FOUND, "no such link: the code is wrong, expired, used, or its computer went away"
    )


class _Question:
    def __init__(self) -> None:
        self.answered = threading.Event()
        self.key: bytes | None = None


class LinkBus:
    """Links across nodes, for :class:`~net.server.links.Links` (its ``cluster``)."""

    def __init__(self, presence: ClusterPresence, links: Links, wait: float = ASK_WAIT) -> None:
        self._presence = presence
        self._links = links
        self._wait = wait
        self._asked: dict[str, _Question] = {}
        self._lock = threading.Lock()  # _asked is filled by a worker thread and answered on the loop's
        # Our sessions that joined a link held elsewhere: its digest, and when it dies at the latest.
        self._joined: dict[Session, tuple[bytes, float]] = {}
        links.cluster = self
        presence.links = self

    # ------------------------------------------------------------ the opener's node

    def opened(self, digest: bytes) -> None:
        self._presence.bus.subscribe(link_channel(digest))

    def closed(self, digest: bytes) -> None:
        self._presence.bus.unsubscribe(link_channel(digest))

    def receive(self, hint: LinkJoin | LinkAnswer | LinkRelay) -> None:
        """A link hint, on the loop's thread."""
        if isinstance(hint, LinkAnswer):
            with self._lock:
                question = self._asked.get(hint.ask)
            if question is not None:
                question.key = hint.key if hint.found else None
                question.answered.set()
        elif isinstance(hint, LinkJoin):
            joiner = RemoteDevice(self._presence, hint.phone, hint.device)
            key = self._links.join_from_afar(hint.digest, joiner, hint.key)
            found = key is not None
            self._presence.publish(LinkAnswer(hint.node, hint.ask, found, key or b""))
        else:
            self._links.relay_from_afar(hint.digest, hint.phone, hint.device, hint.body)

    # ------------------------------------------------------------ the joiner's node

    def join(self, session: Session, phone: str, code: str, key: bytes) -> Outcome:
        """A join of a code not held here: ask the other nodes, off the loop."""
        digest = hashlib.sha256(code.encode("ascii")).digest()
        ask = secrets.token_hex(16)
        question = _Question()
        with self._lock:
            self._asked[ask] = question
        self._presence.publish(LinkJoin(digest, phone, session.device, key, self._presence.node, ask))

        def wait() -> Outcome:  # a worker thread
            try:
                answered = question.answered.wait(self._wait)
            finally:
                with self._lock:
                    self._asked.pop(ask, None)
            opener_key = question.key
            if not answered or opener_key is None:
                raise _not_found()

            def joined() -> None:  # on the loop's thread, once the join's counts are committed
                self._joined[session] = (digest, time.monotonic() + LINK_LIFETIME)

            return Outcome({"key": opener_key}, then=joined)

        return Outcome({}, later=wait)

    def relay(self, session: Session, code: str, body: bytes) -> Outcome:
        digest = hashlib.sha256(code.encode("ascii")).digest()
        joined = self._joined.get(session)
        if joined is None or joined[0] != digest or time.monotonic() >= joined[1] or session.phone is None:
            raise _not_found()
        hint = LinkRelay(digest, session.phone, session.device, body, self._presence.node)
        return Outcome({}, then=lambda: self._presence.publish(hint))

    def forget(self, session: Session) -> None:
        self._joined.pop(session, None)

    def done(self, session: Session) -> None:
        """``link_done`` reached ``session`` from the opener's node: its link is used up."""
        self._joined.pop(session, None)
