"""One client engine in a process of its own, for tests that kill it for real. Test-only.

    python tests/engine_harness.py PROFILES_ROOT PROFILE_ID [--stop-before-ack | --stop-halfway-fanout]

It unlocks the profile (the tests' passphrase and fast key derivation), connects
and polls until it is killed, printing one line per event. With
``--stop-before-ack`` the engine's acknowledgement step is replaced by one that
prints ``STORED-NOT-ACKED`` and waits forever: the messages of that batch are
committed to the profile and the server still holds them, which is the moment
a crash must not lose or duplicate anything. With ``--stop-halfway-fanout`` the
outbox sends only the first half of the sealed copies it has (the server stores
them), then prints ``FANNED-HALFWAY`` and waits forever, before the profile records
any of them: a sender killed in the middle of a group's fan-out. These switches
exist only here, in the tests' harness; the engine itself has no such hook.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine_support import FAST_KDF, PASSPHRASE

from net.client import outbox_wire
from net.client.core.events import Event
from net.client.duties import Duties
from net.client.messenger import Messenger

STOPPED = "STORED-NOT-ACKED"
HALFWAY = "FANNED-HALFWAY"
_send_all = outbox_wire.send_all


def _send_half(conn: Any, sealed: list[Any], now_ms: int) -> Any:
    _send_all(conn, sealed[: max(1, len(sealed) // 2)], now_ms)
    print(HALFWAY, flush=True)
    threading.Event().wait()


def _stop_before_ack(_duties: Duties, _server_ids: list[int]) -> None:
    print(STOPPED, flush=True)
    threading.Event().wait()


def _print(event: Event) -> None:
    print(f"EVENT {type(event).__name__}", flush=True)


def main(argv: list[str]) -> int:
    root, profile_id = Path(argv[0]), argv[1]
    if "--stop-before-ack" in argv[2:]:
        Duties.acknowledge = _stop_before_ack  # type: ignore[method-assign]
    if "--stop-halfway-fanout" in argv[2:]:
        outbox_wire.send_all = _send_half
    engine = Messenger(root, _print, kdf_params=FAST_KDF)
    engine.unlock(profile_id, PASSPHRASE)
    engine.connect()
    print("CONNECTED", flush=True)
    while True:
        engine.poll(1.0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
