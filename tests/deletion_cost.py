"""What leaving nothing behind costs a deletion: ``python tests/deletion_cost.py``.

One profile of 20,000 messages (through the store API); then 100 deletes for us, one transaction
each, timed as the engine makes them (FTS5 ``secure-delete`` on, a checkpoint of the log after
each commit), and 100 more with both off (the index's tombstones, the log left to SQLite's own
checkpoints), alternating in blocks of 10 so that drift of a shared machine hits both. Prints
the median and the 90th percentile of each, in milliseconds.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crypto_core.sealing import KdfParams
from storage.profile.directory import ProfileDirectory
from storage.profile.profile import Profile
from storage.profile.vault import Vault

MESSAGES = 20_000
DELETES = 100
BLOCK = 10
WORDS = ["the", "mill", "at", "noon", "bring", "a", "book", "river", "stone", "lantern", "harbour"]


def _fill(profile: Profile) -> list[int]:
    ids = []
    with profile.transaction():
        for n in range(MESSAGES):
            text = " ".join(WORDS[(n + k) % len(WORDS)] for k in range(3 + n % 9)) + f" {n}"
            stored = profile.history.add(
                f"+4420794600{n % 50:02d}", client_id=f"m{n}", outgoing=False, text=text, timestamp=n
            )
            ids.append(stored.local_id)
    return ids


_CHECKPOINT = Vault.checkpoint_after_commit


def _set(profile: Profile, thorough: bool) -> None:
    """The engine's way (``thorough``), or the index's tombstones and no checkpoint of our own."""
    profile._vault.conn.execute(
        "INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', ?)", (int(thorough),)
    )
    Vault.checkpoint_after_commit = _CHECKPOINT if thorough else (lambda self: None)  # type: ignore[method-assign]


def main() -> None:
    with tempfile.TemporaryDirectory() as root:
        profile = ProfileDirectory(
            Path(root), kdf_params=KdfParams(memory_kib=8, iterations=1, lanes=1)
        ).create("Bench", "pw")
        try:
            ids = _fill(profile)
            profile._vault.checkpoint()
            times: dict[bool, list[float]] = {True: [], False: []}
            at = 0
            for block in range(2 * DELETES // BLOCK):
                thorough = block % 2 == 0
                _set(profile, thorough)
                for _ in range(BLOCK):
                    local = ids[at * 97 % MESSAGES]
                    at += 1
                    contact = f"+4420794600{(at * 97 % MESSAGES) % 50:02d}"
                    start = time.perf_counter()
                    profile.actions.delete_for_me(local, contact, contact)
                    times[thorough].append((time.perf_counter() - start) * 1000)
            for thorough, label in ((True, "secure-delete + checkpoint"), (False, "neither")):
                found = sorted(times[thorough])
                print(
                    f"{label}: median {statistics.median(found):.2f} ms, "
                    f"90th percentile {found[int(len(found) * 0.9)]:.2f} ms"
                )
        finally:
            Vault.checkpoint_after_commit = _CHECKPOINT  # type: ignore[method-assign]
            profile.close()


if __name__ == "__main__":
    main()
