"""``python -m net.bench.peers``: its flags, refusals in words, and one short real run printed as JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from net.bench.peers.__main__ import main, parser
from net.bench.peers.runs import SYSTEMS, Load

ROOT = Path(__file__).resolve().parents[4]


def test_the_defaults_are_the_issues() -> None:
    args = parser().parse_args([])
    assert (args.rounds, args.duration, args.warmup) == (3, 20.0, 5.0)
    assert args.loads == (Load(100, 1000.0), Load(500, 3000.0))
    assert (
        args.systems == SYSTEMS == ("prosody", "ejabberd", "ejabberd-nobusy", "parley-full", "parley-normal")
    )
    args = parser().parse_args(["--loads", "10:100, 20:200", "--systems", "ejabberd,prosody,ejabberd"])
    assert args.loads == (Load(10, 100.0), Load(20, 200.0))
    assert args.systems == ("ejabberd", "prosody")


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--loads", "100"], "a load is CLIENTS:RATE"),
        (["--loads", "7:100"], "even number of clients"),
        (["--systems", "prosody,openfire"], "systems are some of prosody,ejabberd"),
        (["--rounds", "0"], "must be above 0"),
        (["--duration", "soon"], "not a number"),
    ],
)
def test_bad_flags_are_refused_in_words(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit:
        main(argv)
    assert exit.value.code == 2
    assert words in capsys.readouterr().err


def test_a_negative_warmup_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--warmup", "-1"]) == 2
    assert "--warmup cannot be negative" in capsys.readouterr().err


def test_a_short_run_prints_json_and_exits_clean() -> None:
    argv = ["--systems", "prosody", "--rounds", "1", "--duration", "0.5", "--warmup", "0.2"]
    argv += ["--loads", "4:40", "--workers", "1", "--json"]
    done = subprocess.run(
        [sys.executable, "-m", "net.bench.peers", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["command"] == "python -m net.bench.peers " + " ".join(argv)
    [load] = data["loads"]
    [median] = load["medians"]
    assert median["system"] == "prosody" and median["lost"] == 0 and median["cpu_us_per_message"] is not None
    assert load["rounds"][0]["phase"]["target"] == "prosody"
    assert "round 1 of 1, 4 clients, 40 msg/s: prosody" in done.stderr
