"""No takeover of a number, end to end: a real server process over real TLS on loopback, real SQLite
files, codes by real e-mail (aiosmtpd) or the file outbox, strangers on another loopback address."""

from __future__ import annotations

import email
import email.policy
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope
from conftest import fresh_phone
from server_process import ServerProcess
from wire_client import Person, WireClient

from crypto_core.keys import IdentityKeyPair, PreKeyBundle

STRANGER = "127.0.0.2"  # another source address on the loopback network
LOCK = "correct horse battery"


class Inbox:
    """An SMTP server's mailbox: every message it accepted, with its envelope."""

    def __init__(self) -> None:
        self.messages: list[tuple[Envelope, email.message.EmailMessage]] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)  # type: ignore[arg-type]
        with self.arrived:
            self.messages.append((envelope, parsed))  # type: ignore[arg-type]
            self.arrived.notify_all()
        return "250 OK"

    def code_for(self, address: str, count: int) -> str:
        """The code in the ``count``-th message (1-based) that went to ``address``."""
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.to(address)) >= count, timeout=10)
            body = self.to(address)[count - 1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
        return re.search(r"\b(\d{6})\b", body).group(1)  # type: ignore[union-attr]

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [message for envelope, message in self.messages if address in envelope.rcpt_tos]

    def recipients(self) -> set[str]:
        with self.arrived:
            return {rcpt for envelope, _ in self.messages for rcpt in envelope.rcpt_tos}


class _LoopbackController(Controller):
    def _trigger_server(self) -> None:  # learn the port the system chose before aiosmtpd's self-check
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def mail_server(tmp_path: Path) -> Iterator[tuple[Inbox, ServerProcess]]:
    inbox = Inbox()
    controller = _LoopbackController(inbox, hostname="127.0.0.1", port=0)
    controller.start()
    server = ServerProcess(
        tmp_path, "--verification", "smtp", "--smtp-host", "127.0.0.1", "--smtp-port", str(controller.port)
    )
    try:
        yield inbox, server
    finally:
        server.stop()
        controller.stop()


@pytest.fixture
def outbox_server(tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path, "--verification", "file")
    try:
        yield server
    finally:
        server.stop()


def outbox_code(data_dir: Path, address: str, count: int) -> str:
    """The code of the ``count``-th letter (1-based, oldest first) in the outbox for ``address``."""
    letters = [p.read_text() for p in sorted((data_dir / "outbox").glob("*.txt"))]  # named by time
    codes = [re.search(r"code: (\d{6})", text).group(1) for text in letters if f"email: {address}\n" in text]
    assert len(codes) >= count, f"{len(codes)} codes for {address}"
    return codes[count - 1]  # type: ignore[return-value]


def by_mail(client: WireClient, person: Person, inbox: Inbox) -> None:
    before = len(inbox.to(person.email))
    person.start(client)
    code = inbox.code_for(person.email, before + 1)
    client.call("register_finish", **person.finish_args(code))


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_an_attacker_never_gets_a_code_for_a_registered_number_and_the_account_survives(
    mail_server: tuple[Inbox, ServerProcess],
) -> None:
    inbox, server = mail_server
    victim = Person(fresh_phone(), email="victim@example.org")
    friend = Person(fresh_phone(), email="friend@example.org")
    by_mail(WireClient(server.address), victim, inbox)
    by_mail(WireClient(server.address), friend, inbox)
    v, f = WireClient(server.address), WireClient(server.address)
    victim.login(v)
    friend.login(f)
    f.call("send", to=victim.phone, client_id="m-1", body=b"waiting for the victim")
    v.wait_push("message")  # pushed, not acknowledged: it stays queued

    attacker = Person(victim.phone, email="attacker@evil.example")
    a = WireClient(server.address, source=STRANGER)
    started = attacker.start(a)
    assert started["existing"] is True and started["lock"] is False
    assert started["sent_to"] == "v\u2022\u2022\u2022@example.org"
    told = v.wait_push("reregistration_requested").body
    assert told["sent_to"] == "v\u2022\u2022\u2022@example.org" and isinstance(told["ts"], int)
    owners_code = inbox.code_for("victim@example.org", 2)  # the code went to the address on file
    guesses = [a.refused("register_finish", **attacker.finish_args(wrong(owners_code))) for _ in range(5)]
    assert guesses == ["wrong_code"] * 4 + ["code_locked"]
    assert a.refused("register_finish", **attacker.finish_args(owners_code)) == "code_locked"

    assert "attacker@evil.example" not in inbox.recipients()
    assert v.call("ping")["time"] > 0 and not v.closed_by_server  # still logged in
    bundle = PreKeyBundle.from_json(f.call("get_bundle", phone=victim.phone)["bundle"])
    assert bundle.identity == victim.identity.public
    [queued] = v.call("fetch")["messages"]
    assert queued["from"] == friend.phone
    again = WireClient(server.address)
    assert victim.login(again)["queued"] == 1  # the keys still log in (and end the old connection)


def test_a_strangers_starts_and_guesses_never_touch_the_owners_code(outbox_server: ServerProcess) -> None:
    server = outbox_server
    number = fresh_phone()
    owner, stranger = Person(number, email="owner@example.org"), Person(number, email="stranger@example.org")
    o, s = WireClient(server.address), WireClient(server.address, source=STRANGER)
    owner.start(o)
    owners_token = owner.token
    for _ in range(5):  # as many starts as a requester may make
        stranger.start(s)
    assert s.refused("register_start", phone=number, email=stranger.email) == "rate_limited"
    code = outbox_code(server.data_dir, "stranger@example.org", 5)
    guesses = [s.refused("register_finish", **stranger.finish_args(wrong(code))) for _ in range(5)]
    assert guesses == ["wrong_code"] * 4 + ["code_locked"]
    assert s.refused("register_finish", **stranger.finish_args("000000", bytes(32))) == "no_code"
    # The owner's code is untouched, and the owner may still ask for codes.
    assert o.call("register_start", phone=number, email=owner.email)["existing"] is False
    owners_code = outbox_code(server.data_dir, "owner@example.org", 1)
    reply = o.call("register_finish", **owner.finish_args(owners_code, owners_token))
    assert reply == {"phone": number, "replaced": False}
    owner.login(WireClient(server.address))


def test_the_owner_moves_to_new_keys_with_a_statement_signed_by_the_old_ones(
    outbox_server: ServerProcess,
) -> None:
    server = outbox_server
    alice = Person(fresh_phone(), email="alice@example.org")
    c = WireClient(server.address)
    alice.start(c)
    c.call("register_finish", **alice.finish_args(outbox_code(server.data_dir, alice.email, 1)))
    old = WireClient(server.address)
    alice.login(old)

    mallory = IdentityKeyPair.generate()
    thief = Person(alice.phone)
    t = WireClient(server.address, source=STRANGER)
    assert t.refused("register_finish", **thief.move_args(t, mallory)) == "proof_failed"
    new_alice = Person(alice.phone)
    n = WireClient(server.address)
    moved = new_alice.move_args(n, alice.identity)
    replay = WireClient(server.address)
    replay.call("challenge", phone=alice.phone)  # its own nonce: the recorded proof is for another one
    assert replay.refused("register_finish", **moved) == "proof_failed"
    assert n.call("register_finish", **moved) == {"phone": alice.phone, "replaced": True}
    assert n.refused("register_finish", **moved) == "proof_failed"  # the nonce was used up
    assert old.wait_push("session_ended").body == {"reason": "re_registered"}
    assert new_alice.login(WireClient(server.address))["phone"] == alice.phone
    stale = WireClient(server.address)
    assert stale.refused("login", phone=alice.phone, signature=bytes(64)) == "login_failed"


def test_a_registration_lock_stops_a_code_alone_and_takes_few_guesses(outbox_server: ServerProcess) -> None:
    server = outbox_server
    alice = Person(fresh_phone(), email="alice@example.org")
    c = WireClient(server.address)
    alice.start(c)
    c.call("register_finish", **alice.finish_args(outbox_code(server.data_dir, alice.email, 1)))
    online = WireClient(server.address)
    alice.login(online)
    assert online.call("set_registration_lock", lock=LOCK) == {"lock": True}

    # The owner on a new device, with the code from the mailbox: the lock is asked for, then passes.
    new_alice = Person(alice.phone, email="ignored@example.org")
    n = WireClient(server.address)
    assert new_alice.start(n)["lock"] is True
    code = outbox_code(server.data_dir, alice.email, 2)
    assert n.refused("register_finish", **new_alice.finish_args(code)) == "lock_required"
    assert n.refused("register_finish", **new_alice.finish_args(code), lock="wrong horse") == "wrong_lock"
    assert n.call("register_finish", **new_alice.finish_args(code), lock=LOCK)["replaced"] is True
    assert online.wait_push("session_ended").body == {"reason": "re_registered"}
    owner = WireClient(server.address)
    new_alice.login(owner)

    # Someone who reads the owner's mail still needs the lock, and gets five tries in all.
    thief = Person(alice.phone, email="thief@evil.example")
    t = WireClient(server.address, source=STRANGER)
    assert thief.start(t)["lock"] is True  # the lock was kept
    stolen = outbox_code(server.data_dir, alice.email, 3)
    tries = [t.refused("register_finish", **thief.finish_args(stolen), lock=f"guess {n}") for n in range(5)]
    assert tries == ["wrong_lock"] * 4 + ["lock_blocked"]
    assert t.refused("register_finish", **thief.finish_args(stolen), lock=LOCK) == "lock_blocked"
    assert owner.call("ping")["time"] > 0 and not owner.closed_by_server
    bundle = PreKeyBundle.from_json(owner.call("get_bundle", phone=alice.phone)["bundle"])
    assert bundle.identity == new_alice.identity.public
    logs = "".join(server.stderr_lines)
    assert LOCK not in logs and "guess" not in logs
