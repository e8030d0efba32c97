"""Theirs: download a blob in a window of pieces, checking every chunk as it comes, then the digest.

The bytes land in ``files/<name>.part`` in order, and each piece goes through a
:class:`~crypto_core.stream.StreamDecryptor` (its plaintext dropped at once) and a SHA-256
before it is written: a flipped byte fails the chunk it is in, so nothing damaged is kept. Only
when the stream's last chunk opens and the digest equals the announced one (compared in constant
time) is the ``.part`` synced and renamed ``.sealed``, and the attachment DONE. A failure of
either is FAILED, in words, and the ``.part`` is removed; the message stays.

A restart finds the ``.part`` and checks it again through a fresh decryptor, a few pieces per
turn (:data:`~net.client.core.transfer_plan.VERIFY_STEP`), then asks the server for the rest.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import IO, Any

from crypto_core.encoding import b64decode
from crypto_core.errors import DecryptionError
from crypto_core.stream import StreamDecryptor, read_fully
from net.client.core import transfer_plan as plan
from net.client.core.events import TransferState
from net.client.core.transfer_plan import Next, Window
from net.client.transfer_job import Job
from net.client.transport import ServerConnection
from net.protocol import blob_replies
from net.protocol.connection import ErrorReply
from storage.profile.header import fsync_folder


class Download(Job):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._part: IO[bytes] | None = None
        self._opener: StreamDecryptor | None = None
        self._hash = hashlib.sha256()
        self.have = 0
        #: Bytes of the ``.part`` not yet checked again after a restart.
        self._unchecked = 0
        self._pieces: dict[int, bytes] = {}

    def runnable(self, conn: ServerConnection | None) -> bool:
        if self.waiting():
            return False
        if self._opener is None or self._unchecked:
            return True
        return conn is not None and self.window is not None and bool(self.window.wanted())

    def step(self, conn: ServerConnection | None) -> None:
        if self.waiting():
            return
        if self.state is TransferState.WAITING:
            self.save(state=TransferState.DOWNLOADING.value)
        try:
            if self._opener is None:
                self._open()
            if self._unchecked:
                self._check_part()
                return
        except OSError as exc:
            if not self.disk_full(exc):
                raise
            return
        if conn is None:
            self.reconnected(None)
            return
        if self.reconnected(conn) or self.window is None:
            self._pieces.clear()
            self.window = Window(self.total, next=self.have, piece=plan.piece_for(conn.max_frame))
        if not self._collect(conn):
            return
        try:
            self._take_pieces()
        except OSError as exc:
            if not self.disk_full(exc):
                raise
            return
        if self.finished:
            return
        blob = str(self.spec.get("blob", ""))
        for offset, length in self.window.wanted():
            request_id = conn.send("blob_get", blob=blob, offset=offset, length=length)
            self.window.sent(request_id, (offset, length))
            self.calls[request_id] = "get"

    def _collect(self, conn: ServerConnection) -> bool:
        """Keep the pieces that arrived; False when the download stopped (refused, or failed)."""
        assert self.window is not None
        for request_id, _kind, reply in self.replies(conn):
            if isinstance(reply, ErrorReply):
                self._refused(reply.code)
                return False
            offset, length = self.window.answered(request_id)
            got = self.parse(conn, blob_replies.BLOB_GET, reply)
            if got.size != self.total:
                self.fail("bad_size")
                return False
            if len(got.data) != length:
                self.fail("damaged")
                return False
            self._pieces[offset] = got.data
        return True

    def _open(self) -> None:
        """Open the ``.part`` (made now if missing) and a fresh decryptor; what it holds is checked again."""
        path = self.store_files.part(self.name)
        self._part = open(path, "a+b")  # noqa: SIM115 - held across turns
        self._opener = StreamDecryptor(b64decode(self.spec.get("key"), what="file key"))
        self._hash = hashlib.sha256()
        self.have = 0
        length = self._part.seek(0, os.SEEK_END)
        if length > self.total:
            self._part.truncate(0)
            length = 0
        self._unchecked = length
        self._part.seek(0)

    def _check_part(self) -> None:
        assert self._part is not None
        data = read_fully(self._part, min(self._unchecked, plan.VERIFY_STEP))
        self._unchecked -= len(data)
        if not data or not self._feed(data, write=False):
            # What the last run left does not check out: it costs only itself, and comes again.
            self._part.truncate(0)
            self._unchecked = 0
            self._opener = StreamDecryptor(b64decode(self.spec.get("key"), what="file key"))
            self._hash = hashlib.sha256()
            self.have = 0
        self._part.seek(0, os.SEEK_END)

    def _feed(self, data: bytes, *, write: bool) -> bool:
        assert self._opener is not None and self._part is not None
        try:
            self._opener.update(data)  # the plaintext is dropped: only its tag matters here
        except DecryptionError:
            return False
        if write:
            self._part.write(data)
        self._hash.update(data)
        self.have += len(data)
        return True

    def _take_pieces(self) -> None:
        while self.have in self._pieces:
            data = self._pieces.pop(self.have)
            if not self._feed(data, write=True):
                self._damaged()
                return
        self.space_back()
        if self.have < self.total:
            self.progress(self.have)
            return
        self._finish()

    def _finish(self) -> None:
        assert self._opener is not None and self._part is not None
        try:
            self._opener.finalize()
        except DecryptionError:
            self._damaged()
            return
        expected = b64decode(self.spec.get("sha256"), what="file digest")
        if not hmac.compare_digest(self._hash.digest(), expected):
            self._damaged()
            return
        self._part.flush()
        os.fsync(self._part.fileno())
        self.close()
        self.store_files.part(self.name).replace(self.store_files.sealed(self.name))
        fsync_folder(self.store_files.folder)
        self.finished = True
        self.save(state=TransferState.DONE.value, done=self.total, error="")

    def _damaged(self) -> None:
        self.close()
        self.store_files.part(self.name).unlink(missing_ok=True)
        self.fail("damaged")

    def _refused(self, code: str) -> None:
        self.give_up_calls()
        self.window = None
        if plan.download_refused(code) is Next.RETRY_LATER:
            self.wait_until = self.ctx.monotonic() + plan.RETRY_AFTER
            return
        self.fail(code)

    def close(self) -> None:
        if self._part is not None:
            self._part.close()
        self._part = None
        self._opener = None
        self._unchecked = 0
