"""The outbox's decisions without a network: which entries go, what needs a session, what replies mean,
and when a paused contact is tried again (a fake monotonic clock, no waiting)."""

from __future__ import annotations

from fake_clock import FakeClock

from net.client.core import outbox_plan as plan
from net.client.core.backoff import Backoff
from net.client.core.outbox_plan import PAUSE_SECONDS, Verdict
from net.client.outbox import Entry
from storage.profile.delivery import OutboxItem

BOB, CAROL = "+442079460302", "+442079460303"


def item(contact: str, client_id: str) -> OutboxItem:
    return OutboxItem(client_id, contact, b"", 0.0)


def text(contact: str, client_id: str) -> tuple[OutboxItem, Entry]:
    return item(contact, client_id), Entry(f"m-{client_id}", b"text")


def receipt(contact: str, client_id: str) -> tuple[OutboxItem, Entry]:
    return item(contact, client_id), Entry(None, b"receipt")


def ids(entries: list) -> list[str]:
    return [entry[0].client_id for entry in entries]


def _half(n: int) -> bytes:
    return b"\x80" + bytes(n - 1)  # the jitter is exactly half of the ceiling


def test_paused_contacts_wait_and_texts_to_a_held_contact_wait_but_its_receipts_go() -> None:
    pending = [text(BOB, "1"), receipt(BOB, "2"), text(CAROL, "3"), text(CAROL, "4")]
    chosen = plan.select(pending, held={BOB}, paused={CAROL: 10.0}, now=9.9)
    assert ids(chosen) == ["2"]
    assert ids(plan.select(pending, held=set(), paused={CAROL: 10.0}, now=10.0)) == ["1", "2", "3", "4"]


def test_batches_keep_the_order_and_the_size() -> None:
    pending = [text(BOB, str(n)) for n in range(5)]
    assert [ids(b) for b in plan.batches(pending, size=2)] == [["0", "1"], ["2", "3"], ["4"]]
    assert plan.batches([], size=2) == []


def test_only_contacts_without_a_session_need_a_bundle_once_each_in_a_stable_order() -> None:
    batch = [text(CAROL, "1"), text(BOB, "2"), text(CAROL, "3")]
    assert plan.needing_session(batch, lambda contact: False) == [BOB, CAROL]
    assert plan.needing_session(batch, lambda contact: contact == BOB) == [CAROL]


def test_a_session_refused_for_good_fails_its_entries_and_a_busy_one_keeps_them() -> None:
    batch = [text(BOB, "1"), text(CAROL, "2"), receipt(BOB, "3"), text("+15550100", "4")]
    go, failed = plan.sealable(batch, busy={CAROL}, refused={BOB: ("unknown_account", "no such account")})
    assert ids(go) == ["4"]
    assert [(i.client_id, code) for i, _e, code, _m in failed] == [
        ("1", "unknown_account"),
        ("3", "unknown_account"),
    ]


def test_replies_are_judged_in_order_fatal_busy_and_queue_full() -> None:
    replies = [
        (*text(BOB, "1"), None),
        (*text(BOB, "2"), ("queue_full", "their queue is full")),
        (*text(CAROL, "3"), ("rate_limited", "slow down")),
        (*text(CAROL, "4"), ("unknown_account", "gone")),
        (*text(CAROL, "5"), ("frame_too_large", "too big")),
    ]
    results = plan.judge(replies)
    assert ids(results.done) == ["1"]
    assert [(i.client_id, code) for i, _e, code, _m in results.failed] == [
        ("4", "unknown_account"),
        ("5", "frame_too_large"),
    ]
    assert results.pauses == [(BOB, Verdict.PAUSE), (CAROL, Verdict.BUSY)]
    for code in ("storage_full", "storage_unavailable", "server_error", "rate_limited"):
        assert plan.verdict(code) is Verdict.BUSY
    assert plan.verdict("bad_request") is Verdict.FATAL
    assert plan.verdict("queue_full") is Verdict.PAUSE


def test_a_full_queue_pauses_the_contact_for_thirty_seconds_then_the_outbox_is_due_again() -> None:
    clock = FakeClock()
    paused: dict[str, float] = {}
    busy = Backoff(clock=clock, random=_half)
    plan.apply_pauses(paused, busy, [(BOB, Verdict.PAUSE)], clock())
    assert paused == {BOB: clock() + PAUSE_SECONDS} and busy.failures == 0
    clock.advance(PAUSE_SECONDS - 0.5)
    assert not plan.due(False, paused, clock())
    assert plan.due(True, paused, clock())  # something new was added meanwhile
    assert plan.expire(paused, clock()) == paused
    clock.advance(0.5)
    assert plan.due(False, paused, clock())
    assert plan.expire(paused, clock()) == {}


def test_a_busy_server_pauses_each_contact_one_backoff_step_per_round_with_jitter() -> None:
    clock = FakeClock()
    paused: dict[str, float] = {}
    busy = Backoff(clock=clock, random=_half)
    plan.apply_pauses(paused, busy, [(BOB, Verdict.BUSY), (BOB, Verdict.BUSY)], clock())
    assert busy.failures == 1  # two entries refused in one round: one step
    assert paused[BOB] == clock() + 0.25  # half of the first ceiling, 0.5 s
    plan.apply_pauses(paused, busy, [(CAROL, Verdict.BUSY)], clock())
    assert busy.failures == 2 and paused[CAROL] == clock() + 0.5  # half of 1 s
    clock.advance(0.25)
    plan.apply_pauses(paused, busy, [(BOB, Verdict.BUSY)], clock())  # the next round, refused again
    assert busy.failures == 3 and paused[BOB] == clock() + 1.0
    assert not plan.due(False, {BOB: paused[BOB]}, clock() + 0.99)


def test_a_busy_server_holds_a_contacts_session_and_any_other_refusal_fails_it() -> None:
    busy, refused = plan.split_session_refusals(
        {"+1": ("rate_limited", "slow"), "+2": ("unknown_account", "no one"), "+3": ("server_error", "x")}
    )
    assert busy == {"+1", "+3"}
    assert refused == {"+2": ("unknown_account", "no one")}


def test_a_contact_paused_by_one_batch_sits_out_the_later_batches_of_the_flush() -> None:
    clock = FakeClock()
    paused: dict[str, float] = {}
    later = [text(BOB, "3"), text(CAROL, "4"), receipt(BOB, "5")]
    assert ids(plan.unpaused(later, paused, clock())) == ["3", "4", "5"]
    plan.apply_pauses(paused, Backoff(clock=clock, random=_half), [(BOB, Verdict.PAUSE)], clock())
    assert ids(plan.unpaused(later, paused, clock())) == ["4"]


def test_a_full_contact_is_tried_with_its_oldest_entry_alone_until_one_is_accepted() -> None:
    clock = FakeClock()
    paused: dict[str, float] = {}
    full: set[str] = set()
    plan.apply_pauses(paused, Backoff(clock=clock, random=_half), [(BOB, Verdict.PAUSE)], clock(), full)
    assert full == {BOB}
    pending = [text(BOB, "1"), text(CAROL, "2"), receipt(BOB, "3"), text(BOB, "4")]
    clock.advance(PAUSE_SECONDS)
    assert ids(plan.select(pending, held=set(), paused=paused, now=clock(), full=full)) == ["1", "2"]
    # One entry of Bob's accepted in a batch where another was refused as full: he stays full.
    mixed = plan.judge([(*text(BOB, "1"), None), (*text(BOB, "4"), ("queue_full", "full"))])
    assert not plan.settle(full, mixed) and full == {BOB}
    assert not plan.settle(full, plan.judge([(*text(CAROL, "2"), None)]))  # Carol's was never full
    assert plan.settle(full, plan.judge([(*text(BOB, "1"), None)])) and full == set()
    everything = plan.select(pending, held=set(), paused=paused, now=clock(), full=full)
    assert ids(everything) == ["1", "2", "3", "4"]


def test_a_message_from_a_full_contact_ends_their_pause_and_no_other() -> None:
    clock = FakeClock()
    paused: dict[str, float] = {}
    full: set[str] = set()
    busy = Backoff(clock=clock, random=_half)
    plan.apply_pauses(paused, busy, [(BOB, Verdict.PAUSE), (CAROL, Verdict.BUSY)], clock(), full)
    assert not plan.heard_from(paused, full, CAROL)  # a busy server is not theirs to end
    assert plan.heard_from(paused, full, BOB)
    assert BOB not in paused and CAROL in paused and full == {BOB}  # the next try is one entry
    assert plan.due(False, paused, clock()) is False  # nothing expired: the caller marks the outbox dirty
    assert not plan.heard_from(paused, full, BOB)  # once


# ---------------------------------------------------------------------------- devices

ME = "+442079460301"


def test_an_entry_is_sealed_for_every_device_of_its_contact_and_a_sync_entry_for_our_other_devices() -> None:
    assert plan.addresses(BOB, [3, 1, 2], me=ME, own=1) == [(BOB, 1), (BOB, 2), (BOB, 3)]
    assert plan.addresses(ME, [1, 2, 4], me=ME, own=2) == [(ME, 1), (ME, 4)]
    assert plan.addresses(ME, [2], me=ME, own=2) == []  # no other device: nothing to sync


def test_one_device_goes_as_before_and_any_other_set_fans_out() -> None:
    assert not plan.fans_out([1], to_self=False, own=1)
    assert plan.fans_out([1, 2], to_self=False, own=1)
    assert plan.fans_out([2], to_self=False, own=1)  # device 1 unlinked: the one device must be named
    assert not plan.fans_out([1, 2], to_self=True, own=2)
    assert plan.fans_out([1, 2, 3], to_self=True, own=1)


def test_a_device_change_says_what_was_added_and_removed() -> None:
    change = plan.device_change([1, 2], [1, 3, 4])
    assert change == plan.DeviceChange(added=(3, 4), removed=(2,))
    assert not plan.device_change([2, 1], [1, 2])
    assert plan.own_others([3, 1, 2], 1) == [2, 3]


def test_devices_changed_is_retried_at_once_once_then_waits_the_backoff() -> None:
    assert plan.retry_at_once("devices_changed", "m-1", retried=set())
    assert not plan.retry_at_once("devices_changed", "m-1", retried={"m-1"})
    assert not plan.retry_at_once("queue_full", "m-1", retried=set())
    assert plan.verdict("devices_changed") is Verdict.BUSY
