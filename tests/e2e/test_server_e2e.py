"""The four protocols of the seed end to end: a real server on loopback, real TLS, real SQLite files,
a real SMTP server for codes, and a real process killed with SIGKILL for durability."""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope
from conftest import InProcessServer, fresh_phone
from server_process import ROOT, ServerProcess
from wire_client import Person, WireClient

from crypto_core.keys import PreKeyBundle
from net.server.verification import SmtpChannel, SmtpSettings


def b64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def online(server: InProcessServer | ServerProcess, person: Person) -> WireClient:
    client = server.connect() if isinstance(server, InProcessServer) else WireClient(server.address)
    person.login(client)
    return client


# ------------------------------------------------------------------ the four protocols


def test_registration_connect_communication_and_waiting_messages(server: InProcessServer) -> None:
    alice, bob = Person(fresh_phone()), Person(fresh_phone())
    a, b = server.connect(), server.connect()
    assert a.call("hello", version=1)["server"] == "parley"
    # 1. registration
    started = alice.start(a)
    assert started["expires_in"] == 600 and started["attempts"] == 5 and "code" not in started
    assert a.call("register_finish", **alice.finish_args(server.codes.last(alice.phone))) == {
        "phone": alice.phone,
        "replaced": False,
    }
    bob.register(b, server.codes)
    # 2. connect
    assert alice.login(a) == {"phone": alice.phone, "queued": 0, "device": 1, "devices": [1]}
    # 3. communication: a bundle, then messages while Bob is offline
    bundle = PreKeyBundle.from_json(a.call("get_bundle", phone=bob.phone)["bundle"])
    bundle.verify()
    assert bundle.identity == bob.identity.public
    assert bundle.one_time_prekey == bob.one_time[0].public()
    ids = [a.call("send", to=bob.phone, client_id=f"m{i}", body=f"c{i}".encode())["id"] for i in range(5)]
    # 4. waiting messages: fetched in pages after login, deleted once acknowledged
    assert bob.login(b)["queued"] == 5
    first = b.call("fetch", limit=3)
    assert [m["id"] for m in first["messages"]] == ids[:3] and first["more"] is True
    rest = b.call("fetch", limit=3, after=ids[2])
    assert [m["id"] for m in rest["messages"]] == ids[3:] and rest["more"] is False
    assert all(m["from"] == alice.phone for m in first["messages"] + rest["messages"])
    assert b64(rest["messages"][-1]["body"]) == b"c4"
    assert b.call("ack", ids=ids) == {"deleted": 5}
    # ...and while Bob is online, a message is pushed at once
    sent = a.call("send", to=bob.phone, client_id="live", body=b"now")
    push = b.wait_push()
    while push.body["id"] != sent["id"]:  # a message sent just before Bob logged in may be pushed too
        push = b.wait_push()
    assert push.body == {
        "id": sent["id"],
        "from": alice.phone,
        "from_device": 1,
        "body": b64encode(b"now"),
        "ts": sent["ts"],
    }


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_one_time_prekeys_run_out_and_the_last_resort_key_takes_over(server: InProcessServer) -> None:
    alice, bob = Person(fresh_phone()), Person(fresh_phone(), one_time_count=1, kem_count=1)
    a = server.connect()
    alice.register(a, server.codes)
    bob.register(server.connect(), server.codes)
    alice.login(a)
    first = PreKeyBundle.from_json(a.call("get_bundle", phone=bob.phone)["bundle"])
    second = PreKeyBundle.from_json(a.call("get_bundle", phone=bob.phone)["bundle"])
    assert first.one_time_prekey is not None and not first.kem_prekey.last_resort
    assert second.one_time_prekey is None and second.kem_prekey == bob.last_resort.public()
    second.verify()


def test_re_registration_replaces_keys_drops_the_queue_and_shows_the_change(server: InProcessServer) -> None:
    alice, bob = Person(fresh_phone()), Person(fresh_phone())
    a = server.connect()
    alice.register(a, server.codes)
    bob.register(server.connect(), server.codes)
    alice.login(a)
    old_bob = online(server, bob)
    a.call("send", to=bob.phone, client_id="before", body=b"old keys")
    old_bob.wait_push()

    new_bob = Person(bob.phone)  # the same number on a new device with new keys
    again = server.connect()
    assert again.refused("register_finish", **new_bob.finish_args("000000", bytes(32))) == "no_code"
    assert new_bob.register(again, server.codes)["replaced"] is True
    assert old_bob.wait_push("session_ended").body == {"reason": "re_registered"}
    assert old_bob.wait_closed()
    assert new_bob.login(again)["queued"] == 0
    bundle = PreKeyBundle.from_json(a.call("get_bundle", phone=bob.phone)["bundle"])
    assert bundle.identity == new_bob.identity.public != bob.identity.public
    stale = server.connect()
    with pytest.raises(Exception, match="login failed"):
        bob.login(stale)  # the old identity key no longer logs in


def test_a_second_login_takes_over_the_account(server: InProcessServer) -> None:
    alice = Person(fresh_phone())
    alice.register(server.connect(), server.codes)
    first = online(server, alice)
    online(server, alice)
    assert first.wait_push("session_ended").body == {"reason": "logged_in_elsewhere"}
    assert first.wait_closed()


def test_a_transient_send_reaches_only_an_online_recipient(server: InProcessServer) -> None:
    alice, bob = Person(fresh_phone()), Person(fresh_phone())
    alice.register(server.connect(), server.codes)
    bob.register(server.connect(), server.codes)
    a = online(server, alice)
    typing = {"to": bob.phone, "body": b"typing", "transient": True}
    assert a.call("send", client_id="t1", **typing) == {"delivered": False}
    b = online(server, bob)
    assert a.call("send", client_id="t2", **typing) == {"delivered": True}
    assert b.wait_push().body["transient"] is True
    assert b.call("fetch")["messages"] == []


def test_delete_account_removes_keys_and_queued_messages(server: InProcessServer) -> None:
    alice, bob = Person(fresh_phone()), Person(fresh_phone())
    alice.register(server.connect(), server.codes)
    bob.register(server.connect(), server.codes)
    a = online(server, alice)
    a.call("send", to=bob.phone, client_id="m1", body=b"x")
    b = online(server, bob)
    assert b.call("delete_account") == {"deleted": True}
    assert b.wait_closed()
    assert a.refused("get_bundle", phone=bob.phone) == "unknown_account"
    assert a.refused("send", to=bob.phone, client_id="m2", body=b"x") == "unknown_account"


def test_a_full_queue_refuses_a_send_with_a_clear_error(server_factory: Any) -> None:
    from net.server.limits import Limits

    server = server_factory(limits=Limits(queue_cap=2))
    alice, bob = Person(fresh_phone()), Person(fresh_phone())
    alice.register(server.connect(), server.codes)
    bob.register(server.connect(), server.codes)
    a = online(server, alice)
    a.call("send", to=bob.phone, client_id="1", body=b"x")
    a.call("send", to=bob.phone, client_id="2", body=b"x")
    reply = a.request("send", to=bob.phone, client_id="3", body=b"x")
    assert reply.code == "queue_full" and "nothing was stored" in reply.message  # type: ignore[union-attr]
    b = online(server, bob)
    assert len(b.call("fetch")["messages"]) == 2


# ------------------------------------------------------------------------ code delivery


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[Envelope, email.message.EmailMessage]] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)  # type: ignore[arg-type]
        with self.arrived:
            self.messages.append((envelope, parsed))  # type: ignore[arg-type]
            self.arrived.notify_all()
        return "250 OK"


class _LoopbackController(Controller):
    def _trigger_server(self) -> None:  # learn the port the system chose before aiosmtpd's self-check
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def smtp_inbox() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    controller = _LoopbackController(inbox, hostname="127.0.0.1", port=0)
    controller.start()
    yield inbox, controller.port
    controller.stop()


def test_the_code_arrives_by_e_mail_over_smtp(server_factory: Any, smtp_inbox: tuple[_Inbox, int]) -> None:
    inbox, port = smtp_inbox
    channel = SmtpChannel(SmtpSettings(host="127.0.0.1", port=port, sender="codes@parley.test"))
    server = server_factory(channel=channel)
    alice = Person(fresh_phone(), email="alice@example.org")
    client = server.connect()
    assert alice.start(client)["channel"] == "smtp"
    with inbox.arrived:
        assert inbox.arrived.wait_for(lambda: inbox.messages, timeout=10)
    envelope, message = inbox.messages[0]
    assert envelope.rcpt_tos == ["alice@example.org"]
    body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    code = re.search(r"\b(\d{6})\b", body).group(1)  # type: ignore[union-attr]
    assert client.call("register_finish", **alice.finish_args(code))["replaced"] is False


class _SlowInbox(_Inbox):
    """An SMTP server that takes the message only once ``gate`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        await asyncio.get_running_loop().run_in_executor(None, self.gate.wait, 30)
        return await super().handle_DATA(server, session, envelope)


def test_a_slow_mail_server_holds_up_only_the_one_who_registers(server_factory: Any) -> None:
    inbox = _SlowInbox()
    controller = _LoopbackController(inbox, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        channel = SmtpChannel(SmtpSettings(host="127.0.0.1", port=controller.port, timeout=30))
        server = server_factory(channel=channel)
        bystander = server.connect()
        registering = server.connect()
        request_id = registering.send_request("register_start", phone=fresh_phone(), email="a@example.org")
        for _ in range(3):  # answered while the code is still on its way
            assert bystander.call("hello", version=1)["server"] == "parley"
        assert inbox.messages == []
        inbox.gate.set()
        assert registering.wait_reply(request_id).body["channel"] == "smtp"  # type: ignore[union-attr]
        assert len(inbox.messages) == 1
    finally:
        inbox.gate.set()
        controller.stop()


def test_a_code_that_cannot_be_e_mailed_is_reported(server_factory: Any) -> None:
    import socket

    with socket.socket() as probe:  # a port with nobody listening
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    channel = SmtpChannel(SmtpSettings(host="127.0.0.1", port=dead_port, timeout=5))
    server = server_factory(channel=channel)
    client = server.connect()
    assert client.refused("register_start", phone=fresh_phone(), email="a@example.org") == "delivery_failed"
    assert client.call("hello", version=1)["server"] == "parley"


# ------------------------------------------------------------------ durability, for real


def dev_register(client: WireClient, person: Person) -> None:
    code = person.start(client)["code"]
    client.call("register_finish", **person.finish_args(code))


def test_acknowledged_messages_survive_sigkill_and_a_retry_is_stored_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    alice, bob = Person(fresh_phone()), Person(fresh_phone())
    first = ServerProcess(data, "--verification", "file", "--dev-codes")
    try:
        a = WireClient(first.address)
        dev_register(a, alice)
        dev_register(a, bob)
        alice.login(a)
        sent = [a.call("send", to=bob.phone, client_id=f"m{i}", body=f"body {i}".encode()) for i in range(20)]
        first.kill()  # no chance to flush or close anything
        a.close()
    finally:
        first.stop()
    second = ServerProcess(data, "--verification", "file", "--dev-codes")
    try:
        assert second.fingerprint == first.fingerprint  # the same key after a restart
        a = online(second, alice)
        retry = a.call("send", to=bob.phone, client_id="m19", body=b"body 19")  # the reply was lost, say
        assert retry == {**sent[19], "duplicate": True}
        b = online(second, bob)
        messages = b.call("fetch", limit=100)["messages"]
        assert [m["id"] for m in messages] == [s["id"] for s in sent]
        assert [b64(m["body"]) for m in messages] == [f"body {i}".encode() for i in range(20)]
        a.close()
        b.close()
    finally:
        second.stop()


def test_an_unacknowledged_push_is_delivered_again_on_the_next_login(server: InProcessServer) -> None:
    alice, bob = Person(fresh_phone()), Person(fresh_phone())
    alice.register(server.connect(), server.codes)
    bob.register(server.connect(), server.codes)
    a = online(server, alice)
    b = online(server, bob)
    sent = a.call("send", to=bob.phone, client_id="m1", body=b"once")
    assert b.wait_push().body["id"] == sent["id"]
    b.close()  # gone before acknowledging
    again = online(server, bob)
    assert [m["id"] for m in again.call("fetch")["messages"]] == [sent["id"]]
    again.call("ack", ids=[sent["id"]])
    third = online(server, bob)
    assert third.call("fetch")["messages"] == []


def test_a_send_retried_after_a_reconnect_is_stored_once(server: InProcessServer) -> None:
    alice, bob = Person(fresh_phone()), Person(fresh_phone())
    alice.register(server.connect(), server.codes)
    bob.register(server.connect(), server.codes)
    a = online(server, alice)
    first = a.call("send", to=bob.phone, client_id="retry-me", body=b"x")
    a.close()
    a2 = online(server, alice)
    assert a2.call("send", to=bob.phone, client_id="retry-me", body=b"x") == {**first, "duplicate": True}
    b = online(server, bob)
    assert len(b.call("fetch")["messages"]) == 1


# ------------------------------------------------------------------ python main.py server


def test_the_server_starts_with_the_defaults_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "xdg"), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "server", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        host, port = re.search(r"listening on (\S+):(\d+)", lines[0]).groups()  # type: ignore[union-attr]
        shown = re.search(r"fingerprint \(SHA-256\): ([0-9A-F ]+)", lines[1]).group(1)  # type: ignore[union-attr]
        assert re.fullmatch(r"Data directory: .+; codes by console\. Ctrl\+C stops\.\n", lines[2])
        client = WireClient((host, int(port)))
        assert client.fingerprint.hex().upper() == shown.replace(" ", "")
        assert client.call("hello", version=1)["dev_codes"] is False
        assert (tmp_path / "xdg" / "Parley" / "server" / "server.sqlite3").exists()
        process.send_signal(2)  # SIGINT, as Ctrl+C sends
        out, err = process.communicate(timeout=30)
        assert process.returncode == 0 and "Stopped." in out
        assert "Traceback" not in err
        assert client.wait_closed()
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=30)


def test_dev_codes_refuse_to_start_on_a_non_loopback_address(tmp_path: Path) -> None:
    command = [sys.executable, str(ROOT / "main.py"), "server", "--port", "0", "--data-dir", str(tmp_path)]
    result = subprocess.run(
        [*command, "--host", "0.0.0.0", "--dev-codes"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--dev-codes" in result.stderr and "loopback" in result.stderr
    assert not (tmp_path / "server.sqlite3").exists()


def test_the_file_channel_puts_the_code_in_the_outbox(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path, "--verification", "file")
    try:
        client = WireClient(server.address)
        alice = Person(fresh_phone())
        assert "code" not in alice.start(client)
        [letter] = list((tmp_path / "outbox").glob("*.txt"))
        code = re.search(r"code: (\d{6})", letter.read_text()).group(1)  # type: ignore[union-attr]
        assert client.call("register_finish", **alice.finish_args(code))["phone"] == alice.phone
        assert server.interrupt() == 0
        logs = "".join(server.stderr_lines)
        assert code not in logs and "connected" in logs
    finally:
        server.stop()
