"""What the engine does by itself while it is online, between the person's commands.

* after each login: fetch what waits, page by page (each page decrypted and
  stored in one transaction, then acknowledged), send the outbox, look after prekeys;
* on pushes: new messages are received in batches the same way; ``session_ended``
  (logged in elsewhere, or the account registered again) takes the engine offline
  for good instead of fighting the other device for the account;
* the outbox is sent whenever something was added to it;
* prekeys: when the server holds fewer than :data:`net.prekeys.LOW` one-time
  prekeys they are topped up, and the signed prekey is rotated when due; a
  ``prekeys_low`` push (the server's own mark was passed) makes that check due at once;
* healing: a message that could not be decrypted starts a new session with its
  sender (at most once per :data:`HEAL_EVERY` seconds per contact, so two sides
  cannot keep resetting each other) and sends a reset notice naming the client
  ids that failed, so the sender sends those messages again.
"""

from __future__ import annotations

import time
from typing import Any

from net import prekeys
from net.context import Context
from net.engine_error import EngineError
from net.envelope import MAX_IDS, SessionReset
from net.errors import RequestRefused
from net.events import ConnectionState, ErrorReported
from net.handshake import start_session
from net.inbox import Inbox
from net.link import Link
from net.outbox import Outbox, enqueue_control
from net.protocol import Push
from net.schema import MAX_ACK, MAX_FETCH, PUSH_PREKEYS_LOW

HEAL_EVERY = 60.0
_SESSION_ENDED = {
    "logged_in_elsewhere": "This account was opened on another device, so Parley went offline here.",
    "re_registered": "This phone number was registered again elsewhere, so this profile is offline.",
}


class Duties:
    def __init__(self, ctx: Context, link: Link, inbox: Inbox, outbox: Outbox) -> None:
        self._ctx = ctx
        self._link = link
        self._inbox = inbox
        self.outbox = outbox
        self._pushed: list[dict[str, Any]] = []
        self._next_prekey_check = 0.0
        self._heal_after: dict[str, float] = {}

    # ------------------------------------------------------------------ events from the link

    def on_push(self, push: Push) -> None:
        if push.kind == "message":
            self._pushed.append(push.body)
        elif push.kind == "session_ended":
            reason = push.body.get("reason")
            words = _SESSION_ENDED.get(str(reason), "The server ended this session.")
            self._link.want_online = False
            self._link.close()
            self._link.set_state(ConnectionState.OFFLINE, words)
            self._ctx.emit(ErrorReported("session_ended", words, "poll"))
        elif push.kind == PUSH_PREKEYS_LOW:
            self._next_prekey_check = 0.0  # the next round asks prekey_count and tops up

    def after_login(self) -> None:
        self._next_prekey_check = 0.0
        self.outbox.dirty = True  # whatever a drop interrupted goes out now
        self.fetch_waiting()
        self.service()

    def service(self) -> None:
        """One round: receive what was pushed, send the outbox if needed, prekeys when due."""
        try:
            if self._pushed:
                batch, self._pushed = self._pushed, []
                self.receive(batch)
            if not self._link.online:
                return
            if self.outbox.due():
                for event in self.outbox.flush():
                    self._ctx.emit(event)
            if self._ctx.clock() >= self._next_prekey_check:
                self.look_after_prekeys()
        finally:
            self._ctx.report_damage()

    def report(self, exc: EngineError) -> None:
        self._ctx.emit(ErrorReported(exc.code, exc.message, "poll"))

    # ------------------------------------------------------------------ receiving

    def fetch_waiting(self) -> None:
        conn = self._link.require()
        after, limit = 0, MAX_FETCH
        while True:
            try:
                reply = conn.call("fetch", limit=limit, after=after)
            except RequestRefused as exc:
                if exc.code == "frame_too_large" and limit > 1:
                    limit //= 2  # a page of large messages did not fit in one frame
                    continue
                raise EngineError(exc.code, exc.message) from None
            messages = reply.get("messages") or []
            if messages:
                self.receive(messages)
                after = max(after, *(m.get("id", 0) for m in messages if isinstance(m.get("id"), int)))
            if not reply.get("more") or not messages:
                return

    def receive(self, messages: list[dict[str, Any]]) -> None:
        result = self._inbox.receive(messages)
        for event in result.events:
            self._ctx.emit(event)
        for message in messages:
            sender = message.get("from")
            if isinstance(sender, str):
                self.outbox.heard_from(sender)
        if result.acks and self._link.online:  # offline: they come again after the next login, once
            self.acknowledge(result.acks)
        if result.sessions_started:
            self._next_prekey_check = 0.0
        self.outbox.dirty = True
        if result.undecryptable:
            self.heal(result.undecryptable)

    def acknowledge(self, server_ids: list[int]) -> None:
        """Tell the server these are stored (called only after their transaction committed)."""
        conn = self._link.require()
        for start in range(0, len(server_ids), MAX_ACK):
            conn.call("ack", ids=server_ids[start : start + MAX_ACK])

    # ------------------------------------------------------------------ healing

    def heal(self, undecryptable: dict[str, list[str]]) -> None:
        ctx = self._ctx
        now = time.monotonic()
        for sender, failed in undecryptable.items():
            if ctx.profile.contacts.get(sender) is None or self._heal_after.get(sender, 0.0) > now:
                continue
            self._heal_after[sender] = now + HEAL_EVERY
            try:
                start_session(ctx, self._link.require(), sender)
            except EngineError as exc:
                self.report(exc)
                continue
            with ctx.profile.transaction():
                enqueue_control(ctx, sender, SessionReset(tuple(failed[-MAX_IDS:])))
            self.outbox.dirty = True

    # ------------------------------------------------------------------ prekeys

    def look_after_prekeys(self) -> None:
        ctx = self._ctx
        conn = self._link.require()
        identity = ctx.require_identity()
        keys = ctx.profile.keys
        self._next_prekey_check = ctx.clock() + prekeys.CHECK_EVERY
        counts = conn.call("prekey_count")
        with ctx.profile.transaction():
            fresh = prekeys.refill(keys, identity, int(counts["one_time"]), int(counts["kem"]), ctx.random)
        if fresh is not None:
            conn.call(
                "upload_prekeys", one_time_prekeys=fresh.one_time_prekeys, kem_prekeys=fresh.kem_prekeys
            )
        if prekeys.rotation_due(keys, ctx.clock()):
            with ctx.profile.transaction():
                rotated = prekeys.rotate(keys, identity, ctx.clock(), ctx.random)
            conn.call("set_signed_prekey", signed_prekey=rotated.signed_prekey)
