"""Benchmark of the client profile: how fast a big conversation opens, pages and searches.

    python -m storage.profile.bench [--messages 10000] [--runs 5]

Fills one conversation with ``--messages`` messages (plus a few other
conversations), then reports the median of ``--runs`` runs of: unlocking the
profile (Argon2id with the default cost), the first page of the big
conversation, a page deep in its past, a search that matches nothing (so it
opens every message), the conversation list, and storing one message with its
session in one transaction. Everything happens in a temporary folder that is
removed afterwards.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from storage.profile.directory import ProfileDirectory
from storage.profile.profile import Profile

CONTACT = "+15550001111"
OTHERS = [f"+1555000{i:04d}" for i in range(2, 12)]
PASSPHRASE = "benchmark passphrase"  # noqa: S105 - a throwaway profile in a temporary folder


def _median_ms(action: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _fill(profile: Profile, messages: int) -> None:
    with profile.transaction():
        for i in range(messages):
            profile.history.add(
                CONTACT,
                client_id=f"m{i}",
                outgoing=i % 3 == 0,
                text=f"message {i}: the quick brown fox jumps over the lazy dog",
                timestamp=1_700_000_000 + i,
            )
        for contact in OTHERS:
            for i in range(20):
                profile.history.add(contact, client_id=f"o{i}", outgoing=False, text="hi", timestamp=1.0 + i)


def run(messages: int, runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        directory = ProfileDirectory(Path(folder))
        created = directory.create("Bench", PASSPHRASE)
        fill_start = time.perf_counter()
        _fill(created, messages)
        fill_ms = (time.perf_counter() - fill_start) * 1000
        created.close()

        opened: list[Profile] = []
        figures = {f"store {messages} messages in one transaction": fill_ms}
        figures["unlock the profile (Argon2id, default cost)"] = _median_ms(
            lambda: opened.append(directory.open(created.profile_id, PASSPHRASE)), runs
        )
        for extra in opened[1:]:
            extra.close()
        profile = opened[0]
        history = profile.history
        deep = history.page(CONTACT, limit=messages // 2).next
        counter = iter(range(10**9))

        def store_one() -> None:
            n = next(counter)
            with profile.transaction():
                profile.sessions.put(CONTACT, b"\x00" * 2048)
                history.add(CONTACT, client_id=f"x{n}", outgoing=False, text="new", timestamp=2e9 + n)
                profile.processed.remember(f"server-{n}")

        figures["first page (50 newest messages)"] = _median_ms(lambda: history.page(CONTACT, limit=50), runs)
        figures["a page halfway back"] = _median_ms(
            lambda: history.page(CONTACT, before=deep, limit=50), runs
        )
        figures["search matching nothing (opens all)"] = _median_ms(
            lambda: history.search(CONTACT, "no such words"), runs
        )
        figures["conversation list"] = _median_ms(history.conversations, runs)
        figures["store message + session + id (1 txn)"] = _median_ms(store_one, runs)
        profile.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"{args.messages} messages in one conversation, median of {args.runs} runs:")
    for what, ms in run(args.messages, args.runs).items():
        print(f"  {what:<48} {ms:10.2f} ms")


if __name__ == "__main__":
    main()
