"""The registration lock's slow, peppered hash."""

from __future__ import annotations

import time

from net.server.registration_lock import SALT_SIZE, LockCost, LockHasher

PEPPER = b"p" * 32
SALT = b"s" * SALT_SIZE


def test_the_hash_depends_on_lock_salt_phone_and_pepper() -> None:
    hasher = LockHasher(PEPPER)
    digest = hasher.hash("+14155550100", "correct horse", SALT)
    assert len(digest) == 32 and hasher.matches("+14155550100", "correct horse", SALT, digest)
    assert not hasher.matches("+14155550100", "correct horsf", SALT, digest)
    assert not hasher.matches("+14155550101", "correct horse", SALT, digest)
    assert not hasher.matches("+14155550100", "correct horse", b"t" * SALT_SIZE, digest)
    assert not LockHasher(b"q" * 32).matches("+14155550100", "correct horse", SALT, digest)


def test_salts_are_random_and_the_pepper_stays_out_of_the_repr() -> None:
    hasher = LockHasher(PEPPER)
    assert len(hasher.make_salt()) == SALT_SIZE and hasher.make_salt() != hasher.make_salt()
    assert "p" * 8 not in repr(hasher)


def test_the_default_cost_is_the_documented_one_and_takes_milliseconds() -> None:
    assert LockCost() == LockCost(memory_kib=19 * 1024, iterations=2, lanes=1)
    hasher = LockHasher(PEPPER)
    started = time.perf_counter()
    hasher.hash("+14155550100", "correct horse", SALT)
    assert time.perf_counter() - started < 2.0  # modest: it runs once per attempt, off the event loop
