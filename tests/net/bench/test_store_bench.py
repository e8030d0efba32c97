"""store_bench: it stores, fetches and acknowledges through a real store, SQLite or PostgreSQL."""

from __future__ import annotations

import psycopg
import pytest

from net.bench import store_bench


def test_the_sqlite_store_is_measured(capsys: pytest.CaptureFixture[str]) -> None:
    assert store_bench.main(["--messages", "100", "--runs", "2"]) == 0
    assert "µs per message sent, fetched and acknowledged" in capsys.readouterr().out


def test_the_postgresql_store_is_measured_and_left_empty_of_messages(
    postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert store_bench.main(["--messages", "100", "--runs", "1", "--store", postgres_url]) == 0
    assert "µs per message" in capsys.readouterr().out
    with psycopg.connect(postgres_url) as conn:  # every message was acknowledged: the queues are empty
        assert conn.execute("SELECT COUNT(*) FROM messages").fetchone() == (0,)
        assert conn.execute("SELECT SUM(queued) FROM queues").fetchone() == (0,)


def test_too_few_messages_are_refused() -> None:
    with pytest.raises(SystemExit):
        store_bench.main(["--messages", "10"])
