"""Two people, one of them on several computers, headless: linking, fan-out, sync copies, unlinking.

    python -m net.demo --devices 3                          starts `python main.py server --dev-codes` itself
    python -m net.demo --devices 3 --server 127.0.0.1:5000  uses a server already started with --dev-codes

Every device is a Messenger on a profile of its own in a temporary folder, the engine the
app uses. Alice registers one computer; Bob registers B1 and links B2 (and, with more than
three devices, the others but the last) with the real comparison step: each new computer
shows a link code, B1 joins it, both ends show their comparison number, the demo checks
the two are the same and confirms on both. Every device writes; then the last device is
linked half way (with the history of the account) and every device writes again; then B1
unlinks B2, which is refused by the server from then on and says so in words; every device
left writes once more. The demo waits (bounded) until every device holds what was meant for
it, then counts from each device's history and ends with one line:

    devices 3: N messages, each on every device once, lost 0, duplicated 0

N is the number of messages written. A message is meant for Alice's computer and for every
device of Bob's that was linked when it was written, or later with the history (Bob's own
messages reach his other devices as sync copies, shown there as his); an unlinked device
keeps what it had and gets nothing after. lost: a message missing from a device that should
hold it; duplicated: a message there more than once. The exit status is 0 only when all are
right: nothing lost or duplicated, nothing undecryptable, nothing on a device it was not
meant for, and the unlinked device refused in words.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from net.bench.demo import PASSPHRASE, settle
from net.client.core.device_events import LinkCodeShown, LinkComparison, LinkFailed, LinkFinished
from net.client.core.engine_error import EngineError
from net.client.core.events import CodeSent, ErrorReported, Event, ServerKeyUnknown, UndecryptableMessage
from net.client.messenger import Messenger
from net.protocol.fingerprints import normalize_fingerprint

MIN_DEVICES, MAX_DEVICES = 3, 5
SETTLE_TIMEOUT = 90.0
ALICE, BOB = "+442079461001", "+442079461002"
E = TypeVar("E")


@dataclass(frozen=True)
class Written:
    """One message: its author (a phone), its text (unique in the run), the devices meant to hold it."""

    author: str
    text: str
    holders: frozenset[str]


@dataclass(frozen=True)
class DeviceTally:
    messages: int
    #: A message missing from a device meant to hold it.
    lost: int
    #: Copies beyond the first of one message on one device.
    duplicated: int
    #: Messages on a device they were not meant for (above all: sent after it was unlinked).
    leaked: int
    #: Messages the engines could not decrypt (their UndecryptableMessage events).
    undecryptable: int
    #: The unlinked device was refused by the server and said so in words.
    refused: bool

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicated or self.leaked or self.undecryptable) and self.refused

    def line(self, devices: int) -> str:
        each = "each" if not (self.lost or self.duplicated) else "not each"
        return (
            f"devices {devices}: {self.messages} messages, {each} on every device once,"
            f" lost {self.lost}, duplicated {self.duplicated}"
        )


def tally(
    sent: Sequence[Written],
    histories: Mapping[str, Sequence[tuple[str, str]]],
    undecryptable: int = 0,
    refused: bool = True,
) -> DeviceTally:
    """``histories``: each device's (author, text) of its conversation, its account's own included."""
    lost = duplicated = leaked = 0
    for device, rows in histories.items():
        held = Counter(rows)
        wanted = {(s.author, s.text) for s in sent if device in s.holders}
        for key in wanted:
            count = held.get(key, 0)
            lost += count == 0
            duplicated += max(0, count - 1)
        leaked += sum(count for key, count in held.items() if key not in wanted)
    for message in sent:  # a holder the demo has no history of holds nothing
        lost += sum(1 for device in message.holders if device not in histories)
    return DeviceTally(len(sent), lost, duplicated, leaked, undecryptable, refused)


@dataclass
class Device:
    """One computer: a profile and its engine, quiet (the counts come at the end)."""

    root: Path
    label: str
    #: The person this computer belongs to, and who they talk to.
    phone: str
    other: str
    events: list[Event] = field(default_factory=list)
    device: int = 1
    online: bool = True

    def __post_init__(self) -> None:
        self.engine = Messenger(self.root / self.label, self.events.append)

    def of(self, kind: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, kind)]

    def choose_server(self, host: str, port: int, fingerprint: str | None) -> None:
        """A new profile, the server chosen, its key compared with what the server printed and accepted."""
        self.engine.create_profile(self.label, PASSPHRASE)
        self.engine.set_server(host, port)
        try:
            self.engine.connect()
        except EngineError as exc:
            if exc.code != "server_key_unknown":
                raise
        offered = self.of(ServerKeyUnknown)[-1].fingerprint
        if fingerprint is not None and normalize_fingerprint(offered) != fingerprint:
            raise SystemExit(f"{self.label}: the server presented another key than it printed; stopping")
        self.engine.accept_server_key(offered)

    def register(self) -> None:
        self.engine.connect()
        self.engine.register_start(self.phone, f"{self.label.lower()}@example.org")
        code = self.of(CodeSent)[-1].dev_code
        if code is None:
            raise SystemExit("the server does not return codes: start it with --dev-codes")
        self.engine.register_finish(code)

    def conversation(self) -> list[tuple[str, str]]:
        """(author, text) of every message with the other person, ours (from any of our devices) included."""
        rows = self.engine.history(self.other, limit=10_000)
        return [(self.phone if m.outgoing else self.other, m.text) for m in rows if not m.notice]


class DeviceDemo:
    def __init__(self, host: str, port: int, fingerprint: str | None, folder: Path, count: int) -> None:
        self.host, self.port, self.fingerprint = host, port, fingerprint
        self.alice = Device(folder, "Alice", ALICE, BOB)
        self.bob = [Device(folder, f"B{i}", BOB, ALICE) for i in range(1, count + 1)]
        self.devices = [self.alice, *self.bob]
        self.sent: list[Written] = []
        #: The devices linked now, by label: each message written is meant for them.
        self.linked: set[str] = set()
        #: The unlinked device was refused in words (its connection ended, its new login refused).
        self.refused = False

    # ------------------------------------------------------------------ the loop

    def poll(self) -> None:
        for device in self.devices:
            if device.online:
                device.engine.poll(0.005)

    def settle(self, what: str, condition: Callable[[], bool], timeout: float = SETTLE_TIMEOUT) -> bool:
        """Poll the online devices until ``condition`` holds (every 0.2 s); False, said, on timeout."""
        return settle(what, condition, self.poll, timeout)

    def count(self) -> DeviceTally:
        histories = {
            d.label: d.conversation() for d in self.devices if d.label in self.linked or not d.online
        }
        undecryptable = sum(len(d.of(UndecryptableMessage)) for d in self.devices)
        return tally(self.sent, histories, undecryptable, self.refused)

    def delivered(self) -> bool:
        histories = {d.label: set(d.conversation()) for d in self.devices if d.label in self.linked}
        return all(
            (s.author, s.text) in histories[holder]
            for s in self.sent
            for holder in s.holders
            if holder in histories
        )

    # ------------------------------------------------------------------ what people do

    def link(self, new: Device, existing: Device, *, history: bool) -> None:
        """Link ``new`` to ``existing``'s account with the comparison step, as a person would."""
        new.choose_server(self.host, self.port, self.fingerprint)
        new.engine.link_start()
        if not self.settle(
            f"{new.label}'s link code", lambda: bool(new.of(LinkCodeShown) or new.of(LinkFailed))
        ):
            raise SystemExit(f"{new.label} got no link code")
        if failed := new.of(LinkFailed):
            raise SystemExit(f"{new.label} could not start a link: {failed[-1].message}")
        existing.engine.link_join(new.of(LinkCodeShown)[-1].code)

        def compared() -> bool:
            return bool(new.of(LinkFailed) or existing.of(LinkFailed)) or bool(
                new.of(LinkComparison) and existing.of(LinkComparison)
            )

        if not self.settle("both ends to show the comparison number", compared):
            raise SystemExit(f"linking {new.label}: no comparison number came")
        if failed := new.of(LinkFailed) + existing.of(LinkFailed):
            raise SystemExit(f"linking {new.label} failed: {failed[-1].message}")
        shown_new, shown_old = new.of(LinkComparison)[-1].number, existing.of(LinkComparison)[-1].number
        same = shown_new == shown_old
        print(
            f"{new.label} shows {shown_new}, {existing.label} shows {shown_old}:"
            f" {'the same, confirmed on both' if same else 'different, refused'}"
        )
        new.engine.link_confirm(same)
        existing.engine.link_confirm(same, history=history)
        if not same:
            raise SystemExit("the comparison numbers differ: nothing was linked")
        before = len(existing.of(LinkFinished))

        def finished() -> bool:
            failed = bool(new.of(LinkFailed) or existing.of(LinkFailed))
            return failed or (bool(new.of(LinkFinished)) and len(existing.of(LinkFinished)) > before)

        if not self.settle(f"{new.label} to be linked", finished):
            raise SystemExit(f"linking {new.label}: the link did not finish")
        if failed := new.of(LinkFailed) + existing.of(LinkFailed):
            raise SystemExit(f"linking {new.label} failed: {failed[-1].message}")
        new.device = new.of(LinkFinished)[-1].device
        self.linked.add(new.label)
        if history:  # everything written so far is meant for the new computer too, from the history
            self.sent = [Written(s.author, s.text, s.holders | {new.label}) for s in self.sent]
        print(f"{new.label} is linked as device {new.device}{' with the history' if history else ''}")

    def write(self, round_name: str) -> None:
        for author in self.devices:
            if author.label not in self.linked:
                continue
            text = f"{author.label}: {round_name}"
            author.engine.send_text(author.other, text)
            self.sent.append(Written(author.phone, text, frozenset(self.linked)))
            self.poll()
        self.settle(f"the messages of {round_name!r}", self.delivered)

    def unlink(self, gone: Device, by: Device) -> None:
        """``by`` unlinks ``gone``: its connection is ended in words, and a new login is refused in words."""
        by.engine.unlink_device(gone.device)
        self.linked.discard(gone.label)
        print(f"{by.label} unlinked {gone.label}")

        def ended() -> bool:
            return any(e.code == "device_unlinked" for e in gone.of(ErrorReported))

        said = ""
        if self.settle(f"{gone.label} to be told", ended):
            said = [e for e in gone.of(ErrorReported) if e.code == "device_unlinked"][-1].message
            print(f"  {gone.label} was told: {said}")
        gone.online = False
        try:
            gone.engine.connect()
        except EngineError as exc:
            print(f"  {gone.label} logging in again is refused: {exc.message}")
            self.refused = exc.code == "device_unlinked" and "unlinked" in said and "unlinked" in exc.message
        else:
            print(f"  {gone.label} could log in again after being unlinked")

    def run(self) -> DeviceTally:
        first, second, late = self.bob[0], self.bob[1], self.bob[-1]
        for person in (self.alice, first):
            person.choose_server(self.host, self.port, self.fingerprint)
            person.register()
            self.linked.add(person.label)
            print(f"{person.label} registered as {person.phone}")
        self.alice.engine.add_contact(BOB, "Bob")
        first.engine.add_contact(ALICE, "Alice")
        for device in self.bob[1:-1]:
            self.link(device, first, history=False)
        self.write("hello")
        self.link(late, first, history=True)
        self.write("with one more computer")
        self.unlink(second, first)
        self.write(f"without {second.label}")
        self.settle("every message to arrive", self.delivered)
        return self.count()

    def close(self) -> None:
        for device in self.devices:
            device.engine.close()


def run_demo(host: str, port: int, fingerprint: str | None, folder: Path, count: int) -> DeviceTally:
    demo = DeviceDemo(host, port, fingerprint, folder, count)
    try:
        return demo.run()
    finally:
        demo.close()
