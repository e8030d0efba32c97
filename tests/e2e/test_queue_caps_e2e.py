"""A sender past the server's per-sender queue cap, end to end: real engines, real TLS, real SQLite.

The sender's engine runs on a monotonic clock that never moves, so the pause a
``queue_full`` refusal starts (30 s) never ends by itself: whatever still
arrives after a refusal went because the engine heard from the recipient. The
recipient must open every text: a flush that went on sending to a full queue
used up a message key per refused send, and a gap wider than the recipient's
ratchet may skip made every later text undecryptable until the session healed.
"""

from __future__ import annotations

import time
from pathlib import Path

from engine_support import Person, run_until
from fake_clock import FakeClock

from net.client.core.events import UndecryptableMessage
from net.server.limits import Limits


def _people(root: Path, address: tuple[str, int], phones) -> tuple[Person, Person]:
    """Alice, whose engine's clock stands still, and Bob: contacts of each other."""
    alice = Person(root, "alice", monotonic=FakeClock())
    bob = Person(root, "bob")
    for person in (alice, bob):
        person.register(address, phones())
    alice.knows(bob.phone)
    bob.knows(alice.phone)
    alice.engine.add_contact(bob.phone)
    return alice, bob


def test_a_flood_to_an_online_contact_arrives_whole_with_the_default_caps(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    assert server.running.service.limits.queue_cap_per_sender == Limits().queue_cap_per_sender == 1000
    alice, bob = _people(tmp_path, server.address, phone)
    people = [alice, bob]
    try:
        texts = [f"text {n}" for n in range(2500)]
        for text in texts:
            alice.engine.send_text(bob.phone, text)
        started = time.monotonic()
        # Bob is online: the texts are pushed to him, and he stores and acknowledges them as they come.
        run_until(lambda: len(bob.texts_from(alice.phone)) == len(texts), people, timeout=180)
        took = time.monotonic() - started
        assert bob.texts_from(alice.phone) == texts
        assert bob.of(UndecryptableMessage) == []
        run_until(lambda: server.running.store.queued_count(bob.phone) == 0, people)
        print(f"2,500 texts to an online contact past the per-sender cap, all opened in {took:.2f} s")
    finally:
        alice.close()
        bob.close()


def test_the_cap_refuses_past_a_thousand_waiting_and_the_rest_goes_once_they_are_taken(
    tmp_path, server_factory, phone
) -> None:
    server = server_factory(dev_codes=True)
    store = server.running.store
    alice, bob = _people(tmp_path, server.address, phone)
    people = [alice, bob]
    try:
        bob.engine.logout()  # nothing is acknowledged while he is away
        texts = [f"text {n}" for n in range(1010)]
        sent = [alice.engine.send_text(bob.phone, text).message_id for text in texts[:50]]
        run_until(lambda: "sent" in alice.statuses(sent[-1]), [alice])
        # Her name went first, then texts until 1,000 wait: the 1,001st is refused, nothing after it is
        # stored. The refusal comes in the middle of a batch of 200 whose first entries were accepted.
        sent += [alice.engine.send_text(bob.phone, text).message_id for text in texts[50:]]
        run_until(lambda: "sent" in alice.statuses(sent[998]), [alice])
        alice.engine.poll(0.5)
        assert store.queued_count(bob.phone) == 1000
        assert ["sent" in alice.statuses(m) for m in sent] == [True] * 999 + [False] * 11
        assert [m.status for m in alice.engine.history(bob.phone, limit=11)] == ["queued"] * 11

        bob.engine.connect()  # takes the thousand; his receipts tell Alice there is room again
        run_until(lambda: len(bob.texts_from(alice.phone)) == len(texts), people, timeout=120)
        assert bob.texts_from(alice.phone) == texts
        assert bob.of(UndecryptableMessage) == []
    finally:
        alice.close()
        bob.close()
