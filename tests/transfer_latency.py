"""Text latency with and without a large upload beside it: ``python tests/transfer_latency.py``.

Two engines and an in-process server over real TLS, all polled by this one thread
(as in the end-to-end tests). It sends 30 texts one after another, each waited
for at the receiver, first alone and then while a 99 MiB file uploads, and prints
the median, the 90th percentile and the slowest, in milliseconds, for both.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from conftest import fresh_phone, start_in_process
from engine_support import pair, run_until
from transfer_support import known_file, state_of

from net.client.core.events import TransferState

TEXTS = 30
SIZE = 99 * 1024 * 1024


def latencies(during_upload: bool) -> list[float]:
    with tempfile.TemporaryDirectory(prefix="parley-latency-") as folder:
        root = Path(folder)
        server = start_in_process(root / "server", dev_codes=True)
        alice, bob = pair(root, server.address, fresh_phone, "alice", "bob")
        try:
            alice.engine.send_text(bob.phone, "warm up")
            run_until(lambda: bob.texts_from(alice.phone) == ["warm up"], [alice, bob])
            if during_upload:
                sent = alice.engine.send_file(known_file(root, "big.bin", SIZE), contact=bob.phone)
                uploading = TransferState.UPLOADING
                run_until(
                    lambda: state_of(alice, bob.phone, sent.message_id) is uploading, [alice], timeout=120
                )
            found = []
            for number in range(TEXTS):
                text = f"text {number}"
                start = time.monotonic()
                alice.engine.send_text(bob.phone, text)
                run_until(
                    lambda text=text: text in bob.texts_from(alice.phone),
                    [alice, bob],
                    step=0.001,
                    timeout=60,
                )
                found.append(time.monotonic() - start)
            if during_upload:
                assert state_of(alice, bob.phone, sent.message_id) is uploading, "the upload ended first"
            return found
        finally:
            alice.close()
            bob.close()
            server.stop()


def main() -> None:
    for label, during in (("alone", False), ("during a 99 MiB upload", True)):
        found = sorted(latencies(during))
        median, p90, slowest = statistics.median(found), found[int(len(found) * 0.9)], found[-1]
        ms = [round(value * 1000) for value in (median, p90, slowest)]
        print(f"texts {label}: median {ms[0]} ms, p90 {ms[1]} ms, slowest {ms[2]} ms")


if __name__ == "__main__":
    main()
