"""net.bench.runner: the server, relay and worker processes it starts, and what it stops."""

from __future__ import annotations

import os
import resource
import socket
from pathlib import Path

import pytest

from net.bench.runner import (
    BenchError,
    RelayProcess,
    ServerProcess,
    WorkerPool,
    default_workers,
    raise_file_limit,
    unique_phones,
)
from net.bench.stats import read_process
from net.protocol.validation import normalize_phone


def test_phones_are_valid_different_and_differ_between_runs() -> None:
    phones = unique_phones(2000)
    assert len(set(phones)) == 2000
    assert all(normalize_phone(p) == p for p in phones[:50])
    assert unique_phones(5) != unique_phones(5)


def test_the_file_limit_is_raised_or_the_shortfall_explained() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        assert raise_file_limit(min(soft + 10, hard)) is None
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= min(soft + 10, hard)
        if hard != resource.RLIM_INFINITY:
            note = raise_file_limit(hard + 1)
            assert note is not None and str(hard) in note
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_one_client_process_per_cpu_by_default() -> None:
    assert default_workers() == len(os.sched_getaffinity(0))


def test_the_server_process_starts_on_a_free_port_and_stops(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path)
    try:
        assert read_process(server.pid) is not None
        with socket.create_connection(server.address, timeout=10):
            pass
    finally:
        server.stop()
    assert server.process.returncode is not None
    assert read_process(server.pid) is None


def test_a_server_that_cannot_start_is_reported(tmp_path: Path) -> None:
    (tmp_path / "server.sqlite3").write_text("this is not a database")
    with pytest.raises(BenchError, match="did not start"):
        ServerProcess(tmp_path)


def test_the_relay_process_accepts_and_stops() -> None:
    relay = RelayProcess()
    try:
        with socket.create_connection(relay.address, timeout=10):
            pass
    finally:
        relay.stop()
    assert not relay.process.is_alive()


def test_worker_failures_come_back_as_sentences() -> None:
    pool = WorkerPool(2)
    try:
        with pytest.raises(BenchError, match="pings failed: SetupError: no connection is open"):
            pool.call("pings", [{"duration": 0.1, "limit": 1}] * 2, timeout=60)
    finally:
        pool.stop()
    assert not any(p.is_alive() for p in pool.processes)


def test_the_server_output_is_drained_so_codes_never_fill_the_pipe(tmp_path: Path) -> None:
    from net.bench.worker import Worker

    server = ServerProcess(tmp_path)
    worker = Worker()
    try:
        done = worker.register(server.address, unique_phones(1600))  # each code is printed on the console
        assert done["accounts"] == 1600
    finally:
        worker.close()
        server.stop()
    assert (tmp_path / "server.log").stat().st_size > 64 * 1024  # more than a pipe holds
