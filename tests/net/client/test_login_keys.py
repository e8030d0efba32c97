"""A device's own login key: given at registration, tried again after a lost answer, never the identity's.

Every linked computer holds the identity key, so the identity key must not log a device in: an
unlinked computer would log in as device 1 and link itself back. Real server over TLS, real profiles.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from pathlib import Path

from conftest import InProcessServer
from engine_support import pair
from wire_client import WireClient

from net.client import login_keys
from net.client.core.events import LoggedIn
from net.protocol.connection import ErrorReply
from net.protocol.login import sign_login


def test_a_registered_device_logs_in_with_its_own_key_and_the_identity_key_logs_in_nobody(
    tmp_path: Path, dev_server: InProcessServer, phone: Callable[[], str]
) -> None:
    (alice,) = pair(tmp_path, dev_server.address, phone, "alice")
    try:
        ctx = alice.engine._ctx
        assert ctx is not None and ctx.profile.devices.login_key() is not None
        assert ctx.profile.devices.pending_login_key() is None
        identity = ctx.require_identity()
        client = WireClient(dev_server.address)
        try:
            nonce = base64.b64decode(client.call("challenge", phone=alice.phone)["nonce"])
            signature = sign_login(identity, nonce, alice.phone, client.fingerprint)
            refused = client.request("login", phone=alice.phone, signature=signature)
            assert isinstance(refused, ErrorReply) and refused.code == "login_failed"
        finally:
            client.close()
        # The engine itself logs in again, with its own key.
        alice.engine.logout()
        alice.engine.connect()
        assert alice.of(LoggedIn)
    finally:
        alice.close()


def test_a_key_the_server_took_whose_answer_was_lost_is_tried_and_kept_at_the_next_login(
    tmp_path: Path, dev_server: InProcessServer, phone: Callable[[], str]
) -> None:
    (alice,) = pair(tmp_path, dev_server.address, phone, "alice")
    try:
        ctx = alice.engine._ctx
        assert ctx is not None
        before = ctx.profile.devices.login_key()
        offered = login_keys.offer(ctx)  # made and kept as pending
        assert offered != before and ctx.profile.devices.pending_login_key() == offered
        # The server takes it; the answer never reaches the profile, which still has the old key.
        alice.engine._link.require().set_login_key(login_keys.public_of(offered))
        alice.engine.logout()
        alice.events.clear()
        alice.engine.connect()  # the old key is refused; the pending one works and is kept
        assert alice.of(LoggedIn)
        assert ctx.profile.devices.login_key() == offered
        assert ctx.profile.devices.pending_login_key() is None
        # ensure() has nothing to do for a device with a key of its own.
        login_keys.ensure(ctx, alice.engine._link.require())
        assert ctx.profile.devices.login_key() == offered
    finally:
        alice.close()


def test_a_pending_key_the_server_never_took_does_not_stop_the_login(
    tmp_path: Path, dev_server: InProcessServer, phone: Callable[[], str]
) -> None:
    (alice,) = pair(tmp_path, dev_server.address, phone, "alice")
    try:
        ctx = alice.engine._ctx
        assert ctx is not None
        own = ctx.profile.devices.login_key()
        ctx.profile.devices.set_pending_login_key(os.urandom(32))  # its answer lost before the server had it
        alice.engine.logout()
        alice.events.clear()
        alice.engine.connect()
        assert alice.of(LoggedIn) and ctx.profile.devices.login_key() == own
    finally:
        alice.close()
