"""base_store: the methods both stores share are written once, in the base; each store is a ServerStore."""

from __future__ import annotations

from pathlib import Path

from storage.server.base_store import ServerStoreBase
from storage.server.blobs import BlobStore
from storage.server.devices import DeviceStore
from storage.server.interface import ServerStore
from storage.server.pg_store import PostgresServerStore
from storage.server.prekeys import PrekeyStore
from storage.server.registration import RegistrationStore
from storage.server.store import SqliteServerStore

#: What each engine's store writes for itself: its plumbing, never an operation of the interface's.
ENGINE_OWN = {"lacks_room", "unreachable", "close", "quota_room"}


def shared_methods() -> set[str]:
    names: set[str] = set()
    for part in (ServerStoreBase, RegistrationStore, DeviceStore, PrekeyStore, BlobStore):
        names |= {name for name in vars(part) if not name.startswith("_")}
    return names


def test_no_shared_method_is_written_twice() -> None:
    shared = shared_methods()
    assert {"enqueue", "fetch", "ack", "message", "take_device_bundle", "blob_write", "prune"} <= shared
    for store in (SqliteServerStore, PostgresServerStore):
        assert issubclass(store, ServerStoreBase)
        own = {name for name in vars(store) if not name.startswith("_")}
        assert own & shared == set(), store
        assert own <= ENGINE_OWN


def test_both_stores_are_server_stores(tmp_path: Path, postgres_url: str) -> None:
    sqlite = SqliteServerStore(tmp_path / "s.sqlite3")
    postgres = PostgresServerStore(postgres_url)
    try:
        assert isinstance(sqlite, ServerStore) and isinstance(postgres, ServerStore)
    finally:
        sqlite.close()
        postgres.close()
