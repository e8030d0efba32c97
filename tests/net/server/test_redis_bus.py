"""RedisBus on a real redis-server: publish and subscribe, a full queue, a Redis killed and back, close."""

from __future__ import annotations

import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import redis

from net.bench.engines.redis_server import RedisInstance
from net.server.bus import MessageWaiting, decode_hint, device_channel, encode_hint
from net.server.redis_bus import PING_EVERY, PONG_WAIT, RedisBus

CHANNEL = device_channel("+442079460001", 1)


class Listener:
    """What a node's loop would get from the bus: payloads, and resync calls."""

    def __init__(self) -> None:
        self.payloads: queue.Queue[bytes] = queue.Queue()
        self.resyncs = threading.Event()

    def next(self, timeout: float = 5.0) -> bytes:
        return self.payloads.get(timeout=timeout)


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition never held")
        time.sleep(0.02)


def subscribers(url: str, channel: str) -> int:
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        return int(dict(client.pubsub_numsub(channel))[channel.encode()])
    except redis.ConnectionError:
        return 0
    finally:
        client.close()


@pytest.fixture
def buses(redis_url: str) -> Iterator[Callable[..., tuple[RedisBus, Listener]]]:
    started: list[RedisBus] = []

    def start(node: str, **kwargs: int) -> tuple[RedisBus, Listener]:
        bus, listener = RedisBus(redis_url, node, **kwargs), Listener()
        bus.start(listener.payloads.put, listener.resyncs.set)
        started.append(bus)
        assert bus.connected.wait(10)
        return bus, listener

    yield start
    for bus in started:
        bus.close()


def test_a_hint_published_by_one_node_reaches_the_one_subscribed(
    buses: Callable[..., tuple[RedisBus, Listener]], redis_url: str
) -> None:
    a, _ = buses("a")
    b, heard = buses("b")
    b.subscribe(CHANNEL)
    wait_until(lambda: subscribers(redis_url, CHANNEL) == 1)
    a.publish(CHANNEL, encode_hint(MessageWaiting("+442079460001", 1, 5)))
    assert decode_hint(heard.next()) == MessageWaiting("+442079460001", 1, 5)
    b.unsubscribe(CHANNEL)
    wait_until(lambda: subscribers(redis_url, CHANNEL) == 0)
    a.publish(CHANNEL, b"nobody hears this")
    with pytest.raises(queue.Empty):
        heard.next(timeout=0.5)
    assert a.dropped == 0


def test_a_full_queue_drops_the_hint_and_counts_it(redis_instance: RedisInstance, redis_url: str) -> None:
    bus = RedisBus(redis_url, "slow", queue_size=2)  # not started: nothing takes from its queue
    for n in range(5):
        bus.publish(CHANNEL, str(n).encode())
    assert bus.dropped == 3
    bus.close()


def test_a_killed_redis_is_found_again_and_the_node_asked_to_resync(
    buses: Callable[..., tuple[RedisBus, Listener]], redis_instance: RedisInstance, redis_url: str
) -> None:
    a, _ = buses("a")
    b, heard = buses("b")
    b.subscribe(CHANNEL)
    wait_until(lambda: subscribers(redis_url, CHANNEL) == 1)
    assert not heard.resyncs.is_set()
    redis_instance.kill()
    wait_until(lambda: not b.connected.is_set())
    a.publish(CHANNEL, b"lost with Redis")  # dropped and counted: nobody can take it now
    wait_until(lambda: a.dropped == 1)
    redis_instance.start_again()
    assert heard.resyncs.wait(15), "no resync after Redis came back"
    wait_until(lambda: subscribers(redis_url, CHANNEL) == 1)  # subscribed again by itself
    a.publish(CHANNEL, encode_hint(MessageWaiting("+442079460001", 1, 9)))
    assert decode_hint(heard.next(timeout=10)) == MessageWaiting("+442079460001", 1, 9)


def test_close_is_bounded_even_when_redis_is_gone(redis_instance: RedisInstance, redis_url: str) -> None:
    bus = RedisBus(redis_url, "a")
    listener = Listener()
    bus.start(listener.payloads.put, listener.resyncs.set)
    assert bus.connected.wait(10)
    redis_instance.kill()
    for _ in range(100):
        bus.publish(CHANNEL, b"x")
    started = time.monotonic()
    bus.close()
    assert time.monotonic() - started < 12


def test_a_silently_dead_connection_is_noticed_and_the_node_asked_to_resync(
    buses: Callable[..., tuple[RedisBus, Listener]], redis_instance: RedisInstance, redis_url: str
) -> None:
    b, heard = buses("b")
    b.subscribe(CHANNEL)
    wait_until(lambda: subscribers(redis_url, CHANNEL) == 1)
    pid = redis_instance.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)  # its connections stay open, and nothing answers on them: no error comes
    try:
        wait_until(lambda: not b.connected.is_set(), timeout=PING_EVERY + PONG_WAIT + 5)
    finally:
        os.kill(pid, signal.SIGCONT)
    assert heard.resyncs.wait(20), "no resync after the silent connection was found dead"
    wait_until(lambda: b.connected.is_set() and subscribers(redis_url, CHANNEL) >= 1)
