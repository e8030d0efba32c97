"""net.client.link_end: the relay's framing, and the bound on what a provisioning may unpack to."""

from __future__ import annotations

import zlib

import pytest

from net.client import link_end
from net.client.link_end import frame, unframe, unpack_document
from net.client.provisioning import ProvisioningError


def test_a_frame_names_its_kind() -> None:
    assert unframe(frame("confirm", b"\x00sealed")) == ("confirm", b"\x00sealed")
    assert unframe(b"no separator") == ("", b"")
    assert unframe("é".encode() + b"\x00x") == ("", b"")
    assert unframe(b"k" * 33 + b"\x00x") == ("", b"")


def test_a_document_unpacks_whole_or_not_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    assert unpack_document(zlib.compress(b"{}")) == b"{}"
    with pytest.raises(ProvisioningError, match="did not arrive whole"):
        unpack_document(b"not zlib")
    with pytest.raises(ProvisioningError, match="did not arrive whole"):
        unpack_document(zlib.compress(b"x" * 1000)[:-4])  # cut short
    monkeypatch.setattr(link_end, "_MAX_DOCUMENT", 1000)
    with pytest.raises(ProvisioningError, match="larger than Parley takes in"):
        unpack_document(zlib.compress(b"x" * 100_000))  # a bomb: 100 kB from a few hundred bytes
