"""Writes tests/vectors/stream_v2.json and tests/vectors/backup_v2.json: known answers for sealed streams.

Run from the repository root as ``python -m tests.vectors.make_stream_vectors``,
only when a format changes on purpose, and review the diff. The tests
(tests/crypto_core/test_stream.py, tests/crypto_core/test_backup.py) only read
the files, seal the same inputs with the recorded randomness and compare bytes.

stream.json, backup.json and backup_v1_payload_65543.bin are version 1, written
by the code before stream format 2 with these same inputs; they are frozen (this
script no longer writes them) and the tests open them, so what earlier versions
made keeps opening.

Inputs are fixed (SHAKE-256 of a label); every random draw is recorded as a
tape. Short sealed outputs are stored whole; longer ones (several 64 KiB
chunks) by their SHA-256 and their first and last 64 bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

from crypto_core import backup, stream
from crypto_core.sealing import KdfParams

HERE = Path(__file__).resolve().parent
SIZES = [0, 1, stream.CHUNK_SIZE, stream.CHUNK_SIZE + 1, 3 * stream.CHUNK_SIZE + 100]
WHOLE_UP_TO = 1024


def fixed(label: str, length: int) -> bytes:
    return hashlib.shake_256(f"Parley stream vectors: {label}".encode()).digest(length)


class Recording:
    def __init__(self, label: str) -> None:
        self.label = label
        self.tape: list[str] = []

    def __call__(self, n: int) -> bytes:
        data = fixed(f"{self.label} random {len(self.tape)}", n)
        self.tape.append(data.hex())
        return data


def describe(sealed: bytes) -> dict[str, Any]:
    if len(sealed) <= WHOLE_UP_TO:
        return {"sealed": sealed.hex()}
    return {
        "sealed_size": len(sealed),
        "sealed_sha256": hashlib.sha256(sealed).hexdigest(),
        "head": sealed[:64].hex(),
        "tail": sealed[-64:].hex(),
    }


def stream_vectors() -> dict[str, Any]:
    key = fixed("key", 32)
    aad = b"Parley test stream"
    cases = []
    for size in SIZES:
        rnd = Recording(f"stream {size}")
        plaintext = fixed(f"plaintext {size}", size)
        out = io.BytesIO()
        stream.encrypt_file(key, io.BytesIO(plaintext), out, associated_data=aad, random=rnd)
        cases.append({"size": size, "tape": rnd.tape, **describe(out.getvalue())})
    return {"key": key.hex(), "associated_data": aad.hex(), "plaintext": "shake", "cases": cases}


def backup_vectors() -> dict[str, Any]:
    params = KdfParams(memory_kib=64, iterations=1, lanes=1)
    passphrase = "backup passphrase été"
    manifest = {"kind": "test", "version": 1}
    cases = []
    for size in (0, 100, stream.CHUNK_SIZE + 7):
        rnd = Recording(f"backup {size}")
        payload = fixed(f"payload {size}", size)
        out = io.BytesIO()
        backup.seal(passphrase, io.BytesIO(payload), out, manifest=manifest, params=params, random=rnd)
        cases.append({"size": size, "tape": rnd.tape, **describe(out.getvalue())})
    return {
        "passphrase": passphrase,
        "params": {"memory_kib": params.memory_kib, "iterations": params.iterations, "lanes": params.lanes},
        "manifest": manifest,
        "cases": cases,
    }


def main() -> None:
    for name, vectors in (("stream_v2.json", stream_vectors()), ("backup_v2.json", backup_vectors())):
        (HERE / name).write_text(json.dumps(vectors, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
