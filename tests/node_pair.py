"""Two server nodes on one store, joined by a real Redis, over real TLS: for the tests of what crosses.

The two in-process nodes share one PostgreSQL database (a fresh one per test) and one data directory (so
one TLS key and one code key, as the nodes of a cluster are given the same).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from conftest import InProcessServer, start_in_process
from wire_client import Person, WireClient

from net.server.bus import device_channel

Nodes = tuple[InProcessServer, InProcessServer]


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition never held")
        time.sleep(0.02)


def subscribers(url: str, channel: str) -> int:
    """How many connections are subscribed to ``channel``, as Redis counts them."""
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        return int(dict(client.pubsub_numsub(channel))[channel.encode()])
    finally:
        client.close()


def online(node: InProcessServer, person: Person, redis_url: str) -> WireClient:
    """``person`` logged in on ``node``, its device's channel subscribed there (so hints reach it)."""
    client = node.connect()
    person.login(client)
    wait_until(lambda: subscribers(redis_url, device_channel(person.phone, 1, node.running.channel_key)) == 1)
    return client


@pytest.fixture
def node_factory(tmp_path: Path, redis_url: str, postgres_url: str) -> Iterator[Callable[..., Nodes]]:
    started: list[InProcessServer] = []

    def start(sweep: float = 30.0, names: tuple[str, str] = ("a", "b")) -> Nodes:
        shared = tmp_path / f"shared-{len(started)}"
        for name in names:
            node = start_in_process(
                shared, store=postgres_url, bus=redis_url, node=name, sweep=sweep, space_reserve=0
            )
            started.append(node)
            assert node.running.bus.connected.wait(10)  # type: ignore[attr-defined]
        return started[-2], started[-1]

    yield start
    for node in started:
        node.stop()


@pytest.fixture
def nodes(node_factory: Callable[..., Nodes]) -> Nodes:
    return node_factory()
