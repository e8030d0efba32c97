"""Linking a computer, both ends, as transition tables: no I/O, no time, no keys (magic-wormhole style).

Each end of a link is a :class:`LinkMachine` of one :class:`Role`. The driver
(net/client/linking.py) feeds it :class:`LinkInput`\\ s (what the person did, what the
server said, what the other end sent through ``link_relay``) and performs the
:class:`LinkAction`\\ s it returns, in order. Everything the two ends must agree on is
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


class LinkState(StrEnum):
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


class LinkInput(StrEnum):
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


class LinkAction(StrEnum):
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
PERSON_INPUTS = frozenset(
    {LinkInput.START, LinkInput.JOIN, LinkInput.SAY_SAME, LinkInput.SAY_DIFFERENT, LinkInput.CANCEL}
)
TERMINAL = frozenset({LinkState.DONE, LinkState.FAILED})
#: States in which the other end is joined, so a cancel can still be relayed to it.
_JOINED_NEW = (LinkState.COMPARING, LinkState.CONFIRMED)
_JOINED_EXISTING = (LinkState.COMPARING, LinkState.CONFIRMED, LinkState.PEER_CONFIRMED)

Transitions = dict[tuple[LinkState, LinkInput], tuple[LinkState, tuple[LinkAction, ...]]]


class LinkPlanError(Exception):
    """A person's input the table has no row for in the current state (the engine says so in words)."""

    def __init__(self, role: Role, state: LinkState, event: LinkInput) -> None:
        self.state, self.input = state, event
        super().__init__(f"no link step for {event.value!r} while the {role} end is {state.value!r}")


def _new_rows() -> Transitions:
    t: Transitions = {
        (LinkState.IDLE, LinkInput.START): (LinkState.OPENING, (LinkAction.OPEN,)),
        (LinkState.OPENING, LinkInput.CODE): (LinkState.SHOWING_CODE, (LinkAction.SHOW_CODE,)),
        (LinkState.SHOWING_CODE, LinkInput.JOINED): (LinkState.COMPARING, (LinkAction.SHOW_NUMBER,)),
        (LinkState.COMPARING, LinkInput.SAY_SAME): (LinkState.CONFIRMED, (LinkAction.SEND_CONFIRM,)),
        (LinkState.CONFIRMED, LinkInput.PROVISIONING): (LinkState.REGISTERING, (LinkAction.LINK_DEVICE,)),
        (LinkState.REGISTERING, LinkInput.DEVICE_MADE): (LinkState.LOGGING_IN, (LinkAction.LOG_IN,)),
        (LinkState.LOGGING_IN, LinkInput.LOGGED_IN): (LinkState.APPLYING, (LinkAction.APPLY,)),
        (LinkState.APPLYING, LinkInput.APPLIED): (LinkState.DONE, (LinkAction.FINISH,)),
    }
    live = (
        LinkState.OPENING,
        LinkState.SHOWING_CODE,
        *_JOINED_NEW,
        LinkState.REGISTERING,
        LinkState.LOGGING_IN,
        LinkState.APPLYING,
    )
    _failures(t, live, _JOINED_NEW)
    return t


def _existing_rows() -> Transitions:
    t: Transitions = {
        (LinkState.IDLE, LinkInput.JOIN): (LinkState.JOINING, (LinkAction.JOIN,)),
        (LinkState.JOINING, LinkInput.JOINED): (LinkState.COMPARING, (LinkAction.SHOW_NUMBER,)),
        (LinkState.COMPARING, LinkInput.SAY_SAME): (LinkState.CONFIRMED, ()),
        (LinkState.COMPARING, LinkInput.PEER_CONFIRMED): (LinkState.PEER_CONFIRMED, ()),
        (LinkState.CONFIRMED, LinkInput.PEER_CONFIRMED): (LinkState.SENDING, (LinkAction.SEND_PROVISIONING,)),
        (LinkState.PEER_CONFIRMED, LinkInput.SAY_SAME): (LinkState.SENDING, (LinkAction.SEND_PROVISIONING,)),
        (LinkState.SENDING, LinkInput.SENT): (LinkState.WAITING_DONE, ()),
        (LinkState.WAITING_DONE, LinkInput.LINK_DONE): (LinkState.DONE, (LinkAction.FINISH,)),
    }
    live = (LinkState.JOINING, *_JOINED_EXISTING, LinkState.SENDING, LinkState.WAITING_DONE)
    _failures(t, live, _JOINED_EXISTING)
    return t


def _failures(t: Transitions, live: tuple[LinkState, ...], joined: tuple[LinkState, ...]) -> None:
    """Every way a live link ends without linking; the rows above take precedence."""
    network_surprises = (
        LinkInput.PEER_CONFIRMED,
        LinkInput.PROVISIONING,
        LinkInput.JOINED,
        LinkInput.CODE,
        LinkInput.LINK_DONE,
    )
    for state in live:
        told = (LinkAction.SEND_CANCEL, LinkAction.FAIL) if state in joined else (LinkAction.FAIL,)
        for event in (LinkInput.SAY_DIFFERENT, LinkInput.CANCEL, LinkInput.EXPIRED, LinkInput.REFUSED):
            t.setdefault((state, event), (LinkState.FAILED, told))
        for event in (LinkInput.PEER_CANCELLED, LinkInput.DROPPED, *network_surprises):
            t.setdefault((state, event), (LinkState.FAILED, (LinkAction.FAIL,)))


NEW_TRANSITIONS: Transitions = _new_rows()
EXISTING_TRANSITIONS: Transitions = _existing_rows()


@dataclass
class LinkMachine:
    """One end of one link: the only place that holds where the link stands."""

    role: Role
    state: LinkState = LinkState.IDLE
    #: Why the link failed, in the words of the input that ended it (for LinkFailed).
    failed_by: LinkInput | None = field(default=None)

    @property
    def table(self) -> Transitions:
        return NEW_TRANSITIONS if self.role == "new" else EXISTING_TRANSITIONS

    @property
    def finished(self) -> bool:
        return self.state in TERMINAL

    def send(self, event: LinkInput) -> tuple[LinkAction, ...]:
        """Apply ``event``; returns what the driver must do, in order."""
        if self.state in TERMINAL:
            if event in PERSON_INPUTS and event not in (LinkInput.CANCEL, LinkInput.START, LinkInput.JOIN):
                raise LinkPlanError(self.role, self.state, event)
            if event in (LinkInput.START, LinkInput.JOIN):
                # A new link after a finished one starts from the beginning.
                self.state, self.failed_by = LinkState.IDLE, None
                return self.send(event)
            return ()
        try:
            self.state, actions = self.table[(self.state, event)]
        except KeyError:
            if event in PERSON_INPUTS:
                raise LinkPlanError(self.role, self.state, event) from None
            self.state, actions = LinkState.FAILED, (LinkAction.FAIL,)
        if self.state is LinkState.FAILED:
            self.failed_by = event
        return actions
