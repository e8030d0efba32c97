"""The Double Ratchet session (Signal's Double Ratchet specification, revision 4).

A :class:`RatchetSession` starts from the shared key and associated data that
PQXDH produced. The initiator knows the responder's signed prekey, which serves
as the responder's first ratchet key; the responder starts with that prekey's
private key as its own ratchet key pair and can send once the first message has
arrived.

* ``encrypt`` takes the next key of the sending chain and returns the whole wire
  message (layout in :mod:`crypto_core.ratchet_header`).
* ``decrypt`` is transactional: it works on a copy of the state and commits only
  when the message has opened. Anything else (a forged, tampered, replayed or
  malformed message, a gap beyond the limit) raises the one opaque
  :class:`~crypto_core.errors.DecryptionError` and leaves the state as it was.
* A sending chain carries at most 2^32 - 1 messages (N from 0 to 2^32 - 2): the
  next ``encrypt`` raises :class:`~crypto_core.errors.ChainExhausted` before any
  state changes, so N and the PN of the following chain always fit their four
  header bytes. Counters read from a header are four bytes, so whatever they say
  opens or is the DecryptionError.
* Keys of skipped messages are kept in a bounded, expiring store
  (:mod:`crypto_core.skipped_keys`); a message key is forgotten once used.
* The state serialises to a versioned JSON-compatible dict (bytes as base64). It
  holds private keys, so it must only be stored sealed; no repr shows any of it.
  A state of an earlier version loads through :data:`MIGRATIONS` (one step per
  version, see :mod:`crypto_core.migrations`); version 1 is today's and the
  first, so there is no step yet, and tests/vectors/ratchet_state_v1.json is a
  frozen version-1 state that every later version must keep loading.

AES-256-GCM associated data: the session's associated data (both identities,
from PQXDH) followed by the message's version byte and header.

Serialised state (``to_json``; ``to_bytes`` is its canonical JSON)::

    {"v": 1, "ad": AD, "rk": root key, "dhs": own ratchet private key,
     "dhr": peer ratchet public key or null, "cks"/"ckr": chain keys or null,
     "ns", "nr", "pn": counters, "skipped": [[ratchet key, N, message key, time], ...]}
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto_core.chains import kdf_ck, kdf_rk, message_key_material
from crypto_core.encoding import (
    RandomSource,
    b64decode,
    b64encode,
    canonical_json,
    default_random,
    expect_dict,
    parse_json,
    require_int,
)
from crypto_core.errors import ChainExhausted, DecryptionError, InvalidKeyFormat, RatchetNotReady
from crypto_core.keys import x25519, x25519_public_bytes
from crypto_core.migrations import Step, check_steps, upgrade
from crypto_core.ratchet_header import DH_LEN, MAX_COUNTER, Header, split_message
from crypto_core.skipped_keys import MAX_GAP, SkippedKeys

STATE_VERSION = 1
#: Version n's state to version n + 1's, for every n below STATE_VERSION.
MIGRATIONS: dict[int, Step] = {}
check_steps(STATE_VERSION, MIGRATIONS)
_KEY_LEN = 32

Clock = Callable[[], float]


@dataclass(slots=True, repr=False)
class _State:
    """Everything the specification calls ``state``. Decryption changes a copy, committed on success."""

    root_key: bytes
    dhs: X25519PrivateKey
    dhs_public: bytes
    dhr: bytes | None
    cks: bytes | None
    ckr: bytes | None
    ns: int
    nr: int
    pn: int
    skipped: SkippedKeys

    def __repr__(self) -> str:
        return f"_State(ns={self.ns}, nr={self.nr}, pn={self.pn}, skipped={len(self.skipped)})"

    def working_copy(self) -> _State:
        return replace(self, skipped=self.skipped.copy())


class RatchetSession:
    """One side of a Double Ratchet conversation."""

    __slots__ = ("_ad", "_state", "_random", "_clock")

    def __init__(self, associated_data: bytes, state: _State, random: RandomSource, clock: Clock) -> None:
        self._ad = associated_data
        self._state = state
        self._random = random
        self._clock = clock

    # ------------------------------------------------------------------ start

    @classmethod
    def initiator(
        cls,
        shared_key: bytes,
        associated_data: bytes,
        peer_ratchet_key: bytes,
        *,
        random: RandomSource = default_random,
        clock: Clock = time.time,
    ) -> RatchetSession:
        """Alice: PQXDH's SK and AD, and Bob's signed prekey as his first ratchet public key."""
        _check_bytes(shared_key, _KEY_LEN, "shared key")
        _check_bytes(associated_data, None, "associated data")
        _check_bytes(peer_ratchet_key, DH_LEN, "peer ratchet key")
        dhs = X25519PrivateKey.from_private_bytes(random(_KEY_LEN))
        root_key, cks = kdf_rk(shared_key, x25519(dhs, peer_ratchet_key))
        state = _State(
            root_key, dhs, x25519_public_bytes(dhs), peer_ratchet_key, cks, None, 0, 0, 0, SkippedKeys()
        )
        return cls(bytes(associated_data), state, random, clock)

    @classmethod
    def responder(
        cls,
        shared_key: bytes,
        associated_data: bytes,
        own_ratchet_key: X25519PrivateKey,
        *,
        random: RandomSource = default_random,
        clock: Clock = time.time,
    ) -> RatchetSession:
        """Bob: PQXDH's SK and AD, and his signed prekey's private key as his first ratchet key pair."""
        _check_bytes(shared_key, _KEY_LEN, "shared key")
        _check_bytes(associated_data, None, "associated data")
        if not isinstance(own_ratchet_key, X25519PrivateKey):
            raise InvalidKeyFormat("own ratchet key: expected an X25519 private key")
        state = _State(
            bytes(shared_key),
            own_ratchet_key,
            x25519_public_bytes(own_ratchet_key),
            None,
            None,
            None,
            0,
            0,
            0,
            SkippedKeys(),
        )
        return cls(bytes(associated_data), state, random, clock)

    # ------------------------------------------------------------------ messages

    @property
    def can_send(self) -> bool:
        """False only for a responder that has not yet received the initiator's first message."""
        return self._state.cks is not None

    def encrypt(self, plaintext: bytes) -> bytes:
        """The wire message carrying ``plaintext``; raises :class:`RatchetNotReady` if there is no chain."""
        state = self._state
        if state.cks is None:
            raise RatchetNotReady("no sending chain yet: the first message must come from the initiator")
        # N of this message and PN of a later chain (which is this chain's final count) must both fit
        # the header's four bytes, so the last number, MAX_COUNTER itself, is never sent.
        if state.ns >= MAX_COUNTER or state.pn > MAX_COUNTER:
            raise ChainExhausted("the sending chain is used up; a new session is needed")
        state.skipped.drop_expired(self._clock())
        prefix = Header(state.dhs_public, state.pn, state.ns).prefix()
        state.cks, message_key = kdf_ck(state.cks)
        state.ns += 1
        key, nonce = message_key_material(message_key)
        return prefix + AESGCM(key).encrypt(nonce, bytes(plaintext), self._ad + prefix)

    def decrypt(self, message: bytes) -> bytes:
        """The plaintext of ``message``; any failure is :class:`DecryptionError` and changes nothing."""
        header, prefix, ciphertext = split_message(message)
        now = self._clock()
        work = self._state.working_copy()
        work.skipped.drop_expired(now)
        message_key = work.skipped.get(header.dh, header.n)
        if message_key is not None:
            plaintext = self._open(message_key, prefix, ciphertext)
            work.skipped.remove(header.dh, header.n)
        else:
            if header.dh != work.dhr:
                _skip(work, header.pn, now)
                self._turn(work, header.dh)
            elif header.n < work.nr:
                raise DecryptionError  # already opened (a replay), or its key has been dropped
            _skip(work, header.n, now)
            assert work.ckr is not None  # set by the turn above, or already there
            work.ckr, message_key = kdf_ck(work.ckr)
            work.nr += 1
            plaintext = self._open(message_key, prefix, ciphertext)
        self._state = work
        return plaintext

    def _open(self, message_key: bytes, prefix: bytes, ciphertext: bytes) -> bytes:
        key, nonce = message_key_material(message_key)
        try:
            return AESGCM(key).decrypt(nonce, ciphertext, self._ad + prefix)
        except InvalidTag:
            raise DecryptionError from None

    def _turn(self, work: _State, peer_key: bytes) -> None:
        """The DH ratchet step, on the working copy."""
        work.pn, work.ns, work.nr, work.dhr = work.ns, 0, 0, peer_key
        try:
            work.root_key, work.ckr = kdf_rk(work.root_key, x25519(work.dhs, peer_key))
            work.dhs = X25519PrivateKey.from_private_bytes(self._random(_KEY_LEN))
            work.dhs_public = x25519_public_bytes(work.dhs)
            work.root_key, work.cks = kdf_rk(work.root_key, x25519(work.dhs, peer_key))
        except InvalidKeyFormat:
            raise DecryptionError from None

    # ------------------------------------------------------------------ state

    def to_json(self) -> dict[str, Any]:
        """The whole state, versioned; expired skipped keys are dropped first. Secret: seal it."""
        state = self._state
        state.skipped.drop_expired(self._clock())
        return {
            "v": STATE_VERSION,
            "ad": b64encode(self._ad),
            "rk": b64encode(state.root_key),
            "dhs": b64encode(state.dhs.private_bytes_raw()),
            "dhr": _b64_or_none(state.dhr),
            "cks": _b64_or_none(state.cks),
            "ckr": _b64_or_none(state.ckr),
            "ns": state.ns,
            "nr": state.nr,
            "pn": state.pn,
            "skipped": state.skipped.to_json(),
        }

    @classmethod
    def from_json(
        cls, data: object, *, random: RandomSource = default_random, clock: Clock = time.time
    ) -> RatchetSession:
        """Restore a state from :meth:`to_json`; raises :class:`InvalidKeyFormat` on any defect."""
        data = upgrade(
            expect_dict(data, "ratchet state"), current=STATE_VERSION, steps=MIGRATIONS, what="ratchet state"
        )
        dhs = X25519PrivateKey.from_private_bytes(b64decode(data.get("dhs"), length=_KEY_LEN, what="dhs"))
        state = _State(
            root_key=b64decode(data.get("rk"), length=_KEY_LEN, what="rk"),
            dhs=dhs,
            dhs_public=x25519_public_bytes(dhs),
            dhr=_b64_or_none_decode(data.get("dhr"), "dhr"),
            cks=_b64_or_none_decode(data.get("cks"), "cks"),
            ckr=_b64_or_none_decode(data.get("ckr"), "ckr"),
            ns=require_int(data.get("ns"), what="ns", high=MAX_COUNTER),
            # A peer may send N = MAX_COUNTER itself, after which the receiving count is one more.
            nr=require_int(data.get("nr"), what="nr", high=MAX_COUNTER + 1),
            pn=require_int(data.get("pn"), what="pn", high=MAX_COUNTER),
            skipped=SkippedKeys.from_json(data.get("skipped")),
        )
        # Before the first message a responder has no peer key and no chains; after it, a sending chain.
        if (state.dhr is None and (state.cks, state.ckr) != (None, None)) or (
            state.dhr is not None and state.cks is None
        ):
            raise InvalidKeyFormat("ratchet state: chains and ratchet keys disagree")
        return cls(b64decode(data.get("ad"), what="ad"), state, random, clock)

    def to_bytes(self) -> bytes:
        """Canonical JSON of :meth:`to_json` (sorted keys, no spaces): equal states, equal bytes."""
        return canonical_json(self.to_json())

    @classmethod
    def from_bytes(
        cls, data: bytes, *, random: RandomSource = default_random, clock: Clock = time.time
    ) -> RatchetSession:
        return cls.from_json(parse_json(data, what="ratchet state"), random=random, clock=clock)

    def __repr__(self) -> str:
        s = self._state
        return f"RatchetSession(sent={s.ns}, received={s.nr}, skipped={len(s.skipped)})"

    __str__ = __repr__


def _skip(work: _State, until: int, now: float) -> None:
    """Store the keys of the receiving chain's messages before ``until`` (Signal's SkipMessageKeys)."""
    if until - work.nr > MAX_GAP:
        raise DecryptionError
    if work.ckr is None or work.dhr is None:
        return
    ck, n = work.ckr, work.nr
    while n < until:
        ck, message_key = kdf_ck(ck)
        work.skipped.add(work.dhr, n, message_key, now)
        n += 1
    work.ckr, work.nr = ck, n


def _check_bytes(value: object, length: int | None, what: str) -> None:
    if not isinstance(value, bytes) or (length is not None and len(value) != length):
        size = "" if length is None else f" of {length} bytes"
        raise InvalidKeyFormat(f"{what}: expected bytes{size}")


def _b64_or_none(value: bytes | None) -> str | None:
    return None if value is None else b64encode(value)


def _b64_or_none_decode(value: object, what: str) -> bytes | None:
    return None if value is None else b64decode(value, length=_KEY_LEN, what=what)
