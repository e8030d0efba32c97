"""Writes tests/vectors/linking.json: known answers for the link handshake and sealed device names.

Run from the repository root as ``python -m tests.vectors.make_link_vectors``, only when a
format changes on purpose, and review the diff. The tests (tests/crypto_core/test_linking.py,
tests/crypto_core/test_device_names.py) only read the file, redo every step with the recorded
randomness and compare bytes.

Inputs are fixed (SHAKE-256 of a label); every random draw is recorded as a tape.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from crypto_core import device_names, linking
from crypto_core.keys import IdentityKeyPair

HERE = Path(__file__).resolve().parent
CODE = "MFRGGZDFMZTWQ2LK"
PHONE = "+15551230001"


class RecordingRandom:
    """Deterministic bytes (SHAKE-256 of a label and a counter) that remembers every draw."""

    def __init__(self, label: str) -> None:
        self.label = label.encode()
        self.tape: list[str] = []

    def __call__(self, n: int) -> bytes:
        data = hashlib.shake_256(self.label + len(self.tape).to_bytes(4, "big")).digest(n)
        self.tape.append(data.hex())
        return data


def build() -> dict[str, Any]:
    new_random, existing_random = RecordingRandom("link new"), RecordingRandom("link existing")
    new_keys = linking.LinkKeyPair.generate(new_random)
    existing_keys = linking.LinkKeyPair.generate(existing_random)
    new_end = new_keys.agree("new", CODE, existing_keys.public)
    existing_end = existing_keys.agree("existing", CODE, new_keys.public)
    assert new_end.comparison == existing_end.comparison
    seal_random = RecordingRandom("link seal")
    sealed = existing_end.seal("provisioning", b"the account, in one piece", random=seal_random)
    identity_random = RecordingRandom("link identity")
    identity = IdentityKeyPair.generate(identity_random)
    device_key = hashlib.shake_256(b"link device key").digest(32)
    fingerprint = hashlib.sha256(b"link server").digest()
    statement = linking.link_statement(CODE, PHONE, device_key, fingerprint)
    names = []
    for name in ["Parley on desk", "x" * 40, "Laptop \u00e9t\u00e9 \U0001f4bb"]:
        name_random = RecordingRandom("name " + name)
        names.append(
            {
                "name": name,
                "tape": name_random.tape,
                "sealed": device_names.seal_name(identity, name, random=name_random).hex(),
            }
        )
    return {
        "code": CODE,
        "phone": PHONE,
        "new_tape": new_random.tape,
        "existing_tape": existing_random.tape,
        "new_key": new_keys.public.hex(),
        "existing_key": existing_keys.public.hex(),
        "comparison": new_end.comparison,
        "seal_kind": "provisioning",
        "seal_tape": seal_random.tape,
        "seal_plaintext": "the account, in one piece",
        "sealed": sealed.hex(),
        "identity_tape": identity_random.tape,
        "device_key": device_key.hex(),
        "fingerprint": fingerprint.hex(),
        "statement": statement.hex(),
        "signature": identity.sign(statement).hex(),
        "names": names,
    }


if __name__ == "__main__":
    (HERE / "linking.json").write_text(json.dumps(build(), indent=1) + "\n", encoding="utf-8")
