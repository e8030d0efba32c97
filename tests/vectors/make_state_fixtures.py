"""Writes the frozen stored states: tests/vectors/ratchet_state_v1.json and session_record_v1.json.

Run from the repository root as ``python -m tests.vectors.make_state_fixtures``
ONCE per format version, never to make a failing test pass: the files are what
a profile written by that version holds, and every later version must keep
loading them (through the migration steps of ``crypto_core/ratchet.py`` and
``net/client/sessions.py``). A new version writes new files beside these
(``..._v2.json``); the old ones stay as they are.

Each file holds the two sides' stored states at one moment, the messages that
were on their way then (one sealed after the sender's state was stored, one
the receiver skipped over) with their plaintexts, and the clock of that moment.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from crypto_core.encoding import b64encode
from crypto_core.ratchet import STATE_VERSION, RatchetSession
from net.client.sessions import RECORD_VERSION, SessionRecord, start

HERE = Path(__file__).parent
CLOCK = 1_700_000_000.0


def clock() -> float:
    return CLOCK


def ratchet_fixture() -> dict[str, Any]:
    shared, ad = os.urandom(32), os.urandom(128)
    bob_key = X25519PrivateKey.generate()
    alice = RatchetSession.initiator(shared, ad, bob_key.public_key().public_bytes_raw(), clock=clock)
    bob = RatchetSession.responder(shared, ad, bob_key, clock=clock)
    assert bob.decrypt(alice.encrypt(b"hello Bob")) == b"hello Bob"
    assert alice.decrypt(bob.encrypt(b"hello Alice")) == b"hello Alice"
    skipped = alice.encrypt(b"skipped over")
    assert bob.decrypt(alice.encrypt(b"after the skip")) == b"after the skip"
    in_flight = alice.encrypt(b"in flight")
    return {
        "version": STATE_VERSION,
        "clock": CLOCK,
        "alice": alice.to_bytes().decode("ascii"),
        "bob": bob.to_bytes().decode("ascii"),
        "skipped": {"message": b64encode(skipped), "plaintext": "skipped over"},
        "in_flight": {"message": b64encode(in_flight), "plaintext": "in flight"},
    }


def session_fixture() -> dict[str, Any]:
    sys.path.insert(0, str(HERE.parent))
    from session_support import Side

    with tempfile.TemporaryDirectory() as root:
        alice, bob = Side(Path(root), "alice"), Side(Path(root), "bob")
        try:
            ours, theirs = SessionRecord(), SessionRecord()
            ours.make_current(start(alice.identity, bob.bundle(), clock=clock))
            with bob.profile.transaction():
                opened = theirs.open(
                    ours.seal("m-1", b"hello Bob"), bob.identity, bob.profile.keys, clock=clock
                )
            assert opened.plaintext == b"hello Bob"
            with alice.profile.transaction():
                answer = theirs.seal("m-2", b"hello Alice")
                assert ours.open(answer, alice.identity, alice.profile.keys, clock=clock).plaintext
            skipped = ours.seal("m-3", b"skipped over")
            with bob.profile.transaction():
                after = ours.seal("m-4", b"after the skip")
                assert theirs.open(after, bob.identity, bob.profile.keys, clock=clock).plaintext
            in_flight = ours.seal("m-5", b"in flight")
            # A second session Alice started and Bob has not answered: it carries its initial message.
            ours.make_current(start(alice.identity, bob.bundle(), clock=clock))
            return {
                "version": RECORD_VERSION,
                "clock": CLOCK,
                "alice": ours.to_bytes().decode("ascii"),
                "bob": theirs.to_bytes().decode("ascii"),
                "skipped": {"envelope": skipped.to_bytes().decode("ascii"), "plaintext": "skipped over"},
                "in_flight": {"envelope": in_flight.to_bytes().decode("ascii"), "plaintext": "in flight"},
            }
        finally:
            alice.close()
            bob.close()


def main() -> None:
    for name, fixture in (
        (f"ratchet_state_v{STATE_VERSION}.json", ratchet_fixture()),
        (f"session_record_v{RECORD_VERSION}.json", session_fixture()),
    ):
        path = HERE / name
        if path.exists():
            sys.exit(f"{path.name} exists: a frozen fixture is never written again")
        path.write_text(json.dumps(fixture, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path.name}")


if __name__ == "__main__":
    main()
