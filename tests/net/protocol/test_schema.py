"""The operation table and its field checks."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from json_strategies import json_values

from crypto_core.keys import IdentityKeyPair, KemPreKey, OneTimePreKey, SignedPreKey, SignedPreKeyPublic
from net.protocol.errors import ErrorCode
from net.protocol.schema import (
    MAX_BODY,
    OPERATIONS,
    FieldError,
    base64_bytes,
    boolean,
    email,
    integer,
    list_of,
    phone,
    text,
)

BEFORE_LOGIN = {
    "hello",
    "register_start",
    "register_finish",
    "challenge",
    "login",
    "link_open",  # a new device's end of a link is not logged in (PROTOCOL.md, "Devices")
    "link_relay",
    "link_device",
}


def test_only_registration_and_login_are_open_before_login() -> None:
    assert {name for name, op in OPERATIONS.items() if not op.needs_login} == BEFORE_LOGIN


def test_every_operation_is_documented() -> None:
    from pathlib import Path

    text_ = (Path(__file__).resolve().parents[3] / "net" / "protocol" / "PROTOCOL.md").read_text(
        encoding="utf-8"
    )
    assert [name for name in OPERATIONS if f"### {name}" not in text_] == []


def test_integers_exclude_bools_floats_and_out_of_range() -> None:
    check = integer(1, 10)
    assert check(10) == 10
    for bad in (True, 1.0, 0, 11, "5", None):
        with pytest.raises(FieldError):
            check(bad)


def test_text_checks_type_length_and_pattern() -> None:
    check = text(4, pattern=r"[a-z]+")
    assert check("abcd") == "abcd"
    for bad in ("", "abcde", "ab1", 7):
        with pytest.raises(FieldError):
            check(bad)


def test_text_that_utf8_cannot_carry_is_refused() -> None:
    # JSON's \ud800 escape gives a lone surrogate: valid JSON, but no UTF-8 exists for it, so a passphrase
    # made of it could not be hashed (the server failed with server_error, after using a lock attempt).
    for bad in ("abcdef\ud800", "\udfffabcdef"):
        with pytest.raises(FieldError) as caught:
            text(128)(bad)
        assert caught.value.code is ErrorCode.BAD_REQUEST and "UTF-8" in str(caught.value)
        with pytest.raises(FieldError):
            OPERATIONS["set_registration_lock"].parse({"lock": bad})
    assert text(128)("Ümlaut 🔒 lock") == "Ümlaut 🔒 lock"


def test_base64_is_strict_and_bounded() -> None:
    check = base64_bytes(4)
    assert check(base64.b64encode(b"abcd").decode()) == b"abcd"
    for bad in ("YWJj ZA==", "YWJjZA", "YWJjZGU=", "", "é", 5):
        with pytest.raises(FieldError):
            check(bad)
    with pytest.raises(FieldError):
        base64_bytes(64, exact=64)(base64.b64encode(b"x" * 63).decode())


def test_the_body_limit_is_checked_before_decoding() -> None:
    check = base64_bytes(MAX_BODY)
    with pytest.raises(FieldError):
        check("A" * (4 * (MAX_BODY // 3 + 2)))


def test_lists_are_bounded_and_name_the_bad_item() -> None:
    check = list_of(integer(0, 5), 3)
    assert check([1, 2]) == [1, 2]
    with pytest.raises(FieldError):
        check([1, 2, 3, 4])
    with pytest.raises(FieldError, match="item 1"):
        check([1, 9])
    with pytest.raises(FieldError):
        check({"a": 1})


def test_booleans_are_booleans() -> None:
    assert boolean(False) is False
    with pytest.raises(FieldError):
        boolean(0)


def test_phones_become_e164_and_bad_ones_say_so() -> None:
    assert phone("+44 20 7946 0958") == "+442079460958"
    for bad in ("12", "+44 20", "x" * 40, 442079460958):
        with pytest.raises(FieldError) as caught:
            phone(bad)
        assert caught.value.code == ErrorCode.BAD_PHONE


def test_emails_are_checked_for_syntax() -> None:
    assert "@" in email("ada@example.org")
    with pytest.raises(FieldError) as caught:
        email("ada-at-example")
    assert caught.value.code == ErrorCode.BAD_EMAIL


def test_register_finish_parses_keys_into_objects() -> None:
    identity = IdentityKeyPair.generate()
    from crypto_core.keys import SignedPreKey

    frame = {
        "phone": "+442079460958",
        "code": "012345",
        "identity": identity.public.to_json(),
        "signed_prekey": SignedPreKey.generate(identity, 1, 0).public().to_json(),
        "kem_last_resort": KemPreKey.generate(identity, 2, last_resort=True).public().to_json(),
        "one_time_prekeys": [OneTimePreKey.generate(3).public().to_json()],
    }
    args = OPERATIONS["register_finish"].parse(frame)
    assert args["identity"] == identity.public
    assert isinstance(args["signed_prekey"], SignedPreKeyPublic)
    assert args["kem_prekeys"] == []
    assert args["code"] == "012345"


def test_a_missing_required_field_is_named() -> None:
    with pytest.raises(FieldError, match="'to'"):
        OPERATIONS["send"].parse({"client_id": "a", "body": "AA=="})


def test_optional_fields_take_their_defaults() -> None:
    assert OPERATIONS["fetch"].parse({}) == {"limit": 100, "after": 0}


@pytest.mark.parametrize(
    ("op", "frame"),
    [
        ("send", {"to": "+442079460958", "client_id": "a", "body": "AA==", "transient": None}),
        ("send", {"to": "+442079460958", "client_id": "a", "body": "AA==", "expires_in": None}),
        ("send_many", {"client_id": "a", "items": None}),
        (
            "send_many",
            {"client_id": "a", "items": [{"to": "+442079460958", "body": "AA=="}], "transient": None},
        ),
        ("send_many", {"client_id": "a", "items": [{"to": None, "body": "AA=="}]}),
        ("send_many", {"client_id": "a", "items": [{"to": "+442079460958", "body": None}]}),
        ("fetch", {"limit": None}),
        ("fetch", {"after": None}),
        ("hello", {"version": 1, "client": None}),
        ("upload_prekeys", {"one_time_prekeys": None}),
        ("set_signed_prekey", {"signed_prekey": None}),
        ("challenge", {"phone": None}),
    ],
)
def test_a_field_given_as_null_is_refused_not_defaulted(op: str, frame: dict[str, object]) -> None:
    with pytest.raises(FieldError) as caught:
        OPERATIONS[op].parse(frame)
    assert caught.value.code is ErrorCode.BAD_REQUEST
    assert "null" in str(caught.value)


_JSONISH = json_values()
_IDENTITY = IdentityKeyPair.generate()
_KEM = KemPreKey.generate(_IDENTITY, 2, last_resort=False).public().to_json()
# A good value for every field name, so that generated requests also get past their first field.
_GOOD = {
    "version": 1,
    "client": "parley-test",
    "phone": "+442079460958",
    "to": "+442079460958",
    "email": "ada@example.org",
    "code": "123456",
    "identity": _IDENTITY.public.to_json(),
    "signed_prekey": SignedPreKey.generate(_IDENTITY, 1, 0).public().to_json(),
    "kem_last_resort": KemPreKey.generate(_IDENTITY, 1, last_resort=True).public().to_json(),
    "one_time_prekeys": [OneTimePreKey.generate(1).public().to_json()],
    "kem_prekeys": [_KEM],
    "signature": base64.b64encode(bytes(64)).decode(),
    "client_id": "c-1",
    "body": "AA==",
    "transient": True,
    "expires_in": 3600,
    "replace": True,
    "limit": 5,
    "after": 0,
    "ids": [1, 2],
    "items": [{"to": "+442079460958", "body": "AA=="}, {"to": "+442079460959", "body": "AQ=="}],
    "token": base64.b64encode(bytes(32)).decode(),
    "proof": base64.b64encode(bytes(64)).decode(),
    "lock": "correct horse battery",
    "size": 1048832,
    "blob": "q2mzm0r3Hx8Qm8oJ1Jm3nW8bYdXh1Jc7m9qvA0pVfJQ",
    "offset": 0,
    "data": "AAECAwQ=",
    "sha256": base64.b64encode(bytes(32)).decode(),
    "length": 524288,
    "device": 2,
    "key": base64.b64encode(bytes(32)).decode(),
    "device_key": _IDENTITY.public.to_json()["sign"],
    "name": "",
}


@st.composite
def _requests(draw: st.DrawFn) -> tuple[str, dict[str, object]]:
    op = draw(st.sampled_from(sorted(OPERATIONS)))
    names = [f.name for f in OPERATIONS[op].fields]
    frame: dict[str, object] = {}
    for name in names:
        choice = draw(st.sampled_from(["good", "good", "absent", "null", "any"]))
        if choice == "good":
            frame[name] = _GOOD[name]
        elif choice == "null":
            frame[name] = None
        elif choice == "any":
            frame[name] = draw(_JSONISH)
    frame.update(draw(st.dictionaries(st.text(max_size=6), _JSONISH, max_size=2)))  # fields it does not know
    return op, frame


@settings(max_examples=400, deadline=2000)
@given(_requests())
def test_any_fields_give_checked_arguments_or_a_field_error(request: tuple[str, dict[str, object]]) -> None:
    op, frame = request
    operation = OPERATIONS[op]
    try:
        args = operation.parse(frame)
    except FieldError as exc:
        assert exc.code in (
            ErrorCode.BAD_REQUEST,
            ErrorCode.BAD_KEY,
            ErrorCode.BAD_PHONE,
            ErrorCode.BAD_EMAIL,
        )
        assert str(exc).startswith(f"{op}")
        return
    assert set(args) == {f.name for f in operation.fields}
    for field in operation.fields:
        assert field.name not in frame or frame[field.name] is not None  # null is never taken for the default
        if field.name not in frame:
            assert not field.required and args[field.name] == field.default


# ---------------------------------------------------------------------- send_many

SEND_MANY = OPERATIONS["send_many"]
ADA, BEN = "+442079460958", "+442079460959"


def _many(items: object, **more: object) -> dict[str, object]:
    return {"client_id": "m-1", "items": items, **more}


def _refused(frame: dict[str, object]) -> tuple[ErrorCode, str]:
    with pytest.raises(FieldError) as caught:
        SEND_MANY.parse(frame)
    return caught.value.code, str(caught.value)


def test_send_many_gives_each_recipient_in_e164_with_its_body_in_order() -> None:
    frame = _many([{"to": "+44 20 7946 0959", "body": "AAE=", "note": 1}, {"to": ADA, "body": "Ag=="}])
    assert SEND_MANY.parse(frame) == {
        "client_id": "m-1",
        "items": [(BEN, 1, b"\x00\x01"), (ADA, 1, b"\x02")],
        "transient": False,
        "expires_in": 0,
    }
    assert SEND_MANY.parse({**frame, "transient": True})["transient"] is True


def test_send_many_takes_1_to_500_items() -> None:
    hundred = [{"to": f"+442079460{n:03d}", "body": "AA=="} for n in range(500)]
    assert len(SEND_MANY.parse(_many(hundred))["items"]) == 500
    too_many = [*hundred, {"to": ADA, "body": "AA=="}]
    assert _refused(_many(too_many)) == (ErrorCode.BAD_REQUEST, "send_many.items: expected 1 to 500 items")
    assert _refused(_many([])) == (ErrorCode.BAD_REQUEST, "send_many.items: expected 1 to 500 items")
    assert _refused(_many({"to": ADA})) == (ErrorCode.BAD_REQUEST, "send_many.items: expected a list")


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (["x"], (ErrorCode.BAD_REQUEST, "send_many.items[0]: expected an object")),
        ([{"body": "AA=="}], (ErrorCode.BAD_REQUEST, "send_many.items[0]: the field 'to' is missing")),
        ([{"to": ADA}], (ErrorCode.BAD_REQUEST, "send_many.items[0]: the field 'body' is missing")),
        (
            [{"to": None, "body": "AA=="}],
            (ErrorCode.BAD_REQUEST, "send_many.items[0].to: null is not a value"),
        ),
        (
            [{"to": ADA, "body": "AA=="}, {"to": 7, "body": "AA=="}],
            (ErrorCode.BAD_PHONE, "send_many.items[1].to: "),
        ),
        ([{"to": "+1", "body": "AA=="}], (ErrorCode.BAD_PHONE, "send_many.items[0].to: ")),
        ([{"to": ADA, "body": "A"}], (ErrorCode.BAD_REQUEST, "send_many.items[0].body: not valid base64")),
        ([{"to": ADA, "body": ""}], (ErrorCode.BAD_REQUEST, "send_many.items[0].body: must not be empty")),
        (
            [{"to": ADA, "body": base64.b64encode(bytes(MAX_BODY + 1)).decode()}],
            (ErrorCode.BAD_REQUEST, f"send_many.items[0].body: longer than {MAX_BODY} bytes"),
        ),
        (
            [
                {"to": ADA, "body": "AA=="},
                {"to": BEN, "body": "AA=="},
                {"to": "+44 20 7946 0958", "body": "AA=="},
            ],
            (ErrorCode.BAD_REQUEST, "send_many.items[2].to: the same recipient and device as items[0]"),
        ),
        (
            [{"to": ADA, "body": "AA=="}, {"to": ADA, "device": 1, "body": "AA=="}],
            (ErrorCode.BAD_REQUEST, "send_many.items[1].to: the same recipient and device as items[0]"),
        ),
        (
            [{"to": ADA, "device": 0, "body": "AA=="}],
            (ErrorCode.BAD_REQUEST, "send_many.items[0].device: expected an integer from 1 to 2147483647"),
        ),
    ],
)
def test_send_many_names_the_item_and_the_field_that_failed(
    items: list[object], expected: tuple[ErrorCode, str]
) -> None:
    code, message = _refused(_many(items))
    assert code is expected[0] and message.startswith(expected[1])


def test_send_many_checks_the_client_id_first_and_a_body_of_the_largest_size_passes() -> None:
    items = [{"to": ADA, "body": "AA=="}, {"to": ADA, "body": "AA=="}]
    assert _refused({"client_id": "no spaces", "items": items})[1].startswith("send_many.client_id: ")
    largest = [{"to": ADA, "body": base64.b64encode(bytes(MAX_BODY)).decode()}]
    assert SEND_MANY.parse(_many(largest))["items"] == [(ADA, 1, bytes(MAX_BODY))]


def test_send_many_items_name_a_device_and_a_recipient_may_come_once_per_device() -> None:
    items = [
        {"to": ADA, "device": 2, "body": "AA=="},
        {"to": ADA, "body": "AQ=="},
        {"to": BEN, "device": 7, "body": "Ag=="},
    ]
    assert SEND_MANY.parse(_many(items))["items"] == [(ADA, 2, b"\x00"), (ADA, 1, b"\x01"), (BEN, 7, b"\x02")]


def test_login_send_and_get_bundle_take_a_device_and_absent_means_the_old_meaning() -> None:
    signature = base64.b64encode(bytes(64)).decode()
    assert OPERATIONS["login"].parse({"phone": ADA, "signature": signature})["device"] == 1
    assert OPERATIONS["login"].parse({"phone": ADA, "signature": signature, "device": 3})["device"] == 3
    assert OPERATIONS["send"].parse({"to": ADA, "client_id": "c", "body": "AA=="})["device"] == 1
    assert OPERATIONS["get_bundle"].parse({"phone": ADA})["device"] is None  # the lowest id
    with pytest.raises(FieldError, match=r"^get_bundle.device: expected an integer from 1 to 2147483647"):
        OPERATIONS["get_bundle"].parse({"phone": ADA, "device": 2**31})


def test_link_fields_are_checked() -> None:
    key = base64.b64encode(bytes(32)).decode()
    assert OPERATIONS["link_open"].parse({"key": key}) == {"key": bytes(32)}
    with pytest.raises(FieldError, match=r"^link_join.code: has characters that are not allowed"):
        OPERATIONS["link_join"].parse({"code": "abcdefghijklmnop", "key": key})
    with pytest.raises(FieldError, match=r"^link_join.code: expected 16 to 16 characters"):
        OPERATIONS["link_join"].parse({"code": "ABCD", "key": key})
    assert OPERATIONS["set_device_name"].parse({"name": ""}) == {"name": b""}
    with pytest.raises(FieldError, match=r"^set_device_name.name: longer than 512 bytes"):
        OPERATIONS["set_device_name"].parse({"name": base64.b64encode(bytes(513)).decode()})


_SEND = {"to": ADA, "client_id": "m-1", "body": "AA=="}


@pytest.mark.parametrize("op", ["send", "send_many"])
def test_expires_in_is_1_second_to_30_days_and_absent_means_none(op: str) -> None:
    frame = _SEND if op == "send" else _many([{"to": ADA, "body": "AA=="}])
    assert OPERATIONS[op].parse(frame)["expires_in"] == 0  # absent: the copy waits until acknowledged
    for seconds in (1, 300, 2_592_000):
        assert OPERATIONS[op].parse({**frame, "expires_in": seconds})["expires_in"] == seconds
    for wrong in (0, -1, 2_592_001, 2**63, 1.0, 300.5, "300", True, [300]):
        with pytest.raises(FieldError) as caught:
            OPERATIONS[op].parse({**frame, "expires_in": wrong})
        assert caught.value.code is ErrorCode.BAD_REQUEST
        assert str(caught.value) == f"{op}.expires_in: expected an integer from 1 to 2592000"
    with pytest.raises(FieldError, match=rf"^{op}.expires_in: null is not a value; leave the field out"):
        OPERATIONS[op].parse({**frame, "expires_in": None})


def test_a_blob_id_is_43_characters_of_base64url_in_its_one_spelling() -> None:
    from net.protocol.blobs import BLOB_PIECE, encode_blob_id
    from net.protocol.schema import blob_id

    good = encode_blob_id(bytes(range(32)))
    assert len(good) == 43 and blob_id(good) == good
    last_unused_bits_set = good[:-1] + "x"  # 'x' has its low bits set where the 32 bytes end
    for bad in (good[:-1], good + "A", good[:-1] + "+", good[:-1] + "=", last_unused_bits_set, 43, None):
        with pytest.raises(FieldError) as caught:
            blob_id(bad)
        assert caught.value.code is ErrorCode.BAD_REQUEST
    put = OPERATIONS["blob_put"]
    piece = base64.b64encode(b"\0" * BLOB_PIECE).decode()
    assert put.parse({"blob": good, "offset": 0, "data": piece})["data"] == b"\0" * BLOB_PIECE
    with pytest.raises(FieldError, match=r"blob_put\.data"):
        put.parse({"blob": good, "offset": 0, "data": base64.b64encode(b"\0" * (BLOB_PIECE + 1)).decode()})
    with pytest.raises(FieldError, match=r"blob_get\.length"):
        OPERATIONS["blob_get"].parse({"blob": good, "offset": 0, "length": BLOB_PIECE + 1})
    with pytest.raises(FieldError, match=r"blob_start\.size"):
        OPERATIONS["blob_start"].parse({"size": 0})
    with pytest.raises(FieldError, match=r"blob_finish\.sha256"):
        OPERATIONS["blob_finish"].parse({"blob": good, "sha256": base64.b64encode(b"x" * 31).decode()})
