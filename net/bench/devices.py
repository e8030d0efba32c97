"""A bench client that is one of a person's linked devices: Sesame's fan-out, one session per device pair.

A message from a device goes, in one ``send_many``, to every device of the partner
and, as the sync copy, to every other device of its own person: one body per
device, each sealed with the Double Ratchet session of that pair of devices (the
first after a real PQXDH start with that device's own bundle). Every device that
gets a copy decrypts it and checks every byte; a message counts as received once
all its copies have arrived, and its latency is the time of the last one. Both
people of a pair live in the same worker, so the copies can be matched there.
The sync copy carries the same padded plaintext as the others (an app's would say
"sent to X"; the size and the work are the same).
"""

from __future__ import annotations

import base64
import os
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto_core.errors import CryptoError
from crypto_core.keys import PreKeyBundle
from crypto_core.pqxdh import InitialMessage, initiate
from crypto_core.ratchet import RatchetSession
from net.bench.client import BenchAccount, BenchClient, Tally
from net.bench.envelope import BadEnvelope, plaintext, read_plaintext, unwrap, wrap
from net.protocol.client_ids import time_ordered_id
from net.protocol.connection import ErrorReply, Push, Reply

#: What the server tells a device about linking and its account's devices; the setup has its replies.
QUIET_PUSHES = frozenset({"prekeys_low", "devices_changed", "link_joined", "link_done"})

DeviceKey = tuple[str, int]


class BenchDevice(BenchClient):
    __slots__ = ("number", "login_key", "targets", "peers", "sessions", "initials", "outstanding", "seen")

    def __init__(
        self,
        account: BenchAccount,
        tally: Tally,
        dirty: set[BenchClient],
        login_key: Ed25519PrivateKey | None = None,
    ) -> None:
        super().__init__(account, tally, dirty)
        #: The server's id of this device: 1 for the registered one, the next for each linked one.
        self.number = 1
        #: A linked device's own login key; device 1 logs in with the identity.
        self.login_key = login_key
        #: The partner's devices, then this person's other devices (the sync copies).
        self.targets: list[BenchDevice] = []
        self.peers: dict[DeviceKey, BenchDevice] = {}
        self.sessions: dict[DeviceKey, RatchetSession] = {}
        self.initials: dict[DeviceKey, InitialMessage] = {}
        #: Copies still under way of each message this device sent, by sequence number.
        self.outstanding: dict[int, int] = {}
        #: (sending device, sequence number) of every copy decrypted here.
        self.seen: set[tuple[DeviceKey, int]] = set()

    @property
    def key(self) -> DeviceKey:
        return self.phone, self.number

    def talks_to(self, targets: list[BenchDevice]) -> None:
        self.targets = targets
        self.peers = {t.key: t for t in targets}

    def start_session_with(self, peer: BenchDevice, bundle: dict[str, object]) -> None:
        """PQXDH with that device's bundle; the initial message rides on the first copy to it."""
        result = initiate(self.account.identity, PreKeyBundle.from_json(bundle))
        self.sessions[peer.key] = RatchetSession.initiator(
            result.shared_key, result.associated_data, result.peer_ratchet_key
        )
        self.initials[peer.key] = result.initial_message

    @property
    def can_send(self) -> bool:
        sessions = self.sessions
        return bool(self.targets) and all(
            t.key in sessions and sessions[t.key].can_send for t in self.targets
        )

    # ------------------------------------------------------------------ sending

    def send_message(self, sent_ns: int) -> None:
        seq = self.next_seq
        self.next_seq += 1
        data = plaintext(seq, sent_ns, self.size)
        items = []
        for target in self.targets:
            ratchet_message = self.sessions[target.key].encrypt(data)
            body = wrap(ratchet_message, self.initials.pop(target.key, None))
            items.append({"to": target.phone, "device": target.number, "body": body})
        self.outstanding[seq] = len(items)
        self.in_flight += 1
        self.tally.sent += 1
        client_id = time_ordered_id("m-", time.time_ns() // 1_000_000, os.urandom)

        def sent(reply: Reply | ErrorReply) -> None:
            self._sent_many(reply, seq, len(items))

        self.request(sent, "send_many", client_id=client_id, items=items)

    def _sent_many(self, reply: Reply | ErrorReply, seq: int, copies: int) -> None:
        tally = self.tally
        statuses = (
            [r.get("status") for r in reply.body.get("results", [])] if isinstance(reply, Reply) else []
        )
        if isinstance(reply, Reply) and len(statuses) == copies and all(s == "stored" for s in statuses):
            tally.accepted += 1
            tally.copies_accepted += copies
            return
        tally.refused += 1
        self.in_flight -= 1
        self.outstanding.pop(seq, None)
        why = reply.code if isinstance(reply, ErrorReply) else ", ".join(sorted({str(s) for s in statuses}))
        tally.errors.append(f"send_many refused: {why}")

    # ---------------------------------------------------------------- receiving

    def receive(self, push: Push, now_ns: int) -> None:
        if push.kind in QUIET_PUSHES:
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
        key = (push.body.get("from"), push.body.get("from_device"))
        encoded = push.body.get("body")
        try:
            sender = self.peers.get(key)  # type: ignore[arg-type]
            if sender is None or not isinstance(encoded, str):
                raise BadEnvelope("from a stranger")
            seq, sent_ns = self._open(sender, base64.b64decode(encoded))
        except (BadEnvelope, CryptoError, ValueError):
            tally.undecryptable += 1
            return
        if (sender.key, seq) in self.seen:
            tally.duplicated += 1
            return
        self.seen.add((sender.key, seq))
        tally.copies_received += 1
        in_window = tally.window_start <= now_ns < tally.window_end
        if in_window:
            tally.copies_in_window += 1
        left = sender.outstanding.get(seq, 0) - 1
        if left > 0:
            sender.outstanding[seq] = left
            return
        if left < 0:  # a copy of a message that was refused, or one more than was sent
            tally.errors.append("a copy arrived that was not accepted")
            return
        del sender.outstanding[seq]
        tally.received += 1
        sender.in_flight -= 1
        if in_window:
            tally.delivered_in_window += 1
        if tally.window_start <= sent_ns < tally.window_end:
            tally.latencies_ms.append((now_ns - sent_ns) / 1e6)
        if tally.on_delivered is not None:
            tally.on_delivered(sender)

    def _open(self, sender: BenchDevice, data: bytes) -> tuple[int, int]:
        initial, ratchet_message = unwrap(data)
        session = self.sessions.get(sender.key)
        if initial is not None and session is None:
            session = self.sessions[sender.key] = self.account.accept(initial)
        if session is None:
            raise BadEnvelope("no session")
        return read_plaintext(session.decrypt(ratchet_message))
