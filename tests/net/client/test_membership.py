"""The account's standing with its server (membership.py): codes, the registration lock, new keys.

The first tests drive :class:`Membership` alone, with no server; the rest go through
the Messenger, its one caller, against a running server.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_support import FAST_KDF, PASSPHRASE, Person, pair, run_until

from net.client.context import Context
from net.client.core.engine_error import EngineError
from net.client.core.events import CodeSent, ConnectionState, Event, ReregistrationRequested
from net.client.duties import Duties
from net.client.inbox import Inbox
from net.client.link import Link
from net.client.membership import Membership
from net.client.outbox import Outbox
from net.client.prekeys import TARGET
from net.client.transport import ConnectionLost
from net.protocol.errors import RequestRefused
from storage.profile.directory import ProfileDirectory


def _membership(events: list[Event]) -> tuple[Membership, Link]:
    link = Link(events.append, lambda _p: None)
    return Membership(link, events.append), link


def test_a_refusal_becomes_an_engine_error_and_a_drop_says_offline() -> None:
    events: list[Event] = []
    membership, link = _membership(events)

    def refused() -> None:
        raise RequestRefused("busy", "Too many requests.")

    def lost() -> None:
        raise ConnectionLost("reset by peer")

    with pytest.raises(EngineError) as caught:
        membership.guard(refused)
    assert (caught.value.code, caught.value.message) == ("busy", "Too many requests.")
    with pytest.raises(EngineError) as caught:
        membership.guard(lost)
    assert caught.value.code == "offline" and "reset by peer" in caught.value.message
    assert link.conn is None  # the link was told of the drop
    assert membership.guard(lambda: 7) == 7


def test_checks_come_before_the_network(tmp_path: Path) -> None:
    events: list[Event] = []
    membership, _link = _membership(events)
    profile = ProfileDirectory(tmp_path, kdf_params=FAST_KDF).create("Ada", PASSPHRASE)
    ctx = Context(profile, events.append)
    try:
        with pytest.raises(EngineError) as caught:
            membership.set_registration_lock("short")
        assert caught.value.code == "bad_lock"
        with pytest.raises(EngineError) as caught:
            membership.set_registration_lock(None)  # a lock needs a logged-in connection
        assert caught.value.code == "offline"
        link = Link(events.append, lambda _p: None)
        duties = Duties(ctx, link, Inbox(ctx), Outbox(ctx, link))
        with pytest.raises(EngineError) as caught:
            membership.register_start(ctx, duties, "+442079460958", "not an address")
        assert caught.value.code == "bad_email"
        with pytest.raises(EngineError) as caught:  # the checks passed: now it needs a server
            membership.register_start(ctx, duties, "+442079460958", "ada@example.org")
        assert caught.value.code == "no_server"
        with pytest.raises(EngineError) as caught:
            membership.register_finish(ctx, duties, "123456", None)
        assert caught.value.code == "no_code"
        assert ctx.identity is None  # no key was made for a registration that never began
        assert not [e for e in events if isinstance(e, CodeSent)]
    finally:
        profile.close()


def test_a_wrong_code_keeps_the_profile_unregistered_and_a_right_one_registers(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    ada = Person(tmp_path, "ada")
    number = phone()
    try:
        ada.create(server.address)
        ada.first_connect()
        ada.engine.register_start(number, "ada@example.org")
        code = ada.of(CodeSent)[-1].dev_code
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        with pytest.raises(EngineError) as caught:
            ada.engine.register_finish(wrong)
        assert caught.value.code == "wrong_code"
        assert ada.engine.phone is None
        ada.engine.register_finish(code)
        assert ada.engine.phone == number
        assert server.running.store.prekey_counts(number) == (TARGET, TARGET)
    finally:
        ada.close()


def test_a_new_device_is_told_where_the_code_went_and_needs_the_lock_while_the_owner_is_told(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    ada, thief = Person(tmp_path, "ada"), Person(tmp_path, "thief")
    number = phone()
    try:
        ada.register(server.address, number)
        assert ada.engine.set_registration_lock("correct horse battery") is True
        with pytest.raises(EngineError) as short:
            ada.engine.set_registration_lock("short")
        assert short.value.code == "bad_lock"
        thief.create(server.address)
        thief.first_connect()
        thief.engine.register_start(number, "thief@evil.example")
        sent = thief.of(CodeSent)[-1]
        assert sent.existing and sent.lock and sent.sent_to == "a\u2022\u2022\u2022@example.org"
        run_until(lambda: bool(ada.of(ReregistrationRequested)), [ada])
        assert ada.of(ReregistrationRequested)[-1].sent_to == "a\u2022\u2022\u2022@example.org"
        assert sent.dev_code is not None
        with pytest.raises(EngineError) as caught:
            thief.engine.register_finish(sent.dev_code)
        assert caught.value.code == "lock_required" and thief.engine.phone is None
        with pytest.raises(EngineError) as caught:
            thief.engine.register_finish(sent.dev_code, "wrong horse battery")
        assert caught.value.code == "wrong_lock"
        thief.engine.register_finish(sent.dev_code, "correct horse battery")  # the owner, after all
        assert thief.engine.phone == number
    finally:
        ada.close()
        thief.close()


def test_moving_to_new_keys_needs_no_code_and_keeps_the_account_online(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    ada, bob = pair(tmp_path, server.address, phone, "ada", "bob")
    try:
        before = server.running.store.account(ada.phone).identity  # type: ignore[union-attr]
        codes = len(ada.of(CodeSent))
        ada.engine.move_to_new_keys()
        after = server.running.store.account(ada.phone).identity  # type: ignore[union-attr]
        assert after != before and len(ada.of(CodeSent)) == codes
        assert after == ada.engine._require().require_identity().public.to_json()
        assert server.running.store.prekey_counts(ada.phone) == (TARGET, TARGET)
        ada.engine.logout()
        ada.engine.connect()  # the new keys log in
        run_until(lambda: ada.connection_state is ConnectionState.CONNECTED, [ada])
    finally:
        ada.close()
        bob.close()


def test_a_profile_moved_to_a_server_that_does_not_know_it_registers_there_and_keeps_what_it_has(
    tmp_path, server_factory, phone
) -> None:
    first, second = server_factory(dev_codes=True), server_factory(dev_codes=True)
    ada, bob = pair(tmp_path, first.address, phone, "ada", "bob")
    try:
        sent = ada.engine.send_text(bob.phone, "Before the move")
        run_until(lambda: bob.texts_from(ada.phone) == ["Before the move"], [ada, bob])
        identity = first.running.store.account(ada.phone).identity  # type: ignore[union-attr]
        ada.engine.set_server(*second.address)
        with pytest.raises(EngineError) as refused:
            ada.first_connect()  # the second connect logs in: this server does not know the account
        assert refused.value.code == "login_failed"
        assert ada.connection_state is ConnectionState.OFFLINE and ada.engine.phone == ada.phone

        # Registering there needs no login: a code, then the same keys are registered on this server.
        ada.engine.register_start(ada.phone, ada.engine.email or "")
        code = ada.of(CodeSent)[-1].dev_code
        assert code is not None and ada.engine.email == "ada@example.org"
        ada.engine.register_finish(code)
        assert ada.engine.phone == ada.phone
        assert second.running.store.account(ada.phone).identity == identity  # type: ignore[union-attr]
        run_until(lambda: ada.connection_state is ConnectionState.CONNECTED, [ada])
        # the contacts and the history stayed in the profile
        assert [c.phone for c in ada.engine.contacts()] == [bob.phone]
        assert [m.text for m in ada.engine.history(bob.phone)] == ["Before the move"]
        assert ada.engine.history(bob.phone)[0].message_id == sent.message_id
    finally:
        ada.close()
        bob.close()
