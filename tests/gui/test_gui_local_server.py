"""The "start a local server" button's process: a real server on a free port, found, stopped, and
found hung (SIGSTOP: connections accepted, nothing answered)."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from pathlib import Path

import pytest
from server_process import ServerProcess

from gui.local_server import (
    NOTE_NAME,
    Found,
    LocalServer,
    LocalServerError,
    running_address,
    same_fingerprint,
)
from gui.view_models.forms import parse_server_address
from net.client.probe import PROBE_SECONDS
from net.protocol.fingerprints import format_fingerprint
from net.server.tls import CERT_FILE, fingerprint_of_pem_file


def free_base() -> int:
    """The start of a span of ports that is most likely free (not 5000, which a person's server may hold)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    return port if port < 60000 else 40000


def test_a_local_server_starts_on_a_free_port_and_stops(tmp_path: Path) -> None:
    first = free_base()
    server = LocalServer(tmp_path / "local", first_port=first)
    try:
        address = server.start()
        host, port = parse_server_address(address)
        assert host == "127.0.0.1" and port >= first
        assert server.running
        assert server.fingerprint and len(server.fingerprint.replace(" ", "")) == 64
        # a second app window finds it through the note
        assert running_address(tmp_path / "local") == address
        assert server.start() == address  # asking again does not start another
    finally:
        server.stop()
    assert not server.running
    assert running_address(tmp_path / "local") is None
    assert not (tmp_path / "local" / NOTE_NAME).exists()


def test_a_server_that_dies_at_start_is_reported_with_what_it_said(tmp_path: Path) -> None:
    broken = tmp_path / "broken_main.py"
    broken.write_text("import sys\nprint('port already in use')\nsys.exit(2)\n", encoding="utf-8")
    server = LocalServer(tmp_path / "local", main_py=broken)
    with pytest.raises(LocalServerError, match="port already in use"):
        server.start(timeout=30)
    assert not server.running


def test_a_stale_or_damaged_note_is_ignored(tmp_path: Path) -> None:
    assert running_address(tmp_path) is None
    (tmp_path / NOTE_NAME).write_text("{broken", encoding="utf-8")
    assert running_address(tmp_path) is None
    (tmp_path / NOTE_NAME).write_text(
        json.dumps({"pid": 2**22 + 12345, "address": "127.0.0.1:1"}), encoding="utf-8"
    )
    assert running_address(tmp_path) is None


def test_stopping_a_server_that_never_started_is_harmless(tmp_path: Path) -> None:
    LocalServer(tmp_path).stop()


def test_the_printed_fingerprint_vouches_for_the_key_the_server_presents(tmp_path: Path) -> None:
    server = LocalServer(tmp_path / "local", first_port=free_base())
    try:
        server.start()
        presented = fingerprint_of_pem_file(tmp_path / "local" / CERT_FILE)
        shown = format_fingerprint(presented)  # what the client reports on first contact
        assert " " in (server.fingerprint or "")  # printed in groups, as people read it
        assert server.vouches_for(shown)
        assert server.vouches_for(presented.hex())
        assert server.vouches_for(":".join(f"{b:02x}" for b in presented))
        other = bytes([presented[0] ^ 1]) + presented[1:]
        assert not server.vouches_for(format_fingerprint(other))
        # a second window, which did not start the server, knows it from the note
        assert LocalServer(tmp_path / "local").vouches_for(shown)
    finally:
        server.stop()
    assert not LocalServer(tmp_path / "local").vouches_for(shown)


def test_the_port_is_kept_for_good_and_a_killed_server_comes_back_at_the_same_address(tmp_path: Path) -> None:
    first = free_base()
    window_a = LocalServer(tmp_path / "local", first_port=first)
    window_b = LocalServer(tmp_path / "local", first_port=first)
    try:
        found = window_a.ensure()
        assert found.started and parse_server_address(found.address)[1] == first
        assert (tmp_path / "local" / "port").read_text(encoding="ascii").strip() == str(first)
        # the second window finds it (it answers), starts nothing, and knows it for the local server
        assert window_b.ensure() == Found(found.address, started=False)
        assert not window_b.running and window_b.serves(found.address)
        fingerprint = window_a.fingerprint
        assert window_a._process is not None
        os.kill(window_a._process.pid, signal.SIGKILL)
        window_a._process.wait(30)
        assert window_b.answering() is None  # the note's process is gone
        assert window_b.serves(found.address)  # still the local server's address: it will come back there
        again = window_b.ensure()
        assert again == Found(found.address, started=True)  # the same port, started by the window that looked
        assert same_fingerprint(window_b.fingerprint, fingerprint)  # and the same key (its data folder)
        assert window_a.ensure() == Found(found.address, started=False)
    finally:
        window_a.stop()
        window_b.stop()
    # stopped for good, started again later: still the same port
    later = LocalServer(tmp_path / "local", first_port=first + 7)
    try:
        assert later.start() == found.address
    finally:
        later.stop()


def test_two_windows_that_look_at_once_start_one_server(tmp_path: Path) -> None:
    first = free_base()
    windows = [LocalServer(tmp_path / "local", first_port=first) for _ in range(2)]
    results: list[Found] = []
    threads = [threading.Thread(target=lambda w=w: results.append(w.ensure())) for w in windows]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(results) == 2 and results[0].address == results[1].address
        assert sorted(r.started for r in results) == [False, True]
        assert sum(w.running for w in windows) == 1
    finally:
        for window in windows:
            window.stop()


GROUPED = " ".join(["AB12 CD34"] * 8)  # as the server prints a fingerprint
COLONS = ":".join(["ab", "12", "cd", "34"] * 8)  # as other tools do
OTHER = GROUPED[:-1] + "5"


def test_fingerprints_compare_in_one_spelling() -> None:
    assert same_fingerprint(GROUPED, COLONS)
    assert not same_fingerprint(GROUPED, OTHER)
    assert not same_fingerprint(None, GROUPED)
    assert not same_fingerprint("", "")
    assert not same_fingerprint("xyz", "uvw")  # no hex digits to compare: never a match


def test_another_windows_server_that_hangs_is_found_silent_stopped_and_started_again(tmp_path: Path) -> None:
    first = free_base()
    window_a = LocalServer(tmp_path / "local", first_port=first)
    window_b = LocalServer(tmp_path / "local", first_port=first)
    found = window_a.ensure()
    hung = window_a._process
    assert hung is not None
    try:
        assert window_b.answering() == found.address
        os.kill(hung.pid, signal.SIGSTOP)  # hung: the kernel still accepts connections on its port
        host, port = parse_server_address(found.address)
        with socket.create_connection((host, port), timeout=2):
            pass
        assert running_address(tmp_path / "local") == found.address  # its process lives: the note stands
        started = time.monotonic()
        assert window_b.answering() is None  # but it does not answer: a TLS handshake and a ping, 3 s
        assert time.monotonic() - started < PROBE_SECONDS + 2.0
        again = window_b.ensure()
        assert again == Found(found.address, started=True, hung=True)  # stopped, and back on its port
        assert hung.wait(30) is not None  # the hung process was ended by the window that looked
        assert window_b.answering() == found.address and window_a.ensure().started is False
    finally:
        if hung.poll() is None:
            os.kill(hung.pid, signal.SIGCONT)
        window_a.stop()
        window_b.stop()


def test_a_hung_server_that_is_not_this_computers_local_server_is_left_alone_and_said_in_words(
    tmp_path: Path,
) -> None:
    stranger = ServerProcess(tmp_path / "elsewhere")  # a server on another data folder
    local = tmp_path / "local"
    local.mkdir()
    address = f"{stranger.address[0]}:{stranger.address[1]}"
    note = {"pid": stranger.process.pid, "address": address, "fingerprint": stranger.fingerprint.hex()}
    (local / NOTE_NAME).write_text(json.dumps(note), encoding="utf-8")  # as a window would write it
    window = LocalServer(local, first_port=free_base())
    try:
        assert window.answering() == address  # it answers with the note's key: it is believed
        stranger.pause()
        with pytest.raises(LocalServerError) as refused:
            window.ensure()
        said = str(refused.value)
        assert f"The local server at {address} accepts connections but does not answer" in said
        assert "Parley cannot stop it" in said and not window.running
        assert stranger.process.poll() is None  # left alone
    finally:
        stranger.resume()
        stranger.stop()
        window.stop()
