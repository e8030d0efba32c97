"""Five people (or more), headless, in one group: adds, a removal, a rename, a race, a restart, messages.

    python -m net.demo --group 5                          starts `python main.py server --dev-codes` itself
    python -m net.demo --group 5 --server 127.0.0.1:5000  uses a server already started with --dev-codes

Every person is a Messenger on a profile of their own in a temporary folder, the
engine the app uses. The first makes the group of all but the last, makes the
second an admin; everyone writes; the last is added; everyone writes; then the two
admins act at once (one renames the group while the other removes the fourth
person); the third person closes their profile while the others write, and opens
it again. The demo waits (bounded) until every member holds what was meant for
them, then counts from each member's history and ends with one line:

    group of 5: N messages, lost 0, duplicated 0, undecryptable 0, converged yes

lost: a message meant for a member missing from their history; duplicated: a message
there more than once; undecryptable: what the engines could not decrypt; converged:
every member's view of the group (name, version, members and admins) the same, and
the removed person's own profile saying so. The exit status is 0 only when all are right.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from net.bench.demo import PASSPHRASE, Person, settle
from net.bench.group_tally import GroupTally, Sent, tally
from net.client.core.engine_error import EngineError
from net.client.core.events import Event, GroupView, UndecryptableMessage
from net.client.messenger import Messenger

NAMES = ("Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy")
SETTLE_TIMEOUT = 90.0
#: How the demo compares members' views: what every member must agree on.
ViewKey = tuple[str, int, tuple[tuple[str, bool], ...]]


class DemoMember(Person):
    """A demo person who stays quiet (the counts come at the end) and can close and reopen their profile."""

    def __init__(self, root: Path, name: str, phone: str) -> None:
        self.root = root
        super().__init__(root, name, phone)
        self.undecryptable = 0

    def _on_event(self, event: Event) -> None:
        self.events.append(event)
        if isinstance(event, UndecryptableMessage):
            self.undecryptable += 1

    def restart(self, host: str, port: int) -> None:
        """Close the profile and the engine, then open the same profile in a new engine and log in."""
        profile_id = self.engine.list_profiles()[0].profile_id
        self.engine.close()
        self.events = []
        self.engine = Messenger(self.root / self.name, self._on_event)
        self.engine.unlock(profile_id, PASSPHRASE)
        self.engine.connect()

    def view(self, group_id: str) -> GroupView | None:
        try:
            return self.engine.group(group_id)
        except EngineError:
            return None

    def group_messages(self, group_id: str) -> list[tuple[str, str]]:
        """(author, text) of every message in the group's history, our own included; no notices."""
        rows = self.engine.history(group_id, limit=10_000)
        return [(self.phone if m.outgoing else m.sender, m.text) for m in rows if not m.notice]


def view_key(view: GroupView | None) -> ViewKey | None:
    if view is None or view.standing != "member":
        return None
    return view.name, view.version, tuple((m.phone, m.admin) for m in view.members)


class GroupDemo:
    def __init__(self, host: str, port: int, fingerprint: str | None, folder: Path, size: int) -> None:
        self.host, self.port, self.fingerprint = host, port, fingerprint
        self.people = [
            DemoMember(
                folder, NAMES[i % len(NAMES)] + ("" if i < len(NAMES) else str(i)), f"+44207946{1000 + i:04d}"
            )
            for i in range(size)
        ]
        self.group_id = ""
        self.members: list[DemoMember] = []
        self.removed: list[DemoMember] = []
        self.sent: list[Sent] = []
        self.offline: set[str] = set()

    # ------------------------------------------------------------------ the loop

    def poll(self) -> None:
        for person in self.people:
            if person.phone not in self.offline:
                person.engine.poll(0.005)

    def settle(self, what: str, condition: Callable[[], bool], timeout: float = SETTLE_TIMEOUT) -> bool:
        """Poll everyone until ``condition`` holds (checked every 0.2 s); False, said, after ``timeout``."""
        return settle(what, condition, self.poll, timeout)

    def converged(self) -> bool:
        keys = {view_key(m.view(self.group_id)) for m in self.members}
        if None in keys or len(keys) != 1:
            return False
        (key,) = keys
        assert key is not None
        if {phone for phone, _ in key[2]} != {m.phone for m in self.members}:
            return False
        return all((v := p.view(self.group_id)) is not None and v.standing == "removed" for p in self.removed)

    def all_delivered(self) -> bool:
        return self.count().lost == 0

    def count(self) -> GroupTally:
        everyone = [*self.members, *self.removed]
        histories = {p.phone: p.group_messages(self.group_id) for p in everyone}
        views = {m.phone: view_key(m.view(self.group_id)) for m in self.members}
        undecryptable = sum(p.undecryptable for p in self.people)
        return tally(self.sent, histories, undecryptable, views)

    # ------------------------------------------------------------------ what people do

    def write(self, round_name: str, authors: list[DemoMember] | None = None) -> None:
        for author in authors if authors is not None else self.members:
            text = f"{author.name}: {round_name}"
            author.engine.send_group_text(self.group_id, text)
            others = frozenset(m.phone for m in self.members if m is not author)
            self.sent.append(Sent(author.phone, text, others))
            self.poll()

    def run(self) -> GroupTally:
        people = self.people
        for person in people:
            person.join(self.host, self.port, self.fingerprint)
        for person in people:
            for other in people:
                if other is not person:
                    person.engine.add_contact(other.phone, other.name)
        first, second, restarted, dropped, late = people[0], people[1], people[2], people[3], people[-1]
        self.members = people[:-1]
        view = first.engine.create_group("Demo group", [p.phone for p in self.members[1:]])
        self.group_id = view.group_id
        print(f"{first.name} made a group of {len(self.members)}")
        self.settle("everyone to see the new group", self.converged)
        first.engine.set_group_admin(self.group_id, second.phone, True)
        print(f"{first.name} made {second.name} an admin")
        self.settle("the new admin", self.converged)
        self.write("hello, everyone")
        self.settle("the first messages", self.all_delivered)

        first.engine.add_group_members(self.group_id, [late.phone])
        self.members.append(late)
        print(f"{first.name} added {late.name}")
        self.settle(f"{late.name} to join", self.converged)
        self.write(f"welcome, {late.name}")

        # Two admins at once: neither has seen the other's change when making their own.
        first.engine.rename_group(self.group_id, "Demo group, renamed")
        second.engine.remove_group_member(self.group_id, dropped.phone)
        self.members.remove(dropped)
        self.removed.append(dropped)
        print(f"at once: {first.name} renamed the group, {second.name} removed {dropped.name}")
        self.settle("the race to converge", self.converged)

        restarted.engine.close()
        self.offline.add(restarted.phone)
        print(f"{restarted.name} closed their profile")
        self.write("while one of us is away", [m for m in self.members if m is not restarted])
        self.settle("the others' copies to arrive", self.all_others_delivered(restarted))
        restarted.restart(self.host, self.port)
        self.offline.discard(restarted.phone)
        print(f"{restarted.name} opened their profile again")
        self.write("back again", [restarted])
        self.settle("every message to arrive", self.all_delivered)
        self.settle("every member to agree", self.converged)
        return self.count()

    def all_others_delivered(self, away: DemoMember) -> Callable[[], bool]:
        def done() -> bool:
            present = [p for p in (*self.members, *self.removed) if p is not away]
            histories = {p.phone: p.group_messages(self.group_id) for p in present}
            held = {p: set(h) for p, h in histories.items()}
            return all(
                (s.author, s.text) in held[member]
                for s in self.sent
                for member in (s.meant_for | {s.author}) - {away.phone}
            )

        return done

    def close(self) -> None:
        for person in self.people:
            if person.phone not in self.offline:
                person.engine.close()


def run_demo(host: str, port: int, fingerprint: str | None, folder: Path, size: int) -> GroupTally:
    demo = GroupDemo(host, port, fingerprint, folder, size)
    try:
        return demo.run()
    finally:
        demo.close()
