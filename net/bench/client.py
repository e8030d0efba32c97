"""A headless bench client: one account, one connection, one end-to-end session with its partner.

Every message is really encrypted by its sender with the Double Ratchet (the
first one after a real PQXDH start) and really decrypted by its recipient, who
checks every byte, counts duplicates and failures, and acknowledges it. What the
clients of one worker see is summed in one :class:`Tally`; both clients of a pair
live in the same worker, so sent and received can be matched without talking to
other processes. How a body is made and opened is :meth:`BenchClient.seal` and
:meth:`BenchClient.unseal`; the lean clients (net/bench/lean_client.py) change just those.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from crypto_core.errors import CryptoError
from crypto_core.keys import IdentityKeyPair, KemPreKey, OneTimePreKey, PreKeyBundle, SignedPreKey
from crypto_core.pqxdh import InitialMessage, initiate, respond
from crypto_core.ratchet import RatchetSession
from net.bench.envelope import BadEnvelope, plaintext, read_plaintext, unwrap, wrap
from net.bench.link import BenchLink
from net.protocol.client_ids import time_ordered_id
from net.protocol.connection import ErrorReply, Push, Reply


class SetupError(Exception):
    """The server refused or did not answer what the bench needs to start."""


class BenchAccount:
    """The keys of one bench account (kept in memory only: bench accounts are throwaway)."""

    __slots__ = ("phone", "email", "identity", "signed_prekey", "one_time_prekey", "kem_last_resort")

    def __init__(self, phone: str, identity: IdentityKeyPair | None = None) -> None:
        """A new account, or with ``identity`` another device of one: the same identity, its own prekeys."""
        self.phone = phone
        self.email = f"bench{phone[1:]}@example.org"
        self.identity = identity or IdentityKeyPair.generate()
        self.signed_prekey = SignedPreKey.generate(self.identity, 1, int(time.time()))
        self.one_time_prekey: OneTimePreKey | None = OneTimePreKey.generate(1)
        self.kem_last_resort = KemPreKey.generate(self.identity, 1, last_resort=True)

    def registration(self) -> dict[str, Any]:
        """The key fields of ``register_finish``."""
        assert self.one_time_prekey is not None
        return {
            "identity": self.identity.public,
            "signed_prekey": self.signed_prekey.public(),
            "kem_last_resort": self.kem_last_resort.public(),
            "one_time_prekeys": [self.one_time_prekey.public()],
        }

    def bundle(self) -> PreKeyBundle:
        """The bundle the server hands out for this account (while its one-time prekey lasts)."""
        assert self.one_time_prekey is not None
        return PreKeyBundle(
            self.identity.public,
            self.signed_prekey.public(),
            self.kem_last_resort.public(),
            self.one_time_prekey.public(),
        )

    def accept(self, initial: InitialMessage) -> RatchetSession:
        """Bob's side of PQXDH for ``initial``, and his ratchet; the one-time prekey is used up."""
        otk = self.one_time_prekey if initial.one_time_prekey_id is not None else None
        result = respond(
            self.identity,
            initial,
            signed_prekey=self.signed_prekey,
            kem_prekey=self.kem_last_resort,
            one_time_prekey=otk,
        )
        if result.used_one_time_prekey_id is not None:
            self.one_time_prekey = None
        return RatchetSession.responder(result.shared_key, result.associated_data, self.signed_prekey.private)


@dataclass
class Tally:
    """What one worker's clients did in one phase; times are ``time.monotonic_ns``."""

    window_start: int = 0
    window_end: int = 0
    sent: int = 0
    accepted: int = 0
    refused: int = 0
    received: int = 0
    duplicated: int = 0
    undecryptable: int = 0
    delivered_in_window: int = 0
    #: Copies stored and copies decrypted: one per message with one device, one per device with more.
    copies_accepted: int = 0
    copies_received: int = 0
    copies_in_window: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: Called with the sender of each message delivered, so a closed loop can send the next one.
    on_delivered: Callable[[BenchClient], None] | None = None

    @property
    def settled(self) -> bool:
        """Every message sent has its reply, and every one accepted has arrived."""
        return self.accepted + self.refused == self.sent and self.received >= self.accepted


class BenchClient:
    __slots__ = (
        "account", "link", "partner", "session", "initial", "next_seq", "in_flight",
        "seen_seqs", "seen_ids", "seen_bodies", "acks", "acks_since", "tally", "dirty", "size",
    )  # fmt: skip

    def __init__(self, account: BenchAccount, tally: Tally, dirty: set[BenchClient]) -> None:
        self.account = account
        self.link: BenchLink | None = None
        self.partner: BenchClient | None = None
        self.session: RatchetSession | None = None
        self.initial: InitialMessage | None = None
        self.next_seq = 0
        self.in_flight = 0
        self.seen_seqs: set[int] = set()
        self.seen_ids: set[int] = set()
        #: Hashes of bodies already taken: the same ciphertext under a new id is a duplicate too.
        self.seen_bodies: set[int] = set()
        self.acks: list[int] = []
        self.acks_since = 0.0
        self.tally = tally
        self.dirty = dirty
        self.size = 64

    @property
    def phone(self) -> str:
        return self.account.phone

    def request(self, handler: Callable[[Reply | ErrorReply], None], op: str, **args: Any) -> None:
        assert self.link is not None
        self.link.request(handler, op, **args)
        self.dirty.add(self)

    # ------------------------------------------------------------------ sending

    def start_session(self, bundle: dict[str, Any]) -> None:
        """Alice's PQXDH with the partner's bundle; the initial message rides on the first message."""
        result = initiate(self.account.identity, PreKeyBundle.from_json(bundle))
        self.session = RatchetSession.initiator(
            result.shared_key, result.associated_data, result.peer_ratchet_key
        )
        self.initial = result.initial_message

    @property
    def can_send(self) -> bool:
        return self.session is not None and self.session.can_send

    def send_message(self, sent_ns: int) -> None:
        assert self.partner is not None
        seq = self.next_seq
        self.next_seq += 1
        body = self.seal(seq, sent_ns)
        self.in_flight += 1
        self.tally.sent += 1
        client_id = time_ordered_id("m-", time.time_ns() // 1_000_000, os.urandom)  # as an app would
        self.request(self._sent, "send", to=self.partner.phone, client_id=client_id, body=body)

    def seal(self, seq: int, sent_ns: int) -> bytes:
        """The body of message ``seq``: its plaintext through the ratchet (the first with PQXDH's start)."""
        assert self.session is not None
        body = wrap(self.session.encrypt(plaintext(seq, sent_ns, self.size)), self.initial)
        self.initial = None
        return body

    def _sent(self, reply: Reply | ErrorReply) -> None:
        if isinstance(reply, Reply):
            self.tally.accepted += 1
            self.tally.copies_accepted += 1
        else:
            self.tally.refused += 1
            self.in_flight -= 1
            self.tally.errors.append(f"send refused: {reply.code}")

    # ---------------------------------------------------------------- receiving

    def receive(self, push: Push, now_ns: int) -> None:
        if push.kind == "prekeys_low":  # the bench's accounts publish one prekey and never refill
            return
        if push.kind != "message":
            self.tally.errors.append(f"unexpected push: {push.kind}")
            return
        message_id = push.body["id"]
        if not self.acks:
            self.acks_since = now_ns
        self.acks.append(message_id)
        tally = self.tally
        if message_id in self.seen_ids:
            tally.duplicated += 1
            return
        self.seen_ids.add(message_id)
        encoded = push.body.get("body")
        fingerprint = hash(encoded)
        if fingerprint in self.seen_bodies:
            tally.duplicated += 1
            return
        sender = self.partner
        try:
            if sender is None or push.body.get("from") != sender.phone or not isinstance(encoded, str):
                raise BadEnvelope("from a stranger")
            seq, sent_ns = self.unseal(sender, base64.b64decode(encoded))
        except (BadEnvelope, CryptoError, ValueError):
            tally.undecryptable += 1
            return
        self.seen_bodies.add(fingerprint)
        if seq in self.seen_seqs:
            tally.duplicated += 1
            return
        self.seen_seqs.add(seq)
        tally.received += 1
        tally.copies_received += 1
        sender.in_flight -= 1
        if tally.window_start <= now_ns < tally.window_end:
            tally.delivered_in_window += 1
            tally.copies_in_window += 1
        if tally.window_start <= sent_ns < tally.window_end:
            tally.latencies_ms.append((now_ns - sent_ns) / 1e6)
        if tally.on_delivered is not None:
            tally.on_delivered(sender)

    def unseal(self, sender: BenchClient, body: bytes) -> tuple[int, int]:
        """(seq, send time) of a body from ``sender`` that opened and checked; anything else raises."""
        initial, ratchet_message = unwrap(body)
        if initial is not None and self.session is None:
            self.session = self.account.accept(initial)
        if self.session is None:
            raise BadEnvelope("no session")
        return read_plaintext(self.session.decrypt(ratchet_message))

    def send_acks(self, most: int) -> None:
        """Acknowledge what has arrived, at most ``most`` ids to a request."""
        ids, self.acks = self.acks, []
        for start in range(0, len(ids), most):
            self.request(self._acked, "ack", ids=ids[start : start + most])

    def _acked(self, reply: Reply | ErrorReply) -> None:
        if isinstance(reply, ErrorReply):
            self.tally.errors.append(f"ack refused: {reply.code}")
