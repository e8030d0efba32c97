"""Which requests wait for room, and replacing exactly the replies a commit without room (or without its
database) voided."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from peer_support import connection, decoded

from net.protocol.connection import Reply, Request
from net.server.peer_connection import PeerConnection
from net.server.storage_full import OUTAGE_LOG_EVERY, LostWrites, waits_for_room
from storage.server.space_guard import SpaceGuard

__all__ = ["connection"]  # the fixture, imported so pytest finds it here


def test_only_requests_that_add_data_wait_for_room() -> None:
    assert waits_for_room(Request(1, "send", {"transient": False}), logged_in=True)
    assert not waits_for_room(Request(1, "send", {"transient": True}), logged_in=True)  # never stored
    assert waits_for_room(Request(1, "send_many", {"transient": False}), logged_in=True)
    assert not waits_for_room(Request(1, "send_many", {"transient": True}), logged_in=True)
    for op in ("register_start", "register_finish", "upload_prekeys"):
        assert waits_for_room(Request(1, op, {}), logged_in=True)
    for op in ("hello", "challenge", "login", "ping", "fetch", "ack", "get_bundle", "prekey_count"):
        assert not waits_for_room(Request(1, op, {}), logged_in=True)
    for op in ("set_signed_prekey", "delete_account"):
        assert not waits_for_room(Request(1, op, {}), logged_in=True)


def test_starting_and_putting_blobs_wait_for_room_and_reading_or_deleting_them_does_not() -> None:
    for op in ("blob_start", "blob_put"):
        assert waits_for_room(Request(1, op, {}), logged_in=True)
        assert not waits_for_room(Request(1, op, {}), logged_in=False)  # not_logged_in says more
    for op in ("blob_status", "blob_finish", "blob_get", "blob_delete"):
        assert not waits_for_room(Request(1, op, {}), logged_in=True)


def test_the_device_writes_wait_for_room_and_the_link_handshake_and_unlinking_do_not() -> None:
    for op in ("link_device", "set_login_key", "set_device_name"):
        assert waits_for_room(Request(1, op, {}), logged_in=True)
    for op in ("link_open", "link_join", "link_relay", "list_devices", "unlink_device"):
        assert not waits_for_room(Request(1, op, {}), logged_in=True)


def test_a_request_that_needs_a_login_it_lacks_is_left_to_say_not_logged_in() -> None:
    assert not waits_for_room(Request(1, "send", {"transient": False}), logged_in=False)
    assert not waits_for_room(Request(1, "upload_prekeys", {}), logged_in=False)
    assert waits_for_room(Request(1, "register_start", {}), logged_in=False)  # needs none


def test_noted_replies_become_storage_full_in_place_and_everything_around_them_stays(
    connection: PeerConnection, tmp_path: Path
) -> None:
    lost = LostWrites()
    connection.send(Reply(1, {"unrelated": True}))  # before the turn: untouched
    start = len(connection.out)
    connection.send(Reply(2, {"id": 41, "duplicate": False}))
    lost.note(connection, Request(2, "send", {}), start, later=False)
    connection.push("message", {"id": 7})  # someone else's push in between
    connection.send(Reply(3, {"messages": []}))  # a read that did not depend on the turn
    start = len(connection.out)
    connection.send(Reply(4, {"deleted": 1}))
    lost.note(connection, Request(4, "ack", {}), start, later=False)
    start = len(connection.out)
    lost.note(connection, Request(5, "register_start", {}), start, later=True)  # its reply comes later
    space = SpaceGuard(tmp_path, reserve=0)
    assert lost.answer_storage_full(space) == 3
    assert space.full
    events = decoded(connection.out)
    assert [(type(e).__name__, getattr(e, "re", None), getattr(e, "code", None)) for e in events] == [
        ("Reply", 1, None),
        ("ErrorReply", 2, "storage_full"),
        ("Push", None, None),
        ("Reply", 3, None),
        ("ErrorReply", 4, "storage_full"),
    ]
    assert lost.lost_later(connection, 5) and not lost.lost_later(connection, 5)  # asked once
    assert lost.answer_storage_full(space) == 0  # nothing noted any more


def test_a_committed_turn_keeps_its_replies(connection: PeerConnection) -> None:
    lost = LostWrites()
    connection.send(Reply(1, {"id": 41}))
    lost.note(connection, Request(1, "send", {}), 0, later=True)
    lost.clear()
    assert [getattr(e, "re", None) for e in decoded(connection.out)] == [1]
    assert not lost.lost_later(connection, 1)


def test_a_closed_connection_is_left_alone_and_forgotten(connection: PeerConnection, tmp_path: Path) -> None:
    lost = LostWrites()
    lost.note(connection, Request(1, "register_start", {}), 0, later=True)
    lost.answer_storage_full(SpaceGuard(tmp_path, reserve=0))
    lost.forget(connection)
    assert not lost.lost_later(connection, 1)
    connection.send(Reply(2, {}))
    lost.note(connection, Request(2, "send", {}), 0, later=False)
    connection.closed = True
    assert lost.answer_storage_full(SpaceGuard(tmp_path, reserve=0)) == 0


def test_a_commit_that_found_the_database_out_of_reach_answers_storage_unavailable_in_place(
    connection: PeerConnection, tmp_path: Path
) -> None:
    lost = LostWrites()
    connection.send(Reply(1, {"unrelated": True}))
    start = len(connection.out)
    connection.send(Reply(2, {"id": 41, "duplicate": False}))
    lost.note(connection, Request(2, "send", {}), start, later=False)
    connection.send(Reply(3, {"time": 1}))  # a ping: it needed no database
    lost.note(connection, Request(4, "register_start", {}), len(connection.out), later=True)
    assert lost.answer_unavailable() == 2
    events = decoded(connection.out)
    assert [(type(e).__name__, getattr(e, "re", None), getattr(e, "code", None)) for e in events] == [
        ("Reply", 1, None),
        ("ErrorReply", 2, "storage_unavailable"),
        ("Reply", 3, None),
    ]
    later = lost.lost_later(connection, 4)  # its work ran off the loop: it gets the same answer when done
    assert later is not None and (later.re, later.code) == (4, "storage_unavailable")
    assert "cannot reach its database" in later.message and lost.lost_later(connection, 4) is None


def test_an_outage_is_logged_once_per_interval_with_its_count(caplog: pytest.LogCaptureFixture) -> None:
    now = [100.0]
    lost = LostWrites(clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="parley.server"):
        lost.met_unavailable()
        for _ in range(50):  # many clients asking during the outage: no line each
            lost.met_unavailable()
        now[0] += OUTAGE_LOG_EVERY
        lost.met_unavailable(2)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert "1 requests answered storage_unavailable" in lines[0]
    assert "52 requests answered storage_unavailable" in lines[1]
