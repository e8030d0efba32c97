"""net.client.core.link_plan: both ends of a link as transition tables."""

from __future__ import annotations

import pytest

from net.client.core.link_plan import (
    EXISTING_TRANSITIONS,
    NEW_TRANSITIONS,
    Action,
    Input,
    LinkMachine,
    LinkPlanError,
    State,
)


def _run(machine: LinkMachine, *events: Input) -> list[Action]:
    done: list[Action] = []
    for event in events:
        done.extend(machine.send(event))
    return done


def test_the_new_end_links_in_order() -> None:
    machine = LinkMachine("new")
    actions = _run(
        machine,
        Input.START,
        Input.CODE,
        Input.JOINED,
        Input.SAY_SAME,
        Input.PROVISIONING,
        Input.DEVICE_MADE,
        Input.LOGGED_IN,
        Input.APPLIED,
    )
    assert actions == [
        Action.OPEN,
        Action.SHOW_CODE,
        Action.SHOW_NUMBER,
        Action.SEND_CONFIRM,
        Action.LINK_DEVICE,
        Action.LOG_IN,
        Action.APPLY,
        Action.FINISH,
    ]
    assert machine.state is State.DONE and machine.failed_by is None


@pytest.mark.parametrize("person_first", [True, False])
def test_the_existing_end_sends_the_identity_only_after_both_said_yes(person_first: bool) -> None:
    machine = LinkMachine("existing")
    assert _run(machine, Input.JOIN, Input.JOINED) == [Action.JOIN, Action.SHOW_NUMBER]
    first, second = (
        (Input.SAY_SAME, Input.PEER_CONFIRMED) if person_first else (Input.PEER_CONFIRMED, Input.SAY_SAME)
    )
    assert machine.send(first) == ()
    assert machine.send(second) == (Action.SEND_PROVISIONING,)
    assert _run(machine, Input.SENT, Input.LINK_DONE) == [Action.FINISH]
    assert machine.state is State.DONE


def test_no_provisioning_is_ever_sent_without_both_yeses() -> None:
    """Walk every path through the existing end's table: SEND_PROVISIONING needs both yeses before it."""

    def walk(state: State, seen: frozenset[Input], depth: int) -> None:
        for (from_state, event), (to, actions) in EXISTING_TRANSITIONS.items():
            if from_state is not state:
                continue
            now = seen | {event}
            if Action.SEND_PROVISIONING in actions:
                assert {Input.SAY_SAME, Input.PEER_CONFIRMED} <= now
            if depth < 8 and to is not State.FAILED:
                walk(to, now, depth + 1)

    walk(State.IDLE, frozenset(), 0)


def test_the_new_end_registers_only_after_its_own_yes() -> None:
    for (state, event), (_, actions) in NEW_TRANSITIONS.items():
        if Action.LINK_DEVICE in actions:
            assert (state, event) == (State.CONFIRMED, Input.PROVISIONING)


@pytest.mark.parametrize("role", ["new", "existing"])
@pytest.mark.parametrize("ending", [Input.SAY_DIFFERENT, Input.CANCEL, Input.EXPIRED, Input.REFUSED])
def test_a_no_while_comparing_tells_the_other_end_and_fails(role: str, ending: Input) -> None:
    machine = LinkMachine("new") if role == "new" else LinkMachine("existing")
    _run(machine, *((Input.START, Input.CODE, Input.JOINED) if role == "new" else (Input.JOIN, Input.JOINED)))
    assert machine.send(ending) == (Action.SEND_CANCEL, Action.FAIL)
    assert machine.state is State.FAILED and machine.failed_by is ending
    # Whatever still arrives changes nothing.
    assert machine.send(Input.PROVISIONING) == () and machine.send(Input.PEER_CONFIRMED) == ()
    assert machine.state is State.FAILED


def test_the_other_ends_cancel_or_a_drop_fails_without_a_reply() -> None:
    machine = LinkMachine("existing")
    _run(machine, Input.JOIN, Input.JOINED, Input.SAY_SAME)
    assert machine.send(Input.PEER_CANCELLED) == (Action.FAIL,)
    machine = LinkMachine("new")
    _run(machine, Input.START, Input.CODE)
    assert machine.send(Input.DROPPED) == (Action.FAIL,)
    assert machine.failed_by is Input.DROPPED


def test_an_unexpected_message_from_the_other_end_fails_the_link() -> None:
    machine = LinkMachine("new")
    _run(machine, Input.START, Input.CODE, Input.JOINED)
    # A provisioning before this person's yes: never applied.
    assert machine.send(Input.PROVISIONING) == (Action.FAIL,)
    assert machine.state is State.FAILED


def test_a_persons_input_out_of_place_is_an_error_in_words() -> None:
    machine = LinkMachine("existing")
    with pytest.raises(LinkPlanError, match="say_same"):
        machine.send(Input.SAY_SAME)
    _run(machine, Input.JOIN)
    with pytest.raises(LinkPlanError, match="join"):
        machine.send(Input.JOIN)
    with pytest.raises(LinkPlanError):
        LinkMachine("existing").send(Input.START)


def test_a_finished_link_can_be_followed_by_a_new_one() -> None:
    machine = LinkMachine("new")
    _run(machine, Input.START, Input.CANCEL)
    assert machine.state is State.FAILED
    assert machine.send(Input.CANCEL) == ()
    assert machine.send(Input.START) == (Action.OPEN,)
    assert machine.state is State.OPENING and machine.failed_by is None
