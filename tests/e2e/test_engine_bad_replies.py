"""End to end: a server that breaks the shape of a reply or a push is a broken connection, nothing more.

The server is a real one over TLS on loopback; for a while one operation's
reply (or the push a send makes) is rewritten into one that breaks
net/protocol/PROTOCOL.md, exactly as a buggy or hostile server would send it. The engine
must name the operation and the field, drop the connection, reconnect by itself
once the server is right again, and lose nothing: a message not acknowledged
stays on the server, a send whose reply was unreadable is sent again under its
client id and stored once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from engine_support import NAME, pair, run_until

from net.client.core.engine_error import EngineError
from net.client.core.events import ConnectionChanged, ConnectionState, LoggedIn
from net.protocol.schema import PUSH_MESSAGE
from net.server.outcome import Outcome


class Rewriting:
    """Makes the running server pass ``op``'s outcome through ``rewrite`` while :attr:`on`; counts them."""

    def __init__(
        self, server: Any, op: str, rewrite: Callable[[Any, dict[str, Any], Outcome], Outcome]
    ) -> None:
        handlers = server.running.service._handlers
        original: Callable[[Any, dict[str, Any]], Outcome] = handlers[op]
        self.on = True
        self.count = 0

        def handle(session: Any, args: dict[str, Any]) -> Outcome:
            outcome = original(session, args).settled()
            if not self.on:
                return outcome
            self.count += 1
            return rewrite(session, args, outcome)

        handlers[op] = handle


def _drops(person: Any) -> list[str]:
    return [e.detail for e in person.of(ConnectionChanged) if e.state is ConnectionState.RECONNECTING]


def test_a_fetch_page_with_a_message_without_an_id_drops_reconnects_and_loses_nothing(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    alice, bob = pair(tmp_path, server.address, phone, "alice", "bob")
    try:
        alice.engine.add_contact(bob.phone, "Bob")
        bob.engine.logout()
        for n in range(5):
            alice.engine.send_text(bob.phone, f"waiting {n}")
        run_until(lambda: server.running.store.queued_count(bob.phone) == 5 + NAME, [alice])

        def without_the_fourth_id(_session: Any, _args: dict[str, Any], outcome: Outcome) -> Outcome:
            messages = [dict(m) for m in outcome.body["messages"]]
            if len(messages) > 3:
                del messages[3]["id"]
            return Outcome({**outcome.body, "messages": messages})

        broken = Rewriting(server, "fetch", without_the_fourth_id)
        logins = len(bob.of(LoggedIn))
        with pytest.raises(EngineError) as caught:
            bob.engine.connect()  # the fetch after the login breaks the connection
        assert (
            caught.value.code == "offline" and "fetch reply.messages[3].id: missing" in caught.value.message
        )
        run_until(lambda: broken.count >= 2, [bob], timeout=30)  # it reconnects by itself, and again
        assert "fetch reply.messages[3].id: missing" in _drops(bob)
        assert not bob.texts_from(alice.phone)  # nothing of a malformed page is taken as read...
        assert server.running.store.queued_count(bob.phone) == 5 + NAME  # ...or acknowledged

        broken.on = False
        run_until(
            lambda: bob.texts_from(alice.phone) == [f"waiting {n}" for n in range(5)],
            [alice, bob],
            timeout=60,
        )
        run_until(lambda: server.running.store.queued_count(bob.phone) == 0, [alice, bob])
        assert bob.connection_state is ConnectionState.CONNECTED
        assert len(bob.of(LoggedIn)) > logins + 1  # every drop was a new connection and login
    finally:
        alice.close()
        bob.close()


def test_a_send_reply_of_the_wrong_type_drops_and_the_message_is_stored_once(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    alice, bob = pair(tmp_path, server.address, phone, "alice", "bob")
    try:
        alice.engine.add_contact(bob.phone, "Bob")

        def ts_as_text(_session: Any, _args: dict[str, Any], outcome: Outcome) -> Outcome:
            return Outcome({**outcome.body, "ts": "later"})  # stored, but its push and reply go missing

        broken = Rewriting(server, "send", ts_as_text)
        sent = alice.engine.send_text(bob.phone, "exactly once")
        run_until(
            lambda: any(d.startswith("send reply.ts: expected an integer") for d in _drops(alice)), [alice]
        )
        assert alice.statuses(sent.message_id) == ["queued"]  # not sent until a readable reply says so

        broken.on = False
        run_until(lambda: "sent" in alice.statuses(sent.message_id), [alice], timeout=60)
        assert alice.connection_state is ConnectionState.CONNECTED
        assert (
            server.running.store.queued_count(bob.phone) == 1 + NAME
        )  # the repeat: recognised by its client id
        bob.engine.logout()
        bob.engine.connect()
        run_until(lambda: bob.texts_from(alice.phone) == ["exactly once"], [alice, bob])
        assert len(bob.engine.history(alice.phone)) == 1
    finally:
        alice.close()
        bob.close()


def test_a_message_push_without_an_id_drops_and_the_message_is_fetched_after_the_reconnect(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    alice, bob = pair(tmp_path, server.address, phone, "alice", "bob")
    try:
        alice.engine.add_contact(bob.phone, "Bob")
        presence = server.running.service.presence

        def push_it_broken(session: Any, args: dict[str, Any], outcome: Outcome) -> Outcome:
            # One broken push is the case under test: Bob's receipt after his reconnect goes as usual,
            # however soon the reconnect comes.
            broken.on = False

            def push() -> None:
                online = presence.get(args["to"])
                if online is not None:  # the push as a broken server makes it: no id, not transient
                    online.push(PUSH_MESSAGE, {"from": session.phone, "body": args["body"], "ts": 1})

            return Outcome(outcome.body, then=push)

        broken = Rewriting(server, "send", push_it_broken)
        alice.engine.send_text(bob.phone, "pushed wrong")
        run_until(lambda: "message push.id: missing" in _drops(bob), [alice, bob])
        run_until(lambda: bob.texts_from(alice.phone) == ["pushed wrong"], [alice, bob], timeout=60)
        assert bob.connection_state is ConnectionState.CONNECTED
        assert broken.count == 1
    finally:
        alice.close()
        bob.close()
