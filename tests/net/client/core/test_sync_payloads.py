"""Sync payloads between our own devices: each kind round-trips through the envelope's encoding,
and a malformed one is refused in words that never quote it."""

from __future__ import annotations

import json

import pytest

from crypto_core.keys import IdentityKeyPair
from net.client.core.envelope import MalformedEnvelope, Text, decode_payload, encode_payload
from net.client.core.privacy import NotificationContent, PrivacySettings
from net.client.core.standing import Standing
from net.client.core.sync_payloads import ContactSync, ReadSync, SettingsSync, SyncSent

BOB = "+442079460302"


def test_every_kind_round_trips_and_is_padded_like_any_payload() -> None:
    inner = encode_payload(Text("m-1", 1_700_000_000_000, "hello"))
    for payload in (
        SyncSent(inner, to=BOB),
        SyncSent(inner, group="g-abc"),
        ReadSync(BOB, "m-1"),
        ReadSync("g-abc", "m-2", by=BOB),
        ContactSync(BOB, "Bob", Standing.BLOCKED, True, IdentityKeyPair.generate().public),
        ContactSync(BOB, "Bob", Standing.ACCEPTED, False),
        SettingsSync(PrivacySettings(False, True, NotificationContent.NAME_ONLY)),
    ):
        encoded = encode_payload(payload)
        assert len(encoded) % 64 == 0
        assert decode_payload(encoded) == payload
    copied = decode_payload(encode_payload(SyncSent(inner, to=BOB)))
    assert isinstance(copied, SyncSent)
    assert decode_payload(copied.payload) == Text("m-1", 1_700_000_000_000, "hello")


def test_a_sync_copy_names_a_contact_or_a_group_never_both() -> None:
    with pytest.raises(ValueError):
        SyncSent(b"x", to=BOB, group="g-abc")
    with pytest.raises(ValueError):
        SyncSent(b"x")


@pytest.mark.parametrize(
    "obj",
    [
        {"t": "sync_sent", "p": "eA=="},
        {"t": "sync_sent", "to": BOB, "g": "g-abc", "p": "eA=="},
        {"t": "sync_sent", "to": "not a number", "p": "eA=="},
        {"t": "sync_sent", "to": BOB, "p": "not base64!"},
        {"t": "sync_read", "c": BOB, "up_to": "bad id with spaces", "by": ""},
        {"t": "sync_read", "c": BOB, "up_to": "m-1", "by": "Bob"},
        {"t": "sync_contact", "phone": BOB, "name": "Bob", "standing": "friend", "verified": True},
        {"t": "sync_contact", "phone": BOB, "name": "Bob", "standing": "accepted", "verified": "yes"},
        {"t": "sync_contact", "phone": BOB, "name": "B" * 65, "standing": "accepted", "verified": False},
        {
            "t": "sync_contact",
            "phone": BOB,
            "name": "B",
            "standing": "accepted",
            "verified": False,
            "id": {},
        },
        {"t": "sync_settings", "read_receipts": "off"},
        {"t": "sync_unknown"},
    ],
)
def test_a_malformed_sync_payload_is_refused_without_quoting_it(obj: dict[str, object]) -> None:
    with pytest.raises(MalformedEnvelope) as caught:
        decode_payload(json.dumps(obj).encode())
    assert "Bob" not in str(caught.value) and "not a number" not in str(caught.value)


def test_reprs_keep_numbers_names_and_copied_payloads_out() -> None:
    assert BOB not in repr(ContactSync(BOB, "Bob", Standing.ACCEPTED, False))
    assert "Bob" not in repr(ContactSync(BOB, "Bob", Standing.ACCEPTED, False))
    assert "secret" not in repr(SyncSent(b"secret", to=BOB))
