"""What the engine does by itself: another device taking the account over, healing's rate limit, and
topping prekeys up as soon as the server says they run low."""

from __future__ import annotations

import shutil

from engine_support import PASSPHRASE, Person, pair, run_until
from wire_client import Person as WirePerson
from wire_client import WireClient

from net import prekeys
from net.events import ConnectionState, ErrorReported, UndecryptableMessage
from net.limits import Limits


def test_a_login_elsewhere_takes_this_engine_offline_for_good(tmp_path, server_factory, phone) -> None:
    server = server_factory(dev_codes=True)
    (alice,) = pair(tmp_path, server.address, phone, "alice")
    profile_id = alice.engine.list_profiles()[0][0]
    shutil.copytree(alice.root, tmp_path / "copy" / "alice")
    other = Person(tmp_path / "copy", "alice")
    try:
        other.engine.unlock(profile_id, PASSPHRASE)
        other.engine.connect()
        run_until(lambda: alice.engine.connection_state is ConnectionState.OFFLINE, [alice])
        (ended,) = [e for e in alice.of(ErrorReported) if e.code == "session_ended"]
        assert "another device" in ended.message
        alice.engine.poll(0.1)
        assert alice.engine.connection_state is ConnectionState.OFFLINE  # no tug of war over the account
        assert other.engine.connection_state is ConnectionState.CONNECTED
    finally:
        alice.close()
        other.close()


def test_healing_starts_at_most_one_new_session_per_contact_at_a_time(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    alice, bob = pair(tmp_path, server.address, phone, "alice", "bob")
    try:
        alice.engine.add_contact(bob.phone)
        alice.engine.send_text(bob.phone, "one")
        run_until(lambda: bob.texts_from(alice.phone) == ["one"], [alice, bob])
        duties = bob.engine._duties
        assert duties is not None
        before = server.running.store.prekey_counts(alice.phone)
        duties.heal({alice.phone: ["c-1"]})
        duties.heal({alice.phone: ["c-2"]})  # within the interval: no second bundle, no second reset
        assert server.running.store.prekey_counts(alice.phone)[0] == before[0] - 1
        run_until(lambda: len(server.running.store.fetch(alice.phone, 0, 10)[0]) == 0, [alice, bob])
        assert bob.of(UndecryptableMessage) == []
    finally:
        alice.close()
        bob.close()


def test_a_prekeys_low_push_tops_the_prekeys_up_without_waiting_for_the_hourly_check(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True, limits=Limits(prekeys_per_target=1000))
    (alice,) = pair(tmp_path, server.address, phone, "alice")
    fetcher, client = WirePerson(phone()), WireClient(server.address)
    try:
        run_until(lambda: alice.engine.connection_state is ConnectionState.CONNECTED, [alice])
        alice.engine.poll(0.2)  # the check after login is done; the next is an hour away
        code = client.call("register_start", phone=fetcher.phone, email=fetcher.email)["code"]
        client.call("register_finish", **fetcher.finish_args(code))
        fetcher.login(client)
        drained = prekeys.TARGET - prekeys.LOW + 1
        for _ in range(drained):
            client.call("get_bundle", phone=alice.phone)
        store = server.running.store
        assert store.prekey_counts(alice.phone) == (prekeys.LOW - 1, prekeys.LOW - 1)
        run_until(lambda: store.prekey_counts(alice.phone) == (prekeys.TARGET, prekeys.TARGET), [alice])
    finally:
        client.close()
        alice.close()
