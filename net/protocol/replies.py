"""The replies and pushes of the wire protocol as data: each one's fields, their checks, its typed object.

The client checks every reply and every push the way the server checks every
request (:mod:`net.protocol.schema`, whose converters this module uses, through the
checks of :mod:`net.protocol.reply_shapes`): field by field,
in the order net/protocol/PROTOCOL.md lists them, into a frozen dataclass whose
attributes have the right types (bytes for base64 fields, key objects for keys,
a tuple of :class:`WaitingMessage` for a page of ``fetch``). A reply or push
that fails is a :class:`~net.protocol.errors.RemoteProtocolError` with the code
``bad_reply`` (the client's own code: the server never sends it) and a message
that names the operation and the field's path, e.g.
``fetch reply.messages[3].id: missing``; never a ``KeyError`` or ``TypeError``.

As for requests, fields this table does not know are ignored (a newer server
may add some), a push of a kind it does not know is ignored (:func:`parse_push`
gives None), and an optional field takes its default only when absent.
Messages name fields, never values: no body, key or code is ever in one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crypto_core.keys import (
    KemPreKeyPublic,
    OneTimePreKeyPublic,
    PreKeyBundle,
    PublicIdentity,
    SignedPreKeyPublic,
)
from net.protocol.blob_replies import BLOB_REPLIES
from net.protocol.connection import Push
from net.protocol.copy_results import SEND_MANY
from net.protocol.device_replies import (
    DEVICE_IDS,
    DEVICE_PUSHES,
    DEVICE_REPLIES,
    DevicesChangedPush,
    LinkDonePush,
    LinkJoinedPush,
    LinkRelayPush,
)
from net.protocol.registration import TOKEN_SIZE
from net.protocol.reply_shapes import (
    COUNT,
    E164,
    MAX_COUNT,
    MESSAGE_ID,
    TS,
    Shape,
    items,
    literal,
    push_shape,
    record,
    reply,
)
from net.protocol.schema import (
    DEVICE_ID,
    MAX_BODY,
    MAX_FETCH,
    PUSH_MESSAGE,
    PUSH_PREKEYS_LOW,
    PUSH_REREGISTRATION,
    PUSH_SESSION_ENDED,
    Field,
    base64_bytes,
    boolean,
    integer,
    key,
    text,
)

# ---------------------------------------------------------------------- values

BODY = base64_bytes(MAX_BODY)
BUNDLE = record(
    PreKeyBundle,
    Field("identity", key(PublicIdentity.from_json)),
    Field("signed_prekey", key(SignedPreKeyPublic.from_json)),
    Field("kem_prekey", key(KemPreKeyPublic.from_json)),
    Field("one_time_prekey", key(OneTimePreKeyPublic.from_json), required=False),
)


@dataclass(frozen=True)
class WaitingMessage:
    """A message for this account, from ``fetch`` or pushed; ``id`` is None for a transient one."""

    id: int | None
    sender: str
    body: bytes
    ts: int
    #: The sender's device (``from_device``): which of the sender's sessions the body is for.
    sender_device: int = 1

    @property
    def transient(self) -> bool:
        return self.id is None

    def __repr__(self) -> str:  # the body is ciphertext, but it stays out of logs all the same
        return (
            f"WaitingMessage(id={self.id}, sender={self.sender!r}, sender_device={self.sender_device},"
            f" ts={self.ts}, body={len(self.body)} bytes)"
        )


def _stored(id: int, ts: int, body: bytes, from_device: int, **fields: Any) -> WaitingMessage:
    return WaitingMessage(id, fields["from"], body, ts, from_device)


def _transient(ts: int, body: bytes, transient: bool, from_device: int, **fields: Any) -> WaitingMessage:
    return WaitingMessage(None, fields["from"], body, ts, from_device)


#: ``from_device``: absent from a server before linked devices, whose every account was device 1.
FROM_DEVICE = Field("from_device", DEVICE_ID, required=False, default=1)
# A stored message, as in a fetch page and a message push ("from" is a keyword, hence **fields).
_MESSAGE_FIELDS = (
    Field("id", MESSAGE_ID),
    Field("from", E164),
    FROM_DEVICE,
    Field("body", BODY),
    Field("ts", TS),
)
MESSAGE = record(_stored, *_MESSAGE_FIELDS)


# ---------------------------------------------------------------------- replies


@dataclass(frozen=True)
class HelloReply:
    server: str
    version: int
    max_frame: int
    idle_timeout: int
    dev_codes: bool


@dataclass(frozen=True)
class RegisterStartReply:
    phone: str
    token: bytes
    expires_in: int
    attempts: int
    channel: str
    existing: bool
    sent_to: str
    lock: bool
    code: str | None = None  # only from a server started with --dev-codes

    def __repr__(self) -> str:  # the token and a code are secrets
        return f"RegisterStartReply(phone={self.phone!r}, channel={self.channel!r}, existing={self.existing})"


@dataclass(frozen=True)
class RegisterFinishReply:
    phone: str
    replaced: bool


@dataclass(frozen=True)
class ChallengeReply:
    nonce: bytes


@dataclass(frozen=True)
class LoginReply:
    phone: str
    queued: int
    device: int = 1  # this connection's device
    devices: tuple[int, ...] = (1,)  # all the account's device ids, ascending


@dataclass(frozen=True)
class PingReply:
    time: int


@dataclass(frozen=True)
class BundleReply:
    bundle: PreKeyBundle
    device: int = 1  # the device whose bundle it is
    devices: tuple[int, ...] = (1,)  # all the account's device ids, ascending


@dataclass(frozen=True)
class SendReply:
    id: int
    ts: int
    duplicate: bool


@dataclass(frozen=True)
class TransientSendReply:
    delivered: bool


@dataclass(frozen=True)
class FetchReply:
    messages: tuple[WaitingMessage, ...]
    more: bool


@dataclass(frozen=True)
class AckReply:
    deleted: int


@dataclass(frozen=True)
class PrekeyCountReply:
    """The reply of ``prekey_count`` and of ``upload_prekeys``: the one-time prekeys stored now."""

    one_time: int
    kem: int


@dataclass(frozen=True)
class EmptyReply:
    """A reply with no fields (``set_signed_prekey``)."""


@dataclass(frozen=True)
class DeleteAccountReply:
    deleted: bool


@dataclass(frozen=True)
class RegistrationLockReply:
    lock: bool


HELLO = reply(
    "hello",
    HelloReply,
    Field("server", text(64)),
    Field("version", integer(1, 2**31 - 1)),
    Field("max_frame", integer(1, MAX_COUNT)),
    Field("idle_timeout", integer(1, MAX_COUNT)),
    Field("dev_codes", boolean),
)
REGISTER_START = reply(
    "register_start",
    RegisterStartReply,
    Field("phone", E164),
    Field("token", base64_bytes(TOKEN_SIZE, exact=TOKEN_SIZE)),
    Field("expires_in", COUNT),
    Field("attempts", COUNT),
    Field("channel", text(64)),
    Field("existing", boolean),
    Field("sent_to", text(512, min_len=0)),
    Field("lock", boolean),
    Field("code", text(6, min_len=6, pattern=r"[0-9]{6}"), required=False),
)
REGISTER_FINISH = reply(
    "register_finish", RegisterFinishReply, Field("phone", E164), Field("replaced", boolean)
)
CHALLENGE = reply("challenge", ChallengeReply, Field("nonce", base64_bytes(32, exact=32)))
LOGIN = reply(
    "login",
    LoginReply,
    Field("phone", E164),
    Field("queued", COUNT),
    Field("device", DEVICE_ID, required=False, default=1),
    Field("devices", DEVICE_IDS, required=False, default=(1,)),
)
PING = reply("ping", PingReply, Field("time", TS))
GET_BUNDLE = reply(
    "get_bundle",
    BundleReply,
    Field("bundle", BUNDLE),
    Field("device", DEVICE_ID, required=False, default=1),
    Field("devices", DEVICE_IDS, required=False, default=(1,)),
)
SEND = reply("send", SendReply, Field("id", MESSAGE_ID), Field("ts", TS), Field("duplicate", boolean))
#: The reply of a ``send`` with ``transient: true``: the operation is the same, the reply is not.
SEND_TRANSIENT = reply("send", TransientSendReply, Field("delivered", boolean))
FETCH = reply("fetch", FetchReply, Field("messages", items(MESSAGE, MAX_FETCH)), Field("more", boolean))
ACK = reply("ack", AckReply, Field("deleted", COUNT))
UPLOAD_PREKEYS = reply("upload_prekeys", PrekeyCountReply, Field("one_time", COUNT), Field("kem", COUNT))
PREKEY_COUNT = reply("prekey_count", PrekeyCountReply, Field("one_time", COUNT), Field("kem", COUNT))
SET_SIGNED_PREKEY = reply("set_signed_prekey", EmptyReply)
DELETE_ACCOUNT = reply("delete_account", DeleteAccountReply, Field("deleted", literal(True)))
SET_REGISTRATION_LOCK = reply("set_registration_lock", RegistrationLockReply, Field("lock", boolean))

#: Every operation's reply shape (``send`` and ``send_many`` by their normal forms: a transient ``send``'s
#: is :data:`SEND_TRANSIENT`, a transient ``send_many``'s ``copy_results.SEND_MANY_TRANSIENT``).
_SHAPES: tuple[Shape[Any], ...] = (
    HELLO,
    REGISTER_START,
    REGISTER_FINISH,
    CHALLENGE,
    LOGIN,
    PING,
    GET_BUNDLE,
    SEND,
    SEND_MANY,
    FETCH,
    ACK,
    UPLOAD_PREKEYS,
    PREKEY_COUNT,
    SET_SIGNED_PREKEY,
    DELETE_ACCOUNT,
    SET_REGISTRATION_LOCK,
    *BLOB_REPLIES,
    *DEVICE_REPLIES,
)
REPLIES: dict[str, Shape[Any]] = {shape.op: shape for shape in _SHAPES}


# ---------------------------------------------------------------------- pushes


@dataclass(frozen=True)
class MessagePush:
    message: WaitingMessage


@dataclass(frozen=True)
class SessionEndedPush:
    reason: str  # logged_in_elsewhere, re_registered or unlinked; a newer server may have others


@dataclass(frozen=True)
class ReregistrationPush:
    ts: int
    sent_to: str


@dataclass(frozen=True)
class PrekeysLowPush:
    one_time: int
    kem: int


ServerPush = (
    MessagePush
    | SessionEndedPush
    | ReregistrationPush
    | PrekeysLowPush
    | DevicesChangedPush
    | LinkJoinedPush
    | LinkRelayPush
    | LinkDonePush
)

STORED_MESSAGE_PUSH = push_shape(
    PUSH_MESSAGE,
    lambda **f: MessagePush(_stored(**f)),
    *_MESSAGE_FIELDS,
    Field("transient", literal(False), required=False),
)
TRANSIENT_MESSAGE_PUSH = push_shape(
    PUSH_MESSAGE,
    lambda **f: MessagePush(_transient(**f)),
    Field("from", E164),
    FROM_DEVICE,
    Field("body", BODY),
    Field("ts", TS),
    Field("transient", literal(True)),
)
#: Every other push's shape, by kind (a message push has two: stored and transient).
_OTHER_PUSHES: tuple[Shape[Any], ...] = (
    push_shape(PUSH_SESSION_ENDED, SessionEndedPush, Field("reason", text(64))),
    push_shape(
        PUSH_REREGISTRATION, ReregistrationPush, Field("ts", TS), Field("sent_to", text(512, min_len=0))
    ),
    push_shape(PUSH_PREKEYS_LOW, PrekeysLowPush, Field("one_time", COUNT), Field("kem", COUNT)),
    *DEVICE_PUSHES,
)
PUSHES: dict[str, Shape[Any]] = {shape.op: shape for shape in _OTHER_PUSHES}


def parse_push(push: Push) -> ServerPush | None:
    """The typed push; None for a kind this client does not know; RemoteProtocolError when malformed."""
    if push.kind == PUSH_MESSAGE:
        # Only ``transient: true`` (exactly) makes the id optional; anything else is a stored message.
        shape = TRANSIENT_MESSAGE_PUSH if push.body.get("transient") is True else STORED_MESSAGE_PUSH
        parsed: ServerPush = shape.parse(push.body)
        return parsed
    found = PUSHES.get(push.kind)
    return None if found is None else found.parse(push.body)
