"""The settings pane's actions: theme, passphrase, registration lock, log out and in, delete the account."""

from __future__ import annotations

from collections.abc import Callable

from gui.controllers.host import Host
from gui.view_models.forms import ChangePassphraseForm, FormInvalid
from gui.views.main_view import MainView
from gui.worker import Command


class SettingsController:
    """The pane's own buttons are wired here; what they mean elsewhere goes out through ``on_*``."""

    def __init__(self, host: Host, main: MainView) -> None:
        self.host, self.main = host, main
        self.pane = settings = main.settings
        #: The person logged out (the engine is offline now).
        self.on_logged_out: Callable[[], None] = lambda: None
        #: The person asked to log in again (the engine is connecting).
        self.on_reconnecting: Callable[[], None] = lambda: None
        #: The server deleted the account; the profile stays open without a phone number.
        self.on_account_deleted: Callable[[], None] = lambda: None
        main.on_settings = self.open_settings
        main.on_reconnect = self.reconnect
        settings.on_change_passphrase = self.change_passphrase
        settings.on_registration_lock = self.set_registration_lock
        settings.on_logout, settings.on_delete = self.logout, self.delete_account

    def open_settings(self) -> None:
        self.pane.reset(self.host.palette.name)
        self.main.show_pane(self.pane)

    def change_passphrase(self, form: ChangePassphraseForm) -> None:
        try:
            old, new = form.cleaned()
        except FormInvalid as exc:
            self.pane.show_form_errors(exc.errors)
            return
        self.pane.show_form_errors({})

        def failed(code: str, text: str) -> None:
            if code == "wrong_passphrase":
                self.pane.show_form_errors({"old": text})
            else:
                self.pane.show_error(text)

        self.host.do(
            Command(
                "change_passphrase",
                lambda engine: engine.change_passphrase(old, new),
                lambda _r: self.pane.passphrase_changed(),
                failed=failed,
            ),
            busy="Changing the passphrase…",
        )

    def set_registration_lock(self, lock: str | None) -> None:
        self.host.do(
            Command(
                "set_registration_lock",
                lambda engine: engine.set_registration_lock(lock),
                lambda on: self.pane.registration_lock_changed(bool(on)),
                failed=lambda _c, t: self.pane.lock_field.error(t),
            ),
            busy="Setting the registration lock…" if lock else "Removing the registration lock…",
        )

    def logout(self) -> None:
        def done(_result: None) -> None:
            self.on_logged_out()

        self.host.do(
            Command(
                "logout",
                lambda engine: engine.logout(),
                done,
                failed=lambda _c, t: self.pane.show_error(t),
                polls=False,
            )
        )

    def reconnect(self) -> None:
        self.on_reconnecting()
        self.host.do(
            Command(
                "connect",
                lambda engine: engine.connect(),
                failed=lambda _c, t: self.main.show_notice(t),
                polls=True,
            ),
            busy="Connecting…",
        )

    def delete_account(self) -> None:
        def deleted(_result: None) -> None:
            self.on_account_deleted()

        self.host.do(
            Command(
                "delete_account",
                lambda engine: engine.delete_account(),
                deleted,
                failed=lambda _c, t: self.pane.show_error(t),
                polls=False,
            ),
            busy="Deleting your account…",
        )
