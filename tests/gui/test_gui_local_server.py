"""The "start a local server" button's process: a real server on a free port, found and stopped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gui.local_server import NOTE_NAME, LocalServer, LocalServerError, running_address, same_fingerprint
from gui.view_models.forms import parse_server_address
from net.protocol.fingerprints import format_fingerprint
from net.server.tls import CERT_FILE, fingerprint_of_pem_file


def test_a_local_server_starts_on_a_free_port_and_stops(tmp_path: Path) -> None:
    server = LocalServer(tmp_path / "local")
    try:
        address = server.start()
        host, port = parse_server_address(address)
        assert host == "127.0.0.1" and port > 0
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
    server = LocalServer(tmp_path / "local")
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


GROUPED = " ".join(["AB12 CD34"] * 8)  # as the server prints a fingerprint
COLONS = ":".join(["ab", "12", "cd", "34"] * 8)  # as other tools do
OTHER = GROUPED[:-1] + "5"


def test_fingerprints_compare_in_one_spelling() -> None:
    assert same_fingerprint(GROUPED, COLONS)
    assert not same_fingerprint(GROUPED, OTHER)
    assert not same_fingerprint(None, GROUPED)
    assert not same_fingerprint("", "")
    assert not same_fingerprint("xyz", "uvw")  # no hex digits to compare: never a match
