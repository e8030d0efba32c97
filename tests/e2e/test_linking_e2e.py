"""Linking a computer to an account, end to end: a real server over TLS on loopback, real profiles.

The comparison step decides: a wrong code, a "no" on either screen or a comparison never
answered links nothing, and a server that swaps a key (here: the test's own tampering of the
server's ``link_join``) makes the two numbers differ. After linking, the new computer holds the
account and logs in as its own device; both list each other; an unlinked one is refused in words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import InProcessServer
from engine_support import Person, pair, run_until
from fake_clock import FakeClock

from crypto_core.linking import LinkKeyPair
from net.client import linking
from net.client.core.device_events import LinkCodeShown, LinkComparison, LinkFailed, LinkFinished
from net.client.core.engine_error import EngineError
from net.client.core.events import ErrorReported, LoggedIn, MessageReceived
from net.client.core.privacy import PrivacySettings
from net.client.link_wire import EngineWire
from net.server.outcome import Outcome


@pytest.fixture
def people() -> Iterator[list[Person]]:
    made: list[Person] = []
    yield made
    for person in made:
        person.close()


def _fresh(root: Path, server: InProcessServer, name: str, made: list[Person], **engine: Any) -> Person:
    """A new computer: a profile, the server chosen and its key accepted, no account."""
    person = Person(root, name, **engine)
    made.append(person)
    person.create(server.address)
    person.first_connect()
    return person


def _code(new: Person, people: list[Person]) -> str:
    new.engine.link_start()
    run_until(lambda: bool(new.of(LinkCodeShown)), people)
    shown = new.of(LinkCodeShown)[-1]
    assert shown.qr == "parley-link:" + shown.code.replace("-", "")
    return str(shown.code)


def _numbers(new: Person, old: Person, people: list[Person]) -> tuple[str, str]:
    run_until(lambda: bool(new.of(LinkComparison)) and bool(old.of(LinkComparison)), people)
    return new.of(LinkComparison)[-1].number, old.of(LinkComparison)[-1].number


def _link(new: Person, old: Person, people: list[Person], *, history: bool) -> None:
    before = len(old.of(LinkFinished))
    old.engine.link_join(_code(new, people).lower())
    new_number, old_number = _numbers(new, old, people)
    assert new_number == old_number
    new.engine.link_confirm(True)
    old.engine.link_confirm(True, history=history)
    run_until(lambda: bool(new.of(LinkFinished)) and len(old.of(LinkFinished)) > before, people)
    new.phone = old.phone


def test_a_linked_computer_gets_the_account_and_logs_in_as_its_own_device(
    tmp_path: Path, dev_server: InProcessServer, phone: Callable[[], str], people: list[Person]
) -> None:
    alice, bob, carol = pair(tmp_path, dev_server.address, phone, "alice", "bob", "carol")
    people.extend([alice, bob, carol])
    alice.engine.add_contact(bob.phone, "Bobby")
    alice.engine.set_verified(bob.phone, True)
    alice.engine.send_text(bob.phone, "before the link")
    run_until(lambda: bob.texts_from(alice.phone) == ["before the link"], [alice, bob])
    alice.engine.block(carol.phone)
    group = alice.engine.create_group("Book club", [bob.phone])
    alice.engine.set_privacy(PrivacySettings(read_receipts=False))
    alice.engine.set_disappearing(3600, contact=bob.phone)
    home = _fresh(tmp_path, dev_server, "alice-home", people)
    _link(home, alice, people, history=True)

    assert home.of(LinkFinished) == [LinkFinished(alice.phone, 2)]
    assert alice.of(LinkFinished) == [LinkFinished(alice.phone, 2)]
    assert home.of(LoggedIn) and home.engine.phone == alice.phone
    contact = home.engine.contact(bob.phone)
    assert (contact.name, contact.verified) == ("Bobby", True)
    assert carol.phone in [c.phone for c in home.engine.blocked()]
    assert [g.name for g in home.engine.groups()] == [group.name]
    assert home.engine.privacy().read_receipts is False
    assert home.engine.disappearing_timer(contact=bob.phone) == 3600
    assert [m.text for m in home.engine.history(bob.phone)] == ["before the link"]

    devices = home.engine.devices()
    assert [(d.device, d.current) for d in devices] == [(1, False), (2, True)]
    assert devices[1].name.startswith("Parley on ") and devices[1].last_seen_ms > 0
    assert [(d.device, d.current) for d in alice.engine.devices()] == [(1, True), (2, False)]
    home.engine.rename_device("Laptop at home")
    assert [d.name for d in alice.engine.devices()][1] == "Laptop at home"

    # The linked device logs in again by itself, as device 2, after a restart of its engine.
    home.engine.logout()
    home.engine.connect()
    assert home.engine.devices()[1].current

    # Unlinked from the other computer: refused at once, and it says so in words.
    alice.engine.unlink_device(2)
    run_until(lambda: any(e.code == "device_unlinked" for e in home.of(ErrorReported)), [alice, home])
    ended = [e for e in home.of(ErrorReported) if e.code == "device_unlinked"][-1]
    assert "unlinked" in ended.message
    with pytest.raises(EngineError) as refused:
        home.engine.connect()
    assert refused.value.code == "device_unlinked" and "unlinked from the account" in refused.value.message
    assert [d.device for d in alice.engine.devices()] == [1]


def test_without_history_the_new_computer_has_none(
    tmp_path: Path, dev_server: InProcessServer, phone: Callable[[], str], people: list[Person]
) -> None:
    alice, bob = pair(tmp_path, dev_server.address, phone, "alice", "bob")
    people.extend([alice, bob])
    alice.engine.send_text(bob.phone, "before the link")
    run_until(lambda: bob.texts_from(alice.phone) == ["before the link"], [alice, bob])
    home = _fresh(tmp_path, dev_server, "alice-home", people)
    _link(home, alice, [alice, home], history=False)
    assert home.engine.history(bob.phone) == []
    # Unlinking itself works from the linked computer too.
    home.engine.unlink_device(2)
    run_until(lambda: any(e.code == "device_unlinked" for e in home.of(ErrorReported)), [alice, home])


def test_a_wrong_code_links_nothing(
    tmp_path: Path, dev_server: InProcessServer, phone: Callable[[], str], people: list[Person]
) -> None:
    (alice,) = pair(tmp_path, dev_server.address, phone, "alice")
    people.append(alice)
    home = _fresh(tmp_path, dev_server, "alice-home", people)
    code = _code(home, [alice, home])
    wrong = ("B" if code[0] != "B" else "C") + code[1:]
    alice.engine.link_join(wrong)
    (failed,) = alice.of(LinkFailed)
    assert failed.code == "link_not_found" and "No computer is waiting" in failed.message
    assert [d.device for d in alice.engine.devices()] == [1]
    assert home.engine.phone is None


@pytest.mark.parametrize("says_no", ["new", "existing"])
def test_a_no_on_either_screen_links_nothing(
    tmp_path: Path, dev_server: InProcessServer, phone: Callable[[], str], people: list[Person], says_no: str
) -> None:
    (alice,) = pair(tmp_path, dev_server.address, phone, "alice")
    people.append(alice)
    home = _fresh(tmp_path, dev_server, "alice-home", people)
    alice.engine.link_join(_code(home, [alice, home]))
    _numbers(home, alice, [alice, home])
    (home if says_no == "new" else alice).engine.link_confirm(False)
    (alice if says_no == "new" else home).engine.link_confirm(True)
    run_until(lambda: bool(home.of(LinkFailed)) and bool(alice.of(LinkFailed)), [alice, home])
    assert not home.of(LinkFinished) and not alice.of(LinkFinished)
    assert [d.device for d in alice.engine.devices()] == [1]
    assert home.engine.phone is None


def test_a_comparison_never_answered_expires_and_links_nothing(
    tmp_path: Path, dev_server: InProcessServer, phone: Callable[[], str], people: list[Person]
) -> None:
    (alice,) = pair(tmp_path, dev_server.address, phone, "alice")
    people.append(alice)
    clock = FakeClock(1_000.0)
    home = _fresh(tmp_path, dev_server, "alice-home", people, monotonic=clock)
    alice.engine.link_join(_code(home, [alice, home]))
    _numbers(home, alice, [alice, home])
    alice.engine.link_confirm(True)  # the person at the new computer never answers
    clock.advance(601)
    run_until(lambda: bool(home.of(LinkFailed)), [alice, home])
    assert home.of(LinkFailed)[-1].code == "expired"
    run_until(lambda: bool(alice.of(LinkFailed)), [alice, home])  # told by the new computer
    assert [d.device for d in alice.engine.devices()] == [1] and home.engine.phone is None
    with pytest.raises(EngineError, match="no link waiting"):
        home.engine.link_confirm(True)


def test_a_server_that_swaps_a_key_makes_the_numbers_differ(
    tmp_path: Path, dev_server: InProcessServer, phone: Callable[[], str], people: list[Person]
) -> None:
    attacker = LinkKeyPair.generate()
    service = dev_server.running.service
    honest = service.links.handlers["link_join"]

    def swapping(session: Any, args: dict[str, Any]) -> Outcome:
        # A hostile server: each end gets the attacker's key in place of the other end's.
        outcome = honest(session, {**args, "key": attacker.public})
        return Outcome({"key": attacker.public}, then=outcome.then)

    service._handlers["link_join"] = swapping  # the table the server dispatches by
    (alice,) = pair(tmp_path, dev_server.address, phone, "alice")
    people.append(alice)
    home = _fresh(tmp_path, dev_server, "alice-home", people)
    alice.engine.link_join(_code(home, [alice, home]))
    new_number, old_number = _numbers(home, alice, [alice, home])
    assert new_number != old_number
    alice.engine.link_confirm(False)
    run_until(lambda: bool(home.of(LinkFailed)), [alice, home])
    assert [d.device for d in alice.engine.devices()] == [1] and home.engine.phone is None


def test_a_sixth_computer_is_refused_in_words(
    tmp_path: Path, dev_server: InProcessServer, phone: Callable[[], str], people: list[Person]
) -> None:
    (alice,) = pair(tmp_path, dev_server.address, phone, "alice")
    people.append(alice)
    for n in range(2, 6):
        other = _fresh(tmp_path, dev_server, f"alice-{n}", people)
        _link(other, alice, [alice, other], history=False)
        assert other.of(LinkFinished)[-1].device == n
    sixth = _fresh(tmp_path, dev_server, "alice-6", people)
    code = _code(sixth, [alice, sixth])
    with pytest.raises(EngineError) as refused:
        alice.engine.link_join(code)
    assert refused.value.code == "too_many_devices" and "five computers" in refused.value.message
    assert not any(isinstance(e, MessageReceived) for e in sixth.events)


def test_a_linked_computer_that_moves_the_account_to_new_keys_is_its_only_device(
    tmp_path: Path, dev_server: InProcessServer, phone: Callable[[], str], people: list[Person]
) -> None:
    (alice,) = pair(tmp_path, dev_server.address, phone, "alice")
    people.append(alice)
    home = _fresh(tmp_path, dev_server, "alice-home", people)
    _link(home, alice, [alice, home], history=False)
    home.engine.move_to_new_keys()  # after the other computer was lost, say
    home.engine.logout()
    home.engine.connect()  # as device 1 now, with the new identity's key
    assert [(d.device, d.current) for d in home.engine.devices()] == [(1, True)]
    with pytest.raises(EngineError):
        alice.engine.connect()
        alice.engine.devices()


def test_a_provisioning_too_large_for_one_relay_goes_as_a_blob(
    tmp_path: Path,
    dev_server: InProcessServer,
    phone: Callable[[], str],
    people: list[Person],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(linking, "_INLINE_LIMIT", 64)  # so that this small account needs the blob
    uploaded: list[str] = []
    put_blob = EngineWire.put_blob

    def counting(wire: EngineWire, data: bytes) -> str:
        uploaded.append(put_blob(wire, data))
        return uploaded[-1]

    monkeypatch.setattr(EngineWire, "put_blob", counting)
    alice, bob = pair(tmp_path, dev_server.address, phone, "alice", "bob")
    people.extend([alice, bob])
    alice.engine.send_text(bob.phone, "carried in a blob")
    run_until(lambda: bob.texts_from(alice.phone) == ["carried in a blob"], [alice, bob])
    home = _fresh(tmp_path, dev_server, "alice-home", people)
    _link(home, alice, [alice, home], history=True)
    assert len(uploaded) == 1  # the real server held the sealed provisioning, fetched after the login
    assert [m.text for m in home.engine.history(bob.phone)] == ["carried in a blob"]
