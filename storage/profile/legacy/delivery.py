"""At-least-once delivery bookkeeping: the outbox, and the server messages already processed.

* :class:`OutboxStore`: a message is enqueued (sealed, in slot ``"outbox:<index>"``)
  before anything is sent, and removed only when the server has acknowledged
  it, so a message typed offline, or in flight when the app stopped, goes out
  when the connection returns. Entries keep their order.
* :class:`ProcessedIds`: the server deletes a message only after the client
  acknowledged it, so after a crash between storing and acknowledging the same
  message comes again; its server id, kept as a blind index, says it was
  stored already. Old ids are pruned by the time they were seen.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from crypto_core.encoding import b64decode, b64encode
from crypto_core.errors import CryptoError
from storage.profile.errors import DamagedValue, DuplicateEntry
from storage.profile.legacy.vault import Vault


@dataclass(frozen=True)
class OutboxItem:
    client_id: str
    contact: str
    payload: bytes
    #: Seconds since the epoch when it was enqueued.
    enqueued_at: float

    def __repr__(self) -> str:  # the payload and the contact stay out of logs
        return f"OutboxItem(client_id={self.client_id!r}, enqueued_at={self.enqueued_at})"


class OutboxStore:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def _where(self, client_id: str) -> tuple[bytes, str]:
        client = self._vault.index("outbox", client_id)
        return client, f"outbox:{client.hex()}"

    def enqueue(self, contact: str, client_id: str, payload: bytes) -> OutboxItem:
        """Queue ``payload`` for ``contact``; :class:`DuplicateEntry` if the client id is queued already."""
        client, slot = self._where(client_id)
        now = self._vault.now_ms()
        record = {"id": client_id, "to": contact, "payload": b64encode(payload)}
        sealed = self._vault.seal_json(slot, record)
        with self._vault.transaction():
            try:
                self._vault.conn.execute(
                    "INSERT INTO outbox (client, created_at, sealed) VALUES (?, ?, ?)", (client, now, sealed)
                )
            except sqlite3.IntegrityError:
                raise DuplicateEntry("an outbox entry with this client id is already queued") from None
        return OutboxItem(client_id, contact, payload, now / 1000)

    def pending(self, limit: int | None = None) -> list[OutboxItem]:
        """Queued entries, oldest first; one that does not open is skipped and noted as damage.

        The damaged row stays where it is (nothing is deleted on a guess), so ``limit``
        counts only entries that open.
        """
        items: list[OutboxItem] = []
        rows = self._vault.conn.execute("SELECT client, created_at, sealed FROM outbox ORDER BY seq")
        try:
            for client, created_at, sealed in rows:
                try:
                    items.append(self._item(client, created_at, sealed))
                except DamagedValue as exc:
                    self._vault.note_damage(f"outbox:{client.hex()}", exc.what)
                    continue
                if limit is not None and len(items) >= limit:
                    break
        finally:
            rows.close()  # a statement left open would hold its read snapshot
        return items

    def remove(self, client_id: str) -> bool:
        """Done with it (the server acknowledged it, or it was given up); True if it was queued."""
        client, _slot = self._where(client_id)
        with self._vault.transaction():
            cursor = self._vault.conn.execute("DELETE FROM outbox WHERE client = ?", (client,))
        return cursor.rowcount > 0

    def __len__(self) -> int:
        return int(self._vault.conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def _item(self, client: bytes, created_at: int, sealed: bytes) -> OutboxItem:
        record = self._vault.open_json(f"outbox:{client.hex()}", sealed, what="outbox entry")
        try:
            return OutboxItem(
                client_id=str(record["id"]),
                contact=str(record["to"]),
                payload=b64decode(record["payload"], what="outbox payload"),
                enqueued_at=created_at / 1000,
            )
        except (KeyError, TypeError, CryptoError):
            raise DamagedValue("outbox entry") from None


class ProcessedIds:
    """Server message ids already stored, so a redelivery is recognised and not shown twice."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def _key(self, server_id: str) -> bytes:
        return self._vault.index("server-message", server_id)

    def seen(self, server_id: str) -> bool:
        row = self._vault.conn.execute(
            "SELECT 1 FROM processed WHERE server_message = ?", (self._key(server_id),)
        ).fetchone()
        return row is not None

    def remember(self, server_id: str) -> None:
        """Record the id; call it in the transaction that stores the message."""
        with self._vault.transaction():
            self._vault.conn.execute(
                "INSERT OR IGNORE INTO processed (server_message, seen_at) VALUES (?, ?)",
                (self._key(server_id), self._vault.now_ms()),
            )

    def prune(self, older_than: float) -> int:
        """Forget ids seen before ``older_than`` (seconds since the epoch); how many were forgotten."""
        with self._vault.transaction():
            cursor = self._vault.conn.execute(
                "DELETE FROM processed WHERE seen_at < ?", (round(older_than * 1000),)
            )
        return cursor.rowcount
