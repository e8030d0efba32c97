"""The blob operations on the server: start, put, status, finish, get and delete (PROTOCOL.md, "Blobs").

:class:`BlobService` keeps the rules; the store keeps the records and the bytes
(:mod:`storage.server.blobs`). On the loop each request costs at most one piece:
a put writes its bytes in place, a get reads one piece, nothing touches a whole
blob. ``blob_finish`` syncs the file and hashes it through, which is long for a big
blob, so it runs away from the loop (``Outcome.later``, on the pool that sends
e-mail codes); the reply comes once the file, its folder and the finished record are
synced. A blob is found by the SHA-256 of its id, so the id is never stored, and
never logged. A blob that is not the caller's to see is ``blob_not_found``, in the
same words as one that does not exist.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from collections.abc import Callable
from typing import Any

from crypto_core.stream import sealed_size
from net.protocol.blobs import BLOB_ID_BYTES, encode_blob_id
from net.protocol.errors import ErrorCode, RequestRefused
from net.server.limits import Limits, RateLimiter
from net.server.outcome import Outcome
from net.server.presence import Session
from storage.server.interface import ServerStore
from storage.server.records import BlobGone, BlobQuota, BlobRecord

log = logging.getLogger("parley.server")

HOUR = 3600.0
NOT_FOUND = "no such blob (unknown, expired, deleted, not finished, or not yours)"


def blob_key(blob: str) -> bytes:
    """What the store knows a blob by: the SHA-256 of its id (the id itself is a capability)."""
    return hashlib.sha256(blob.encode("ascii")).digest()


def _not_found() -> RequestRefused:
    return RequestRefused(ErrorCode.BLOB_NOT_FOUND, NOT_FOUND)


class BlobService:
    def __init__(
        self,
        store: ServerStore,
        limits: Limits,
        persisted: Callable[[str, int, float], RateLimiter],
        now_ms: Callable[[], int],
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self.store = store
        self.limits = limits
        self._now_ms = now_ms
        self._random = random_bytes
        self._starts = persisted("blob_starts", limits.blob_starts_per_hour, HOUR)
        #: The largest blob: the largest file (``--blob-max-size``) as the app seals it, so that a file of
        #: exactly that size fits.
        self.max_blob = sealed_size(limits.blob_max_size)
        self.handlers: dict[str, Callable[[Session, dict[str, Any]], Outcome]] = {
            "blob_start": self.start,
            "blob_put": self.put,
            "blob_status": self.status,
            "blob_finish": self.finish,
            "blob_get": self.get,
            "blob_delete": self.delete,
        }

    def _idle_deadline(self, now: int) -> int:
        return now + int(self.limits.blob_idle * 1000)

    def _own(self, session: Session, blob: str, now: int) -> BlobRecord:
        """The caller's own live blob, or ``blob_not_found``."""
        found = self.store.blob(blob_key(blob), now)
        if found is None or found.owner != session.phone:
            raise _not_found()
        return found

    def _visible(self, session: Session, blob: str, now: int) -> BlobRecord:
        """A live blob the caller may see: finished, or its own."""
        found = self.store.blob(blob_key(blob), now)
        if found is None or not (found.done or found.owner == session.phone):
            raise _not_found()
        return found

    # ---------------------------------------------------------------- operations

    def start(self, session: Session, args: dict[str, Any]) -> Outcome:
        owner, size = session.phone, args["size"]
        assert owner is not None
        if size > self.max_blob:
            raise RequestRefused(
                ErrorCode.BLOB_TOO_LARGE,
                f"a blob may hold a file of at most {self.limits.blob_max_size} bytes"
                f" sealed: {self.max_blob} bytes",
            )
        if self._starts.exceeded(owner):
            raise RequestRefused(ErrorCode.RATE_LIMITED, "too many uploads started this hour")
        now = self._now_ms()
        blob = encode_blob_id(self._random(BLOB_ID_BYTES))
        expires = now + int(self.limits.blob_lifetime * 1000)
        try:
            self.store.blob_start(
                blob_key(blob),
                owner,
                size,
                now=now,
                expires=expires,
                deadline=min(expires, self._idle_deadline(now)),
                quota=self.limits.blob_quota,
            )
        except BlobQuota as exc:
            raise RequestRefused(
                ErrorCode.BLOB_QUOTA,
                f"this account holds {exc.used} bytes of blobs; at most {self.limits.blob_quota} may be held",
            ) from None
        self._starts.count(owner)  # only a start that holds something counts
        return Outcome({"blob": blob, "expires": expires})

    def put(self, session: Session, args: dict[str, Any]) -> Outcome:
        now = self._now_ms()
        found = self._own(session, args["blob"], now)
        if found.done:
            raise _not_found()
        offset, data = args["offset"], args["data"]
        end = offset + len(data)
        if offset > found.received or end > found.size:
            raise RequestRefused(
                ErrorCode.BLOB_OFFSET,
                f"the server holds {found.received} of {found.size} bytes: put from there, within the size",
            )
        if end <= found.received:  # a repeat: every byte is held already
            return Outcome({"received": found.received})
        skip = found.received - offset  # bytes held are never rewritten
        received = self.store.blob_write(
            found, found.received, memoryview(data)[skip:], deadline=self._idle_deadline(now)
        )
        return Outcome({"received": received})

    def status(self, session: Session, args: dict[str, Any]) -> Outcome:
        found = self._visible(session, args["blob"], self._now_ms())
        return Outcome(
            {"size": found.size, "received": found.received, "done": found.done, "expires": found.expires}
        )

    def finish(self, session: Session, args: dict[str, Any]) -> Outcome:
        found = self._own(session, args["blob"], self._now_ms())
        digest: bytes = args["sha256"]
        reply = {"size": found.size, "expires": found.expires}
        if found.digest is not None:  # a repeat of a finish that matched
            if not hmac.compare_digest(found.digest, digest):
                raise RequestRefused(ErrorCode.BLOB_DIGEST, "the blob is finished with another SHA-256")
            return Outcome(reply)
        if found.received < found.size:
            raise RequestRefused(
                ErrorCode.BLOB_INCOMPLETE,
                f"the server holds {found.received} of {found.size} bytes: put the rest first",
            )
        return Outcome({}, later=lambda: self._seal(found, digest, reply))

    def _seal(self, found: BlobRecord, digest: bytes, reply: dict[str, Any]) -> Outcome:
        """Off the loop: sync, hash, compare, and record the finish (durable before the reply)."""
        try:
            actual = self.store.blob_seal(found)
        except BlobGone:
            raise _not_found() from None
        if not hmac.compare_digest(actual, digest):
            self.store.blob_drop(found)  # its quota is free at once; the sweep removes the bytes
            raise RequestRefused(
                ErrorCode.BLOB_DIGEST,
                "the bytes received do not have this SHA-256: the upload is deleted; start again",
            )
        if not self.store.blob_done(found, digest, self._now_ms()):
            raise _not_found()  # deleted or expired while it was being hashed
        return Outcome(reply)

    def get(self, session: Session, args: dict[str, Any]) -> Outcome:
        found = self._visible(session, args["blob"], self._now_ms())
        if not found.done:
            raise _not_found()
        offset = args["offset"]
        if offset >= found.size:
            raise RequestRefused(
                ErrorCode.BAD_REQUEST, f"blob_get.offset: past the end of the blob ({found.size} bytes)"
            )
        try:
            data = self.store.blob_read(found, offset, args["length"])
        except BlobGone:
            log.error("store: a finished blob's bytes are missing or short")
            raise _not_found() from None
        return Outcome({"data": data, "size": found.size})

    def delete(self, session: Session, args: dict[str, Any]) -> Outcome:
        found = self._own(session, args["blob"], self._now_ms())
        self.store.blob_drop(found)
        return Outcome({})
