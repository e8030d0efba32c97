"""Linking a computer, both ends, as transition tables: no I/O, no time, no keys (magic-wormhole style).

Each end of a link is a :class:`LinkMachine` of one :class:`Role`. The driver
(net/client/linking.py) feeds it :class:`Input`\\ s (what the person did, what the
server said, what the other end sent through ``link_relay``) and performs the
:class:`Action`\\ s it returns, in order. Everything the two ends must agree on is
here, in one table per role, so the order of the steps can be read in one place::

    new end (the computer being linked)
    IDLE         --start-->        OPENING        [open]
    OPENING      --code-->         SHOWING_CODE   [show_code]
    SHOWING_CODE --joined-->       COMPARING      [show_number]
    COMPARING    --say_same-->     CONFIRMED      [send_confirm]
    CONFIRMED    --provisioning--> REGISTERING    [link_device]
    REGISTERING  --device_made-->  LOGGING_IN     [log_in]
    LOGGING_IN   --logged_in-->    APPLYING       [apply]      (a blob, if any, is fetched first)
    APPLYING     --applied-->      DONE           [finish]

    existing end (a logged-in device of the account)
    IDLE           --join-->           JOINING        [join]
    JOINING        --joined-->         COMPARING      [show_number]
    COMPARING      --say_same-->       CONFIRMED      []             (waits for the other end's yes)
    COMPARING      --peer_confirmed--> PEER_CONFIRMED []             (waits for this person's yes)
    CONFIRMED      --peer_confirmed--> SENDING        [send_provisioning]
    PEER_CONFIRMED --say_same-->       SENDING        [send_provisioning]
    SENDING        --sent-->           WAITING_DONE   []
    WAITING_DONE   --link_done-->      DONE           [finish]

The identity key travels only in the provisioning, and the existing end sends it only
once *both* people said the numbers match: a server that swapped a key made the
numbers differ, so a "no" on either screen (``say_different``), a ``cancel``, the other
end's cancel, an ``expired`` deadline, a dropped connection or a refusal from the server
ends the link with ``[fail]`` (and ``[send_cancel]`` first where the other end can still
be told). A terminal state (DONE, FAILED) ignores whatever still arrives. A message
from the other end that the table does not expect (a provisioning before this end's
"yes", say) is an attack or a bug: the link fails. A person's input the table has no
row for (``say_same`` with nothing to compare) raises :class:`LinkPlanError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

Role = Literal["new", "existing"]


class State(StrEnum):
    IDLE = "idle"
    OPENING = "opening"
    SHOWING_CODE = "showing_code"
    JOINING = "joining"
    COMPARING = "comparing"
    CONFIRMED = "confirmed"
    PEER_CONFIRMED = "peer_confirmed"
    SENDING = "sending"
    WAITING_DONE = "waiting_done"
    REGISTERING = "registering"
    LOGGING_IN = "logging_in"
    APPLYING = "applying"
    DONE = "done"
    FAILED = "failed"


class Input(StrEnum):
    # the person
    START = "start"
    JOIN = "join"
    SAY_SAME = "say_same"
    SAY_DIFFERENT = "say_different"
    CANCEL = "cancel"
    # the server
    CODE = "code"
    JOINED = "joined"
    DEVICE_MADE = "device_made"
    LOGGED_IN = "logged_in"
    LINK_DONE = "link_done"
    REFUSED = "refused"
    DROPPED = "dropped"
    # the other end (sealed, through link_relay)
    PEER_CONFIRMED = "peer_confirmed"
    PEER_CANCELLED = "peer_cancelled"
    PROVISIONING = "provisioning"
    # this end's own work and clock
    SENT = "sent"
    APPLIED = "applied"
    EXPIRED = "expired"


class Action(StrEnum):
    OPEN = "open"
    SHOW_CODE = "show_code"
    JOIN = "join"
    SHOW_NUMBER = "show_number"
    SEND_CONFIRM = "send_confirm"
    SEND_PROVISIONING = "send_provisioning"
    SEND_CANCEL = "send_cancel"
    LINK_DEVICE = "link_device"
    LOG_IN = "log_in"
    APPLY = "apply"
    FINISH = "finish"
    FAIL = "fail"


#: Inputs the person gives; the others come from the server, the other end or this end's work.
PERSON_INPUTS = frozenset({Input.START, Input.JOIN, Input.SAY_SAME, Input.SAY_DIFFERENT, Input.CANCEL})
TERMINAL = frozenset({State.DONE, State.FAILED})
#: States in which the other end is joined, so a cancel can still be relayed to it.
_JOINED_NEW = (State.COMPARING, State.CONFIRMED)
_JOINED_EXISTING = (State.COMPARING, State.CONFIRMED, State.PEER_CONFIRMED)

Transitions = dict[tuple[State, Input], tuple[State, tuple[Action, ...]]]


class LinkPlanError(Exception):
    """A person's input the table has no row for in the current state (the engine says so in words)."""

    def __init__(self, role: Role, state: State, event: Input) -> None:
        self.state, self.input = state, event
        super().__init__(f"no link step for {event.value!r} while the {role} end is {state.value!r}")


def _new_rows() -> Transitions:
    t: Transitions = {
        (State.IDLE, Input.START): (State.OPENING, (Action.OPEN,)),
        (State.OPENING, Input.CODE): (State.SHOWING_CODE, (Action.SHOW_CODE,)),
        (State.SHOWING_CODE, Input.JOINED): (State.COMPARING, (Action.SHOW_NUMBER,)),
        (State.COMPARING, Input.SAY_SAME): (State.CONFIRMED, (Action.SEND_CONFIRM,)),
        (State.CONFIRMED, Input.PROVISIONING): (State.REGISTERING, (Action.LINK_DEVICE,)),
        (State.REGISTERING, Input.DEVICE_MADE): (State.LOGGING_IN, (Action.LOG_IN,)),
        (State.LOGGING_IN, Input.LOGGED_IN): (State.APPLYING, (Action.APPLY,)),
        (State.APPLYING, Input.APPLIED): (State.DONE, (Action.FINISH,)),
    }
    live = (
        State.OPENING,
        State.SHOWING_CODE,
        *_JOINED_NEW,
        State.REGISTERING,
        State.LOGGING_IN,
        State.APPLYING,
    )
    _failures(t, live, _JOINED_NEW)
    return t


def _existing_rows() -> Transitions:
    t: Transitions = {
        (State.IDLE, Input.JOIN): (State.JOINING, (Action.JOIN,)),
        (State.JOINING, Input.JOINED): (State.COMPARING, (Action.SHOW_NUMBER,)),
        (State.COMPARING, Input.SAY_SAME): (State.CONFIRMED, ()),
        (State.COMPARING, Input.PEER_CONFIRMED): (State.PEER_CONFIRMED, ()),
        (State.CONFIRMED, Input.PEER_CONFIRMED): (State.SENDING, (Action.SEND_PROVISIONING,)),
        (State.PEER_CONFIRMED, Input.SAY_SAME): (State.SENDING, (Action.SEND_PROVISIONING,)),
        (State.SENDING, Input.SENT): (State.WAITING_DONE, ()),
        (State.WAITING_DONE, Input.LINK_DONE): (State.DONE, (Action.FINISH,)),
    }
    live = (State.JOINING, *_JOINED_EXISTING, State.SENDING, State.WAITING_DONE)
    _failures(t, live, _JOINED_EXISTING)
    return t


def _failures(t: Transitions, live: tuple[State, ...], joined: tuple[State, ...]) -> None:
    """Every way a live link ends without linking; the rows above take precedence."""
    network_surprises = (Input.PEER_CONFIRMED, Input.PROVISIONING, Input.JOINED, Input.CODE, Input.LINK_DONE)
    for state in live:
        told = (Action.SEND_CANCEL, Action.FAIL) if state in joined else (Action.FAIL,)
        for event in (Input.SAY_DIFFERENT, Input.CANCEL, Input.EXPIRED, Input.REFUSED):
            t.setdefault((state, event), (State.FAILED, told))
        for event in (Input.PEER_CANCELLED, Input.DROPPED, *network_surprises):
            t.setdefault((state, event), (State.FAILED, (Action.FAIL,)))


NEW_TRANSITIONS: Transitions = _new_rows()
EXISTING_TRANSITIONS: Transitions = _existing_rows()


@dataclass
class LinkMachine:
    """One end of one link: the only place that holds where the link stands."""

    role: Role
    state: State = State.IDLE
    #: Why the link failed, in the words of the input that ended it (for LinkFailed).
    failed_by: Input | None = field(default=None)

    @property
    def table(self) -> Transitions:
        return NEW_TRANSITIONS if self.role == "new" else EXISTING_TRANSITIONS

    @property
    def finished(self) -> bool:
        return self.state in TERMINAL

    def send(self, event: Input) -> tuple[Action, ...]:
        """Apply ``event``; returns what the driver must do, in order."""
        if self.state in TERMINAL:
            if event in PERSON_INPUTS and event not in (Input.CANCEL, Input.START, Input.JOIN):
                raise LinkPlanError(self.role, self.state, event)
            if event in (Input.START, Input.JOIN):
                # A new link after a finished one starts from the beginning.
                self.state, self.failed_by = State.IDLE, None
                return self.send(event)
            return ()
        try:
            self.state, actions = self.table[(self.state, event)]
        except KeyError:
            if event in PERSON_INPUTS:
                raise LinkPlanError(self.role, self.state, event) from None
            self.state, actions = State.FAILED, (Action.FAIL,)
        if self.state is State.FAILED:
            self.failed_by = event
        return actions
