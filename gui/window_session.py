"""What the window knows of the person's session: the server chosen, the open profile, its phone number.

One frozen object, held by the app and replaced only by the app; controllers
read it through their host and tell the app what they learned, so no two parts
of the window can disagree about whose profile is open.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class WindowSession:
    #: The server address as the person wrote it (``host:port``), also when no profile is open.
    server: str
    #: The open profile's name, or None on the welcome screen.
    profile_name: str | None = None
    #: The account's phone number once the profile has registered, else None.
    phone: str | None = None

    def opened(self, profile_name: str, phone: str | None) -> WindowSession:
        return replace(self, profile_name=profile_name, phone=phone)

    def with_phone(self, phone: str | None) -> WindowSession:
        return replace(self, phone=phone)

    def with_server(self, server: str) -> WindowSession:
        return replace(self, server=server)

    def closed(self) -> WindowSession:
        """No profile open: the server chosen stays, the rest goes."""
        return WindowSession(self.server)
