"""The engine benchmark runs end to end (tiny here; the real figures come from running it by hand)."""

from __future__ import annotations

from net.bench import engine_bench
from net.client.core.outbox_plan import PAUSE_SECONDS
from net.server.limits import Limits


def test_a_small_run_sends_and_receives_everything(tmp_path, capsys) -> None:
    send, receive = engine_bench.one_run(tmp_path, 20)
    assert send > 0 and receive > 0
    # The name that goes with the first text makes one message more than the run's per-sender cap: the
    # last text is refused once, and goes as soon as Bob's receipts show his queue is being taken,
    # not when the 30 s pause of a full queue is over.
    assert receive < PAUSE_SECONDS
    assert engine_bench.main(["--messages", "5", "--runs", "1"]) == 0
    assert "median of 1" in capsys.readouterr().out


def test_a_run_past_the_per_sender_queue_cap_still_finishes(tmp_path) -> None:
    # One sender queues every message for one offline person: more than a stranger may leave waiting.
    count = Limits().queue_cap_per_sender + 10
    send, receive = engine_bench.one_run(tmp_path, count)
    assert send > 0 and receive > 0
    assert receive < PAUSE_SECONDS
