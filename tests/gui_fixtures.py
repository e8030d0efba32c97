"""The fixtures most GUI tests share, as a plugin every test module sees (registered by conftest).

One virtual screen for the whole run (``display``), a server that returns registration codes
(``dev_server``), Alice's app on a fresh profile folder (``app``) and Bob as a profile without a
window (``bob``). A module that needs another shape defines its own fixture of the same name,
which then wins for that module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import InProcessServer
from gui_support import display_for_tests, wait_until

from gui.app import App
from gui.tooling.peer import HeadlessPeer


@pytest.fixture(scope="session")
def display() -> Iterator[None]:
    yield from display_for_tests()


@pytest.fixture
def dev_server(server_factory: Callable[..., InProcessServer]) -> InProcessServer:
    return server_factory(dev_codes=True)


@pytest.fixture
def app(display: object, tmp_path: Path) -> Iterator[App]:
    app = App(
        profiles_root=tmp_path / "alice", config_dir=tmp_path / "config", local_server_dir=tmp_path / "ls"
    )
    wait_until(app.root, lambda: not app.busy, "the profile list")
    yield app
    app.close()


@pytest.fixture
def bob(tmp_path: Path) -> Iterator[HeadlessPeer]:
    peer = HeadlessPeer.with_profiles(tmp_path / "bob")
    yield peer
    peer.stop()
