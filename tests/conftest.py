"""Shared fixtures: an in-process server on 127.0.0.1 port 0 over real TLS with a real SQLite file."""

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
)

# A test run started in the background of a shell inherits an ignored SIGINT, and every server and
# bench it starts would inherit it too: the Ctrl+C tests need the children to feel Ctrl+C as a person's.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

_phones = itertools.count(100)


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
def server_factory(tmp_path: Path) -> Iterator[Callable[..., InProcessServer]]:
    started: list[InProcessServer] = []
    counter = itertools.count()

    def start(**overrides: Any) -> InProcessServer:
        overrides.setdefault("data_dir", tmp_path / f"server-{next(counter)}")
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


__all__ = ["InProcessServer", "Limits", "fresh_phone", "start_in_process"]
