"""The server on loopback over real TLS: bad input, authorization, replay, idle timeout, concurrent pushes."""

from __future__ import annotations

import base64
import json
import logging
import shutil
import socket
import ssl
import stat
import threading
import time
from pathlib import Path

import pytest
from conftest import InProcessServer, fresh_phone, start_in_process
from wire_client import Person, WireClient

from crypto_core.keys import OneTimePreKey
from net.bench.engines.postgres import PostgresInstance
from net.protocol.connection import ErrorReply
from net.protocol.frames import encode_frame
from net.protocol.login import sign_login
from net.server.codes import CODE_KEY_FILE
from net.server.limits import Limits
from net.server.tls import ensure_self_signed, fingerprint_of_pem_file


def logged_in(server: InProcessServer) -> tuple[Person, WireClient]:
    person = Person(fresh_phone())
    client = server.connect()
    person.register(client, server.codes)
    person.login(client)
    return person, client


def still_served(client: WireClient) -> None:
    assert "time" in client.call("ping")


ID_TOO_BIG = b'{"id": 1, "op": "hello", "version": 1' + b"0" * 40 + b"}"
MANY_DIGITS = b'{"id": 1, "op": "fetch", "after": ' + b"7" * 5000 + b"}"
BAD_INPUT = {
    "non-UTF-8": (encode_frame(b'{"id": 1, "op": "\xff"}'), "bad_frame", False),
    "non-JSON": (encode_frame(b"{id: 1}"), "bad_frame", False),
    "not an object": (encode_frame(b"[1, 2, 3]"), "bad_frame", False),
    "deeply nested": (encode_frame(b"[" * 200_000 + b"]" * 200_000), "bad_frame", False),
    "a number with thousands of digits": (encode_frame(MANY_DIGITS), "bad_frame", False),
    "unknown op": (encode_frame(b'{"id": 1, "op": "steal"}'), "unknown_op", True),
    "missing field": (encode_frame(b'{"id": 1, "op": "challenge"}'), "bad_request", True),
    "wrongly typed field": (encode_frame(b'{"id": 1, "op": "hello", "version": "1"}'), "bad_request", True),
    "bad base64": (
        encode_frame(b'{"id": 1, "op": "login", "phone": "+442079460958", "signature": "***"}'),
        "bad_request",
        True,
    ),
    "huge number": (encode_frame(ID_TOO_BIG), "bad_request", True),
    "no id": (encode_frame(b'{"op": "hello", "version": 1}'), "bad_request", False),
    "a number that overflows to infinity": (
        encode_frame(b'{"id": 1, "op": "hello", "version": 1, "x": 1e400}'),
        "bad_frame",
        False,
    ),
    "a repeated key": (
        encode_frame(b'{"id": 1, "op": "hello", "version": 1, "version": 2}'),
        "bad_frame",
        False,
    ),
    "a float for an integer": (
        encode_frame(b'{"id": 1, "op": "hello", "version": 1.0}'),
        "bad_request",
        True,
    ),
    "null for an optional field": (
        encode_frame(b'{"id": 1, "op": "hello", "version": 1, "client": null}'),
        "bad_request",
        True,
    ),
    "a bad field before login": (
        encode_frame(b'{"id": 1, "op": "send", "to": "+442079460958", "client_id": "a", "body": "!!"}'),
        "not_logged_in",
        True,
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUT), ids=list(BAD_INPUT))
def test_bad_input_gets_its_error_and_everyone_else_is_served(server: InProcessServer, case: str) -> None:
    data, code, has_id = BAD_INPUT[case]
    _, bystander = logged_in(server)
    bad = server.connect()
    bad.send_raw(data, reply_to=1 if has_id else None)
    if has_id:
        reply = bad.wait_reply(1)
        assert reply.code == code  # type: ignore[union-attr]
    else:
        assert bad.wait_unmatched_error().code == code
    still_served(bystander)
    assert bad.call("hello", version=1)["server"] == "parley"  # the bad client's connection lives on


def test_an_oversized_length_is_answered_and_the_connection_closed(server: InProcessServer) -> None:
    _, bystander = logged_in(server)
    bad = server.connect()
    bad.send_raw((2**31).to_bytes(4, "big"))
    assert bad.wait_unmatched_error().code == "frame_too_large"
    assert bad.wait_closed()
    still_served(bystander)


def test_a_configured_frame_limit_is_enforced(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(limits=Limits(max_frame=1024))
    client = server.connect()
    client.send_raw(
        encode_frame(json.dumps({"id": 1, "op": "hello", "version": 1, "pad": "x" * 2000}).encode())
    )
    assert client.wait_unmatched_error().code == "frame_too_large"
    assert client.wait_closed()


def test_a_truncated_frame_closes_only_that_connection(server: InProcessServer) -> None:
    _, bystander = logged_in(server)
    bad = server.connect()
    bad.send_raw((100).to_bytes(4, "big") + b'{"id": 1')
    socket.socket.shutdown(bad.sock, socket.SHUT_WR)  # end the stream mid-frame
    assert bad.wait_closed()  # PROTOCOL.md: nobody is left to answer, so the server just closes
    still_served(bystander)


def test_a_client_that_does_not_speak_tls_does_not_disturb_others(server: InProcessServer) -> None:
    _, bystander = logged_in(server)
    with socket.create_connection(server.address, timeout=10) as plain:
        plain.sendall(b"\x00\x00\x00\x02{}" * 10)
        plain.settimeout(10)
        with pytest.raises((ConnectionError, socket.timeout, OSError)):
            if plain.recv(1024) == b"":
                raise ConnectionError("closed")
    still_served(bystander)


def test_nothing_but_registration_and_login_before_login(server: InProcessServer) -> None:
    client = server.connect()
    for op, args in [
        ("ping", {}),
        ("fetch", {}),
        ("ack", {"ids": [1]}),
        ("send", {"to": fresh_phone(), "client_id": "c", "body": b"x"}),
        ("get_bundle", {"phone": fresh_phone()}),
        ("upload_prekeys", {}),
        ("prekey_count", {}),
        ("delete_account", {}),
    ]:
        assert client.refused(op, **args) == "not_logged_in", op


def test_a_bool_field_given_as_null_is_refused_after_login(server: InProcessServer) -> None:
    _, client = logged_in(server)
    request = {"id": 900, "op": "send", "to": fresh_phone(), "client_id": "c-null", "body": "AA=="}
    client.send_raw(encode_frame(json.dumps({**request, "transient": None}).encode()), reply_to=900)
    reply = client.wait_reply(900)
    assert reply.code == "bad_request" and "send.transient" in reply.message  # type: ignore[union-attr]
    still_served(client)


def test_nobody_fetches_acknowledges_or_deletes_anothers_messages(server: InProcessServer) -> None:
    alice, a = logged_in(server)
    bob, b = logged_in(server)
    mallory, m = logged_in(server)
    sent = a.call("send", to=bob.phone, client_id="for-bob", body=b"secret")
    b.wait_push()
    assert m.call("fetch") == {"messages": [], "more": False}
    assert m.call("ack", ids=[sent["id"]]) == {"deleted": 0}
    assert m.call("delete_account") == {"deleted": True}
    assert [msg["id"] for msg in b.call("fetch")["messages"]] == [sent["id"]]
    del alice, mallory


def test_nobody_uploads_keys_for_another(server: InProcessServer) -> None:
    alice, a = logged_in(server)
    bob, b = logged_in(server)
    before = b.call("prekey_count")
    extra = [OneTimePreKey.generate(50 + i).public() for i in range(4)]
    uploaded = a.call("upload_prekeys", phone=bob.phone, one_time_prekeys=extra)  # "phone" is no field of it
    assert uploaded["one_time"] == 3 + 4
    assert b.call("prekey_count") == before
    del alice


def test_a_recorded_login_frame_fails_on_a_new_connection(server: InProcessServer) -> None:
    alice = Person(fresh_phone())
    first = server.connect()
    alice.register(first, server.codes)
    nonce_b64 = first.call("challenge", phone=alice.phone)["nonce"]
    signature = sign_login(alice.identity, base64.b64decode(nonce_b64), alice.phone, first.fingerprint)
    request_id, recorded = first.conn.request("login", phone=alice.phone, signature=signature)
    first.send_raw(recorded)
    assert first.wait_reply(request_id).body["phone"] == alice.phone  # type: ignore[union-attr]

    replay = server.connect()
    replay.send_raw(recorded, reply_to=request_id)  # no challenge on this connection
    assert replay.wait_reply(request_id).code == "login_failed"  # type: ignore[union-attr]
    replay.call("challenge", phone=alice.phone)  # a fresh nonce does not help either
    replay.send_raw(recorded, reply_to=request_id)
    assert replay.wait_reply(request_id).code == "login_failed"  # type: ignore[union-attr]


def test_a_wrong_code_five_times_locks_that_code(server: InProcessServer) -> None:
    alice = Person(fresh_phone())
    client = server.connect()
    alice.start(client)
    code = server.codes.last(alice.phone)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    errors = [client.refused("register_finish", **alice.finish_args(wrong)) for _ in range(5)]
    assert errors == ["wrong_code"] * 4 + ["code_locked"]
    assert client.refused("register_finish", **alice.finish_args(code)) == "code_locked"


def test_an_idle_connection_is_closed_and_ping_keeps_one_open(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(limits=Limits(idle_timeout=1.0))
    _, kept = logged_in(server)
    idle = server.connect()
    pacing = threading.Event()  # never set: waiting on it only paces the pings
    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline:
        still_served(kept)
        pacing.wait(0.3)
    assert idle.wait_closed(timeout=5)
    still_served(kept)


def test_pushes_from_many_senders_arrive_whole(server: InProcessServer) -> None:
    bob, b = logged_in(server)
    senders = [logged_in(server) for _ in range(4)]
    errors: list[BaseException] = []

    def send_all(client: WireClient, tag: int) -> None:
        try:
            for i in range(25):
                client.call("send", to=bob.phone, client_id=f"{tag}-{i}", body=bytes([tag]) * 5000)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=send_all, args=(c, n)) for n, (_, c) in enumerate(senders)]
    for t in threads:
        t.start()
    received = {b.wait_push().body["id"] for _ in range(100)}
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(received) == 100
    still_served(b)


def test_stopping_the_server_closes_connections(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory()
    _, client = logged_in(server)
    server.running.stop()
    assert client.wait_closed(timeout=10)


def test_the_server_only_speaks_tls_1_3(server: InProcessServer) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(server.address, timeout=10) as raw, pytest.raises(ssl.SSLError):
        context.wrap_socket(raw)


def test_an_unexpected_failure_costs_one_request_not_the_connection(server: InProcessServer) -> None:
    server.codes.fail_with = RuntimeError("a bug in a code channel")
    client = server.connect()
    reply = client.request("register_start", phone=fresh_phone(), email="a@example.org")
    assert reply.code == "server_error"  # type: ignore[union-attr]
    assert "bug" not in reply.message  # type: ignore[union-attr]
    assert client.call("hello", version=1)["server"] == "parley"


def test_logs_name_connections_and_logins_but_hold_no_secrets(
    server: InProcessServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="parley.server")
    alice, a = logged_in(server)
    bob, b = logged_in(server)
    body = b"an unmistakable ciphertext"
    a.call("send", to=bob.phone, client_id="c1", body=body)
    b.wait_push()
    a.close()
    b.close()
    server.running.stop()
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "connected" in text and "logged in" in text and "disconnected" in text
    secrets = [server.codes.last(alice.phone), server.codes.last(bob.phone), alice.phone, bob.phone]
    secrets += [base64.b64encode(body).decode(), body.decode()]
    assert [s for s in secrets if s in text] == []


def test_a_given_certificate_and_key_are_used(server_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    cert, key = ensure_self_signed(tmp_path / "ca-issued")
    server = server_factory(cert=cert, key=key)
    assert server.fingerprint == fingerprint_of_pem_file(cert)
    assert server.connect().fingerprint == server.fingerprint
    assert not (server.data_dir / "server-cert.pem").exists()


def test_a_silent_tcp_client_is_dropped_after_the_handshake_timeout(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(limits=Limits(handshake_timeout=0.5))
    _, bystander = logged_in(server)
    with socket.create_connection(server.address, timeout=10) as silent:
        assert silent.recv(1) == b""  # closed by the server, well before our own timeout
    still_served(bystander)


def test_a_new_data_directory_is_private(server_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(data_dir=tmp_path / "fresh" / "data")
    assert stat.S_IMODE(server.data_dir.stat().st_mode) == 0o700


BIGGEST_BODY = b"x" * (512 * 1024)


def test_a_client_that_stops_reading_is_closed_and_the_others_are_served(server: InProcessServer) -> None:
    _, sender = logged_in(server)
    slow, slow_client = logged_in(server)  # never reads from here on
    _, bystander = logged_in(server)
    typing = {"to": slow.phone, "client_id": "t", "body": BIGGEST_BODY, "transient": True}  # never stored
    # Bounded: the server's 4 MiB limit and the kernel's buffers fill long before 200 pushes of 700 KB.
    for _ in range(200):
        if not sender.call("send", **typing)["delivered"]:
            break  # the server closed the slow connection, so nobody is online for that phone
        still_served(bystander)
    else:
        raise AssertionError("the client that does not read was never closed")
    still_served(bystander)
    still_served(sender)
    del slow_client


def test_a_handshake_that_never_completes_holds_up_nobody(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(limits=Limits(handshake_timeout=1.0))
    _, bystander = logged_in(server)
    with socket.create_connection(server.address, timeout=10) as stuck:
        stuck.sendall(b"\x16\x03\x01\x02\x00" + b"\x01" * 40)  # the start of a ClientHello, never finished
        still_served(bystander)  # served while the handshake waits
        assert stuck.recv(1) == b""  # then the server gives up on it
    still_served(bystander)


def test_many_clients_at_once_are_all_served(server_factory) -> None:  # type: ignore[no-untyped-def]
    people = [Person(fresh_phone()) for _ in range(30)]
    server = server_factory(limits=Limits(codes_per_address=len(people)))  # all from one address
    clients = [server.connect() for _ in people]
    lookers = [server.connect() for _ in range(150)]  # connections that only say hello
    ready = threading.Barrier(len(people) + len(lookers), timeout=60)
    errors: list[BaseException] = []

    def chat(n: int) -> None:
        try:
            people[n].register(clients[n], server.codes)
            people[n].login(clients[n])
            ready.wait()
            peer = people[(n + 1) % len(people)]
            clients[n].call("send", to=peer.phone, client_id=f"m{n}", body=bytes([n]) * 100)
            assert clients[n].wait_push().body["from"] == people[n - 1].phone
        except BaseException as exc:
            errors.append(exc)

    def look(client: WireClient) -> None:
        try:
            ready.wait()
            assert client.call("hello", version=1)["server"] == "parley"
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=chat, args=(n,)) for n in range(len(people))]
    threads += [threading.Thread(target=look, args=(c,)) for c in lookers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert server.running.server.connection_count() == len(people) + len(lookers)


def test_stop_is_bounded_with_a_client_that_does_not_read_and_a_stuck_handshake(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory()
    _, sender = logged_in(server)
    slow, slow_client = logged_in(server)
    for n in range(8):  # more than the kernel's buffers take: the server holds the rest
        sender.call("send", to=slow.phone, client_id=f"t{n}", body=BIGGEST_BODY, transient=True)
    stuck = socket.create_connection(server.address, timeout=10)
    stuck.sendall(b"\x16\x03\x01\x02\x00")
    stopping = threading.Thread(target=server.running.stop)
    stopping.start()
    stopping.join(15)
    assert not stopping.is_alive()
    assert sender.wait_closed(timeout=10)
    stuck.close()
    del slow_client


# --- the database out of reach: a PostgreSQL store stopped and killed under a running server -------------


def _refused_code(reply: object) -> str:
    assert isinstance(reply, ErrorReply), reply
    return reply.code


def _stored_once_back(client: WireClient, to: str, client_id: str, body: bytes) -> dict[str, object]:
    """The same send again until the server, reconnected to its database by itself, stores it."""
    deadline = time.monotonic() + 30.0
    while True:
        reply = client.request("send", to=to, client_id=client_id, body=body)
        if not isinstance(reply, ErrorReply):
            return reply.body
        assert reply.code == "storage_unavailable", reply
        assert time.monotonic() < deadline, "the server never reached its database again"
        time.sleep(0.2)


@pytest.mark.parametrize("outage", ["stop", "kill"])
def test_a_database_out_of_reach_is_storage_unavailable_and_the_same_connection_works_again(
    tmp_path: Path, outage: str
) -> None:
    database = PostgresInstance.start(tmp_path / "pg")
    server = start_in_process(tmp_path / "server", store=database.create_database("outage"))
    try:
        (_, a), (bob, b) = logged_in(server), logged_in(server)
        first = a.call("send", to=bob.phone, client_id="before", body=b"before")
        database.stop() if outage == "stop" else database.kill()
        assert _refused_code(a.request("send", to=bob.phone, client_id="during", body=b"during")) == (
            "storage_unavailable"
        )
        refused = b.request("fetch")
        assert _refused_code(refused) == "storage_unavailable"
        assert isinstance(refused, ErrorReply) and "cannot reach its database" in refused.message
        still_served(a)  # a ping needs no database: both connections stay open and logged in
        still_served(b)
        database.start_again()
        during = _stored_once_back(a, bob.phone, "during", b"during")
        assert not during["duplicate"]  # the refused send was not kept, so this is its first storing
        assert a.call("send", to=bob.phone, client_id="during", body=b"during")["duplicate"]
        messages = b.call("fetch")["messages"]
        assert [(m["id"], base64.b64decode(m["body"])) for m in messages] == [
            (first["id"], b"before"),
            (during["id"], b"during"),
        ]
        assert b.call("ack", ids=[m["id"] for m in messages])["deleted"] == 2
    finally:
        server.stop()
        database.remove()


def test_two_servers_on_one_postgresql_store_count_limits_together(
    server_factory, tmp_path, postgres_url
) -> None:  # type: ignore[no-untyped-def]
    limits = Limits(codes_per_address=3)
    first = server_factory(store=postgres_url, limits=limits, data_dir=tmp_path / "node-1")
    (tmp_path / "node-2").mkdir(mode=0o700)
    shutil.copy(first.data_dir / CODE_KEY_FILE, tmp_path / "node-2" / CODE_KEY_FILE)  # as the operator does
    second = server_factory(store=postgres_url, limits=limits, data_dir=tmp_path / "node-2")
    one, two = first.connect(), second.connect()
    for client, n in ((one, 1), (two, 2), (one, 3)):
        client.call("register_start", phone=f"+4420794{n:05d}", email="a@example.org")
    for client in (two, one):  # three from this address over both nodes: both refuse the fourth
        assert (
            client.refused("register_start", phone="+442079400009", email="a@example.org") == "rate_limited"
        )


def test_a_server_with_another_code_key_than_its_store_refuses_to_start(
    server_factory, tmp_path, postgres_url
) -> None:  # type: ignore[no-untyped-def]
    server_factory(store=postgres_url, data_dir=tmp_path / "node-1")
    with pytest.raises(ValueError, match=f"copy their {CODE_KEY_FILE}"):
        server_factory(store=postgres_url, data_dir=tmp_path / "node-2")  # made a code key of its own
