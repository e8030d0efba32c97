"""Writes tests/vectors/group_change.json: known answers for a group's signed changes and its digest.

Run from the repository root as ``python -m tests.vectors.make_group_vectors``, only
when the format changes on purpose, and review the diff. The tests
(tests/net/client/core/test_group_changes.py and test_group_state.py) only read the
file: they rebuild the identity from the recorded draws, make the same changes,
and compare the statement, the signature, the group id, the payload and the digest
byte for byte.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from crypto_core.keys import IdentityKeyPair
from net.client.core import group_making as making
from net.client.core.envelope import GroupChangePayload, encode_payload
from net.client.core.group_changes import statement
from net.client.core.groups import Group

OUT = Path(__file__).with_name("group_change.json")
CREATOR = "+442079460101"
MEMBERS = ["+442079460102", "+442079460103"]
NAME = "Café crew ☕"
NOW_MS = 1_700_000_000_000


class Recording:
    """Deterministic draws (SHA-256 of a label and a counter), each remembered in order."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.tape: list[str] = []

    def __call__(self, n: int) -> bytes:
        data = hashlib.sha256(f"{self.label} {len(self.tape)}".encode()).digest()[:n]
        self.tape.append(data.hex())
        return data


def build() -> dict[str, Any]:
    keys = Recording("Parley group vectors: identity")
    identity = IdentityKeyPair.generate(keys)
    ids = Recording("Parley group vectors: change ids")
    create = making.create(identity, CREATOR, NAME, MEMBERS, now_ms=NOW_MS, random=ids)
    group = Group(create.change.group_id, CREATOR, [create])
    add = making.add(identity, group, "+442079460104", now_ms=NOW_MS + 1, random=ids)
    group, _ = group.merged([add])
    state = group.state
    assert state is not None
    return {
        "identity_tape": keys.tape,
        "change_id_tape": ids.tape,
        "creator": CREATOR,
        "members": MEMBERS,
        "name": NAME,
        "now_ms": NOW_MS,
        "group_id": create.change.group_id,
        "create_statement": statement(create.change).decode("ascii"),
        "create_signature": create.signature.hex(),
        "create_payload": encode_payload(GroupChangePayload(create)).decode("utf-8"),
        "add_statement": statement(add.change).decode("ascii"),
        "add_signature": add.signature.hex(),
        "digest": state.digest,
    }


def main() -> None:
    OUT.write_text(json.dumps(build(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT.name}")


if __name__ == "__main__":
    main()
