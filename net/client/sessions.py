"""PQXDH and the Double Ratchet glued into sessions per contact, and their stored form.

A contact's :class:`SessionRecord` holds up to :data:`MAX_STATES` sessions, the
current one first. Every envelope names the session that sealed it (its id is a
labelled hash of the PQXDH initial message), so a message sealed by a session
that has since been replaced still opens while it is kept.

* Sending uses the current session. Until the peer has answered (a message of
  that session has been opened here), every envelope carries the PQXDH initial
  message, so the first one to arrive, whichever it is, starts the session there.
* Receiving an initial message for an unknown session id starts a responder
  session with our prekeys (one-time prekeys are deleted in the caller's
  transaction). It becomes current, except when both sides started a session
  at the same moment and neither has been answered: then the lower session id
  wins on both sides, so the two converge on one session instead of two
  responders that cannot send.
* Each session id an initial message started is remembered in the profile for
  as long as the signed prekey it used is kept. An initial message for such an
  id whose session is not in this record (three newer ones replaced it, or the
  server names another sender) is a replay: refused before any prekey is
  touched, so it never becomes current.
* A session whose sending chain is used up (:class:`ChainExhausted`, after
  2^32 - 1 messages in one chain) leaves the record when it would seal; the next
  seal uses the next session in the record, or the caller starts a new one.

The record serialises to versioned JSON (the ratchet states inside are secret:
the profile seals it). A record of an earlier version loads through
:data:`MIGRATIONS` (one step per version, see :mod:`crypto_core.migrations`;
each ratchet state inside migrates by its own version). Version 1 is today's
and the first, so there is no step yet; tests/vectors/session_record_v1.json is
a frozen version-1 record that every later version must keep loading.
Everything that goes wrong opening a message is the one opaque
:class:`~crypto_core.errors.DecryptionError` or :class:`NoSession`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from crypto_core import pqxdh
from crypto_core.encoding import RandomSource, b64decode, b64encode, default_random
from crypto_core.errors import ChainExhausted, CryptoError, DecryptionError, InvalidKeyFormat, UnknownPreKey
from crypto_core.keys import IdentityKeyPair, PreKeyBundle, PublicIdentity
from crypto_core.migrations import Step, check_steps, upgrade
from crypto_core.pqxdh import InitialMessage
from crypto_core.ratchet import RatchetSession
from net.client.core.envelope import SESSION_ID_LEN, Envelope
from net.client.core.session_choice import ours_wins
from storage.profile.keys import KeyStore

RECORD_VERSION = 1
#: Version n's record to version n + 1's, for every n below RECORD_VERSION.
MIGRATIONS: dict[int, Step] = {}
check_steps(RECORD_VERSION, MIGRATIONS)
MAX_STATES = 3
_SESSION_ID_LABEL = b"Parley session id v1\x00"

Clock = Callable[[], float]


class NoSession(Exception):
    """There is no session with this contact (or none that can send)."""


def session_id_of(initial: InitialMessage) -> bytes:
    """The id both sides give the session an initial message starts."""
    return hashlib.sha256(_SESSION_ID_LABEL + initial.to_bytes()).digest()[:SESSION_ID_LEN]


@dataclass
class SessionState:
    session_id: bytes
    ratchet: RatchetSession
    peer: PublicIdentity
    #: Our initial message, sent along until the peer answers; None for a responder or once answered.
    initial: InitialMessage | None
    #: The stored form of the parts a seal does not change, with the objects it was made from.
    _fixed: tuple[tuple[object, ...], dict[str, Any]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def fixed_json(self) -> dict[str, Any]:
        """The session id, the peer and the initial message as stored: encoded once, not on every save."""
        parts = (self.session_id, self.peer, self.initial)
        if self._fixed is None or any(a is not b for a, b in zip(self._fixed[0], parts, strict=True)):
            encoded = {
                "sid": b64encode(self.session_id),
                "peer": self.peer.to_json(),
                "init": None if self.initial is None else self.initial.to_json(),
            }
            self._fixed = (parts, encoded)
        return self._fixed[1]

    def __repr__(self) -> str:
        return f"SessionState(peer={self.peer.short_id()}, answered={self.initial is None})"


@dataclass(frozen=True)
class Opened:
    """A message that opened: its plaintext, the session it belongs to, and whether that is new."""

    plaintext: bytes
    state: SessionState
    started: bool

    def __repr__(self) -> str:
        return f"Opened(started={self.started})"


class SessionRecord:
    def __init__(self, states: list[SessionState] | None = None) -> None:
        self.states: list[SessionState] = list(states or [])

    @property
    def current(self) -> SessionState | None:
        return self.states[0] if self.states else None

    def find(self, session_id: bytes) -> SessionState | None:
        return next((s for s in self.states if s.session_id == session_id), None)

    def make_current(self, state: SessionState) -> None:
        self.states = [state, *[s for s in self.states if s is not state]][:MAX_STATES]

    def keep_as_previous(self, state: SessionState) -> None:
        self.states = [*self.states[:1], state, *self.states[1:]][:MAX_STATES]

    # ------------------------------------------------------------------ sending

    def seal(self, client_id: str, plaintext: bytes) -> Envelope:
        state = self.current
        if state is None or not state.ratchet.can_send:
            raise NoSession("no session that can send")
        try:
            message = state.ratchet.encrypt(plaintext)
        except ChainExhausted:
            self.states.remove(state)  # the caller stores the record; the next seal needs a new session
            raise NoSession("the current session has sent all it can") from None
        return Envelope(state.session_id, client_id, message, state.initial)

    # ------------------------------------------------------------------ receiving

    def open(
        self,
        envelope: Envelope,
        identity: IdentityKeyPair,
        keys: KeyStore,
        *,
        random: RandomSource = default_random,
        clock: Clock,
    ) -> Opened:
        """Open an envelope, starting a responder session if it carries a new initial message.

        Call it inside the profile transaction that stores the result: it deletes used one-time prekeys.
        """
        state = self.find(envelope.session_id)
        if state is not None:
            plaintext = state.ratchet.decrypt(envelope.message)
            state.initial = None  # answered: the peer has this session
            return Opened(plaintext, state, started=False)
        if envelope.initial is None:
            raise NoSession("a message for a session this side does not have")
        if session_id_of(envelope.initial) != envelope.session_id:
            raise DecryptionError
        state = accept(identity, envelope.initial, keys, random=random, clock=clock)
        plaintext = state.ratchet.decrypt(envelope.message)
        current = self.current
        if current is not None and ours_wins(
            ours=current.session_id,
            theirs=state.session_id,
            ours_answered=current.initial is None,
            same_peer=current.peer.encoded() == state.peer.encoded(),
        ):
            self.keep_as_previous(state)
        else:
            self.make_current(state)
        return Opened(plaintext, state, started=True)

    # ------------------------------------------------------------------ storing

    def to_bytes(self) -> bytes:
        states = [
            {
                "sid": fixed["sid"],
                "ratchet": s.ratchet.to_json(),
                "peer": fixed["peer"],
                "init": fixed["init"],
            }
            for s in self.states
            for fixed in (s.fixed_json(),)
        ]
        return json.dumps({"v": RECORD_VERSION, "states": states}, separators=(",", ":")).encode("ascii")

    @classmethod
    def from_bytes(
        cls, data: bytes | None, *, clock: Clock, random: RandomSource = default_random
    ) -> SessionRecord:
        if data is None:
            return cls()
        try:
            obj = json.loads(data)
            if not isinstance(obj, dict):
                raise InvalidKeyFormat("session record: unknown version")
            obj = upgrade(obj, current=RECORD_VERSION, steps=MIGRATIONS, what="session record")
            return cls([_state(s, random, clock) for s in obj["states"]])
        except (ValueError, KeyError, TypeError):
            raise InvalidKeyFormat("session record: malformed") from None

    def __repr__(self) -> str:
        return f"SessionRecord(states={len(self.states)})"


def _state(obj: Any, random: RandomSource, clock: Clock) -> SessionState:
    init = obj["init"]
    return SessionState(
        session_id=b64decode(obj["sid"], length=SESSION_ID_LEN, what="session id"),
        ratchet=RatchetSession.from_json(obj["ratchet"], random=random, clock=clock),
        peer=PublicIdentity.from_json(obj["peer"]),
        initial=None if init is None else InitialMessage.from_json(init),
    )


def start(
    identity: IdentityKeyPair,
    bundle: PreKeyBundle,
    *,
    random: RandomSource = default_random,
    clock: Clock,
) -> SessionState:
    """Our side of a new session from the peer's bundle (verified here; InvalidSignature if forged)."""
    result = pqxdh.initiate(identity, bundle, random=random)
    ratchet = RatchetSession.initiator(
        result.shared_key, result.associated_data, result.peer_ratchet_key, random=random, clock=clock
    )
    initial = result.initial_message
    return SessionState(session_id_of(initial), ratchet, result.peer_identity, initial)


def accept(
    identity: IdentityKeyPair,
    initial: InitialMessage,
    keys: KeyStore,
    *,
    random: RandomSource = default_random,
    clock: Clock,
) -> SessionState:
    """The responder's side; deletes the one-time prekeys used. DecryptionError if prekeys are gone.

    An initial message whose session was accepted before is a replay and the DecryptionError too,
    checked before anything is read or deleted; an accepted one is remembered with its signed prekey.
    """
    session_id = session_id_of(initial)
    if keys.initial_accepted(session_id):
        raise DecryptionError
    try:
        signed = keys.signed_prekey(initial.signed_prekey_id)
        kem = keys.kem_prekey(initial.kem_prekey_id)
        one_time = None
        if initial.one_time_prekey_id is not None:
            one_time = keys.take_one_time_prekey(initial.one_time_prekey_id)
            if one_time is None:
                raise UnknownPreKey("the one-time prekey is used up")
        if signed is None or kem is None:
            raise UnknownPreKey("the signed or ML-KEM prekey is unknown")
        result = pqxdh.respond(
            identity, initial, signed_prekey=signed, kem_prekey=kem, one_time_prekey=one_time
        )
        if result.used_kem_prekey_id is not None:
            keys.delete_kem_prekey(result.used_kem_prekey_id)
    except CryptoError:
        raise DecryptionError from None
    keys.remember_initial(session_id, initial.signed_prekey_id)
    ratchet = RatchetSession.responder(
        result.shared_key, result.associated_data, signed.private, random=random, clock=clock
    )
    return SessionState(session_id, ratchet, result.peer_identity, None)
