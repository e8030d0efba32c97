"""The settings pane's actions: theme, passphrase, registration lock, log out and in, delete the account."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gui.forms import ChangePassphraseForm, FormInvalid
from net import events as ev

if TYPE_CHECKING:
    from gui.app import App
    from gui.chat import ChatController


class SettingsController:
    def __init__(self, app: App, chat: ChatController) -> None:
        self.app, self.chat = app, chat
        main, settings = app.main, app.main.settings
        self.pane = settings
        main.on_settings = self.open_settings
        main.on_reconnect = self.reconnect
        settings.on_back, settings.on_theme = chat.back, app.set_theme
        settings.on_change_passphrase = self.change_passphrase
        settings.on_registration_lock = self.set_registration_lock
        settings.on_lock, settings.on_logout, settings.on_delete = app.lock, self.logout, self.delete_account

    def open_settings(self) -> None:
        self.pane.reset(self.app.palette.name)
        self.app.main.show_pane(self.pane)

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

        self.app.do(
            "change_passphrase",
            lambda engine: engine.change_passphrase(old, new),
            lambda _r: self.pane.passphrase_changed(),
            failed=failed,
            busy="Changing the passphrase…",
        )

    def set_registration_lock(self, lock: str | None) -> None:
        self.app.do(
            "set_registration_lock",
            lambda engine: engine.set_registration_lock(lock),
            lambda on: self.pane.registration_lock_changed(bool(on)),
            failed=lambda _c, t: self.pane.lock_field.error(t),
            busy="Setting the registration lock…" if lock else "Removing the registration lock…",
        )

    def logout(self) -> None:
        def done(_result: object) -> None:
            self.chat.offline_by_choice = True
            self.chat.connection(ev.ConnectionChanged(ev.ConnectionState.OFFLINE))
            self.chat.back()

        self.app.do(
            "logout",
            lambda engine: engine.logout(),
            done,
            failed=lambda _c, t: self.pane.show_error(t),
            polls=False,
        )

    def reconnect(self) -> None:
        self.chat.offline_by_choice = False
        self.chat.connection(ev.ConnectionChanged(ev.ConnectionState.CONNECTING))
        self.app.do(
            "connect",
            lambda engine: engine.connect(),
            polls=True,
            failed=lambda _c, t: self.app.main.show_notice(t),
            busy="Connecting…",
        )

    def delete_account(self) -> None:
        def deleted(_result: object) -> None:
            self.app.phone = None
            self.chat.reset()
            self.app.registration.reset(self.app.server)
            self.app.registration.show_error(
                "Your account was deleted from the server. You can register again."
            )
            self.app.show_screen(self.app.registration)

        self.app.do(
            "delete_account",
            lambda engine: engine.delete_account(),
            deleted,
            failed=lambda _c, t: self.pane.show_error(t),
            busy="Deleting your account…",
            polls=False,
        )
