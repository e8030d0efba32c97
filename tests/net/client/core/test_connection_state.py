"""The connection's state machine: every row of the table, the wish to be online, illegal inputs."""

from __future__ import annotations

import pytest

from net.client.core.connection_state import TRANSITIONS, ConnectionMachine, ConnectionStateError, Input
from net.client.core.events import ConnectionState

OFFLINE, CONNECTING, CONNECTED, RECONNECTING = tuple(ConnectionState)


def machine(state: ConnectionState = OFFLINE, wants: bool = False) -> ConnectionMachine:
    return ConnectionMachine(state, wants)


def run(*inputs: Input) -> ConnectionMachine:
    found = ConnectionMachine()
    for event in inputs:
        found.send(event)
    return found


def test_a_fresh_machine_is_offline_and_wants_nothing() -> None:
    fresh = ConnectionMachine()
    assert (fresh.state, fresh.wants_online) == (OFFLINE, False)


def test_connecting_then_being_greeted_to_log_in_is_connected_and_wanting_to_stay() -> None:
    found = run(Input.DIAL, Input.GREETED_TO_LOG_IN, Input.LOGGED_IN)
    assert (found.state, found.wants_online) == (CONNECTED, True)


def test_a_profile_not_registered_yet_connects_without_wanting_to_come_back() -> None:
    found = run(Input.DIAL, Input.GREETED_TO_REGISTER)
    assert (found.state, found.wants_online) == (CONNECTED, False)
    assert found.send(Input.DROPPED) is OFFLINE
    found = run(Input.DIAL, Input.GREETED_TO_REGISTER, Input.REGISTERED)
    assert found.wants_online and found.send(Input.DROPPED) is RECONNECTING


def test_a_drop_reconnects_only_while_the_person_wants_to_be_online() -> None:
    assert machine(CONNECTED, True).send(Input.DROPPED) is RECONNECTING
    assert machine(CONNECTED, False).send(Input.DROPPED) is OFFLINE


def test_a_redial_shows_as_reconnecting_only_while_wanted() -> None:
    assert machine(RECONNECTING, True).send(Input.REDIAL) is RECONNECTING
    assert machine(OFFLINE, False).send(Input.REDIAL) is CONNECTING
    assert machine(RECONNECTING, True).send(Input.DIAL) is CONNECTING


def test_an_unreachable_server_is_retried_for_a_registered_profile_only() -> None:
    retried = machine(CONNECTING)
    assert retried.send(Input.UNREACHABLE_RETRY) is RECONNECTING and retried.wants_online
    given_up = machine(CONNECTING)
    assert given_up.send(Input.UNREACHABLE) is OFFLINE and not given_up.wants_online
    kept = machine(RECONNECTING, True)  # the wish stays: the backoff tries again
    assert kept.send(Input.UNREACHABLE) is OFFLINE and kept.wants_online


def test_a_refused_key_or_login_takes_the_engine_offline_until_the_person_acts() -> None:
    for state, event in ((CONNECTING, Input.KEY_REFUSED), (RECONNECTING, Input.KEY_REFUSED)):
        found = machine(state, True)
        assert found.send(event) is OFFLINE and not found.wants_online
    refused = machine(CONNECTED, True)
    assert refused.send(Input.REFUSED) is OFFLINE and not refused.wants_online


def test_a_busy_server_means_reconnecting_and_wanting_to_log_in_again() -> None:
    found = machine(CONNECTED, False)
    assert found.send(Input.BUSY) is RECONNECTING and found.wants_online
    # A session_ended push read while waiting for the reply came first: the reply still counts.
    assert machine(OFFLINE).send(Input.BUSY) is RECONNECTING
    assert machine(OFFLINE).send(Input.REFUSED) is OFFLINE


def test_logout_and_session_ended_leave_every_state_offline_for_good() -> None:
    for state in ConnectionState:
        for event in (Input.LOGOUT, Input.SESSION_ENDED):
            found = machine(state, True)
            assert found.send(event) is OFFLINE and not found.wants_online


def test_another_server_keeps_the_state_shown_but_drops_the_wish() -> None:
    for state in ConnectionState:
        found = machine(state, True)
        assert found.send(Input.SERVER_CHANGED) is state and not found.wants_online


@pytest.mark.parametrize(
    ("state", "event"),
    [
        (OFFLINE, Input.GREETED_TO_LOG_IN),  # greeted without having dialled
        (CONNECTED, Input.GREETED_TO_REGISTER),
        (OFFLINE, Input.LOGGED_IN),  # logged in on no connection
        (RECONNECTING, Input.LOGGED_IN),
        (OFFLINE, Input.UNREACHABLE_RETRY),  # unreachable without having dialled
        (CONNECTED, Input.KEY_REFUSED),  # the key is checked before the hello, never after
        (CONNECTED, Input.UNREACHABLE),
        (CONNECTED, Input.GREETED_TO_LOG_IN),  # greeted twice on one connection
    ],
)
def test_an_input_without_a_row_raises_and_changes_nothing(state: ConnectionState, event: Input) -> None:
    found = machine(state, True)
    with pytest.raises(ConnectionStateError) as caught:
        found.send(event)
    assert (found.state, found.wants_online) == (state, True)
    assert caught.value.input is event and event.value in str(caught.value)


def test_the_table_leads_only_to_known_states_and_covers_both_wishes() -> None:
    for (state, wants, event), (to, wants_after) in TRANSITIONS.items():
        assert isinstance(to, ConnectionState) and isinstance(wants_after, bool)
        assert (state, not wants, event) in TRANSITIONS  # the wish never makes an input illegal
    for event in Input:  # every input is legal somewhere
        assert any(key[2] is event for key in TRANSITIONS)
