"""Groups: our standing in each, the state the engine folded, and each group's log of signed changes.

A group is one row keyed by its id: our ``standing`` (``member``; ``request``, an
invitation not yet accepted; ``left``; ``removed``), the folded state as the
engine cached it (JSON, None until the first fold), and when it was made and last
changed. Its changes are rows of ``group_changes``: the change id, its version and
author (the columns the fold's order needs), the signed change exactly as the
engine hands it over (JSON kept as text: this store never reads inside a change,
the engine parses and checks it), what the last fold made of it (``valid``,
``ignored``, ``unfolded`` while no create is known, ``waiting`` for its author's
identity) and whether the timeline has noted it (a note at most once per change).
A change id is stored once per group; storing it again replaces it (the engine
settles which of two versions of one id is kept).

Deleting a group deletes its changes, its conversation, the conversation's
messages and their receipts, in one transaction.

A row whose JSON does not parse is skipped and noted as damage, like a damaged
message: one damaged group or change never hides the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from storage.profile.errors import DamagedValue
from storage.profile.vault import Vault

MEMBER, REQUEST, LEFT, REMOVED = "member", "request", "left", "removed"
STANDINGS = (MEMBER, REQUEST, LEFT, REMOVED)
VALID, IGNORED, UNFOLDED, WAITING = "valid", "ignored", "unfolded", "waiting"
OUTCOMES = (VALID, IGNORED, UNFOLDED, WAITING)
_GROUP = "id, standing, state, created_at, updated_at"
_CHANGE = "grp, change, v, author, signed, outcome, noted, received_at"


@dataclass(frozen=True)
class StoredGroup:
    group_id: str
    standing: str
    #: The folded state the engine cached (parsed JSON), None until it folded one.
    state: Any
    #: Seconds since the epoch.
    created_at: float
    updated_at: float

    def __repr__(self) -> str:  # the state holds the name and the members
        return f"StoredGroup(standing={self.standing!r})"


@dataclass(frozen=True)
class NewChange:
    """A change to store: the columns the fold's order needs, and the signed change as JSON."""

    change_id: str
    version: int
    author: str
    signed: Mapping[str, Any]
    outcome: str = UNFOLDED

    def __repr__(self) -> str:
        return f"NewChange(change_id={self.change_id!r}, version={self.version})"


@dataclass(frozen=True)
class StoredChange:
    group_id: str
    change_id: str
    version: int
    author: str
    #: The signed change as it was stored (parsed JSON).
    signed: Any
    outcome: str
    noted: bool
    received_at: float

    def __repr__(self) -> str:
        return f"StoredChange(change_id={self.change_id!r}, version={self.version}, outcome={self.outcome!r})"


class GroupStore:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    # ------------------------------------------------------------------ groups

    def upsert(self, group_id: str, standing: str, *, state: Mapping[str, Any] | None = None) -> StoredGroup:
        """Make the group, or set its standing (and its cached state, when given); the group as stored."""
        _check(standing, STANDINGS, "standing")
        now = self._vault.now_ms()
        cached = None if state is None else Vault.dump_json(state)
        with self._vault.transaction():
            self._vault.conn.execute(
                "INSERT INTO groups (id, standing, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET standing = excluded.standing, "
                "state = COALESCE(excluded.state, groups.state), updated_at = excluded.updated_at",
                (group_id, standing, cached, now, now),
            )
            found = self.get(group_id)
        assert found is not None
        return found

    def get(self, group_id: str) -> StoredGroup | None:
        """The group; None if there is none. :class:`DamagedValue` if its row does not read."""
        row = self._vault.conn.execute(
            f"SELECT {_GROUP} FROM groups WHERE id = ?",  # noqa: S608 - names are constants, values are parameters
            (group_id,),
        ).fetchone()
        return None if row is None else _group(row)

    def all(self) -> list[StoredGroup]:
        """Every group, the most recently changed first; a damaged one is skipped and noted."""
        groups = []
        for row in self._vault.conn.execute(
            f"SELECT {_GROUP} FROM groups ORDER BY updated_at DESC, id"  # noqa: S608 - names are constants
        ).fetchall():
            try:
                groups.append(_group(row))
            except DamagedValue as exc:
                self._vault.note_damage(f"group:{row[0]}", exc.what)
        return groups

    def set_standing(self, group_id: str, standing: str) -> bool:
        _check(standing, STANDINGS, "standing")
        return self._update(group_id, "standing = ?", standing)

    def save_state(self, group_id: str, state: Mapping[str, Any]) -> bool:
        """Cache the folded state; True if the group exists."""
        return self._update(group_id, "state = ?", Vault.dump_json(state))

    def delete(self, group_id: str) -> bool:
        """Delete the group with its changes, its conversation, messages and receipts; True if it existed."""
        with self._vault.transaction():
            conversation = self._vault.conn.execute(
                "SELECT id FROM conversations WHERE grp = ?", (group_id,)
            ).fetchone()
            if conversation is not None:
                self._vault.conn.execute("DELETE FROM messages WHERE conversation = ?", conversation)
                self._vault.conn.execute("DELETE FROM conversations WHERE id = ?", conversation)
            cursor = self._vault.conn.execute("DELETE FROM groups WHERE id = ?", (group_id,))
        return cursor.rowcount > 0

    # ------------------------------------------------------------------ changes

    def put_changes(self, group_id: str, changes: Iterable[NewChange]) -> int:
        """Store changes of the group (an id stored already is replaced); how many ids were new."""
        now = self._vault.now_ms()
        new = 0
        with self._vault.transaction():
            for change in changes:
                _check(change.outcome, OUTCOMES, "outcome")
                signed = Vault.dump_json(change.signed)
                cursor = self._vault.conn.execute(
                    "UPDATE group_changes SET v = ?, author = ?, signed = ?, outcome = ? "
                    "WHERE grp = ? AND change = ?",
                    (change.version, change.author, signed, change.outcome, group_id, change.change_id),
                )
                if cursor.rowcount:
                    continue
                self._vault.conn.execute(
                    f"INSERT INTO group_changes ({_CHANGE}) VALUES (?, ?, ?, ?, ?, ?, 0, ?)",  # noqa: S608 - names are constants, values are parameters
                    (group_id, change.change_id, change.version, change.author, signed, change.outcome, now),
                )
                new += 1
        return new

    def changes(self, group_id: str, *, outcome: str | None = None) -> list[StoredChange]:
        """The group's changes in the fold's order (version, author, id), or only those of ``outcome``.

        A change whose JSON does not read is skipped and noted as damage.
        """
        query = f"SELECT {_CHANGE} FROM group_changes WHERE grp = ?"  # noqa: S608 - names are constants, values are parameters
        params: tuple[object, ...] = (group_id,)
        if outcome is not None:
            query, params = query + " AND outcome = ?", (group_id, outcome)
        found = []
        for row in self._vault.conn.execute(query + " ORDER BY v, author, change", params).fetchall():
            try:
                found.append(_change(row))
            except DamagedValue as exc:
                self._vault.note_damage(f"group change:{row[0]}:{row[1]}", exc.what)
        return found

    def count_changes(self, group_id: str) -> int:
        row = self._vault.conn.execute("SELECT COUNT(*) FROM group_changes WHERE grp = ?", (group_id,))
        return int(row.fetchone()[0])

    def set_outcomes(self, group_id: str, outcomes: Mapping[str, str]) -> None:
        """What the last fold made of each change (by change id)."""
        for outcome in outcomes.values():
            _check(outcome, OUTCOMES, "outcome")
        with self._vault.transaction():
            self._vault.conn.executemany(
                "UPDATE group_changes SET outcome = ? WHERE grp = ? AND change = ?",
                [(outcome, group_id, change_id) for change_id, outcome in outcomes.items()],
            )

    def mark_noted(self, group_id: str, change_ids: Iterable[str]) -> list[str]:
        """Mark changes as noted in the timeline; the ids that were not noted before (note those)."""
        fresh = []
        with self._vault.transaction():
            for change_id in change_ids:
                cursor = self._vault.conn.execute(
                    "UPDATE group_changes SET noted = 1 WHERE grp = ? AND change = ? AND noted = 0",
                    (group_id, change_id),
                )
                if cursor.rowcount:
                    fresh.append(change_id)
        return fresh

    # ------------------------------------------------------------------ internals

    def _update(self, group_id: str, assignment: str, value: object) -> bool:
        with self._vault.transaction():
            cursor = self._vault.conn.execute(
                f"UPDATE groups SET {assignment}, updated_at = ? WHERE id = ?",  # noqa: S608 - names are constants, values are parameters
                (value, self._vault.now_ms(), group_id),
            )
        return cursor.rowcount > 0

    def __repr__(self) -> str:
        return "GroupStore(<encrypted>)"


def _check(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"unknown group {what} {value!r}")


def _group(row: tuple[Any, ...]) -> StoredGroup:
    group_id, standing, state, created_at, updated_at = row
    cached = None if state is None else Vault.load_json(state, what="group")
    if not (
        isinstance(group_id, str) and standing in STANDINGS and (cached is None or isinstance(cached, dict))
    ):
        raise DamagedValue("group")
    return StoredGroup(group_id, standing, cached, created_at / 1000, updated_at / 1000)


def _change(row: tuple[Any, ...]) -> StoredChange:
    group_id, change_id, version, author, signed, outcome, noted, received_at = row
    parsed = Vault.load_json(signed, what="group change")
    if not (isinstance(parsed, dict) and isinstance(version, int) and outcome in OUTCOMES):
        raise DamagedValue("group change")
    return StoredChange(
        group_id, change_id, version, author, parsed, outcome, bool(noted), received_at / 1000
    )
