"""How a reply or push is checked into its typed object: nested records and lists, named paths.

A :class:`Shape` is one reply's (or push's) fields, in the order PROTOCOL.md lists them,
and the dataclass they become. A field that fails is a
:class:`~net.protocol.errors.RemoteProtocolError` with the code :data:`BAD_REPLY` whose
message names the operation and the field's path through nested records and lists
(``fetch reply.messages[3].id: missing``). The shapes themselves are in
:mod:`net.protocol.replies`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from net.protocol.errors import RemoteProtocolError
from net.protocol.schema import MAX_MESSAGE_ID, Converter, Field, FieldError, integer, text

#: The code of every malformed reply or push; the client's own, never on the wire.
BAD_REPLY = "bad_reply"
MAX_COUNT = 2**53 - 1  # counts, sizes and times: what JSON keeps exact

# The values replies are made of.
E164 = text(32, min_len=2, pattern=r"\+[0-9]+")
COUNT = integer(0, MAX_COUNT)
TS = integer(0, MAX_COUNT)
MESSAGE_ID = integer(1, MAX_MESSAGE_ID)

T = TypeVar("T")


class _Bad(Exception):
    """A field failed inside a reply: ``path`` is where, relative to the converter that raised it."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(problem)
        self.path = path
        self.problem = problem


def _checked_fields(fields: tuple[Field, ...], value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Bad("", "expected an object")
    out: dict[str, Any] = {}
    for field in fields:
        if field.name not in value:
            if field.required:
                raise _Bad(f".{field.name}", "missing")
            out[field.name] = field.default
            continue
        try:
            out[field.name] = field.convert(value[field.name])
        except FieldError as exc:
            raise _Bad(f".{field.name}", str(exc)) from None
        except _Bad as exc:
            raise _Bad(f".{field.name}{exc.path}", exc.problem) from None
    return out


def record(make: Callable[..., Any], *fields: Field) -> Converter:
    """A nested object, checked field by field and built by ``make`` (its fields as keywords)."""
    return lambda value: make(**_checked_fields(fields, value))


def items(item: Converter, max_items: int) -> Converter:
    """A list whose failures are named by index: ``messages[3].id``."""

    def convert(value: object) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise _Bad("", "expected a list")
        if len(value) > max_items:
            raise _Bad("", f"at most {max_items} items")
        out = []
        for index, element in enumerate(value):
            try:
                out.append(item(element))
            except FieldError as exc:
                raise _Bad(f"[{index}]", str(exc)) from None
            except _Bad as exc:
                raise _Bad(f"[{index}]{exc.path}", exc.problem) from None
        return tuple(out)

    return convert


def literal(expected: object) -> Converter:
    def convert(value: object) -> object:
        if value != expected or type(value) is not type(expected):
            raise _Bad("", f"expected {expected!r}")
        return value

    return convert


@dataclass(frozen=True)
class Shape(Generic[T]):
    """What one reply (or push) looks like and the object it becomes.

    ``op`` is the operation it answers (or the push's kind); errors name it with ``kind``.
    """

    op: str
    make: Callable[..., T]
    fields: tuple[Field, ...] = ()
    kind: str = "reply"

    def parse(self, body: dict[str, Any]) -> T:
        """The typed object, or :class:`RemoteProtocolError` (``bad_reply``) naming the first bad field."""
        try:
            return self.make(**_checked_fields(self.fields, body))
        except _Bad as exc:
            raise RemoteProtocolError(BAD_REPLY, f"{self.op} {self.kind}{exc.path}: {exc.problem}") from None


def reply(op: str, make: Callable[..., T], *fields: Field) -> Shape[T]:
    return Shape(op, make, fields)


def push_shape(kind: str, make: Callable[..., T], *fields: Field) -> Shape[T]:
    return Shape(kind, make, fields, kind="push")
