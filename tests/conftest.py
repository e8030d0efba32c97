"""Shared fixtures: an in-process server on 127.0.0.1 port 0 over real TLS with a real SQLite file, or with
a real PostgreSQL database for the server's own suite (``store_kind``)."""

from __future__ import annotations

import itertools
import signal
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from wire_client import CodeBook, WireClient

from net.server.limits import Limits
from net.server.server import RunningServer, ServerConfig

#: The GUI tests' shared fixtures (a plugin, so that no second conftest module shadows this one).
pytest_plugins = (
    "gui_fixtures",
    "pg_fixtures",
    "redis_fixtures",
    "store_support",
)

# A test run started in the background of a shell inherits an ignored SIGINT, and every server and
# bench it starts would inherit it too: the Ctrl+C tests need the children to feel Ctrl+C as a person's.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

_phones = itertools.count(100)

#: The server's own suite runs over both stores, every test that asks for a store; the rest on SQLite.
STORE_KINDS = ("sqlite", "postgresql")
_OVER_BOTH_STORES = ("storage/server/", "net/server/")
_TESTS = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: about the SQLite file itself (WAL, pages, damage, its schema steps, quota)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store_kind" not in metafunc.fixturenames:
        return
    where = metafunc.definition.path.resolve().relative_to(_TESTS).as_posix()
    if not where.startswith(_OVER_BOTH_STORES):
        return
    kinds = ("sqlite",) if metafunc.definition.get_closest_marker("sqlite_only") else STORE_KINDS
    metafunc.parametrize("store_kind", kinds, indirect=True)


@pytest.fixture
def store_kind(request: pytest.FixtureRequest) -> str:
    """Which store this test's servers and stores use: ``sqlite`` (the default) or ``postgresql``."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def store_target(store_kind: str, request: pytest.FixtureRequest) -> Callable[[Path], str | None]:
    """The ``--store`` for a data dir: None (its SQLite file) or a PostgreSQL database of its own, the same
    one each time the same data dir is asked for (a server started again keeps its data)."""
    if store_kind == "sqlite":
        return lambda _data_dir: None
    databases = request.getfixturevalue("postgres_databases")
    urls: dict[Path, str] = {}

    def target(data_dir: Path) -> str | None:
        key = Path(data_dir).resolve()
        if key not in urls:
            urls[key] = databases.new()
        return urls[key]

    return target


def fresh_phone() -> str:
    """A valid, distinct London number from Ofcom's range for drama, +44 20 7946 0xxx."""
    return f"+442079460{next(_phones) % 1000:03d}"


class InProcessServer:
    """A running server with its code book; ``connect()`` opens a test client to it."""

    def __init__(self, running: RunningServer, codes: CodeBook, data_dir: Path) -> None:
        self.running = running
        self.codes = codes
        self.data_dir = data_dir
        self.address = running.address
        self.fingerprint = running.fingerprint
        self._clients: list[WireClient] = []

    def connect(self, **kwargs: Any) -> WireClient:
        client = WireClient(self.address, **kwargs)
        self._clients.append(client)
        return client

    def stop(self) -> None:
        for client in self._clients:
            client.close()
        self.running.stop()


def start_in_process(data_dir: Path, **overrides: Any) -> InProcessServer:
    """A server on 127.0.0.1, port 0. ``limits=`` takes a :class:`Limits`, other keywords go to the config."""
    codes = CodeBook()
    config = ServerConfig(data_dir=data_dir, channel=codes, host="127.0.0.1", port=0)
    config = replace(config, **overrides)
    return InProcessServer(RunningServer(config), codes, data_dir)


@pytest.fixture
def server_factory(
    tmp_path: Path, store_target: Callable[[Path], str | None]
) -> Iterator[Callable[..., InProcessServer]]:
    started: list[InProcessServer] = []
    counter = itertools.count()

    def start(**overrides: Any) -> InProcessServer:
        overrides.setdefault("data_dir", tmp_path / f"server-{next(counter)}")
        if (target := store_target(overrides["data_dir"])) is not None:
            overrides.setdefault("store", target)
        server = start_in_process(**overrides)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def server(server_factory: Callable[..., InProcessServer]) -> InProcessServer:
    return server_factory()


@pytest.fixture
def phone() -> Callable[[], str]:
    return fresh_phone


__all__ = ["STORE_KINDS", "InProcessServer", "Limits", "fresh_phone", "start_in_process"]
