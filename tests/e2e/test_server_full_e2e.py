"""A server process whose storage fills up while people send: a real full filesystem (a small tmpfs),
and SQLite's own page cap (``--max-store-mib``). Sends get ``storage_full`` on open connections,
others still log in, fetch and acknowledge, and sending resumes by itself once there is room."""

from __future__ import annotations

import base64
import contextlib
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import fresh_phone
from server_process import ServerProcess
from wire_client import Person, WireClient

from net.protocol.connection import ErrorReply, Reply

BODY = 32 * 1024
DEADLINE = 60.0  # seconds any one phase may take, even on a loaded machine


def dev_register(client: WireClient, person: Person) -> None:
    code = person.took(client.call("register_start", phone=person.phone, email=person.email))["code"]
    client.call("register_finish", **person.finish_args(code))


def online(server: ServerProcess, person: Person) -> WireClient:
    client = WireClient(server.address)
    person.login(client)
    return client


def body(n: int) -> bytes:
    return n.to_bytes(4, "big") * (BODY // 4)


def send(client: WireClient, to: str, n: int) -> Reply | ErrorReply:
    return client.request("send", to=to, client_id=f"m-{n:06d}", body=body(n))


def fetch_all(client: WireClient) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    after = 0
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        page = client.call("fetch", after=after, limit=100)
        messages += page["messages"]
        if not page["more"]:
            return messages
        after = page["messages"][-1]["id"]
    raise AssertionError("fetching never ended")


@contextlib.contextmanager
def small_tmpfs(where: Path, size_mib: int) -> Iterator[bool]:
    """A tmpfs of ``size_mib`` at ``where``; yields False when this machine does not let us mount one."""
    where.mkdir()
    try:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_mib}m,mode=0700", "tmpfs", str(where)],
            capture_output=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        yield False
        return
    if mounted.returncode != 0:
        yield False
        return
    try:
        yield True
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, timeout=30)


def fill_until_refused(a: WireClient, to: str, first: int) -> tuple[dict[int, int], int]:
    """Send until the server refuses with storage_full; returns {n: message id} stored and the refused n."""
    stored: dict[int, int] = {}
    n = first
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        reply = send(a, to, n)
        if isinstance(reply, ErrorReply):
            assert reply.code == "storage_full", reply
            return stored, n
        stored[n] = reply.body["id"]
        n += 1
    raise AssertionError(f"the storage never filled up after {len(stored)} sends")


def run_full_disk_scenario(server: ServerProcess, make_room: Callable[[], None]) -> None:
    alice, bob, carol = Person(fresh_phone()), Person(fresh_phone()), Person(fresh_phone())
    setup = WireClient(server.address)
    for person in (alice, bob, carol):
        dev_register(setup, person)
    setup.close()
    a = online(server, alice)
    stored, refused = fill_until_refused(a, bob.phone, 0)
    assert stored, "nothing at all could be stored"
    # Full: later sends are refused too, on the same open connection, which still answers.
    for n in range(refused, refused + 5):
        reply = send(a, bob.phone, n)
        assert isinstance(reply, ErrorReply) and reply.code == "storage_full"
    assert a.call("ping")["time"] > 0
    assert not a.closed_by_server
    # Somebody else logs in while full, fetches what was stored (exactly once) and acknowledges it.
    b = online(server, bob)
    waiting = fetch_all(b)
    assert [m["id"] for m in waiting] == list(stored.values())
    assert [base64.b64decode(m["body"]) for m in waiting] == [body(n) for n in stored]
    assert b.call("ack", ids=[m["id"] for m in waiting])["deleted"] == len(waiting)
    assert fetch_all(b) == []  # the acknowledgement was committed, on the full disk
    c = online(server, carol)  # and a third person can still log in
    assert c.call("fetch")["messages"] == []
    make_room()
    # Room again: the refused message, sent again on the same connection, goes through by itself.
    deadline = time.monotonic() + DEADLINE
    while True:
        reply = send(a, bob.phone, refused)
        if isinstance(reply, Reply):
            break
        assert reply.code == "storage_full", reply
        assert time.monotonic() < deadline, "sending never resumed"
        time.sleep(0.2)
    after = {refused: reply.body["id"]}
    for n in range(refused + 1, refused + 4):
        sent = a.call("send", to=bob.phone, client_id=f"m-{n:06d}", body=body(n))
        assert not sent["duplicate"]
        after[n] = sent["id"]
    assert b.wait_push().body["id"] == after[refused]  # pushes work again too
    assert [m["id"] for m in fetch_all(b)] == list(after.values())  # each new one once, no old one
    assert not a.closed_by_server and not b.closed_by_server
    for client in (a, b, c):
        client.close()
    log = "".join(server.stderr_lines)
    assert len(re.findall(r"storage: full", log)) == 1, log  # once per change of state, not per request
    assert len(re.findall(r"storage: room again", log)) == 1, log


def test_a_full_filesystem_refuses_sends_keeps_fetch_and_ack_and_recovers(tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "disk", 24) as mounted:
        if not mounted:  # not root, or no tmpfs here: SQLite's own page cap fails the same way
            run_quota_scenario(tmp_path / "data")
            return
        disk = tmp_path / "disk"
        data = disk / "data"
        server = ServerProcess(data, "--verification", "file", "--dev-codes", "--reserve-mib", "2")
        try:
            assert (data / "space.reserve").stat().st_size == 2 * 1024 * 1024
            # Leave about 3 MiB free, so a few dozen messages fill the rest.
            filler = disk / "filler"
            stats = os.statvfs(disk)
            with open(filler, "wb") as out:
                out.write(bytes(max(0, stats.f_bavail * stats.f_frsize - 3 * 1024 * 1024)))
            run_full_disk_scenario(server, filler.unlink)
            assert (data / "space.reserve").stat().st_size == 2 * 1024 * 1024  # made again
        finally:
            server.stop()


def test_a_server_restarted_on_a_full_filesystem_starts_full_serves_logins_and_recovers(
    tmp_path: Path,
) -> None:
    with small_tmpfs(tmp_path / "disk", 24) as mounted:
        if not mounted:  # not root, or no tmpfs here: the same with SQLite's page cap
            run_quota_scenario(tmp_path / "data")
            return
        disk = tmp_path / "disk"
        data = disk / "data"
        flags = ("--verification", "file", "--dev-codes", "--reserve-mib", "2")
        alice, bob = Person(fresh_phone()), Person(fresh_phone())
        first = ServerProcess(data, *flags)
        try:
            setup = WireClient(first.address)
            dev_register(setup, alice)
            dev_register(setup, bob)
            a = online(first, alice)
            stats = os.statvfs(disk)
            (disk / "filler").write_bytes(bytes(max(0, stats.f_bavail * stats.f_frsize - 3 * 1024 * 1024)))
            stored, refused = fill_until_refused(a, bob.phone, 0)
            first.kill()  # no chance to tidy anything up
            a.close()
            setup.close()
        finally:
            first.stop()
        with contextlib.suppress(OSError), open(disk / "more", "wb") as more:  # take every byte left
            more.write(bytes(64 * 1024 * 1024))
        second = ServerProcess(data, *flags)
        try:
            b = online(second, bob)
            assert [m["id"] for m in fetch_all(b)] == list(stored.values())  # nothing acknowledged was lost
            a = online(second, alice)
            reply = send(a, bob.phone, refused)
            assert isinstance(reply, ErrorReply) and reply.code == "storage_full"
            (disk / "filler").unlink()
            (disk / "more").unlink()
            deadline = time.monotonic() + DEADLINE
            while isinstance(reply := send(a, bob.phone, refused), ErrorReply):
                assert reply.code == "storage_full" and time.monotonic() < deadline, reply
                time.sleep(0.2)
            assert not reply.body["duplicate"]
            assert [m["id"] for m in fetch_all(b)] == [*stored.values(), reply.body["id"]]
            log = "".join(second.stderr_lines)
            assert "storage: full (no room for the reserve at start)" in log and "storage: room again" in log
            a.close()
            b.close()
        finally:
            second.stop()


def run_quota_scenario(data: Path) -> None:
    server = ServerProcess(data, "--verification", "file", "--dev-codes", "--max-store-mib", "1")
    try:
        run_full_disk_scenario(server, lambda: None)  # the acknowledgements made the room
    finally:
        server.stop()


def test_a_full_store_quota_refuses_sends_and_acks_make_room_again(tmp_path: Path) -> None:
    run_quota_scenario(tmp_path / "data")


@pytest.fixture(autouse=True)
def _bounded() -> Iterator[None]:
    started = time.monotonic()
    yield
    assert time.monotonic() - started < 10 * DEADLINE
