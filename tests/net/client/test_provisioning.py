"""net.client.provisioning: what an existing device hands a new one, taken in one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_support import FAST_KDF, PASSPHRASE
from fake_clock import FakeClock
from known_answers import counting_random

from crypto_core.keys import IdentityKeyPair
from net.client import provisioning
from net.client.context import Context
from net.client.core.events import Event
from net.client.core.privacy import PrivacySettings
from net.client.privacy import load as load_privacy
from net.client.privacy import save as save_privacy
from net.client.provisioning import ProvisioningError
from net.client.provisioning_history import HISTORY_MS
from storage.profile.account import Account
from storage.profile.directory import ProfileDirectory
from storage.profile.errors import DiskFull
from storage.profile.messages import GroupChat

ME, BOB, CAROL, EVE = "+442079460301", "+442079460302", "+442079460303", "+442079460309"
NOW = 1_900_000_000.0
NOW_MS = int(NOW * 1000)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


def _context(root: Path, name: str, clock: FakeClock) -> Context:
    profile = ProfileDirectory(root, kdf_params=FAST_KDF, clock=clock).create(name, PASSPHRASE)
    events: list[Event] = []
    return Context(profile, events.append, clock)


@pytest.fixture
def old(tmp_path: Path, clock: FakeClock) -> Iterator[Context]:
    ctx = _context(tmp_path / "old", "Ada at work", clock)
    profile = ctx.profile
    identity = IdentityKeyPair.generate(counting_random())
    profile.keys.set_identity(identity)
    ctx.identity = identity
    profile.account.save(Account(phone=ME, registered=True, server="localhost:1"))
    profile.account.set_display_name("Ada")
    profile.account.set_profile_picture(b"\xff\xd8jpeg")
    bob_identity = IdentityKeyPair.generate(counting_random()).public
    profile.contacts.add(BOB, "Bobby")
    profile.contacts.pin_identity(BOB, bob_identity)
    profile.contacts.set_verified(BOB, True)
    profile.contacts.add(CAROL, "Carol")
    profile.contacts.add(EVE, "", standing="blocked")
    profile.devices.set_of(BOB, [1, 3])
    profile.devices.set_of(ME, [1, 2])
    profile.groups.upsert("g" * 32, "member", state={"name": "Book club"})
    profile.timers.set_chat(BOB, 3600, NOW_MS - 10, ME)
    save_privacy(ctx, PrivacySettings(read_receipts=False, typing_notices=False))
    history = profile.history
    history.add(
        BOB, client_id="old-1", outgoing=True, text="a year ago", timestamp=NOW - 365 * 86400, status="read"
    )
    sent = history.add(BOB, client_id="new-1", outgoing=True, text="first", timestamp=NOW - 60, status="read")
    got = history.add(BOB, client_id="new-2", outgoing=False, text="hello", timestamp=NOW - 30)
    profile.actions.edit(sent.local_id, "first, edited", NOW_MS - 50)
    profile.actions.react(got.local_id, ME, "\U0001f44d", NOW_MS - 20)
    file_spec = {"blob": "b" * 32, "key": "k", "name": "cat.jpg", "size": 10}
    profile.attachments.add(got.local_id, file_spec, "done", file=profile.attachments.new_name())
    history.add(
        GroupChat("g" * 32),
        client_id="gm-1",
        outgoing=False,
        text="in the group",
        timestamp=NOW - 5,
        sender=CAROL,
    )
    yield ctx
    profile.close()


@pytest.fixture
def new(tmp_path: Path, clock: FakeClock) -> Iterator[Context]:
    ctx = _context(tmp_path / "new", "Ada at home", clock)
    ctx.profile.account.save(Account(server="localhost:1"))
    yield ctx
    ctx.profile.close()


def _roundtrip(old: Context, new: Context, *, history: bool) -> None:
    doc = provisioning.decode(provisioning.encode(provisioning.gather(old, history=history, now_ms=NOW_MS)))
    provisioning.apply(new, doc, device=2, devices=[1, 2])


def test_the_new_device_gets_the_identity_profile_contacts_groups_settings_and_timers(
    old: Context, new: Context
) -> None:
    _roundtrip(old, new, history=False)
    profile = new.profile
    assert profile.keys.identity() is not None
    assert profile.keys.identity().public == old.require_identity().public  # type: ignore[union-attr]
    assert new.identity is not None and new.identity.public == old.require_identity().public
    account = profile.account.get()
    assert (account.phone, account.registered, account.server) == (ME, True, "localhost:1")
    assert profile.devices.own() == 2 and profile.devices.of(ME) == [1, 2]
    assert (profile.account.display_name(), profile.account.profile_picture()) == ("Ada", b"\xff\xd8jpeg")
    bob = profile.contacts.get(BOB)
    assert bob is not None and (bob.name, bob.verified) == ("Bobby", True)
    assert bob.identity == old.profile.contacts.get(BOB).identity  # type: ignore[union-attr]
    assert profile.contacts.get(EVE).standing == "blocked"  # type: ignore[union-attr]
    assert profile.devices.of(BOB) == [1, 3]
    group = profile.groups.get("g" * 32)
    assert group is not None and group.standing == "member" and group.state == {"name": "Book club"}
    assert profile.timers.chat(BOB).seconds == 3600
    settings = load_privacy(new)
    assert (settings.read_receipts, settings.typing_notices) == (False, False)
    assert profile.history.conversations() == []  # no history unless ticked


def test_with_history_the_last_six_months_come_with_edits_reactions_and_files_keys(
    old: Context, new: Context
) -> None:
    _roundtrip(old, new, history=True)
    history, actions = new.profile.history, new.profile.actions
    texts = [m.text for m in reversed(history.page(BOB).messages)]
    assert texts == ["first, edited", "hello"]  # the one of a year ago stayed behind
    sent = history.get(BOB, "new-1", outgoing=True)
    assert sent is not None and sent.status == "read"
    assert [v.text for v in actions.versions(sent.local_id)] == ["first"]
    got = history.get(BOB, "new-2", outgoing=False)
    assert got is not None
    assert [(r.reactor, r.emoji) for r in actions.reactions([got.local_id])[got.local_id]] == [
        (ME, "\U0001f44d")
    ]
    assert got.attachment is not None and got.attachment.spec["blob"] == "b" * 32
    assert got.attachment.state == "paused"  # downloaded again from the server on request
    (group_message,) = history.page(GroupChat("g" * 32)).messages
    assert (group_message.text, group_message.sender) == ("in the group", CAROL)
    assert HISTORY_MS == 183 * 24 * 3600 * 1000


def test_a_failure_part_way_leaves_nothing_applied(old: Context, new: Context) -> None:
    doc = provisioning.gather(old, history=True, now_ms=NOW_MS)
    doc["history"][-1]["ts_ms"] = "not a time"  # the very last part breaks
    with pytest.raises(ProvisioningError, match="history"):
        provisioning.apply(new, provisioning.decode(provisioning.encode(doc)), device=2, devices=[1, 2])
    profile = new.profile
    assert profile.keys.identity() is None and profile.account.get().registered is False
    assert profile.contacts.all() == [] and profile.groups.all() == [] and profile.devices.own() == 1
    assert profile.history.conversations() == []
    assert new.identity is None


def test_a_full_disk_part_way_leaves_nothing_applied(
    old: Context, new: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = provisioning.decode(provisioning.encode(provisioning.gather(old, history=True, now_ms=NOW_MS)))

    def full(*_args: object, **_kwargs: object) -> None:
        raise DiskFull

    monkeypatch.setattr(new.profile.timers, "set_chat", full)
    with pytest.raises(DiskFull):
        provisioning.apply(new, doc, device=2, devices=[1, 2])
    assert new.profile.keys.identity() is None and new.profile.contacts.all() == []


def test_bad_documents_are_refused_in_words(old: Context) -> None:
    for data, words in (
        (b"not json", "did not arrive whole"),
        (b'{"v": 2}', "does not understand"),
        (b'{"v": 1, "phone": "+1", "identity": {}, "contacts": [], "groups": "x"}', "groups"),
    ):
        with pytest.raises(ProvisioningError, match=words):
            provisioning.decode(data)
    doc = provisioning.gather(old, history=False, now_ms=NOW_MS)
    doc["identity"] = {"sign": "AAAA"}
    with pytest.raises(ProvisioningError, match="identity"):
        provisioning.identity_of(doc)


def test_an_unregistered_profile_has_nothing_to_give(new: Context) -> None:
    with pytest.raises(ProvisioningError, match="not registered"):
        provisioning.gather(new, history=False, now_ms=NOW_MS)
