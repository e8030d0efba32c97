"""Receipts of our group messages, per member: who it went to, when each got it and read it.

When a group message is sent, one row per recipient is made (:meth:`ReceiptStore.expect`),
so "delivered to k of n" counts from the members it went to, not from the group
as it is later. A member's ``delivered`` and ``read`` receipts fill in their row's
times, once: a repeated or late receipt changes nothing, a read receipt without a
delivery receipt before it counts as both (it was delivered to be read), and a
receipt from someone the message did not go to is ignored. The rows go with the
message (deleting it deletes them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from storage.profile.vault import Vault


@dataclass(frozen=True)
class Receipt:
    member: str
    #: Seconds since the epoch, or None while the member has not said.
    delivered_at: float | None
    read_at: float | None

    def __repr__(self) -> str:  # the member's number stays out of logs
        return f"Receipt(delivered={self.delivered_at is not None}, read={self.read_at is not None})"


@dataclass(frozen=True)
class ReceiptCount:
    """ "Delivered to ``delivered`` of ``members``, read by ``read`` of ``members``"."""

    members: int
    delivered: int
    read: int


class ReceiptStore:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def expect(self, message: int, members: Iterable[str]) -> None:
        """The group message (its local id) went to ``members``: each gets a row with no times yet."""
        with self._vault.transaction():
            self._vault.conn.executemany(
                "INSERT OR IGNORE INTO group_receipts (message, member) VALUES (?, ?)",
                [(message, member) for member in members],
            )

    def delivered(self, message: int, member: str, at: float) -> bool:
        """The member's delivery receipt; True if it was news."""
        with self._vault.transaction():
            cursor = self._vault.conn.execute(
                "UPDATE group_receipts SET delivered_at = ? "
                "WHERE message = ? AND member = ? AND delivered_at IS NULL",
                (round(at * 1000), message, member),
            )
        return cursor.rowcount > 0

    def read(self, message: int, member: str, at: float) -> bool:
        """The member's read receipt (a delivery too, if none came first); True if it was news."""
        ms = round(at * 1000)
        with self._vault.transaction():
            cursor = self._vault.conn.execute(
                "UPDATE group_receipts SET read_at = ?, delivered_at = COALESCE(delivered_at, ?) "
                "WHERE message = ? AND member = ? AND read_at IS NULL",
                (ms, ms, message, member),
            )
        return cursor.rowcount > 0

    def our_message(self, client_id: str) -> tuple[int, str] | None:
        """Our group message of this client id, in any group: (its local id, the group's id), or None.

        One indexed lookup per group conversation, with no group's state read: a receipt is
        matched to its message this way for each member of each message.
        """
        row = self._vault.conn.execute(
            "SELECT m.id, c.grp FROM conversations c JOIN messages m ON m.conversation = c.id "
            "AND m.outgoing = 1 AND m.sender = '' AND m.client = ? WHERE c.grp IS NOT NULL",
            (client_id,),
        ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def of(self, message: int) -> list[Receipt]:
        """Every member the message went to, with their times, in the order they were expected."""
        rows = self._vault.conn.execute(
            "SELECT member, delivered_at, read_at FROM group_receipts WHERE message = ? ORDER BY rowid",
            (message,),
        ).fetchall()
        return [Receipt(member, _seconds(delivered), _seconds(read)) for member, delivered, read in rows]

    def counts(self, messages: Iterable[int]) -> dict[int, ReceiptCount]:
        """The counts of each message (by local id); a message with no rows is left out."""
        wanted = list(messages)
        if not wanted:
            return {}
        rows = self._vault.conn.execute(
            "SELECT message, COUNT(*), COUNT(delivered_at), COUNT(read_at) FROM group_receipts "  # noqa: S608 - only placeholders
            f"WHERE message IN ({','.join('?' * len(wanted))}) GROUP BY message",
            wanted,
        ).fetchall()
        return {message: ReceiptCount(total, delivered, read) for message, total, delivered, read in rows}

    def __repr__(self) -> str:
        return "ReceiptStore(<encrypted>)"


def _seconds(ms: object) -> float | None:
    return ms / 1000 if isinstance(ms, int) else None
