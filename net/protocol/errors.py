"""Errors of the wire protocol and its stable error codes.

As in h11, one base class and two kinds of protocol error: a
:class:`RemoteProtocolError` means the peer sent something we cannot accept,
a :class:`LocalProtocolError` means our own code tried to send something the
protocol does not allow (a bug on this side). :class:`RequestRefused` is not a
protocol violation: it is the server's well-formed "no" to a valid request,
and the client raises the same class when it reads an error reply.

Messages are for people; codes are for programs and never change meaning.
No message ever contains a key, a code, a body or a signature.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum


class ErrorCode(StrEnum):
    # the frame or its JSON
    FRAME_TOO_LARGE = "frame_too_large"
    BAD_FRAME = "bad_frame"
    # the request
    BAD_REQUEST = "bad_request"
    UNKNOWN_OP = "unknown_op"
    UNSUPPORTED_VERSION = "unsupported_version"
    NOT_LOGGED_IN = "not_logged_in"
    ALREADY_LOGGED_IN = "already_logged_in"
    # registration
    BAD_PHONE = "bad_phone"
    BAD_EMAIL = "bad_email"
    DELIVERY_FAILED = "delivery_failed"
    NO_CODE = "no_code"
    WRONG_CODE = "wrong_code"
    CODE_EXPIRED = "code_expired"
    CODE_LOCKED = "code_locked"
    BAD_KEY = "bad_key"
    BAD_SIGNATURE = "bad_signature"
    # re-registration of a number that has an account
    PROOF_FAILED = "proof_failed"
    LOCK_REQUIRED = "lock_required"
    WRONG_LOCK = "wrong_lock"
    LOCK_BLOCKED = "lock_blocked"
    # login and accounts
    UNKNOWN_ACCOUNT = "unknown_account"
    LOGIN_FAILED = "login_failed"
    # devices (net/protocol/PROTOCOL.md, "Devices")
    DEVICES_CHANGED = "devices_changed"  # the error carries ``devices``: the account's ids now
    DEVICE_UNLINKED = "device_unlinked"
    LINK_NOT_FOUND = "link_not_found"
    TOO_MANY_DEVICES = "too_many_devices"
    LOGIN_KEY_REQUIRED = "login_key_required"  # link_join by a device that logs in with the identity key
    # limits
    RATE_LIMITED = "rate_limited"
    QUEUE_FULL = "queue_full"
    PREKEY_LIMIT = "prekey_limit"
    # blobs
    BLOB_NOT_FOUND = "blob_not_found"
    BLOB_TOO_LARGE = "blob_too_large"
    BLOB_QUOTA = "blob_quota"
    BLOB_OFFSET = "blob_offset"
    BLOB_INCOMPLETE = "blob_incomplete"
    BLOB_DIGEST = "blob_digest"
    # the server itself
    STORAGE_FULL = "storage_full"
    STORAGE_UNAVAILABLE = "storage_unavailable"  # the server cannot reach its database just now
    SERVER_ERROR = "server_error"


class NetError(Exception):
    """Base of every error of the wire protocol."""

    def __init__(self, code: ErrorCode | str, message: str) -> None:
        super().__init__(message)
        self.code = str(code)
        self.message = message


class ProtocolError(NetError):
    """A frame or message breaks the protocol.

    ``request_id`` is the id of the offending request when it could be read, so that
    the error reply can name it; ``fatal`` means the byte stream cannot be trusted
    any more and the connection must be closed after the error is sent.
    """

    def __init__(
        self, code: ErrorCode | str, message: str, *, request_id: int | None = None, fatal: bool = False
    ) -> None:
        super().__init__(code, message)
        self.request_id = request_id
        self.fatal = fatal


class RemoteProtocolError(ProtocolError):
    """The peer sent something that breaks the protocol."""


class LocalProtocolError(ProtocolError):
    """This side tried to send something that breaks the protocol (a bug here, not there)."""


class RequestRefused(NetError):
    """The server refused a valid request: the reply ``{"ok": false, "error": {...}}``.

    ``devices``: a ``devices_changed`` refusal's device ids of the account (ascending), else None.
    """

    def __init__(self, code: ErrorCode | str, message: str, *, devices: Sequence[int] | None = None) -> None:
        super().__init__(code, message)
        self.devices: tuple[int, ...] | None = None if devices is None else tuple(devices)

    def __repr__(self) -> str:
        extra = "" if self.devices is None else f", devices={list(self.devices)!r}"
        return f"RequestRefused(code={self.code!r}, message={self.message!r}{extra})"
