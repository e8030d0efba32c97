"""The operations the server's service and loop need from their store, as a Protocol.

:class:`ServerStore` is everything ``net/`` may call on a store: the accounts,
codes, prekeys, queued ciphertext and blobs (in the records of
:mod:`storage.server.records`), the group commit of one loop turn, the counted
rate events, and the store's full state. Nothing in it names a database: a
store raises the refusals of :mod:`storage.server.records`, a batch whose commit
failed is :class:`~storage.server.records.BatchFailed`, and whether a failure was
for lack of room is asked of the store itself (:meth:`ServerStore.lacks_room`),
so the service never looks at a driver's error codes.

:class:`~storage.server.store.SqliteServerStore` (one file, one server) and
:class:`~storage.server.pg_store.PostgresServerStore` (one database, several servers)
implement the same methods with the same meanings: a write outside a group commit is
durable when it returns, one inside it when the block ends without
:class:`~storage.server.records.BatchFailed`. Whether a failure was the database out of
reach is asked of the store too (:meth:`ServerStore.unreachable`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol, runtime_checkable

from storage.server.records import (
    AccountKeys,
    BlobRecord,
    CopyOutcome,
    DeviceKeys,
    DeviceLogin,
    DeviceRecord,
    Guard,
    RegisteredAccount,
    Registration,
    SendOutcome,
    StoredMessage,
    TakenBundle,
)


class Space(Protocol):
    """The store's full state: while ``full``, the loop refuses requests that only add data."""

    @property
    def full(self) -> bool: ...

    def met_full(self, what: str) -> None:
        """A write failed for lack of room: enter the full state (once)."""

    def check_due(self) -> bool:
        """Whether it is time to look at the free room again (only while full)."""

    def check(self) -> bool:
        """Leave the full state if there is room again; True when it left it."""


class RateEventLog(Protocol):
    """The events the server's rate limits count, kept so that a restart forgets none (times in ms)."""

    def record(self, limiter: str, key: str, at: int, expires_at: int) -> None: ...

    def load(self, limiter: str, now: int) -> Iterator[tuple[str, int, int]]:
        """The (key, at, count) rows of ``limiter`` not yet expired at ``now``, oldest first."""

    def rate_count(self, limiter: str, key: str, since: int) -> int:
        """The events of ``limiter`` for ``key`` after ``since``, counted by every node of the store.

        Inside a group commit it counts that commit's own events too, so a check and the counts
        before it in one turn agree.
        """

    def locked_count(self, limiter: str, key: str, since: int) -> int:
        """:meth:`rate_count` after taking the lock on (limiter, key), held to the group commit's end, so
        another node's check of the key waits until this turn's count after it is committed."""

    def take(self, limiter: str, key: str, since: int, limit: int, at: int, expires_at: int) -> bool:
        """Under that lock, count one event at ``at`` unless ``limit`` came after ``since``; if it did."""

    def glance(self, counts: Sequence[tuple[str, str, int]]) -> list[int]:
        """The counts of several (limiter, key, since) in one query, without a lock or a turn's dependent."""


@runtime_checkable
class ServerStore(Protocol):
    """What the server's service, registrar, limits and loop call on their store; times are ms."""

    @property
    def space(self) -> Space: ...

    @property
    def rate_events(self) -> RateEventLog: ...

    def rate_count(self, limiter: str, key: str, since: int) -> int:
        """The events of ``limiter`` for ``key`` after ``since``, by all nodes (see :class:`RateEventLog`)."""

    # ------------------------------------------------------------ turns and room

    def group_commit(self) -> AbstractContextManager[None]:
        """This thread's writes inside the block share one commit at its end (BatchFailed if it failed)."""

    @property
    def dependents(self) -> int:
        """Writes (and reads of uncommitted writes) so far in the open group commit."""

    @property
    def sync_pending(self) -> bool:
        """Whether the open group commit holds a write its commit must make durable (a send, say)."""

    def lacks_room(self, error: BaseException | None) -> bool:
        """Whether ``error`` (or what caused it) is a write this store refused for lack of room."""

    def unreachable(self, error: BaseException | None) -> bool:
        """Whether ``error`` (or what caused it) is the store out of reach: its database server refused or
        lost the connection, or is restarting. Nothing of the request was kept; it may be tried again."""

    def prune(self, now: int) -> None: ...

    def shared_setting(self, key: str, proposed: str) -> str:
        """The value all nodes of the store agree on under ``key``: the first node's ``proposed`` one.

        A node compares its own with it (the code key's check value, say) to find out that it differs.
        """

    def sweep_expired(self, now: int, limit: int) -> int:
        """Delete up to ``limit`` queued messages expired by ``now``; how many."""

    def close(self) -> None: ...

    # ------------------------------------------------------------------ accounts

    def account(self, phone: str) -> RegisteredAccount | None: ...

    def identity_text(self, phone: str) -> str | None: ...

    def delete_account(self, phone: str) -> bool: ...

    def mark_active(self, phone: str, now: int, device: int = 1) -> None:
        """A login of (phone, device): the account's activity and the device's ``last_seen``, to the hour."""

    # ------------------------------------------------------------------- devices
    # An account has 1 to 5 live devices; ids are never reused; a removed device's row stays (marked).

    def device_ids(self, phone: str) -> list[int]:
        """The account's live device ids, ascending (empty without an account)."""

    def device_login(self, phone: str, device: int) -> DeviceLogin | None:
        """What a login of (phone, device) checks, or None if the account never had that device."""

    def login_states(self, phones: list[str]) -> dict[str, dict[int, tuple[int, bool]]]:
        """Per account of ``phones`` that exists, each device's (login epoch, removed): what a node's sweep
        checks its sessions against (one read for many accounts)."""

    def count_login(self, phone: str, device: int, now: int) -> int:
        """Move (phone, device)'s login epoch on (one more, and at least ``now`` ms) and return it (0 when
        there is no such device): a node of a cluster ends its session of a device only for a login of a
        higher epoch."""

    def add_device(
        self, phone: str, login_key: bytes, name: bytes, keys: DeviceKeys, now: int, *, max_devices: int
    ) -> tuple[int, list[int]]:
        """A new device with the next id and its prekeys: (its id, the live ids).

        TooManyDevices when ``max_devices`` are live; UnknownAccount without the account.
        """

    def device_records(self, phone: str) -> list[DeviceRecord]: ...

    def set_device_name(self, phone: str, device: int, name: bytes) -> None:
        """A live device's sealed name; UnknownAccount if the device is gone."""

    def set_login_key(self, phone: str, device: int, key: bytes) -> None:
        """The live device logs in with ``key`` (Ed25519 public) from now on; UnknownAccount if it is gone."""

    def ever_linked(self, phone: str) -> bool:
        """Whether the account ever had a device past 1 (``next_device`` > 2, or any removed device)."""

    def remove_device(self, phone: str, device: int, now: int) -> list[int]:
        """Unlink a device (keys, prekeys, queue deleted; its row marked): the live ids left.

        DeviceSetChanged (with the live ids) if it is not live; LastDevice for the account's last.
        """

    # ------------------------------------------------------------------- prekeys

    def take_bundle(self, phone: str, *, one_time: bool = True) -> dict[str, Any]:
        """The bundle of the account's lowest live device (see :meth:`take_device_bundle`)."""

    def take_device_bundle(self, phone: str, device: int | None, *, one_time: bool = True) -> TakenBundle:
        """A device's bundle (None: the lowest live id), its one-time prekeys consumed in the same commit.

        UnknownAccount; DeviceSetChanged (with the live ids) for a device the account does not have.
        """

    def add_prekeys(
        self,
        phone: str,
        one_time: list[tuple[int, dict[str, Any]]],
        kem: list[tuple[int, dict[str, Any]]],
        cap: int,
        *,
        replace: bool = False,
        device: int = 1,
    ) -> tuple[int, int]: ...

    def prekey_counts(self, phone: str, device: int = 1) -> tuple[int, int]: ...

    def set_signed_prekey(
        self,
        phone: str,
        signed_prekey: dict[str, Any],
        kem_last_resort: dict[str, Any] | None,
        device: int = 1,
    ) -> None: ...

    # ------------------------------------------------------------------ messages

    def enqueue(
        self,
        sender: str,
        client_id: str,
        recipient: str,
        body: bytes,
        now: int,
        cap: int,
        *,
        per_sender: int | None = None,
        max_bytes: int | None = None,
        expires_at: int = 0,
        device: int = 1,
        sender_device: int = 1,
    ) -> SendOutcome:
        """One copy for (recipient, device); DeviceSetChanged unless ``device`` is the recipient's only one
        (for the sender's own number: its only one but ``sender_device``). Checks in the order duplicate,
        UnknownAccount, DeviceSetChanged, QueueFull."""

    def enqueue_many(
        self,
        sender: str,
        client_id: str,
        copies: Sequence[tuple[str, bytes] | tuple[str, int, bytes]],
        now: int,
        cap: int,
        *,
        per_sender: int | None = None,
        max_bytes: int | None = None,
        max_unknown: int | None = None,
        expires_at: int = 0,
        sender_device: int = 1,
    ) -> list[CopyOutcome]:
        """One copy per (recipient, device, body) (or (recipient, body): device 1) under one client id, in
        one transaction; outcomes in order.

        A recipient's copies are taken together: all stored, or all refused with the same outcome
        (duplicate, UnknownAccount, DeviceSetChanged, QueueFull) while the other recipients' are stored;
        more than ``max_unknown`` unknown recipients raises TooManyUnknown and stores nothing.
        """

    def fetch(
        self, recipient: str, after: int, limit: int, now: int | None = None, device: int = 1
    ) -> tuple[list[StoredMessage], bool]:
        """(recipient, device)'s queue, oldest first, those expired by ``now`` (ms) left out; and whether
        more wait after them."""

    def message(self, recipient: str, device: int, message_id: int, now: int) -> StoredMessage | None:
        """One waiting message of (recipient, device), unexpired at ``now``, or None: what a node pushes on a
        hint that another node stored it."""

    def messages(self, recipient: str, device: int, ids: list[int], now: int) -> list[StoredMessage]:
        """Those of ``ids`` still waiting for (recipient, device) unexpired at ``now``, oldest first: one read
        for a turn's hints of a device."""

    def newest_id(self, recipient: str, device: int) -> int:
        """The highest id waiting for (recipient, device), 0 when none: a node's mark for a fresh login,
        whose client fetches what waits below it itself."""

    def queued_count(self, recipient: str, device: int = 1) -> int: ...

    def ack(self, recipient: str, ids: list[int], device: int = 1) -> int: ...

    # -------------------------------------------------------------- registration

    def put_code(
        self,
        token_hash: bytes,
        phone: str,
        email: str,
        code_hash: bytes,
        now: int,
        expires_at: int,
        attempts: int,
        cap: int,
    ) -> None: ...

    def check_code(self, token_hash: bytes, phone: str, code_hash: bytes, now: int) -> Registration: ...

    def finish_registration(
        self, token_hash: bytes, phone: str, code_hash: bytes, now: int, keys: AccountKeys, *, keep_lock: bool
    ) -> Registration: ...

    def move_account(self, phone: str, now: int, keys: AccountKeys) -> bool: ...

    def guard(self, phone: str) -> Guard | None: ...

    def set_lock(self, phone: str, salt: bytes | None, lock_hash: bytes | None) -> None: ...

    def take_lock_attempt(self, phone: str, now: int, limit: int, refusal_ms: int) -> int | None: ...

    def lock_passed(self, phone: str) -> None: ...

    # --------------------------------------------------------------------- blobs
    # A blob is known by the SHA-256 of its id (``key``); see storage/server/blobs.py for its deadline.

    def blob_start(
        self, key: bytes, owner: str, size: int, *, now: int, expires: int, deadline: int, quota: int
    ) -> BlobRecord:
        """A new unfinished blob; BlobQuota if ``owner``'s live blobs and this one would pass ``quota``."""

    def blob(self, key: bytes, now: int) -> BlobRecord | None:
        """The live blob of ``key`` (``received`` no more than its bytes held), or None."""

    def blob_usage(self, owner: str, now: int) -> int:
        """The declared sizes of ``owner``'s live blobs: what the quota counts."""

    def blob_write(self, blob: BlobRecord, offset: int, data: bytes | memoryview, *, deadline: int) -> int:
        """Write one piece at ``offset`` (≤ ``received``), count it, set the deadline; the new ``received``.

        Writes the bytes in place (never the whole blob); a full disk raises OSError(ENOSPC).
        """

    def blob_read(self, blob: BlobRecord, offset: int, length: int) -> bytes:
        """One piece from ``offset``, clipped at the end; BlobGone if the bytes are missing."""

    def blob_seal(self, blob: BlobRecord) -> bytes:
        """Sync the blob's bytes to the disk and return their SHA-256. Blocking: never on the loop."""

    def blob_done(self, blob: BlobRecord, digest: bytes, now: int) -> bool:
        """Mark it finished (durable when it returns, outside a group commit); False if it died meanwhile."""

    def blob_drop(self, blob: BlobRecord) -> None:
        """The blob is dead from now on (deleted, or its finish did not match)."""

    def sweep_blobs(self, now: int, limit: int) -> int:
        """Remove up to ``limit`` dead blobs, bytes and records; how many were removed."""
