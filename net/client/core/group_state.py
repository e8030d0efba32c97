"""A group's state: the fold of its changes, by the one deterministic rule every member applies.

The rule (net/client/ENGINE.md, "Groups", says the same): the state is the fold
of every known change sorted by ``(v, by, n)``, starting from the ``create``.
Each change is checked against the state so far, and one that breaks a rule is
*ignored* (kept, with its reason, never applied):

* the author must be a member (anyone may only leave while a member);
* only admins add, remove, rename, grant or take admin;
* an ``add`` of a member, or into a full group (100), is ignored; a ``remove``,
  ``admin`` or ``unadmin`` of someone who is not a member is ignored; ``admin`` of
  an admin and ``unadmin`` of someone who is not one are ignored; an ``unadmin``
  of the last admin is ignored (the group would have none);
* a second ``create`` is ignored (the group id is bound to its creator's one
  ``create``, see :mod:`net.client.core.group_changes`, so this is a safeguard).

After each ``remove`` or ``leave`` that leaves members but no admin, the
longest-standing member becomes admin: the one who joined earliest in the fold
(initial members in the ``create``'s order; someone added again stands from the
new ``add``).

Nothing here depends on the order changes arrived in: the same set of changes
folds to the same state on every member. The state's ``version`` is the highest
version of a valid change, its ``digest`` the first 16 bytes of
SHA-256(``"Parley group digest v1" 0x00`` || the ids of the valid changes as raw
bytes, sorted), in base64url: two members with the same digest have folded the
same valid changes, so they hold the same state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from net.client.core.group_changes import MAX_MEMBERS, Change, ChangeKind, decode_id, encode_id

DIGEST_LABEL = b"Parley group digest v1\x00"


class ChangeOutcome(StrEnum):
    #: Applied by the fold.
    VALID = "valid"
    #: Broke a rule at its place in the fold: kept, never applied.
    IGNORED = "ignored"
    #: Not folded at all: no ``create`` is known yet (or it lies beyond the version folded to).
    UNFOLDED = "unfolded"


class IgnoreReason(StrEnum):
    """Why a change was ignored; the words are for the timeline's note ("X tried to ... (...)")."""

    NOT_A_MEMBER = "the author is not a member"
    NOT_AN_ADMIN = "the author is not an admin"
    ALREADY_A_MEMBER = "already a member"
    NOT_IN_GROUP = "not a member"
    ALREADY_AN_ADMIN = "already an admin"
    NOT_ADMIN = "not an admin"
    LAST_ADMIN = "the last admin"
    GROUP_FULL = "the group is full"
    SECOND_CREATE = "the group exists already"


class OwnStanding(StrEnum):
    """Where we stand in the group by its changes (a request is the engine's: a group not yet accepted)."""

    MEMBER = "member"
    LEFT = "left"
    REMOVED = "removed"
    #: No change ever named us.
    OUTSIDE = "outside"


@dataclass(frozen=True)
class Member:
    phone: str
    #: Where the member joined in the fold: 0, 1, ... for the create's members, then each add.
    position: int

    def __repr__(self) -> str:
        return f"Member(position={self.position})"


@dataclass(frozen=True)
class GroupState:
    group_id: str
    name: str
    #: The highest version of a valid change.
    version: int
    digest: str
    #: The members in order of standing (the longest-standing first), with where each joined.
    members: tuple[Member, ...]
    admins: frozenset[str]
    own: OwnStanding
    created_by: str

    @property
    def phones(self) -> tuple[str, ...]:
        return tuple(member.phone for member in self.members)

    def is_member(self, phone: str) -> bool:
        return any(member.phone == phone for member in self.members)

    def is_admin(self, phone: str) -> bool:
        return phone in self.admins

    def __repr__(self) -> str:  # the name and the phones stay out of logs
        return f"GroupState(version={self.version}, members={len(self.members)}, own={self.own.value})"


@dataclass(frozen=True)
class Applied:
    """A valid change, in fold order, and who became admin by the handoff after it (or "")."""

    change: Change
    handoff: str = ""


@dataclass(frozen=True)
class Ignored:
    change: Change
    reason: IgnoreReason


@dataclass(frozen=True)
class Fold:
    """What a set of changes folds to: the state (None without a create) and each change's fate."""

    state: GroupState | None
    applied: tuple[Applied, ...] = ()
    ignored: tuple[Ignored, ...] = ()

    def outcomes(self) -> dict[str, ChangeOutcome]:
        found = {a.change.change_id: ChangeOutcome.VALID for a in self.applied}
        found.update((i.change.change_id, ChangeOutcome.IGNORED) for i in self.ignored)
        return found

    def outcome(self, change_id: str) -> ChangeOutcome:
        return self.outcomes().get(change_id, ChangeOutcome.UNFOLDED)


def digest(valid_change_ids: Iterable[str]) -> str:
    """The digest of a state: see the module's docstring."""
    raw = sorted(decode_id(change_id) or b"" for change_id in valid_change_ids)
    return encode_id(hashlib.sha256(DIGEST_LABEL + b"".join(raw)).digest()[:16])


def fold(changes: Iterable[Change], me: str, *, up_to: int | None = None) -> Fold:
    """Fold ``changes`` (of one group; duplicates by change id must already be gone) as ``me`` sees them.

    ``up_to`` folds only the changes with a version at most that (the group as it was then).
    """
    ordered = sorted(
        (c for c in changes if up_to is None or c.version <= up_to), key=lambda change: change.order
    )
    create = next((c for c in ordered if c.kind is ChangeKind.CREATE), None)
    if create is None:
        return Fold(None)
    builder = _Builder(create, me)
    for change in ordered:
        if change is not create:
            builder.apply(change)
    return builder.result()


@dataclass
class _Builder:
    """The state so far, as the fold walks the changes in order."""

    create: Change
    me: str
    name: str = ""
    members: dict[str, int] = field(default_factory=dict)  # phone -> position, in order of joining
    admins: set[str] = field(default_factory=set)
    own: OwnStanding = OwnStanding.OUTSIDE
    next_position: int = 0
    applied: list[Applied] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.name = self.create.name
        for phone in self.create.members:
            self._join(phone)
        self.admins.add(self.create.by)
        self.applied.append(Applied(self.create))

    def apply(self, change: Change) -> None:
        reason = self._refusal(change)
        if reason is not None:
            self.ignored.append(Ignored(change, reason))
            return
        kind, who = change.kind, change.who
        if kind is ChangeKind.ADD:
            self._join(who)
        elif kind is ChangeKind.ADMIN:
            self.admins.add(who)
        elif kind is ChangeKind.UNADMIN:
            self.admins.discard(who)
        elif kind is ChangeKind.RENAME:
            self.name = change.name
        else:  # remove or leave
            gone = change.by if kind is ChangeKind.LEAVE else who
            del self.members[gone]
            self.admins.discard(gone)
            if gone == self.me:
                self.own = OwnStanding.LEFT if kind is ChangeKind.LEAVE else OwnStanding.REMOVED
            self.applied.append(Applied(change, self._handoff()))
            return
        self.applied.append(Applied(change))

    def _refusal(self, change: Change) -> IgnoreReason | None:
        kind, who = change.kind, change.who
        if kind is ChangeKind.CREATE:
            return IgnoreReason.SECOND_CREATE
        if change.by not in self.members:
            return IgnoreReason.NOT_A_MEMBER
        if kind is ChangeKind.LEAVE:
            return None
        if change.by not in self.admins:
            return IgnoreReason.NOT_AN_ADMIN
        if kind is ChangeKind.RENAME:
            return None
        if kind is ChangeKind.ADD:
            if who in self.members:
                return IgnoreReason.ALREADY_A_MEMBER
            return IgnoreReason.GROUP_FULL if len(self.members) >= MAX_MEMBERS else None
        if who not in self.members:
            return IgnoreReason.NOT_IN_GROUP
        if kind is ChangeKind.ADMIN and who in self.admins:
            return IgnoreReason.ALREADY_AN_ADMIN
        if kind is ChangeKind.UNADMIN:
            if who not in self.admins:
                return IgnoreReason.NOT_ADMIN
            if self.admins == {who}:
                return IgnoreReason.LAST_ADMIN
        return None

    def _join(self, phone: str) -> None:
        self.members[phone] = self.next_position
        self.next_position += 1
        if phone == self.me:
            self.own = OwnStanding.MEMBER

    def _handoff(self) -> str:
        """After a remove or leave: the longest-standing member becomes admin if none is left."""
        if self.admins or not self.members:
            return ""
        eldest = min(self.members, key=self.members.__getitem__)
        self.admins.add(eldest)
        return eldest

    def result(self) -> Fold:
        valid = [a.change for a in self.applied]
        state = GroupState(
            group_id=self.create.group_id,
            name=self.name,
            version=max(change.version for change in valid),
            digest=digest(change.change_id for change in valid),
            members=tuple(Member(p, pos) for p, pos in sorted(self.members.items(), key=lambda m: m[1])),
            admins=frozenset(self.admins),
            own=self.own,
            created_by=self.create.by,
        )
        return Fold(state, tuple(self.applied), tuple(self.ignored))
