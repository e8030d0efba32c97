"""The duties' decisions without a network: pages to fetch, ids to acknowledge and keep, healing's gap and
limit, and when prekeys are checked, topped up and rotated (the time is an argument, nothing waits)."""

from __future__ import annotations

from fake_clock import FakeClock

from net.client.core import duties_plan as plan
from net.client.core.duties_plan import (
    CHECK_EVERY,
    HEAL_EVERY,
    HEAL_LIMIT,
    HEAL_WINDOW,
    LOW,
    PREKEYS_RETRY,
    ROTATE_AFTER,
    TARGET,
    FetchPage,
    Heal,
    Wanted,
)
from net.client.core.envelope import MAX_IDS, SessionReset
from net.protocol.schema import MAX_ACK, MAX_FETCH

BOB, CAROL = "+442079460302", "+442079460303"


# ---------------------------------------------------------------------- fetching


def test_fetching_starts_at_the_beginning_with_a_full_page() -> None:
    assert plan.first_page() == FetchPage(after=0, limit=MAX_FETCH)


def test_the_next_page_starts_after_the_highest_id_seen_while_more_wait() -> None:
    page = FetchPage(after=10, limit=50)
    assert plan.next_page(page, [12, 17, 14], more=True) == FetchPage(after=17, limit=50)
    assert plan.next_page(page, [3, None], more=True) == FetchPage(after=10, limit=50)  # never backwards


def test_fetching_ends_when_nothing_more_waits_or_a_page_came_back_empty() -> None:
    page = FetchPage(after=0, limit=50)
    assert plan.next_page(page, [1, 2], more=False) is None
    assert plan.next_page(page, [], more=True) is None  # the server said more, but gave nothing: no spin


def test_a_page_too_large_for_a_frame_is_halved_down_to_one_message() -> None:
    page = FetchPage(after=7, limit=5)
    sizes = []
    while (smaller := plan.smaller_page(page, "frame_too_large")) is not None:
        page = smaller
        sizes.append(page.limit)
    assert sizes == [2, 1] and page.after == 7


def test_any_other_refusal_of_a_fetch_is_not_retried_smaller() -> None:
    assert plan.smaller_page(FetchPage(0, 100), "rate_limited") is None
    assert plan.smaller_page(FetchPage(0, 100), "bad_request") is None


def test_a_page_that_could_not_be_stored_goes_before_what_was_kept() -> None:
    assert plan.keep_unstored(["f1", "f2"], ["p1"]) == ["f1", "f2", "p1"]


def test_busy_refusals_are_retried_later_and_others_are_errors() -> None:
    busy = ("rate_limited", "storage_full", "storage_unavailable", "server_error")
    assert all(plan.retry_later(code) for code in busy)
    assert not plan.retry_later("bad_request") and not plan.retry_later("frame_too_large")


# ---------------------------------------------------------------------- acknowledging


def test_kept_ids_are_acknowledged_first_and_each_id_once() -> None:
    assert plan.to_acknowledge([5, 6], [6, 7, 5, 8]) == [5, 6, 7, 8]
    assert plan.to_acknowledge([], []) == []


def test_ids_are_acknowledged_in_chunks_the_schema_allows() -> None:
    pending = list(range(1, 2 * MAX_ACK + 2))
    chunks = plan.ack_chunks(pending)
    assert [len(chunk) for chunk in chunks] == [MAX_ACK, MAX_ACK, 1]
    assert [i for chunk in chunks for i in chunk] == pending
    assert plan.ack_chunks([]) == []


def test_a_chunk_refused_as_busy_keeps_it_and_everything_after_it() -> None:
    chunks = plan.ack_chunks(list(range(10)), size=4)
    assert plan.unacknowledged(chunks, 0) == list(range(10))
    assert plan.unacknowledged(chunks, 1) == [4, 5, 6, 7, 8, 9]  # the first chunk went through
    assert plan.unacknowledged(chunks, 2) == [8, 9]


# ---------------------------------------------------------------------- healing


def test_healing_waits_its_gap_per_contact_and_a_clock_set_back_does_not_stretch_it() -> None:
    now = 5000.0
    assert not plan.heal_held_off(now, None)  # never healed with this contact
    after = now + HEAL_EVERY
    assert plan.heal_held_off(now + HEAL_EVERY - 1, after)
    assert not plan.heal_held_off(now + HEAL_EVERY, after)
    assert not plan.heal_held_off(now - 3600, after)  # set back an hour: the gap would be over an hour
    assert [plan.may_start_session(n) for n in range(HEAL_LIMIT + 1)] == [True] * HEAL_LIMIT + [False]


def test_an_unreadable_message_starts_a_session_then_waits_the_gap_per_contact() -> None:
    healing, asked = plan.Healing(), []

    def heals_since(since: float) -> int:
        asked.append(since)
        return 0

    now = 1000.0
    assert healing.decide(BOB, now, known=True, heals_since=heals_since) is Heal.NEW_SESSION
    assert asked == [now - HEAL_WINDOW]
    assert healing.decide(BOB, now + HEAL_EVERY - 1, known=True, heals_since=heals_since) is Heal.NOTHING
    assert healing.decide(CAROL, now + 1, known=True, heals_since=heals_since) is Heal.NEW_SESSION
    assert healing.decide(BOB, now + HEAL_EVERY, known=True, heals_since=heals_since) is Heal.NEW_SESSION


def test_beyond_the_limit_only_a_notice_is_sent_and_an_unknown_sender_gets_nothing() -> None:
    healing = plan.Healing()
    assert healing.decide(BOB, 0.0, known=True, heals_since=lambda _since: HEAL_LIMIT) is Heal.NOTICE
    assert healing.decide(BOB, 1.0, known=True, heals_since=lambda _since: 0) is Heal.NOTHING  # its gap

    def never(_since: float) -> int:
        raise AssertionError("an unknown sender's heals are not counted")

    assert healing.decide(CAROL, 0.0, known=False, heals_since=never) is Heal.NOTHING
    assert CAROL not in healing.after  # nothing was done, so no gap starts
    assert plan.heal_window_start(HEAL_WINDOW + 5) == 5


def test_a_reset_notice_names_the_latest_failed_ids_that_fit() -> None:
    failed = [f"c-{n}" for n in range(MAX_IDS + 3)]
    assert plan.reset_notice(failed) == SessionReset(tuple(failed[-MAX_IDS:]))
    assert plan.reset_notice(["c-1"]) == SessionReset(("c-1",))


# ---------------------------------------------------------------------- prekeys


def test_prekeys_are_checked_hourly_and_soon_again_after_a_not_now() -> None:
    now = 50_000.0
    assert plan.prekey_check_due(now, 0.0)  # after a login or a prekeys_low push
    assert plan.prekey_check_due(now, now) and not plan.prekey_check_due(now, now + 0.5)
    assert plan.next_prekey_check(now) == now + CHECK_EVERY
    assert plan.next_prekey_check(now, refused=True) == now + PREKEYS_RETRY < now + CHECK_EVERY


def test_a_kind_is_refilled_to_its_target_only_when_it_runs_low() -> None:
    assert not plan.prekeys_wanted(LOW, TARGET) and not plan.prekeys_wanted(LOW, LOW)
    assert plan.prekeys_wanted(LOW - 1, LOW) == Wanted(one_time=TARGET - LOW + 1, kem=0)
    assert plan.prekeys_wanted(TARGET, 0) == Wanted(one_time=0, kem=TARGET)
    assert plan.prekeys_wanted(0, 3) == Wanted(one_time=TARGET, kem=TARGET - 3)
    assert bool(Wanted(0, 1)) and not Wanted(0, 0)


def test_the_signed_prekey_is_rotated_weekly_or_when_it_is_missing() -> None:
    made = 1_000_000.0
    assert not plan.rotation_due(made, made + ROTATE_AFTER - 1)
    assert plan.rotation_due(made, made + ROTATE_AFTER)
    assert plan.rotation_due(None, made)


def test_a_failed_store_waits_store_retry_seconds_and_a_login_makes_it_due_at_once() -> None:
    clock = FakeClock()
    retry = plan.StoreRetry()
    assert retry.due(clock())
    retry.failed(clock())
    clock.advance(plan.STORE_RETRY - 0.01)
    assert not retry.due(clock())
    clock.advance(0.01)
    assert retry.due(clock())
    retry.failed(clock())
    retry.reset()
    assert retry.due(clock())
