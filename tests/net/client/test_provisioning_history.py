"""net.client.provisioning_history: six months of texts, their marks and their files' keys."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_support import FAST_KDF, PASSPHRASE
from fake_clock import FakeClock

from net.client import provisioning_history
from net.client.context import Context
from net.client.provisioning_history import HISTORY_MS, ProvisioningError
from storage.profile.directory import ProfileDirectory
from storage.profile.messages import GroupChat

BOB = "+442079460302"
NOW_MS = 1_900_000_000_000


def _ctx(root: Path) -> Context:
    clock = FakeClock(NOW_MS / 1000)
    return Context(
        ProfileDirectory(root, kdf_params=FAST_KDF, clock=clock).create("x", PASSPHRASE), print, clock
    )


@pytest.fixture
def two(tmp_path: Path) -> Iterator[tuple[Context, Context]]:
    old, new = _ctx(tmp_path / "old"), _ctx(tmp_path / "new")
    yield old, new
    old.profile.close()
    new.profile.close()


def test_the_cutoff_and_pages(two: tuple[Context, Context]) -> None:
    old, new = two
    for n in range(450):  # more than two pages, the oldest 50 beyond six months
        ts = (NOW_MS - HISTORY_MS - 50_000 + n * 1000) / 1000
        old.profile.history.add(
            BOB, client_id=f"m{n}", outgoing=n % 2 == 0, text=f"t{n}", timestamp=ts, status=None
        )
    items = provisioning_history.gather(old, now_ms=NOW_MS)
    assert [i["text"] for i in items] == [f"t{n}" for n in range(50, 450)]
    with new.profile.transaction():
        assert provisioning_history.apply(new, items) == 400
        assert provisioning_history.apply(new, items) == 0  # each message once


def test_a_file_sent_from_the_other_computer_stays_there_in_words(two: tuple[Context, Context]) -> None:
    old, new = two
    sent = old.profile.history.add(BOB, client_id="f1", outgoing=True, text="", timestamp=NOW_MS / 1000 - 1)
    old.profile.attachments.add(sent.local_id, {"blob": "b", "key": "k"}, "done", file="abc")
    items = provisioning_history.gather(old, now_ms=NOW_MS)
    with new.profile.transaction():
        provisioning_history.apply(new, items)
    here = new.profile.history.get(BOB, "f1", outgoing=True)
    assert here is not None and here.attachment is not None
    assert here.attachment.state == "failed" and "another computer" in here.attachment.error
    assert here.attachment.spec == {"blob": "b", "key": "k"}


def test_a_group_this_device_was_not_given_keeps_no_history(two: tuple[Context, Context]) -> None:
    old, new = two
    old.profile.groups.upsert("g" * 32, "member")
    old.profile.history.add(
        GroupChat("g" * 32), client_id="g1", outgoing=True, text="x", timestamp=NOW_MS / 1000
    )
    items = provisioning_history.gather(old, now_ms=NOW_MS)
    with new.profile.transaction():
        assert provisioning_history.apply(new, items) == 0


def test_bad_items_are_refused_in_words(two: tuple[Context, Context]) -> None:
    _, new = two
    for bad in ("x", [{"chat": {}}], [{"chat": {"contact": BOB}}]):
        with pytest.raises(ProvisioningError):
            provisioning_history.apply(new, bad)
