"""Rate limits counted over every node of one store: two store objects (as two server processes) on one
SQLite file, and on one PostgreSQL database."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from test_service import SERVER_KEY, Clock, Session, _wire
from wire_client import CodeBook, Person

from net.protocol.connection import Request
from net.protocol.errors import RequestRefused
from net.protocol.schema import OPERATIONS
from net.server.codes import CodeHasher
from net.server.guards import Guards
from net.server.limits import Limits, PersistedLimiter
from net.server.service import Service
from net.server.shared_limiter import SharedLimiter
from storage.server.interface import ServerStore
from storage.server.pg_store import PostgresServerStore
from storage.server.store import SqliteServerStore

Nodes = tuple[ServerStore, ServerStore]


@pytest.fixture(params=["sqlite", "postgresql"])
def two_nodes(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Nodes]:
    """Two stores on one database: what two server processes sharing a store see."""
    first: ServerStore
    second: ServerStore
    if request.param == "sqlite":
        first, second = (
            SqliteServerStore(tmp_path / "shared.sqlite3"),
            SqliteServerStore(tmp_path / "shared.sqlite3"),
        )
    else:
        url = request.getfixturevalue("postgres_url")
        first, second = PostgresServerStore(url), PostgresServerStore(url)
    yield first, second
    first.close()
    second.close()


def test_the_events_of_two_nodes_add_up(two_nodes: Nodes) -> None:
    clock = Clock()
    a, b = (SharedLimiter(store.rate_events, "failed_logins", 3, 60.0, clock) for store in two_nodes)
    assert a.allow("+442079460001") and b.allow("+442079460001") and a.allow("+442079460001")
    assert not b.allow("+442079460001") and not a.allow("+442079460001")
    assert a.exceeded("+442079460001") and b.remaining("+442079460001") == 0
    assert b.allow("+442079460002")  # keys are counted apart
    b.count("+442079460002")  # counted whatever the limit says
    assert a.remaining("+442079460002") == 1


def test_limiters_in_memory_would_count_each_node_alone(
    two_nodes: Nodes,
) -> None:
    clock = Clock()
    a, b = (PersistedLimiter(store.rate_events, "failed_logins", 3, 60.0, clock) for store in two_nodes)
    assert all(a.allow("k") for _ in range(3)) and all(b.allow("k") for _ in range(3))  # six, not three


def test_names_are_kept_apart_and_the_window_slides(
    two_nodes: Nodes,
) -> None:
    clock = Clock()
    first, second = two_nodes
    logins = SharedLimiter(first.rate_events, "failed_logins", 2, 60.0, clock)
    other = SharedLimiter(second.rate_events, "codes", 2, 60.0, clock)
    later = SharedLimiter(second.rate_events, "failed_logins", 2, 60.0, clock)
    assert logins.allow("k")
    clock.now += 30
    assert later.allow("k") and not logins.allow("k")
    assert other.remaining("k") == 2
    clock.now += 30.5  # the first event has left the window
    assert logins.allow("k") and not later.allow("k")
    assert second.rate_count("failed_logins", "k", int((clock.now - 60) * 1000)) == 2


def test_inside_a_turn_a_check_sees_the_turns_own_counts(
    two_nodes: Nodes,
) -> None:
    clock = Clock()
    first, second = two_nodes
    here = SharedLimiter(first.rate_events, "codes", 2, 60.0, clock)
    there = SharedLimiter(second.rate_events, "codes", 2, 60.0, clock)
    with ThreadPoolExecutor(1) as other_node:
        with first.group_commit():
            assert here.allow("k") and here.allow("k")
            assert not here.allow("k")  # the turn's two events, not committed yet, count
            asked = other_node.submit(there.remaining, "k")
            if isinstance(first, PostgresServerStore):
                time.sleep(0.3)
                assert not asked.done()  # another node's check of the key waits for this turn's commit
            else:
                assert asked.result(timeout=10) == 2  # SQLite, unlocked: it sees them once they commit
        if isinstance(first, PostgresServerStore):
            assert asked.result(timeout=10) == 0  # and then counts them
    assert there.remaining("k") == 0 and not there.allow("k")


class Node:
    """One server process's service on its own store object."""

    def __init__(self, store: ServerStore, clock: Clock, *, shared: bool) -> None:
        limits = Limits(codes_per_hour=10, codes_per_address=3)
        self.service = Service(
            store, CodeBook(), CodeHasher(b"k" * 32), SERVER_KEY, limits=limits, clock=clock, shared=shared
        )

    def start(self, person: Person, peer: str) -> dict[str, Any]:
        args = OPERATIONS["register_start"].parse(_wire({"phone": person.phone, "email": person.email}))
        return self.service.handle(Session(peer), Request(1, "register_start", args)).settled().body


def phone(n: int) -> Person:
    return Person(f"+4420794{n:05d}", f"p{n}@example.org")


def test_codes_asked_for_on_two_nodes_count_against_one_address_limit(
    two_nodes: Nodes,
) -> None:
    clock = Clock()
    one, two = (Node(store, clock, shared=True) for store in two_nodes)
    one.start(phone(1), "192.0.2.1:5000")
    two.start(phone(2), "192.0.2.1:5001")
    one.start(phone(3), "192.0.2.1:5002")
    for node in (two, one):
        with pytest.raises(RequestRefused) as caught:
            node.start(phone(4), "192.0.2.1:5003")
        assert caught.value.code == "rate_limited"
    two.start(phone(4), "192.0.2.2:5000")  # another address is not held back


def test_a_single_node_keeps_counting_in_memory(
    two_nodes: Nodes,
) -> None:
    clock = Clock()
    one, two = (Node(store, clock, shared=False) for store in two_nodes)
    for n in range(3):
        one.start(phone(n), "192.0.2.1:5000")
        two.start(phone(10 + n), "192.0.2.1:5000")  # each node counts alone: not for a shared store


# ------------------------------------------------------------- two nodes racing (PostgreSQL)

RACE_LIMIT = 5
TURNS = 20  # per node, each trying one event: four times the limit between them


def race(turn: Callable[[int], bool], nodes: int = 2) -> int:
    """Run ``turn(node)`` TURNS times on each of ``nodes`` threads at once; how many turns passed."""
    start = threading.Barrier(nodes)
    passed = [0] * nodes

    def node(index: int) -> None:
        start.wait(timeout=10)
        for _ in range(TURNS):
            passed[index] += turn(index)

    threads = [threading.Thread(target=node, args=(i,)) for i in range(nodes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "a racing node did not finish"
    return sum(passed)


@pytest.fixture
def racing_nodes(postgres_url: str) -> Iterator[Nodes]:
    first, second = PostgresServerStore(postgres_url), PostgresServerStore(postgres_url)
    yield first, second
    first.close()
    second.close()


def test_two_nodes_allowing_at_once_never_pass_the_limit(racing_nodes: Nodes) -> None:
    limiters = [SharedLimiter(store.rate_events, "codes", RACE_LIMIT, 3600.0) for store in racing_nodes]

    def turn(node: int) -> bool:
        with racing_nodes[node].group_commit():
            allowed = limiters[node].allow("+442079460001")
            time.sleep(0.002)  # the rest of the turn: its commit comes later
        return allowed

    assert race(turn) == RACE_LIMIT


def test_a_check_and_the_count_after_it_are_one_step_across_nodes(racing_nodes: Nodes) -> None:
    limiters = [
        SharedLimiter(store.rate_events, "failed_logins", RACE_LIMIT, 3600.0) for store in racing_nodes
    ]

    def turn(node: int) -> bool:
        with racing_nodes[node].group_commit():
            if limiters[node].exceeded("+442079460001"):
                return False
            time.sleep(0.002)  # the signature checked between the check and the count
            limiters[node].count("+442079460001")
        return True

    assert race(turn) == RACE_LIMIT


def test_unknown_answers_of_two_nodes_at_once_never_pass_the_limit(racing_nodes: Nodes) -> None:
    limits = Limits(unknown_per_account=RACE_LIMIT, unknown_per_address=100)
    guards = [Guards(limits, functools.partial(SharedLimiter, store.rate_events)) for store in racing_nodes]
    session = Session("192.0.2.1:5000")
    session.phone = "+442079460001"
    answers: list[str] = []

    def turn(node: int) -> bool:
        with racing_nodes[node].group_commit():
            try:
                guards[node].check_lookups(session)
            except RequestRefused as exc:
                answers.append(exc.code)
                return False
            time.sleep(0.002)  # the lookup that finds nobody
            answer = guards[node].unknown_answer(session)
        answers.append(answer.code)
        return answer.code == "unknown_account"

    assert race(turn) == RACE_LIMIT
    assert set(answers) == {"unknown_account", "rate_limited"}
