"""Ours: seal the local copy a few chunks per turn, upload it in a window of pieces, then announce it.

PREPARING reads the source file :data:`~net.client.core.transfer_plan.SEAL_STEP` bytes per turn
through a :class:`~crypto_core.stream.StreamEncryptor` into ``files/<name>.part``, hashing the
sealed bytes; at the end it is synced and renamed ``.sealed`` and its digest stored (a restart
seals again from the start, under the same key). UPLOADING asks ``blob_start`` (or, with a blob
already, ``blob_status``), keeps up to a window of ``blob_put`` pieces in flight, then
``blob_finish`` with the digest; its yes stores the announcing text in the outbox (1:1) or one copy
per member (a group) in the same transaction that makes the attachment DONE.
"""

from __future__ import annotations

import hashlib
from typing import IO, Any

from crypto_core.encoding import b64decode, b64encode
from crypto_core.stream import StreamEncryptor, read_fully
from net.client import group_fanout, group_log
from net.client.core import transfer_plan as plan
from net.client.core.attachment import FileInfo
from net.client.core.envelope import Text
from net.client.core.events import TransferState
from net.client.core.group_payloads import GroupTag
from net.client.core.transfer_plan import Next, Window
from net.client.file_views import file_info
from net.client.outbox import enqueue_copies, enqueue_text
from net.client.transfer_job import Job
from net.client.transport import ServerConnection
from net.protocol import blob_replies
from net.protocol.connection import ErrorReply, Reply
from storage.profile.header import fsync_folder
from storage.profile.history import GroupChat

_SHAPES: dict[str, Any] = {
    "start": blob_replies.BLOB_START,
    "status": blob_replies.BLOB_STATUS,
    "put": blob_replies.BLOB_PUT,
    "finish": blob_replies.BLOB_FINISH,
}


class Upload(Job):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._source: IO[bytes] | None = None
        self._target: IO[bytes] | None = None
        self._sealer: StreamEncryptor | None = None
        self._hash = hashlib.sha256()
        self._read = 0
        self._sealed: IO[bytes] | None = None
        self._piece_size = plan.piece_for(0x100000)
        self.phase = ""

    def runnable(self, conn: ServerConnection | None) -> bool:
        if self.waiting():
            return False
        if self.state is TransferState.PREPARING:
            return True
        return conn is not None and self.window is not None and bool(self.window.wanted())

    def step(self, conn: ServerConnection | None) -> None:
        if self.waiting():
            return
        if self.state is TransferState.PREPARING:
            self._seal()
            return
        if conn is None:
            self.reconnected(None)
            return
        if self.reconnected(conn) or not self.phase:
            self.window = None
            self.phase = "status" if self.spec.get("blob") else "start"
        for request_id, kind, reply in self.replies(conn):
            if self.finished or self.waiting():
                break
            self._answer(request_id, kind, reply, conn)
        if not self.finished and not self.waiting():
            self._ask(conn)

    # ------------------------------------------------------------------ sealing

    def _seal(self) -> None:
        try:
            if self._sealer is None:
                self._begin_sealing()
            assert self._source is not None and self._target is not None and self._sealer is not None
            data = read_fully(self._source, plan.SEAL_STEP)
        except OSError:
            self.fail("file_unreadable")
            return
        try:
            self._write(self._sealer.update(data))
            self._read += len(data)
            if len(data) == plan.SEAL_STEP:
                return
            self._write(self._sealer.finalize())
            self._target.flush()
            _fsync(self._target)
            self._target.close()
            self._target = None
            self.store_files.part(self.name).replace(self.store_files.sealed(self.name))
            fsync_folder(self.store_files.folder)
        except OSError as exc:
            if not self.disk_full(exc):
                raise
            return
        self.space_back()
        self.close()
        spec = {**self.spec, "size": self._read, "sha256": b64encode(self._hash.digest())}
        self.save(state=TransferState.UPLOADING.value, spec=spec, source="", done=0)

    def _begin_sealing(self) -> None:
        self._source = open(self.located.attachment.source, "rb")  # noqa: SIM115 - held across turns
        self._target = open(self.store_files.part(self.name), "wb")  # noqa: SIM115 - held across turns
        key = b64decode(self.spec.get("key"), what="file key")
        self._sealer = StreamEncryptor(key, random=self.ctx.random)
        self._hash = hashlib.sha256()
        self._read = 0
        self._write(self._sealer.header)

    def _write(self, data: bytes) -> None:
        assert self._target is not None
        self._target.write(data)
        self._hash.update(data)

    # ------------------------------------------------------------------ uploading

    def _ask(self, conn: ServerConnection) -> None:
        self._piece_size = plan.piece_for(conn.max_frame)
        if self.calls and self.phase != "put":
            return  # a start, status or finish is on its way
        blob = str(self.spec.get("blob", ""))
        if self.phase == "start":
            self.calls[conn.send("blob_start", size=self.total)] = "start"
        elif self.phase == "status":
            self.calls[conn.send("blob_status", blob=blob)] = "status"
        elif self.phase == "finish":
            self.calls[conn.send("blob_finish", blob=blob, sha256=self.spec["sha256"])] = "finish"
        elif self.phase == "put" and self.window is not None:
            for offset, length in self.window.wanted():
                data = self._piece(offset, length)
                request_id = conn.send("blob_put", blob=blob, offset=offset, data=b64encode(data))
                self.window.sent(request_id, (offset, length))
                self.calls[request_id] = "put"

    def _piece(self, offset: int, length: int) -> bytes:
        if self._sealed is None:
            self._sealed = open(self.store_files.sealed(self.name), "rb")  # noqa: SIM115 - held across turns
        self._sealed.seek(offset)
        return read_fully(self._sealed, length)

    def _answer(self, request_id: int, kind: str, reply: Reply | ErrorReply, conn: ServerConnection) -> None:
        if isinstance(reply, ErrorReply):
            self._refused(reply.code)
            return
        parsed = self.parse(conn, _SHAPES[kind], reply)
        if kind == "start":
            self.save(spec={**self.spec, "blob": parsed.blob}, done=0)
            self._go_on_from(0)
        elif kind == "status":
            if parsed.done:
                self.phase = "finish"
            else:
                self._go_on_from(parsed.received)
        elif kind == "put" and self.window is not None:
            self.window.answered(request_id)
            self.progress(max(self.done, parsed.received))
            if parsed.received >= self.total and self.window.idle:
                self.phase = "finish"
        elif kind == "finish":
            self._announce()

    def _go_on_from(self, received: int) -> None:
        self.window = Window(self.total, next=received, piece=self._piece_size)
        self.done = received
        self.phase = "put" if received < self.total else "finish"

    def _refused(self, code: str) -> None:
        decision = plan.upload_refused(code)
        self.give_up_calls()
        self.window = None
        if decision is Next.FAIL:
            self.fail(code)
        elif decision is Next.START_OVER:
            self.save(spec={**self.spec, "blob": ""}, done=0)
            self.phase = "start"
        else:
            self.phase = "status"
            if decision is Next.RETRY_LATER:
                self.wait_until = self.ctx.monotonic() + plan.RETRY_AFTER

    def _announce(self) -> None:
        """Queue the text that carries the pointer, in the transaction that makes the upload DONE."""
        ctx = self.ctx
        attachment = ctx.profile.attachments.get(self.local_id)
        file = file_info(attachment)
        located = self.located
        chat = GroupChat(located.group) if located.group else located.contact
        message = ctx.profile.history.get(chat, located.client_id, outgoing=True)
        if file is None or message is None:
            self.fail("blob_not_found")
            return
        with ctx.profile.transaction():
            sent = round(message.timestamp * 1000)
            if located.group:
                _announce_to_group(
                    self, located.group, message.local_id, located.client_id, sent, message.text, file
                )
            else:
                enqueue_text(
                    ctx, located.contact, located.client_id, message.text, sent, located.client_id, file
                )
            self.finished = True
            self.close()
            self.save(state=TransferState.DONE.value, done=self.total, error="")
        self.transfers.outbox.dirty = True

    def close(self) -> None:
        for handle in (self._source, self._target, self._sealed):
            if handle is not None:
                handle.close()
        self._source = self._target = self._sealed = None
        self._sealer = None


def _announce_to_group(
    job: Upload, group_id: str, local_id: int, message_id: str, sent: int, text: str, file: FileInfo
) -> None:
    ctx = job.ctx
    state = group_log.load(ctx, group_id).state
    to = group_fanout.recipients(ctx, state)
    ctx.profile.receipts.expect(local_id, to)
    group_fanout.ensure_members(ctx, to)
    group_fanout.share_name(ctx, to)
    tag = GroupTag(group_id, state.version, state.digest) if state is not None else None
    payload = Text(message_id, sent, text, tag, file)
    enqueue_copies(ctx, to, message_id, payload, group=group_id, message_id=message_id)


def _fsync(handle: IO[bytes]) -> None:
    import os

    os.fsync(handle.fileno())
