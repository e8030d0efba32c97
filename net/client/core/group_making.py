"""Making a change as the person's command asks: checked against the rules first, then signed.

Each function checks the command against the group as we hold it, with the
same rules the fold applies (:mod:`net.client.core.group_state`), so a change we
make is never one our own fold ignores; a command that breaks one is
:class:`GroupChangeRefused` with a code and words for the person. The change id
(and so a new group's id) comes from the injected randomness, the time from the
injected clock, so known-answer tests can pin every byte; the version is one
above the highest we know (concurrent changes of two admins share it).
"""

from __future__ import annotations

from crypto_core.encoding import RandomSource
from crypto_core.keys import IdentityKeyPair
from net.client.core.group_changes import (
    MAX_MEMBERS,
    Change,
    ChangeKind,
    SignedChange,
    group_id_for,
    new_id,
    sign,
)
from net.client.core.group_state import GroupState, OwnStanding
from net.client.core.groups import Group
from net.protocol.validation import ValidationError, normalize_phone, validate_display_name


class GroupChangeRefused(ValueError):
    """A group command that the rules refuse; ``str()`` is for the person, ``code`` for the engine."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def create(
    identity: IdentityKeyPair, me: str, name: str, members: list[str], *, now_ms: int, random: RandomSource
) -> SignedChange:
    """A new group named ``name`` of ``me`` and ``members`` (in this order; ``me`` need not be among them)."""
    me, checked = _phone(me), [_phone(phone) for phone in members]
    everyone = [me, *(phone for phone in dict.fromkeys(checked) if phone != me)]
    if len(everyone) > MAX_MEMBERS:
        raise GroupChangeRefused("group_full", f"A group has at most {MAX_MEMBERS} members, you included.")
    change_id = new_id(random)
    change = Change(
        group_id_for(me, change_id),
        change_id,
        me,
        1,
        ChangeKind.CREATE,
        now_ms,
        name=_name(name),
        members=tuple(everyone),
    )
    return sign(identity, change)


def add(
    identity: IdentityKeyPair, group: Group, who: str, *, now_ms: int, random: RandomSource
) -> SignedChange:
    state = _as_admin(group)
    phone = _phone(who)
    if state.is_member(phone):
        raise GroupChangeRefused("already_a_member", "They are in the group already.")
    if len(state.members) >= MAX_MEMBERS:
        raise GroupChangeRefused("group_full", f"A group has at most {MAX_MEMBERS} members.")
    return _make(identity, group, ChangeKind.ADD, now_ms, random, who=phone)


def remove(
    identity: IdentityKeyPair, group: Group, who: str, *, now_ms: int, random: RandomSource
) -> SignedChange:
    state = _as_admin(group)
    phone = _member(state, who)
    return _make(identity, group, ChangeKind.REMOVE, now_ms, random, who=phone)


def make_admin(
    identity: IdentityKeyPair, group: Group, who: str, *, now_ms: int, random: RandomSource
) -> SignedChange:
    state = _as_admin(group)
    phone = _member(state, who)
    if state.is_admin(phone):
        raise GroupChangeRefused("already_an_admin", "They are an admin already.")
    return _make(identity, group, ChangeKind.ADMIN, now_ms, random, who=phone)


def take_admin(
    identity: IdentityKeyPair, group: Group, who: str, *, now_ms: int, random: RandomSource
) -> SignedChange:
    state = _as_admin(group)
    phone = _member(state, who)
    if not state.is_admin(phone):
        raise GroupChangeRefused("target_not_admin", "They are not an admin.")
    if state.admins == {phone}:
        raise GroupChangeRefused("last_admin", "A group needs an admin: make someone else admin first.")
    return _make(identity, group, ChangeKind.UNADMIN, now_ms, random, who=phone)


def leave(identity: IdentityKeyPair, group: Group, *, now_ms: int, random: RandomSource) -> SignedChange:
    _as_member(group)
    return _make(identity, group, ChangeKind.LEAVE, now_ms, random)


def rename(
    identity: IdentityKeyPair, group: Group, name: str, *, now_ms: int, random: RandomSource
) -> SignedChange:
    _as_admin(group)
    return _make(identity, group, ChangeKind.RENAME, now_ms, random, name=_name(name))


# --------------------------------------------------------------------------- checks


def _make(
    identity: IdentityKeyPair,
    group: Group,
    kind: ChangeKind,
    now_ms: int,
    random: RandomSource,
    *,
    who: str = "",
    name: str = "",
) -> SignedChange:
    if not group.can_change():
        raise GroupChangeRefused(
            "group_log_full", "This group can take no more changes. Start a new group to go on."
        )
    change = Change(group.group_id, new_id(random), group.me, group.next_version(), kind, now_ms, who, name)
    return sign(identity, change)


def _as_member(group: Group) -> GroupState:
    state = group.state
    if state is None or state.own is not OwnStanding.MEMBER:
        raise GroupChangeRefused("not_a_member", "You are not a member of this group.")
    return state


def _as_admin(group: Group) -> GroupState:
    state = _as_member(group)
    if not state.is_admin(group.me):
        raise GroupChangeRefused("not_an_admin", "Only an admin of the group can do that.")
    return state


def _member(state: GroupState, who: str) -> str:
    phone = _phone(who)
    if not state.is_member(phone):
        raise GroupChangeRefused("not_in_group", "They are not in the group.")
    return phone


def _phone(text: str) -> str:
    try:
        return normalize_phone(text)
    except ValidationError as exc:
        raise GroupChangeRefused("bad_phone", str(exc)) from None


def _name(text: str) -> str:
    try:
        return validate_display_name(text)
    except ValidationError as exc:
        raise GroupChangeRefused("bad_name", str(exc)) from None
