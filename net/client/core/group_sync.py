"""Taking changes in and bringing members up to date: admission, merging, and the ``group_state`` sync.

**Admission** (:func:`admit`): a change that came straight from a member (a
``group_change`` over that member's session) must be by that member; one relayed
in a ``group_state`` may be by anyone. Either way its signature must verify with
the pinned identity of its author; a change by an author whose identity is not
known yet waits (:attr:`Admission.UNKNOWN_AUTHOR`) until a session or a bundle
gives it.

**Merging** (:func:`merge`): the union of what is known and what came, one change
per change id. Two different changes under one id (only a hostile author makes
them) are settled the same way on every member: the one whose SHA-256 of
statement and signature is lower is kept (:meth:`SignedChange.tie_break`), so the
union still folds to one state everywhere. The log holds at most
:data:`MAX_CHANGES` changes per group (valid and ignored together): past it a new
change is refused (:attr:`MergeRefusal.LOG_FULL`), not stored, and the person's own
commands say the group can take no more changes (a new group is the way on).
That is 10,000 adds, removals, renames and grants: an honest group does not come
near it, and a hostile member who fills a log costs each member a bounded few
megabytes, not the disk. Members that reach the bound holding different changes
may keep different states (said in ENGINE.md).

**Sync**: a group text whose ``(gv, gd)`` differs from ours makes us send its
sender a ``group_state`` with every change we have and ``want: true``
(:func:`sync_due`); a member asked with ``want: true`` answers with its own and
``want: false`` (:func:`answers_sync`). Both merge the union and fold again. A
``group_state`` is split over as many payloads as it needs, each at most
:data:`~net.client.core.group_payloads.STATE_PAYLOAD_LIMIT` bytes
(:func:`state_payloads`), in fold order so that the ``create`` comes first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from net.client.core.envelope import PAD_TO, compact_json, encode_payload
from net.client.core.group_changes import SignedChange, signature_valid
from net.client.core.group_payloads import (
    MAX_STATE_CHANGES,
    STATE_PAYLOAD_LIMIT,
    GroupStatePayload,
    GroupTag,
    state_fields,
)
from net.client.core.group_state import GroupState, OwnStanding

#: Changes kept per group at most (valid and ignored together).
MAX_CHANGES = 10_000


class Admission(StrEnum):
    ACCEPT = "accept"
    #: Came straight from a member but names another author: dropped.
    WRONG_AUTHOR = "wrong_author"
    #: The signature does not verify with the author's pinned identity: dropped.
    BAD_SIGNATURE = "bad_signature"
    #: We know no identity for the author yet: kept aside until a session or bundle gives it.
    UNKNOWN_AUTHOR = "unknown_author"


def admit(signed: SignedChange, *, sender: str, relayed: bool, author_key: bytes | None) -> Admission:
    """Whether a change that came from ``sender`` may join the log.

    ``relayed`` is True for a change inside a ``group_state``, False for a ``group_change``;
    ``author_key`` is the Ed25519 key of the author's pinned identity, None if there is none.
    """
    if not relayed and signed.change.by != sender:
        return Admission.WRONG_AUTHOR
    if author_key is None:
        return Admission.UNKNOWN_AUTHOR
    return Admission.ACCEPT if signature_valid(signed, author_key) else Admission.BAD_SIGNATURE


class MergeRefusal(StrEnum):
    OTHER_GROUP = "other_group"
    #: The very same change is known already.
    DUPLICATE = "duplicate"
    #: Another change under the same id is known and wins the tie.
    LOST_TIE = "lost_tie"
    LOG_FULL = "log_full"


@dataclass(frozen=True)
class Merged:
    """The log after a merge, and what the merge did."""

    changes: Mapping[str, SignedChange]
    added: tuple[SignedChange, ...] = ()
    #: Changes that took the place of a known one under the same id (their id's tie went to them).
    replaced: tuple[SignedChange, ...] = ()
    refused: tuple[tuple[SignedChange, MergeRefusal], ...] = ()

    @property
    def changed(self) -> bool:
        """Whether the log is different (a fold again is due)."""
        return bool(self.added or self.replaced)


def merge(group_id: str, known: Mapping[str, SignedChange], incoming: Iterable[SignedChange]) -> Merged:
    """The union of ``known`` (by change id) and ``incoming``, by the rules of the module's docstring."""
    changes = dict(known)
    added: dict[str, SignedChange] = {}
    replaced: dict[str, SignedChange] = {}
    refused: list[tuple[SignedChange, MergeRefusal]] = []
    for signed in incoming:
        change_id = signed.change_id
        held = changes.get(change_id)
        if signed.change.group_id != group_id:
            refused.append((signed, MergeRefusal.OTHER_GROUP))
        elif held == signed:
            refused.append((signed, MergeRefusal.DUPLICATE))
        elif held is not None and held.tie_break() <= signed.tie_break():
            refused.append((signed, MergeRefusal.LOST_TIE))
        elif held is None and len(changes) >= MAX_CHANGES:
            refused.append((signed, MergeRefusal.LOG_FULL))
        else:
            changes[change_id] = signed
            if change_id in known:
                replaced[change_id] = signed
            else:
                added[change_id] = signed
    return Merged(changes, tuple(added.values()), tuple(replaced.values()), tuple(refused))


def sync_due(state: GroupState | None, tag: GroupTag) -> bool:
    """Whether a group text tagged ``tag`` makes us ask its sender for their changes.

    A member who left or was removed asks nothing: it sends nothing to the group.
    """
    if state is None:
        return True
    if state.own is not OwnStanding.MEMBER:
        return False
    return (tag.version, tag.digest) != (state.version, state.digest)


def answers_sync(state: GroupState | None, asker: str, want: bool) -> bool:
    """Whether a ``group_state`` from ``asker`` (already merged into ``state``) gets our changes back."""
    return want and state is not None and state.own is OwnStanding.MEMBER and state.is_member(asker)


def state_payloads(
    group_id: str, changes: Iterable[SignedChange], *, want: bool, limit: int = STATE_PAYLOAD_LIMIT
) -> list[GroupStatePayload]:
    """Every change, in fold order, in as few ``group_state`` payloads as fit within ``limit`` bytes.

    The first payload carries ``want``, the others ``want: false`` (one answer is enough).
    Always at least one payload, so an empty log can still ask.
    """
    ordered = sorted(changes, key=lambda signed: signed.change.order)
    # Each change's share of a payload is counted once (its JSON and a comma), not re-encoded.
    empty = len(compact_json(state_fields(GroupStatePayload(group_id, (), False))))
    parts: list[list[SignedChange]] = [[]]
    size = empty
    for signed in ordered:
        share = len(compact_json(signed.to_json())) + 1
        part = parts[-1]
        if part and (len(part) >= MAX_STATE_CHANGES or _padded_size(size + share - 1) > limit):
            parts.append([])
            part, size = parts[-1], empty
        part.append(signed)
        size += share
    payloads = [GroupStatePayload(group_id, tuple(part), want and i == 0) for i, part in enumerate(parts)]
    if any(len(encode_payload(payload)) > limit for payload in payloads):
        raise ValueError("a single group change is larger than the payload limit")
    return payloads


def _padded_size(size: int) -> int:
    return size + (-size % PAD_TO)
