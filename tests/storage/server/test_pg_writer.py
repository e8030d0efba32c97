"""pg_writer: the group commit on PostgreSQL: a savepoint per job, one commit per batch, a new connection
only between batches."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import psycopg
import pytest

from storage.server.batch_writer import WriterClosed
from storage.server.pg_writer import PgWriter
from storage.server.records import BatchFailed
from storage.server.sql import Db

T = TypeVar("T")


@pytest.fixture
def writer(postgres_url: str) -> Iterator[PgWriter]:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        # Deferred: a duplicate is found only by the commit.
        conn.execute("CREATE TABLE t (x INTEGER UNIQUE DEFERRABLE INITIALLY DEFERRED)")
    made = PgWriter(lambda: psycopg.connect(postgres_url, autocommit=True))
    yield made
    made.close()


def again(call: Callable[[], T], within: float = 10.0) -> T:
    """``call`` once it works: the writer reconnects in the background, a moment after a failure."""
    deadline = time.monotonic() + within
    while True:
        try:
            return call()
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def insert(x: int) -> Any:
    def job(db: Db) -> None:
        db.execute("INSERT INTO t VALUES (?)", (x,))
        if x < 0:
            raise ValueError("a refusal after a write")

    return job


def rows(url: str) -> list[int]:
    with psycopg.connect(url) as conn:
        return [row[0] for row in conn.execute("SELECT x FROM t ORDER BY x")]


def test_a_refused_job_is_undone_alone_and_the_batch_commits_once(
    writer: PgWriter, postgres_url: str
) -> None:
    with writer.batch():
        assert writer.reading_connection() is None  # nothing written yet: reads go elsewhere
        writer.run(insert(1), savepoint=False)  # a savepoint all the same: PostgreSQL needs one
        with pytest.raises(ValueError):
            writer.run(insert(-1))
        writer.run(insert(2))
        assert writer.reading_connection() is not None
        assert rows(postgres_url) == []  # not committed before the batch ends
        assert writer.dependents == 3
    assert rows(postgres_url) == [1, 2]


def test_a_failed_commit_is_batch_failed_and_keeps_nothing(writer: PgWriter, postgres_url: str) -> None:
    with pytest.raises(BatchFailed), writer.batch():
        writer.run(insert(5))
        writer.run(insert(5))
    assert rows(postgres_url) == []
    writer.run(insert(6))  # the next transaction is fine
    assert rows(postgres_url) == [6]


def test_outside_a_batch_a_job_commits_and_a_dropped_connection_is_made_again(
    writer: PgWriter, postgres_url: str
) -> None:
    writer.run(insert(1))
    assert rows(postgres_url) == [1]
    own = writer.reading_connection()
    assert own is None
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    with pytest.raises(psycopg.OperationalError):
        writer.run(insert(2))  # finds the connection gone
    again(lambda: writer.run(insert(3)))  # on a new one, made in the background
    assert rows(postgres_url) == [1, 3]


def test_a_closed_writer_refuses(writer: PgWriter) -> None:
    writer.close()
    with pytest.raises(WriterClosed):
        writer.run(insert(1))
    with pytest.raises(WriterClosed), writer.batch():
        pass


def test_a_turn_whose_transaction_broke_unseen_fails_instead_of_committing_nothing(
    writer: PgWriter, postgres_url: str
) -> None:
    with pytest.raises(BatchFailed), writer.batch():
        writer.run(insert(1))
        own = writer.reading_connection()
        assert own is not None
        with pytest.raises(psycopg.errors.DivisionByZero):
            own.execute("SELECT 1 / 0")  # outside any savepoint: the whole transaction is aborted
    assert rows(postgres_url) == []
    writer.run(insert(2))
    assert rows(postgres_url) == [2]


def test_while_the_database_answers_no_connect_a_write_fails_at_once(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (x INTEGER)")
    with socket.socket() as silent:  # listens, never answers: a connect waits out its timeout
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        urls = [postgres_url, f"postgresql://postgres@127.0.0.1:{port}/none"]
        made = PgWriter(lambda: psycopg.connect(urls[0], autocommit=True, connect_timeout=3))
        try:
            urls[0] = urls[1]  # from now on the database is out of reach
            made.run(insert(1))
            with psycopg.connect(postgres_url, autocommit=True) as admin:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            for _ in range(3):
                started = time.monotonic()
                with pytest.raises(psycopg.OperationalError):
                    made.run(insert(2))
                assert time.monotonic() - started < 0.5  # the loop's thread never waits for the connect
        finally:
            made.close()


class CutAfterCommit:
    """A TCP relay to PostgreSQL that, once armed, passes a COMMIT on and drops the connection before its
    answer comes back: a commit that happened, whose answer the client never read."""

    def __init__(self, port: int) -> None:
        self.armed = False
        self.cut = False
        self._target = port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.cut = False  # a new connection passes everything
            server = socket.create_connection(("127.0.0.1", self._target), timeout=10)
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, upstream: bool) -> None:
        try:
            while data := source.recv(65536):
                if not upstream and self.cut:
                    break  # the answer to the COMMIT never reaches the client
                cutting = upstream and self.armed and b"COMMIT" in data
                if cutting:
                    self.armed, self.cut = False, True
                sink.sendall(data)
                if cutting:
                    time.sleep(0.5)  # the server commits, then finds the client gone
                    source.shutdown(socket.SHUT_RDWR)
                    sink.close()
                    return
        except OSError:
            pass
        finally:
            for end in (source, sink):
                end.close()

    def close(self) -> None:
        self._listener.close()


def test_a_commit_whose_answer_was_lost_is_asked_after_and_found_committed(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (x INTEGER)")
    port = int(postgres_url.rsplit(":", 1)[1].split("/")[0])
    relay = CutAfterCommit(port)
    through = postgres_url.replace(f":{port}/", f":{relay.port}/")
    made = PgWriter(lambda: psycopg.connect(through, autocommit=True, connect_timeout=3))
    try:
        with made.batch():  # no BatchFailed: the loop may send the turn's replies
            made.run(insert(7))
            relay.armed = True
        assert rows(postgres_url) == [7]
        made.run(insert(8))  # on the connection it asked on
        assert rows(postgres_url) == [7, 8]
    finally:
        made.close()
        relay.close()
