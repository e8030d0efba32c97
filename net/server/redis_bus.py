"""The bus on Redis pub/sub: a publisher thread, a subscriber thread, and nothing that makes the loop wait.

``publish`` puts the payload in a bounded queue and returns; the publisher thread sends it. A full queue
(Redis slow or gone) drops the hint and counts it: the store is the truth, and the nodes' sweep reads
what a lost hint would have told. The subscriber thread holds one pub/sub connection subscribed to the
channels the node wants; when that connection drops it tries again with a growing pause (0.1 s to 5 s),
subscribes again to everything, and then calls ``resync``: hints published while it was away are gone,
so the node re-reads the queues of the devices it holds. A connection that died silently (Redis stopped,
a network that drops packets without a reset) is noticed too: the subscriber pings every ``PING_EVERY``
seconds and takes a pong that does not come within ``PONG_WAIT`` as a lost connection; both connections
use TCP keepalive, and the publisher's checks itself before a command after ``HEALTH_EVERY`` idle seconds.
``close()`` ends both threads within a few seconds whatever Redis does.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable

import redis

from net.server.bus import node_channel

log = logging.getLogger("parley.server")

QUEUE_SIZE = 10_000  # hints waiting for the publisher; past it they are dropped (and counted)
POLL = 0.2  # seconds the subscriber waits for a message before it looks at its subscriptions again
FIRST_PAUSE, LAST_PAUSE = 0.1, 5.0  # the reconnect's pause grows from one to the other
TIMEOUT = 5.0  # connect and socket timeout of every Redis call
CLOSE_WAIT = 5.0  # how long close() waits for each thread
PING_EVERY = 2.0  # seconds between two pings of the subscriber's connection
PONG_WAIT = 3.0  # seconds a ping's pong may take before the connection counts as lost
HEALTH_EVERY = 10  # idle seconds after which the publisher's connection is checked before a command
_PING = "parley-alive"


class NoPong(redis.ConnectionError):
    """The subscriber's ping had no answer in time: the connection is dead even if no error said so."""


class RedisBus:
    """:class:`~net.server.bus.Bus` on Redis (``redis://HOST:PORT/DB``); ``node`` names this node's own
    channel, to which it is always subscribed so that a lost connection is noticed even holding nothing."""

    def __init__(self, url: str, node: str, *, queue_size: int = QUEUE_SIZE) -> None:
        self._url = url
        self._node_channel = node_channel(node)
        self._outgoing: queue.Queue[tuple[str, bytes] | None] = queue.Queue(queue_size)
        self._wanted: set[str] = {self._node_channel}
        self._changed = threading.Event()  # the subscriber has subscriptions to bring in line
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._dropped = 0
        self._threads: list[threading.Thread] = []
        self.connected = threading.Event()  # the subscriber is connected and subscribed (for tests, logs)

    def _client(self) -> redis.Redis:
        return redis.Redis.from_url(
            self._url,
            socket_timeout=TIMEOUT,
            socket_connect_timeout=TIMEOUT,
            socket_keepalive=True,
            health_check_interval=HEALTH_EVERY,
        )

    # ------------------------------------------------------------------ from the loop

    def start(self, deliver: Callable[[bytes], None], resync: Callable[[], None]) -> None:
        self._threads = [
            threading.Thread(target=self._publish_all, name="bus-publisher", daemon=True),
            threading.Thread(
                target=self._subscribe_all, args=(deliver, resync), name="bus-subscriber", daemon=True
            ),
        ]
        for thread in self._threads:
            thread.start()

    def publish(self, channel: str, payload: bytes) -> None:
        try:
            self._outgoing.put_nowait((channel, payload))
        except queue.Full:
            with self._lock:
                self._dropped += 1

    def subscribe(self, channel: str) -> None:
        with self._lock:
            self._wanted.add(channel)
        self._changed.set()

    def unsubscribe(self, channel: str) -> None:
        with self._lock:
            self._wanted.discard(channel)
        self._changed.set()

    @property
    def dropped(self) -> int:
        with self._lock:
            return self._dropped

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(queue.Full):  # the publisher looks at the stop mark between sends too
            self._outgoing.put_nowait(None)
        for thread in self._threads:
            thread.join(CLOSE_WAIT)

    # ------------------------------------------------------------------ the publisher thread

    def _publish_all(self) -> None:
        client = self._client()
        pause = FIRST_PAUSE
        try:
            while not self._stop.is_set():
                try:
                    item = self._outgoing.get(timeout=POLL)
                except queue.Empty:
                    continue
                if item is None:
                    return
                try:
                    client.publish(*item)
                    pause = FIRST_PAUSE
                except redis.RedisError as exc:
                    with self._lock:
                        self._dropped += 1  # the sweep reads what it would have told
                    log.warning("bus: a hint was not published (%s)", type(exc).__name__)
                    self._stop.wait(pause)
                    pause = min(pause * 2, LAST_PAUSE)
        finally:
            client.close()

    # ------------------------------------------------------------------ the subscriber thread

    def _subscribe_all(self, deliver: Callable[[bytes], None], resync: Callable[[], None]) -> None:
        pause, first = FIRST_PAUSE, True
        while not self._stop.is_set():
            client = self._client()
            pubsub = client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
            try:
                held = self._bring_in_line(pubsub, set())
                self.connected.set()
                if not first:
                    log.info("bus: connected again; reading the queues of the devices held here")
                    resync()
                first, pause = False, FIRST_PAUSE
                pinged_at: float | None = None  # the ping waiting for its pong
                next_ping = time.monotonic() + PING_EVERY
                while not self._stop.is_set():
                    if self._changed.is_set():
                        held = self._bring_in_line(pubsub, held)
                    now = time.monotonic()
                    if pinged_at is not None and now - pinged_at > PONG_WAIT:
                        raise NoPong(f"no pong within {PONG_WAIT:.0f} s")
                    if pinged_at is None and now >= next_ping:
                        pubsub.ping(_PING)
                        pinged_at, next_ping = now, now + PING_EVERY
                    message = pubsub.get_message(timeout=POLL)
                    if message is None:
                        continue
                    if message.get("type") == "pong":
                        pinged_at = None
                    elif message.get("type") == "message":
                        deliver(bytes(message["data"]))
            except (redis.RedisError, OSError) as exc:
                self.connected.clear()
                if first:
                    log.warning("bus: cannot reach Redis (%s); trying again", type(exc).__name__)
                else:
                    log.warning("bus: lost Redis (%s); trying again", type(exc).__name__)
                first = False  # whatever happens next is a reconnect: hints may have been missed
                self._stop.wait(pause)
                pause = min(pause * 2, LAST_PAUSE)
            finally:
                try:
                    pubsub.close()
                    client.close()
                except (redis.RedisError, OSError):
                    pass

    def _bring_in_line(self, pubsub: redis.client.PubSub, held: set[str]) -> set[str]:
        self._changed.clear()
        with self._lock:
            wanted = set(self._wanted)
        if wanted - held:
            pubsub.subscribe(*sorted(wanted - held))
        if held - wanted:
            pubsub.unsubscribe(*sorted(held - wanted))  # type: ignore[no-untyped-call]
        return wanted
