"""Linking a computer on one node through a device logged in on another: the meeting, the relay, the end."""

from __future__ import annotations

import hashlib
import time

from conftest import fresh_phone
from device_support import EXISTING_KEY, NEW_KEY, NewDevice, b64, registered
from node_pair import Nodes, node_factory, nodes, subscribers, wait_until

from net.server.bus import link_channel

__all__ = ["node_factory", "nodes"]  # the fixtures


def channel_of_code(code: str) -> str:
    return link_channel(hashlib.sha256(code.encode("ascii")).digest())


def test_a_link_opened_on_one_node_is_joined_relayed_and_done_from_the_other(
    nodes: Nodes, redis_url: str
) -> None:
    a, b = nodes
    alice, existing = registered(a, fresh_phone())  # device 1 on node a
    new = b.connect()  # the new computer on node b
    code = new.call("link_open", key=NEW_KEY)["code"]
    wait_until(lambda: subscribers(redis_url, channel_of_code(code)) == 1)
    assert b64(existing.call("link_join", code=code, key=EXISTING_KEY)["key"]) == NEW_KEY
    joined = new.wait_push("link_joined", timeout=5)
    assert b64(joined.body["key"]) == EXISTING_KEY and joined.body["phone"] == alice.phone
    # Again by the same device with the same key: the same answer (a lost reply is tried again).
    assert b64(existing.call("link_join", code=code, key=EXISTING_KEY)["key"]) == NEW_KEY
    new.wait_push("link_joined", timeout=5)

    assert existing.call("link_relay", code=code, body=b"sealed by the existing device") == {}
    assert b64(new.wait_push("link_relay", timeout=5).body["body"]) == b"sealed by the existing device"
    assert new.call("link_relay", code=code, body=b"sealed by the new device") == {}
    assert b64(existing.wait_push("link_relay", timeout=5).body["body"]) == b"sealed by the new device"

    device = NewDevice(alice)
    reply = new.call("link_device", **device.link_args(code, new.fingerprint))
    assert reply["phone"] == alice.phone
    device.number = reply["device"]
    assert existing.wait_push("link_done", timeout=5).body == {"device": device.number}
    assert existing.wait_push("devices_changed", timeout=5).body == {"devices": [1, device.number]}
    device.login(new)
    assert existing.refused("link_relay", code=code, body=b"late") == "link_not_found"  # used up
    assert existing.refused("link_join", code=code, key=EXISTING_KEY) == "link_not_found"


def test_a_second_device_cannot_take_a_link_joined_from_another_node(nodes: Nodes, redis_url: str) -> None:
    a, b = nodes
    _, existing = registered(a, fresh_phone())
    _, stranger = registered(a, fresh_phone())
    new = b.connect()
    code = new.call("link_open", key=NEW_KEY)["code"]
    wait_until(lambda: subscribers(redis_url, channel_of_code(code)) == 1)
    existing.call("link_join", code=code, key=EXISTING_KEY)
    assert stranger.refused("link_join", code=code, key=EXISTING_KEY) == "link_not_found"
    assert stranger.refused("link_relay", code=code, body=b"x") == "link_not_found"


def test_a_code_no_node_holds_is_not_found_after_a_bounded_wait(nodes: Nodes) -> None:
    a, _ = nodes
    _, existing = registered(a, fresh_phone())
    started = time.monotonic()
    assert existing.refused("link_join", code="ABCDEFGHIJKLMNOP", key=EXISTING_KEY) == "link_not_found"
    assert time.monotonic() - started < 8
