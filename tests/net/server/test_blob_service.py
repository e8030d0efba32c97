"""The blob operations through the service, without sockets: a real store and its files on disk."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
from typing import Any

import pytest
from store_support import OpenStore, dump, rows
from wire_client import CodeBook, Person

from crypto_core.stream import sealed_size
from net.protocol.blobs import BLOB_PIECE
from net.protocol.connection import Request, encode_json
from net.protocol.errors import RequestRefused
from net.protocol.login import sign_login
from net.protocol.schema import OPERATIONS
from net.server.codes import CodeHasher
from net.server.limits import Limits
from net.server.outcome import Outcome
from net.server.service import Service
from storage.server.interface import ServerStore
from storage.server.store import SqliteServerStore

SERVER_KEY = bytes(range(32))
DAY = 24 * 3600.0
_ids = itertools.count(1)
_phones = (f"+44207946{n:04d}" for n in itertools.count(3000))


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


class Session:
    def __init__(self) -> None:
        self.peer = "192.0.2.1:50000"
        self.phone: str | None = None
        self.device = 1
        self.challenge: tuple[str, bytes] | None = None

    def push(self, kind: str, body: dict[str, Any]) -> bool:
        return True

    def end(self) -> None:
        pass


class World:
    def __init__(self, open_store: OpenStore, limits: Limits) -> None:
        self.limits = limits
        self._open_store = open_store
        self.codes = CodeBook()
        self.clock = Clock()
        self.store = open_store()
        self.service = self._service()

    def _service(self) -> Service:
        return Service(
            self.store, self.codes, CodeHasher(b"k" * 32), SERVER_KEY, limits=self.limits, clock=self.clock
        )

    def outcome(self, session: Session, op: str, **raw: Any) -> Outcome:
        args = OPERATIONS[op].parse(json.loads(encode_json(raw)))  # checked as the wire checks it
        return self.service.handle(session, Request(next(_ids), op, args))

    def call(self, session: Session, op: str, **raw: Any) -> dict[str, Any]:
        return self.outcome(session, op, **raw).settled().body

    def refused(self, session: Session, op: str, **raw: Any) -> str:
        with pytest.raises(RequestRefused) as caught:
            self.call(session, op, **raw)
        return caught.value.code

    def person(self) -> Session:
        """A registered, logged-in account."""
        who, session = Person(next(_phones)), Session()
        who.took(self.call(session, "register_start", phone=who.phone, email=who.email))
        self.call(session, "register_finish", **who.finish_args(self.codes.last(who.phone)))
        nonce = self.call(session, "challenge", phone=who.phone)["nonce"]
        signature = sign_login(who.identity, nonce, who.phone, SERVER_KEY)
        self.call(session, "login", phone=who.phone, signature=signature)
        return session

    def restart(self) -> None:
        self.store.close()
        self.store = self._open_store()
        self.service = self._service()


@pytest.fixture
def world(open_test_store: OpenStore) -> World:
    return World(
        open_test_store,
        Limits(blob_max_size=4 * BLOB_PIECE, blob_quota=6 * BLOB_PIECE, blob_starts_per_hour=5),
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def sha(data: bytes) -> str:
    return b64(hashlib.sha256(data).digest())


def upload(world: World, session: Session, data: bytes) -> str:
    blob: str = world.call(session, "blob_start", size=len(data))["blob"]
    for offset in range(0, len(data), BLOB_PIECE):
        world.call(
            session, "blob_put", blob=blob, offset=offset, data=b64(data[offset : offset + BLOB_PIECE])
        )
    world.call(session, "blob_finish", blob=blob, sha256=sha(data))
    return blob


def download(world: World, session: Session, blob: str, step: int = BLOB_PIECE) -> bytes:
    size = world.call(session, "blob_status", blob=blob)["size"]
    return b"".join(
        world.call(session, "blob_get", blob=blob, offset=o, length=step)["data"]
        for o in range(0, size, step)
    )


def test_a_blob_goes_up_in_pieces_and_comes_down_byte_for_byte_in_any_ranges(world: World) -> None:
    alice, bob = world.person(), world.person()
    data = os.urandom(2 * BLOB_PIECE + 12345)
    started = world.call(alice, "blob_start", size=len(data))
    assert len(started["blob"]) == 43 and started["expires"] == int((world.clock.now + 30 * DAY) * 1000)
    blob = started["blob"]
    assert world.call(alice, "blob_put", blob=blob, offset=0, data=b64(data[:BLOB_PIECE])) == {
        "received": BLOB_PIECE
    }
    assert world.call(alice, "blob_status", blob=blob) == {
        "size": len(data),
        "received": BLOB_PIECE,
        "done": False,
        "expires": started["expires"],
    }
    for offset in (BLOB_PIECE, 2 * BLOB_PIECE):
        world.call(alice, "blob_put", blob=blob, offset=offset, data=b64(data[offset : offset + BLOB_PIECE]))
    finished = world.call(alice, "blob_finish", blob=blob, sha256=sha(data))
    assert finished == {"size": len(data), "expires": started["expires"]}
    assert download(world, bob, blob) == data
    assert download(world, bob, blob, step=100_003) == data
    tail = world.call(bob, "blob_get", blob=blob, offset=len(data) - 10, length=BLOB_PIECE)
    assert tail == {"data": data[-10:], "size": len(data)}  # clipped at the end
    assert world.call(bob, "blob_status", blob=blob)["done"] is True


def test_a_put_repeated_after_a_lost_reply_changes_nothing_and_an_overlap_writes_only_what_is_new(
    world: World,
) -> None:
    alice = world.person()
    data = os.urandom(3 * 1000)
    blob = world.call(alice, "blob_start", size=len(data))["blob"]
    assert world.call(alice, "blob_put", blob=blob, offset=0, data=b64(data[:2000]))["received"] == 2000
    # The same piece again, and a piece of other bytes that the server holds already: nothing changes.
    assert world.call(alice, "blob_put", blob=blob, offset=0, data=b64(data[:2000]))["received"] == 2000
    assert world.call(alice, "blob_put", blob=blob, offset=500, data=b64(b"x" * 1000))["received"] == 2000
    # Overlapping the end: only the bytes past 2000 are written (the first 500 of this piece are not).
    assert (
        world.call(alice, "blob_put", blob=blob, offset=1500, data=b64(b"y" * 500 + data[2000:]))["received"]
        == 3000
    )
    assert world.call(alice, "blob_finish", blob=blob, sha256=sha(data))["size"] == 3000
    assert download(world, alice, blob) == data


def test_puts_out_of_order_or_past_the_size_are_refused_and_say_what_is_held(world: World) -> None:
    alice = world.person()
    blob = world.call(alice, "blob_start", size=1000)["blob"]
    with pytest.raises(RequestRefused) as caught:
        world.call(alice, "blob_put", blob=blob, offset=1, data=b64(b"a"))
    assert caught.value.code == "blob_offset" and "holds 0 of 1000" in caught.value.message
    assert world.refused(alice, "blob_put", blob=blob, offset=0, data=b64(b"a" * 1001)) == "blob_offset"
    assert world.call(alice, "blob_status", blob=blob)["received"] == 0


def test_finish_is_answered_only_for_a_whole_blob_with_its_digest_and_a_repeat_answers_the_same(
    world: World,
) -> None:
    alice = world.person()
    data = os.urandom(5000)
    blob = world.call(alice, "blob_start", size=len(data))["blob"]
    world.call(alice, "blob_put", blob=blob, offset=0, data=b64(data[:4000]))
    assert world.refused(alice, "blob_finish", blob=blob, sha256=sha(data)) == "blob_incomplete"
    world.call(alice, "blob_put", blob=blob, offset=4000, data=b64(data[4000:]))
    outcome = world.outcome(alice, "blob_finish", blob=blob, sha256=sha(data))
    assert outcome.later is not None  # the sync and the hash run away from the loop
    first = outcome.settled().body
    assert world.call(alice, "blob_finish", blob=blob, sha256=sha(data)) == first
    # A repeat with another digest is refused, and the finished blob stays as it is.
    assert world.refused(alice, "blob_finish", blob=blob, sha256=sha(b"other")) == "blob_digest"
    assert download(world, alice, blob) == data
    # A finished blob takes no more puts.
    assert world.refused(alice, "blob_put", blob=blob, offset=0, data=b64(data[:10])) == "blob_not_found"


def test_a_digest_mismatch_discards_the_upload_and_frees_its_quota(world: World) -> None:
    alice = world.person()
    size = 4 * BLOB_PIECE
    blob = world.call(alice, "blob_start", size=size)["blob"]
    for offset in range(0, size, BLOB_PIECE):
        world.call(alice, "blob_put", blob=blob, offset=offset, data=b64(b"\1" * BLOB_PIECE))
    assert world.refused(alice, "blob_start", size=3 * BLOB_PIECE) == "blob_quota"  # 4 + 3 > 6 pieces
    assert world.refused(alice, "blob_finish", blob=blob, sha256=sha(b"not these bytes")) == "blob_digest"
    assert world.refused(alice, "blob_status", blob=blob) == "blob_not_found"
    assert world.call(alice, "blob_start", size=3 * BLOB_PIECE)["blob"]  # the quota is free again


def test_another_account_cannot_put_finish_delete_or_see_an_unfinished_blob(world: World) -> None:
    alice, mallory = world.person(), world.person()
    data = os.urandom(100)
    blob = world.call(alice, "blob_start", size=len(data))["blob"]
    world.call(alice, "blob_put", blob=blob, offset=0, data=b64(data[:50]))
    for op, fields in (
        ("blob_put", {"offset": 50, "data": b64(data[50:])}),
        ("blob_status", {}),
        ("blob_finish", {"sha256": sha(data)}),
        ("blob_get", {"offset": 0, "length": 10}),
        ("blob_delete", {}),
    ):
        with pytest.raises(RequestRefused) as caught:
            world.call(mallory, op, blob=blob, **fields)
        # The same code and words as for a blob nobody holds: an id tells a stranger nothing.
        assert caught.value.code == "blob_not_found"
        unknown = "A" * 42 + "A"
        with pytest.raises(RequestRefused) as nobody:
            world.call(mallory, op, blob=unknown, **fields)
        assert nobody.value.message == caught.value.message
    # Not even the uploader reads an unfinished blob.
    assert world.refused(alice, "blob_get", blob=blob, offset=0, length=10) == "blob_not_found"
    world.call(alice, "blob_put", blob=blob, offset=50, data=b64(data[50:]))
    world.call(alice, "blob_finish", blob=blob, sha256=sha(data))
    assert download(world, mallory, blob) == data  # finished: whoever has the id reads it
    assert world.refused(mallory, "blob_delete", blob=blob) == "blob_not_found"  # but only alice deletes
    assert world.call(alice, "blob_delete", blob=blob) == {}
    assert world.refused(mallory, "blob_get", blob=blob, offset=0, length=10) == "blob_not_found"


def test_size_quota_and_rate_limits_are_refused_with_their_codes(world: World) -> None:
    alice = world.person()
    largest = sealed_size(4 * BLOB_PIECE)  # a file of the largest size, sealed, fits exactly
    assert world.refused(alice, "blob_start", size=largest + 1) == "blob_too_large"
    first = world.call(alice, "blob_start", size=largest)["blob"]
    assert world.refused(alice, "blob_start", size=6 * BLOB_PIECE - largest + 1) == "blob_quota"
    world.call(alice, "blob_start", size=6 * BLOB_PIECE - largest)
    world.call(alice, "blob_delete", blob=first)  # deleting frees its quota at once
    for _ in range(3):
        world.call(alice, "blob_start", size=1)
    # Five starts held something this hour (refusals did not count); the sixth is one too many.
    assert world.refused(alice, "blob_start", size=1) == "rate_limited"
    world.clock.now += 3601
    assert world.call(alice, "blob_start", size=1)["blob"]


def test_a_get_past_the_end_is_a_bad_request_naming_the_size(world: World) -> None:
    alice = world.person()
    blob = upload(world, alice, b"0123456789")
    with pytest.raises(RequestRefused) as caught:
        world.call(alice, "blob_get", blob=blob, offset=10, length=1)
    assert caught.value.code == "bad_request" and "10 bytes" in caught.value.message


def test_blobs_expire_with_their_lifetime_and_idle_uploads_after_a_day(world: World) -> None:
    alice, bob = world.person(), world.person()
    done = upload(world, alice, b"kept for thirty days")
    idle = world.call(alice, "blob_start", size=100)["blob"]
    busy = world.call(alice, "blob_start", size=100)["blob"]
    world.clock.now += DAY - 60
    world.call(alice, "blob_put", blob=busy, offset=0, data=b64(b"x"))  # a put keeps an upload alive
    world.clock.now += 120
    assert world.refused(alice, "blob_status", blob=idle) == "blob_not_found"
    assert world.refused(alice, "blob_put", blob=idle, offset=0, data=b64(b"x")) == "blob_not_found"
    assert world.call(alice, "blob_status", blob=busy)["received"] == 1
    world.clock.now += 29 * DAY - 120
    assert world.call(bob, "blob_get", blob=done, offset=0, length=4)["data"] == b"kept"
    world.clock.now += 61
    assert world.refused(bob, "blob_get", blob=done, offset=0, length=4) == "blob_not_found"
    assert world.store.blob_usage(alice.phone or "", world.service.now_ms()) == 0  # nothing counts now
    # The sweep removes the bytes of every dead blob.
    assert world.store.sweep_blobs(world.service.now_ms(), 100) == 3
    if isinstance(world.store, SqliteServerStore):  # the files beside the SQLite file
        assert list(world.store.blob_files.folder.iterdir()) == []
    else:  # the pieces in the PostgreSQL database
        assert rows(world.store, "SELECT count(*) FROM blob_pieces") == [(0,)]


def test_an_upload_resumes_from_blob_status_after_a_restart(world: World) -> None:
    alice = world.person()
    data = os.urandom(3 * BLOB_PIECE)
    blob = world.call(alice, "blob_start", size=len(data))["blob"]
    world.call(alice, "blob_put", blob=blob, offset=0, data=b64(data[:BLOB_PIECE]))
    world.restart()
    phone = alice.phone
    alice = Session()
    alice.phone = phone  # logged in again (the login itself is the service's other tests' business)
    received = world.call(alice, "blob_status", blob=blob)["received"]
    assert received == BLOB_PIECE
    for offset in range(received, len(data), BLOB_PIECE):
        world.call(alice, "blob_put", blob=blob, offset=offset, data=b64(data[offset : offset + BLOB_PIECE]))
    world.call(alice, "blob_finish", blob=blob, sha256=sha(data))
    assert download(world, alice, blob) == data


def test_a_deleted_account_loses_its_blobs(world: World) -> None:
    alice, bob = world.person(), world.person()
    blob = upload(world, alice, b"gone with its owner")
    world.call(alice, "delete_account")
    assert world.refused(bob, "blob_get", blob=blob, offset=0, length=4) == "blob_not_found"


def test_the_id_is_made_from_the_random_source_and_is_not_stored(store: ServerStore) -> None:
    service = Service(
        store, CodeBook(), CodeHasher(b"k" * 32), SERVER_KEY, blob_ids=lambda n: bytes(range(n))
    )
    session = Session()
    session.phone = "+442079460001"
    args = OPERATIONS["blob_start"].parse({"size": 5})
    reply = service.handle(session, Request(1, "blob_start", args)).body
    blob_id = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
    assert reply["blob"] == blob_id
    # Everything the database holds, as text: its bytes appear as hex (SQLite X'..', PostgreSQL \\x..).
    everything = dump(store).lower()
    assert hashlib.sha256(blob_id.encode()).hexdigest() in everything  # its hash is kept
    assert blob_id.lower() not in everything and bytes(range(32)).hex() not in everything


@pytest.mark.sqlite_only  # a blob file beside the SQLite file on a full disk
def test_a_put_that_finds_the_disk_full_counts_nothing_and_says_it_lacked_room(world: World) -> None:
    alice = world.person()
    blob = world.call(alice, "blob_start", size=100)["blob"]
    found = world.store.blob(hashlib.sha256(blob.encode()).digest(), world.service.now_ms())
    assert found is not None
    world.store.blob_files.path(found.number).symlink_to("/dev/full")  # the kernel answers ENOSPC
    with pytest.raises(OSError) as caught:
        world.call(alice, "blob_put", blob=blob, offset=0, data=b64(b"x" * 100))
    assert world.store.lacks_room(caught.value)  # the server answers it storage_full
    assert world.call(alice, "blob_status", blob=blob)["received"] == 0
