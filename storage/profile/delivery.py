"""At-least-once delivery bookkeeping: the outbox, and the server messages already processed.

* :class:`OutboxStore`: a message is enqueued (one row: client id, contact, payload)
  before anything is sent, and removed only when the server has acknowledged
  it, so a message typed offline, or in flight when the app stopped, goes out
  when the connection returns. Entries keep their order. A row is keyed by
  (client id, recipient): a group message is one copy per member under one
  client id (schema step 4), each removed on its own.
* :class:`ProcessedIds`: the server deletes a message only after the client
  acknowledged it, so after a crash between storing and acknowledging the same
  message comes again; its server id says it was stored already (ids an
  upgrade brought from the old format keep their old blind index, and a
  lookup asks for both). Old ids are pruned by the time they were seen.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.profile.errors import INTEGRITY_ERRORS, DuplicateEntry
from storage.profile.vault import Vault


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

    def enqueue(self, contact: str, client_id: str, payload: bytes) -> OutboxItem:
        """Queue ``payload`` for ``contact``; :class:`DuplicateEntry` if this client id is queued for them."""
        now = self._vault.now_ms()
        with self._vault.transaction():
            try:
                self._vault.conn.execute(
                    "INSERT INTO outbox (client, contact, payload, created_at) VALUES (?, ?, ?, ?)",
                    (client_id, contact, bytes(payload), now),
                )
            except INTEGRITY_ERRORS:
                raise DuplicateEntry("this client id is already queued for this recipient") from None
        return OutboxItem(client_id, contact, payload, now / 1000)

    def pending(self, limit: int | None = None) -> list[OutboxItem]:
        """Queued entries, oldest first; one that cannot be read is skipped and noted as damage.

        The damaged row stays where it is (nothing is deleted on a guess), so ``limit``
        counts only entries that can be read.
        """
        items: list[OutboxItem] = []
        rows = self._vault.conn.execute(
            "SELECT seq, client, contact, payload, created_at FROM outbox ORDER BY seq"
        )
        try:
            for seq, client, contact, payload, created_at in rows:
                if not (isinstance(client, str) and isinstance(contact, str) and isinstance(payload, bytes)):
                    self._vault.note_damage(f"outbox:{seq}", "outbox entry")
                    continue
                items.append(OutboxItem(client, contact, payload, created_at / 1000))
                if limit is not None and len(items) >= limit:
                    break
        finally:
            rows.close()  # a statement left open would hold its read snapshot
        return items

    def remove(self, client_id: str, contact: str | None = None) -> bool:
        """Done with it (the server acknowledged it, or it was given up); True if it was queued.

        With ``contact``, only the copy for that recipient goes; without, every copy of the client id.
        """
        with self._vault.transaction():
            if contact is None:
                cursor = self._vault.conn.execute("DELETE FROM outbox WHERE client = ?", (client_id,))
            else:
                cursor = self._vault.conn.execute(
                    "DELETE FROM outbox WHERE client = ? AND contact = ?", (client_id, contact)
                )
        return cursor.rowcount > 0

    def remove_message(self, message_id: str) -> int:
        """Every copy not sent yet of the message ``message_id`` (sent under its id, or under the id
        and a suffix when sent again: ``<id>.<hex>``), for every recipient; how many went."""
        with self._vault.transaction():
            cursor = self._vault.conn.execute(
                "DELETE FROM outbox WHERE client = ? OR substr(client, 1, ?) = ?",
                (message_id, len(message_id) + 1, f"{message_id}."),
            )
        return cursor.rowcount

    def __len__(self) -> int:
        return int(self._vault.conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])


class ProcessedIds:
    """Server message ids already stored, so a redelivery is recognised and not shown twice."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def seen(self, server_id: str) -> bool:
        row = self._vault.conn.execute(
            "SELECT 1 FROM processed WHERE server_message IN (?, ?)",
            (server_id, self._vault.legacy_index("server-message", server_id)),
        ).fetchone()
        return row is not None

    def remember(self, server_id: str) -> None:
        """Record the id; call it in the transaction that stores the message."""
        with self._vault.transaction():
            self._vault.conn.execute(
                "INSERT OR IGNORE INTO processed (server_message, seen_at) VALUES (?, ?)",
                (server_id, self._vault.now_ms()),
            )

    def prune(self, older_than: float) -> int:
        """Forget ids seen before ``older_than`` (seconds since the epoch); how many were forgotten."""
        with self._vault.transaction():
            cursor = self._vault.conn.execute(
                "DELETE FROM processed WHERE seen_at < ?", (round(older_than * 1000),)
            )
        return cursor.rowcount
