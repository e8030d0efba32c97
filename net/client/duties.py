"""What the engine does by itself while it is online, between the person's commands.

* after each login: fetch what waits, page by page (each page decrypted and
  stored in one transaction, then acknowledged), send the outbox, look after prekeys;
* on pushes: new messages are received in batches the same way; ``session_ended``
  (logged in elsewhere, or the account registered again) takes the engine offline
  for good instead of fighting the other device for the account;
* a batch that cannot be stored (the disk is full, or the file is damaged there)
  is kept in memory and not acknowledged, and stored again every ``STORE_RETRY``
  seconds, then what else waits is fetched; nothing is lost and, since processed
  server ids are recorded with each message, nothing is shown twice. A ``fetch``
  or ``ack`` refused as busy (:data:`net.client.core.connection_state.RETRY_LATER`)
  is made again after a backoff with jitter, without a new login;
* the outbox is sent whenever something was added to it;
* prekeys: when the server holds fewer than ``LOW`` one-time prekeys they are
  topped up, and the signed prekey is rotated when due; a ``prekeys_low`` push
  (the server's own mark was passed) makes that check due at once;
* healing: a message that could not be decrypted is no evidence of anything (a
  hostile server can make one up at will), so it starts a new session with its
  sender, which uses up one of the sender's one-time prekeys on the server, at
  most ``HEAL_LIMIT`` times per ``HEAL_WINDOW`` per contact (counted in the
  profile, so a restart does not reset it). Either way a reset notice names the
  client ids that failed, so the sender sends those messages again: on the new
  session, or beyond the limit on the current one (which costs the sender
  nothing). At most one of either per ``HEAL_EVERY`` seconds per contact, so two
  sides cannot keep resetting each other. Time is the engine's clock.

Every decision above (which page to fetch next, which ids to acknowledge and
what to keep, whether healing starts a session or only sends a notice, whether
prekeys are due and how many to make) is a pure function of
:mod:`net.client.core.duties_plan`, beside the numbers named above; this module
makes the requests, stores, and feeds the results back.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from net.client import devices, group_inbox, group_timers, prekeys
from net.client.context import STORAGE_FAILURES, Context
from net.client.core import duties_plan as plan
from net.client.core.backoff import Backoff
from net.client.core.connection_state import Input
from net.client.core.duties_plan import Heal
from net.client.core.engine_error import EngineError
from net.client.core.events import ErrorReported, ReregistrationRequested
from net.client.core.standing import may_answer
from net.client.device_words import failure_words
from net.client.handshake import start_session
from net.client.inbox import Inbox
from net.client.link import Link
from net.client.names import standing_of
from net.client.outbox import Outbox, enqueue_control
from net.client.restored import publish_fresh_keys
from net.protocol import replies
from net.protocol.device_replies import DevicesChangedPush
from net.protocol.errors import RequestRefused
from net.protocol.replies import (
    MessagePush,
    PrekeysLowPush,
    ReregistrationPush,
    ServerPush,
    SessionEndedPush,
    WaitingMessage,
)

_SESSION_ENDED = {
    "logged_in_elsewhere": "This account was opened on another device, so Parley went offline here.",
    "re_registered": "This phone number was registered again elsewhere, so this profile is offline.",
    "unlinked": failure_words("device_unlinked")[1],
}


#: How often pending group texts are looked at, to decide those that waited long enough (seconds).
PENDING_CHECK = 60.0


class Duties:
    def __init__(self, ctx: Context, link: Link, inbox: Inbox, outbox: Outbox) -> None:
        self._ctx = ctx
        self._link = link
        self._inbox = inbox
        self.outbox = outbox
        self._pushed: list[WaitingMessage] = []
        self._next_prekey_check = 0.0
        self._healing = plan.Healing()
        #: Storing a batch, or sealing the outbox, that failed waits a little (the engine's monotonic time).
        self._store = plan.StoreRetry()
        self._flush = plan.StoreRetry()
        #: What waits on the server is to be fetched (after a login, or once a kept batch is stored).
        self._fetch_wanted = False
        #: Server ids stored but not yet acknowledged, because the server said "not now".
        self._unacked: list[int] = []
        self._busy = Backoff(clock=ctx.monotonic, random=ctx.random)
        #: When pending group texts are next looked at (the engine's monotonic time).
        self._pending_due = 0.0
        #: Told when a batch was stored (an arrived file may wait for its download).
        self.on_stored: Callable[[], None] = lambda: None

    # ------------------------------------------------------------------ events from the link

    def on_push(self, push: ServerPush) -> None:
        if isinstance(push, MessagePush):
            self._pushed.append(push.message)
        elif isinstance(push, ReregistrationPush):
            self._ctx.emit(ReregistrationRequested(push.sent_to, push.ts))
        elif isinstance(push, SessionEndedPush):
            words = _SESSION_ENDED.get(push.reason, "The server ended this session.")
            self._link.go_offline(Input.SESSION_ENDED, words)
            # Unlinked is for good (the server refuses this device from now on): its own code.
            code = "device_unlinked" if push.reason == "unlinked" else "session_ended"
            self._ctx.emit(ErrorReported(code, words, "poll"))
        elif isinstance(push, DevicesChangedPush):  # our own devices: a device linked or unlinked
            devices.learn_own(self._ctx, push.devices)
            self.outbox.dirty = True
        elif isinstance(push, PrekeysLowPush):
            self._next_prekey_check = 0.0  # the next round asks prekey_count and tops up

    def after_login(self) -> None:
        publish_fresh_keys(self._ctx, self._link)  # a restored profile's first login; before any fetch
        self._next_prekey_check = 0.0
        self.outbox.dirty = True  # whatever a drop interrupted goes out now
        self._fetch_wanted = True
        self._store.reset()
        self._flush.reset()
        self._busy.reset()
        self.service()

    def service(self) -> None:
        """One round: store what was pushed or kept, fetch and acknowledge, send the outbox, prekeys.

        A batch that cannot be stored does not stop the rest of the round (a damaged
        history must not stop sending); its error is raised at the end.
        """
        failure: BaseException | None = None
        try:
            now = self._ctx.monotonic()
            if self._store.due(now):
                try:
                    self._store_kept()
                except STORAGE_FAILURES as exc:
                    self._store.failed(now)
                    failure = exc
            if not self._link.online:
                return
            if failure is None and not self._pushed:
                self._retry_busy()  # fetch only once what came before is stored
            self._pin_group_authors()
            flushed = self._flush_outbox(now)  # sent even when storing failed: a full disk must not stop it
            failure = failure or flushed
            self._look_after_prekeys_if_due()
        finally:
            self._ctx.report_damage()
        if failure is not None:
            raise failure

    def _pin_group_authors(self) -> None:
        """Fetch the bundles of group changes' authors we hold no identity for, then take their changes in.

        A member added by one admin gets changes made by others relayed; their signatures are checked
        with those authors' pinned identities, which a bundle gives (and a session, which the group needs).
        Pending group texts that waited long enough are decided here too.
        """
        ctx = self._ctx
        wanted, ctx.group_authors = ctx.group_authors, set()
        pinned = False
        for phone in sorted(wanted):
            found = ctx.profile.contacts.get(phone)
            if found is not None and found.identity is not None:
                pinned = True
                continue
            try:
                start_session(ctx, self._link.require(), phone)
                pinned = True
            except EngineError:
                continue  # not now: the next change that waits asks again
        events = group_inbox.readmit(ctx) if pinned else []
        if ctx.monotonic() >= self._pending_due:
            self._pending_due = ctx.monotonic() + PENDING_CHECK
            with ctx.profile.transaction():
                events += group_inbox.decide_pending(ctx)
                events += group_timers.decide(ctx)
        for event in events:
            ctx.emit(event)
        if events:
            self.outbox.dirty = True

    def _flush_outbox(self, now: float) -> BaseException | None:
        """Send the outbox if due; a failure to store (seal) is returned, and tried again in STORE_RETRY."""
        if not (self.outbox.due() and self._flush.due(now)):
            return None
        try:
            events = self.outbox.flush()
        except BaseException as exc:
            self.outbox.dirty = True  # nothing left the outbox: it goes next time
            if not isinstance(exc, STORAGE_FAILURES):
                raise
            self._flush.failed(now)
            return exc
        for event in events:
            self._ctx.emit(event)
        return None

    def _look_after_prekeys_if_due(self) -> None:
        if not plan.prekey_check_due(self._ctx.clock(), self._next_prekey_check):
            return
        try:
            self.look_after_prekeys()
        except RequestRefused as exc:
            if not plan.retry_later(exc.code):
                raise
            # Quietly, a bit later.
            self._next_prekey_check = plan.next_prekey_check(self._ctx.clock(), refused=True)

    def _store_kept(self) -> None:
        """Receive what was pushed, or what a full disk kept in memory; it stays kept if it fails again."""
        if not self._pushed:
            return
        batch, self._pushed = self._pushed, []
        try:
            self.receive(batch)
        except BaseException:
            self._pushed = batch + self._pushed
            raise

    def _retry_busy(self) -> None:
        """Fetch (after a login, or after a kept batch) and acknowledge, unless the server said "not now"."""
        if not self._busy.due():
            return
        try:
            if self._unacked:
                self.acknowledge(self._unacked)
            if self._fetch_wanted:
                self.fetch_waiting()
                self._fetch_wanted = False
        except EngineError as exc:
            if not plan.retry_later(exc.code):
                raise
            self._busy.failed()
            return
        self._busy.reset()

    def report(self, exc: EngineError) -> None:
        self._ctx.emit(ErrorReported(exc.code, exc.message, "poll"))

    # ------------------------------------------------------------------ receiving

    def fetch_waiting(self) -> None:
        """Fetch what waits page by page, each stored and acknowledged before the next is asked for."""
        conn = self._link.require()
        page: plan.FetchPage | None = plan.first_page()
        while page is not None:
            try:
                reply = conn.request(replies.FETCH, limit=page.limit, after=page.after)
            except RequestRefused as exc:
                page = plan.smaller_page(page, exc.code)  # a page of large messages did not fit in a frame
                if page is None:
                    raise EngineError(exc.code, exc.message) from None
                continue
            messages = list(reply.messages)
            if messages:
                try:
                    self.receive(messages)
                except STORAGE_FAILURES:
                    # Kept (unacknowledged) and stored later; then the rest is fetched.
                    self._pushed = plan.keep_unstored(messages, self._pushed)
                    self._fetch_wanted = True
                    raise
            page = plan.next_page(page, (m.id for m in messages), reply.more)

    def receive(self, messages: list[WaitingMessage]) -> None:
        result = self._inbox.receive(messages)
        self.on_stored()
        for event in result.events:
            self._ctx.emit(event)
        for message in messages:
            self.outbox.heard_from(message.sender)
        if result.acks and self._link.online:  # offline: they come again after the next login, once
            try:
                self.acknowledge(result.acks)
            except EngineError as exc:
                if not plan.retry_later(exc.code):
                    raise
                self._busy.failed()  # stored already: only the acknowledgement waits
        if result.sessions_started:
            self._next_prekey_check = 0.0
        self.outbox.dirty = True
        if result.undecryptable:
            self.heal(result.undecryptable)

    def acknowledge(self, server_ids: list[int]) -> None:
        """Tell the server these are stored (called only after their transaction committed).

        Refused as busy, the ids not yet acknowledged are kept and acknowledged after a backoff.
        """
        conn = self._link.require()
        chunks = plan.ack_chunks(plan.to_acknowledge(self._unacked, server_ids))
        self._unacked = []
        for number, chunk in enumerate(chunks):
            try:
                conn.request(replies.ACK, ids=chunk)
            except RequestRefused as exc:
                if not plan.retry_later(exc.code):
                    raise
                self._unacked = plan.unacknowledged(chunks, number)
                raise EngineError(exc.code, exc.message) from None

    # ------------------------------------------------------------------ healing

    def heal(self, undecryptable: dict[str, list[str]]) -> None:
        ctx = self._ctx
        sessions = ctx.profile.sessions
        for sender, failed in undecryptable.items():
            now = ctx.clock()
            decision = self._healing.decide(
                sender,
                now,
                # A reset notice says the number is in use: only accepted contacts get one.
                known=may_answer(standing_of(ctx.profile.contacts.get(sender))),
                heals_since=partial(sessions.heals_since, sender),
            )
            if decision is Heal.NOTHING:
                continue
            if decision is Heal.NEW_SESSION:
                try:
                    conn = self._link.require()
                    # Counted before the bundle is asked for: asking is what uses up the contact's prekey.
                    with ctx.profile.transaction():
                        sessions.note_heal(sender, now, forget_before=plan.heal_window_start(now))
                    start_session(ctx, conn, sender)
                except EngineError as exc:
                    self.report(exc)
                    continue
            else:
                current = ctx.load_record(sender).current
                if current is None or not current.ratchet.can_send:
                    continue  # nothing to send a notice on without a new session
            with ctx.profile.transaction():
                enqueue_control(ctx, sender, plan.reset_notice(failed))
            self.outbox.dirty = True

    # ------------------------------------------------------------------ prekeys

    def look_after_prekeys(self) -> None:
        """Ask how many prekeys the server holds, top them up when low, rotate the signed one when due."""
        ctx = self._ctx
        conn = self._link.require()
        identity = ctx.require_identity()
        keys = ctx.profile.keys
        self._next_prekey_check = plan.next_prekey_check(ctx.clock())
        counts = conn.request(replies.PREKEY_COUNT)
        wanted = plan.prekeys_wanted(counts.one_time, counts.kem)
        if wanted:
            with ctx.profile.transaction():
                fresh = prekeys.fresh(keys, identity, wanted, ctx.random)
            conn.request(
                replies.UPLOAD_PREKEYS,
                one_time_prekeys=fresh.one_time_prekeys,
                kem_prekeys=fresh.kem_prekeys,
            )
        if prekeys.signed_prekey_rotation_due(keys, ctx.clock()):
            with ctx.profile.transaction():
                rotated = prekeys.rotate(keys, identity, ctx.clock(), ctx.random)
            conn.request(replies.SET_SIGNED_PREKEY, signed_prekey=rotated.signed_prekey)
