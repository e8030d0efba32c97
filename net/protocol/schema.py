"""The operations of the wire protocol as data: each one's fields, their checks, and who may call it.

A server-side request is checked field by field against this table before any
handler sees it, so a handler only ever gets values of the right type, size and
range (bytes for base64 fields, key objects for keys, E.164 for phone numbers).
A field that fails names itself in a ``bad_request`` (or ``bad_key``,
``bad_phone``, ``bad_email``) error; a field given as ``null`` fails like any
other wrong type (absent is what means "the default"); fields the table does not
know are ignored, so that a newer client can talk to an older server.
"""

from __future__ import annotations

from crypto_core.key_encoding import ed25519_public
from crypto_core.keys import KemPreKeyPublic, OneTimePreKeyPublic, PublicIdentity, SignedPreKeyPublic
from net.protocol.blobs import BLOB_PIECE, MAX_BLOB_SIZE
from net.protocol.converters import (
    Base64Text,
    Converter,
    Field,
    FieldError,
    Operation,
    bad,
    base64_bytes,
    blob_id,
    boolean,
    email,
    integer,
    key,
    list_of,
    part,
    phone,
    text,
)
from net.protocol.devices import LINK_CODE_LENGTH, MAX_DEVICE_ID, MAX_DEVICE_NAME, MAX_RELAY_BODY
from net.protocol.errors import ErrorCode
from net.protocol.registration import MAX_LOCK, MIN_LOCK, TOKEN_SIZE

# Also the converters of net/protocol/converters.py, which were defined here first and are imported from here.
__all__ = [
    "BLOB_PIECE",
    "CLIENT_ID",
    "CODE",
    "DEFAULT_FETCH",
    "DEVICE_ID",
    "DEVICE_KEY",
    "DEVICE_NAME",
    "EXPIRES_IN",
    "KEM_PREKEY",
    "KEM_PREKEYS",
    "LINK_CODE",
    "LINK_KEY",
    "MAX_ACK",
    "MAX_BLOB_SIZE",
    "MAX_BODY",
    "MAX_CLIENT_ID",
    "MAX_COPIES",
    "MAX_EXPIRES_IN",
    "MAX_FETCH",
    "MAX_KEM_PER_UPLOAD",
    "MAX_LOCK",
    "MAX_MESSAGE_ID",
    "MAX_ONE_TIME_PER_UPLOAD",
    "MAX_REQUEST_ID",
    "MIN_LOCK",
    "ONE_TIME_PREKEYS",
    "OPERATIONS",
    "PROTOCOL_VERSION",
    "PUSH_MESSAGE",
    "PUSH_PREKEYS_LOW",
    "PUSH_REREGISTRATION",
    "PUSH_SESSION_ENDED",
    "SIGNED_PREKEY",
    "TOKEN_SIZE",
    "Base64Text",
    "Converter",
    "Field",
    "FieldError",
    "Operation",
    "bad",
    "base64_bytes",
    "blob_id",
    "boolean",
    "copies",
    "email",
    "integer",
    "key",
    "list_of",
    "part",
    "phone",
    "sealed_name",
    "text",
]

PROTOCOL_VERSION = 1
MAX_REQUEST_ID = 2**53 - 1  # the largest integer every JSON implementation keeps exact
MAX_BODY = 512 * 1024
MAX_CLIENT_ID = 64
MAX_ONE_TIME_PER_UPLOAD = 200
MAX_KEM_PER_UPLOAD = 100
MAX_FETCH = 500
DEFAULT_FETCH = 100
MAX_ACK = 1000
MAX_MESSAGE_ID = 2**63 - 1
#: Items of one ``send_many``: a group of 100 members with up to 5 devices each (and our own others).
MAX_COPIES = 500
#: The longest ``expires_in`` of a ``send`` or ``send_many``: 30 days, in seconds.
MAX_EXPIRES_IN = 30 * 24 * 3600


def copies(max_items: int) -> Converter:
    """``send_many.items``: 1 to ``max_items`` objects ``{"to": phone, "device"?: id, "body": base64}``.

    Gives (E.164 phone, device, body) triples in the request's order (``device`` absent: 1). A
    (recipient, device) may come once; a recipient is the same however its number was written.
    Errors name the item and its field: ``[3].to``.
    """
    parts = (Field("to", phone), Field("body", base64_bytes(MAX_BODY)))
    device_part = Field("device", DEVICE_ID)

    def convert(value: object) -> list[tuple[str, int, bytes]]:
        if not isinstance(value, list):
            raise bad("expected a list")
        if not 1 <= len(value) <= max_items:
            raise bad(f"expected 1 to {max_items} items")
        out: list[tuple[str, int, bytes]] = []
        first_at: dict[tuple[str, int], int] = {}
        for index, element in enumerate(value):
            if not isinstance(element, dict):
                raise FieldError(ErrorCode.BAD_REQUEST, "expected an object", f"[{index}]")
            to, body = (part(element, one, f"[{index}]") for one in parts)
            device = part(element, device_part, f"[{index}]") if "device" in element else 1
            if (to, device) in first_at:
                raise FieldError(
                    ErrorCode.BAD_REQUEST,
                    f"the same recipient and device as items[{first_at[to, device]}]",
                    f"[{index}].to",
                )
            first_at[to, device] = index
            out.append((to, device, body))
        return out

    return convert


DEVICE_ID = integer(1, MAX_DEVICE_ID)
CODE = text(6, min_len=6, pattern=r"[0-9]{6}")
LINK_CODE = text(LINK_CODE_LENGTH, min_len=LINK_CODE_LENGTH, pattern=r"[A-Z2-7]+")
LINK_KEY = base64_bytes(32, exact=32)  # an X25519 public key of the link handshake
DEVICE_KEY = key(lambda value: ed25519_public(value, "device key"))


def sealed_name(value: object) -> bytes:
    """A device's sealed name: base64 of 0 to 512 bytes (empty: no name yet)."""
    if value == "":
        return b""
    checked: bytes = base64_bytes(MAX_DEVICE_NAME)(value)
    return checked


DEVICE_NAME = Field("name", sealed_name)
CLIENT_ID = text(MAX_CLIENT_ID, pattern=r"[A-Za-z0-9._:-]+")
SIGNED_PREKEY = key(SignedPreKeyPublic.from_json)
KEM_PREKEY = key(KemPreKeyPublic.from_json)
ONE_TIME_PREKEYS = list_of(key(OneTimePreKeyPublic.from_json), MAX_ONE_TIME_PER_UPLOAD)
KEM_PREKEYS = list_of(KEM_PREKEY, MAX_KEM_PER_UPLOAD)
#: Seconds the server keeps a queued copy (0, the default when absent: until acknowledged).
EXPIRES_IN = Field("expires_in", integer(1, MAX_EXPIRES_IN), required=False, default=0)

OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        Operation(
            "hello",
            (Field("version", integer(1, 2**31 - 1)), Field("client", text(64), required=False, default="")),
            needs_login=False,
        ),
        Operation("register_start", (Field("phone", phone), Field("email", email)), needs_login=False),
        Operation(
            "register_finish",
            (
                Field("phone", phone),
                # Either the requester's token and code, or a proof signed by the current identity.
                Field("token", base64_bytes(TOKEN_SIZE, exact=TOKEN_SIZE), required=False),
                Field("code", CODE, required=False),
                Field("proof", base64_bytes(64, exact=64), required=False),
                Field("lock", text(MAX_LOCK), required=False),
                Field("identity", key(PublicIdentity.from_json)),
                Field("signed_prekey", SIGNED_PREKEY),
                Field("kem_last_resort", KEM_PREKEY),
                Field("one_time_prekeys", ONE_TIME_PREKEYS, required=False, default=[]),
                Field("kem_prekeys", KEM_PREKEYS, required=False, default=[]),
                # Device 1's own login key (absent: it logs in with the identity's sign key, as before).
                Field("device_key", DEVICE_KEY, required=False),
            ),
            needs_login=False,
        ),
        Operation("challenge", (Field("phone", phone),), needs_login=False),
        Operation(
            "login",
            (
                Field("phone", phone),
                Field("signature", base64_bytes(64, exact=64)),
                Field("device", DEVICE_ID, required=False, default=1),
            ),
            needs_login=False,
        ),
        Operation("ping"),
        Operation("get_bundle", (Field("phone", phone), Field("device", DEVICE_ID, required=False))),
        Operation(
            "send",
            (
                Field("to", phone),
                Field("client_id", CLIENT_ID),
                Field("body", base64_bytes(MAX_BODY)),
                Field("transient", boolean, required=False, default=False),
                EXPIRES_IN,
                Field("device", DEVICE_ID, required=False, default=1),
            ),
        ),
        Operation(
            "send_many",
            (
                Field("client_id", CLIENT_ID),
                Field("items", copies(MAX_COPIES)),
                Field("transient", boolean, required=False, default=False),
                EXPIRES_IN,
            ),
        ),
        Operation(
            "fetch",
            (
                Field("limit", integer(1, MAX_FETCH), required=False, default=DEFAULT_FETCH),
                Field("after", integer(0, MAX_MESSAGE_ID), required=False, default=0),
            ),
        ),
        Operation("ack", (Field("ids", list_of(integer(1, MAX_MESSAGE_ID), MAX_ACK)),)),
        Operation(
            "upload_prekeys",
            (
                Field("one_time_prekeys", ONE_TIME_PREKEYS, required=False, default=[]),
                Field("kem_prekeys", KEM_PREKEYS, required=False, default=[]),
                Field("replace", boolean, required=False, default=False),
            ),
        ),
        Operation("prekey_count"),
        Operation(
            "set_signed_prekey",
            (Field("signed_prekey", SIGNED_PREKEY), Field("kem_last_resort", KEM_PREKEY, required=False)),
        ),
        Operation("delete_account"),
        Operation(
            "set_registration_lock", (Field("lock", text(MAX_LOCK, min_len=MIN_LOCK), required=False),)
        ),
        Operation("blob_start", (Field("size", integer(1, MAX_BLOB_SIZE)),)),
        Operation(
            "blob_put",
            (
                Field("blob", blob_id),
                Field("offset", integer(0, MAX_BLOB_SIZE)),
                Field("data", base64_bytes(BLOB_PIECE)),
            ),
        ),
        Operation("blob_status", (Field("blob", blob_id),)),
        Operation("blob_finish", (Field("blob", blob_id), Field("sha256", base64_bytes(32, exact=32)))),
        Operation(
            "blob_get",
            (
                Field("blob", blob_id),
                Field("offset", integer(0, MAX_BLOB_SIZE)),
                Field("length", integer(1, BLOB_PIECE)),
            ),
        ),
        Operation("blob_delete", (Field("blob", blob_id),)),
        # Devices (PROTOCOL.md, "Devices"): the new device's end of a link is not logged in.
        Operation("link_open", (Field("key", LINK_KEY),), needs_login=False),
        Operation("link_join", (Field("code", LINK_CODE), Field("key", LINK_KEY))),
        Operation(
            "link_relay",
            (Field("code", LINK_CODE), Field("body", base64_bytes(MAX_RELAY_BODY))),
            needs_login=False,
        ),
        Operation(
            "link_device",
            (
                Field("code", LINK_CODE),
                Field("device_key", DEVICE_KEY),
                DEVICE_NAME,
                Field("signed_prekey", SIGNED_PREKEY),
                Field("kem_last_resort", KEM_PREKEY),
                Field("one_time_prekeys", ONE_TIME_PREKEYS, required=False, default=[]),
                Field("kem_prekeys", KEM_PREKEYS, required=False, default=[]),
                Field("signature", base64_bytes(64, exact=64)),
            ),
            needs_login=False,
        ),
        Operation("list_devices"),
        Operation("set_device_name", (DEVICE_NAME,)),
        Operation("unlink_device", (Field("device", DEVICE_ID),)),
        Operation("set_login_key", (Field("key", DEVICE_KEY),)),
    )
}

#: What the server may push, unasked.
PUSH_MESSAGE = "message"
PUSH_SESSION_ENDED = "session_ended"
PUSH_REREGISTRATION = "reregistration_requested"
#: A bundle fetch took the account's one-time prekeys of a kind below the server's mark.
PUSH_PREKEYS_LOW = "prekeys_low"
#: The pushes about devices and links are named in net/protocol/devices.py.
