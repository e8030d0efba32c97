"""People with fixed identities who make signed group changes, for the tests of the groups' core."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable

from crypto_core.encoding import RandomSource
from crypto_core.keys import IdentityKeyPair
from net.client.core import group_making as making
from net.client.core.group_changes import Change, ChangeKind, SignedChange, new_id, sign
from net.client.core.groups import Group

# Ofcom's numbers for drama: valid E.164, nobody's phone.
ALICE, BOB, CAROL, DAVE, ERIN, FRANK = (f"+44207946{n:04d}" for n in (101, 102, 103, 104, 105, 106))
PEOPLE = (ALICE, BOB, CAROL, DAVE, ERIN, FRANK)
NOW_MS = 1_700_000_000_000


def identity(phone: str) -> IdentityKeyPair:
    """The same identity for a phone in every test run."""
    seed = hashlib.sha256(f"group tests {phone}".encode()).digest()
    return IdentityKeyPair.generate(lambda n: (seed * 2)[:n])


IDENTITIES = {phone: identity(phone) for phone in PEOPLE}
KEYS = {phone: key.public.signing_key for phone, key in IDENTITIES.items()}

_draws = itertools.count()


def random() -> RandomSource:
    """Distinct bytes on every draw of the run (never random, never the same twice)."""
    return lambda n: hashlib.sha256(f"draw {next(_draws)}".encode()).digest()[:n]


def created(name: str = "Book club", members: Iterable[str] = (BOB, CAROL), by: str = ALICE) -> SignedChange:
    return making.create(IDENTITIES[by], by, name, list(members), now_ms=NOW_MS, random=random())


def change(
    create: SignedChange, by: str, version: int, kind: ChangeKind, *, who: str = "", name: str = ""
) -> SignedChange:
    """Any change, made by hand (the fold's rules are not checked, as a hostile client would not)."""
    made = Change(create.change.group_id, new_id(random()), by, version, kind, NOW_MS + version, who, name)
    return sign(IDENTITIES[by], made)


def group(me: str, *changes: SignedChange) -> Group:
    return Group(changes[0].change.group_id, me, changes)
