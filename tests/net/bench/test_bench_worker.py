"""net.bench.worker: real clients against a real server over TLS, and against the raw relay."""

from __future__ import annotations

import contextlib
import threading
import time
from array import array
from collections.abc import Iterator
from pathlib import Path

import pytest

from net.bench.lean_client import LeanClient
from net.bench.relay import Relay, listen
from net.bench.runner import unique_phones
from net.bench.worker import LoadSpec, SetupError, Worker
from net.server.server import RunningServer, ServerConfig
from net.server.verification import make_channel


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    channel = make_channel("console", data_dir=tmp_path)
    with RunningServer(ServerConfig(data_dir=tmp_path, channel=channel, port=0, dev_codes=True)) as running:
        yield running


@pytest.fixture
def worker() -> Iterator[Worker]:
    w = Worker()
    yield w
    w.close()


def _spec(rate: float | None = None, duration: float = 0.6) -> LoadSpec:
    return LoadSpec(
        rate=rate,
        window=2,
        size=100,
        start_at=time.monotonic() + 0.05,
        warmup=0.1,
        duration=duration,
        drain_timeout=20,
    )


@contextlib.contextmanager
def _relay() -> Iterator[tuple[str, int]]:
    """The raw relay on a thread of its own, at the address it yields."""
    listener = listen()
    stop = threading.Event()
    thread = threading.Thread(target=Relay(listener).serve, args=(stop.is_set,), daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[:2]
    finally:
        stop.set()
        thread.join(10)


def _check_clean(answer: dict[str, object]) -> None:
    assert answer["sent"] == answer["accepted"] == answer["received"]
    assert answer["lost"] == answer["duplicated"] == answer["undecryptable"] == answer["refused"] == 0
    assert answer["drained"] is True and answer["errors"] == []


def test_pairs_exchange_real_messages_closed_and_open_loop(server: RunningServer, worker: Worker) -> None:
    setup = worker.setup(server.address, unique_phones(6), 100)
    assert (setup["clients"], setup["pairs"]) == (6, 3)
    assert all(c.can_send for c in worker.clients)
    closed = worker.load(_spec())
    _check_clean(closed)
    assert int(closed["delivered_in_window"]) > 0
    latencies = array("d")
    latencies.frombytes(closed["latencies"])  # type: ignore[arg-type]
    assert len(latencies) > 0 and min(latencies) > 0
    opened = worker.load(_spec(rate=200.0, duration=0.5))
    _check_clean(opened)
    assert 50 <= int(opened["sent"]) <= 200  # about 200/s for 0.6 s, scheduled from the start
    assert server.store.queued_count(worker.clients[0].phone) == 0  # everything was acknowledged


def test_the_same_sessions_carry_on_through_the_relay(server: RunningServer, worker: Worker) -> None:
    worker.setup(server.address, unique_phones(4), 64)
    with _relay() as address:
        worker.switch(address)
        answer = worker.load(_spec())
    _check_clean(answer)
    assert int(answer["received"]) > 0


def test_lean_pairs_send_through_the_server_and_then_the_relay(server: RunningServer, worker: Worker) -> None:
    setup = worker.setup(server.address, unique_phones(4), 100, lean=True)
    assert (setup["clients"], setup["pairs"]) == (4, 2)
    assert all(isinstance(c, LeanClient) and c.session is None and c.can_send for c in worker.clients)
    answer = worker.load(_spec(rate=200.0, duration=0.5))
    _check_clean(answer)
    assert int(answer["received"]) > 0 and int(answer["delivered_in_window"]) > 0
    assert server.store.queued_count(worker.clients[0].phone) == 0  # everything was acknowledged
    with _relay() as address:
        worker.switch(address)
        relayed = worker.load(_spec())
    _check_clean(relayed)
    assert int(relayed["received"]) > 0


def test_idle_connections_and_keepalives(server: RunningServer, worker: Worker) -> None:
    worker.register(server.address, unique_phones(12))
    connected = worker.connect(server.address)
    assert connected["connections"] == 12
    assert server.server.connection_count() == 12
    answer = worker.pings(duration=5.0, limit=30)
    rtts = array("d")
    rtts.frombytes(answer["latencies"])
    assert len(rtts) == 30 and all(r > 0 for r in rtts)


def test_a_server_without_dev_codes_is_refused_clearly(tmp_path: Path, worker: Worker) -> None:
    config = ServerConfig(data_dir=tmp_path, channel=make_channel("console", data_dir=tmp_path), port=0)
    with RunningServer(config) as running, pytest.raises(SetupError, match="--dev-codes"):
        worker.setup(running.address, unique_phones(2), 64)
