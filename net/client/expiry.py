"""Disappearing messages going: what is due leaves the profile as a delete for us removes it.

The engine's loop asks :meth:`Expiry.service` each round, online or not, and sleeps no longer
than :meth:`Expiry.due_in` (the next message due is one indexed look-up away); unlocking a
profile runs it at once, so what expired while the profile was closed goes before anything shows.
A message due goes with everything kept about it (row, search index entry, marks, reactions,
edits, attachment and its sealed file, an unsent outbox copy of ours), its name kept so a copy
sent again is not stored again, in one transaction per batch, and then the write-ahead log is
checkpointed (:meth:`storage.profile.vault.Vault.checkpoint_after_commit`). Each one is reported
as ``MessageChanged(view, removed=True)``, as a delete for us is. Time is the engine's clock.
"""

from __future__ import annotations

from net.client import action_views
from net.client.context import Context
from net.client.core.events import Event, MessageChanged, MessageView
from storage.profile.errors import DATABASE_ERRORS, ProfileError

#: What reading the next due time can raise from a damaged file or a full disk.
_FAILURES: tuple[type[Exception], ...] = (*DATABASE_ERRORS, ProfileError)
#: How many messages one transaction removes (the rest go on the next round, at once).
BATCH = 200
#: After a removal failed (a full disk), how long the next try waits (seconds of the engine's clock).
RETRY = 5.0


class Expiry:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        #: No try before this time (the engine's clock), after a failure.
        self._retry_at = 0.0

    def due_in(self) -> float | None:
        """Seconds until the next message is due (0.0: now), None if none is counting down."""
        ctx = self._ctx
        try:
            due = ctx.profile.timers.next_due()
        except _FAILURES:
            return RETRY  # a damaged file or a full disk: the next round's service reports it
        if due is None:
            return None
        now = ctx.clock()
        return max(0.0, due / 1000 - now, self._retry_at - now)

    def service(self) -> None:
        """Remove every message due now, and report each; a failure waits :data:`RETRY` seconds."""
        ctx = self._ctx
        if ctx.clock() < self._retry_at:
            return
        try:
            remove_all_due(ctx)
        except BaseException:
            self._retry_at = ctx.clock() + RETRY
            raise


def remove_all_due(ctx: Context) -> None:
    """Remove every message due now, reporting each (a backup or an export first asks this, so
    what is due is in neither)."""
    while True:
        events = remove_due(ctx, ctx.now_ms())
        for event in events:
            ctx.emit(event)
        if len(events) < BATCH:
            return


def remove_due(ctx: Context, now_ms: int) -> list[Event]:
    """Remove up to :data:`BATCH` messages due at ``now_ms``; their events."""
    due = ctx.profile.timers.due(now_ms, BATCH)
    if not due:
        return []
    history, actions = ctx.profile.history, ctx.profile.actions
    me = ctx.me()
    gone: list[MessageView] = []
    with ctx.profile.transaction():
        for one in due:
            message = history.get(one.chat, one.client_id, outgoing=one.outgoing, sender=one.sender)
            # A row that does not read as a message (damaged) goes too, unreported: it is due all the same.
            view = None if message is None else action_views.view_of(ctx, message)
            author = "" if one.outgoing else (one.sender or str(one.chat))
            if actions.delete_for_me(one.local_id, one.chat, "" if author == me else author):
                if one.outgoing:
                    ctx.profile.outbox.remove_message(one.client_id)  # not delivered by now: never
                if view is not None:
                    gone.append(view)
    return [MessageChanged(view, removed=True) for view in gone]
