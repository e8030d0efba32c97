"""A real notification receiver for tests: a private D-Bus session bus and a service on it.

:class:`NotificationReceiver` starts ``dbus-daemon --session`` on a socket in a
folder of the test's own (Debian: apt-get install dbus-daemon), and on that bus
a small service that owns ``org.freedesktop.Notifications`` and implements
``Notify``, ``CloseNotification``, ``GetCapabilities`` and
``GetServerInformation`` as the freedesktop specification says, recording each
call (or, started with ``serve=False``, a bus with nobody on it until
:meth:`serve`). It can emit ``ActionInvoked`` and ``NotificationClosed`` as a
desktop does when a person clicks a notification. The service runs on an asyncio loop in a
thread; every wait is bounded.
"""

import asyncio
import itertools
import select
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from dbus_fast.aio import MessageBus
from dbus_fast.annotations import DBusDict, DBusInt32, DBusSignature, DBusStr, DBusUInt32
from dbus_fast.service import ServiceInterface, dbus_method, dbus_signal

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
START_SECONDS = 10.0

Strings = Annotated[list[str], DBusSignature("as")]
Info = Annotated[list[str], DBusSignature("ssss")]
Pair = Annotated[list[int], DBusSignature("uu")]
Action = Annotated[list[Any], DBusSignature("us")]


@dataclass(frozen=True)
class Shown:
    """One Notify call as the receiver got it, with the id it answered."""

    id: int
    app_name: str
    replaces_id: int
    summary: str
    body: str
    actions: list[str]


class _Service(ServiceInterface):
    def __init__(self, receiver: "NotificationReceiver") -> None:
        super().__init__(NAME)
        self._receiver = receiver
        self._ids = itertools.count(1)

    @dbus_method()
    def Notify(
        self,
        app_name: DBusStr,
        replaces_id: DBusUInt32,
        app_icon: DBusStr,
        summary: DBusStr,
        body: DBusStr,
        actions: Strings,
        hints: DBusDict,
        expire_timeout: DBusInt32,
    ) -> DBusUInt32:
        number = replaces_id or next(self._ids)
        self._receiver.record(("Notify", Shown(number, app_name, replaces_id, summary, body, list(actions))))
        return number

    @dbus_method()
    def CloseNotification(self, number: DBusUInt32) -> None:
        self._receiver.record(("CloseNotification", number))
        self.NotificationClosed(number, 3)

    @dbus_method()
    def GetCapabilities(self) -> Strings:
        return ["actions", "body"]

    @dbus_method()
    def GetServerInformation(self) -> Info:
        return ["Test receiver", "Parley tests", "1.0", "1.2"]

    @dbus_signal()
    def ActionInvoked(self, number: int, key: str) -> Action:
        return [number, key]

    @dbus_signal()
    def NotificationClosed(self, number: int, reason: int) -> Pair:
        return [number, reason]


class NotificationReceiver:
    def __init__(self, folder: Path) -> None:
        if shutil.which("dbus-daemon") is None:
            raise RuntimeError(
                "the notification tests need dbus-daemon (Debian: apt-get install dbus-daemon)"
            )
        self.folder = folder
        self.address = ""
        self.calls: list[tuple[str, Any]] = []
        self._lock = threading.Lock()
        self._daemon: subprocess.Popen[str] | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="test-receiver", daemon=True)
        self._service = _Service(self)
        self._bus: MessageBus | None = None

    def start(self, *, serve: bool = True) -> str:
        """Start the bus and (unless ``serve`` is False: a bus with no receiver) the service on it.

        Returns the bus's address, for DBUS_SESSION_BUS_ADDRESS.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        self._daemon = subprocess.Popen(
            [
                "dbus-daemon",
                "--session",
                f"--address=unix:path={self.folder / 'bus'}",
                "--nofork",
                "--print-address",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._daemon.stdout is not None
        ready, _, _ = select.select([self._daemon.stdout], [], [], START_SECONDS)
        if not ready:
            raise RuntimeError("dbus-daemon did not print its address in time")
        self.address = self._daemon.stdout.readline().strip()
        self._thread.start()
        if serve:
            self.serve()
        return self.address

    def serve(self) -> None:
        """Put the notification service on the bus (a receiver that comes up after the app)."""
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(START_SECONDS)

    async def _serve(self) -> None:
        self._bus = await MessageBus(bus_address=self.address).connect()
        self._bus.export(PATH, self._service)
        await self._bus.request_name(NAME)

    def record(self, call: tuple[str, Any]) -> None:
        with self._lock:
            self.calls.append(call)

    @property
    def shown(self) -> list[Shown]:
        with self._lock:
            return [args for name, args in self.calls if name == "Notify"]

    @property
    def closed(self) -> list[int]:
        with self._lock:
            return [args for name, args in self.calls if name == "CloseNotification"]

    def activate(self, number: int) -> None:
        """What a desktop does when the person clicks a notification: its default action, then closed."""

        def emit() -> None:
            self._service.ActionInvoked(number, "default")
            self._service.NotificationClosed(number, 2)

        self._loop.call_soon_threadsafe(emit)

    def wait_for(self, condition: Callable[[], object], what: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; the receiver got {self.calls}")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._bus is not None:
            bus = self._bus
            self._loop.call_soon_threadsafe(bus.disconnect)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread.is_alive():
            self._thread.join(START_SECONDS)
        if self._daemon is not None:
            self._daemon.terminate()
            try:
                self._daemon.wait(START_SECONDS)
            except subprocess.TimeoutExpired:
                self._daemon.kill()
                self._daemon.wait(START_SECONDS)
