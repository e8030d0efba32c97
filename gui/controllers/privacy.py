"""The privacy settings between the Settings section and the engine, and the notifications that follow them.

They are read when the main window opens (the profile keeps them) and saved on
each change; the engine enforces receipts and typing notices, the window's
notifications take their content from here.
"""

from __future__ import annotations

from gui.controllers.host import Host
from gui.controllers.notices import Notices
from gui.views.privacy_settings import PrivacySection
from gui.worker import Command
from net.client.core.privacy import PrivacySettings


class PrivacyController:
    def __init__(self, host: Host, section: PrivacySection, notices: Notices) -> None:
        self.host, self.section, self.notices = host, section, notices
        section.on_change = self.save

    def load(self) -> None:
        self.host.do(Command("privacy", lambda engine: engine.privacy(), self._loaded))

    def save(self, settings: PrivacySettings) -> None:
        def failed(code: str, text: str) -> None:
            self.host.report(code, text)
            self.load()  # the section shows what the profile still holds

        self.notices.content = settings.notifications
        self.host.do(Command("set_privacy", lambda engine: engine.set_privacy(settings), failed=failed))

    def _loaded(self, settings: PrivacySettings) -> None:
        self.section.show(settings)
        self.notices.content = settings.notifications
