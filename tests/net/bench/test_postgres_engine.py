"""A PostgreSQL server in a temporary folder: started, given databases, stopped, started again, killed."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from net.bench.engines.postgres import PostgresError, PostgresInstance

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[PostgresInstance]:
    started = PostgresInstance.start(tmp_path / "pg")
    yield started
    started.remove()


def _refused(url: str) -> bool:
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.OperationalError:
        return True
    return False


def test_serves_on_loopback_with_the_tests_settings(instance: PostgresInstance) -> None:
    assert instance.url == f"postgresql://postgres@127.0.0.1:{instance.port}/postgres"
    with psycopg.connect(instance.url) as connection:
        settings = dict(
            connection.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN "
                "('listen_addresses', 'fsync', 'synchronous_commit', 'full_page_writes', 'port')"
            ).fetchall()
        )
    assert settings == {
        "listen_addresses": "127.0.0.1",
        "fsync": "off",
        "synchronous_commit": "on",
        "full_page_writes": "off",
        "port": str(instance.port),
    }


def test_create_database_gives_its_url_and_a_template_copies(instance: PostgresInstance) -> None:
    url = instance.create_database("first")
    assert url.endswith(f":{instance.port}/first")
    with psycopg.connect(url) as connection:
        connection.execute("CREATE TABLE notes (body text)")
        connection.execute("INSERT INTO notes VALUES ('kept')")
    copy = instance.create_database("second", template="first")
    with psycopg.connect(copy) as connection:
        assert connection.execute("SELECT body FROM notes").fetchall() == [("kept",)]
    with pytest.raises(ValueError, match="database name"):
        instance.create_database('bad"; DROP')


def test_stop_refuses_connections_and_start_again_keeps_the_data(instance: PostgresInstance) -> None:
    url = instance.create_database("kept")
    with psycopg.connect(url) as connection:
        connection.execute("CREATE TABLE t (x integer)")
        connection.execute("INSERT INTO t VALUES (7)")
    port = instance.port
    instance.stop()
    assert not instance.running()
    assert _refused(url)
    instance.start_again()
    assert instance.port == port
    with psycopg.connect(url) as connection:
        assert connection.execute("SELECT x FROM t").fetchall() == [(7,)]


def test_kill_ends_the_postmaster_and_start_again_recovers(instance: PostgresInstance) -> None:
    url = instance.create_database("crash")
    with psycopg.connect(url) as connection:
        connection.execute("CREATE TABLE t (x integer)")
        connection.execute("INSERT INTO t VALUES (1)")
    pid = instance.pid()
    assert pid is not None
    instance.kill()
    assert not instance.running()
    stat = Path(f"/proc/{pid}/stat")
    assert not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    assert _refused(url)
    instance.start_again()
    with psycopg.connect(url) as connection:
        assert connection.execute("SELECT x FROM t").fetchall() == [(1,)]
    with pytest.raises(PostgresError, match="already holds"):
        PostgresInstance.start(instance.folder)


def test_remove_leaves_nothing_behind(tmp_path: Path) -> None:
    started = PostgresInstance.start(tmp_path / "pg")
    home = started.home
    started.remove()
    assert not home.joinpath("data").exists()
    assert list((tmp_path / "pg").iterdir()) == []


def test_a_folder_of_its_own_goes_when_the_process_ends_even_without_remove(tmp_path: Path) -> None:
    # A folder only root may enter: the cluster lives in a folder of its own (see PostgresInstance.home).
    script = (
        "import sys; from pathlib import Path; from net.bench.engines.postgres import PostgresInstance\n"
        "running = PostgresInstance.start(Path(sys.argv[1]) / 'running')\n"
        "stopped = PostgresInstance.start(Path(sys.argv[1]) / 'stopped'); stopped.stop()\n"
        "print(running.home, running.pid(), stopped.home, flush=True)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    running_home, pid, stopped_home = done.stdout.split()
    assert not Path(running_home).exists() and not Path(stopped_home).exists()
    stat = Path(f"/proc/{pid}/stat")
    assert not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
