"""The crypto benchmark: its timing helper, its report, and the real command in its quick form."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from crypto_core.bench import Measurement, format_table, median_per_operation, ratios, seed_message, to_json

ROOT = Path(__file__).resolve().parents[2]


def _results() -> list[Measurement]:
    return [
        Measurement("ratchet", "ratchet message, no DH step", 20e-6, "us", 9, 2000, 50e-6),
        Measurement("ratchet_dh", "ratchet message, with a DH step", 0.6e-3, "us", 9, 400, 0.5e-3),
        Measurement("pqxdh", "PQXDH session start", 1e-3, "ms", 9, 100, 2e-3),
        Measurement("unlock", "profile unlock", 0.25, "s", 7, 1),
        Measurement("seed", "seed: one message", 0.3, "s", 5, 1),
    ]


def test_each_repetition_prepares_once_and_runs_every_operation() -> None:
    prepared: list[int] = []
    calls: list[int] = []

    def operation() -> None:
        calls.append(1)

    def prepare() -> Callable[[], None]:
        prepared.append(1)
        return operation

    assert median_per_operation(prepare, repetitions=3, operations=7) >= 0
    assert len(prepared) == 3 and len(calls) == 21


def test_ratios_divide_the_seed_cost_by_parleys() -> None:
    assert ratios(_results()) == {"ratchet": 0.3 / 20e-6, "ratchet_dh": 0.3 / 0.6e-3}


def test_the_table_shows_medians_targets_runs_and_ratios() -> None:
    table = format_table(_results())
    assert "20.0 us" in table and "50 us" in table and "9x2000" in table and "15,000x" in table
    assert "500 us (over)" in table  # a missed target is called out
    assert "1.00 ms" in table and "0.250 s" in table


def test_json_output_has_every_measurement_and_the_ratios() -> None:
    data = to_json(_results())
    assert [r["key"] for r in data["results"]] == ["ratchet", "ratchet_dh", "pqxdh", "unlock", "seed"]
    assert data["results"][1]["meets_target"] is False and data["results"][3]["meets_target"] is None
    assert json.loads(json.dumps(data))["seed_over_parley"]["ratchet"] == 0.3 / 20e-6


def test_the_seed_way_round_trips_a_message() -> None:
    seed_message()()  # raises if the seed's decryption did not give the message back


def test_the_command_runs_and_prints_json() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "crypto_core.bench", "--quick", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    data = json.loads(done.stdout)
    keys = {"ratchet", "ratchet_dh", "pqxdh", "unlock", "stream", "seed"}
    assert {r["key"] for r in data["results"]} == keys
    assert all(r["median_seconds"] > 0 and r["repetitions"] == 1 for r in data["results"])
    assert set(data["seed_over_parley"]) == {"ratchet", "ratchet_dh"}
