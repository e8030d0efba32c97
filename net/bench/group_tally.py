"""The group demo's count: what each member was meant to get against what their history holds.

Pure: the demo hands in what it sent (each message's author and the members it was
meant for) and what each member's profile shows, and gets the figures of its last line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Sent:
    """One group message: its author, its text (unique in the run) and the members it was meant for."""

    author: str
    text: str
    #: The group's members other than the author when it was sent.
    meant_for: frozenset[str]


@dataclass(frozen=True)
class GroupTally:
    messages: int
    #: A copy meant for a member (or the author's own row) missing from their history.
    lost: int
    #: Copies beyond the first of one message in one history.
    duplicated: int
    #: Messages the engines could not decrypt (their UndecryptableMessage events).
    undecryptable: int
    #: Messages in a history that were not meant for that member (sent before they joined or after they left).
    leaked: int
    #: Every member's view of the group is the same.
    converged: bool

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicated or self.undecryptable or self.leaked) and self.converged

    def line(self, size: int) -> str:
        return (
            f"group of {size}: {self.messages} messages, lost {self.lost}, duplicated {self.duplicated},"
            f" undecryptable {self.undecryptable}, converged {'yes' if self.converged else 'no'}"
        )


def tally(
    sent: Sequence[Sent],
    histories: Mapping[str, Sequence[tuple[str, str]]],
    undecryptable: int,
    views: Mapping[str, Hashable],
) -> GroupTally:
    """``histories``: each member's group messages as (author, text), their own included.

    ``views``: each current member's view of the group, compared as values.
    """
    lost = duplicated = leaked = 0
    expected: dict[str, set[tuple[str, str]]] = {member: set() for member in histories}
    for message in sent:
        for member in message.meant_for | {message.author}:
            expected.setdefault(member, set()).add((message.author, message.text))
    for member, wanted in expected.items():
        held = Counter(histories.get(member, ()))
        for key in wanted:
            count = held.get(key, 0)
            lost += count == 0
            duplicated += max(0, count - 1)
        leaked += sum(count for key, count in held.items() if key not in wanted)
    return GroupTally(len(sent), lost, duplicated, undecryptable, leaked, len(set(views.values())) <= 1)
