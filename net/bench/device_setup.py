"""Setting up people with linked devices for the bench, through the server's real operations.

Each person registers device 1 and logs it in, as in the one-device bench; then each
further device links itself as PROTOCOL.md ("Devices") spells it: ``link_open`` on its
own new connection, ``link_join`` from the logged-in device 1, ``link_device`` with the
link statement signed by the identity and the device's own prekeys, then ``challenge``
and ``login`` signed by its own login key. The bench's accounts are throwaway and both
ends of a link live in one process, so the X25519 handshake keys are real but the
comparison number and the sealed provisioning of the app are left out: the new device
already holds the identity.

Then every pair of devices that will talk (a device with each of its partner's devices
and with its own person's others) gets a session: the device first in the order of the
pair takes the other's bundle (``get_bundle {phone, device}``) and starts PQXDH. The
devices of a couple then send one message each, in that order, so that every responder
has its session before it sends: afterwards every device can send to all its targets.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from net.bench.client import BenchAccount, BenchClient, SetupError, Tally
from net.bench.devices import BenchDevice
from net.bench.link import Address
from net.protocol.connection import ErrorReply, Reply
from net.protocol.devices import MAX_DEVICES, sign_link
from net.protocol.login import login_statement


class WorkerLoop(Protocol):
    """What the setup needs of the worker's loop (net/bench/worker.py), which imports this module."""

    tally: Tally
    dirty: set[BenchClient]

    def flush(self) -> None: ...
    def run_until(self, done: Callable[[], bool], timeout: float, what: str) -> None: ...
    def connect_client(self, client: BenchClient, address: Address) -> None: ...
    def register_and_login(self, clients: list[BenchClient]) -> None: ...
    def acknowledge_all(self, clients: Iterable[BenchClient], timeout: float) -> None: ...


Request = tuple[BenchDevice, str, dict[str, Any]]
#: Requests in flight at once in one setup step.
CHUNK = 500


def _handshake_key() -> bytes:
    """A real X25519 public key for ``link_open`` / ``link_join`` (the bench does not seal with it)."""
    return X25519PrivateKey.generate().public_key().public_bytes_raw()


def _ask(worker: WorkerLoop, requests: list[Request], timeout: float) -> list[dict[str, Any]]:
    """Many requests, any number per device, in flight together; their reply bodies in order."""
    results: list[dict[str, Any]] = []
    for start in range(0, len(requests), CHUNK):
        results.extend(_ask_chunk(worker, requests[start : start + CHUNK], timeout))
    return results


def _ask_chunk(worker: WorkerLoop, chunk: list[Request], timeout: float) -> list[dict[str, Any]]:
    answers: dict[int, dict[str, Any]] = {}
    failures: list[str] = []
    for index, (device, op, args) in enumerate(chunk):

        def handler(reply: Reply | ErrorReply, index: int = index, op: str = op) -> None:
            if isinstance(reply, ErrorReply):
                failures.append(f"{op} refused: {reply.code} ({reply.message})")
            else:
                answers[index] = reply.body

        device.request(handler, op, **args)
    worker.flush()
    worker.run_until(lambda: len(answers) + len(failures) >= len(chunk), timeout, chunk[0][1])
    if failures:
        raise SetupError(f"{len(failures)} of {len(chunk)} requests failed; the first: {failures[0]}")
    return [answers[i] for i in range(len(chunk))]


def link_devices(
    worker: WorkerLoop, firsts: list[BenchDevice], address: Address, timeout: float
) -> list[BenchDevice]:
    """One more device for each of ``firsts`` (logged in), linked and logged in; the new ones."""
    news = []
    for first in firsts:
        account = BenchAccount(first.phone, first.account.identity)
        device = BenchDevice(account, worker.tally, worker.dirty, Ed25519PrivateKey.generate())
        device.size = first.size
        worker.connect_client(device, address)
        news.append(device)
    # The server links no device to an account one of whose devices still logs in with the
    # identity key (every linked device holds it): device 1 gets a login key of its own first.
    rotations: list[Request] = []
    for first in firsts:
        if first.login_key is None:
            first.login_key = Ed25519PrivateKey.generate()
            rotations.append(
                (first, "set_login_key", {"key": first.login_key.public_key().public_bytes_raw()})
            )
    if rotations:
        _ask(worker, rotations, timeout)
    opened = _ask(worker, [(d, "link_open", {"key": _handshake_key()}) for d in news], timeout)
    codes = [body["code"] for body in opened]
    joins: list[Request] = [
        (first, "link_join", {"code": code, "key": _handshake_key()})
        for first, code in zip(firsts, codes, strict=True)
    ]
    _ask(worker, joins, timeout)

    def link(device: BenchDevice, code: str) -> Request:
        assert device.login_key is not None and device.link is not None and device.link.fingerprint
        keys = device.account
        device_key = device.login_key.public_key().public_bytes_raw()
        signature = sign_link(keys.identity, code, device.phone, device_key, device.link.fingerprint)
        fields = keys.registration()  # its own prekeys, signed by the identity
        del fields["identity"]  # the account's already: link_device takes none
        args = {"code": code, "device_key": device_key, "name": b"", "signature": signature, **fields}
        return device, "link_device", args

    linked = _ask(worker, [link(d, c) for d, c in zip(news, codes, strict=True)], timeout)
    for device, body in zip(news, linked, strict=True):
        device.number = int(body["device"])
    login(worker, news, timeout)
    return news


def login(worker: WorkerLoop, devices: list[BenchDevice], timeout: float) -> None:
    """``challenge`` and ``login {phone, device, signature}`` by each device's own login key."""
    nonces = _ask(worker, [(d, "challenge", {"phone": d.phone}) for d in devices], timeout)

    def sign(device: BenchDevice, nonce: str) -> Request:
        assert device.login_key is not None and device.link is not None and device.link.fingerprint
        statement = login_statement(base64.b64decode(nonce), device.phone, device.link.fingerprint)
        args = {"phone": device.phone, "device": device.number, "signature": device.login_key.sign(statement)}
        return device, "login", args

    replies = _ask(worker, [sign(d, n["nonce"]) for d, n in zip(devices, nonces, strict=True)], timeout)
    for device, reply in zip(devices, replies, strict=True):
        if reply.get("device") != device.number:
            raise SetupError(f"login as device {device.number} answered device {reply.get('device')}")


def start_sessions(
    worker: WorkerLoop, couples: list[tuple[list[BenchDevice], list[BenchDevice]]], timeout: float
) -> None:
    """Sessions between every two devices of each couple, and one message from each device in order."""
    orders = []
    pairs: list[tuple[BenchDevice, BenchDevice]] = []
    for mine, theirs in couples:
        for group, other in ((mine, theirs), (theirs, mine)):
            for device in group:
                device.talks_to(other + [d for d in group if d is not device])
        order = mine + theirs
        orders.append(order)
        pairs += [(a, b) for i, a in enumerate(order) for b in order[i + 1 :]]
    bundles = _ask(
        worker, [(a, "get_bundle", {"phone": b.phone, "device": b.number}) for a, b in pairs], timeout
    )
    for (a, b), body in zip(pairs, bundles, strict=True):
        a.start_session_with(b, body["bundle"])
    for step in range(max(len(order) for order in orders)):
        now = time.monotonic_ns()
        for order in orders:
            if step < len(order):
                order[step].send_message(now)
        worker.flush()
        worker.run_until(lambda: worker.tally.settled, timeout, "first messages")
    worker.acknowledge_all([d for order in orders for d in order], timeout)


def setup_devices(
    worker: WorkerLoop, address: Address, phones: list[str], size: int, devices: int, timeout: float
) -> list[BenchDevice]:
    """People with ``devices`` devices each, in couples, every device ready to send to all its targets."""
    if not 1 <= devices <= MAX_DEVICES:
        raise SetupError(f"a person has 1 to {MAX_DEVICES} devices, not {devices}")
    firsts = [BenchDevice(BenchAccount(phone), worker.tally, worker.dirty) for phone in phones]
    for device in firsts:
        device.size = size
        worker.connect_client(device, address)
    worker.register_and_login(list(firsts))
    people = [[first] for first in firsts]
    for _ in range(devices - 1):
        for person, new in zip(people, link_devices(worker, firsts, address, timeout), strict=True):
            person.append(new)
    couples = [(people[i], people[i + 1]) for i in range(0, len(people) - 1, 2)]
    start_sessions(worker, couples, timeout)
    tally, worker.tally = worker.tally, Tally()
    if tally.errors or tally.undecryptable or tally.duplicated or tally.refused:
        raise SetupError(f"starting the devices' sessions went wrong: {tally.errors[:1]}")
    ready = [device for couple in couples for person in couple for device in person]
    for device in ready:
        device.tally = worker.tally
    return ready
