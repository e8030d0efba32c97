"""A group change: its ids, its strict format, the group id bound to the creator, and the signed statement."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from group_support import ALICE, BOB, CAROL, IDENTITIES, KEYS, NOW_MS, change, created, random
from hypothesis import given, settings
from hypothesis import strategies as st
from json_strategies import json_values
from known_answers import Replay

from crypto_core.encoding import canonical_json
from crypto_core.keys import IdentityKeyPair
from net.client.core import group_making as making
from net.client.core.envelope import GroupChangePayload, MalformedEnvelope, encode_payload
from net.client.core.group_changes import (
    MAX_MEMBERS,
    STATEMENT_LABEL,
    BadGroupChange,
    ChangeKind,
    SignedChange,
    decode_id,
    encode_id,
    group_id_for,
    new_id,
    parse_change,
    parse_signed,
    sign,
    signature_valid,
    statement,
)
from net.client.core.groups import Group


def _create_json(**fields: Any) -> dict[str, Any]:
    good = created().change.to_json()
    good.update(fields)
    return good


def test_an_id_is_16_bytes_in_unpadded_base64url_with_one_spelling() -> None:
    raw = bytes(range(250, 256)) + bytes(10)
    text = encode_id(raw)
    assert len(text) == 22 and "=" not in text and "+" not in text and "/" not in text
    assert decode_id(text) == raw
    # The last character holds two unused bits: a spelling with them set is not the id.
    other = text[:-1] + "B"
    assert decode_id(other) is None
    for bad in (text + "A", text[:-1], text.replace(text[0], "+"), 7, None, raw):
        assert decode_id(bad) is None
    with pytest.raises(ValueError):
        encode_id(b"short")


def test_every_kind_round_trips_through_its_json() -> None:
    create = created()
    changes = [create.change]
    for version, (kind, who, name) in enumerate(
        [
            (ChangeKind.ADD, "+442079460199", ""),
            (ChangeKind.REMOVE, BOB, ""),
            (ChangeKind.ADMIN, CAROL, ""),
            (ChangeKind.UNADMIN, CAROL, ""),
            (ChangeKind.LEAVE, "", ""),
            (ChangeKind.RENAME, "", "Läsecirkel 📚"),
        ],
        start=2,
    ):
        changes.append(change(create, ALICE, version, kind, who=who, name=name).change)
    for made in changes:
        document = json.loads(json.dumps(made.to_json()))
        assert parse_change(document) == made
        assert parse_change(document).to_json() == document


def test_the_group_id_is_bound_to_its_creator_and_the_create() -> None:
    create = created()
    assert create.change.group_id == group_id_for(ALICE, create.change.change_id)
    assert group_id_for(BOB, create.change.change_id) != create.change.group_id
    # Someone else's create for Alice's group does not parse: nobody can take a group over.
    stolen = _create_json(by=BOB, members=[BOB, ALICE])
    with pytest.raises(BadGroupChange, match="creator"):
        parse_change(stolen)
    with pytest.raises(BadGroupChange, match="creator"):
        parse_change(_create_json(n=new_id(random())))


@pytest.mark.parametrize(
    "fields",
    [
        {"k": "explode"},
        {"k": ["add"]},
        {"v": 2},
        {"v": True},
        {"v": 1.0},
        {"ts": -1},
        {"ts": "now"},
        {"g": "short"},
        {"n": 7},
        {"by": "+44 20 7946 0101"},  # a number, but not in its one E.164 spelling
        {"by": "+15550001111"},  # not a valid number
        {"name": ""},
        {"name": " padded "},
        {"name": "x" * 65},
        {"name": "line\nbreak"},
        {"name": "\u202eevil"},
        {"name": "x" * 5000},
        {"members": []},
        {"members": [ALICE, BOB, BOB]},
        {"members": [BOB, ALICE]},  # the author first
        {"members": [ALICE] + [f"+4420794{n:05d}" for n in range(MAX_MEMBERS)]},
        {"members": ALICE},
        {"who": BOB},  # not a field of a create
        {"extra": 1},
    ],
)
def test_a_malformed_create_is_refused_without_quoting_it(fields: dict[str, Any]) -> None:
    with pytest.raises(BadGroupChange) as caught:
        parse_change(_create_json(**fields))
    assert isinstance(caught.value, MalformedEnvelope)
    for secret in ("evil", "padded", "explode", "Book club", ALICE, "5550001111"):
        assert secret not in str(caught.value)


def test_each_kind_takes_exactly_its_fields() -> None:
    create = created()
    add = change(create, ALICE, 2, ChangeKind.ADD, who=BOB).change.to_json()
    with pytest.raises(BadGroupChange):
        parse_change({**add, "name": "x"})
    del add["who"]
    with pytest.raises(BadGroupChange):
        parse_change(add)
    leave = change(create, BOB, 2, ChangeKind.LEAVE).change.to_json()
    assert parse_change(leave).kind is ChangeKind.LEAVE
    with pytest.raises(BadGroupChange):
        parse_change({**leave, "v": 1})  # only a create is version 1
    with pytest.raises(BadGroupChange):
        parse_change({**leave, "who": BOB})
    with pytest.raises(BadGroupChange):
        parse_change([leave])


def test_a_signed_change_verifies_with_its_authors_key_only() -> None:
    signed = created()
    assert signature_valid(signed, KEYS[ALICE])
    assert not signature_valid(signed, KEYS[BOB])
    altered = SignedChange(replace(signed.change, name="Other club"), signed.signature)
    assert not signature_valid(altered, KEYS[ALICE])
    flipped = SignedChange(signed.change, bytes([signed.signature[0] ^ 1]) + signed.signature[1:])
    assert not signature_valid(flipped, KEYS[ALICE])


def test_the_statement_is_the_label_and_the_canonical_json() -> None:
    signed = created()
    assert statement(signed.change) == STATEMENT_LABEL + canonical_json(signed.change.to_json())
    assert STATEMENT_LABEL == b"Parley group change v1\x00"
    # Signing is the identity key's Ed25519 signature over exactly those bytes.
    again = sign(IDENTITIES[ALICE], signed.change)
    assert again == signed


def test_a_signed_change_parses_strictly() -> None:
    signed = created()
    document = json.loads(json.dumps(signed.to_json()))
    assert parse_signed(document) == signed
    for bad in (
        {**document, "extra": 1},
        {"change": document["change"]},
        {**document, "sig": base64.b64encode(b"x" * 63).decode()},
        {**document, "sig": "not base64"},
        [document],
    ):
        with pytest.raises(BadGroupChange):
            parse_signed(bad)


def test_reprs_hold_no_names_or_numbers() -> None:
    signed = created("Secret society", [BOB])
    for text in (repr(signed), repr(signed.change)):
        assert "Secret" not in text and ALICE not in text and BOB not in text


_JSONISH = json_values(allow_nan=True)


def _mutated(document: object, draw: st.DrawFn) -> object:
    if isinstance(document, dict) and document and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(document)))
        return {**document, key: _mutated(document[key], draw)}
    if isinstance(document, list) and document and draw(st.booleans()):
        index = draw(st.integers(0, len(document) - 1))
        return [*document[:index], _mutated(document[index], draw), *document[index + 1 :]]
    return draw(_JSONISH) if draw(st.booleans()) else document


_GOOD = created("Club", [BOB, CAROL]).to_json()


@settings(max_examples=300, deadline=2000)
@given(st.data())
def test_any_document_is_a_signed_change_that_writes_back_the_same_or_malformed(data: st.DataObject) -> None:
    document = json.loads(json.dumps(_mutated(_GOOD, data.draw)))
    try:
        signed = parse_signed(document)
    except BadGroupChange as exc:
        assert "Club" not in str(exc)
        return
    # What parses is exactly what was signed, so the statement checked is the author's.
    assert signed.to_json() == document


def test_the_time_of_a_change_is_the_injected_one() -> None:
    assert created().change.sent_at_ms == NOW_MS


VECTOR: dict[str, Any] = json.loads(
    (Path(__file__).parents[3] / "vectors" / "group_change.json").read_text(encoding="utf-8")
)


def test_known_answers_for_the_signed_statement_and_the_group_id() -> None:
    identity = IdentityKeyPair.generate(Replay(VECTOR["identity_tape"]))
    draws = Replay(VECTOR["change_id_tape"])
    create = making.create(
        identity, VECTOR["creator"], VECTOR["name"], VECTOR["members"], now_ms=VECTOR["now_ms"], random=draws
    )
    assert statement(create.change) == VECTOR["create_statement"].encode("ascii")
    assert create.signature.hex() == VECTOR["create_signature"]
    assert encode_payload(GroupChangePayload(create)) == VECTOR["create_payload"].encode("utf-8")
    # The group id by hand: SHA-256 of its label, the creator, a zero byte and the create's id.
    raw_id = bytes.fromhex(VECTOR["change_id_tape"][0])
    by_hand = hashlib.sha256(b"Parley group id v1\x00" + VECTOR["creator"].encode() + b"\x00" + raw_id)
    assert (
        decode_id(VECTOR["group_id"]) == by_hand.digest()[:16]
        and create.change.group_id == VECTOR["group_id"]
    )
    held = Group(create.change.group_id, VECTOR["creator"], [create])
    add = making.add(identity, held, "+442079460104", now_ms=VECTOR["now_ms"] + 1, random=draws)
    assert statement(add.change) == VECTOR["add_statement"].encode("ascii")
    assert add.signature.hex() == VECTOR["add_signature"]
    assert draws.exhausted
    assert signature_valid(add, identity.public.signing_key)
