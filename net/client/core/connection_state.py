"""The connection's life as one state machine: a transition table, and nothing that does I/O.

The engine's link to its server is in one of four :class:`~net.client.core.events.ConnectionState`\\ s,
and it remembers one wish of the person: to be online (``wants_online``), which
turns a drop into reconnecting. Both change only here, in
:meth:`ConnectionMachine.send`, by looking up ``(state, wants_online, input)`` in
:data:`TRANSITIONS`; every other module sends an :class:`Input` and reads the
result. An input the table has no row for is a bug in the engine, not a network
event, and raises :class:`ConnectionStateError` (as h11's ``LocalProtocolError``).

The table, read as ``state --input--> next`` (``wants`` is the wish after the input)::

    any            --dial-->                 CONNECTING
    any            --redial, wanted-->       RECONNECTING   (a retry after a backoff)
    CONNECTING/RE  --greeted_to_log_in-->    CONNECTED      wants
    CONNECTING/RE  --greeted_to_register-->  CONNECTED      does not want (nothing to log in with yet)
    CONNECTING/RE  --key_refused-->          OFFLINE        does not want (the person decides the key)
    CONNECTING/RE  --unreachable_retry-->    RECONNECTING   wants (registered: keep trying)
    CONNECTING/RE  --unreachable-->          OFFLINE        (the wish as it was)
    CONNECTED      --logged_in-->            CONNECTED
    any            --busy-->                 RECONNECTING   wants (log in again after a backoff)
    any            --refused-->              OFFLINE        does not want (until the person acts)
    any            --registered-->           (the same)     wants
    any            --dropped, wanted-->      RECONNECTING
    any            --dropped, not wanted-->  OFFLINE
    any            --logout / session_ended--> OFFLINE      does not want
    any            --server_changed-->       (the same)     does not want

The machine holds no time and no socket: the backoff that says *when* to redial
is :class:`net.client.core.backoff.Backoff`, driven by the link.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from net.client.core.events import ConnectionState

#: Refusals that mean "not now": the request is made again later, after a backoff with jitter.
RETRY_LATER = frozenset({"rate_limited", "storage_full", "storage_unavailable", "server_error"})
OFFLINE = ConnectionState.OFFLINE
CONNECTING = ConnectionState.CONNECTING
CONNECTED = ConnectionState.CONNECTED
RECONNECTING = ConnectionState.RECONNECTING
_ALL = tuple(ConnectionState)
_DIALLING = (CONNECTING, RECONNECTING)


class Input(StrEnum):
    """What happened, as the link, the messenger and the duties tell it."""

    DIAL = "dial"  # connecting is asked (a command, or the first try)
    REDIAL = "redial"  # connecting again after a failure and a backoff
    GREETED_TO_LOG_IN = "greeted_to_log_in"  # the pinned key and hello checked; a login follows
    GREETED_TO_REGISTER = "greeted_to_register"  # the same, for a profile not registered yet
    KEY_REFUSED = "key_refused"  # first contact, or a key other than the pinned one
    UNREACHABLE_RETRY = "unreachable_retry"  # no connection, and the profile is registered
    UNREACHABLE = "unreachable"  # no connection (or no hello) otherwise
    LOGGED_IN = "logged_in"
    BUSY = "busy"  # the login was refused for now (RETRY_LATER: rate_limited, storage_full, ...)
    REFUSED = "refused"  # the login was refused for good (login_failed, ...)
    REGISTERED = "registered"  # registration finished on this connection
    DROPPED = "dropped"
    LOGOUT = "logout"  # logout, lock, or closing the engine
    SESSION_ENDED = "session_ended"  # logged in elsewhere, or the number registered again
    SERVER_CHANGED = "server_changed"  # another server chosen: no reconnecting to the old one


class ConnectionStateError(Exception):
    """An input the table has no row for in the current state: a bug in the engine."""

    def __init__(self, state: ConnectionState, wants_online: bool, event: Input) -> None:
        self.state = state
        self.wants_online = wants_online
        self.input = event
        wish = "wanting" if wants_online else "not wanting"
        super().__init__(f"no transition for {event.value!r} in {state.value!r} ({wish} to be online)")


#: The key: (state, wants_online, input); the value: (next state, wants_online after it).
Transitions = dict[tuple[ConnectionState, bool, Input], tuple[ConnectionState, bool]]


def _rows() -> Transitions:
    table: Transitions = {}

    def row(
        states: tuple[ConnectionState, ...], event: Input, to: ConnectionState | None, wants: bool | None
    ) -> None:
        # ``to`` None keeps the state, ``wants`` None keeps the wish.
        for state in states:
            for wanted in (False, True):
                table[(state, wanted, event)] = (to or state, wanted if wants is None else wants)

    row(_ALL, Input.DIAL, CONNECTING, None)
    for state in _ALL:  # a redial shows as reconnecting only while the person wants to be online
        table[(state, True, Input.REDIAL)] = (RECONNECTING, True)
        table[(state, False, Input.REDIAL)] = (CONNECTING, False)
    row(_DIALLING, Input.GREETED_TO_LOG_IN, CONNECTED, True)
    row(_DIALLING, Input.GREETED_TO_REGISTER, CONNECTED, False)
    row(_DIALLING, Input.KEY_REFUSED, OFFLINE, False)
    row(_DIALLING, Input.UNREACHABLE_RETRY, RECONNECTING, True)
    row(_DIALLING, Input.UNREACHABLE, OFFLINE, None)
    row((CONNECTED,), Input.LOGGED_IN, None, None)
    # A reply to a login or a registration is legal in any state: a session_ended push read
    # while waiting for it may have taken the link offline first.
    row(_ALL, Input.BUSY, RECONNECTING, True)
    row(_ALL, Input.REFUSED, OFFLINE, False)
    row(_ALL, Input.REGISTERED, None, True)
    for state in _ALL:
        table[(state, True, Input.DROPPED)] = (RECONNECTING, True)
        table[(state, False, Input.DROPPED)] = (OFFLINE, False)
    row(_ALL, Input.LOGOUT, OFFLINE, False)
    row(_ALL, Input.SESSION_ENDED, OFFLINE, False)
    row(_ALL, Input.SERVER_CHANGED, None, False)
    return table


TRANSITIONS: Transitions = _rows()


@dataclass
class ConnectionMachine:
    """The one place that holds the connection's state and the wish to be online."""

    state: ConnectionState = OFFLINE
    wants_online: bool = False

    def send(self, event: Input) -> ConnectionState:
        """Apply ``event``; returns the new state. Raises ConnectionStateError if there is no row."""
        try:
            self.state, self.wants_online = TRANSITIONS[(self.state, self.wants_online, event)]
        except KeyError:
            raise ConnectionStateError(self.state, self.wants_online, event) from None
        return self.state
