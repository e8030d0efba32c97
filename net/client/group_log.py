"""A group's log in the profile: read it as a :class:`Group`, take changes in, fold, store, and note.

Every change that joins the log is admitted first (:func:`group_sync.admit`: its author,
its signature against the author's pinned identity); one whose author we hold no identity
for is stored as ``waiting`` and admitted again each time the group is read. After a merge
the group is folded once, each change's outcome stored, the folded state cached, and each
change that became valid or ignored for the first time leaves one note in the timeline
(``mark_noted`` makes that at most once per change, across restarts).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from net.client.context import Context, message_view
from net.client.core.events import MessageView
from net.client.core.group_changes import BadGroupChange, ChangeKind, SignedChange, parse_signed
from net.client.core.group_state import ChangeOutcome, Fold, GroupState
from net.client.core.group_sync import Admission, admit
from net.client.core.groups import Group, state_from_json, state_to_json
from storage.profile.groups import NewChange, StoredGroup
from storage.profile.messages import GroupChat

WAITING = "waiting"
#: The timeline's kind of note for each applied change.
NOTE_OF = {
    ChangeKind.CREATE: "group_created",
    ChangeKind.ADD: "member_added",
    ChangeKind.REMOVE: "member_removed",
    ChangeKind.LEAVE: "member_left",
    ChangeKind.RENAME: "group_renamed",
    ChangeKind.ADMIN: "admin_granted",
    ChangeKind.UNADMIN: "admin_taken",
}


@dataclass
class Taken:
    """What taking changes in did: the group after, whether it changed, and the notes it left."""

    group: Group
    changed: bool = False
    notices: list[MessageView] = field(default_factory=list)
    #: Changes kept aside until their author's identity is known.
    waiting: int = 0


def author_key(ctx: Context, phone: str) -> bytes | None:
    if phone == ctx.me():
        return ctx.require_identity().public.signing_key
    contact = ctx.profile.contacts.get(phone)
    return None if contact is None or contact.identity is None else contact.identity.signing_key


def load(ctx: Context, group_id: str) -> Group:
    """The group's admitted changes as a :class:`Group` (waiting ones are not in it: see :func:`waiting`)."""
    admitted: list[SignedChange] = []
    waiting: list[SignedChange] = []
    for stored in ctx.profile.groups.changes(group_id):
        try:
            signed = parse_signed(stored.signed)
        except BadGroupChange:
            continue  # stored by us after parsing: only damage gets here, and damage costs only itself
        (waiting if stored.outcome == WAITING else admitted).append(signed)
    if waiting:
        ctx.group_authors.update(signed.change.by for signed in waiting)
    return Group(group_id, ctx.me(), admitted)


def cached_state(ctx: Context, stored: StoredGroup) -> GroupState | None:
    """The group now, as :func:`take` cached it when a change last arrived, without reading the log.

    A text and its fan-out need only the members, the version and the digest: folding the signed
    log (parsing each change, checking each number) for every message would cost its sender more
    than sealing the copies. A cache that is missing or does not read is folded from the log.
    """
    if stored.state is not None:
        try:
            state = state_from_json(stored.state)
        except ValueError:
            state = None
        if state is not None and state.group_id == stored.group_id:
            return state
    return load(ctx, stored.group_id).state


def waiting(ctx: Context, group_id: str) -> list[SignedChange]:
    """The group's changes kept aside until their author's identity is known."""
    found = []
    for stored in ctx.profile.groups.changes(group_id, outcome=WAITING):
        try:
            found.append(parse_signed(stored.signed))
        except BadGroupChange:
            continue
    return found


def take(
    ctx: Context, group: Group, incoming: Iterable[SignedChange], *, sender: str, relayed: bool
) -> Taken:
    """Admit, merge, fold and store ``incoming``; call inside the transaction that stores what brought it."""
    admitted: list[SignedChange] = []
    waiting: list[SignedChange] = []
    for signed in incoming:
        verdict = admit(signed, sender=sender, relayed=relayed, author_key=author_key(ctx, signed.change.by))
        if verdict is Admission.ACCEPT:
            admitted.append(signed)
        elif verdict is Admission.UNKNOWN_AUTHOR:
            waiting.append(signed)
    store = ctx.profile.groups
    if store.get(group.group_id) is None:
        store.upsert(group.group_id, "member")
    if waiting:
        store.put_changes(group.group_id, [_new(signed, WAITING) for signed in waiting])
        ctx.group_authors.update(signed.change.by for signed in waiting)
    merged_group, merged = group.merged(admitted)
    taken = Taken(merged_group, merged.changed, waiting=len(waiting))
    if not merged.changed:
        return taken
    outcomes = merged_group.fold.outcomes()
    fresh = [*merged.added, *merged.replaced]
    store.put_changes(
        group.group_id,
        [_new(signed, outcomes.get(signed.change_id, ChangeOutcome.UNFOLDED).value) for signed in fresh],
    )
    store.set_outcomes(group.group_id, {cid: outcome.value for cid, outcome in outcomes.items()})
    state = merged_group.state
    if state is not None:
        store.save_state(group.group_id, state_to_json(state))
    taken.notices = _note(ctx, merged_group.fold, group.group_id)
    return taken


def _new(signed: SignedChange, outcome: str) -> NewChange:
    change = signed.change
    return NewChange(change.change_id, change.version, change.by, signed.to_json(), outcome)


def _note(ctx: Context, folded: Fold, group_id: str) -> list[MessageView]:
    """One timeline note per change folded (valid or ignored) for the first time."""
    kinds = {a.change.change_id: (a.change, NOTE_OF[a.change.kind], "", a.handoff) for a in folded.applied}
    kinds.update(
        (i.change.change_id, (i.change, "change_ignored", i.reason.value, "")) for i in folded.ignored
    )
    fresh = ctx.profile.groups.mark_noted(group_id, list(kinds))
    notes = []
    chat = GroupChat(group_id)
    for change_id in sorted(fresh, key=lambda cid: kinds[cid][0].order):
        change, kind, reason, handoff = kinds[change_id]
        meta = {"k": kind, "by": change.by, "who": change.who, "name": change.name, "kind": change.kind.value}
        if reason:
            meta["reason"] = reason
        if handoff:
            meta["handoff"] = handoff
        stored = ctx.profile.history.add_notice(
            chat,
            client_id=f"n-{change_id}",
            kind="group_change_ignored" if reason else "group_change",
            # At the author's time of the change (never later than now): a create and the first text
            # taken in one login then read in the order they were written, the note first.
            timestamp=min(ctx.clock(), change.sent_at_ms / 1000) if change.sent_at_ms > 0 else ctx.clock(),
            meta=meta,
        )
        notes.append(message_view(stored))
    return notes
