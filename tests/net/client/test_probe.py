"""Asking a server for a sign of life (probe.py): real servers over TLS, one of them hung by SIGSTOP."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import InProcessServer
from server_process import ServerProcess

from net.client.probe import PROBE_SECONDS, Answer, probe
from net.protocol.fingerprints import format_fingerprint


@pytest.fixture
def hung(tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path / "hung")
    yield server
    server.resume()  # a stopped process is let go on, then killed, whatever the test did
    server.stop()


def test_a_server_with_the_expected_key_answers_and_any_key_will_do_without_one(
    server: InProcessServer,
) -> None:
    host, port = server.address
    assert probe(host, port, format_fingerprint(server.fingerprint)) is Answer.ANSWERS
    assert probe(host, port, server.fingerprint.hex()) is Answer.ANSWERS  # any spelling of it
    assert probe(host, port, None) is Answer.ANSWERS


def test_another_key_is_not_the_server_asked_about(server: InProcessServer) -> None:
    other = bytes([server.fingerprint[0] ^ 1]) + server.fingerprint[1:]
    assert probe(*server.address, format_fingerprint(other)) is Answer.OTHER_KEY
    assert probe(*server.address, "not a fingerprint") is Answer.OTHER_KEY


def test_nothing_listening_is_nobody() -> None:
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]
    assert probe("127.0.0.1", port, None) is Answer.NOBODY


def test_a_hung_server_still_accepts_connections_but_is_silent_within_the_bound(hung: ServerProcess) -> None:
    host, port = hung.address
    fingerprint = format_fingerprint(hung.fingerprint)
    assert probe(host, port, fingerprint) is Answer.ANSWERS
    hung.pause()
    with socket.create_connection((host, port), timeout=2):  # the kernel still takes the connection
        pass
    started = time.monotonic()
    assert probe(host, port, fingerprint) is Answer.SILENT
    took = time.monotonic() - started
    assert PROBE_SECONDS - 0.5 < took < PROBE_SECONDS + 2.0
    hung.resume()
    assert probe(host, port, fingerprint) is Answer.ANSWERS  # going on again, it answers again
