"""A cluster's node process: it starts, its codes land in the one code book, it is killed and starts again."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from conftest import fresh_phone
from wire_client import Person, WireClient

from net.bench.cluster_node import CodeBook, NodeProcess
from net.bench.engines.haproxy import free_port

FLAGS = ("--dev-codes", "--log-level", "WARNING")


def test_the_code_book_waits_for_a_code_and_keeps_the_newest() -> None:
    codes = CodeBook()
    with pytest.raises(TimeoutError, match=r"no node printed a code for \+1"):
        codes.last("+1", timeout=0.05)
    threading.Timer(0.05, codes.note, args=("+1", "111111")).start()
    assert codes.last("+1", timeout=5) == "111111"
    codes.note("+1", "222222")
    assert (codes.last("+1"), codes.count("+1"), codes.count("+2")) == ("222222", 2, 0)


def test_a_node_prints_its_codes_into_the_book_and_starts_again_after_a_kill(tmp_path: Path) -> None:
    codes = CodeBook()
    port = free_port()
    node = NodeProcess(tmp_path / "node0", port, FLAGS, codes)
    try:
        assert node.address == ("127.0.0.1", port) and node.running
        alice = Person(fresh_phone())
        client = WireClient(node.address)
        try:
            alice.register(client, codes)  # the code came from the node's output, through the book
        finally:
            client.close()
        node.kill()
        assert not node.running and node.process.returncode == -9
        node = NodeProcess(tmp_path / "node0", port, FLAGS, codes)  # the same port, the same folder
        bob = Person(fresh_phone())
        client = WireClient(node.address)
        try:
            bob.register(client, codes)
        finally:
            client.close()
        assert codes.count(alice.phone) == codes.count(bob.phone) == 1
        assert (tmp_path / "node0" / "server.log").read_text().count("listening on") == 2  # one log, added to
    finally:
        node.stop()
    assert node.process.returncode is not None


def test_a_node_that_cannot_start_says_what_it_printed(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=r"did not start.*--max-frame must be at least 1"):
        NodeProcess(tmp_path / "bad", free_port(), ("--max-frame", "0"), CodeBook())
