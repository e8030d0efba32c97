"""Making each kind of change: checked by the fold's rules first, versioned, signed, from injected random."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from group_support import ALICE, BOB, CAROL, DAVE, IDENTITIES, KEYS, NOW_MS, change, created, group, random
from known_answers import counting_random

from net.client.core import group_making as making
from net.client.core.group_changes import MAX_MEMBERS, MAX_VERSION, ChangeKind, SignedChange, signature_valid
from net.client.core.group_making import GroupChangeRefused
from net.client.core.group_state import ChangeOutcome
from net.client.core.groups import Group

CREATE = created("Club", [BOB, CAROL])


def _made(author: str, held: Group, make: Callable[..., SignedChange], *args: str) -> Group:
    """``author`` makes a change on ``held``: signed, versioned, and valid in the author's own fold."""
    signed = make(IDENTITIES[author], held, *args, now_ms=NOW_MS + 5, random=random())
    assert signature_valid(signed, KEYS[author])
    assert signed.change.by == author and signed.change.version == held.next_version()
    after, _ = held.merged([signed])
    assert after.outcome(signed.change_id) is ChangeOutcome.VALID
    return after


def test_a_create_puts_us_first_drops_repeats_and_draws_its_id_from_the_randomness() -> None:
    draws = counting_random()
    signed = making.create(
        IDENTITIES[ALICE], ALICE, "  Club  ", [BOB, ALICE, BOB], now_ms=NOW_MS, random=draws
    )
    assert signed.change.members == (ALICE, BOB) and signed.change.name == "Club"
    assert signed.change.change_id == "AAAAAAAAAAAAAAAAAAAAAA"  # the first draw of the counter: zero
    again = making.create(IDENTITIES[ALICE], ALICE, "Club", [BOB], now_ms=NOW_MS, random=counting_random())
    assert again.change.group_id == signed.change.group_id  # the same randomness, the same group
    assert signed.change.version == 1 and signed.change.sent_at_ms == NOW_MS


def test_a_create_refuses_too_many_members_a_bad_number_or_a_bad_name() -> None:
    many = [f"+4420794{n:05d}" for n in range(60_200, 60_200 + MAX_MEMBERS)]
    cases = [(many, "Club", "group_full"), (["+1 555"], "Club", "bad_phone"), ([BOB], "", "bad_name")]
    cases.append(([BOB], "tab\there", "bad_name"))
    for members, name, code in cases:
        with pytest.raises(GroupChangeRefused) as caught:
            making.create(IDENTITIES[ALICE], ALICE, name, members, now_ms=NOW_MS, random=random())
        assert caught.value.code == code and str(caught.value)
    full = making.create(IDENTITIES[ALICE], ALICE, "Club", many[:-1], now_ms=NOW_MS, random=random())
    assert len(full.change.members) == MAX_MEMBERS


def test_an_admin_adds_grants_takes_renames_and_removes() -> None:
    held = group(ALICE, CREATE)
    held = _made(ALICE, held, making.add, DAVE)
    held = _made(ALICE, held, making.make_admin, BOB)
    held = _made(ALICE, held, making.take_admin, BOB)
    held = _made(ALICE, held, making.rename, "Reading circle")
    held = _made(ALICE, held, making.remove, CAROL)
    state = held.state
    assert state is not None and state.phones == (ALICE, BOB, DAVE) and state.name == "Reading circle"
    assert state.version == 6 and state.admins == {ALICE}


def test_a_member_may_leave_and_then_may_do_nothing() -> None:
    held = _made(BOB, group(BOB, CREATE), making.leave)
    with pytest.raises(GroupChangeRefused) as caught:
        making.leave(IDENTITIES[BOB], held, now_ms=NOW_MS, random=random())
    assert caught.value.code == "not_a_member"


@pytest.mark.parametrize(
    ("make", "args", "code"),
    [
        (making.add, (DAVE,), "not_an_admin"),
        (making.remove, (CAROL,), "not_an_admin"),
        (making.rename, ("Mine",), "not_an_admin"),
        (making.make_admin, (BOB,), "not_an_admin"),
    ],
)
def test_a_member_who_is_not_an_admin_is_refused(
    make: Callable[..., SignedChange], args: tuple[str], code: str
) -> None:
    with pytest.raises(GroupChangeRefused) as caught:
        make(IDENTITIES[BOB], group(BOB, CREATE), *args, now_ms=NOW_MS, random=random())
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("make", "args", "code"),
    [
        (making.add, (BOB,), "already_a_member"),
        (making.remove, (DAVE,), "not_in_group"),
        (making.make_admin, (ALICE,), "already_an_admin"),
        (making.take_admin, (BOB,), "target_not_admin"),
        (making.take_admin, (ALICE,), "last_admin"),
        (making.rename, ("",), "bad_name"),
        (making.add, ("not a number",), "bad_phone"),
    ],
)
def test_an_admin_is_refused_what_the_fold_would_ignore(
    make: Callable[..., SignedChange], args: tuple[str], code: str
) -> None:
    with pytest.raises(GroupChangeRefused) as caught:
        make(IDENTITIES[ALICE], group(ALICE, CREATE), *args, now_ms=NOW_MS, random=random())
    assert caught.value.code == code


def test_a_full_group_refuses_an_add() -> None:
    many = [f"+4420794{n:05d}" for n in range(60_200, 60_200 + MAX_MEMBERS - 1)]
    held = group(ALICE, created("Big", many))
    with pytest.raises(GroupChangeRefused) as caught:
        making.add(IDENTITIES[ALICE], held, DAVE, now_ms=NOW_MS, random=random())
    assert caught.value.code == "group_full"


def test_a_group_at_its_last_version_takes_no_more_changes() -> None:
    held = group(ALICE, CREATE, change(CREATE, ALICE, MAX_VERSION, ChangeKind.RENAME, name="End"))
    assert not held.can_change()
    with pytest.raises(GroupChangeRefused) as caught:
        making.rename(IDENTITIES[ALICE], held, "Further", now_ms=NOW_MS, random=random())
    assert caught.value.code == "group_log_full"


def test_changes_made_at_once_by_two_admins_share_a_version() -> None:
    held = _made(ALICE, group(ALICE, CREATE), making.make_admin, BOB)
    alices = making.add(IDENTITIES[ALICE], held, DAVE, now_ms=NOW_MS, random=random())
    bobs = making.remove(
        IDENTITIES[BOB], Group(held.group_id, BOB, held.ordered()), CAROL, now_ms=NOW_MS, random=random()
    )
    assert alices.change.version == bobs.change.version == 3
