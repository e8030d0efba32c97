"""Desktop notifications: freedesktop notifications over D-Bus on Linux, the native kind elsewhere.

Through ``desktop-notifier``, whose API is asynchronous: it runs on an event
loop in a small daemon thread of its own, started with the first notification,
so the window never waits for the bus. One notification per key (a
conversation) is shown at a time: a newer one replaces it, so fifty messages
are one notification, not fifty. Activating one (its default action, a click)
puts its key on :attr:`DesktopNotices.activated`, which the window drains on its
own thread.

Without a session bus or a notification service the app works as before: the
failure is logged once, and :attr:`DesktopNotices.unavailable` says why in words
(the window shows it in Settings); :meth:`DesktopNotices.check` asks the service
without showing anything, and a notification that goes through clears it again.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any

log = logging.getLogger(__name__)

#: How long closing waits for the notifications still shown to be withdrawn.
CLOSE_SECONDS = 2.0

#: Why notifications are not available, as the end of a sentence for people.
NO_BUS = "there is no desktop session bus (D-Bus) to reach a notification service through"
NO_SERVICE = "no notification service is running on the desktop's session bus"
REFUSED = "the desktop's notification service did not take them"


def reason_of(exc: BaseException) -> str:
    """Why a notification could not be shown, in words; from the error the bus library raised."""
    kind = str(getattr(exc, "type", "") or "")  # a D-Bus error's name
    if kind.endswith((".ServiceUnknown", ".NameHasNoOwner")):
        return NO_SERVICE
    if isinstance(exc, OSError) or type(exc).__name__ == "InvalidAddressError":
        return NO_BUS
    return REFUSED


class DesktopNotices:
    def __init__(self, app_name: str = "Parley") -> None:
        self.app_name = app_name
        #: Keys of notifications the person activated, for the window's thread to take.
        self.activated: queue.Queue[str] = queue.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._notifier: Any = None
        #: key -> the identifier of the notification shown for it (used on the loop's thread only).
        self._shown: dict[str, str] = {}
        self._failure_told = False
        self._lock = threading.Lock()
        #: Notifications the service took so far (and that can now be activated).
        self.dispatched = 0
        #: Why notifications are not available here (the end of a sentence), or None: they are, or
        #: nothing has been tried yet. Written on the loop's thread, read on the window's.
        self.unavailable: str | None = None

    # ------------------------------------------------------------------ the window's side

    def show(self, key: str, title: str, body: str) -> None:
        """Show a notification for ``key``, replacing the one shown for it; returns at once."""
        self._submit(self._show(key, title, body))

    def check(self) -> None:
        """Ask the notification service whether it is there, showing nothing; sets :attr:`unavailable`."""
        self._submit(self._check())

    def withdraw(self, key: str) -> None:
        """Take the notification for ``key`` away (its conversation was seen)."""
        if self._loop is not None:
            self._submit(self._withdraw(key))

    def close(self) -> None:
        """Withdraw every notification still shown and stop the thread (waits a bounded time)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        done = asyncio.run_coroutine_threadsafe(self._withdraw_all(), loop)
        try:
            done.result(CLOSE_SECONDS)
        except Exception:  # a bus gone away must not keep the window from closing
            log.debug("withdrawing notifications on close failed", exc_info=True)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(CLOSE_SECONDS)

    # ------------------------------------------------------------------ the loop's side

    def _submit(self, work: Coroutine[Any, Any, None]) -> Future[None]:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(
                    target=self._loop.run_forever, name="desktop-notices", daemon=True
                )
                self._thread.start()
            return asyncio.run_coroutine_threadsafe(work, self._loop)

    def _make(self) -> Any:
        if self._notifier is None:
            # The library logs every failed notification with its traceback; this module says it once.
            logging.getLogger("desktop_notifier").setLevel(logging.CRITICAL)
            from desktop_notifier import DesktopNotifier

            self._notifier = DesktopNotifier(app_name=self.app_name)
        return self._notifier

    async def _show(self, key: str, title: str, body: str) -> None:
        try:
            notifier = self._make()
            await self._withdraw(key)
            dispatched = asyncio.Event()
            identifier = await notifier.send(
                title,
                body,
                on_dispatched=dispatched.set,
                on_clicked=lambda: self._activated(key),
                thread=key,
            )
        except Exception as exc:  # notifications are a courtesy; the window keeps working
            self._failed(reason_of(exc))
            return
        if dispatched.is_set():
            self._shown[key] = identifier
            self.dispatched += 1
            self.unavailable = None
        else:  # the library swallowed the error: asking the service again says why
            self._failed(await self._reason())

    async def _check(self) -> None:
        reason = await self._reason()
        if reason is None:
            self.unavailable = None
        else:
            self._failed(reason)

    async def _reason(self) -> str | None:
        """None when the service answers; else why not."""
        try:
            await self._make().get_capabilities()
        except Exception as exc:
            return reason_of(exc)
        return None

    def _activated(self, key: str) -> None:
        self._shown.pop(key, None)
        self.activated.put(key)

    async def _withdraw(self, key: str) -> None:
        identifier = self._shown.pop(key, None)
        if identifier is None or self._notifier is None:
            return
        try:
            await self._notifier.clear(identifier)
        except Exception:  # closed already (by the person or the service), or the bus is gone
            log.debug("withdrawing a notification failed", exc_info=True)

    async def _withdraw_all(self) -> None:
        for key in list(self._shown):
            await self._withdraw(key)

    def _failed(self, reason: str | None) -> None:
        self.unavailable = reason or REFUSED
        if not self._failure_told:
            self._failure_told = True
            log.warning(
                "Desktop notifications are not available here (%s); new messages still show in the "
                "window's title and list.",
                self.unavailable,
            )
