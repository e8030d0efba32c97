"""``send_many`` on a real server over real TLS, with a real SQLite file; its frames written by hand.

Each copy is stored and pushed as a ``send`` would be, idempotent per (sender, client
id, recipient), answered per recipient; the whole request is refused only for its
shape, the ``unknown_account`` limits, or a lack of room (and then nothing of it is
stored); and a server killed with SIGKILL right after the reply keeps every copy.
"""

from __future__ import annotations

import base64
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import InProcessServer, fresh_phone
from server_process import ServerProcess
from wire_client import Person, WireClient

from net.protocol.connection import ErrorReply, Reply
from net.protocol.copy_results import SEND_MANY, SEND_MANY_TRANSIENT
from net.server.limits import Limits

DEADLINE = 30.0


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def joined(server: InProcessServer, count: int) -> list[tuple[Person, WireClient]]:
    """``count`` people registered and logged in, each on a connection of their own."""
    out = []
    for _ in range(count):
        person, client = offline(server), server.connect()
        person.login(client)
        out.append((person, client))
    return out


def offline(server: InProcessServer) -> Person:
    """Someone registered who has not logged in (so the server never had them online)."""
    person, client = Person(fresh_phone()), server.connect()
    person.register(client, server.codes)
    client.close()
    return person


def results(reply: Reply | ErrorReply, *, transient: bool = False) -> list[dict[str, Any]]:
    assert isinstance(reply, Reply), reply
    (SEND_MANY_TRANSIENT if transient else SEND_MANY).parse(reply.body)  # the shape the client checks
    found: list[dict[str, Any]] = reply.body["results"]
    return found


def refused(reply: Reply | ErrorReply) -> tuple[str, str]:
    assert isinstance(reply, ErrorReply), reply
    return reply.code, reply.message


def waiting(server: InProcessServer, person: Person) -> list[dict[str, Any]]:
    client = server.connect()
    person.login(client)
    messages: list[dict[str, Any]] = client.call("fetch")["messages"]
    client.close()
    return messages


def test_each_copy_is_stored_then_pushed_to_who_is_online_as_a_send_is(server: InProcessServer) -> None:
    (alice, a), (bob, b) = joined(server, 2)
    carol = offline(server)
    got = results(a.send_many("m-1", [(bob.phone, b"for bob"), (carol.phone, b"for carol")]))
    assert [(r["to"], r["status"]) for r in got] == [(bob.phone, "stored"), (carol.phone, "stored")]
    assert got[0]["ts"] == got[1]["ts"] and got[0]["id"] < got[1]["id"]
    push = b.wait_push()
    assert push.body == {
        "id": got[0]["id"],
        "from": alice.phone,
        "from_device": 1,
        "body": b64(b"for bob"),
        "ts": got[0]["ts"],
    }
    a.call("send", to=bob.phone, client_id="m-2", body=b"by send")
    assert set(b.wait_push().body) == set(push.body)  # a recipient cannot tell the two apart
    assert waiting(server, carol) == [
        {
            "id": got[1]["id"],
            "from": alice.phone,
            "from_device": 1,
            "body": b64(b"for carol"),
            "ts": got[1]["ts"],
        }
    ]


def test_a_repeat_after_a_reconnect_is_a_duplicate_per_recipient_and_stores_the_rest(
    server: InProcessServer,
) -> None:
    (alice, a), (bob, b) = joined(server, 2)
    carol, dave, eve = offline(server), offline(server), offline(server)
    first = results(a.send_many("m-1", [(bob.phone, b"x"), (carol.phone, b"x")]))
    b.wait_push()
    a.close()
    a = server.connect()  # the reply might have been lost: the client sends the same again
    alice.login(a)
    again = results(a.send_many("m-1", [(bob.phone, b"x"), (carol.phone, b"x"), (dave.phone, b"x")]))
    assert [r["status"] for r in again] == ["duplicate", "duplicate", "stored"]
    assert [(r["id"], r["ts"]) for r in again[:2]] == [(r["id"], r["ts"]) for r in first]
    assert b.no_push_within(0.3)  # no second copy for Bob
    # send and send_many with one client id to one recipient are one message; to another, a new one.
    assert a.call("send", to=carol.phone, client_id="m-1", body=b"x") == {
        "id": first[1]["id"],
        "ts": first[1]["ts"],
        "duplicate": True,
    }
    to_eve = a.call("send", to=eve.phone, client_id="m-1", body=b"x")
    assert not to_eve["duplicate"]
    assert results(a.send_many("m-1", [(eve.phone, b"x")]))[0]["id"] == to_eve["id"]
    assert [len(waiting(server, p)) for p in (carol, dave, eve)] == [1, 1, 1]


def test_an_unknown_or_full_recipient_is_answered_in_its_place_and_the_others_stored(
    server_factory: Callable[..., InProcessServer],
) -> None:
    server = server_factory(limits=Limits(queue_cap=1))
    (_alice, a), (_dave, d), (carol, c) = joined(server, 3)
    bob = offline(server)
    d.call("send", to=bob.phone, client_id="d-1", body=b"first")  # Bob's queue is full now
    nobody = fresh_phone()
    got = results(a.send_many("m-1", [(nobody, b"x"), (bob.phone, b"x"), (carol.phone, b"for carol")]))
    assert got[0] == {"to": nobody, "device": 1, "status": "unknown_account"}
    assert got[1] == {
        "to": bob.phone,
        "device": 1,
        "status": "queue_full",
        "message": "the recipient has 1 messages waiting; nothing was stored, try later",
    }
    assert got[2]["status"] == "stored" and c.wait_push().body["body"] == b64(b"for carol")
    assert [m["body"] for m in waiting(server, bob)] == [b64(b"first")]


def test_each_unknown_recipient_counts_and_past_the_limit_nothing_is_stored(
    server_factory: Callable[..., InProcessServer],
) -> None:
    server = server_factory(limits=Limits(unknown_per_account=3))
    (_alice, a), (carol, c) = joined(server, 2)
    bob = offline(server)
    first = results(a.send_many("m-1", [(fresh_phone(), b"x"), (fresh_phone(), b"x"), (bob.phone, b"x")]))
    assert [r["status"] for r in first] == ["unknown_account", "unknown_account", "stored"]
    # One more unknown answer is allowed; this request has two: refused whole, nothing of it stored.
    reply = a.send_many("m-2", [(carol.phone, b"y"), (fresh_phone(), b"y"), (fresh_phone(), b"y")])
    assert refused(reply) == (
        "rate_limited",
        "too many numbers asked for were not registered; try again later",
    )
    assert c.no_push_within(0.3) and waiting(server, carol) == []
    # The one still allowed was counted: every lookup is refused now, a known recipient's too.
    assert refused(a.send_many("m-3", [(carol.phone, b"z")]))[0] == "rate_limited"
    assert refused(a.request("get_bundle", phone=carol.phone))[0] == "rate_limited"
    assert refused(a.send_many("t-1", [(carol.phone, b"z")], transient=True))[0] == "rate_limited"


def test_the_whole_request_is_refused_for_its_shape_or_the_sending_device(
    server: InProcessServer,
) -> None:
    (alice, a), (bob, _) = joined(server, 2)
    stranger = server.connect()
    assert refused(stranger.send_many("m-1", [(bob.phone, b"x")]))[0] == "not_logged_in"
    assert refused(a.send_many("m-1", [(bob.phone, b"x"), (alice.phone, b"x")])) == (
        "bad_request",
        "send_many.items[1].device: the sending device is not a recipient",
    )
    spaced = bob.phone[:3] + " " + bob.phone[3:]
    assert refused(a.send_many("m-1", [(bob.phone, b"x"), (spaced, b"x")])) == (
        "bad_request",
        "send_many.items[1].to: the same recipient and device as items[0]",
    )
    assert refused(a.send_many("m-1", [(bob.phone, b"x"), ("+1", b"x")]))[0] == "bad_phone"
    hundred_and_one = [(f"+442079461{n:03d}", b"x") for n in range(500)] + [(bob.phone, b"x")]
    assert refused(a.send_many("m-1", hundred_and_one)) == (
        "bad_request",
        "send_many.items: expected 1 to 500 items",
    )
    assert refused(a.send_many("m-1", []))[0] == "bad_request"
    assert refused(a.send_many("bad id", [(bob.phone, b"x")]))[0] == "bad_request"
    assert waiting(server, bob) == []  # none of it was stored


def test_a_body_no_frame_could_deliver_is_refused(server_factory: Callable[..., InProcessServer]) -> None:
    max_frame = 64 * 1024
    server = server_factory(limits=Limits(max_frame=max_frame))
    (_, a), (bob, _), (carol, _) = joined(server, 3)
    # Its request fits the frame, but a fetch reply holding it (317 bytes around the base64) would not.
    too_long = bytes(3 * (max_frame - 300) // 4)
    assert refused(a.send_many("m-1", [(carol.phone, b"x"), (bob.phone, too_long)])) == (
        "bad_request",
        "send_many.items[1].body: too long to be delivered in one frame",
    )
    assert waiting(server, carol) == []


def test_a_transient_send_many_is_pushed_to_who_is_online_and_never_stored(server: InProcessServer) -> None:
    (alice, a), (bob, b) = joined(server, 2)
    carol, nobody = offline(server), fresh_phone()
    reply = a.send_many(
        "t-1", [(bob.phone, b"typing"), (carol.phone, b"typing"), (nobody, b"typing")], transient=True
    )
    assert results(reply, transient=True) == [
        {"to": bob.phone, "device": 1, "status": "delivered"},
        {"to": carol.phone, "device": 1, "status": "not_delivered"},
        {"to": nobody, "device": 1, "status": "unknown_account"},
    ]
    push = b.wait_push()
    assert push.body == {
        "from": alice.phone,
        "from_device": 1,
        "body": b64(b"typing"),
        "ts": push.body["ts"],
        "transient": True,
    }
    again = results(a.send_many("t-1", [(bob.phone, b"typing")], transient=True), transient=True)
    assert again == [
        {"to": bob.phone, "device": 1, "status": "delivered"}
    ]  # transient copies are never duplicates
    assert waiting(server, carol) == [] and waiting(server, bob) == []


@pytest.mark.sqlite_only  # the SQLite file's quota (--max-store-mib)
def test_without_room_no_copy_is_stored_and_with_room_again_all_are(
    server_factory: Callable[..., InProcessServer],
) -> None:
    server = server_factory(max_store_bytes=2 * 1024 * 1024, space_reserve=0)
    space = server.running.store.space
    (_alice, a), (bob, b) = joined(server, 2)
    recipients = [offline(server) for _ in range(5)]
    filled = 0
    while not isinstance(
        a.request("send", to=bob.phone, client_id=f"f-{filled}", body=bytes(64 * 1024)), ErrorReply
    ):
        filled += 1
        assert filled < 100, "the quota never filled"
    ids = [m["id"] for m in b.call("fetch", limit=500)["messages"]]
    assert b.call("ack", ids=ids[:6])["deleted"] == 6  # a few hundred KiB of room inside the file
    ids = ids[6:]
    deadline = time.monotonic() + DEADLINE
    while space.full:  # the server looks at the room about once a second
        assert time.monotonic() < deadline, "the server never left the full state"
        time.sleep(0.1)
    room = server.running.store.quota_room()
    copies = [(p.phone, bytes([n]) * 150_000) for n, p in enumerate(recipients)]
    assert room is not None and 150_000 < room < 750_000  # the room runs out in the middle of the copies
    assert refused(a.send_many("m-1", copies))[0] == "storage_full"
    assert refused(a.send_many("m-1", copies))[0] == "storage_full"  # refused at once while full
    assert all(waiting(server, p) == [] for p in recipients)
    while ids:  # a fetch page is cut to fit one frame: page until Bob has taken every message
        b.call("ack", ids=ids)
        ids = [m["id"] for m in b.call("fetch", limit=500)["messages"]]
    deadline = time.monotonic() + DEADLINE
    while space.full:
        assert time.monotonic() < deadline, "the server never left the full state"
        time.sleep(0.1)
    stored = results(a.send_many("m-1", copies))
    assert [r["status"] for r in stored] == ["stored"] * 5  # nothing of the refused request was kept
    assert [waiting(server, p)[0]["body"] for p in recipients] == [b64(body) for _, body in copies]


@pytest.mark.sqlite_only  # SQLite refusing a write as on a full disk
def test_the_copies_are_in_the_commit_of_the_servers_turn(
    server: InProcessServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    (_, a), (bob, b) = joined(server, 2)
    carol = offline(server)
    store = server.running.store
    acknowledge = store.ack

    def ack_finding_no_room(recipient: str, ids: list[int], device: int = 1) -> int:
        # SQLite refuses the write as on a full disk (SQLITE_FULL): its page cap is the file's size now.
        def fill(db: sqlite3.Connection) -> None:
            db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")
            db.execute(
                "INSERT INTO pending_codes VALUES (?, '+442079460998', 'a@b.org', ?, 0, 0)",
                (b"f" * 32, bytes(65536)),
            )

        store._writer.run(fill)
        return acknowledge(recipient, ids, device)

    monkeypatch.setattr(store, "ack", ack_finding_no_room)
    many_id, many = a.send_many_frame("m-1", [(bob.phone, b"x"), (carol.phone, b"x")])
    ack_id, ack = a.conn.request("ack", ids=[1])
    a.send_raw(many + ack, reply_to=many_id)  # one read, one turn of the loop, one commit
    assert [refused(a.wait_reply(i))[0] for i in (many_id, ack_id)] == ["storage_full", "storage_full"]
    assert b.no_push_within(0.3)  # pushed only after a commit, and there was none
    monkeypatch.undo()
    store._writer.run(lambda db: db.execute("PRAGMA max_page_count = 1073741823"))
    deadline = time.monotonic() + DEADLINE
    while store.space.full:
        assert time.monotonic() < deadline, "the server never left the full state"
        time.sleep(0.1)
    assert waiting(server, carol) == []
    assert [r["status"] for r in results(a.send_many("m-1", [(bob.phone, b"x"), (carol.phone, b"x")]))] == [
        "stored",
        "stored",
    ]


def dev_register(client: WireClient, person: Person) -> None:
    code = person.took(client.call("register_start", phone=person.phone, email=person.email))["code"]
    client.call("register_finish", **person.finish_args(code))


def test_a_server_killed_right_after_the_reply_keeps_every_copy(
    tmp_path: Path, store_target: Callable[[Path], str | None]
) -> None:
    flags: tuple[str, ...] = ("--dev-codes", "--codes-per-address", "1000")
    if (target := store_target(tmp_path / "server")) is not None:
        flags += ("--store", target)
    server = ServerProcess(tmp_path / "server", *flags)
    try:
        alice, members = Person(fresh_phone()), [Person(fresh_phone()) for _ in range(30)]
        for person in (alice, *members):
            client = WireClient(server.address)
            dev_register(client, person)
            client.close()
        a = WireClient(server.address)
        alice.login(a)
        copies = [(p.phone, f"copy for {p.phone}".encode()) for p in members]
        first = results(a.send_many("m-kill", copies))
        server.kill()  # at once: the reply is all the proof there is
        a.close()
        server = ServerProcess(tmp_path / "server", *flags)
        for person, result in zip(members, first, strict=True):
            client = WireClient(server.address)
            assert person.login(client)["queued"] == 1
            (message,) = client.call("fetch")["messages"]
            assert (message["id"], message["from"], message["ts"]) == (
                result["id"],
                alice.phone,
                result["ts"],
            )
            assert message["body"] == b64(f"copy for {person.phone}".encode())
            client.close()
        a = WireClient(server.address)
        alice.login(a)
        again = results(a.send_many("m-kill", copies))
        assert [(r["status"], r["id"]) for r in again] == [("duplicate", r["id"]) for r in first]
        a.close()
    finally:
        server.stop()


def test_whether_the_own_devices_get_a_copy_is_the_senders_choice(
    server: InProcessServer,
) -> None:
    from device_support import link_device, registered

    alice, first = registered(server, fresh_phone())
    _device, second = link_device(server, alice, first)
    _bob, _ = registered(server, fresh_phone())
    bob_phone = _bob.phone

    def many(client_id: str, *items: tuple[str, int]) -> Reply | ErrorReply:
        listed = [{"to": to, "device": device, "body": b"x"} for to, device in items]
        return first.request("send_many", client_id=client_id, items=listed)

    # A receipt, say: nothing for our own other device, and that is allowed.
    no_sync = results(many("m-1", (bob_phone, 1)))
    assert [r["status"] for r in no_sync] == ["stored"]
    alone = first.request("send", to=bob_phone, client_id="m-2", body=b"x")
    assert isinstance(alone, Reply)
    stored = results(many("m-3", (bob_phone, 1), (alice.phone, 2)))
    assert [r["status"] for r in stored] == ["stored", "stored"]
    own_only = first.request("send", to=alice.phone, client_id="m-4", body=b"x", device=2)
    assert isinstance(own_only, Reply)
    assert second.wait_push("message").body["from_device"] == 1
    assert [m["from_device"] for m in waiting(server, _bob)] == [1, 1, 1]
