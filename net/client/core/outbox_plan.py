"""The outbox's decisions as pure steps over data: what goes, what needs a session first, what replies mean.

:meth:`net.client.outbox.Outbox.flush` is the driver: it reads the profile, starts
sessions, seals and sends. Every choice in between is one of these functions,
which touch no socket, no profile and no clock (the time is an argument), so
they are tested in milliseconds:

1. :func:`select`: the entries that may go now (not paused, not a text held
   for a contact whose key changed), cut into :func:`batches`;
2. :func:`needing_session`: the contacts of a batch without a current session;
   the driver asks for their bundles, then :func:`sealable` says which entries
   are sealed and which fail for good because their session could not start;
3. :func:`judge`: the server's replies to the ``send``\\ s, as entries done,
   entries failed for good, and pauses (in the order they came);
4. per device (Sesame): each entry is sealed for every device of its contact (:func:`addresses`;
   an entry to our own number, a sync copy, for our other devices), and a ``devices_changed``
   refusal is resealed for the devices the server named and sent again at once, once
   (:func:`retry_at_once`, :func:`device_change`);
5. :func:`apply_pauses`: the pauses into the per-contact "not before" times:
   a refusal that means "not now" (:data:`net.client.core.connection_state.RETRY_LATER`) waits the next
   step of the shared backoff with jitter (one step per contact and round);
   any other refusal that is not fatal (``queue_full``: the contact's queue on
   the server is full) waits :data:`PAUSE_SECONDS`, or until a message from
   that contact comes (:func:`heard_from`: they are online and taking their
   queue, so it has room again), and marks the contact *full*.

A contact paused in one batch sits out the later batches of the same flush
(:func:`unpaused`). Every entry sealed for a refused send uses up a message key
of the ratchet, and the recipient can skip at most
:data:`crypto_core.skipped_keys.MAX_GAP` keys in one go: a flush that went on
sending 2,500 texts to a queue with room for 1,000 left a gap of 1,500, and
every text sent after it was undecryptable until the session healed. So a full
contact is tried again with its oldest entry alone (:func:`select`), and only
once the server accepts it does the rest go (:func:`settle`): a refused round
costs the batch it was found in once, then one key per try.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

from net.client.core.backoff import Backoff
from net.client.core.connection_state import RETRY_LATER
from storage.profile.delivery import OutboxItem

BATCH = 200
#: After the server refuses for a while (its queue for that person is full), try that contact again later
#: (sooner if a message from them comes first: see :func:`heard_from`).
PAUSE_SECONDS = 30.0
#: Refusals that mean the message can never go out as it is.
FATAL = frozenset({"unknown_account", "bad_request", "frame_too_large"})
#: The refusal that says the recipient's devices are not the ones the copies named: resealed and sent
#: again at once (:func:`retry_at_once`), and refused a second time, tried after the usual backoff.
DEVICES_CHANGED = "devices_changed"


class _Named(Protocol):
    @property
    def message_id(self) -> str | None: ...


E = TypeVar("E", bound=_Named)
#: (code, words) of a refusal.
Refusal = tuple[str, str]


class Verdict(StrEnum):
    FATAL = "fatal"  # the entry fails, and the person is told
    BUSY = "busy"  # not now: the contact waits the next backoff step
    PAUSE = "pause"  # the contact waits PAUSE_SECONDS (its queue on the server is full)


def verdict(code: str) -> Verdict:
    if code in FATAL:
        return Verdict.FATAL
    return Verdict.BUSY if code in RETRY_LATER or code == DEVICES_CHANGED else Verdict.PAUSE


def split_session_refusals(refusals: Mapping[str, Refusal]) -> tuple[set[str], dict[str, Refusal]]:
    """The contacts whose bundle the server refused: those it was busy for (tried again after a
    backoff, their entries stay queued), and those refused for good (their entries fail)."""
    busy = {contact for contact, (code, _) in refusals.items() if code in RETRY_LATER}
    return busy, {contact: refusal for contact, refusal in refusals.items() if contact not in busy}


@dataclass
class Results(Generic[E]):
    """What one batch came to: sent, failed for good (with the refusal), and pauses in order."""

    done: list[tuple[OutboxItem, E]] = field(default_factory=list)
    failed: list[tuple[OutboxItem, E, str, str]] = field(default_factory=list)
    pauses: list[tuple[str, Verdict]] = field(default_factory=list)


def select(
    pending: Iterable[tuple[OutboxItem, E]],
    *,
    held: set[str],
    paused: Mapping[str, float],
    now: float,
    full: Collection[str] = frozenset(),
) -> list[tuple[OutboxItem, E]]:
    """The entries that may go now, oldest first (receipts and notices go on to a held contact).

    Of a contact in ``full`` (its queue on the server was full), only the oldest entry goes.
    """
    chosen: list[tuple[OutboxItem, E]] = []
    tried: set[str] = set()
    for item, entry in pending:
        if paused.get(item.contact, 0.0) > now or (entry.message_id is not None and item.contact in held):
            continue
        if item.contact in full:
            if item.contact in tried:
                continue
            tried.add(item.contact)
        chosen.append((item, entry))
    return chosen


def unpaused(
    batch: Iterable[tuple[OutboxItem, E]], paused: Mapping[str, float], now: float
) -> list[tuple[OutboxItem, E]]:
    """The entries of a batch whose contact no earlier batch of the same flush paused."""
    return [(item, entry) for item, entry in batch if paused.get(item.contact, 0.0) <= now]


def batches(waiting: Sequence[tuple[OutboxItem, E]], size: int = BATCH) -> list[list[tuple[OutboxItem, E]]]:
    return [list(waiting[start : start + size]) for start in range(0, len(waiting), size)]


def needing_session(batch: Iterable[tuple[OutboxItem, E]], has_session: Callable[[str], bool]) -> list[str]:
    """The contacts of the batch, in a stable order, that need a bundle (a new session) first."""
    return [contact for contact in sorted({item.contact for item, _ in batch}) if not has_session(contact)]


def sealable(
    batch: Iterable[tuple[OutboxItem, E]], *, busy: set[str], refused: Mapping[str, Refusal]
) -> tuple[list[tuple[OutboxItem, E]], list[tuple[OutboxItem, E, str, str]]]:
    """After the sessions were started: the entries to seal, and those failed with their contact's session.

    Entries to a contact the server was busy for stay in the outbox untouched.
    """
    batch = list(batch)
    failed = [
        (item, entry, *refused[contact])
        for contact in sorted(refused)
        for item, entry in batch
        if item.contact == contact
    ]
    go = [(item, entry) for item, entry in batch if item.contact not in refused and item.contact not in busy]
    return go, failed


def judge(replies: Iterable[tuple[OutboxItem, E, Refusal | None]]) -> Results[E]:
    """The replies to the sends (None: accepted), in the order they were sent."""
    results: Results[E] = Results()
    for item, entry, refusal in replies:
        if refusal is None:
            results.done.append((item, entry))
            continue
        found = verdict(refusal[0])
        if found is Verdict.FATAL:
            results.failed.append((item, entry, *refusal))
        else:
            results.pauses.append((item.contact, found))
    return results


def apply_pauses(
    paused: dict[str, float],
    busy: Backoff,
    pauses: Iterable[tuple[str, Verdict]],
    now: float,
    full: set[str] | None = None,
) -> None:
    """Record when each paused contact may be tried again (``now`` is the engine's monotonic time).

    A contact whose queue was full joins ``full``.
    """
    for contact, found in pauses:
        if found is Verdict.BUSY:
            if paused.get(contact, 0.0) <= now:  # one step per refused round, not per entry
                busy.failed()
            paused[contact] = max(paused.get(contact, 0.0), busy.next_attempt)
        else:
            paused[contact] = now + PAUSE_SECONDS
            if full is not None:
                full.add(contact)


def settle(full: set[str], results: Results[E]) -> bool:
    """Contacts the server accepted an entry for, and refused none as full, have room again: they
    leave ``full``. Returns whether any did (the rest of their entries may go at once)."""
    refused = {contact for contact, found in results.pauses if found is Verdict.PAUSE}
    back = full.intersection(item.contact for item, _ in results.done) - refused
    full.difference_update(back)
    return bool(back)


def heard_from(paused: dict[str, float], full: Collection[str], contact: str) -> bool:
    """A message came from ``contact``: if their queue was full, they are online and taking it, so
    their pause ends now (the next try is their oldest entry alone). Returns whether it ended."""
    if contact not in full or contact not in paused:
        return False
    del paused[contact]
    return True


def expire(paused: Mapping[str, float], now: float) -> dict[str, float]:
    """The pauses still running at ``now``."""
    return {contact: until for contact, until in paused.items() if until > now}


def due(dirty: bool, paused: Mapping[str, float], now: float) -> bool:
    """Something was added, or a contact the server paused may be tried again."""
    return dirty or any(until <= now for until in paused.values())


# --------------------------------------------------------------------------- devices (Sesame)


@dataclass(frozen=True)
class DeviceChange:
    """What a device list the server gave changes in the one we kept: ids added and ids removed."""

    added: tuple[int, ...] = ()
    removed: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed)


def device_change(known: Iterable[int], current: Iterable[int]) -> DeviceChange:
    kept, now = set(known), set(current)
    return DeviceChange(tuple(sorted(now - kept)), tuple(sorted(kept - now)))


def own_others(own_devices: Iterable[int], own: int) -> list[int]:
    """Our own devices a sync copy goes to: every one we know but this one, ascending."""
    return sorted(set(own_devices) - {own})


def addresses(contact: str, devices: Iterable[int], *, me: str, own: int) -> list[tuple[str, int]]:
    """The (phone, device) pairs one entry to ``contact`` is sealed for: every device of the contact;
    for our own number (a sync entry), every device of ours but this one."""
    chosen = own_others(devices, own) if contact == me else sorted(set(devices))
    return [(contact, device) for device in chosen]


def fans_out(contact_devices: Iterable[int], *, to_self: bool, own: int) -> bool:
    """Whether an entry needs ``send_many`` with devices named, rather than today's one ``send``: a
    contact with one device, device 1, goes exactly as before linked devices."""
    devices = own_others(contact_devices, own) if to_self else sorted(set(contact_devices))
    return devices != [1]


def retry_at_once(code: str, client_id: str, retried: Collection[str]) -> bool:
    """A ``devices_changed`` refusal is answered by resealing for the current devices and sending again
    at once, once per client id (Sesame's rule); refused again, it waits the usual backoff."""
    return code == DEVICES_CHANGED and client_id not in retried
