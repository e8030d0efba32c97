"""Linking a computer, both ends: the driver of net/client/core/link_plan.py's tables.

:class:`NewEnd` runs on the computer being linked (a profile made, its server chosen, not
registered), :class:`ExistingEnd` on a logged-in device of the account. Each feeds its
:class:`~net.client.core.link_plan.LinkMachine` what the person did, what the server said and
what the other end sent, and carries out the actions it returns through a :class:`LinkWire`
(net/client/link_end.py, with the base both ends share). Keys, the comparison number and
sealing are crypto_core/linking.py's.

What travels through ``link_relay``, each message ``kind || 0x00 || sealed`` (the kind is
also bound into the seal's associated data, so naming another kind only fails to open):

* new → existing: ``confirm`` (this person said the numbers match), ``cancel``;
* existing → new: ``cancel``, and, once both said yes, ``provisioning``: the canonical JSON
  ``{"phone", "identity", "inline": base64(zlib(document))}`` or, when the document does not fit
  one relay body, ``{"phone", "identity", "blob", "size", "sha256"}``: the zlib'd document sealed
  (kind ``provisioning_blob``) and uploaded as a blob, which the new device downloads once it is
  logged in (blobs need a login).

The new device then makes its own login key (Ed25519) and prekeys (stored before they leave),
signs the link statement with the identity it was given, asks ``link_device``, logs in as its
new device, and applies the document in one transaction (net/client/provisioning.py). A failure
at any step is one :class:`~net.client.core.device_events.LinkFailed` in words; a failure after
``link_device`` leaves a device on the server that the person unlinks from the other computer
(the profile here stays as it was: nothing half linked).
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto_core import device_names
from crypto_core.encoding import canonical_json, parse_json
from crypto_core.errors import CryptoError
from crypto_core.keys import IdentityKeyPair
from crypto_core.linking import LinkKeyPair, group_code, link_statement, normalize_code, qr_text
from net.client import prekeys, provisioning
from net.client.core.device_events import LinkCodeShown, LinkComparison, LinkFinished
from net.client.core.engine_error import EngineError
from net.client.core.link_plan import LinkAction, LinkInput, Role
from net.client.device_words import failure_words
from net.client.link_end import (
    LINK_SECONDS,
    MAX_DEVICES,
    End,
    LinkRefused,
    LinkWire,
    unpack_document,
)
from net.client.provisioning import ProvisioningError

__all__ = ["ExistingEnd", "LinkRefused", "LinkWire", "NewEnd"]

#: A provisioning larger than this (zlib'd) goes as a blob: its base64 and the JSON around it,
#: sealed, stay under the relay's 512 KiB.
_INLINE_LIMIT = 360 * 1024


class NewEnd(End):
    """The computer being linked."""

    role: Role = "new"

    def __init__(self, *args: Any, device_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.device_name = device_name
        self.head: dict[str, Any] = {}
        self.identity: IdentityKeyPair | None = None
        self.login_key: Ed25519PrivateKey | None = None
        self.phone = ""
        self.device = 0
        self.devices: list[int] = []

    def start(self) -> None:
        self.refusal = None
        self.feed(LinkInput.START)

    def confirm(self, same: bool) -> None:
        self.feed(LinkInput.SAY_SAME if same else LinkInput.SAY_DIFFERENT)

    def on_joined(self, key: bytes) -> None:
        if not self.active or self.keys is None:
            return
        try:
            self.channel = self.keys.agree("new", self.code, key)
        except CryptoError:
            self.refusal = ("bad_link", "The other computer's link key does not parse: nothing was linked.")
            self.feed(LinkInput.REFUSED)
            return
        self.feed(LinkInput.JOINED)

    def received(self, kind: str, payload: bytes) -> None:
        if kind == "cancel":
            self.feed(LinkInput.PEER_CANCELLED)
        elif kind == "provisioning":
            try:
                head = parse_json(payload, what="provisioning")
                if not isinstance(head, dict) or not isinstance(head.get("phone"), str):
                    raise ProvisioningError("the account's data lacks its phone")
                self.identity = provisioning.identity_of(head)
            except (CryptoError, ProvisioningError) as exc:
                self.refusal = ("bad_link", f"The other computer's data cannot be used: {exc}.")
                self.feed(LinkInput.REFUSED)
                return
            self.head = head
            self.feed(LinkInput.PROVISIONING)
        else:
            self.feed(LinkInput.REFUSED)

    def act(self, action: LinkAction) -> LinkInput | None:
        if action is LinkAction.OPEN:
            self.keys = LinkKeyPair.generate(self.random)
            return self.attempt(self._open)
        if action is LinkAction.SHOW_CODE:
            self.emit(LinkCodeShown(group_code(self.code), qr_text(self.code), LINK_SECONDS))
        elif action is LinkAction.SHOW_NUMBER:
            assert self.channel is not None
            self.emit(LinkComparison(self.channel.comparison, "new"))
        elif action is LinkAction.SEND_CONFIRM:
            return self.attempt(lambda: self.send_sealed("confirm", b"yes"))
        elif action is LinkAction.SEND_CANCEL:
            self.cancel_quietly()
        elif action is LinkAction.LINK_DEVICE:
            return self.attempt(self._link_device)
        elif action is LinkAction.LOG_IN:
            return self.attempt(self._log_in)
        elif action is LinkAction.APPLY:
            return self.attempt(self._apply)
        elif action is LinkAction.FINISH:
            self._forget_secrets()
            self.emit(LinkFinished(self.phone, self.device))
        elif action is LinkAction.FAIL:
            self._forget_secrets()
            self.fail()
        return None

    def _forget_secrets(self) -> None:
        """The identity and the login key live on in the profile (or nowhere): not in this object."""
        self.head, self.identity, self.login_key = {}, None, None

    def _open(self) -> LinkInput:
        assert self.keys is not None
        self.code, expires_in = self.wire.open(self.keys.public)
        self.code = normalize_code(self.code)
        self.deadline = self.monotonic() + min(expires_in, LINK_SECONDS)
        return LinkInput.CODE

    def _link_device(self) -> LinkInput:
        identity, ctx = self.identity, self.ctx
        assert identity is not None
        self.login_key = Ed25519PrivateKey.from_private_bytes(self.random(32))
        device_key = self.login_key.public_key().public_bytes_raw()
        phone = str(self.head["phone"])
        # Private keys are stored before their public parts leave: the server never holds a key we lack.
        with ctx.profile.transaction():
            published = prekeys.for_registration(ctx.profile.keys, identity, ctx.clock(), self.random)
        statement = link_statement(self.code, phone, device_key, self.wire.fingerprint)
        fields = {
            "code": self.code,
            "device_key": device_key,
            "name": device_names.seal_name(identity, self.device_name, random=self.random),
            "signature": identity.sign(statement),
            **published.registration_fields(),
        }
        try:
            self.phone, self.device = self.wire.link_device(fields)
        except LinkRefused:
            with ctx.profile.transaction():
                prekeys.forget(ctx.profile.keys, published)  # refused for sure: never handed out
            raise
        return LinkInput.DEVICE_MADE

    def _log_in(self) -> LinkInput:
        assert self.login_key is not None
        self.devices = self.wire.log_in(self.phone, self.device, self.login_key)
        return LinkInput.LOGGED_IN

    def _apply(self) -> LinkInput:
        assert self.identity is not None and self.login_key is not None
        packed = self._document()
        doc = provisioning.decode(unpack_document(packed))
        if doc["phone"] != self.phone or provisioning.identity_of(doc).public != self.identity.public:
            raise ProvisioningError("the account's data does not match the account linked")
        with self.ctx.profile.transaction():
            provisioning.apply(self.ctx, doc, device=self.device, devices=self.devices or [self.device])
            self.ctx.profile.devices.set_login_key(self.login_key.private_bytes_raw())
        return LinkInput.APPLIED

    def _document(self) -> bytes:
        head = self.head
        if isinstance(head.get("inline"), str):
            return base64.b64decode(head["inline"], validate=True)
        blob, size, digest = head.get("blob"), head.get("size"), head.get("sha256")
        if not (isinstance(blob, str) and isinstance(size, int) and isinstance(digest, str)):
            raise ProvisioningError("the account's data names no way to fetch it")
        sealed = self.wire.get_blob(blob, size)
        if hashlib.sha256(sealed).digest() != base64.b64decode(digest, validate=True):
            raise ProvisioningError("the account's data did not arrive whole")
        assert self.channel is not None
        return self.channel.open("provisioning_blob", sealed)


class ExistingEnd(End):
    """A logged-in device of the account, linking another computer."""

    role: Role = "existing"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.history = False
        self.phone = ""
        self.device = 0

    def join(self, code: str) -> None:
        self.refusal = None
        try:
            self.code = normalize_code(code)
        except CryptoError as exc:
            raise EngineError("bad_link_code", f"{str(exc).capitalize()}.") from None
        me = self.ctx.profile.account.get().phone or ""
        if len(self.ctx.profile.devices.of(me)) >= MAX_DEVICES:
            raise EngineError(*failure_words("too_many_devices"))
        self.feed(LinkInput.JOIN)

    def confirm(self, same: bool, *, history: bool = False) -> None:
        self.history = history
        self.feed(LinkInput.SAY_SAME if same else LinkInput.SAY_DIFFERENT)

    def on_done(self, device: int) -> None:
        if self.active:
            self.device = device
            self.feed(LinkInput.LINK_DONE)

    def received(self, kind: str, payload: bytes) -> None:
        if kind == "confirm":
            self.feed(LinkInput.PEER_CONFIRMED)
        elif kind == "cancel":
            self.feed(LinkInput.PEER_CANCELLED)
        else:
            self.feed(LinkInput.REFUSED)

    def act(self, action: LinkAction) -> LinkInput | None:
        if action is LinkAction.JOIN:
            return self.attempt(self._join)
        if action is LinkAction.SHOW_NUMBER:
            assert self.channel is not None
            self.emit(LinkComparison(self.channel.comparison, "existing"))
        elif action is LinkAction.SEND_PROVISIONING:
            return self.attempt(self._send_provisioning)
        elif action is LinkAction.SEND_CANCEL:
            self.cancel_quietly()
        elif action is LinkAction.FINISH:
            self.emit(LinkFinished(self.phone, self.device))
        elif action is LinkAction.FAIL:
            self.fail()
        return None

    def _join(self) -> LinkInput:
        self.keys = LinkKeyPair.generate(self.random)
        their_key = self.wire.join(self.code, self.keys.public)
        self.channel = self.keys.agree("existing", self.code, their_key)
        self.deadline = self.monotonic() + LINK_SECONDS
        return LinkInput.JOINED

    def _send_provisioning(self) -> LinkInput:
        ctx = self.ctx
        now_ms = round(ctx.clock() * 1000)
        doc = provisioning.gather(ctx, history=self.history, now_ms=now_ms)
        self.phone = doc["phone"]
        packed = zlib.compress(provisioning.encode(doc), 6)
        head: dict[str, Any] = {"phone": doc["phone"], "identity": doc["identity"]}
        if len(packed) <= _INLINE_LIMIT:
            head["inline"] = base64.b64encode(packed).decode("ascii")
        else:
            assert self.channel is not None
            sealed = self.channel.seal("provisioning_blob", packed, random=self.random)
            head["blob"] = self.wire.put_blob(sealed)
            head["size"] = len(sealed)
            head["sha256"] = base64.b64encode(hashlib.sha256(sealed).digest()).decode("ascii")
        self.send_sealed("provisioning", canonical_json(head))
        return LinkInput.SENT
