"""Benchmark: how fast the engine sends a backlog, and takes in a backlog waiting at login.

    python -m net.bench.engine_bench [--messages 10000] [--runs 3]

Each run starts a fresh in-process server on loopback (real TLS, real SQLite)
and two fresh profiles. Alice sends ``--messages`` texts to Bob while he is
offline (stored in her outbox, sealed and sent in pipelined batches); then Bob
logs in, and the clock runs until every message is fetched, decrypted, stored
with its session state and acknowledged. Prints the median of the runs (and
each run), the figures the load tool and the issue's 5-second goal compare with.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from crypto_core.sealing import KdfParams
from net.client.core.engine_error import EngineError
from net.client.core.events import CodeSent, Event, ServerKeyUnknown
from net.client.messenger import Messenger
from net.server.limits import Limits
from net.server.server import RunningServer, ServerConfig
from net.server.verification import FileChannel

#: The bench measures messages, not Argon2id: profiles get the cheapest key derivation.
BENCH_KDF = KdfParams(memory_kib=8, iterations=1, lanes=1)
PASSPHRASE = "bench passphrase, throwaway"  # noqa: S105 - throwaway profiles in a temporary folder


def registered_person(
    root: Path,
    name: str,
    address: tuple[str, int],
    phone: str,
    on_event: Callable[[Event], None] | None = None,
) -> tuple[Messenger, list[Event]]:
    """A new profile in ``root / name``, its server's key accepted, registered as ``phone``.

    The events it emits are kept in the list returned, and given to ``on_event`` as well.
    """
    events: list[Event] = []

    def emit(event: Event) -> None:
        events.append(event)
        if on_event is not None:
            on_event(event)

    engine = Messenger(root / name, emit, kdf_params=BENCH_KDF)
    engine.create_profile(name, PASSPHRASE)
    engine.set_server(*address)
    with contextlib.suppress(EngineError):  # the first contact asks for the key; accepted below
        engine.connect()
    engine.accept_server_key(next(e for e in events if isinstance(e, ServerKeyUnknown)).fingerprint)
    engine.connect()
    engine.register_start(phone, f"{name}@example.org")
    code = next(e for e in events if isinstance(e, CodeSent)).dev_code
    assert code is not None
    engine.register_finish(code)
    return engine, events


def _until(condition: Callable[[], bool], engines: list[Messenger], timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the benchmark did not finish in time")
        for engine in engines:
            engine.poll(0.01)


def one_run(folder: Path, count: int) -> tuple[float, float]:
    """Seconds to send ``count`` messages to an offline person, and for them to take them in at login."""
    # One sender queues all ``count`` messages for one offline person: far past the per-sender cap that
    # keeps a stranger from filling someone's queue, which this benchmark is not about.
    limits = Limits(queue_cap=max(Limits.queue_cap, count), queue_cap_per_sender=max(count, 1))
    server = RunningServer(
        ServerConfig(
            data_dir=folder / "server",
            channel=FileChannel(folder / "codes"),
            port=0,
            dev_codes=True,
            limits=limits,
        )
    )
    try:
        alice, _ = registered_person(folder, "alice", server.address, "+442079460201")
        bob, _ = registered_person(folder, "bob", server.address, "+442079460202")
        alice.add_contact("+442079460202")
        bob.add_contact("+442079460201")  # a contact: not a message request held for acceptance
        bob.logout()
        start = time.perf_counter()
        for i in range(count):
            alice.send_text("+442079460202", f"message number {i}")
        # At least ``count`` waiting: the texts, and the name that goes with the first of them.
        _until(lambda: server.store.queued_count("+442079460202") >= count, [alice])
        send_seconds = time.perf_counter() - start

        start = time.perf_counter()
        bob.connect()  # logs in, fetches in pages, stores in batches, acknowledges after each commit
        _until(
            lambda: (
                server.store.queued_count("+442079460202") == 0
                and len(bob.history("+442079460201", limit=count + 1)) == count
            ),
            [alice, bob],
        )
        receive_seconds = time.perf_counter() - start
        alice.close()
        bob.close()
        return send_seconds, receive_seconds
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m net.bench.engine_bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    sends, receives = [], []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="parley-bench-") as folder:
            send, receive = one_run(Path(folder), args.messages)
        sends.append(send)
        receives.append(receive)
        print(
            f"run {run + 1}: sent {args.messages} in {send:.2f} s, received them at login in {receive:.2f} s"
        )
    print(
        f"median of {args.runs}: send {statistics.median(sends):.2f} s "
        f"({args.messages / statistics.median(sends):.0f}/s), receive at login "
        f"{statistics.median(receives):.2f} s ({args.messages / statistics.median(receives):.0f}/s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
