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


@pytest.fixture
def postgres_url(postgres_instance: PostgresInstance) -> Iterator[str]:
    """The url of a new, empty database of its own for this test; dropped after it."""
    if not postgres_instance.running():
        postgres_instance.start_again()
    name = f"test_{next(_databases)}"
    url = postgres_instance.create_database(name)
    yield url
    if not postgres_instance.running():  # the test stopped or killed it
        postgres_instance.start_again()
    postgres_instance.drop_database(name)
