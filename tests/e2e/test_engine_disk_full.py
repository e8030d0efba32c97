"""End to end: the profile's disk fills up and frees again; nothing is lost, nothing is shown twice.

The disk is a real small tmpfs where the machine allows mounting one, else
SQLite's page cap on the profile's connection (tests/disk_support.py). The
server is a real one over TLS on loopback.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from disk_support import SmallDisk, profile_connection
from engine_support import Person, run_until

from net.client.core.engine_error import EngineError
from net.client.core.events import ConnectionState, DiskSpaceChanged, ErrorReported, LoggedIn


@pytest.fixture(params=["tmpfs", "page_cap"])
def disk(request, tmp_path: Path):  # type: ignore[no-untyped-def]
    with SmallDisk(tmp_path / "disk", tmpfs=request.param == "tmpfs") as small:
        yield small


#: Bounds the attempts to fill the last free pages of a profile.
MAX_FILLING_SENDS = 500


def _person(root: Path, name: str, server, phone) -> Person:  # type: ignore[no-untyped-def]
    person = Person(root, name)
    person.register(server.address, phone())
    return person


def _space_events(person: Person) -> list[bool]:
    return [e.full for e in person.of(DiskSpaceChanged)]


def test_a_text_typed_on_a_full_disk_is_refused_as_disk_full_and_the_next_one_goes(
    tmp_path, server_factory, phone, disk
) -> None:
    server = server_factory(dev_codes=True)
    alice = _person(disk.root, "alice", server, phone)
    bob = _person(tmp_path, "bob", server, phone)
    alice.knows(bob.phone)
    bob.knows(alice.phone)
    try:
        alice.engine.add_contact(bob.phone, "Bob")
        disk.fill(profile_connection(alice))
        sent: list[str] = []
        with pytest.raises(EngineError) as caught:
            for n in range(MAX_FILLING_SENDS):  # the last free pages fill up first
                sent.append(alice.engine.send_text(bob.phone, f"filling {n} " + "x" * 2000).text)
        assert caught.value.code == "disk_full"
        assert "disk is full" in caught.value.message and "nothing is lost" in caught.value.message
        assert "database" not in caught.value.message  # SQLite's own words stay inside
        assert _space_events(alice) == [True]
        history = alice.engine.history(bob.phone, limit=1000)  # reading still works
        assert [m.text for m in reversed(history)] == sent  # the refused text was not half stored

        disk.free(profile_connection(alice))
        after = alice.engine.send_text(bob.phone, "after the space came back")
        assert _space_events(alice) == [True, False]
        run_until(lambda: bob.texts_from(alice.phone) == [*sent, after.text], [alice, bob], timeout=60)
    finally:
        alice.close()
        bob.close()


def test_pushed_texts_that_do_not_fit_are_kept_and_stored_once_space_returns_without_a_reconnect(
    tmp_path, server_factory, phone, disk
) -> None:
    server = server_factory(dev_codes=True)
    alice = _person(tmp_path, "alice", server, phone)
    bob = _person(disk.root, "bob", server, phone)
    alice.knows(bob.phone)
    bob.knows(alice.phone)
    try:
        alice.engine.add_contact(bob.phone, "Bob")
        first = alice.engine.send_text(bob.phone, "hello")
        run_until(lambda: "delivered" in alice.statuses(first.message_id), [alice, bob])
        logins = len(bob.of(LoggedIn))
        disk.fill(profile_connection(bob))
        texts = [f"text {n} " + "y" * 3000 for n in range(30)]
        sent = [alice.engine.send_text(bob.phone, text) for text in texts]
        run_until(lambda: all("sent" in alice.statuses(m.message_id) for m in sent), [alice, bob])
        run_until(lambda: _space_events(bob) == [True], [alice, bob])
        for _ in range(20):  # a while on a full disk: kept, retried, never acknowledged
            bob.engine.poll(0.05)
        stored = bob.texts_from(alice.phone)
        assert stored == ["hello", *texts[: len(stored) - 1]] and len(stored) < 1 + len(texts)
        assert server.running.store.queued_count(bob.phone) >= len(texts) - (len(stored) - 1)
        assert not [e for e in bob.of(ErrorReported) if e.code not in ("disk_full",)]

        disk.free(profile_connection(bob))
        run_until(lambda: bob.texts_from(alice.phone) == ["hello", *texts], [alice, bob], timeout=60)
        run_until(lambda: server.running.store.queued_count(bob.phone) == 0, [alice, bob])
        run_until(lambda: all("delivered" in alice.statuses(m.message_id) for m in sent), [alice, bob])
        assert _space_events(bob) == [True, False]
        assert len(bob.of(LoggedIn)) == logins  # no reconnect was needed
        assert bob.connection_state is ConnectionState.CONNECTED
        assert [m.text for m in reversed(bob.engine.history(alice.phone, limit=100))] == ["hello", *texts]
    finally:
        alice.close()
        bob.close()


def test_fetched_texts_that_do_not_fit_after_a_login_are_kept_and_stored_later(
    tmp_path, server_factory, phone, disk
) -> None:
    server = server_factory(dev_codes=True)
    alice = _person(tmp_path, "alice", server, phone)
    bob = _person(disk.root, "bob", server, phone)
    alice.knows(bob.phone)
    bob.knows(alice.phone)
    try:
        alice.engine.add_contact(bob.phone, "Bob")
        first = alice.engine.send_text(bob.phone, "hello")
        run_until(lambda: "delivered" in alice.statuses(first.message_id), [alice, bob])
        bob.engine.logout()
        texts = [f"while away {n} " + "z" * 3000 for n in range(30)]
        sent = [alice.engine.send_text(bob.phone, text) for text in texts]
        run_until(lambda: all("sent" in alice.statuses(m.message_id) for m in sent), [alice])
        disk.fill(profile_connection(bob))
        bob.engine.connect()  # logs in; the fetched page does not fit
        assert bob.connection_state is ConnectionState.CONNECTED
        assert _space_events(bob) == [True]
        assert server.running.store.queued_count(bob.phone) > 0
        logins = len(bob.of(LoggedIn))

        disk.free(profile_connection(bob))
        run_until(lambda: bob.texts_from(alice.phone) == ["hello", *texts], [alice, bob], timeout=60)
        run_until(lambda: server.running.store.queued_count(bob.phone) == 0, [alice, bob])
        assert len(bob.of(LoggedIn)) == logins
        assert _space_events(bob) == [True, False]
    finally:
        alice.close()
        bob.close()
