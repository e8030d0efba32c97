"""net.client.core.link_plan: both ends of a link as transition tables."""

from __future__ import annotations

import pytest

from net.client.core.link_plan import (
    EXISTING_TRANSITIONS,
    NEW_TRANSITIONS,
    LinkAction,
    LinkInput,
    LinkMachine,
    LinkPlanError,
    LinkState,
)


def _run(machine: LinkMachine, *events: LinkInput) -> list[LinkAction]:
    done: list[LinkAction] = []
    for event in events:
        done.extend(machine.send(event))
    return done


def test_the_new_end_links_in_order() -> None:
    machine = LinkMachine("new")
    actions = _run(
        machine,
        LinkInput.START,
        LinkInput.CODE,
        LinkInput.JOINED,
        LinkInput.SAY_SAME,
        LinkInput.PROVISIONING,
        LinkInput.DEVICE_MADE,
        LinkInput.LOGGED_IN,
        LinkInput.APPLIED,
    )
    assert actions == [
        LinkAction.OPEN,
        LinkAction.SHOW_CODE,
        LinkAction.SHOW_NUMBER,
        LinkAction.SEND_CONFIRM,
        LinkAction.LINK_DEVICE,
        LinkAction.LOG_IN,
        LinkAction.APPLY,
        LinkAction.FINISH,
    ]
    assert machine.state is LinkState.DONE and machine.failed_by is None


@pytest.mark.parametrize("person_first", [True, False])
def test_the_existing_end_sends_the_identity_only_after_both_said_yes(person_first: bool) -> None:
    machine = LinkMachine("existing")
    assert _run(machine, LinkInput.JOIN, LinkInput.JOINED) == [LinkAction.JOIN, LinkAction.SHOW_NUMBER]
    first, second = (
        (LinkInput.SAY_SAME, LinkInput.PEER_CONFIRMED)
        if person_first
        else (LinkInput.PEER_CONFIRMED, LinkInput.SAY_SAME)
    )
    assert machine.send(first) == ()
    assert machine.send(second) == (LinkAction.SEND_PROVISIONING,)
    assert _run(machine, LinkInput.SENT, LinkInput.LINK_DONE) == [LinkAction.FINISH]
    assert machine.state is LinkState.DONE


def test_no_provisioning_is_ever_sent_without_both_yeses() -> None:
    """Walk every path through the existing end's table: SEND_PROVISIONING needs both yeses before it."""

    def walk(state: LinkState, seen: frozenset[LinkInput], depth: int) -> None:
        for (from_state, event), (to, actions) in EXISTING_TRANSITIONS.items():
            if from_state is not state:
                continue
            now = seen | {event}
            if LinkAction.SEND_PROVISIONING in actions:
                assert {LinkInput.SAY_SAME, LinkInput.PEER_CONFIRMED} <= now
            if depth < 8 and to is not LinkState.FAILED:
                walk(to, now, depth + 1)

    walk(LinkState.IDLE, frozenset(), 0)


def test_the_new_end_registers_only_after_its_own_yes() -> None:
    for (state, event), (_, actions) in NEW_TRANSITIONS.items():
        if LinkAction.LINK_DEVICE in actions:
            assert (state, event) == (LinkState.CONFIRMED, LinkInput.PROVISIONING)


@pytest.mark.parametrize("role", ["new", "existing"])
@pytest.mark.parametrize(
    "ending", [LinkInput.SAY_DIFFERENT, LinkInput.CANCEL, LinkInput.EXPIRED, LinkInput.REFUSED]
)
def test_a_no_while_comparing_tells_the_other_end_and_fails(role: str, ending: LinkInput) -> None:
    machine = LinkMachine("new") if role == "new" else LinkMachine("existing")
    _run(
        machine,
        *(
            (LinkInput.START, LinkInput.CODE, LinkInput.JOINED)
            if role == "new"
            else (LinkInput.JOIN, LinkInput.JOINED)
        ),
    )
    assert machine.send(ending) == (LinkAction.SEND_CANCEL, LinkAction.FAIL)
    assert machine.state is LinkState.FAILED and machine.failed_by is ending
    # Whatever still arrives changes nothing.
    assert machine.send(LinkInput.PROVISIONING) == () and machine.send(LinkInput.PEER_CONFIRMED) == ()
    assert machine.state is LinkState.FAILED


def test_the_other_ends_cancel_or_a_drop_fails_without_a_reply() -> None:
    machine = LinkMachine("existing")
    _run(machine, LinkInput.JOIN, LinkInput.JOINED, LinkInput.SAY_SAME)
    assert machine.send(LinkInput.PEER_CANCELLED) == (LinkAction.FAIL,)
    machine = LinkMachine("new")
    _run(machine, LinkInput.START, LinkInput.CODE)
    assert machine.send(LinkInput.DROPPED) == (LinkAction.FAIL,)
    assert machine.failed_by is LinkInput.DROPPED


def test_an_unexpected_message_from_the_other_end_fails_the_link() -> None:
    machine = LinkMachine("new")
    _run(machine, LinkInput.START, LinkInput.CODE, LinkInput.JOINED)
    # A provisioning before this person's yes: never applied.
    assert machine.send(LinkInput.PROVISIONING) == (LinkAction.FAIL,)
    assert machine.state is LinkState.FAILED


def test_a_persons_input_out_of_place_is_an_error_in_words() -> None:
    machine = LinkMachine("existing")
    with pytest.raises(LinkPlanError, match="say_same"):
        machine.send(LinkInput.SAY_SAME)
    _run(machine, LinkInput.JOIN)
    with pytest.raises(LinkPlanError, match="join"):
        machine.send(LinkInput.JOIN)
    with pytest.raises(LinkPlanError):
        LinkMachine("existing").send(LinkInput.START)


def test_a_finished_link_can_be_followed_by_a_new_one() -> None:
    machine = LinkMachine("new")
    _run(machine, LinkInput.START, LinkInput.CANCEL)
    assert machine.state is LinkState.FAILED
    assert machine.send(LinkInput.CANCEL) == ()
    assert machine.send(LinkInput.START) == (LinkAction.OPEN,)
    assert machine.state is LinkState.OPENING and machine.failed_by is None
