"""Benchmark: the server store's own cost per message, without the network: send, fetch and ack.

    python -m net.bench.store_bench [--messages 4000] [--runs 5] [--store postgresql://…]

Each run opens a fresh store (the SQLite file in a temporary folder, with
``synchronous=NORMAL`` so the figure is the store's code and SQL rather than the
disk's sync; or, with ``--store``, an empty PostgreSQL database the caller gives,
whose tables it empties first) with 20 registered accounts, then stores
``--messages`` messages in group commits of 50 (one per loop turn, as the server's
loop makes them), and after each such turn fetches and acknowledges every queue in
another. Prints the median µs per message (sent, fetched and acknowledged) and each run,
in wall time and in this process's CPU time (on a machine shared with other work the
steadier figure; with PostgreSQL it leaves out the database server's own CPU).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from storage.server.interface import ServerStore
from storage.server.open_store import open_store
from storage.server.records import AccountKeys

PEOPLE = 20
TURN = 50
NOW = 1_000_000
_KEYS = AccountKeys({"sign": "bench"}, {"id": 1}, {"id": 9}, [], [])


def _phones() -> list[str]:
    return [f"+4420794600{i:02d}" for i in range(PEOPLE)]


def _register(store: ServerStore) -> None:
    for i, phone in enumerate(_phones()):
        token = bytes([i]) * 32
        store.put_code(token, phone, "bench@example.org", b"h" * 32, NOW, NOW + 600_000, 5, 10)
        store.finish_registration(token, phone, b"h" * 32, NOW, _KEYS, keep_lock=False)


def one_run(store: ServerStore, messages: int) -> tuple[float, float]:
    """µs per message sent, fetched and acknowledged: of wall time, and of this process's CPU."""
    phones = _phones()
    started, cpu = time.perf_counter(), time.process_time()
    sent = 0
    for _ in range(messages // TURN):
        with store.group_commit():
            for _ in range(TURN):
                sent += 1
                store.enqueue(
                    phones[sent % PEOPLE], f"{sent:012d}", phones[(sent + 1) % PEOPLE], bytes(200), NOW, 1000
                )
        with store.group_commit():
            for phone in phones:
                waiting, _ = store.fetch(phone, 0, 100, now=NOW)
                store.ack(phone, [m.id for m in waiting])
    return (time.perf_counter() - started) / sent * 1e6, (time.process_time() - cpu) / sent * 1e6


def _empty(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--store", default=None, help="a PostgreSQL url (its tables are dropped first)")
    args = parser.parse_args(argv)
    if args.messages < TURN or args.runs < 1:
        parser.error(f"--messages must be at least {TURN}, --runs at least 1")
    figures: list[tuple[float, float]] = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            if args.store is not None:
                _empty(args.store)
            store = open_store(args.store, Path(folder), synchronous="NORMAL")
            try:
                _register(store)
                figures.append(one_run(store, args.messages))
            finally:
                store.close()
    wall, cpu = (statistics.median(f[i] for f in figures) for i in (0, 1))
    runs = ", ".join(f"{w:.1f}/{c:.1f}" for w, c in figures)
    print(
        f"store: {wall:.1f} µs per message sent, fetched and acknowledged, {cpu:.1f} µs of this process's CPU"
        f" (medians; wall/CPU per run: {runs})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
