"""The operations without sockets: a real store in a temporary folder, sessions that record pushes."""

from __future__ import annotations

import base64
import itertools
import json
from typing import Any

import pytest
from store_support import OpenStore
from wire_client import CodeBook, Person

from crypto_core.keys import KemPreKey, SignedPreKey
from net.protocol.connection import Request, encode_json
from net.protocol.errors import RequestRefused
from net.protocol.login import sign_login
from net.protocol.schema import OPERATIONS
from net.server.codes import CodeHasher
from net.server.limits import Limits
from net.server.service import Service
from net.server.verification import DeliveryError
from storage.server.interface import ServerStore

SERVER_KEY = bytes(range(32))


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


class Session:
    def __init__(self, peer: str = "192.0.2.1:50000") -> None:
        self.peer = peer
        self.phone: str | None = None
        self.device = 1
        self.challenge: tuple[str, bytes] | None = None
        self.pushes: list[tuple[str, dict[str, Any]]] = []
        self.ended = False

    def push(self, kind: str, body: dict[str, Any]) -> bool:
        self.pushes.append((kind, body))
        return not self.ended

    def end(self) -> None:
        self.ended = True


_ids = itertools.count(1)
_phones = (f"+44207946{n:04d}" for n in itertools.count(1000))


class World:
    def __init__(self, open_store: OpenStore, limits: Limits) -> None:
        self.limits = limits
        self._open_store = open_store
        self.store = open_store()
        self.codes = CodeBook()
        self.clock = Clock()
        self.service = Service(
            self.store, self.codes, CodeHasher(b"k" * 32), SERVER_KEY, limits=limits, clock=self.clock
        )

    def call(self, session: Session, op: str, **raw: Any) -> dict[str, Any]:
        args = OPERATIONS[op].parse(_wire(raw))
        outcome = self.service.handle(session, Request(next(_ids), op, args)).settled()
        if outcome.then is not None:
            outcome.then()
        return outcome.body

    def refused(self, session: Session, op: str, **raw: Any) -> str:
        with pytest.raises(RequestRefused) as caught:
            self.call(session, op, **raw)
        return caught.value.code

    def register(self, person: Person, session: Session | None = None) -> dict[str, Any]:
        session = session or Session()
        self.start(person, session)
        return self.call(session, "register_finish", **person.finish_args(self.codes.last(person.phone)))

    def start(self, person: Person, session: Session) -> dict[str, Any]:
        return person.took(self.call(session, "register_start", phone=person.phone, email=person.email))

    def restart(self) -> None:
        """A new store and service on the same store, as after the server was killed and started again."""
        self.store.close()
        self.store = self._open_store()
        self.service = Service(
            self.store, self.codes, CodeHasher(b"k" * 32), SERVER_KEY, limits=self.limits, clock=self.clock
        )

    def login(self, person: Person, session: Session | None = None) -> Session:
        session = session or Session()
        nonce = self.call(session, "challenge", phone=person.phone)["nonce"]
        self.call(
            session,
            "login",
            phone=person.phone,
            signature=sign_login(person.identity, nonce, person.phone, SERVER_KEY),
        )
        return session


def _wire(raw: dict[str, Any]) -> dict[str, Any]:
    return json.loads(encode_json(raw))


@pytest.fixture
def world(open_test_store: OpenStore) -> World:
    return World(
        open_test_store, Limits(codes_per_hour=3, logins_per_minute=4, bundles_per_hour=2, queue_cap=3)
    )


def person() -> Person:
    return Person(next(_phones))


def test_every_operation_but_registration_and_login_needs_a_login(world: World) -> None:
    session = Session()
    for name, op in OPERATIONS.items():
        if op.needs_login:
            with pytest.raises(RequestRefused) as caught:
                world.service.handle(session, Request(1, name, {}))
            assert caught.value.code == "not_logged_in"


def test_codes_expire_after_ten_minutes(world: World) -> None:
    alice, session = person(), Session()
    reply = world.start(alice, session)
    assert reply["expires_in"] == 600 and "code" not in reply
    world.clock.now += 601
    assert (
        world.refused(session, "register_finish", **alice.finish_args(world.codes.last(alice.phone)))
        == "code_expired"
    )


def test_five_wrong_codes_lock_the_code(world: World) -> None:
    alice, session = person(), Session()
    world.start(alice, session)
    code = world.codes.last(alice.phone)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    codes = [world.refused(session, "register_finish", **alice.finish_args(wrong)) for _ in range(5)]
    assert codes == ["wrong_code"] * 4 + ["code_locked"]
    assert world.refused(session, "register_finish", **alice.finish_args(code)) == "code_locked"


def test_codes_per_phone_are_rate_limited(world: World) -> None:
    alice, session = person(), Session()
    for _ in range(3):
        world.start(alice, session)
    assert world.refused(session, "register_start", phone=alice.phone, email=alice.email) == "rate_limited"
    assert world.codes.count(alice.phone) == 3


def test_a_failed_delivery_is_reported(world: World) -> None:
    world.codes.fail_with = DeliveryError("the mail server refused the recipient")
    alice = person()
    assert (
        world.refused(Session(), "register_start", phone=alice.phone, email=alice.email) == "delivery_failed"
    )


def test_dev_codes_come_back_in_the_reply(store: ServerStore) -> None:
    codes = CodeBook()
    service = Service(store, codes, CodeHasher(b"k" * 32), SERVER_KEY, dev_codes=True)
    alice = person()
    args = OPERATIONS["register_start"].parse({"phone": alice.phone, "email": alice.email})
    body = service.handle(Session(), Request(1, "register_start", args)).settled().body
    assert body["code"] == codes.last(alice.phone)


def test_keys_with_bad_signatures_are_refused(world: World) -> None:
    alice, impostor = person(), person()
    session = Session()
    world.start(alice, session)
    args = alice.finish_args(world.codes.last(alice.phone))
    args["signed_prekey"] = SignedPreKey.generate(impostor.identity, 1, 0).public()
    assert world.refused(session, "register_finish", **args) == "bad_signature"
    args = alice.finish_args(world.codes.last(alice.phone))
    args["kem_last_resort"] = KemPreKey.generate(alice.identity, 5, last_resort=False).public()
    assert world.refused(session, "register_finish", **args) == "bad_key"
    assert world.store.account(alice.phone) is None


def test_a_login_nonce_is_good_for_one_attempt(world: World) -> None:
    alice = person()
    world.register(alice)
    session = Session()
    nonce = world.call(session, "challenge", phone=alice.phone)["nonce"]
    signature = sign_login(alice.identity, nonce, alice.phone, SERVER_KEY)
    assert world.refused(session, "login", phone=alice.phone, signature=b"\x00" * 64) == "login_failed"
    assert world.refused(session, "login", phone=alice.phone, signature=signature) == "login_failed"


def test_logins_per_phone_are_rate_limited(world: World) -> None:
    alice = person()
    world.register(alice)
    session = Session()
    for _ in range(4):
        world.call(session, "challenge", phone=alice.phone)
        world.refused(session, "login", phone=alice.phone, signature=b"\x00" * 64)
    world.call(session, "challenge", phone=alice.phone)
    assert world.refused(session, "login", phone=alice.phone, signature=b"\x00" * 64) == "rate_limited"


def test_a_second_login_ends_the_first_session(world: World) -> None:
    alice = person()
    world.register(alice)
    first = world.login(alice)
    second = world.login(alice)
    assert first.pushes == [("session_ended", {"reason": "logged_in_elsewhere"})] and first.ended
    assert second.phone == alice.phone and not second.ended


def test_re_registration_ends_the_old_session(world: World) -> None:
    alice = person()
    world.register(alice)
    old = world.login(alice)
    alice_again = Person(alice.phone)
    assert world.register(alice_again)["replaced"] is True
    assert old.pushes == [
        (
            "reregistration_requested",
            {"ts": world.service.now_ms(), "sent_to": "s\u2022\u2022\u2022@example.org"},
        ),
        ("session_ended", {"reason": "re_registered"}),
    ]
    assert old.ended


def test_bundle_fetches_per_account_are_rate_limited(world: World) -> None:
    alice, bob = person(), person()
    world.register(alice)
    world.register(bob)
    session = world.login(alice)
    world.call(session, "get_bundle", phone=bob.phone)
    world.call(session, "get_bundle", phone=bob.phone)
    assert world.refused(session, "get_bundle", phone=bob.phone) == "rate_limited"


def test_a_message_is_pushed_to_an_online_recipient_after_it_is_stored(world: World) -> None:
    alice, bob = person(), person()
    world.register(alice)
    world.register(bob)
    a, b = world.login(alice), world.login(bob)
    sent = world.call(a, "send", to=bob.phone, client_id="c1", body=b"hello")
    assert b.pushes == [
        (
            "message",
            {"id": sent["id"], "from": alice.phone, "from_device": 1, "body": b"hello", "ts": sent["ts"]},
        )
    ]
    assert world.store.queued_count(bob.phone) == 1


def test_a_transient_send_is_never_stored(world: World) -> None:
    alice, bob = person(), person()
    world.register(alice)
    world.register(bob)
    a = world.login(alice)
    assert world.call(a, "send", to=bob.phone, client_id="t1", body=b"typing", transient=True) == {
        "delivered": False
    }
    b = world.login(bob)
    assert world.call(a, "send", to=bob.phone, client_id="t2", body=b"typing", transient=True) == {
        "delivered": True
    }
    assert b.pushes[0][1]["transient"] is True and "id" not in b.pushes[0][1]
    assert world.store.queued_count(bob.phone) == 0


def test_a_full_queue_is_refused_loudly(world: World) -> None:
    alice, bob = person(), person()
    world.register(alice)
    world.register(bob)
    a = world.login(alice)
    for i in range(3):
        world.call(a, "send", to=bob.phone, client_id=f"c{i}", body=b"x")
    with pytest.raises(RequestRefused, match="the recipient has 3 messages waiting") as caught:
        world.call(a, "send", to=bob.phone, client_id="c9", body=b"x")
    assert caught.value.code == "queue_full"


def test_one_sender_is_capped_per_recipient_and_the_bytes_per_recipient(open_test_store: OpenStore) -> None:
    world = World(open_test_store, Limits(queue_cap_per_sender=2, queue_bytes=100))
    try:
        alice, bob, carol = person(), person(), person()
        for someone in (alice, bob, carol):
            world.register(someone)
        a, c = world.login(alice), world.login(carol)
        for i in range(2):
            world.call(a, "send", to=bob.phone, client_id=f"a{i}", body=b"x")
        with pytest.raises(RequestRefused, match="you have 2 messages waiting for this recipient") as caught:
            world.call(a, "send", to=bob.phone, client_id="a9", body=b"x")
        assert caught.value.code == "queue_full"
        world.call(c, "send", to=bob.phone, client_id="c1", body=b"x" * 90)  # someone else gets through
        with pytest.raises(
            RequestRefused, match=r"as many bytes waiting as the server keeps \(100\)"
        ) as caught:
            world.call(c, "send", to=bob.phone, client_id="c2", body=b"x" * 9)  # 2 + 90 + 9 > 100
        assert caught.value.code == "queue_full"
    finally:
        world.store.close()


def test_sending_to_nobody_is_refused(world: World) -> None:
    alice = person()
    world.register(alice)
    a = world.login(alice)
    assert world.refused(a, "send", to=person().phone, client_id="c1", body=b"x") == "unknown_account"
    assert world.refused(a, "get_bundle", phone=person().phone) == "unknown_account"


def test_prekeys_are_uploaded_counted_and_checked(world: World) -> None:
    alice = person()
    world.register(alice)
    a = world.login(alice)
    assert world.call(a, "prekey_count") == {"one_time": 3, "kem": 2}
    extra = KemPreKey.generate(alice.identity, 500, last_resort=False).public()
    assert world.call(a, "upload_prekeys", kem_prekeys=[extra]) == {"one_time": 3, "kem": 3}
    foreign = KemPreKey.generate(person().identity, 501, last_resort=False).public()
    assert world.refused(a, "upload_prekeys", kem_prekeys=[foreign]) == "bad_signature"


def test_the_signed_prekey_is_replaced_only_with_a_valid_one(world: World) -> None:
    alice = person()
    world.register(alice)
    a = world.login(alice)
    fresh = SignedPreKey.generate(alice.identity, 2, 0).public()
    assert world.call(a, "set_signed_prekey", signed_prekey=fresh) == {}
    assert world.store.account(alice.phone).signed_prekey["id"] == 2  # type: ignore[union-attr]
    foreign = SignedPreKey.generate(person().identity, 3, 0).public()
    assert world.refused(a, "set_signed_prekey", signed_prekey=foreign) == "bad_signature"


def test_delete_account_logs_out_and_closes(world: World) -> None:
    alice = person()
    world.register(alice)
    a = world.login(alice)
    outcome = world.service.handle(a, Request(1, "delete_account", {}))
    assert outcome.close and outcome.body == {"deleted": True}
    assert a.phone is None and world.store.account(alice.phone) is None
    assert world.service.presence.get(alice.phone) is None


def test_hello_checks_the_version(world: World) -> None:
    assert world.call(Session(), "hello", version=1)["max_frame"] == 1024 * 1024
    assert world.refused(Session(), "hello", version=2) == "unsupported_version"


def test_code_delivery_is_left_for_later_so_the_loop_does_not_wait_for_it(world: World) -> None:
    alice, session = person(), Session()
    args = OPERATIONS["register_start"].parse(_wire({"phone": alice.phone, "email": alice.email}))
    outcome = world.service.handle(session, Request(1, "register_start", args))
    assert outcome.later is not None and world.codes.count(alice.phone) == 0  # nothing sent yet
    assert outcome.settled().body["phone"] == alice.phone
    assert world.codes.count(alice.phone) == 1


def test_a_body_that_no_fetch_reply_could_carry_is_refused_and_not_stored(open_test_store: OpenStore) -> None:
    # Its send fits one frame, but the fetch reply around it would not: stored, it was never pushed and
    # every fetch of its recipient failed, so it and every message after it could never be delivered.
    world = World(open_test_store, Limits(max_frame=20_000))
    try:
        alice, bob = person(), person()
        world.register(alice)
        world.register(bob)
        a = world.login(alice)
        body = b"x" * 14_949
        request = {"id": 1, "op": "send", "to": bob.phone, "client_id": "a", "body": base64.b64encode(body)}
        assert len(encode_json({**request, "body": request["body"].decode()})) < 20_000
        assert world.refused(a, "send", to=bob.phone, client_id="a", body=body) == "bad_request"
        assert (
            world.refused(a, "send", to=bob.phone, client_id="t", body=body, transient=True) == "bad_request"
        )
        world.call(a, "send", to=bob.phone, client_id="b", body=b"x" * 14_000)
        b = world.login(bob)
        page = world.call(b, "fetch")
        assert [m["body"] for m in page["messages"]] == [b"x" * 14_000]
        assert len(encode_json({"re": 2**53 - 1, "ok": True, **page})) <= 20_000
    finally:
        world.store.close()


def test_a_fetch_page_is_cut_to_fit_one_frame(open_test_store: OpenStore) -> None:
    world = World(open_test_store, Limits(max_frame=64 * 1024))
    try:
        alice, bob = person(), person()
        world.register(alice)
        world.register(bob)
        a = world.login(alice)
        for n in range(5):
            world.call(a, "send", to=bob.phone, client_id=f"m{n}", body=b"x" * 20_000)  # 26.7 KB in base64
        b = world.login(bob)
        first = world.call(b, "fetch", limit=100)
        assert len(first["messages"]) == 2 and first["more"] is True
        assert len(encode_json(first)) < 64 * 1024
        rest = world.call(b, "fetch", limit=100, after=first["messages"][-1]["id"])
        assert len(rest["messages"]) == 2 and rest["more"] is True
        last = world.call(b, "fetch", limit=100, after=rest["messages"][-1]["id"])
        assert len(last["messages"]) == 1 and last["more"] is False
    finally:
        world.store.close()
