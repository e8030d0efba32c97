"""A person's second computer for the engine's end-to-end tests, made with the server's link operations.

Test-only, and a stand-in for the app's own linking: :func:`link_second` opens a link code on a new
connection, joins it from the person's logged-in engine, and registers a device with
``link_device``, signed by the person's identity over the link statement; the new profile gets the
person's identity, the new device's prekeys (kept in its profile) and its device id, then its
engine connects and logs in as that device. The device's login key is the identity's signing key,
so that the engine's login signs for it as for device 1.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from conftest import InProcessServer
from engine_support import Person, run_until

from net.client import prekeys
from net.protocol.devices import sign_link

NEW_KEY, EXISTING_KEY = b"N" * 32, b"E" * 32  # the link's X25519 keys: the server only passes them on


def link_second(
    root: Path, server: InProcessServer, existing: Person, name: str, others: list[Person]
) -> Person:
    """A new device of ``existing``'s account in its own profile ``name``, its engine logged in."""
    ctx = existing.engine._ctx
    conn = existing.engine._link.conn
    assert ctx is not None and conn is not None and ctx.identity is not None
    identity, phone = ctx.identity, existing.phone
    new = Person(root, name)
    new.create(server.address)
    new.first_connect()
    wire = server.connect()
    try:
        code = wire.call("link_open", key=NEW_KEY)["code"]
        conn.link_join(code, EXISTING_KEY)
        wire.wait_push("link_joined")
        made = new.engine._ctx
        assert made is not None
        device_key = identity.public.signing_key
        with made.profile.transaction():
            made.profile.keys.set_identity(identity)
            published = prekeys.for_registration(made.profile.keys, identity, time.time())
        reply = wire.call(
            "link_device",
            code=code,
            device_key=device_key,
            name=b"second computer",
            signed_prekey=published.signed_prekey,
            kem_last_resort=published.kem_last_resort,
            one_time_prekeys=published.one_time_prekeys,
            kem_prekeys=published.kem_prekeys,
            signature=sign_link(identity, code, phone, device_key, wire.fingerprint),
        )
    finally:
        wire.close()
    with made.profile.transaction():
        made.profile.account.save(replace(made.profile.account.get(), phone=phone, registered=True))
        made.profile.devices.set_own(reply["device"])
        for contact in ctx.profile.contacts.all():  # what linking's provisioning brings
            made.profile.contacts.add(contact.phone, contact.name)
    made.identity = identity
    new.phone = phone
    new.engine.connect()
    everyone = [existing, new, *others]
    run_until(lambda: ctx.profile.devices.of(phone) == sorted({1, reply["device"]}), everyone)
    return new
