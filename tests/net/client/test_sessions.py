"""Sessions per contact: PQXDH start, the initial message until answered, simultaneous starts, storage."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from session_support import Side

from crypto_core.errors import DecryptionError, InvalidKeyFormat
from crypto_core.keys import PublicIdentity
from crypto_core.migrations import check_steps
from crypto_core.ratchet import RatchetSession
from crypto_core.ratchet_header import MAX_COUNTER
from net.client.core.envelope import Envelope
from net.client.sessions import (
    MAX_STATES,
    MIGRATIONS,
    RECORD_VERSION,
    NoSession,
    SessionRecord,
    session_id_of,
    start,
)


@pytest.fixture
def sides(tmp_path: Path) -> Iterator[tuple[Side, Side]]:
    alice, bob = Side(tmp_path, "alice"), Side(tmp_path, "bob")
    yield alice, bob
    alice.close()
    bob.close()


def _open(record: SessionRecord, side: Side, envelope: Envelope) -> bytes:
    with side.profile.transaction():
        return record.open(envelope, side.identity, side.profile.keys, clock=time.time).plaintext


def test_a_session_starts_from_a_bundle_and_both_sides_talk(sides: tuple[Side, Side]) -> None:
    alice, bob = sides
    ours, theirs = SessionRecord(), SessionRecord()
    ours.make_current(start(alice.identity, bob.bundle(), clock=time.time))
    first = ours.seal("m-1", b"hello")
    assert first.initial is not None and first.session_id == session_id_of(first.initial)
    second = ours.seal("m-2", b"again")
    assert second.initial == first.initial  # sent along until Bob answers
    otk_id = first.initial.one_time_prekey_id
    assert otk_id is not None and bob.profile.keys.one_time_prekey(otk_id) is not None

    assert _open(theirs, bob, second) == b"again"  # whichever arrives first starts the session
    assert _open(theirs, bob, first) == b"hello"
    assert bob.profile.keys.one_time_prekey(otk_id) is None  # used once, deleted
    assert theirs.current is not None and theirs.current.peer == alice.identity.public

    answer = theirs.seal("m-3", b"hi Alice")
    assert answer.initial is None
    assert _open(ours, alice, answer) == b"hi Alice"
    assert ours.seal("m-4", b"answered").initial is None


def test_a_message_for_an_unknown_session_without_its_start_is_no_session(sides: tuple[Side, Side]) -> None:
    alice, bob = sides
    ours = SessionRecord([start(alice.identity, bob.bundle(), clock=time.time)])
    envelope = ours.seal("m-1", b"hello")
    stripped = Envelope(envelope.session_id, envelope.client_id, envelope.message)
    with pytest.raises(NoSession):
        _open(SessionRecord(), bob, stripped)
    with pytest.raises(NoSession):
        SessionRecord().seal("m-1", b"nobody to send to")


def test_a_tampered_message_fails_and_changes_nothing(sides: tuple[Side, Side]) -> None:
    alice, bob = sides
    ours, theirs = SessionRecord([start(alice.identity, bob.bundle(), clock=time.time)]), SessionRecord()
    _open(theirs, bob, ours.seal("m-1", b"one"))
    good = ours.seal("m-2", b"two")
    bad = Envelope(good.session_id, good.client_id, good.message[:-1] + bytes([good.message[-1] ^ 1]))
    before = theirs.to_bytes()
    with pytest.raises(DecryptionError):
        _open(theirs, bob, bad)
    assert theirs.to_bytes() == before
    assert _open(theirs, bob, good) == b"two"


def test_a_replayed_initial_message_whose_one_time_prekey_is_gone_fails(sides: tuple[Side, Side]) -> None:
    alice, bob = sides
    ours = SessionRecord([start(alice.identity, bob.bundle(), clock=time.time)])
    first = ours.seal("m-1", b"hello")
    _open(SessionRecord(), bob, first)
    with pytest.raises(DecryptionError):
        _open(SessionRecord(), bob, first)  # a fresh record: only the deleted prekey could open it


def _prekeys_left(side: Side) -> tuple[int, int]:
    return side.profile.keys.count_one_time_prekeys(), side.profile.keys.count_kem_prekeys()


def test_a_replayed_initial_message_of_a_session_that_left_the_record_is_refused(
    sides: tuple[Side, Side],
) -> None:
    alice, bob = sides
    at_bob = SessionRecord()
    # Without one-time prekeys (the server ran out) nothing deleted stops the initial message opening again.
    first = SessionRecord(
        [
            start(
                alice.identity,
                bob.bundle(one_time=False, kem_one_time=False),
                clock=time.time,
            )
        ]
    )
    replayed = first.seal("m-1", b"hello")
    assert _open(at_bob, bob, replayed) == b"hello"
    for n in range(MAX_STATES):
        newer = SessionRecord(
            [
                start(
                    alice.identity,
                    bob.bundle(one_time=False, kem_one_time=False),
                    clock=time.time,
                )
            ]
        )
        assert _open(at_bob, bob, newer.seal(f"m-{n + 2}", b"newer")) == b"newer"
    assert at_bob.find(replayed.session_id) is None
    current = at_bob.current
    before = (at_bob.to_bytes(), _prekeys_left(bob))
    with pytest.raises(DecryptionError):
        _open(at_bob, bob, replayed)
    later = first.seal("m-9", b"a later message of the old session, still carrying its start")
    with pytest.raises(DecryptionError):
        _open(at_bob, bob, later)
    assert at_bob.current is current and (at_bob.to_bytes(), _prekeys_left(bob)) == before
    with pytest.raises(DecryptionError):
        _open(SessionRecord(), bob, replayed)  # a record that read as empty does not take it either


def test_a_tampered_first_message_does_not_use_up_its_session_id(sides: tuple[Side, Side]) -> None:
    alice, bob = sides
    genuine = SessionRecord([start(alice.identity, bob.bundle(), clock=time.time)]).seal("m-1", b"hello")
    forged = Envelope(
        genuine.session_id,
        genuine.client_id,
        genuine.message[:-1] + bytes([genuine.message[-1] ^ 1]),
        genuine.initial,
    )
    with pytest.raises(DecryptionError):
        _open(SessionRecord(), bob, forged)  # rolled back with its transaction: nothing is remembered
    assert _open(SessionRecord(), bob, genuine) == b"hello"


def test_a_session_that_has_sent_all_it_can_leaves_the_record(sides: tuple[Side, Side]) -> None:
    alice, bob = sides
    state = start(alice.identity, bob.bundle(), clock=time.time)
    used_up = state.ratchet.to_json()
    used_up["ns"] = MAX_COUNTER
    state.ratchet = RatchetSession.from_json(used_up)
    record = SessionRecord([state])
    with pytest.raises(NoSession, match="sent all it can"):
        record.seal("m-1", b"one too many")
    assert record.current is None  # so the next send starts a new session instead of failing forever


def test_simultaneous_starts_converge_on_one_session(sides: tuple[Side, Side]) -> None:
    alice, bob = sides
    at_alice = SessionRecord([start(alice.identity, bob.bundle(), clock=time.time)])
    at_bob = SessionRecord([start(bob.identity, alice.bundle(), clock=time.time)])
    from_alice, from_bob = at_alice.seal("m-1", b"from Alice"), at_bob.seal("m-2", b"from Bob")
    assert _open(at_bob, bob, from_alice) == b"from Alice"
    assert _open(at_alice, alice, from_bob) == b"from Bob"
    assert at_alice.current is not None and at_bob.current is not None
    assert at_alice.current.session_id == at_bob.current.session_id
    # Both can send on the session they agreed on, and both open it.
    assert _open(at_bob, bob, at_alice.seal("m-3", b"agreed?")) == b"agreed?"
    assert _open(at_alice, alice, at_bob.seal("m-4", b"agreed.")) == b"agreed."


def test_a_new_start_from_the_peer_replaces_an_answered_session_and_old_messages_still_open(
    sides: tuple[Side, Side],
) -> None:
    alice, bob = sides
    at_alice, at_bob = SessionRecord([start(alice.identity, bob.bundle(), clock=time.time)]), SessionRecord()
    _open(at_bob, bob, at_alice.seal("m-1", b"one"))
    _open(at_alice, alice, at_bob.seal("m-2", b"two"))
    late = at_bob.seal("m-3", b"sealed by the old session")
    restarted = SessionRecord([start(bob.identity, alice.bundle(), clock=time.time)])  # Bob starts over
    assert _open(at_alice, alice, restarted.seal("m-4", b"new session")) == b"new session"
    assert at_alice.current is not None and at_alice.current.session_id == restarted.states[0].session_id
    assert _open(at_alice, alice, late) == b"sealed by the old session"
    assert len(at_alice.states) <= MAX_STATES


def test_the_record_round_trips_through_bytes(sides: tuple[Side, Side]) -> None:
    alice, bob = sides
    at_alice, at_bob = SessionRecord([start(alice.identity, bob.bundle(), clock=time.time)]), SessionRecord()
    _open(at_bob, bob, at_alice.seal("m-1", b"one"))
    restored = SessionRecord.from_bytes(at_bob.to_bytes(), clock=time.time)
    assert restored.to_bytes() == at_bob.to_bytes()
    assert _open(restored, bob, at_alice.seal("m-2", b"two")) == b"two"
    assert SessionRecord.from_bytes(None, clock=time.time).current is None
    for damaged in (b"{}", b"[]", b"not json", b'{"v": 1, "states": [{}]}'):
        with pytest.raises(InvalidKeyFormat):
            SessionRecord.from_bytes(damaged, clock=time.time)
    assert "ratchet" not in repr(restored)


def test_the_unchanging_parts_are_encoded_once_and_again_when_they_change(
    sides: tuple[Side, Side], monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob = sides
    record = SessionRecord([start(alice.identity, bob.bundle(), clock=time.time)])
    encoded: list[PublicIdentity] = []
    to_json = PublicIdentity.to_json

    def counting(peer: PublicIdentity) -> dict[str, Any]:
        encoded.append(peer)
        return to_json(peer)

    monkeypatch.setattr(PublicIdentity, "to_json", counting)
    first = record.to_bytes()
    once = len(encoded)  # the peer's key, and the initial message's
    record.seal("m-1", b"one")
    second = record.to_bytes()
    assert once >= 1 and len(encoded) == once  # not again for the second save
    assert first != second and json.loads(second)["states"][0]["init"] is not None
    state = record.current
    assert state is not None
    state.initial = None  # answered: the stored form must say so
    assert json.loads(record.to_bytes())["states"][0]["init"] is None
    fresh = SessionRecord.from_bytes(record.to_bytes(), clock=time.time)
    assert fresh.to_bytes() == record.to_bytes()


# ---------------------------------------------------------------- stored versions

VECTORS = Path(__file__).parents[2] / "vectors"


def _frozen_record(version: int) -> dict[str, Any]:
    return json.loads((VECTORS / f"session_record_v{version}.json").read_text(encoding="utf-8"))


def test_every_record_version_has_its_frozen_fixture_and_its_step() -> None:
    check_steps(RECORD_VERSION, MIGRATIONS)
    for version in range(1, RECORD_VERSION + 1):
        assert _frozen_record(version)["version"] == version


def test_a_frozen_version_1_record_loads_and_its_sessions_still_talk(sides: tuple[Side, Side]) -> None:
    alice, bob = sides
    frozen = _frozen_record(1)
    at: float = frozen["clock"]

    def clock() -> float:  # the skipped key is as old as the fixture: read at the fixture's time
        return at

    for side in ("alice", "bob"):
        stored = frozen[side].encode("ascii")
        assert json.loads(stored)["v"] == 1
        assert SessionRecord.from_bytes(stored, clock=clock).to_bytes() == stored  # nothing lost on the way
    ours = SessionRecord.from_bytes(frozen["alice"].encode("ascii"), clock=clock)
    theirs = SessionRecord.from_bytes(frozen["bob"].encode("ascii"), clock=clock)

    # Alice's newest session is unanswered: it still carries the initial message that names it.
    assert len(ours.states) == 2 and len(theirs.states) == 1
    unanswered, answered = ours.states
    assert unanswered.initial is not None and session_id_of(unanswered.initial) == unanswered.session_id
    assert answered.initial is None and answered.session_id == theirs.states[0].session_id

    # Envelopes sealed before the records were stored open (one of them from a skipped key) ...
    for waiting in ("in_flight", "skipped"):
        envelope = Envelope.from_bytes(frozen[waiting]["envelope"].encode("ascii"))
        assert _open(theirs, bob, envelope) == frozen[waiting]["plaintext"].encode()
    # ... and the loaded sessions seal and open new ones both ways.
    reply = theirs.seal("m-6", b"a reply")
    assert _open(ours, alice, reply) == b"a reply"
    again = Envelope(answered.session_id, "m-7", answered.ratchet.encrypt(b"after loading"))
    assert _open(theirs, bob, again) == b"after loading"


def test_a_frozen_record_is_refused_as_a_later_version() -> None:
    data = json.loads(_frozen_record(1)["bob"])
    data["v"] = RECORD_VERSION + 1
    with pytest.raises(InvalidKeyFormat, match="unknown version"):
        SessionRecord.from_bytes(json.dumps(data).encode("ascii"), clock=time.time)
