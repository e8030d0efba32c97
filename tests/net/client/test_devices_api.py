"""net.client.devices_api: the device commands' refusals before any network, and the default name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from engine_support import FAST_KDF, PASSPHRASE

from net.client.core.engine_error import EngineError
from net.client.devices_api import default_device_name
from net.client.messenger import Messenger
from storage.profile.account import Account


def test_the_default_name_is_the_host_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("platform.node", lambda: "desk-42")
    assert default_device_name() == "Parley on desk-42"
    monkeypatch.setattr("platform.node", lambda: "")
    assert default_device_name() == "Parley on this computer"


def test_commands_say_what_is_missing(tmp_path: Path) -> None:
    events: list[Any] = []
    engine = Messenger(tmp_path, events.append, kdf_params=FAST_KDF)
    try:
        with pytest.raises(EngineError) as locked:
            engine.devices()
        assert locked.value.code == "locked"
        engine.create_profile("Ada", PASSPHRASE)
        for call in (engine.devices, lambda: engine.unlink_device(2), lambda: engine.link_join("A" * 16)):
            with pytest.raises(EngineError) as offline:
                call()
            assert offline.value.code == "offline"
        with pytest.raises(EngineError) as nothing:
            engine.link_confirm(True)
        assert nothing.value.code == "no_link"
        engine.link_cancel()  # nothing to cancel: nothing happens
        ctx = engine._ctx
        assert ctx is not None
        ctx.profile.account.save(Account(phone="+442079460301", registered=True, server="localhost:1"))
        with pytest.raises(EngineError) as registered:
            engine.link_start()
        assert registered.value.code == "registered"
    finally:
        engine.close()
