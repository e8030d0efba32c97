"""net.bench.device_runs: ``python main.py bench --devices 2``, a short real run over TLS."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_two_devices_each_beside_one_every_device_gets_each_message_once() -> None:
    command = [sys.executable, str(ROOT / "main.py"), "bench", "--clients", "4", "--devices", "2"]
    command += ["--duration", "1", "--warmup", "0.2", "--workers", "1", "--window", "2", "--rounds", "2"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    table = done.stdout
    header = next(line for line in table.splitlines() if "devices each" in line)
    # alternating: one device first in round 1, the devices first in round 2
    assert re.findall(r"Parley, (\d) devices? each #(\d)", header) == [
        ("1", "1"),
        ("2", "1"),
        ("2", "2"),
        ("1", "2"),
    ]
    row = next(line for line in table.splitlines() if line.startswith("lost / duplicated / undecryptable"))
    assert row.count("0 / 0 / 0") == 4  # lost / duplicated / undecryptable in each of the four runs
    copies = next(line for line in table.splitlines() if line.startswith("copies stored / decrypted"))
    pairs = re.findall(r"([\d,]+) / ([\d,]+)", copies)
    assert len(pairs) == 4 and all(stored == decrypted != "0" for stored, decrypted in pairs)
    lines = [line for line in table.splitlines() if line.startswith("devices 2 #")]
    assert len(lines) == 2
    for line in lines:
        match = re.fullmatch(
            r"devices 2 #\d: ([\d,]+) messages, each on every device once \(([\d,]+) copies\), lost 0,"
            r" duplicated 0",
            line,
        )
        assert match is not None, line
        messages, copies_seen = (int(g.replace(",", "")) for g in match.groups())
        assert messages > 0 and copies_seen == 3 * messages  # two devices of the partner, one sync copy
    assert "server CPU per copy stored, µs" in table
    assert table.rstrip().endswith("all messages arrived once and decrypted")
