"""File transfers, driven from the engine's loop a bounded piece at a time, beside the chat.

:class:`Transfers` owns one job per attachment on the move (:mod:`net.client.transfer_up` seals
and uploads ours, :mod:`net.client.transfer_down` downloads and checks theirs). Each turn of
the loop (:meth:`Transfers.service`, after the duties) every job does a bounded step: a few
chunks sealed, replies collected without waiting (``take_reply``), the window of pipelined
pieces topped up. So a text typed during a 100 MiB upload goes out in the same turn, behind
at most a window of pieces at the server.

What survives what:

* a dropped connection: the requests in flight are given up; after the next login an upload
  asks ``blob_status`` and goes on from the server's ``received``, a download from its ``.part``;
* the app closing: the rows say where each transfer was; at the next unlock the jobs start
  again (sealing from the start, a download re-checking its ``.part`` first);
* a full disk: the job waits :data:`~net.client.core.transfer_plan.RETRY_AFTER` seconds and tries
  again, the attachment saying so in words, until a write works.

Every change of state is stored first, then reported as :class:`TransferProgress` (throttled
to about ten a second per transfer while bytes move).
"""

from __future__ import annotations

import contextlib
from dataclasses import replace

from net.client.context import Context
from net.client.core.engine_error import EngineError
from net.client.core.events import TransferProgress, TransferState
from net.client.core.standing import Standing
from net.client.core.transfer_plan import Throttle
from net.client.file_views import attachment_view, downloads
from net.client.link import Link
from net.client.outbox import Outbox
from net.client.transfer_down import Download
from net.client.transfer_job import Job
from net.client.transfer_up import Upload
from net.client.transport import ServerConnection
from storage.profile.attachments import MOVING, Located

#: How often the rows are read again for transfers the loop does not hold yet (seconds).
SCAN_EVERY = 1.0


class Transfers:
    def __init__(self, ctx: Context, link: Link, outbox: Outbox) -> None:
        self.ctx = ctx
        self.link = link
        self.outbox = outbox
        self._jobs: dict[int, Job] = {}
        #: Requests of jobs that were stopped: their replies are taken and dropped when they come.
        self._orphans: list[tuple[ServerConnection, int]] = []
        self.throttle = Throttle()
        self._next_scan = 0.0

    def wake(self) -> None:
        """Look at the rows again on the next turn (a command or an arrived message added one)."""
        self._next_scan = 0.0

    @property
    def busy(self) -> bool:
        """A job can go on at once, without waiting for the network: the loop should not sleep."""
        conn = self.connection
        return any(job.runnable(conn) for job in self._jobs.values())

    @property
    def connection(self) -> ServerConnection | None:
        return self.link.conn if self.link.online else None

    # ------------------------------------------------------------------ the loop

    def service(self) -> None:
        now = self.ctx.monotonic()
        if now >= self._next_scan:
            self._next_scan = now + SCAN_EVERY
            self._scan()
        conn = self.connection
        self._drop_orphans(conn)
        for job in list(self._jobs.values()):
            job.step(conn)
            if job.finished:
                self._jobs.pop(job.local_id, None)
                job.close()

    def _scan(self) -> None:
        for found in self.ctx.profile.attachments.moving():
            local_id = found.attachment.message
            down = downloads(found.attachment, found.outgoing)
            if local_id not in self._jobs and (not down or self._may_download(found)):
                self._jobs[local_id] = (Download if down else Upload)(self, found)

    def _may_download(self, found: Located) -> bool:
        """A stranger's file (a message request, an invitation) waits until the person accepts them."""
        profile = self.ctx.profile
        if found.group:
            group = profile.groups.get(found.group)
            return group is not None and group.standing == "member"
        contact = profile.contacts.briefs([found.contact]).get(found.contact)
        return contact is not None and contact.standing == Standing.ACCEPTED.value

    def orphan(self, conn: ServerConnection | None, request_ids: list[int]) -> None:
        if conn is not None:
            self._orphans += [(conn, request_id) for request_id in request_ids]

    def _drop_orphans(self, conn: ServerConnection | None) -> None:
        kept = []
        for owner, request_id in self._orphans:
            if owner is conn and conn is not None and conn.take_reply(request_id) is None:
                kept.append((owner, request_id))
        self._orphans = kept

    # ------------------------------------------------------------------ states and events

    def store(self, located: Located, **changes: object) -> None:
        """Store the attachment's changes (state, done, error, spec, source) and report them."""
        local_id = located.attachment.message
        state = changes.get("state")
        self.ctx.profile.attachments.update(local_id, **changes)  # type: ignore[arg-type]
        self.report(located, force=state is not None)

    def report(self, located: Located, *, force: bool = False, error: str | None = None) -> None:
        """Tell the window where the attachment is; ``error`` overrides the stored words (a full disk
        may refuse to store them)."""
        local_id = located.attachment.message
        stored = self.ctx.profile.attachments.get(local_id)
        view = attachment_view(stored)
        if view is None:
            return
        if error is not None:
            view = replace(view, error=error)
        due = self.throttle.due(local_id, view.state.value, self._now())
        if not (due or force):
            return
        contact = "" if located.group else located.contact
        self.ctx.emit(TransferProgress(located.client_id, contact, located.group, view))

    def _now(self) -> float:
        return self.ctx.monotonic()

    # ------------------------------------------------------------------ the person's commands

    def find(self, message_id: str) -> Located:
        found = self.ctx.profile.attachments.find(message_id)
        if found is None:
            raise EngineError("no_such_transfer", "That message carries no picture or file.")
        return found

    def pause(self, message_id: str) -> None:
        found = self.find(message_id)
        if found.attachment.state not in MOVING:
            raise EngineError("not_moving", "Only a picture or file on its way can be paused.")
        self._stop(found.attachment.message)
        self.store(found, state=TransferState.PAUSED.value, error="")

    def resume(self, message_id: str) -> None:
        """Go on with a paused transfer, try a failed one again, download a cancelled one."""
        found = self.find(message_id)
        state = found.attachment.state
        if state in MOVING or state == TransferState.DONE.value:
            return
        if not downloads(found.attachment, found.outgoing):
            sealed = bool(found.attachment.spec.get("sha256"))
            sealed = sealed and self.ctx.profile.attachments.sealed(found.attachment.file).exists()
            again = TransferState.UPLOADING if sealed else TransferState.PREPARING
        else:
            again = TransferState.WAITING
        self.store(found, state=again.value, error="")
        self.wake()

    def cancel(self, message_id: str) -> None:
        found = self.find(message_id)
        if found.attachment.state in (TransferState.DONE.value, TransferState.CANCELLED.value):
            raise EngineError("not_moving", "This picture or file is not on its way any more.")
        self._stop(found.attachment.message)
        blob = str(found.attachment.spec.get("blob", ""))
        conn = self.connection
        up = not downloads(
            found.attachment, found.outgoing
        )  # a copy of ours from another device: theirs to keep
        if up and blob and conn is not None:
            with contextlib.suppress(EngineError):  # the server's timers remove it anyway
                self.orphan(conn, [conn.send("blob_delete", blob=blob)])
        if not up:
            with contextlib.suppress(FileNotFoundError):
                self.ctx.profile.attachments.part(found.attachment.file).unlink()
        self.store(found, state=TransferState.CANCELLED.value, error="", done=0 if not up else None)

    def _stop(self, local_id: int) -> None:
        job = self._jobs.pop(local_id, None)
        if job is not None:
            job.give_up_calls()  # the replies still coming are taken and dropped
            job.close()

    def close(self) -> None:
        for job in self._jobs.values():
            job.close()
        self._jobs.clear()
