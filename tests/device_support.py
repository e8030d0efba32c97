"""Linked devices for server tests over real TLS: link a new device to a person's account, log it in.

:func:`link_device` does the whole link as net/protocol/PROTOCOL.md ("Devices") spells it, on two
real connections: the new one opens a code, the existing one joins it, the new one registers its
device with the link statement signed by the person's identity, then logs in with its own key.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from typing import Any

from conftest import InProcessServer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from wire_client import Person, WireClient

from crypto_core.keys import KemPreKey, OneTimePreKey, SignedPreKey
from net.protocol.devices import sign_link
from net.protocol.login import login_statement

NEW_KEY = b"N" * 32  # the new device's X25519 handshake key (the server only passes it on)
EXISTING_KEY = b"E" * 32


def b64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


@dataclass
class NewDevice:
    """A device's own keys: its login key and its prekeys, all but the login key signed by the identity."""

    person: Person
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    number: int = 0
    signed_prekey: SignedPreKey = field(init=False)
    last_resort: KemPreKey = field(init=False)
    one_time: list[OneTimePreKey] = field(init=False)
    kem: list[KemPreKey] = field(init=False)

    def __post_init__(self) -> None:
        identity = self.person.identity
        self.signed_prekey = SignedPreKey.generate(identity, 11, int(time.time()))
        self.last_resort = KemPreKey.generate(identity, 2000, last_resort=True)
        self.one_time = [OneTimePreKey.generate(500 + i) for i in range(2)]
        self.kem = [KemPreKey.generate(identity, 600 + i, last_resort=False) for i in range(2)]

    @property
    def public(self) -> bytes:
        return self.key.public_key().public_bytes_raw()

    def link_args(self, code: str, fingerprint: bytes, **overrides: Any) -> dict[str, Any]:
        args: dict[str, Any] = {
            "code": code,
            "device_key": self.public,
            "name": b"sealed name",
            "signed_prekey": self.signed_prekey.public(),
            "kem_last_resort": self.last_resort.public(),
            "one_time_prekeys": [k.public() for k in self.one_time],
            "kem_prekeys": [k.public() for k in self.kem],
            "signature": sign_link(self.person.identity, code, self.person.phone, self.public, fingerprint),
        }
        args.update(overrides)
        return args

    def login(self, client: WireClient) -> dict[str, Any]:
        phone = self.person.phone
        nonce = b64(client.call("challenge", phone=phone)["nonce"])
        signature = self.key.sign(login_statement(nonce, phone, client.fingerprint))
        return client.call("login", phone=phone, signature=signature, device=self.number)


def open_and_join(server: InProcessServer, existing: WireClient) -> tuple[WireClient, str]:
    """A new connection with a link code that ``existing`` (logged in) has joined."""
    new = server.connect()
    code = new.call("link_open", key=NEW_KEY)["code"]
    assert b64(existing.call("link_join", code=code, key=EXISTING_KEY)["key"]) == NEW_KEY
    joined = new.wait_push("link_joined")
    assert b64(joined.body["key"]) == EXISTING_KEY
    return new, code


def link_device(
    server: InProcessServer, person: Person, existing: WireClient
) -> tuple[NewDevice, WireClient]:
    """A device linked to ``person``'s account through ``existing`` and logged in on its own connection."""
    new, code = open_and_join(server, existing)
    device = NewDevice(person)
    reply = new.call("link_device", **device.link_args(code, new.fingerprint))
    assert reply["phone"] == person.phone
    device.number = reply["device"]
    assert existing.wait_push("link_done").body == {"device": device.number}
    device.login(new)
    return device, new


def registered(server: InProcessServer, phone: str) -> tuple[Person, WireClient]:
    """Someone registered and logged in as device 1, with a login key of its own (so it may link)."""
    person, client = Person(phone), server.connect()
    person.register(client, server.codes)
    person.login(client)
    person.own_login_key(client)
    return person, client
