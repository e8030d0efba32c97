"""net.client.linking: both ends of a link over an in-memory relay, with real keys and real profiles.

The relay here does what the server's link operations do (tests/e2e/test_linking_e2e.py runs the
same over the real server); it can also swap keys, as a hostile server would.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from engine_support import FAST_KDF, PASSPHRASE
from fake_clock import FakeClock
from known_answers import counting_random

from crypto_core import device_names
from crypto_core.keys import IdentityKeyPair
from crypto_core.linking import LinkKeyPair, link_statement
from net.client import linking
from net.client.context import Context
from net.client.core.device_events import LinkCodeShown, LinkComparison, LinkFailed, LinkFinished
from net.client.core.engine_error import EngineError
from net.client.linking import ExistingEnd, LinkRefused, NewEnd
from storage.profile.account import Account
from storage.profile.directory import ProfileDirectory

ME, BOB = "+442079460301", "+442079460302"
FINGERPRINT = hashlib.sha256(b"the server").digest()
CODE = "MFRGGZDFMZTWQ2LK"


class Relay:
    """The server's part, in memory: one link, pushes queued until :meth:`pump`."""

    def __init__(self, identity: IdentityKeyPair, *, swap: bool = False) -> None:
        self.identity = identity
        self.swap = swap
        self.attacker = LinkKeyPair.generate(counting_random())
        self.new_key = b""
        self.queue: list[Callable[[], None]] = []
        self.new: NewEnd | None = None
        self.existing: ExistingEnd | None = None
        self.linked: list[dict[str, Any]] = []
        self.blobs: dict[str, bytes] = {}
        self.joined = False

    def pump(self) -> None:
        for _ in range(100):
            if not self.queue:
                return
            self.queue.pop(0)()


class NewWire:
    def __init__(self, relay: Relay) -> None:
        self.server = relay

    @property
    def fingerprint(self) -> bytes:
        return FINGERPRINT

    def open(self, key: bytes) -> tuple[str, int]:
        self.server.new_key = key
        return CODE.lower(), 600

    def join(self, code: str, key: bytes) -> bytes:
        raise AssertionError("the new end never joins")

    def relay(self, code: str, body: bytes) -> None:
        existing = self.server.existing
        assert existing is not None and code == CODE
        self.server.queue.append(lambda: existing.on_relay(body))

    def link_device(self, fields: dict[str, Any]) -> tuple[str, int]:
        relay = self.server
        statement = link_statement(fields["code"], ME, fields["device_key"], FINGERPRINT)
        Ed25519PublicKey.from_public_bytes(relay.identity.public.signing_key).verify(
            fields["signature"], statement
        )
        assert device_names.open_name(relay.identity, fields["name"]) == "Parley on home"
        assert fields["signed_prekey"].verify(relay.identity.public) is None
        relay.linked.append(fields)
        existing = relay.existing
        assert existing is not None
        relay.queue.append(lambda: existing.on_done(2))
        return ME, 2

    def log_in(self, phone: str, device: int, login_key: Ed25519PrivateKey) -> list[int]:
        assert (phone, device) == (ME, 2)
        assert login_key.public_key().public_bytes_raw() == self.server.linked[-1]["device_key"]
        return [1, 2]

    def put_blob(self, data: bytes) -> str:
        raise AssertionError("the new end uploads nothing")

    def get_blob(self, blob: str, size: int) -> bytes:
        data = self.server.blobs[blob]
        assert len(data) == size
        return data


class ExistingWire(NewWire):
    def join(self, code: str, key: bytes) -> bytes:
        relay = self.server
        if code != CODE or relay.joined:
            raise LinkRefused("link_not_found", "no such link")
        relay.joined = True
        new = relay.new
        assert new is not None
        handed = relay.attacker.public if relay.swap else key
        relay.queue.append(lambda: new.on_joined(handed))
        return relay.attacker.public if relay.swap else relay.new_key

    def relay(self, code: str, body: bytes) -> None:
        new = self.server.new
        assert new is not None and code == CODE
        self.server.queue.append(lambda: new.on_relay(body))

    def put_blob(self, data: bytes) -> str:
        blob = f"blob{len(self.server.blobs)}"
        self.server.blobs[blob] = data
        return blob


class Ends:
    def __init__(self, old: Context, new: Context, *, swap: bool = False) -> None:
        self.clock = FakeClock(1_000.0)
        self.relay = Relay(old.require_identity(), swap=swap)
        self.new_events: list[Any] = []
        self.old_events: list[Any] = []
        kw: dict[str, Any] = {"random": counting_random(), "monotonic": self.clock}
        self.new = NewEnd(
            new, NewWire(self.relay), self.new_events.append, device_name="Parley on home", **kw
        )
        self.existing = ExistingEnd(old, ExistingWire(self.relay), self.old_events.append, **kw)
        self.relay.new, self.relay.existing = self.new, self.existing

    def compare(self) -> tuple[str, str]:
        self.new.start()
        (shown,) = [e for e in self.new_events if isinstance(e, LinkCodeShown)]
        assert shown.code == "MFRG-GZDF-MZTW-Q2LK" and shown.qr == "parley-link:" + CODE
        self.existing.join(shown.qr)
        self.relay.pump()
        (new_number,) = [e.number for e in self.new_events if isinstance(e, LinkComparison)]
        (old_number,) = [e.number for e in self.old_events if isinstance(e, LinkComparison)]
        return new_number, old_number


def _context(root: Path, name: str) -> Context:
    clock = FakeClock(1_900_000_000.0)
    profile = ProfileDirectory(root, kdf_params=FAST_KDF, clock=clock).create(name, PASSPHRASE)
    return Context(profile, lambda _e: None, clock)


@pytest.fixture
def old(tmp_path: Path) -> Iterator[Context]:
    ctx = _context(tmp_path / "old", "work")
    identity = IdentityKeyPair.generate(counting_random())
    ctx.profile.keys.set_identity(identity)
    ctx.identity = identity
    ctx.profile.account.save(Account(phone=ME, registered=True))
    ctx.profile.contacts.add(BOB, "Bob")
    ctx.profile.contacts.set_verified(BOB, True)
    ctx.profile.history.add(
        BOB, client_id="m1", outgoing=True, text="hi", timestamp=1_899_999_000.0, status="read"
    )
    yield ctx
    ctx.profile.close()


@pytest.fixture
def new(tmp_path: Path) -> Iterator[Context]:
    ctx = _context(tmp_path / "new", "home")
    yield ctx
    ctx.profile.close()


def _types(events: list[Any]) -> list[type]:
    return [type(e) for e in events]


@pytest.mark.parametrize("new_first", [True, False])
def test_both_yeses_link_the_new_computer(old: Context, new: Context, new_first: bool) -> None:
    ends = Ends(old, new)
    new_number, old_number = ends.compare()
    assert new_number == old_number
    if new_first:
        ends.new.confirm(True)
        ends.relay.pump()
        assert ends.relay.linked == []  # nothing leaves before this person's yes
        ends.existing.confirm(True, history=True)
    else:
        ends.existing.confirm(True, history=True)
        ends.relay.pump()
        assert ends.relay.linked == []
        ends.new.confirm(True)
    ends.relay.pump()
    assert LinkFinished(ME, 2) in ends.new_events and LinkFinished(ME, 2) in ends.old_events
    profile = new.profile
    assert profile.account.get().phone == ME and profile.account.get().registered
    assert profile.devices.own() == 2 and profile.devices.of(ME) == [1, 2]
    assert profile.keys.identity().public == old.require_identity().public  # type: ignore[union-attr]
    login_key = profile.devices.login_key()
    assert login_key is not None and len(login_key) == 32
    assert profile.contacts.get(BOB).verified  # type: ignore[union-attr]
    assert [m.text for m in profile.history.page(BOB).messages] == ["hi"]


def test_without_history_none_comes(old: Context, new: Context) -> None:
    ends = Ends(old, new)
    ends.compare()
    ends.new.confirm(True)
    ends.existing.confirm(True)
    ends.relay.pump()
    assert LinkFinished(ME, 2) in ends.new_events
    assert new.profile.history.conversations() == []


@pytest.mark.parametrize("who", ["new", "existing"])
def test_a_no_on_either_screen_links_nothing(old: Context, new: Context, who: str) -> None:
    ends = Ends(old, new)
    ends.compare()
    if who == "new":
        ends.existing.confirm(True)
        ends.new.confirm(False)
    else:
        ends.new.confirm(True)
        ends.existing.confirm(False)
    ends.relay.pump()
    assert ends.relay.linked == [] and new.profile.keys.identity() is None
    new_failed = [e for e in ends.new_events if isinstance(e, LinkFailed)]
    old_failed = [e for e in ends.old_events if isinstance(e, LinkFailed)]
    assert len(new_failed) == len(old_failed) == 1
    saying = new_failed[0] if who == "new" else old_failed[0]
    assert saying.code == "different" and "not the same" in saying.message
    other = old_failed[0] if who == "new" else new_failed[0]
    assert other.code == "cancelled" and "other computer" in other.message


def test_an_unanswered_comparison_expires_and_links_nothing(old: Context, new: Context) -> None:
    ends = Ends(old, new)
    ends.compare()
    ends.existing.confirm(True)
    ends.relay.pump()
    ends.clock.advance(599)
    ends.new.tick()
    ends.existing.tick()
    assert not any(isinstance(e, LinkFailed) for e in ends.new_events + ends.old_events)
    ends.clock.advance(2)
    ends.new.tick()
    ends.existing.tick()
    ends.relay.pump()
    assert [e.code for e in ends.new_events if isinstance(e, LinkFailed)] == ["expired"]
    assert [e.code for e in ends.old_events if isinstance(e, LinkFailed)] == ["expired"]
    assert ends.relay.linked == [] and new.profile.keys.identity() is None
    with pytest.raises(EngineError, match="no link waiting"):
        ends.new.confirm(True)


def test_a_wrong_code_links_nothing(old: Context, new: Context) -> None:
    ends = Ends(old, new)
    ends.new.start()
    ends.existing.join("AAAA-BBBB-CCCC-DDDD")
    (failed,) = [e for e in ends.old_events if isinstance(e, LinkFailed)]
    assert failed.code == "link_not_found"
    with pytest.raises(EngineError) as bad:
        ends.existing.join("not a code")
    assert bad.value.code == "bad_link_code" and "16 letters" in bad.value.message


def test_a_server_that_swaps_a_key_makes_the_numbers_differ(old: Context, new: Context) -> None:
    ends = Ends(old, new, swap=True)
    new_number, old_number = ends.compare()
    assert new_number != old_number
    ends.existing.confirm(False)
    ends.relay.pump()
    assert ends.relay.linked == [] and new.profile.keys.identity() is None


def test_a_provisioning_too_large_for_one_relay_goes_as_a_blob(
    old: Context, new: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(linking, "_INLINE_LIMIT", 10)
    ends = Ends(old, new)
    ends.compare()
    ends.new.confirm(True)
    ends.existing.confirm(True, history=True)
    ends.relay.pump()
    assert list(ends.relay.blobs) == ["blob0"]
    assert LinkFinished(ME, 2) in ends.new_events
    assert [m.text for m in new.profile.history.page(BOB).messages] == ["hi"]


def test_six_devices_are_refused_in_words(old: Context, new: Context) -> None:
    old.profile.devices.set_of(ME, [1, 2, 3, 4, 5])
    ends = Ends(old, new)
    ends.new.start()
    with pytest.raises(EngineError) as refused:
        ends.existing.join(CODE)
    assert refused.value.code == "too_many_devices" and "five" in refused.value.message


def test_a_history_of_thousands_travels_whole_and_is_measured(old: Context, new: Context) -> None:
    """``python -m pytest -q -s tests/net/client/test_client_linking.py -k measured`` prints the figures."""
    import time
    import zlib

    from net.client import provisioning

    history = old.profile.history
    with old.profile.transaction():
        for n in range(5000):
            text = f"message number {n} about the book club and the weekend"
            history.add(BOB, client_id=f"x{n}", outgoing=n % 3 == 0, text=text, timestamp=1_899_990_000.0 + n)
    started = time.perf_counter()
    doc = provisioning.gather(old, history=True, now_ms=1_900_000_000_000)
    packed = zlib.compress(provisioning.encode(doc), 6)
    gathered = time.perf_counter() - started
    ends = Ends(old, new)
    ends.compare()
    ends.new.confirm(True)
    started = time.perf_counter()
    ends.existing.confirm(True, history=True)
    ends.relay.pump()
    linked = time.perf_counter() - started
    assert LinkFinished(ME, 2) in ends.new_events
    assert len(new.profile.history.page(BOB, limit=10_000).messages) == 5001
    print(
        f"\nprovisioning of 5,001 messages: {len(provisioning.encode(doc)):,} bytes of JSON, "
        f"{len(packed):,} zlib'd; gathered in {gathered:.2f} s; "
        f"sent, registered and applied in {linked:.2f} s"
    )
