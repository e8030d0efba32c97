"""What the server store takes and gives: plain records, and the refusals it raises.

Bodies are opaque ciphertext and stay out of every repr.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any


class StoreError(Exception):
    """Base of the store's refusals."""


class BatchFailed(StoreError):
    """A group commit could not be committed: none of its writes happened."""


class SyncFailed(StoreError):
    """The disk did not confirm a sync of the store: what was committed since the last good sync may not
    be on it, and no later sync could say otherwise (the kernel reports a failed write-back once). So
    nothing more may be acknowledged: the server stops, as PostgreSQL does, and its restart reads what
    the disk really holds."""


class StoreUnavailable(StoreError):
    """The store could not be opened (its database is unreadable, locked or not a store)."""


class StoreBusy(StoreError):
    """Another server's write held what this one needed (a deadlock or a serialization failure between
    nodes): nothing of this job was kept, and it may be tried again at once."""


class SchemaMismatch(StoreError):
    """The database was made by another version of the server."""


class UnknownAccount(StoreError):
    pass


class QueueFull(StoreError):
    """A cap of the recipient's queue is reached: which one (``cap``), and how much waits there."""

    MESSAGES = "messages"  # the recipient's count of waiting messages
    SENDER = "sender"  # the messages this sender has waiting for this recipient
    BYTES = "bytes"  # the body bytes waiting for the recipient

    def __init__(self, cap: str, waiting: int) -> None:
        super().__init__(f"the {cap} cap is reached ({waiting} waiting)")
        self.cap = cap
        self.waiting = waiting


class TooManyUnknown(StoreError):
    """More recipients of one ``enqueue_many`` were unknown than it might find: nothing was stored."""

    def __init__(self, allowed: int) -> None:
        super().__init__(f"more than {allowed} of the recipients are unknown")
        self.allowed = allowed


class PrekeyLimit(StoreError):
    pass


class DeviceSetChanged(StoreError):
    """The devices named are not the account's current set (or one named is not live): ``devices`` is."""

    def __init__(self, devices: list[int]) -> None:
        super().__init__(f"the account's devices are {devices}")
        self.devices = devices


class TooManyDevices(StoreError):
    """The account has as many live devices as it may."""


class LastDevice(StoreError):
    """The device is the account's last: it is not unlinked (the account is deleted instead)."""


class TooManyCodes(StoreError):
    """The number has as many live codes waiting as it may; none is evicted for a new one."""


class CodeCheck(Enum):
    ACCEPTED = "accepted"
    NO_CODE = "no_code"
    WRONG = "wrong"
    EXPIRED = "expired"
    LOCKED = "locked"
    #: The code is right, but the number now has an account whose address on file is not where it went.
    NOT_OWNER = "not_owner"


@dataclass(frozen=True)
class RegisteredAccount:
    """An account on the server, as its store holds it: the number, the address, its public keys as JSON."""

    phone: str
    email: str
    identity: dict[str, Any]
    signed_prekey: dict[str, Any]
    kem_last_resort: dict[str, Any]


@dataclass(frozen=True)
class AccountKeys:
    """Public keys of a new account, already checked, as JSON dicts; prekeys as (key id, JSON)."""

    identity: dict[str, Any]
    signed_prekey: dict[str, Any]
    kem_last_resort: dict[str, Any]
    one_time_prekeys: list[tuple[int, dict[str, Any]]]
    kem_prekeys: list[tuple[int, dict[str, Any]]]
    #: Device 1's own login key (Ed25519 public); None: it logs in with the identity's sign key.
    login_key: bytes | None = None


@dataclass(frozen=True)
class Registration:
    outcome: CodeCheck
    attempts_left: int = 0
    replaced: bool = False


@dataclass(frozen=True)
class Guard:
    """An account's last login and its registration lock (salt and hash, or None without a lock)."""

    last_active: int
    lock_salt: bytes | None
    lock_hash: bytes | None
    lock_failures: int
    lock_refused_until: int

    def __repr__(self) -> str:  # the hash stays out of logs
        return f"Guard(last_active={self.last_active}, lock={self.lock_hash is not None})"


@dataclass(frozen=True)
class StoredMessage:
    id: int
    sender: str
    body: bytes
    ts: int
    sender_device: int = 1

    def __repr__(self) -> str:  # the body stays out of logs
        return (
            f"StoredMessage(id={self.id}, sender={self.sender!r}, sender_device={self.sender_device},"
            f" ts={self.ts}, size={len(self.body)})"
        )


@dataclass(frozen=True)
class DeviceKeys:
    """A device's checked public prekeys as JSON: signed, last-resort ML-KEM, one-time (key id, JSON)."""

    signed_prekey: dict[str, Any]
    kem_last_resort: dict[str, Any]
    one_time_prekeys: list[tuple[int, dict[str, Any]]]
    kem_prekeys: list[tuple[int, dict[str, Any]]]


@dataclass(frozen=True)
class DeviceLogin:
    """What a login of (account, device) checks: the identity (JSON text), the device's own login key
    (32 bytes; None: the identity's signing key) and whether the device was unlinked."""

    identity: str
    login_key: bytes | None
    removed: bool


@dataclass(frozen=True)
class DeviceRecord:
    """One live device of an account as ``list_devices`` shows it (times in ms; ``name`` sealed)."""

    device: int
    name: bytes
    created: int
    last_seen: int

    def __repr__(self) -> str:
        return f"DeviceRecord(device={self.device}, created={self.created}, last_seen={self.last_seen})"


@dataclass(frozen=True)
class TakenBundle:
    """A device's bundle as JSON, which device served it, and the account's live device ids."""

    bundle: dict[str, Any]
    device: int
    devices: list[int]


@dataclass(frozen=True)
class SendOutcome:
    id: int
    ts: int
    duplicate: bool


#: What became of one copy of an ``enqueue_many``: stored (or a duplicate), or why it was not.
CopyOutcome = SendOutcome | UnknownAccount | QueueFull | DeviceSetChanged


class BlobQuota(StoreError):
    """A new blob would take the account past its quota: ``used`` bytes are held by its live blobs."""

    def __init__(self, used: int) -> None:
        super().__init__(f"{used} bytes are held already")
        self.used = used


class BlobGone(StoreError):
    """A blob's bytes are missing or shorter than its record says (a damaged or deleted file)."""


@dataclass(frozen=True)
class BlobRecord:
    """What the store knows of one blob (its id is known only by its hash; times in ms).

    ``number`` names its file; ``received`` is the bytes held from the start (at most what its file
    holds); ``digest`` is the SHA-256 given by a ``blob_finish`` that matched (None while unfinished);
    ``deadline`` is when it dies: ``expires`` once finished, earlier while an upload has no put.
    """

    number: int
    owner: str
    size: int
    received: int
    digest: bytes | None
    expires: int
    deadline: int

    @property
    def done(self) -> bool:
        return self.digest is not None
