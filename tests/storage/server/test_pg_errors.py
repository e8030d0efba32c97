"""pg_errors: no room, out of reach and busy told apart by SQLSTATE, through an error's causes."""

from __future__ import annotations

import psycopg
import psycopg.errors
import psycopg_pool
import pytest

from net.bench.engines.postgres import free_port
from storage.server import pg_errors
from storage.server.records import BatchFailed


def caused(error: BaseException) -> BatchFailed:
    try:
        raise BatchFailed("a turn was not committed") from error
    except BatchFailed as failed:
        return failed


def test_class_53_is_no_room_even_as_the_cause_of_a_lost_turn() -> None:
    for error in (psycopg.errors.DiskFull("no room"), psycopg.errors.OutOfMemory("none")):
        assert pg_errors.lacks_room(error) and pg_errors.lacks_room(caused(error))
        assert not pg_errors.unreachable(error)
    assert not pg_errors.lacks_room(psycopg.errors.UniqueViolation("dup"))
    assert not pg_errors.lacks_room(None)


def test_a_refused_connection_is_out_of_reach() -> None:
    with pytest.raises(psycopg.OperationalError) as refused:
        psycopg.connect(f"postgresql://postgres@127.0.0.1:{free_port()}/x", connect_timeout=2)
    assert refused.value.sqlstate is None
    assert pg_errors.unreachable(refused.value) and pg_errors.unreachable(caused(refused.value))
    assert not pg_errors.lacks_room(refused.value)


@pytest.mark.parametrize(
    "error",
    [
        psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
        psycopg.errors.CrashShutdown("crash"),
        psycopg.errors.CannotConnectNow("the database system is starting up"),
        psycopg.errors.ConnectionFailure("lost"),
        psycopg_pool.PoolTimeout("no connection in 3 s"),
    ],
)
def test_shutdowns_connection_errors_and_an_empty_pool_are_out_of_reach(error: Exception) -> None:
    assert pg_errors.unreachable(error)


def test_a_constraint_or_a_syntax_error_is_neither() -> None:
    for error in (psycopg.errors.UniqueViolation("dup"), psycopg.errors.SyntaxError("bad")):
        assert not pg_errors.unreachable(error) and not pg_errors.lacks_room(error)
        assert not pg_errors.busy(error)


def test_a_deadlock_and_a_serialization_failure_are_busy() -> None:
    assert pg_errors.busy(psycopg.errors.DeadlockDetected("deadlock"))
    assert pg_errors.busy(psycopg.errors.SerializationFailure("serialize"))
    assert not pg_errors.busy(ValueError("x"))
