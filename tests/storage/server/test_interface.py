"""The store interface the server's service and loop depend on, and its SQLite and PostgreSQL stores."""

from __future__ import annotations

import ast
import sqlite3
from pathlib import Path

from storage.server.interface import RateEventLog, ServerStore, Space
from storage.server.records import BatchFailed, StoreError
from storage.server.store import SqliteServerStore

ROOT = Path(__file__).resolve().parents[3]
# The server's modules that receive a store; the command line and server.py choose the SQLite one.
SERVICE_SIDE = [
    "service.py",
    "registrar.py",
    "guards.py",
    "storage_full.py",
    "loop.py",
    "limits.py",
    "send_many.py",
    "send_rules.py",
    "blob_service.py",
]


def test_the_sqlite_store_satisfies_the_interface(tmp_path: Path) -> None:
    concrete = SqliteServerStore(tmp_path / "s.sqlite3")
    try:
        store: ServerStore = concrete  # checked by mypy: every method with its signature
        space: Space = concrete.space
        events: RateEventLog = concrete.rate_events
        assert isinstance(store, ServerStore)  # checked at run time: every member is present
        assert not space.full and list(events.load("none", 0)) == []
    finally:
        concrete.close()


def test_each_store_satisfies_the_interface(store: ServerStore) -> None:
    assert isinstance(store, ServerStore)  # every member is present, on SQLite and on PostgreSQL
    assert not store.space.full and list(store.rate_events.load("none", 0)) == []
    assert not store.unreachable(None) and not store.unreachable(BatchFailed("not committed"))


def test_a_store_missing_an_operation_is_not_one() -> None:
    class Partial:
        def account(self, phone: str) -> None:
            return None

    assert not isinstance(Partial(), ServerStore)


def test_the_interface_names_every_store_method_the_service_side_calls() -> None:
    members = {name for name in dir(ServerStore) if not name.startswith("_")}
    called: set[str] = set()
    for module in SERVICE_SIDE:
        tree = ast.parse((ROOT / "net" / "server" / module).read_text())
        for node in ast.walk(tree):
            # self.store.<op> / self._store.<op>: an operation of the store itself
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Attribute)
                and node.value.attr in ("store", "_store")
                and isinstance(node.value.value, ast.Name)
            ):
                called.add(node.attr)
    assert {"enqueue", "enqueue_many", "group_commit", "lacks_room", "space"} <= called
    assert called <= members, f"called on a store but not in the interface: {sorted(called - members)}"


def test_the_service_side_imports_no_database_driver() -> None:
    for module in [*SERVICE_SIDE, "cli.py"]:
        tree = ast.parse((ROOT / "net" / "server" / module).read_text())
        modules = {
            alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
        }
        from_storage = {
            node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
        }
        assert "sqlite3" not in modules | {name.split(".")[0] for name in from_storage}, module
        assert "storage.server.store" not in from_storage, f"{module} must use storage.server.interface"
        assert (
            "storage.server.batch_writer" not in from_storage
            and "storage.server.counters" not in from_storage
        )


def test_the_sqlite_store_tells_a_full_disk_from_other_failures(tmp_path: Path) -> None:
    store = SqliteServerStore(tmp_path / "s.sqlite3")
    try:
        full = sqlite3.OperationalError("database or disk is full")
        full.sqlite_errorcode = 13  # SQLITE_FULL
        assert store.lacks_room(full)
        assert not store.lacks_room(BatchFailed("not committed"))
        try:
            raise BatchFailed("a batch of writes was not committed") from full
        except BatchFailed as lost:
            assert store.lacks_room(lost)
        assert not store.lacks_room(sqlite3.OperationalError("database is locked"))
        assert not store.lacks_room(None)
    finally:
        store.close()


def test_a_lost_group_commit_is_a_store_error_not_a_driver_error() -> None:
    assert issubclass(BatchFailed, StoreError) and not issubclass(BatchFailed, sqlite3.Error)


def test_a_database_that_cannot_open_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    path.write_bytes(b"this is not a database, only some bytes in a file of that name" * 20)
    try:
        SqliteServerStore(path).close()
    except StoreError as exc:
        assert isinstance(exc.__cause__, sqlite3.Error)
    else:
        raise AssertionError("a file that is no database opened as a store")
