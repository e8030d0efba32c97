"""A lean bench client: the server sees what it sees of a real one, the load tool skips the cryptography.

Registration, the signed-challenge login over TLS 1.3, one ``send`` with a client
id per message, the pushes and the batched ``ack``s are a
:class:`~net.bench.client.BenchClient`'s own; only the body differs. Instead of a
Double Ratchet message it is opaque bytes of exactly the length a sealed message
of the same plaintext size has (:func:`sealed_size` seals one to know it): a
version byte, the sequence number and the send time, then filler drawn once per
client. No bundle is fetched, no PQXDH or ratchet runs, so the load tool costs a
fraction of the server it measures. Both clients of a pair live in one process,
so the recipient checks every byte against its partner: the sender, the length,
the header (a sequence number the partner did send) and the filler; a repeat (by
server id or sequence number) is a duplicate, anything else wrong is counted as
undecryptable, as with the real clients.
"""

from __future__ import annotations

import functools
import os
import struct

from net.bench.client import BenchAccount, BenchClient, Tally
from net.bench.envelope import BadEnvelope

#: Outside the envelope's kinds (0 and 1), so that neither kind of body passes for the other.
LEAN_VERSION = 0x80
_HEAD = struct.Struct(">BQQ")


@functools.cache
def sealed_size(size: int) -> int:
    """The length in bytes of a real bench body (not a session's first) with a ``size``-byte plaintext.

    Sealed for real, once per size and process, with a throwaway PQXDH session: the
    second message, as the first carries PQXDH's initial message.
    """
    sender = BenchClient(BenchAccount("+14155550100"), Tally(), set())
    sender.start_session(BenchAccount("+14155550101").bundle().to_json())
    sender.size = size
    sender.seal(0, 0)
    return len(sender.seal(1, 0))


class LeanClient(BenchClient):
    __slots__ = ("filler",)

    def __init__(self, account: BenchAccount, tally: Tally, dirty: set[BenchClient], size: int) -> None:
        super().__init__(account, tally, dirty)
        self.size = size
        self.filler = os.urandom(sealed_size(size) - _HEAD.size)

    @property
    def can_send(self) -> bool:
        """Paired is enough: there is no session to wait for."""
        return self.partner is not None

    def seal(self, seq: int, sent_ns: int) -> bytes:
        return _HEAD.pack(LEAN_VERSION, seq, sent_ns) + self.filler

    def unseal(self, sender: BenchClient, body: bytes) -> tuple[int, int]:
        if not isinstance(sender, LeanClient) or len(body) != _HEAD.size + len(sender.filler):
            raise BadEnvelope("not the length of the sender's bodies")
        version, seq, sent_ns = _HEAD.unpack_from(body)
        if version != LEAN_VERSION or seq >= sender.next_seq:
            raise BadEnvelope("not a header the sender wrote")
        if memoryview(body)[_HEAD.size :] != sender.filler:
            raise BadEnvelope("not the sender's filler")
        return seq, sent_ns
