"""How a group shows: its view with the members' names and marks, our standing, who invited us.

Shared by the commands (:mod:`net.client.groups`) and what arrives (:mod:`net.client.group_inbox`).
"""

from __future__ import annotations

from net.client import group_log
from net.client.context import Context, key_id
from net.client.core.events import GroupMemberView, GroupView
from net.client.core.group_changes import ChangeKind
from net.client.core.group_state import GroupState, OwnStanding
from net.client.core.groups import Group
from net.client.core.standing import Standing
from storage.profile.groups import LEFT, MEMBER, REMOVED, StoredGroup

#: The settings record of declined (and blocked) groups' ids.
DECLINED = "groups.declined"


def declined(ctx: Context, group_id: str) -> bool:
    ids = ctx.profile.settings.get(DECLINED)
    return isinstance(ids, list) and group_id in ids


def inviter_of(group: Group) -> str:
    """Who brought us in: the author of the latest valid add of us, else the group's creator."""
    me, by = group.me, ""
    for applied in group.fold.applied:
        change = applied.change
        if change.kind is ChangeKind.ADD and change.who == me:
            by = change.by
        elif change.kind is ChangeKind.CREATE:
            by = by or change.by
    return by


def view(ctx: Context, stored: StoredGroup) -> GroupView:
    state = group_log.load(ctx, stored.group_id).state
    me = ctx.me()
    members = tuple(member_view(ctx, state, phone, me) for phone in (state.phones if state else ()))
    return GroupView(
        group_id=stored.group_id,
        name=state.name if state else "",
        members=members,
        standing=stored.standing,
        version=state.version if state else 0,
        created=stored.created_at,
        created_by=state.created_by if state else "",
        admin=bool(state and state.is_admin(me) and state.own is OwnStanding.MEMBER),
    )


def own_standing(stored_standing: str, state: GroupState | None) -> str:
    """Our standing after a fold: out when the changes say so; an invitation stays one until accepted."""
    if state is None:
        return stored_standing
    if state.own is OwnStanding.REMOVED:
        return REMOVED
    if state.own is OwnStanding.LEFT:
        return LEFT
    if state.own is OwnStanding.MEMBER and stored_standing in (LEFT, REMOVED):
        return MEMBER
    return stored_standing


def member_view(ctx: Context, state: GroupState | None, phone: str, me: str) -> GroupMemberView:
    contact = ctx.profile.contacts.get(phone)
    if phone == me or contact is None:
        return GroupMemberView(
            phone, "", bool(state and state.is_admin(phone)), False, phone == me, me=phone == me
        )
    return GroupMemberView(
        phone,
        contact.name or contact.profile_name,
        bool(state and state.is_admin(phone)),
        contact.verified,
        contact.identity is not None,
        standing=contact.standing if contact.standing != Standing.REQUEST.value else "",
        key_changed=contact.key_changed,
        key_id=key_id(contact),
    )
