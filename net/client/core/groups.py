"""One group as one member knows it: its log of changes and what they fold to, with every decision on it.

Groups are fanned out pairwise: every group message and every change goes to
each member over that member's own Double Ratchet session (net/client/ENGINE.md,
"Groups"). The pieces, each pure:

=========================  ==========================================================
``group_changes.py``       the change: its format, strict parsing, ids, the signed statement
``group_state.py``         the fold (the deterministic rule), the state, the digest
``group_sync.py``          admission (author, signature), merging, the ``group_state`` sync
``group_messages.py``      whether an incoming group text is accepted, pending or dropped
``group_making.py``        making each kind of change as the person's command asks
``group_payloads.py``      the payloads ``group_change`` and ``group_state``, the group fields
``groups.py``              :class:`Group`, which ties them together for the engine
=========================  ==========================================================

:class:`Group` is immutable: a merge returns a new one. It folds lazily and once.
:func:`state_to_json` and :func:`state_from_json` are the folded state as the
profile caches it (to list groups without folding each), versioned.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from net.client.core.group_changes import MAX_VERSION, SignedChange, is_id
from net.client.core.group_messages import TextDecision, decide_text
from net.client.core.group_payloads import GroupStatePayload, GroupTag
from net.client.core.group_state import ChangeOutcome, Fold, GroupState, Member, OwnStanding, fold
from net.client.core.group_sync import MAX_CHANGES, Merged, answers_sync, merge, state_payloads, sync_due

#: The version of :func:`state_to_json`'s record.
CACHE_VERSION = 1


class Group:
    """A group's verified changes (one per change id) as ``me`` holds them, and what follows from them."""

    __slots__ = ("group_id", "me", "_changes", "_fold")

    def __init__(self, group_id: str, me: str, changes: Iterable[SignedChange] = ()) -> None:
        if not is_id(group_id):
            raise ValueError("not a group id")
        self.group_id = group_id
        self.me = me
        # Through merge, so that a log read back is held by the same rules as one received.
        self._changes = merge(group_id, {}, changes).changes
        self._fold: Fold | None = None

    @property
    def changes(self) -> Mapping[str, SignedChange]:
        return MappingProxyType(dict(self._changes))

    def ordered(self) -> list[SignedChange]:
        """The changes in fold order."""
        return sorted(self._changes.values(), key=lambda signed: signed.change.order)

    @property
    def fold(self) -> Fold:
        if self._fold is None:
            self._fold = fold((signed.change for signed in self._changes.values()), self.me)
        return self._fold

    @property
    def state(self) -> GroupState | None:
        """The group now; None until its ``create`` is known."""
        return self.fold.state

    def outcome(self, change_id: str) -> ChangeOutcome:
        return self.fold.outcome(change_id)

    def at(self, version: int) -> GroupState | None:
        """The group as it was at ``version``: the fold of the changes with ``v <= version``."""
        now = self.state
        if now is not None and version >= now.version:
            return now
        return fold((signed.change for signed in self._changes.values()), self.me, up_to=version).state

    def members_at(self, version: int) -> frozenset[str]:
        then = self.at(version)
        return frozenset() if then is None else frozenset(then.phones)

    @property
    def log_full(self) -> bool:
        return len(self._changes) >= MAX_CHANGES

    def next_version(self) -> int:
        """The version of a change we make now: one above the highest we know."""
        now = self.state
        return 1 if now is None else now.version + 1

    def can_change(self) -> bool:
        """Whether the log takes another change of ours (it is neither full nor at the last version)."""
        return not self.log_full and self.next_version() <= MAX_VERSION

    def merged(self, incoming: Iterable[SignedChange]) -> tuple[Group, Merged]:
        """This group with ``incoming`` merged in (admitted already), and what the merge did."""
        result = merge(self.group_id, self._changes, incoming)
        if not result.changed:
            return self, result
        group = Group.__new__(Group)
        group.group_id, group.me, group._changes, group._fold = self.group_id, self.me, result.changes, None
        return group, result

    # ------------------------------------------------------------------ messages and sync

    def decide_text(self, sender: str, tag: GroupTag, *, caught_up: bool) -> TextDecision:
        now = self.state
        then = None if now is None or tag.version > now.version else self.at(tag.version)
        return decide_text(now, then, sender, tag, caught_up=caught_up)

    def tag(self) -> GroupTag:
        """What our group texts say of the group (its version and digest as we hold them)."""
        now = self.state
        if now is None:
            raise ValueError("the group's create is not known")
        return GroupTag(self.group_id, now.version, now.digest)

    def sync_due(self, tag: GroupTag) -> bool:
        return sync_due(self.state, tag)

    def answers_sync(self, asker: str, want: bool) -> bool:
        return answers_sync(self.state, asker, want)

    def state_payloads(self, *, want: bool) -> list[GroupStatePayload]:
        """Every change we have, split into ``group_state`` payloads within the payload limit."""
        return state_payloads(self.group_id, self._changes.values(), want=want)

    def __repr__(self) -> str:
        return f"Group(changes={len(self._changes)})"


# --------------------------------------------------------------------------- the cached state


def state_to_json(state: GroupState) -> dict[str, Any]:
    return {
        "v": CACHE_VERSION,
        "g": state.group_id,
        "name": state.name,
        "version": state.version,
        "digest": state.digest,
        "members": [[member.phone, member.position] for member in state.members],
        "admins": sorted(state.admins),
        "own": state.own.value,
        "by": state.created_by,
    }


def state_from_json(obj: object) -> GroupState:
    """A cached state; ValueError when it is not one (damaged, or of a later version)."""
    if not isinstance(obj, dict) or obj.get("v") != CACHE_VERSION:
        raise ValueError("not a cached group state of this version")
    try:
        members = tuple(Member(str(phone), int(position)) for phone, position in obj["members"])
        state = GroupState(
            group_id=str(obj["g"]),
            name=str(obj["name"]),
            version=int(obj["version"]),
            digest=str(obj["digest"]),
            members=members,
            admins=frozenset(str(phone) for phone in obj["admins"]),
            own=OwnStanding(obj["own"]),
            created_by=str(obj["by"]),
        )
    except (KeyError, TypeError, ValueError):
        raise ValueError("a cached group state is damaged") from None
    if state_to_json(state) != obj:  # every field of its type, nothing else
        raise ValueError("a cached group state is damaged")
    return state
