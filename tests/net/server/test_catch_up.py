"""A node's catch-up reads on two nodes, one PostgreSQL and one Redis, over TLS: a login's mark, reads after
the commit, a byte budget and slow readers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from conftest import InProcessServer, fresh_phone
from device_support import link_device, registered
from node_pair import Nodes, node_factory, nodes, online, subscribers, wait_until
from wire_client import Person

from net.bench.engines.redis_server import RedisInstance
from net.server.bus import device_channel
from net.server.cluster_presence import ClusterPresence

__all__ = ["node_factory", "nodes"]  # the fixtures


def presence(node: InProcessServer) -> ClusterPresence:
    held = node.running.service.presence
    assert isinstance(held, ClusterPresence)
    return held


def test_a_login_is_not_pushed_the_queue_its_client_fetches_itself(nodes: Nodes, redis_url: str) -> None:
    a, b = nodes
    _, alice_client = registered(a, fresh_phone())
    bob = Person(fresh_phone())
    bob.register(b.connect(), b.codes)
    waiting = [alice_client.call("send", to=bob.phone, client_id=f"w{n}", body=b"x")["id"] for n in range(5)]
    bob_client = online(b, bob, redis_url)
    assert bob_client.no_push_within(2.0)  # past the login's settle read: its mark was the newest id
    assert [m["id"] for m in bob_client.call("fetch", after=0, limit=10)["messages"]] == waiting
    sent = alice_client.call("send", to=bob.phone, client_id="new", body=b"y")
    assert bob_client.wait_push("message", timeout=5).body["id"] == sent["id"]  # what comes later is pushed


def test_catch_up_reads_only_outside_the_turns_batch(
    node_factory: Callable[..., Nodes], redis_instance: RedisInstance, redis_url: str
) -> None:
    a, b = node_factory(sweep=0.3)
    store: Any = b.running.store
    in_batch: list[bool] = []
    for name in ("fetch", "messages", "newest_id"):
        real = getattr(store, name)

        def noting(*args: Any, _real: Any = real, **kwargs: Any) -> Any:
            in_batch.append(store._writer._batch_thread == threading.get_ident())
            return _real(*args, **kwargs)

        setattr(store, name, noting)
    _, alice_client = registered(a, fresh_phone())
    bob = Person(fresh_phone())
    bob.register(b.connect(), b.codes)
    bob_client = online(b, bob, redis_url)
    hinted = alice_client.call("send", to=bob.phone, client_id="hinted", body=b"h")
    assert bob_client.wait_push("message", timeout=5).body["id"] == hinted["id"]
    redis_instance.kill()
    swept = alice_client.call("send", to=bob.phone, client_id="swept", body=b"s")
    assert bob_client.wait_push("message", timeout=10).body["id"] == swept["id"]  # the sweep's read
    wait_until(lambda: presence(b).swept >= 1)
    assert in_batch and not any(in_batch), in_batch  # the hint's read, the login's mark, the sweep's


def test_the_sweep_ends_an_unlinked_device_whose_hint_was_lost(
    node_factory: Callable[..., Nodes], redis_instance: RedisInstance, redis_url: str
) -> None:
    a, b = node_factory(sweep=0.5)
    alice, first = registered(a, fresh_phone())
    device, new = link_device(a, alice, first)
    new.close()
    second = b.connect()
    device.login(second)
    wait_until(
        lambda: subscribers(redis_url, device_channel(alice.phone, device.number, b.running.channel_key)) == 1
    )
    redis_instance.kill()  # the unlink's hint is lost with it
    assert first.call("unlink_device", device=device.number)["devices"] == [1]
    assert second.wait_push("session_ended", timeout=10).body == {"reason": "unlinked"}
    assert second.wait_closed(5)


def test_an_unlinked_device_whose_hint_was_lost_cannot_delete_the_account(
    nodes: Nodes, redis_instance: RedisInstance, redis_url: str
) -> None:
    a, b = nodes  # the sweep every 30 s: the store is read by the request itself
    alice, first = registered(a, fresh_phone())
    device, new = link_device(a, alice, first)
    new.close()
    stolen = b.connect()
    device.login(stolen)
    wait_until(
        lambda: subscribers(redis_url, device_channel(alice.phone, device.number, b.running.channel_key)) == 1
    )
    redis_instance.kill()  # the unlink's hint is lost with it
    assert first.call("unlink_device", device=device.number)["devices"] == [1]
    assert stolen.refused("delete_account") == "not_logged_in"
    assert stolen.wait_push("session_ended", timeout=5).body == {"reason": "unlinked"}
    assert b.running.store.account(alice.phone) is not None  # the account stays


def test_a_catch_up_of_large_messages_never_overflows_a_slow_readers_output(
    nodes: Nodes, redis_instance: RedisInstance, redis_url: str
) -> None:
    a, b = nodes
    _, alice_client = registered(a, fresh_phone())
    bob = Person(fresh_phone())
    bob.register(b.connect(), b.codes)
    bob_client = online(b, bob, redis_url)  # it reads nothing until it waits for the pushes below
    redis_instance.kill()  # the hints are lost: the resync pushes them all from the store
    big = b"L" * 500_000
    missed = {alice_client.call("send", to=bob.phone, client_id=f"big{n}", body=big)["id"] for n in range(12)}
    redis_instance.start_again()
    assert b.running.bus.connected.wait(15)  # type: ignore[attr-defined]
    time.sleep(
        2.0
    )  # the resync's pushes wait while the client reads nothing (6 MB: past the 4 MiB close mark)
    pushed = {bob_client.wait_push("message", timeout=20).body["id"] for _ in range(12)}
    assert pushed == missed
    assert "time" in bob_client.call("ping")  # still connected
