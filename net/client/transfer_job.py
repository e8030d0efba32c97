"""What an upload and a download share: the row they move, the requests in flight, waiting, failing.

A job lives in :class:`~net.client.transfers.Transfers` while its attachment moves. Its requests
are written with ``send`` and their replies taken with ``take_reply`` on later turns, never waited
for; a job that meets another connection than the one its requests went out on gives them up
(:meth:`Job.reconnected`) and asks again where it stands.
"""

from __future__ import annotations

import contextlib
import errno
from abc import ABC, abstractmethod
from typing import Any, Protocol, TypeVar

from crypto_core.stream import sealed_size
from net.client.context import STORAGE_FAILURES, Context
from net.client.core import transfer_plan as plan
from net.client.core.events import TransferState
from net.client.core.transfer_plan import Throttle, Window
from net.client.outbox import Outbox
from net.client.transport import MalformedReply, ServerConnection
from net.protocol.connection import ErrorReply, Reply
from net.protocol.errors import RemoteProtocolError
from net.protocol.reply_shapes import Shape
from storage.profile.attachments import Located

T = TypeVar("T")


class Driver(Protocol):
    """What a job uses of :class:`net.client.transfers.Transfers`, which drives it."""

    ctx: Context
    outbox: Outbox
    throttle: Throttle

    def orphan(self, conn: ServerConnection | None, request_ids: list[int]) -> None: ...

    def store(self, located: Located, **changes: object) -> None: ...

    def report(self, located: Located, *, force: bool = False, error: str | None = None) -> None: ...


class Job(ABC):
    def __init__(self, transfers: Driver, located: Located) -> None:
        self.transfers = transfers
        self.ctx = transfers.ctx
        self.located = located
        self.local_id = located.attachment.message
        self.spec: dict[str, Any] = dict(located.attachment.spec)
        self.store_files = self.ctx.profile.attachments
        self.name = located.attachment.file
        self.state = TransferState(located.attachment.state)
        self.done = located.attachment.done
        #: Request id -> what it asked ("start", "status", "put", "finish", "get").
        self.calls: dict[int, str] = {}
        self.conn: ServerConnection | None = None
        self.wait_until = 0.0
        #: The pieces in flight (made again after every drop, refusal or wait).
        self.window: Window | None = None
        self.finished = False
        self.error = ""

    # ------------------------------------------------------------------ the loop

    @property
    def total(self) -> int:
        """The sealed blob's size, from the file's plaintext size."""
        return sealed_size(int(self.spec.get("size", 0)))

    @abstractmethod
    def step(self, conn: ServerConnection | None) -> None:
        """One bounded piece of this transfer's work (an upload's or a download's own)."""

    def runnable(self, conn: ServerConnection | None) -> bool:
        """Work that needs no reply is waiting (sealing, checking a ``.part``, a window to top up)."""
        return False

    def waiting(self) -> bool:
        return self.ctx.monotonic() < self.wait_until

    def reconnected(self, conn: ServerConnection | None) -> bool:
        """True when ``conn`` is another connection than the requests in flight went out on."""
        if conn is self.conn:
            return False
        self.transfers.orphan(self.conn, list(self.calls))
        self.calls.clear()
        self.conn = conn
        return True

    def replies(self, conn: ServerConnection) -> list[tuple[int, str, Reply | ErrorReply]]:
        """The replies that have arrived, in the order the requests went out."""
        found = []
        for request_id, kind in sorted(self.calls.items()):
            reply = conn.take_reply(request_id)
            if reply is not None:
                del self.calls[request_id]
                found.append((request_id, kind, reply))
        return found

    def parse(self, conn: ServerConnection, shape: Shape[T], reply: Reply) -> T:
        """A reply checked against its shape; one that breaks it closes the connection (a drop)."""
        try:
            return shape.parse(reply.body)
        except RemoteProtocolError as exc:
            conn.close()
            raise MalformedReply(exc.code, exc.message) from None

    def give_up_calls(self) -> None:
        """Forget the requests in flight (their replies are dropped when they come) and the window."""
        self.transfers.orphan(self.conn, list(self.calls))
        self.calls.clear()
        self.window = None

    # ------------------------------------------------------------------ states

    def save(self, **changes: object) -> None:
        """Store where the job is and report it (an event at once when the state changes)."""
        state = changes.get("state")
        if isinstance(state, str):
            self.state = TransferState(state)
        if "spec" in changes:
            self.spec = dict(changes["spec"])  # type: ignore[call-overload]
        self.transfers.store(self.located, **changes)

    def progress(self, moved: int) -> None:
        """Bytes moved; stored and reported at most about ten times a second."""
        self.done = moved
        transfers = self.transfers
        if transfers.throttle.due(self.local_id, f"{self.state.value}:bytes", self.ctx.monotonic()):
            self.ctx.profile.attachments.update(self.local_id, done=moved)
            transfers.report(self.located, force=True)

    def fail(self, code: str) -> None:
        self.give_up_calls()
        self.close()
        self.finished = True
        self.save(state=TransferState.FAILED.value, error=plan.words_for(code))

    def disk_full(self, exc: OSError) -> bool:
        """A write that found the disk full: wait and try again (True); any other error is not ours."""
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            return False
        self.give_up_calls()
        self.close()
        self.wait_until = self.ctx.monotonic() + plan.RETRY_AFTER
        self.ctx.profile.note_disk_full()  # the window hears it as from any other write (DiskSpaceChanged)
        if self.error != "disk_full":
            self.error = "disk_full"
            words = plan.words_for("disk_full")
            with contextlib.suppress(*STORAGE_FAILURES):  # the database may be out of room as well
                self.ctx.profile.attachments.update(self.local_id, error=words)
            self.transfers.report(self.located, force=True, error=words)
        return True

    def space_back(self) -> None:
        if self.error == "disk_full":
            self.error = ""
            self.ctx.profile.attachments.update(self.local_id, error="")
            self.transfers.report(self.located, force=True)

    def close(self) -> None:  # noqa: B027 - a job with no open file has nothing to release
        """Release open files (the job may be made again from its row)."""
