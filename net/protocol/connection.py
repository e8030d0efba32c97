"""The wire protocol, sans-IO: bytes in, events out; messages in, bytes out.

No sockets here (the h11 way). Each side keeps one :class:`Connection`, feeds it
whatever arrives with :meth:`Connection.receive_data` and pulls events with
:meth:`Connection.next_event` until it returns :data:`NEED_DATA`; to speak it
turns a message into bytes with :meth:`Connection.send` and writes them itself.

* The server side gets :class:`Request` events whose ``args`` are already checked
  against :mod:`net.protocol.schema`, in the order frame, JSON, id, op, login, fields (the
  server sets :attr:`Connection.logged_in`). A bad request raises :class:`RemoteProtocolError`
  carrying the error code, the request id (when it could be read) and whether the
  connection must close; the server answers it with :func:`error_reply` and goes on.
* The client side builds requests with :meth:`Connection.request` (ids are
  assigned and remembered), gets :class:`Reply`, :class:`ErrorReply` and
  :class:`Push` events, and learns of a reply to a request it never made as a
  protocol error.

Outgoing values may be bytes (sent as base64) or objects with ``to_json()``
(crypto_core's public keys); everything else must already be JSON. The JSON itself is
:mod:`net.protocol.frame_json`'s (its ``encode_json`` and ``decode_json_object``, once defined
here, are imported from here too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final

from net.protocol.errors import ErrorCode, LocalProtocolError, RemoteProtocolError, RequestRefused
from net.protocol.frame_json import LONG_TAIL, with_long_tail
from net.protocol.frame_json import decode_json_object as decode_json_object
from net.protocol.frame_json import encode_json as encode_json
from net.protocol.frames import DEFAULT_MAX_FRAME, FrameDecoder, encode_frame
from net.protocol.schema import MAX_REQUEST_ID, OPERATIONS, Base64Text, FieldError


class Role(Enum):
    CLIENT = "client"
    SERVER = "server"


class _NeedData:
    def __repr__(self) -> str:
        return "NEED_DATA"


#: Returned by :meth:`Connection.next_event` when no whole frame is buffered.
NEED_DATA: Final = _NeedData()


@dataclass(frozen=True)
class Request:
    """``{"id": n, "op": "...", ...}``. On the server ``args`` are checked values."""

    id: int
    op: str
    args: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:  # args may hold ciphertext
        return f"Request(id={self.id}, op={self.op!r})"


@dataclass(frozen=True)
class Reply:
    """``{"re": n, "ok": true, ...}``: the fields beyond ``re`` and ``ok`` are in ``body``."""

    re: int
    body: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Reply(re={self.re}, fields={sorted(self.body)})"


@dataclass(frozen=True)
class ErrorReply:
    """``{"re": n, "ok": false, "error": {"code": ..., "message": ...}}``; ``re`` is null
    when the offending frame had no readable id. A ``devices_changed`` error also carries
    ``"devices": [ids ascending]`` (``devices``; None for every other error)."""

    re: int | None
    code: str
    message: str
    devices: tuple[int, ...] | None = None

    def exception(self) -> RequestRefused:
        return RequestRefused(self.code, self.message, devices=self.devices)


@dataclass(frozen=True)
class Push:
    """``{"push": "kind", ...}``: something the server says unasked."""

    kind: str
    body: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Push(kind={self.kind!r}, fields={sorted(self.body)})"


@dataclass(frozen=True)
class ConnectionClosed:
    """The peer closed its side cleanly, at a frame boundary."""


Event = Request | Reply | ErrorReply | Push | ConnectionClosed
Message = Request | Reply | ErrorReply | Push


def error_reply(exc: RemoteProtocolError | RequestRefused, request_id: int | None = None) -> ErrorReply:
    """The reply that answers ``exc``."""
    re = exc.request_id if isinstance(exc, RemoteProtocolError) else request_id
    devices = exc.devices if isinstance(exc, RequestRefused) else None
    return ErrorReply(re, exc.code, exc.message, devices)


def _error_devices(value: object) -> tuple[int, ...] | None:
    """An error's ``devices``: absent, or 1 to 2^31-1 ascending device ids; anything else breaks the frame."""
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d < 2**31 for d in value)
        or value != sorted(set(value))
    ):
        raise RemoteProtocolError(ErrorCode.BAD_FRAME, "an error's 'devices' must be ascending device ids")
    return tuple(value)


class Connection:
    """One side of one connection: a frame decoder, an encoder, and (client side) pending ids."""

    def __init__(self, role: Role, max_frame: int = DEFAULT_MAX_FRAME) -> None:
        self.role = role
        self.max_frame = max_frame
        self._decoder = FrameDecoder(max_frame)
        self._next_id = 1
        self._pending: set[int] = set()
        self._closed = False
        #: Server side: whether this connection has logged in; the server keeps it up to date.
        self.logged_in = False

    # ----------------------------------------------------------------- receiving

    def receive_data(self, data: bytes) -> None:
        """Feed bytes that arrived; ``b""`` means the peer closed its side."""
        self._decoder.feed(data)

    def next_event(self) -> Event | _NeedData:
        """The next event, or :data:`NEED_DATA`. Raises :class:`RemoteProtocolError`."""
        if self._closed:
            return ConnectionClosed()
        payload = self._decoder.next_frame()
        if payload is None:
            if self._decoder.eof:
                self._closed = True
                return ConnectionClosed()
            return NEED_DATA
        if self.role is Role.SERVER:
            if len(payload) >= LONG_TAIL:
                read = with_long_tail(payload)
                if read is not None:
                    return self._parse_request(read, long_tail=True)
            return self._parse_request(decode_json_object(payload))
        obj = decode_json_object(payload)
        return self._parse_server_message(obj)

    @property
    def awaiting(self) -> int:
        """Bytes still to come of a frame whose first bytes have arrived (a big one spans many reads)."""
        return self._decoder.awaiting

    @property
    def pending(self) -> frozenset[int]:
        """Ids of requests sent and not yet answered (client side)."""
        return frozenset(self._pending)

    def _parse_request(self, obj: dict[str, Any], *, long_tail: bool = False) -> Request:
        """The request ``obj`` says; ``long_tail``: read by ``with_long_tail`` (it may hold a Base64Text)."""
        request_id = obj.get("id")
        if type(request_id) is not int or not 0 <= request_id <= MAX_REQUEST_ID:  # JSON's true is no int here
            raise RemoteProtocolError(
                ErrorCode.BAD_REQUEST, f"a request needs an integer id from 0 to {MAX_REQUEST_ID}"
            )
        op_name = obj.get("op")
        operation = OPERATIONS.get(op_name) if isinstance(op_name, str) else None
        if operation is None:
            shown = op_name if isinstance(op_name, str) and len(op_name) <= 40 else "?"
            raise RemoteProtocolError(
                ErrorCode.UNKNOWN_OP, f"unknown operation {shown!r}", request_id=request_id
            )
        if long_tail:
            for name, value in obj.items():
                if isinstance(value, Base64Text) and not operation.takes_base64(name):
                    obj[name] = value.text()  # only a base64 field takes it as it is; for others a string
        try:
            args = operation.parse(obj)
        except FieldError as exc:
            if operation.needs_login and not self.logged_in:
                # Login is checked before fields: a stranger learns no more about an operation it may not
                # use than that. (With good fields the service refuses it with the same code.)
                raise RemoteProtocolError(
                    ErrorCode.NOT_LOGGED_IN, f"log in before {operation.name}", request_id=request_id
                ) from None
            raise RemoteProtocolError(exc.code, str(exc), request_id=request_id) from None
        return Request(request_id, operation.name, args)

    def _parse_server_message(self, obj: dict[str, Any]) -> Reply | ErrorReply | Push:
        if "push" in obj:
            kind = obj["push"]
            if not isinstance(kind, str):
                raise RemoteProtocolError(ErrorCode.BAD_FRAME, "a push needs a string kind")
            return Push(kind, {k: v for k, v in obj.items() if k != "push"})
        re, ok = obj.get("re"), obj.get("ok")
        if not isinstance(ok, bool) or not (re is None or (isinstance(re, int) and not isinstance(re, bool))):
            raise RemoteProtocolError(ErrorCode.BAD_FRAME, "a reply needs 're' and a boolean 'ok'")
        if re is not None:
            if re not in self._pending:
                raise RemoteProtocolError(
                    ErrorCode.BAD_FRAME, f"a reply to request {re}, which is not pending"
                )
            self._pending.discard(re)
        if ok:
            if re is None:
                raise RemoteProtocolError(ErrorCode.BAD_FRAME, "a successful reply needs an id")
            return Reply(re, {k: v for k, v in obj.items() if k not in ("re", "ok")})
        error = obj.get("error")
        if not isinstance(error, dict):
            raise RemoteProtocolError(ErrorCode.BAD_FRAME, "an error reply needs an 'error' object")
        code, message = error.get("code"), error.get("message")
        return ErrorReply(re, str(code), str(message), _error_devices(error.get("devices")))

    # ------------------------------------------------------------------- sending

    def expect_reply(self, request_id: int) -> None:
        """Client side: a request with this id was written by other means (a resent frame, say)."""
        self._pending.add(request_id)

    def request(self, op: str, **args: Any) -> tuple[int, bytes]:
        """Client side: a new request with the next id; returns (id, bytes to write)."""
        request_id = self._next_id
        self._next_id += 1
        return request_id, self.send(Request(request_id, op, args))

    def send(self, message: Message) -> bytes:
        """The bytes that carry ``message``; refuses what this role may not send."""
        if isinstance(message, Request):
            if self.role is not Role.CLIENT:
                raise LocalProtocolError(ErrorCode.BAD_REQUEST, "only a client sends requests")
            if message.op not in OPERATIONS:
                raise LocalProtocolError(ErrorCode.UNKNOWN_OP, f"unknown operation {message.op!r}")
            obj: dict[str, Any] = {"id": message.id, "op": message.op, **message.args}
            data = encode_frame(encode_json(obj), self.max_frame)
            self._pending.add(message.id)
            return data
        elif self.role is not Role.SERVER:
            raise LocalProtocolError(ErrorCode.BAD_REQUEST, "only a server sends replies and pushes")
        elif isinstance(message, Reply):
            obj = {**message.body, "re": message.re, "ok": True}
        elif isinstance(message, ErrorReply):
            error: dict[str, Any] = {"code": message.code, "message": message.message}
            if message.devices is not None:
                error["devices"] = list(message.devices)
            obj = {"re": message.re, "ok": False, "error": error}
        else:
            obj = {**message.body, "push": message.kind}
        return encode_frame(encode_json(obj), self.max_frame)
