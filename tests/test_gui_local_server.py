"""The "start a local server" button's process: a real server on a free port, found and stopped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gui.forms import parse_server_address
from gui.local_server import NOTE_NAME, LocalServer, LocalServerError, running_address


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
