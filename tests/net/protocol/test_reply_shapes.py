"""Checking a reply into its object: nested records and lists name the failing field's path, in bad_reply."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from net.protocol.errors import RemoteProtocolError
from net.protocol.reply_shapes import BAD_REPLY, items, literal, push_shape, record, reply
from net.protocol.schema import Field, integer


@dataclass(frozen=True)
class Point:
    x: int


@dataclass(frozen=True)
class Path:
    points: tuple[Point, ...]
    done: bool = False


SHAPE = reply(
    "trace",
    Path,
    Field("points", items(record(Point, Field("x", integer(0, 9))), 3)),
    Field("done", literal(True), required=False, default=False),
)


def problem(body: object) -> str:
    with pytest.raises(RemoteProtocolError) as caught:
        SHAPE.parse(body)  # type: ignore[arg-type]
    assert caught.value.code == BAD_REPLY
    return caught.value.message


def test_a_good_reply_becomes_its_object_and_an_absent_optional_field_its_default() -> None:
    assert SHAPE.parse({"points": [{"x": 1}, {"x": 2}]}) == Path((Point(1), Point(2)), False)
    assert SHAPE.parse({"points": [], "done": True, "unknown": 1}) == Path((), True)


def test_each_failure_names_the_operation_and_the_path_of_the_field() -> None:
    assert problem({}) == "trace reply.points: missing"
    assert problem({"points": [{"x": 1}, {}]}) == "trace reply.points[1].x: missing"
    assert problem({"points": [{"x": 10}]}).startswith("trace reply.points[0].x: ")
    assert problem({"points": [{"x": 1}] * 4}) == "trace reply.points: at most 3 items"
    assert problem({"points": {}}) == "trace reply.points: expected a list"
    assert problem({"points": [], "done": 1}) == "trace reply.done: expected True"  # 1 is not True
    assert problem([]) == "trace reply: expected an object"


def test_a_push_is_named_as_a_push() -> None:
    shape = push_shape("beep", Point, Field("x", integer(0, 9)))
    with pytest.raises(RemoteProtocolError, match=r"^beep push\.x: missing$"):
        shape.parse({})
