"""Two bench clients paired over socket pairs, for tests of what they write and what a recipient counts.

Nothing answers on the other ends: a test reads the request a client wrote as the
server would parse it (:meth:`Pair.sent_by`) and hands the recipient the push the
server would make of it (:meth:`Pair.push_of`), altered as it likes.
"""

from __future__ import annotations

import base64
import socket
from collections.abc import Callable

from net.bench.client import BenchAccount, BenchClient, Tally
from net.bench.link import BenchLink
from net.protocol.connection import NEED_DATA, Connection, Push, Request, Role

#: Makes a client of an account, counting into the tally, marking itself in the set when it has written.
MakeClient = Callable[[BenchAccount, Tally, set[BenchClient]], BenchClient]


class Pair:
    def __init__(self, make: MakeClient = BenchClient) -> None:
        self.tally = Tally(window_start=0, window_end=2**63)
        dirty: set[BenchClient] = set()
        self.alice = make(BenchAccount("+14155550101"), self.tally, dirty)
        self.bob = make(BenchAccount("+14155550102"), self.tally, dirty)
        self.alice.partner, self.bob.partner = self.bob, self.alice
        self._ends = []
        for client in (self.alice, self.bob):
            ours, theirs = socket.socketpair()
            client.link = BenchLink(ours, None)
            self._ends.append(theirs)
        self._next_id = 0

    def close(self) -> None:
        for client in (self.alice, self.bob):
            assert client.link is not None
            client.link.close()
        for end in self._ends:
            end.close()

    def sent_by(self, client: BenchClient) -> Request:
        """The one request ``client`` wrote, as the server would parse it."""
        requests = self.all_sent_by(client)
        assert len(requests) == 1
        return requests[0]

    def all_sent_by(self, client: BenchClient) -> list[Request]:
        """Every request ``client`` wrote since the last look, as the server would parse them."""
        assert client.link is not None
        server = Connection(Role.SERVER)
        server.receive_data(bytes(client.link.out))
        client.link.out.clear()
        requests = []
        while (event := server.next_event()) is not NEED_DATA:
            assert isinstance(event, Request)
            requests.append(event)
        return requests

    def push_of(self, request: Request, sender: BenchClient, body: bytes | None = None) -> Push:
        """The push of ``request``'s message (or of ``body`` instead) under the next server id."""
        self._next_id += 1
        raw = request.args["body"] if body is None else body
        fields = {"id": self._next_id, "from": sender.phone, "body": base64.b64encode(raw).decode(), "ts": 0}
        return Push("message", fields)
