"""The account's standing with its server: connect, register, log in, registration lock, new keys, deletion.

:class:`Membership` is the part of :class:`~net.client.messenger.Messenger` that
talks to the server about the account itself rather than about contacts or
messages. The Messenger keeps the public commands and hands each one its
unlocked :class:`~net.client.context.Context` and :class:`~net.client.duties.Duties`;
the registration token of the last ``register_start`` lives here, in memory only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto_core.keys import IdentityKeyPair
from net.client import devices as own_devices
from net.client import login_keys, moves, prekeys
from net.client.context import Context, checked_phone
from net.client.core.connection_state import RETRY_LATER, Input
from net.client.core.engine_error import EngineError
from net.client.core.events import CodeSent, Event, LoggedIn, Registered
from net.client.device_words import failure_words
from net.client.duties import Duties
from net.client.link import Link
from net.client.transport import ConnectionLost
from net.protocol import replies
from net.protocol.errors import RequestRefused
from net.protocol.registration import MIN_LOCK
from net.protocol.validation import ValidationError, normalize_email

#: Errors of a poll round reported by their own events already (DiskSpaceChanged, one profile_damaged).
REPORTED_BY_STORING = frozenset({"disk_full", "profile_damaged"})


def server_address(ctx: Context) -> str:
    """The profile's server as ``host:port``, or EngineError("no_server")."""
    server = ctx.profile.account.get().server
    if server is None:
        raise EngineError("no_server", "Choose a server first.")
    return server


class Membership:
    def __init__(self, link: Link, emit: Callable[[Event], None]) -> None:
        self._link = link
        self._emit = emit
        #: The token of the last register_start: it is the requester's, kept in memory only.
        self._token: bytes | None = None

    def guard(self, call: Callable[[], Any]) -> Any:
        """Run a network step of a command: a refusal or a drop becomes an EngineError."""
        try:
            return call()
        except RequestRefused as exc:
            raise EngineError(exc.code, exc.message) from None
        except ConnectionLost as exc:
            self._link.dropped(str(exc))
            raise EngineError("offline", f"The connection to the server was lost: {exc}.") from None

    def connect(self, ctx: Context, duties: Duties, *, log_in: bool = True) -> None:
        """Open the connection unless one is open and usable, then log in when the profile is registered.

        ``log_in=False`` opens it to register only: a registered profile moved to a server that
        does not know its account (the login was refused there) registers on it without logging in.
        """
        link, address = self._link, server_address(ctx)
        registered = ctx.profile.account.get().registered and log_in
        if link.conn is not None and (link.logged_in or not registered):
            try:
                link.conn.pump()  # notices a connection that has died unseen
                return  # connected already (the app connects after every unlock and key decision)
            except ConnectionLost as exc:
                link.dropped(str(exc))
        try:
            link.open(address, ctx.profile.server_pins)
        except EngineError as exc:
            if exc.code == "connection_failed" and registered:
                link.backoff.failed()  # keep trying in the background
                link.send(Input.UNREACHABLE_RETRY, exc.message)
            elif exc.code == "connection_failed":
                link.send(Input.UNREACHABLE, exc.message)
            raise  # a refused key took the link offline already
        link.send(Input.GREETED_TO_LOG_IN if registered else Input.GREETED_TO_REGISTER)
        if registered:
            self.guard(lambda: self.login(ctx, duties))

    def _connected(self, ctx: Context, duties: Duties, *, log_in: bool = True) -> Any:
        if self._link.conn is None:
            self.connect(ctx, duties, log_in=log_in)
        assert self._link.conn is not None
        return self._link.conn

    def register_start(self, ctx: Context, duties: Duties, phone: str, email: str) -> None:
        phone = checked_phone(phone)
        try:
            email = normalize_email(email)
        except ValidationError as exc:
            raise EngineError("bad_email", str(exc)) from None
        # A registration needs no login: the profile may be one whose login this server refused.
        conn = self._connected(ctx, duties, log_in=False)
        reply = self.guard(lambda: conn.request(replies.REGISTER_START, phone=phone, email=email))
        self._token = reply.token
        account = ctx.profile.account.get()
        ctx.profile.account.save(replace(account, phone=reply.phone, email=email, registered=False))
        self._emit(
            CodeSent(
                reply.phone,
                reply.expires_in,
                reply.code,
                sent_to=reply.sent_to,
                existing=reply.existing,
                lock=reply.lock,
            )
        )

    def register_finish(self, ctx: Context, duties: Duties, code: str, lock: str | None) -> None:
        account = ctx.profile.account.get()
        if account.phone is None or self._token is None:
            raise EngineError("no_code", "Ask for a code first.")
        conn = self._connected(ctx, duties)
        identity = ctx.identity
        # Private keys are stored before their public parts leave: the server never holds a key we lack.
        with ctx.profile.transaction():
            if identity is None:
                identity = IdentityKeyPair.generate(ctx.random)
                ctx.profile.keys.set_identity(identity)
            published = prekeys.for_registration(ctx.profile.keys, identity, ctx.clock(), ctx.random)
            login_key = login_keys.offer(ctx)
        ctx.identity = identity
        try:
            reply = conn.request(
                replies.REGISTER_FINISH,
                device_key=login_keys.public_of(login_key),
                phone=account.phone,
                token=self._token,
                code=code.strip(),
                **({"lock": lock} if lock else {}),  # a field is left out, never sent as null
                identity=identity.public,
                **published.registration_fields(),
            )
        except RequestRefused as exc:
            with ctx.profile.transaction():
                prekeys.forget(ctx.profile.keys, published)  # refused for sure: they were never handed out
            raise EngineError(exc.code, exc.message) from None
        except ConnectionLost as exc:
            self._link.dropped(str(exc))
            raise EngineError("offline", f"The connection to the server was lost: {exc}.") from None
        self._token = None
        phone = reply.phone
        with ctx.profile.transaction():
            ctx.profile.account.save(replace(account, phone=phone, registered=True))
            # Registered (again): the account's only device is this one, device 1, logging in
            # with the login key it just gave the server (an earlier one is of no use now).
            login_keys.adopt(ctx, login_key)
            ctx.profile.devices.set_own(1)
        self._emit(Registered(phone))
        self._link.send(Input.REGISTERED)
        if self._link.logged_in:  # registered again from a logged-in connection
            self.guard(duties.after_login)
        else:
            self.guard(lambda: self.login(ctx, duties))

    def login(self, ctx: Context, duties: Duties) -> None:
        """Log the registered account in on the open connection, then do what follows a login."""
        phone = ctx.profile.account.get().phone
        assert phone is not None
        try:
            reply = self._log_in(ctx, phone)
        except RequestRefused as exc:
            if exc.code in RETRY_LATER:
                # Busy, short of space or failing for a while: not a verdict on this account.
                words = f"The server is busy ({exc.message}); Parley tries again by itself."
                self._link.retry_later(words)
                raise EngineError(exc.code, words) from None
            if exc.code == "device_unlinked":
                words = failure_words("device_unlinked")[1]
                self._link.go_offline(Input.REFUSED, words)
                raise EngineError(exc.code, words) from None
            self._link.go_offline(Input.REFUSED, exc.message)
            raise EngineError(exc.code, f"The server refused the login: {exc.message}") from None
        with ctx.storing("account"):
            # The login says which devices the account has now: ours, and the others to sync with
            # (a device unlinked meanwhile loses its session here).
            own_devices.learn_own(ctx, reply.devices, reply.device)
        self._emit(LoggedIn(phone))
        try:
            with ctx.storing("poll"):
                duties.after_login()
        except EngineError as exc:
            # Logged in all the same: what could not be stored is kept, and the events said it.
            if exc.code not in REPORTED_BY_STORING:
                raise

    def _log_in(self, ctx: Context, phone: str) -> replies.LoginReply:
        """Log in as this device, with its own key (or the identity's, on an older device 1).

        A key offered to the server whose answer was lost is tried after the own one: the login
        that works says which one the server holds.
        """
        candidates = login_keys.login_candidates(ctx)
        for attempt, key in enumerate(candidates):
            try:
                if key is None:
                    reply = self._link.login(ctx.require_identity(), phone)
                else:
                    own = Ed25519PrivateKey.from_private_bytes(key)
                    reply = self._link.login_device(phone, ctx.profile.devices.own(), own)
            except RequestRefused as exc:
                if exc.code == "login_failed" and attempt + 1 < len(candidates):
                    continue
                raise
            if attempt > 0 and key is not None:
                with ctx.storing("account"):
                    login_keys.adopt(ctx, key)
            return reply
        raise AssertionError("login_candidates is never empty")

    def set_registration_lock(self, lock: str | None) -> bool:
        if lock is not None and len(lock) < MIN_LOCK:
            raise EngineError("bad_lock", f"Use at least {MIN_LOCK} characters for the registration lock.")
        conn = self._link.require()
        op = replies.SET_REGISTRATION_LOCK
        # No lock: the field is left out, which clears it.
        reply: replies.RegistrationLockReply = self.guard(
            lambda: conn.request(op) if lock is None else conn.request(op, lock=lock)
        )
        return reply.lock

    def move_to_new_keys(self, ctx: Context, duties: Duties) -> None:
        moved = moves.move_to_new_keys(ctx, self._link.require(), ctx.require_identity())
        ctx.identity = moved
        self.guard(duties.after_login)

    def delete_account(self, ctx: Context) -> None:
        conn = self._link.require()
        self.guard(lambda: conn.request(replies.DELETE_ACCOUNT))
        account = ctx.profile.account.get()
        ctx.profile.account.save(replace(account, registered=False))
        self._link.go_offline(Input.LOGOUT)
