"""The kept port: remembered in the data folder, reused while free, the next free one when taken."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from net.server.local_port import PORT_FILE, answers, choose, remembered_port


def _free_base() -> int:
    """A port the system just handed out, as the start of a span that is most likely free."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1]) if probe.getsockname()[1] < 60000 else 40000


@pytest.fixture
def listening() -> Iterator[socket.socket]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield sock
    sock.close()


def test_the_first_choice_is_remembered_and_reused(tmp_path: Path) -> None:
    first = _free_base()
    assert remembered_port(tmp_path) is None
    port = choose(tmp_path, "127.0.0.1", first)
    assert port >= first
    assert remembered_port(tmp_path) == port
    assert choose(tmp_path, "127.0.0.1", first + 50) == port  # kept, whatever the first port now


def test_a_taken_remembered_port_gives_way_to_the_next_free_one(
    tmp_path: Path, listening: socket.socket
) -> None:
    taken = listening.getsockname()[1]
    (tmp_path / PORT_FILE).write_text(f"{taken}\n", encoding="ascii")
    port = choose(tmp_path, "127.0.0.1", taken)
    assert port != taken and port > taken
    assert remembered_port(tmp_path) == port


def test_a_damaged_port_file_is_no_port(tmp_path: Path) -> None:
    for text in ("", "five thousand", "70000", "0"):
        (tmp_path / PORT_FILE).write_text(text, encoding="ascii")
        assert remembered_port(tmp_path) is None
    (tmp_path / PORT_FILE).write_bytes(b"\xff\xfe")
    assert remembered_port(tmp_path) is None


def test_answers_tells_a_listener_from_nothing(listening: socket.socket) -> None:
    port = listening.getsockname()[1]
    assert answers("127.0.0.1", port)
    listening.close()
    assert not answers("127.0.0.1", port, timeout=1.0)
