"""The headless messenger: profiles, the server, contacts and messages, reported as typed events.

:class:`Messenger` is what the app's worker thread (or a test, or the load tool)
drives. It is used from one thread; only :meth:`Messenger.wakeup` and
:meth:`Messenger.stop` may be called from another. Commands that fail raise
:class:`~net.client.core.engine_error.EngineError` (a stable code and words for a person);
what happens on its own in :meth:`Messenger.poll` is reported as events
(:mod:`net.client.core.events`), emitted on the calling thread.

It delegates: :mod:`net.client.profiles` (listing, creating and unlocking profiles),
:mod:`net.client.membership` (connecting, registration, login, the registration lock,
new keys, deletion), :mod:`net.client.messaging` (sending, read receipts, history and search),
:mod:`net.client.link` (TLS, pinning, login, backoff, keepalive),
:mod:`net.client.inbox` (decrypt, store, then acknowledge), :mod:`net.client.outbox` (the
persistent outbox, receipts, typing), :mod:`net.client.handshake` (bundles and
PQXDH), :mod:`net.client.prekeys` (refill and rotation), :mod:`net.client.sessions` and
:mod:`net.client.core.envelope` (the end-to-end format). ENGINE.md describes the whole.

The thin delegations live in mixins by subject, so that this module keeps the
facade's own work (profiles, the server, the account, sending and the loop):
:mod:`net.client.contacts_api`, :mod:`net.client.requests_api` (requests and our
display name), :mod:`net.client.history_api` (the conversations' reads),
:mod:`net.client.archive_api` (backup, restore, export),
:mod:`net.client.groups_api`, :mod:`net.client.actions_api` (message actions) and
:mod:`net.client.timer_api` (disappearing messages; :mod:`net.client.expiry` removes what is
due, each round of the loop and at unlock); :mod:`net.client.api_base` is what they share.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from crypto_core import sealing
from crypto_core.encoding import RandomSource, default_random
from crypto_core.sealing import KdfParams
from net.client import group_fanout, group_log, messaging, privacy, profiles, sync
from net.client.actions_api import ActionsApi
from net.client.api_base import storing
from net.client.archive_api import ArchiveApi
from net.client.contacts_api import ContactsApi
from net.client.context import Context, checked_phone
from net.client.core.connection_state import RETRY_LATER, Input
from net.client.core.engine_error import EngineError
from net.client.core.events import Event, MessageView, ProfileEntry
from net.client.core.group_changes import is_id
from net.client.core.keepalive import poll_wait
from net.client.core.privacy import PrivacySettings, sends_typing
from net.client.devices_api import DevicesApi
from net.client.duties import Duties
from net.client.expiry import Expiry
from net.client.files_api import FilesApi
from net.client.groups_api import GroupsApi
from net.client.history_api import HistoryApi
from net.client.inbox import Inbox
from net.client.link import Link, join_address
from net.client.membership import REPORTED_BY_STORING, Membership, server_address
from net.client.outbox import Outbox
from net.client.requests_api import RequestsApi
from net.client.timer_api import TimerApi
from net.client.transfers import Transfers
from net.client.transport import ConnectionLost
from net.protocol.errors import RequestRefused
from net.protocol.replies import ServerPush
from storage.profile.directory import ProfileDirectory

__all__ = ["EngineError", "Messenger"]

#: Errors of a reconnect in poll that the connection state (RECONNECTING, with words) says already.
_SAID_BY_STATE = frozenset({"connection_failed", "offline", *RETRY_LATER})


class Messenger(
    DevicesApi, ActionsApi, TimerApi, GroupsApi, FilesApi, ContactsApi, RequestsApi, HistoryApi, ArchiveApi
):
    def __init__(
        self,
        profiles_root: Path | None,
        emit: Callable[[Event], None],
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        random: RandomSource = default_random,
        kdf_params: KdfParams = sealing.DEFAULT_PARAMS,
        timeout: float = 15.0,
    ) -> None:
        self._emit = emit
        self._clock = clock
        #: The one monotonic clock of the engine's decisions (backoff, keepalive, pauses, typing).
        self._monotonic = monotonic
        self._random = random
        self._kdf_params = kdf_params
        self._profiles = ProfileDirectory(profiles_root, kdf_params=kdf_params, random=random, clock=clock)
        self._ctx: Context | None = None
        self._stopping = threading.Event()
        self._duties: Duties | None = None
        self._transfers: Transfers | None = None
        self._expiry: Expiry | None = None
        self._link = Link(emit, self._on_push, random=random, monotonic=monotonic, timeout=timeout)
        self._link_end = None
        self._devices_stale = False
        self._membership = Membership(self._link, emit)

    # ================================================================== profiles

    def list_profiles(self) -> list[ProfileEntry]:
        """Every profile file in the folder; one that cannot be opened says why (``problem``), in words."""
        return profiles.entries(self._profiles)

    def create_profile(self, name: str, passphrase: str, *, display_name: str | None = None) -> str:
        """Create a profile and open it; its id.

        ``name`` is the label it is listed by on this computer, readable before the
        passphrase; ``display_name`` (the person's name for their contacts, kept
        inside the encrypted database) defaults to ``name``.
        """
        profiles.checked_passphrase(passphrase)  # before the open profile is locked
        self.lock()
        profile = profiles.create(self._profiles, name, passphrase, display_name=display_name)
        self._opened(Context(profile, self._emit, self._clock, self._random, monotonic=self._monotonic))
        return profile.profile_id

    def unlock(self, profile_id: str, passphrase: str) -> None:
        self.lock()
        profile = profiles.unlock(self._profiles, profile_id, passphrase)
        self._opened(Context(profile, self._emit, self._clock, self._random, monotonic=self._monotonic))

    def _opened(self, ctx: Context) -> None:
        try:
            with ctx.storing("account"):
                ctx.identity = ctx.profile.keys.identity()
        except EngineError:
            ctx.profile.close()
            raise
        self._ctx = ctx
        self._duties = Duties(ctx, self._link, Inbox(ctx), Outbox(ctx, self._link))
        self._transfers = Transfers(ctx, self._link, self._duties.outbox)
        self._duties.on_stored = self._transfers.wake
        self._expiry = Expiry(ctx)
        self._service_expiry()  # what disappeared while the profile was closed goes before it shows

    def lock(self) -> None:
        self.link_cancel()
        self._link_end = None
        self._link.go_offline(Input.LOGOUT)
        if self._transfers is not None:
            self._transfers.close()
        if self._ctx is not None:
            self._ctx.profile.close()
        self._ctx = None
        self._duties = None
        self._transfers = None
        self._expiry = None

    @storing("account")
    def change_passphrase(self, old: str, new: str) -> None:
        profiles.change_passphrase(self._require().profile, old, new)

    @property
    def profile_name(self) -> str | None:
        return None if self._ctx is None else self._ctx.profile.name

    @property
    def phone(self) -> str | None:
        if self._ctx is None:
            return None
        with self._ctx.storing("account"):
            account = self._ctx.profile.account.get()
        return account.phone if account.registered else None

    @property
    def email(self) -> str | None:
        """The e-mail address the profile last registered with (None before it asked for a code)."""
        if self._ctx is None:
            return None
        with self._ctx.storing("account"):
            return self._ctx.profile.account.get().email

    # ================================================================== server

    @storing("account")
    def set_server(self, host: str, port: int) -> None:
        ctx = self._require()
        if not host or not 0 < port < 65536:
            raise EngineError("bad_server", "Give the server as a host name and a port from 1 to 65535.")
        account = ctx.profile.account.get()
        address = join_address(host.strip(), port)
        if account.server != address:
            self._link.go_offline(Input.SERVER_CHANGED)
            ctx.profile.account.save(replace(account, server=address))

    @property
    def server(self) -> str | None:
        """The open profile's own server (``host:port``), where it reconnects on unlock; None if none yet."""
        if self._ctx is None:
            return None
        with self._ctx.storing("account"):
            return self._ctx.profile.account.get().server

    @property
    def server_fingerprint(self) -> str | None:
        """The key fingerprint this profile pinned for its server, or None before the first contact."""
        server = self.server
        if server is None or self._ctx is None:
            return None
        with self._ctx.storing("account"):
            return self._ctx.profile.server_pins.get(server)

    @storing("account")
    def connect(self) -> None:
        self._membership.connect(*self._unlocked())

    def accept_server_key(self, fingerprint: str) -> None:
        ctx = self._require()
        self._link.accept_key(server_address(ctx), fingerprint, ctx.profile.server_pins)

    # ================================================================== registration and login

    @storing("account")
    def register_start(self, phone: str, email: str) -> None:
        self._membership.register_start(*self._unlocked(), phone, email)

    @storing("account")
    def register_finish(self, code: str, lock: str | None = None) -> None:
        """Finish with the code (and the registration lock's passphrase when the number has one)."""
        self._membership.register_finish(*self._unlocked(), code, lock)

    def logout(self) -> None:
        self._link.go_offline(Input.LOGOUT)

    @storing("account")
    def set_registration_lock(self, lock: str | None) -> bool:
        """Set (or, with None, clear) the registration lock on the server; returns whether one is set.

        With a lock, a code alone no longer re-registers this number while the account is in use.
        """
        return self._membership.set_registration_lock(lock)

    @storing("account")
    def move_to_new_keys(self) -> None:
        """Give this account new identity keys, proved by the current ones: no code, no lock.

        The new identity is kept in the profile as pending before its public part leaves; the
        server's yes makes it the identity. Contacts see the key change in their next bundle.
        """
        self._membership.move_to_new_keys(*self._unlocked())

    @storing("account")
    def delete_account(self) -> None:
        self._membership.delete_account(self._require())

    # ================================================================== sending, receipts, typing, privacy

    @storing("sending")
    def send_text(self, contact: str, text: str) -> MessageView:
        return messaging.send_text(*self._unlocked(), contact, text)

    @storing("sending")
    def retry(self, contact: str, message_id: str) -> None:
        messaging.retry(*self._unlocked(), contact, message_id)

    @storing("history")
    def mark_read(self, contact: str, up_to: str | None = None) -> None:
        messaging.mark_read(*self._unlocked(), contact, up_to)

    @storing("sending")
    def set_typing(self, contact: str, typing: bool) -> None:
        ctx = self._require()
        assert self._duties is not None
        if not sends_typing(privacy.load(ctx)):
            return
        try:
            if is_id(contact):
                group = ctx.profile.groups.get(contact)
                if group is None or group.standing != "member":
                    return  # nothing goes to an invitation
                to = group_fanout.recipients(ctx, group_log.load(ctx, contact).state)
                self._duties.outbox.send_typing_many(to, typing, contact)
                return
            self._duties.outbox.send_typing(checked_phone(contact), typing)
        except ConnectionLost as exc:
            self._link.dropped(str(exc))  # a notice is never worth a retry

    @storing("account")
    def privacy(self) -> PrivacySettings:
        """Read receipts, typing notices and what notifications show, as this profile keeps them."""
        return privacy.load(self._require())

    @storing("account")
    def set_privacy(self, settings: PrivacySettings) -> None:
        ctx, duties = self._unlocked()
        with ctx.profile.transaction():
            privacy.save(ctx, settings)
            if sync.queue_settings(ctx, settings):  # our other devices take the same settings
                duties.outbox.dirty = True

    # ================================================================== the loop

    def poll(self, timeout: float) -> None:
        deadline = time.monotonic() + max(0.0, timeout)
        while not self._stopping.is_set():
            if self._ctx is not None and self._duties is not None:
                self._service()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            link = self._link
            if self._transfers is not None and self._transfers.busy:
                # Sealing or checking a file needs no network: another bounded piece on the next turn.
                if link.wait(0.0):
                    return
                continue
            due = self._expiry.due_in() if self._expiry is not None and self._ctx is not None else None
            wait = poll_wait(
                remaining if due is None else min(remaining, due),
                ping_in=link.next_ping_in(),
                reconnect_in=link.backoff.remaining() if link.conn is None and link.want_online else None,
                buffered=link.conn is not None and link.conn.buffered,
            )
            if link.wait(wait):
                return

    def _service(self) -> None:
        link, duties = self._link, self._duties
        assert duties is not None
        self._service_expiry()
        self._service_transfers()
        self._tick_link()
        if link.conn is None:
            if link.want_online and link.backoff.due():
                try:
                    self.connect()
                except EngineError as exc:
                    if exc.code not in _SAID_BY_STATE | REPORTED_BY_STORING:
                        duties.report(exc)
            return
        assert self._ctx is not None
        try:
            with self._ctx.storing("poll"):
                link.conn.pump()
                duties.service()
                self._service_link()
                link.keepalive()
        except ConnectionLost as exc:
            link.dropped(str(exc))
        except EngineError as exc:
            if exc.code not in REPORTED_BY_STORING:
                duties.report(exc)
        except RequestRefused as exc:
            duties.report(EngineError(exc.code, exc.message))

    def _service_transfers(self) -> None:
        """A bounded step of every file transfer (before the chat's round, which then sends at once)."""
        transfers, ctx = self._transfers, self._ctx
        assert transfers is not None and ctx is not None and self._duties is not None
        try:
            with ctx.storing("poll"):
                transfers.service()
        except ConnectionLost as exc:
            self._link.dropped(str(exc))
        except EngineError as exc:
            if exc.code not in REPORTED_BY_STORING:
                self._duties.report(exc)
        except RequestRefused as exc:
            self._duties.report(EngineError(exc.code, exc.message))

    def _service_expiry(self) -> None:
        """Remove the disappearing messages that are due (online or not)."""
        expiry, ctx = self._expiry, self._ctx
        assert expiry is not None and ctx is not None
        try:
            with ctx.storing("history"):
                expiry.service()
        except EngineError as exc:
            if exc.code not in REPORTED_BY_STORING and self._duties is not None:
                self._duties.report(exc)

    def wakeup(self) -> None:
        self._link.wakeup()

    def stop(self) -> None:
        self._stopping.set()
        self._link.wakeup()

    def close(self) -> None:
        self.lock()
        self._link.shutdown()

    # ================================================================== internals

    def _on_push(self, push: ServerPush) -> None:
        if self._link_push(push):
            return
        if self._duties is not None:
            self._duties.on_push(push)

    def _require(self) -> Context:
        if self._ctx is None:
            raise EngineError("locked", "Open a profile first.")
        return self._ctx

    def _unlocked(self) -> tuple[Context, Duties]:
        ctx = self._require()
        assert self._duties is not None  # opened with the context, in _opened
        return ctx, self._duties
