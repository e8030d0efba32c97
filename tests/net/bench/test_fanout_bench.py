"""The fan-out benchmark runs end to end against a real server process (tiny here; real figures by hand)."""

from __future__ import annotations

from pathlib import Path

import pytest

from net.bench import fanout_bench


def test_a_small_run_stores_every_copy_both_ways_and_reports_per_copy(tmp_path: Path) -> None:
    figures = fanout_bench.run(tmp_path, recipients=3, rounds=3, messages=4, body=100)
    assert figures.recipients == 3 and figures.copies_per_sample == 12
    assert len(figures.send_many_samples) == len(figures.sends_samples) == 3
    assert figures.send_many_us >= 0 and figures.sends_us >= 0


def test_main_prints_the_figures_and_refuses_more_recipients_than_a_send_many_takes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert fanout_bench.main(["--recipients", "2", "--rounds", "1", "--messages", "2", "--body", "10"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("server CPU per recipient copy, 2 recipients, median of 1 alternating rounds of 4")
    assert "send_many samples" in out and "send samples" in out
    with pytest.raises(SystemExit):
        fanout_bench.main(["--recipients", "501"])
