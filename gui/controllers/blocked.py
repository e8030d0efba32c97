"""Settings, "Blocked numbers": read the blocked numbers and the dropped count, and unblock one.

Both are engine calls on the worker (:meth:`refresh` when Settings opens, and
again when a number is blocked or unblocked elsewhere). An unblocked number is a
stranger again: its next message makes a message request (what it sent while
blocked was never kept).
"""

from __future__ import annotations

from gui.controllers.host import Host
from gui.engine import Engine
from gui.views.blocked_settings import BlockedSection
from gui.worker import Command
from net.client.core.events import ContactView


class BlockedController:
    def __init__(self, host: Host, section: BlockedSection) -> None:
        self.host, self.section = host, section
        section.on_unblock = self.unblock

    def refresh(self) -> None:
        def call(engine: Engine) -> tuple[list[ContactView], int]:
            return engine.blocked(), engine.dropped_from_blocked()

        self.host.do(Command("blocked", call, lambda found: self.section.show(*found)))

    def unblock(self, phone: str) -> None:
        def failed(code: str, text: str) -> None:
            self.host.report(code, text)
            self.refresh()  # the list shows what the profile still holds

        self.host.do(
            Command("unblock", lambda engine: engine.unblock(phone), lambda _r: self.refresh(), failed=failed)
        )
