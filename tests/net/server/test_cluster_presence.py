"""Presence across two nodes on one store and one Redis, over TLS: what crosses, and catching up."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable

import redis
from conftest import InProcessServer, fresh_phone
from device_support import link_device, registered
from node_pair import Nodes, node_factory, nodes, online, subscribers, wait_until
from wire_client import Person

from net.bench.engines.redis_server import RedisInstance
from net.server.bus import (
    AccountEnded,
    DeviceClaimed,
    account_channel,
    decode_hint,
    device_channel,
    encode_hint,
)
from net.server.cluster_presence import ClusterPresence

__all__ = ["node_factory", "nodes"]  # the fixtures


def presence(node: InProcessServer) -> ClusterPresence:
    held = node.running.service.presence
    assert isinstance(held, ClusterPresence)
    return held


def body(push_body: dict[str, object]) -> bytes:
    value = push_body["body"]
    return value if isinstance(value, bytes) else base64.b64decode(str(value))


def test_a_message_to_a_device_on_the_other_node_is_pushed_at_once(nodes: Nodes, redis_url: str) -> None:
    a, b = nodes
    alice, alice_client = registered(a, fresh_phone())
    bob = Person(fresh_phone())
    bob.register(b.connect(), b.codes)
    bob_client = online(b, bob, redis_url)
    started = time.monotonic()
    sent = alice_client.call("send", to=bob.phone, client_id="m1", body=b"hello from a")
    push = bob_client.wait_push("message", timeout=5)
    assert time.monotonic() - started < 5  # the hint, not the 30 s sweep
    assert push.body["id"] == sent["id"] and body(push.body) == b"hello from a"
    assert push.body["from"] == alice.phone
    assert bob_client.no_push_within(0.5)  # once


def test_a_login_on_one_node_ends_the_same_device_on_the_other(nodes: Nodes, redis_url: str) -> None:
    a, b = nodes
    bob = Person(fresh_phone())
    bob.register(a.connect(), a.codes)
    first = online(a, bob, redis_url)
    second = b.connect()
    bob.login(second)
    assert first.wait_push("session_ended", timeout=5).body == {"reason": "logged_in_elsewhere"}
    assert first.wait_closed(5)
    assert "time" in second.call("ping")
    wait_until(lambda: len(presence(a)) == 0 and len(presence(b)) == 1)


def test_a_re_registration_ends_the_sessions_on_both_nodes(nodes: Nodes, redis_url: str) -> None:
    a, b = nodes
    alice, first = registered(a, fresh_phone())
    device, new = link_device(a, alice, first)
    new.close()
    second = b.connect()
    device.login(second)  # device 2 now on node b, device 1 on node a
    wait_until(lambda: subscribers(redis_url, account_channel(alice.phone, b.running.channel_key)) == 2)
    successor = Person(alice.phone, email=alice.email)
    successor.register(b.connect(), b.codes)
    for client in (first, second):
        assert client.wait_push("session_ended", timeout=5).body == {"reason": "re_registered"}
        assert client.wait_closed(5)


def test_an_unlinked_device_on_the_other_node_is_ended_as_unlinked(nodes: Nodes, redis_url: str) -> None:
    a, b = nodes
    alice, first = registered(a, fresh_phone())
    device, new = link_device(a, alice, first)
    new.close()
    second = b.connect()
    device.login(second)
    wait_until(
        lambda: subscribers(redis_url, device_channel(alice.phone, device.number, b.running.channel_key)) == 1
    )
    assert first.call("unlink_device", device=device.number)["devices"] == [1]
    assert second.wait_push("session_ended", timeout=5).body == {"reason": "unlinked"}
    assert second.wait_closed(5)


def test_typing_crosses_nodes(nodes: Nodes, redis_url: str) -> None:
    a, b = nodes
    _, alice_client = registered(a, fresh_phone())
    bob = Person(fresh_phone())
    bob.register(b.connect(), b.codes)
    bob_client = online(b, bob, redis_url)
    reply = alice_client.call("send", to=bob.phone, client_id="t1", body=b"typing", transient=True)
    assert reply["delivered"] is True  # handed to the bus (PROTOCOL.md, "Several nodes")
    push = bob_client.wait_push("message", timeout=5)
    assert push.body["transient"] is True and body(push.body) == b"typing"


def test_a_redis_restart_mid_traffic_loses_nothing(
    nodes: Nodes, redis_instance: RedisInstance, redis_url: str
) -> None:
    a, b = nodes
    _, alice_client = registered(a, fresh_phone())
    bob = Person(fresh_phone())
    bob.register(b.connect(), b.codes)
    bob_client = online(b, bob, redis_url)
    ids = [alice_client.call("send", to=bob.phone, client_id="before", body=b"0")["id"]]
    redis_instance.kill()
    ids += [
        alice_client.call("send", to=bob.phone, client_id=f"m{n}", body=b"%d" % n)["id"] for n in (1, 2, 3)
    ]
    redis_instance.start_again()
    ids.append(alice_client.call("send", to=bob.phone, client_id="after", body=b"4")["id"])
    pushed = [bob_client.wait_push("message", timeout=20).body["id"] for _ in ids]
    assert sorted(pushed) == sorted(ids)  # every one, each once: the resync read what the hints lost
    assert bob_client.no_push_within(1.0)
    assert [m["id"] for m in bob_client.call("fetch", after=0, limit=10)["messages"]] == ids


def test_the_sweep_pushes_what_a_lost_hint_missed_even_with_redis_down(
    node_factory: Callable[..., Nodes], redis_instance: RedisInstance, redis_url: str
) -> None:
    a, b = node_factory(sweep=0.5)
    _, alice_client = registered(a, fresh_phone())
    bob = Person(fresh_phone())
    bob.register(b.connect(), b.codes)
    bob_client = online(b, bob, redis_url)
    redis_instance.kill()
    sent = alice_client.call("send", to=bob.phone, client_id="lost", body=b"lost hint")
    push = bob_client.wait_push("message", timeout=10)
    assert push.body["id"] == sent["id"]
    assert presence(b).swept >= 1
    assert bob_client.no_push_within(1.5)  # the next sweeps do not push it again


def test_a_message_pushed_by_its_hint_is_not_pushed_again_by_the_sweep(
    node_factory: Callable[..., Nodes], redis_url: str
) -> None:
    a, b = node_factory(sweep=0.3)
    _, alice_client = registered(a, fresh_phone())
    bob = Person(fresh_phone())
    bob.register(b.connect(), b.codes)
    bob_client = online(b, bob, redis_url)
    time.sleep(1.2)  # past the login's settle read
    for n in range(3):
        alice_client.call("send", to=bob.phone, client_id=f"m{n}", body=b"x")
    assert len({bob_client.wait_push("message", timeout=5).body["id"] for _ in range(3)}) == 3
    assert bob_client.no_push_within(1.5)


def test_a_malformed_hint_is_ignored_and_the_node_serves_on(nodes: Nodes, redis_url: str) -> None:
    a, b = nodes
    _, alice_client = registered(a, fresh_phone())
    bob = Person(fresh_phone())
    bob.register(b.connect(), b.codes)
    bob_client = online(b, bob, redis_url)
    stranger = redis.Redis.from_url(redis_url, socket_timeout=2)
    try:
        for payload in (b"\xff", b'{"v": 99}', b'{"v": 1, "hint": "message", "phone": 1}'):
            assert stranger.publish(device_channel(bob.phone, 1, b.running.channel_key), payload) == 1
    finally:
        stranger.close()
    sent = alice_client.call("send", to=bob.phone, client_id="m1", body=b"still here")
    assert bob_client.wait_push("message", timeout=5).body["id"] == sent["id"]
    assert "time" in bob_client.call("ping")


def test_deleting_the_account_ends_its_sessions_on_the_other_node(nodes: Nodes, redis_url: str) -> None:
    a, b = nodes
    alice, first = registered(a, fresh_phone())
    device, new = link_device(a, alice, first)
    new.close()
    second = b.connect()
    device.login(second)
    wait_until(lambda: subscribers(redis_url, account_channel(alice.phone, b.running.channel_key)) == 2)
    assert first.call("delete_account") == {"deleted": True}
    assert second.wait_push("session_ended", timeout=5).body == {"reason": "account_deleted"}
    assert second.wait_closed(5)


def test_the_resync_reads_on_past_a_long_unacknowledged_queue(
    nodes: Nodes, redis_instance: RedisInstance, redis_url: str
) -> None:
    a, b = nodes
    _, alice_client = registered(a, fresh_phone())
    bob = Person(fresh_phone())
    bob.register(b.connect(), b.codes)
    bob_client = online(b, bob, redis_url)
    for n in range(260):  # more than two pages (one is read a second after the login), never acknowledged
        alice_client.call("send", to=bob.phone, client_id=f"old{n}", body=b"x")
    for _ in range(260):
        bob_client.wait_push("message", timeout=10)
    redis_instance.kill()
    missed = {alice_client.call("send", to=bob.phone, client_id=f"m{n}", body=b"y")["id"] for n in range(3)}
    redis_instance.start_again()
    started = time.monotonic()
    assert {bob_client.wait_push("message", timeout=20).body["id"] for _ in range(3)} == missed
    assert time.monotonic() - started < 15  # the resync read on, page after page, not the 30 s sweep


def test_unlinking_a_device_held_here_tells_the_other_nodes_too(nodes: Nodes, redis_url: str) -> None:
    a, b = nodes
    alice, first = registered(a, fresh_phone())
    device, new = link_device(a, alice, first)
    new.close()
    second = a.connect()
    device.login(second)
    listener = redis.Redis.from_url(redis_url, socket_timeout=5)
    pubsub = listener.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
    try:
        pubsub.subscribe(device_channel(alice.phone, device.number, b.running.channel_key))
        wait_until(
            lambda: (
                subscribers(redis_url, device_channel(alice.phone, device.number, b.running.channel_key)) == 2
            )
        )
        assert first.call("unlink_device", device=device.number)["devices"] == [1]
        assert second.wait_push("session_ended", timeout=5).body == {"reason": "unlinked"}
        deadline, heard = time.monotonic() + 5, []
        while time.monotonic() < deadline and not heard:
            message = pubsub.get_message(timeout=0.2)
            if message is not None and message.get("type") == "message":
                heard.append(json.loads(message["data"]))
        assert heard and heard[0]["hint"] == "device_ended" and heard[0]["reason"] == "unlinked"
    finally:
        pubsub.close()
        listener.close()


def test_two_nodes_of_the_same_name_still_hear_each_other(
    node_factory: Callable[..., Nodes], redis_url: str
) -> None:
    a, b = node_factory(names=("same", "same"))
    bob = Person(fresh_phone())
    bob.register(a.connect(), a.codes)
    first = online(a, bob, redis_url)
    second = b.connect()
    bob.login(second)
    assert first.wait_push("session_ended", timeout=5).body == {"reason": "logged_in_elsewhere"}
    assert a.running.node == b.running.node == "same" and a.running.instance != b.running.instance


def test_a_late_claim_of_an_older_login_does_not_end_the_newer_session(nodes: Nodes, redis_url: str) -> None:
    _a, b = nodes
    bob = Person(fresh_phone())
    bob.register(b.connect(), b.codes)
    bob_client = online(b, bob, redis_url)
    stale = DeviceClaimed(bob.phone, 1, "gone-node#0", 1)  # a login long before this one, told late
    listener = redis.Redis.from_url(redis_url, socket_timeout=5)
    pubsub = listener.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
    try:
        pubsub.subscribe(device_channel(bob.phone, 1, b.running.channel_key))
        wait_until(lambda: subscribers(redis_url, device_channel(bob.phone, 1, b.running.channel_key)) == 2)
        listener.publish(device_channel(bob.phone, 1, b.running.channel_key), encode_hint(stale))
        assert bob_client.no_push_within(1.0)  # no session_ended
        assert "time" in bob_client.call("ping")
        heard: list[object] = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any(
            isinstance(h, DeviceClaimed) and h.epoch > 1 for h in heard
        ):
            message = pubsub.get_message(timeout=0.2)
            if message is not None and message.get("type") == "message":
                heard.append(decode_hint(bytes(message["data"])))
        assert any(isinstance(h, DeviceClaimed) and h.epoch > 1 for h in heard)  # its own claim, again
    finally:
        pubsub.close()
        listener.close()


def test_a_late_end_of_the_account_spares_a_login_made_after_it(nodes: Nodes, redis_url: str) -> None:
    _a, b = nodes
    bob = Person(fresh_phone())
    bob.register(b.connect(), b.codes)
    bob_client = online(b, bob, redis_url)
    told = redis.Redis.from_url(redis_url, socket_timeout=5)
    try:  # a re-registration's end from before this login, delivered only now
        assert told.publish(
            account_channel(bob.phone, b.running.channel_key),
            encode_hint(AccountEnded(bob.phone, "re_registered", "x#0", 1)),
        )
    finally:
        told.close()
    assert bob_client.no_push_within(1.0)
    assert "time" in bob_client.call("ping")


def test_no_channel_redis_lists_names_a_phone_number(nodes: Nodes, redis_url: str) -> None:
    a, b = nodes
    bob = Person(fresh_phone())
    bob.register(b.connect(), b.codes)
    online(b, bob, redis_url)
    listed = redis.Redis.from_url(redis_url, socket_timeout=5)
    try:
        channels = [bytes(c).decode() for c in listed.pubsub_channels()]
    finally:
        listed.close()
    assert device_channel(bob.phone, 1, a.running.channel_key) in channels  # the nodes share the key
    assert not any(bob.phone in c or bob.phone.lstrip("+") in c for c in channels)
