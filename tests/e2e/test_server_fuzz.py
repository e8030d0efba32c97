"""A live server in its own process, fed random and mutated frames over TLS for a few seconds.

Two kinds of attacker run at once. Probes send one well-framed payload at a
time, each a valid request bent in one way (an id that is not one, an unknown
op, a field of any type or null, a repeated key, a number beyond a double), and
check the one reply against the order of checks in PROTOCOL.md: frame, JSON,
id, op, login, fields. Vandals send what they like: random bytes, frames with
bytes flipped, cut short, or with absurd lengths, written in random pieces; they
only check that every reply is well formed and never ``server_error``.
Afterwards the server process is still alive and two honest people register
and chat through it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import random
import socket
import ssl
import threading
import time
from pathlib import Path
from typing import Any

from conftest import fresh_phone
from engine_support import pair, run_until
from server_process import ServerProcess
from wire_client import Person, WireClient

from crypto_core.keys import IdentityKeyPair, KemPreKey, OneTimePreKey, SignedPreKey
from net.client.transport import client_context
from net.protocol.connection import ErrorReply, decode_json_object
from net.protocol.errors import ErrorCode
from net.protocol.frames import FrameDecoder, encode_frame
from net.protocol.schema import MAX_REQUEST_ID, OPERATIONS

FUZZ_SECONDS = 4.0
CODES = {code.value for code in ErrorCode}
OPEN_OPS = {name for name, op in OPERATIONS.items() if not op.needs_login}


def _corpus(phone: str) -> list[dict[str, Any]]:
    """One valid request of every operation (keys and all), as JSON objects."""
    identity = IdentityKeyPair.generate()
    keys = {
        "identity": identity.public.to_json(),
        "signed_prekey": SignedPreKey.generate(identity, 1, 0).public().to_json(),
        "kem_last_resort": KemPreKey.generate(identity, 1, last_resort=True).public().to_json(),
        "one_time_prekeys": [OneTimePreKey.generate(i).public().to_json() for i in (1, 2)],
        "kem_prekeys": [KemPreKey.generate(identity, 2, last_resort=False).public().to_json()],
    }
    other = fresh_phone()
    return [
        {"op": "hello", "version": 1, "client": "fuzz"},
        {"op": "register_start", "phone": phone, "email": "fuzz@example.org"},
        {
            "op": "register_finish",
            "phone": phone,
            "token": base64.b64encode(bytes(32)).decode(),
            "code": "000000",
            **keys,
        },
        {"op": "challenge", "phone": phone},
        {"op": "login", "phone": phone, "signature": base64.b64encode(bytes(64)).decode()},
        {"op": "ping"},
        {"op": "get_bundle", "phone": other},
        {"op": "send", "to": other, "client_id": "fz-1", "body": "AAECAw==", "transient": False},
        {"op": "fetch", "limit": 10, "after": 0},
        {"op": "ack", "ids": [1, 2]},
        {"op": "upload_prekeys", "one_time_prekeys": keys["one_time_prekeys"], "kem_prekeys": []},
        {"op": "prekey_count"},
        {"op": "set_signed_prekey", "signed_prekey": keys["signed_prekey"]},
    ]


def _any_json(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.randrange(9 if depth < 2 else 6)
    if roll == 0:
        return None
    if roll == 1:
        return rng.choice([True, False])
    if roll == 2:
        return rng.choice([0, 1, -1, 2**53, 2**64, 7])
    if roll == 3:
        return rng.choice([1.0, 0.5, -2.5e10, 1e300])
    if roll in (4, 5):
        return rng.choice(["", "x", "+442079460958", "AA==", "é" * 40, "0" * 6])
    if roll == 6:
        return [_any_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(["id", "key", "sig", "a"]): _any_json(rng, depth + 1) for _ in range(rng.randrange(4))}


def _probe(rng: random.Random, corpus: list[dict[str, Any]], request_id: int) -> tuple[bytes, str]:
    """A payload bent in one way, and the first check it must fail ("ok": none of the first five)."""
    obj = dict(rng.choice(corpus))
    obj["id"] = request_id
    bend = rng.randrange(7)
    if bend == 0:
        obj["id"] = rng.choice([None, True, 1.0, -1, MAX_REQUEST_ID + 1, "1", [1]])
    elif bend == 1:
        obj["op"] = rng.choice([None, 5, "", "steal", "PING", ["ping"]])
    elif bend == 2:
        del obj["id"]
    elif bend in (3, 4):
        names = [f.name for f in OPERATIONS[obj["op"]].fields]
        if names:
            obj[rng.choice(names)] = _any_json(rng)
    text = json.dumps(obj)
    if bend == 5:  # a repeated key, at the end where a last-wins parser would take it
        text = text[:-1] + ', "' + rng.choice([*obj, "op", "id"]) + '": ' + json.dumps(_any_json(rng)) + "}"
        return text.encode(), "bad_frame"
    if bend == 6:
        text = text[:-1] + ', "x": ' + rng.choice(["1e400", "-1e400", "[1E999]", '{"y": -9e9999}']) + "}"
        return text.encode(), "bad_frame"
    request_id_ok = (
        isinstance(obj.get("id"), int)
        and not isinstance(obj.get("id"), bool)
        and 0 <= obj["id"] <= MAX_REQUEST_ID
    )
    if not request_id_ok:
        return text.encode(), "bad_request"
    op = obj.get("op")
    if not isinstance(op, str) or op not in OPERATIONS:
        return text.encode(), "unknown_op"
    return text.encode(), "ok" if op in OPEN_OPS else "not_logged_in"


def _check_probe(client: WireClient, payload: bytes, expected: str, request_id: int, logged_in: bool) -> None:
    if expected in ("bad_frame", "bad_request"):  # refused before the id is believed: re is null
        client.send_raw(encode_frame(payload))
        error = client.wait_unmatched_error()
        assert error.code == expected, (payload[:200], error)
        return
    client.send_raw(encode_frame(payload), reply_to=request_id)
    reply = client.wait_reply(request_id)
    if expected == "not_logged_in" and logged_in:
        expected = "ok"
    if expected != "ok":
        assert isinstance(reply, ErrorReply) and reply.code == expected, (payload[:200], reply)
    elif isinstance(reply, ErrorReply):
        assert reply.code in CODES - {"server_error", "not_logged_in"}, (payload[:200], reply)


def _run_probes(address: tuple[str, int], corpus: list[dict[str, Any]], seed: int, until: float) -> int:
    rng = random.Random(seed)
    client = WireClient(address)
    checked = 0
    try:
        while time.monotonic() < until:
            request_id = 1000 + checked
            payload, expected = _probe(rng, corpus, request_id)
            _check_probe(client, payload, expected, request_id, logged_in=False)
            checked += 1
    finally:
        client.close()
    return checked


def _vandal_bytes(rng: random.Random, frames: list[bytes]) -> bytes:
    kind = rng.randrange(6)
    if kind == 0:
        return rng.randbytes(rng.randrange(1, 300))
    frame = bytearray(rng.choice(frames))
    if kind == 1:  # flipped bytes inside a frame whose length stays right
        for _ in range(rng.randrange(1, 6)):
            index = rng.randrange(4, len(frame))
            frame[index] = rng.randrange(256)
    elif kind == 2:  # cut short: the rest of the stream is read as its payload
        del frame[rng.randrange(1, len(frame)) :]
    elif kind == 3:  # an absurd length: the server answers frame_too_large and closes
        frame[:4] = rng.choice([0xFFFFFFFF, 2**31, 1024 * 1024 + 1]).to_bytes(4, "big")
    elif kind == 4:
        frame = bytearray(encode_frame(rng.randbytes(rng.randrange(0, 64))))
    return bytes(frame)  # kind 5: a valid frame


class _Vandal:
    """One TLS connection that writes junk in random pieces and reads whatever comes back."""

    def __init__(self, address: tuple[str, int]) -> None:
        raw = socket.create_connection(address, timeout=5)
        self.sock = client_context().wrap_socket(raw)
        self.sock.settimeout(0.005)
        self.frames = FrameDecoder(4 * 1024 * 1024)  # replies may answer ids we never meant: no Connection
        self.closed = False

    def write(self, data: bytes, rng: random.Random) -> None:
        while data and not self.closed:
            cut = rng.randrange(1, len(data) + 1)
            try:
                self.sock.sendall(data[:cut])
            except (OSError, ssl.SSLError):
                self.closed = True
            data = data[cut:]

    def read(self) -> list[str]:
        """The codes of the replies that have arrived ("" for a success); closed once the server hangs up."""
        while not self.closed:
            try:
                data = self.sock.recv(65536)
            except (TimeoutError, ssl.SSLWantReadError):
                break
            except (OSError, ssl.SSLError):
                data = b""
            if not data:
                self.closed = True
            else:
                self.frames.feed(data)
        codes = []
        while (payload := self.frames.next_frame()) is not None:
            reply = decode_json_object(payload)  # the server's own frames must always decode
            assert set(reply) >= {"re", "ok"} and isinstance(reply["ok"], bool), reply
            codes.append("" if reply["ok"] else reply["error"]["code"])
        return codes

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def _run_vandal(address: tuple[str, int], frames: list[bytes], seed: int, until: float) -> list[str]:
    rng = random.Random(seed)
    codes: list[str] = []
    vandal = _Vandal(address)
    try:
        while time.monotonic() < until:
            if vandal.closed:
                vandal.close()
                vandal = _Vandal(address)
            vandal.write(_vandal_bytes(rng, frames), rng)
            codes += vandal.read()
    finally:
        vandal.close()
    return codes


def _register_by_dev_code(client: WireClient, person: Person) -> None:
    code = person.took(client.call("register_start", phone=person.phone, email=person.email))["code"]
    client.call("register_finish", **person.finish_args(code))


def test_a_live_server_survives_seconds_of_junk_and_then_serves_an_honest_pair(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "server", "--dev-codes", "--codes-per-address", "100000")
    try:
        insider = Person(fresh_phone())  # some junk comes from a logged-in connection, to reach the handlers
        setup = WireClient(server.address)
        _register_by_dev_code(setup, insider)
        corpus = _corpus(insider.phone)
        frames = [encode_frame(json.dumps({**obj, "id": i}).encode()) for i, obj in enumerate(corpus)]
        seed = random.SystemRandom().randrange(2**32)
        until = time.monotonic() + FUZZ_SECONDS
        results: dict[str, Any] = {}
        errors: list[BaseException] = []

        def run(name: str, work: Any, *args: Any) -> None:
            try:
                results[name] = work(*args)
            except BaseException as exc:  # the test thread reports it
                errors.append(exc)

        workers = [
            threading.Thread(target=run, args=("probes", _run_probes, server.address, corpus, seed, until)),
            threading.Thread(
                target=run, args=("vandal-1", _run_vandal, server.address, frames, seed + 1, until)
            ),
            threading.Thread(
                target=run, args=("vandal-2", _run_vandal, server.address, frames, seed + 2, until)
            ),
        ]
        for worker in workers:
            worker.start()
        insider.login(setup)
        rng, insider_checked = random.Random(seed + 3), 0
        while time.monotonic() < until:  # junk after login, on a connection that stays in step
            payload, expected = _probe(rng, corpus, 5000 + insider_checked)
            _check_probe(setup, payload, expected, 5000 + insider_checked, logged_in=True)
            insider_checked += 1
        assert "time" in setup.call("ping")
        assert insider_checked > 20
        for worker in workers:
            worker.join(timeout=FUZZ_SECONDS + 30)
        assert not errors, f"seed {seed}: {errors[0]!r}"
        assert all(not worker.is_alive() for worker in workers)
        assert results["probes"] > 20, results["probes"]  # the probes really ran
        vandal_codes = results["vandal-1"] + results["vandal-2"]
        assert vandal_codes and set(vandal_codes) <= CODES | {""}, set(vandal_codes)
        assert "server_error" not in vandal_codes, f"seed {seed}"
        assert server.process.poll() is None, "the server died"
        setup.close()

        alice, bob = pair(tmp_path, server.address, fresh_phone, "alice", "bob")
        alice.engine.add_contact(bob.phone)
        alice.engine.send_text(bob.phone, "still here?")
        run_until(lambda: bob.texts_from(alice.phone) == ["still here?"], [alice, bob])
        bob.engine.send_text(alice.phone, "yes")
        run_until(lambda: alice.texts_from(bob.phone) == ["yes"], [alice, bob])
        alice.close()
        bob.close()
        assert server.process.poll() is None
        assert not [line for line in server.stderr_lines if "Traceback" in line], server.stderr_lines[-20:]
    finally:
        server.stop()
