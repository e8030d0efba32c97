"""The service's rate limits against lock-out, prekey draining and enumeration, counted across restarts.

Each limit is a :class:`~net.server.limits.PersistedLimiter` (its counts are written in the
request's own group commit; on a store several nodes share, a
:class:`~net.server.shared_limiter.SharedLimiter`, which counts theirs too) keyed by phone
number, account or source address (:func:`~net.server.limits.source_address`).
net/protocol/PROTOCOL.md ("Limits") says what each counts and what a client sees past it:

* failed logins, per number and per address: past either, further failures are
  answered ``rate_limited``; a correct signature always logs in;
* one-time prekeys handed out, per target account and per fetching address: past
  either, a bundle comes without them and nothing is consumed;
* ``unknown_account`` answers, per asking account and per address: past either,
  every lookup (``get_bundle``, ``send``, ``send_many``) of that account or address is
  refused; each unknown recipient of a ``send_many`` counts.
"""

from __future__ import annotations

from collections.abc import Callable

from net.protocol.errors import ErrorCode, RequestRefused
from net.server.limits import Limits, RateLimiter, source_address
from net.server.presence import Session
from net.server.shared_limiter import any_exceeded, fewest_remaining

MINUTE = 60.0
HOUR = 3600.0


class Guards:
    def __init__(self, limits: Limits, persisted: Callable[[str, int, float], RateLimiter]) -> None:
        self._failed_logins = persisted("failed_logins", limits.logins_per_minute, MINUTE)
        self._address_failed_logins = persisted(
            "address_failed_logins", limits.address_logins_per_minute, MINUTE
        )
        self._target_prekeys = persisted("target_prekeys", limits.prekeys_per_target, HOUR)
        self._address_prekeys = persisted("address_prekeys", limits.prekeys_per_address, HOUR)
        self._unknown = persisted("unknown", limits.unknown_per_account, HOUR)
        self._address_unknown = persisted("address_unknown", limits.unknown_per_address, HOUR)

    # ----------------------------------------------------------------------- login

    def login_failed(self, session: Session, phone: str) -> RequestRefused:
        """Count a failed login; the refusal to raise: ``login_failed``, or past a limit ``rate_limited``."""
        address = source_address(session.peer)
        if self._failed_logins.exceeded(phone) or self._address_failed_logins.exceeded(address):
            return RequestRefused(ErrorCode.RATE_LIMITED, "too many failed logins; wait a minute")
        self._failed_logins.count(phone)
        self._address_failed_logins.count(address)
        return RequestRefused(ErrorCode.LOGIN_FAILED, "login failed: ask for a new challenge and sign it")

    # --------------------------------------------------------------------- prekeys

    def may_hand_out(self, target: str, session: Session) -> bool:
        """Whether a bundle of ``target`` fetched on ``session`` may carry one-time prekeys."""
        address = source_address(session.peer)
        return not (self._target_prekeys.exceeded(target) or self._address_prekeys.exceeded(address))

    def handed_out(self, target: str, session: Session) -> None:
        self._target_prekeys.count(target)
        self._address_prekeys.count(source_address(session.peer))

    # ----------------------------------------------------------------- enumeration

    def check_lookups(self, session: Session) -> None:
        """Refuse every lookup of an account or address that had too many ``unknown_account`` answers.

        All of them, not only those of unknown numbers: otherwise ``rate_limited`` would itself
        mean "unknown", and enumeration would go on at full speed. Asked on every send, so on a
        shared store it is one query for both keys, without a lock: it counts nothing, and the
        answer it guards is counted under the lock (:meth:`unknown_answer`).
        """
        if any_exceeded(self._lookup_keys(session)):
            raise lookups_refused()

    def unknown_answer(self, session: Session) -> RequestRefused:
        """Count an ``unknown_account`` answer; the refusal to raise.

        Checked again under the limits' locks (on a shared store another node's answers may have
        reached a limit since :meth:`check_lookups`): past one, ``rate_limited``, and nothing counts.
        """
        assert session.phone is not None
        if self._unknown.exceeded(session.phone) or self._address_unknown.exceeded(
            source_address(session.peer)
        ):
            return lookups_refused()
        self._count_unknown(session, 1)
        return RequestRefused(ErrorCode.UNKNOWN_ACCOUNT, "nobody is registered with this phone number")

    def unknown_allowed(self, session: Session) -> int:
        """How many ``unknown_account`` answers ``session`` may still get before its lookups are refused.

        A ``send_many`` asks before it looks its recipients up: one unknown recipient more than this and
        the whole request is refused, as its copies sent one by one would have been from there on. A
        glance, like :meth:`check_lookups` (asked on every ``send_many``).
        """
        return fewest_remaining(self._lookup_keys(session))

    def count_unknown(self, session: Session, answers: int = 1) -> None:
        """Count ``answers`` unknown recipients of a ``send_many`` (after :meth:`unknown_allowed`).

        The keys are locked first (a look that counts nothing, on a shared store), so that another
        node's check of them waits for this turn's commit.
        """
        assert session.phone is not None
        self._unknown.remaining(session.phone)
        self._address_unknown.remaining(source_address(session.peer))
        self._count_unknown(session, answers)

    def _count_unknown(self, session: Session, answers: int) -> None:
        assert session.phone is not None
        address = source_address(session.peer)
        for _ in range(answers):
            self._unknown.count(session.phone)
            self._address_unknown.count(address)

    def _lookup_keys(self, session: Session) -> list[tuple[RateLimiter, str]]:
        assert session.phone is not None
        return [(self._unknown, session.phone), (self._address_unknown, source_address(session.peer))]


def lookups_refused() -> RequestRefused:
    """The refusal of a lookup past an ``unknown_account`` limit."""
    return RequestRefused(
        ErrorCode.RATE_LIMITED, "too many numbers asked for were not registered; try again later"
    )
