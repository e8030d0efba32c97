"""PostgreSQL for the tests: one server per test run (``postgres_instance``), a fresh database per test
(``postgres_url``), as a plugin every test module sees (registered by conftest).

The server runs in a temporary folder on a free loopback port with fsync off, and is removed at the end of
the run. A test that stopped or killed it leaves it to this plugin to start it again for the next test.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from net.bench.engines.postgres import PostgresInstance

_databases = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresInstance]:
    instance = PostgresInstance.start(tmp_path_factory.mktemp("postgres"))
    yield instance
    instance.remove()


class PostgresDatabases:
    """Fresh databases on the run's server for one test, each dropped after it."""

    def __init__(self, instance: PostgresInstance) -> None:
        self._instance = instance
        self._names: list[str] = []

    def new(self) -> str:
        """The url of a new, empty database."""
        if not self._instance.running():  # an earlier test stopped or killed it
            self._instance.start_again()
        name = f"test_{next(_databases)}"
        url = self._instance.create_database(name)
        self._names.append(name)
        return url

    def drop_all(self) -> None:
        if self._names and not self._instance.running():  # the test stopped or killed it
            self._instance.start_again()
        for name in self._names:
            self._instance.drop_database(name)
        self._names.clear()


@pytest.fixture
def postgres_databases(postgres_instance: PostgresInstance) -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases(postgres_instance)
    yield databases
    databases.drop_all()


@pytest.fixture
def postgres_url(postgres_databases: PostgresDatabases) -> str:
    """The url of a new, empty database of its own for this test; dropped after it."""
    return postgres_databases.new()
