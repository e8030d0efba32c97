"""Whether a typing notice goes: pure decisions on the engine's monotonic time.

Inputs: a notice the person's typing asks for (contact, on or off, the time), that
it was sent, whether the server says it was delivered (the contact is online),
and that the contact was heard from. Output: whether the next notice goes now.
:class:`net.client.outbox.Outbox` seals and sends it, or does nothing.

A notice is never queued nor retried: while a contact is offline (the last notice
was not delivered) none go for ``TYPING_QUIET`` seconds, since each would only
leave a gap in their ratchet; the same notice is not repeated within ``TYPING_REPEAT``.
"""

from __future__ import annotations

TYPING_REPEAT = 5.0
TYPING_QUIET = 30.0


def typing_due(on: bool, now: float, last: tuple[bool, float] | None, quiet_until: float) -> bool:
    """Whether a typing notice is worth sending at ``now`` (the engine's monotonic time).

    Not while the contact is quiet (offline when we last tried, until ``quiet_until``);
    the same notice as the last one (``last``: what and when) only every TYPING_REPEAT seconds.
    """
    if quiet_until > now:
        return False
    return last is None or last[0] != on or now - last[1] >= TYPING_REPEAT


class TypingNotices:
    """What was last sent to each contact, and who is quiet until when."""

    def __init__(self) -> None:
        self._sent: dict[str, tuple[bool, float]] = {}
        self._quiet: dict[str, float] = {}

    def due(self, contact: str, on: bool, now: float) -> bool:
        return typing_due(on, now, self._sent.get(contact), self._quiet.get(contact, 0.0))

    def sent(self, contact: str, on: bool, now: float) -> None:
        self._sent[contact] = (on, now)

    def answered(self, contact: str, *, delivered: bool, now: float) -> None:
        """The server's reply to a notice: not delivered means the contact is offline, so quiet."""
        if not delivered:
            self._quiet[contact] = now + TYPING_QUIET

    def heard_from(self, contact: str) -> None:
        """A message from the contact: they are online again, so notices may go."""
        self._quiet.pop(contact, None)
