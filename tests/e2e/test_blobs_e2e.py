"""Blobs through a real server over TLS: pieces in flight, a SIGKILL mid-upload, limits, expiry, a full disk.

The server is a real process (or, where a test moves its clock, a real server in
this process) on real files; the client is the plain wire client of the tests.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import random
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from conftest import InProcessServer, fresh_phone
from server_process import ServerProcess
from wire_client import Person, WireClient

from net.protocol.blobs import BLOB_PIECE, BLOB_WINDOW
from net.protocol.connection import ErrorReply, Reply
from net.server.limits import Limits

DEADLINE = 60.0


def dev_register(client: WireClient, person: Person) -> None:
    code = person.took(client.call("register_start", phone=person.phone, email=person.email))["code"]
    client.call("register_finish", **person.finish_args(code))


@contextlib.contextmanager
def small_tmpfs(where: Path, size_mib: int) -> Iterator[bool]:
    """A tmpfs of ``size_mib`` at ``where``; yields False where this machine does not let us mount one."""
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


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def sha(data: bytes) -> str:
    return b64(hashlib.sha256(data).digest())


def logged_in(address: tuple[str, int], person: Person) -> WireClient:
    client = WireClient(address, timeout=30.0)
    person.login(client)
    return client


def put_pipelined(client: WireClient, blob: str, data: bytes, start: int, stop: int) -> int:
    """Put ``data[start:stop]`` piece by piece with BLOB_WINDOW puts in flight; the last ``received``."""
    offsets = list(range(start, stop, BLOB_PIECE))
    in_flight: list[int] = []
    received = start
    for offset in offsets:
        piece = data[offset : min(offset + BLOB_PIECE, stop)]
        in_flight.append(client.send_request("blob_put", blob=blob, offset=offset, data=piece))
        if len(in_flight) == BLOB_WINDOW:
            reply = client.wait_reply(in_flight.pop(0))
            assert isinstance(reply, Reply), reply
            received = reply.body["received"]
    for request_id in in_flight:
        reply = client.wait_reply(request_id)
        assert isinstance(reply, Reply), reply
        received = reply.body["received"]
    return received


def get_ranges(client: WireClient, blob: str, size: int, rng: random.Random) -> bytes:
    """The blob in ranges of random lengths, several gets in flight."""
    ranges = []
    offset = 0
    while offset < size:
        length = rng.randint(1, BLOB_PIECE)
        ranges.append((offset, length))
        offset += length
    parts: list[bytes] = []
    for first in range(0, len(ranges), BLOB_WINDOW):
        ids = [
            client.send_request("blob_get", blob=blob, offset=o, length=n)
            for o, n in ranges[first : first + BLOB_WINDOW]
        ]
        for request_id in ids:
            reply = client.wait_reply(request_id)
            assert isinstance(reply, Reply), reply
            assert reply.body["size"] == size
            parts.append(base64.b64decode(reply.body["data"]))
    return b"".join(parts)


def test_an_upload_killed_midway_resumes_after_a_restart_and_comes_down_byte_for_byte(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    alice, bob, mallory = Person(fresh_phone()), Person(fresh_phone()), Person(fresh_phone())
    data = os.urandom(5 * BLOB_PIECE + 4321)
    first = ServerProcess(data_dir, "--dev-codes")
    try:
        setup = WireClient(first.address)
        for person in (alice, bob, mallory):
            dev_register(setup, person)
        setup.close()
        a = logged_in(first.address, alice)
        blob = a.call("blob_start", size=len(data))["blob"]
        acknowledged = put_pipelined(a, blob, data, 0, 3 * BLOB_PIECE)
        assert acknowledged == 3 * BLOB_PIECE
        # Two more puts on the wire, unanswered, then the process dies without any chance to tidy up.
        a.send_request(
            "blob_put", blob=blob, offset=3 * BLOB_PIECE, data=data[3 * BLOB_PIECE : 4 * BLOB_PIECE]
        )
        a.send_request(
            "blob_put", blob=blob, offset=4 * BLOB_PIECE, data=data[4 * BLOB_PIECE : 5 * BLOB_PIECE]
        )
        first.kill()
        a.close()
    finally:
        first.stop()
    second = ServerProcess(data_dir, "--dev-codes")
    try:
        a = logged_in(second.address, alice)
        status = a.call("blob_status", blob=blob)
        # Every acknowledged byte is held; the unanswered ones may or may not be.
        assert status["size"] == len(data) and not status["done"]
        assert 3 * BLOB_PIECE <= status["received"] <= 5 * BLOB_PIECE
        # A put repeated from before the kill changes nothing; another account sees nothing of the upload.
        assert (
            a.call("blob_put", blob=blob, offset=0, data=data[:BLOB_PIECE])["received"] == status["received"]
        )
        m = logged_in(second.address, mallory)
        assert m.refused("blob_status", blob=blob) == "blob_not_found"
        assert m.refused("blob_put", blob=blob, offset=status["received"], data=b"x") == "blob_not_found"
        assert m.refused("blob_finish", blob=blob, sha256=sha(data)) == "blob_not_found"
        assert m.refused("blob_delete", blob=blob) == "blob_not_found"
        assert m.refused("blob_get", blob=blob, offset=0, length=1) == "blob_not_found"
        assert put_pipelined(a, blob, data, status["received"], len(data)) == len(data)
        finished = a.call("blob_finish", blob=blob, sha256=sha(data))
        assert finished["size"] == len(data)
        assert a.call("blob_finish", blob=blob, sha256=sha(data)) == finished  # a repeat answers the same
        b = logged_in(second.address, bob)
        assert get_ranges(b, blob, len(data), random.Random(7)) == data
        assert get_ranges(m, blob, len(data), random.Random(8)) == data  # finished: the id is enough
        assert m.refused("blob_delete", blob=blob) == "blob_not_found"
        for client in (a, b, m):
            client.close()
    finally:
        second.stop()
    third = ServerProcess(data_dir, "--dev-codes")  # a finished blob survives a restart too
    try:
        b = logged_in(third.address, bob)
        assert get_ranges(b, blob, len(data), random.Random(9)) == data
        b.close()
    finally:
        third.stop()


def test_size_quota_and_digest_refusals_over_the_wire(tmp_path: Path) -> None:
    alice = Person(fresh_phone())
    server = ServerProcess(
        tmp_path / "data", "--dev-codes", "--blob-max-size", "1MiB", "--blob-quota", "2MiB"
    )
    try:
        a = WireClient(server.address)
        dev_register(a, alice)
        alice.login(a)
        assert a.refused("blob_start", size=1024 * 1024 + 1) == "blob_too_large"
        big = a.call("blob_start", size=1024 * 1024)["blob"]
        a.call("blob_start", size=1024 * 1024 - 10)
        assert a.refused("blob_start", size=11) == "blob_quota"
        data = os.urandom(1024 * 1024)
        put_pipelined(a, big, data, 0, len(data))
        assert a.refused("blob_finish", blob=big, sha256=sha(b"something else")) == "blob_digest"
        assert a.refused("blob_status", blob=big) == "blob_not_found"  # discarded
        assert a.call("blob_start", size=11)["blob"]  # and its quota is free
        assert a.refused("blob_get", blob="A" * 43, offset=0, length=1) == "blob_not_found"
        bad = a.request("blob_get", blob="not an id", offset=0, length=1)
        assert isinstance(bad, ErrorReply) and bad.code == "bad_request" and "blob_get.blob" in bad.message
        a.close()
    finally:
        server.stop()


class MovableClock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def test_expired_blobs_are_deleted_by_the_servers_own_timer(
    server_factory: Callable[..., InProcessServer],
) -> None:
    clock = MovableClock()
    server = server_factory(clock=clock, blob_sweep_interval=0.1, limits=Limits(blob_lifetime=3600.0))
    alice, bob = Person(fresh_phone()), Person(fresh_phone())
    a, b = server.connect(), server.connect()
    alice.register(a, server.codes)
    bob.register(b, server.codes)
    alice.login(a)
    bob.login(b)
    blobs = []
    for n in range(3):
        blob = a.call("blob_start", size=10)["blob"]
        a.call("blob_put", blob=blob, offset=0, data=bytes([n]) * 10)
        a.call("blob_finish", blob=blob, sha256=sha(bytes([n]) * 10))
        blobs.append(blob)
    unfinished = a.call("blob_start", size=10)["blob"]
    a.call("blob_put", blob=unfinished, offset=0, data=b"x")
    folder = server.data_dir / "blobs"
    assert len(list(folder.iterdir())) == 4
    clock.offset = 1800.0
    assert b.call("blob_get", blob=blobs[0], offset=0, length=10)["data"] == b64(b"\0" * 10)
    clock.offset = 3601.0
    for blob in blobs:
        assert b.refused("blob_get", blob=blob, offset=0, length=10) == "blob_not_found"
    assert a.refused("blob_status", blob=unfinished) == "blob_not_found"
    deadline = time.monotonic() + DEADLINE
    while list(folder.iterdir()):
        assert time.monotonic() < deadline, "the server never deleted the expired blobs"
        time.sleep(0.05)
    assert a.call("ping")["time"] > 0


def _until(what: Callable[[], Reply | ErrorReply]) -> Reply:
    deadline = time.monotonic() + DEADLINE
    while True:
        reply = what()
        if isinstance(reply, Reply):
            return reply
        assert reply.code == "storage_full", reply
        assert time.monotonic() < deadline, f"never accepted again: {reply}"
        time.sleep(0.2)


class FullDisk:
    """The disk under the server's blobs fills up, then has room again.

    On a small tmpfs the whole filesystem fills (all but 3 MiB taken by a file); where
    no tmpfs can be mounted, the next blob's file is made a link to /dev/full, whose
    writes the kernel refuses with ENOSPC just the same.
    """

    def __init__(self, disk: Path, data_dir: Path, tmpfs: bool) -> None:
        self.disk, self.data_dir, self.tmpfs = disk, data_dir, tmpfs
        self.made: Path | None = None

    def fill(self, next_number: int) -> None:
        if self.tmpfs:
            self.made = self.disk / "filler"
            stats = os.statvfs(self.disk)
            with open(self.made, "wb") as out:
                out.write(bytes(max(0, stats.f_bavail * stats.f_frsize - 3 * 1024 * 1024)))
        else:
            self.made = self.data_dir / "blobs" / f"{next_number}.blob"
            self.made.symlink_to("/dev/full")

    def free(self) -> None:
        assert self.made is not None
        self.made.unlink()


def test_a_full_disk_refuses_blob_puts_and_starts_keeps_serving_and_recovers(tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "disk", 24) as mounted:
        data_dir = tmp_path / "disk" / "data"
        disk = FullDisk(tmp_path / "disk", data_dir, mounted)
        server = ServerProcess(data_dir, "--dev-codes", "--reserve-mib", "2")
        try:
            alice, bob = Person(fresh_phone()), Person(fresh_phone())
            setup = WireClient(server.address)
            dev_register(setup, alice)
            dev_register(setup, bob)
            setup.close()
            a, b = logged_in(server.address, alice), logged_in(server.address, bob)
            kept = os.urandom(100_000)
            done = a.call("blob_start", size=len(kept))["blob"]  # blob number 1
            a.call("blob_put", blob=done, offset=0, data=kept)
            a.call("blob_finish", blob=done, sha256=sha(kept))
            disk.fill(next_number=2)
            data = os.urandom(16 * 1024 * 1024)
            blob = a.call("blob_start", size=len(data))["blob"]
            received = 0
            while True:
                piece = data[received : received + BLOB_PIECE]
                reply = a.request("blob_put", blob=blob, offset=received, data=piece)
                if isinstance(reply, ErrorReply):
                    break
                received = reply.body["received"]
                assert received < len(data), "the disk never filled up"
            assert reply.code == "storage_full"
            # Full: starts are refused at once, the connection stays, reads and other people go on.
            assert a.refused("blob_start", size=10) == "storage_full"
            assert a.call("blob_status", blob=blob)["received"] == received  # nothing of the refused piece
            got = b.call("blob_get", blob=done, offset=0, length=BLOB_PIECE)
            assert base64.b64decode(got["data"]) == kept
            assert b.call("ping")["time"] > 0 and not a.closed_by_server
            disk.free()
            # Room again: the same put goes through by itself, and the upload finishes.
            put = _until(
                lambda: a.request(
                    "blob_put", blob=blob, offset=received, data=data[received : received + BLOB_PIECE]
                )
            )
            assert put_pipelined(a, blob, data, put.body["received"], len(data)) == len(data)
            assert a.call("blob_finish", blob=blob, sha256=sha(data))["size"] == len(data)
            assert get_ranges(b, blob, len(data), random.Random(3)) == data
            a.close()
            b.close()
        finally:
            server.stop()
