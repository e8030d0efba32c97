"""Settings → Linked devices: the list, Unlink (asked first), Rename, and linking a new computer.

The list is read when Settings opens and follows :class:`~net.client.core.events.DevicesChanged`.
"Link a new computer…" opens :class:`~gui.views.link_join_dialog.LinkJoinDialog`: the code goes
to ``link_join`` once it reads as a code, the engine answers with the comparison number
(:class:`~net.client.core.events.LinkComparison`, role "existing"), and the person's answer
goes to ``link_confirm`` with the history tick box; then "Linked" or the failure in words.
Being unlinked (the server's refusal or its push) is said here too, in the main window.
"""

from __future__ import annotations

from collections.abc import Callable

from gui.controllers.host import Host
from gui.engine import Engine
from gui.view_models.devices_text import (
    UNLINKED,
    device_name,
    link_code,
    now_ms,
    unlink_question,
)
from gui.view_models.forms import FormInvalid
from gui.views.confirm_dialog import ConfirmDialog
from gui.views.devices_settings import DevicesSection
from gui.views.link_join_dialog import LinkJoinDialog
from gui.views.main_view import MainView
from gui.worker import Command
from net.client.core import events as ev

#: The error codes that mean this computer is no longer one of the account's.
UNLINKED_CODES = frozenset({"device_unlinked"})


def is_unlinked(code: str, message: str) -> bool:
    """The login refusal ``device_unlinked``, or the server's ``session_ended`` for reason
    ``unlinked`` (which the engine reports under the same code)."""
    return code in UNLINKED_CODES


class DevicesController:
    def __init__(self, host: Host, main: MainView, section: DevicesSection) -> None:
        self.host, self.main, self.section = host, main, section
        self.dialog: LinkJoinDialog | None = None
        self.confirm: ConfirmDialog | None = None
        #: This computer was unlinked: the chat pane says so instead of offering to log in.
        self.on_unlinked: Callable[[], None] = lambda: None
        #: The clock of the "last seen" words (milliseconds).
        self.now_ms: Callable[[], int] = now_ms
        section.on_unlink, section.on_rename, section.on_link_new = (
            self.ask_unlink,
            self.rename,
            self.link_new,
        )

    # ------------------------------------------------------------------ the list

    def refresh(self) -> None:
        self.host.do(
            Command("devices", lambda engine: engine.devices(), self._show, failed=self._list_failed)
        )

    def _show(self, devices: list[ev.DeviceView]) -> None:
        self.section.show_error("")
        self.section.show(devices, self.now_ms())

    def _list_failed(self, _code: str, text: str) -> None:
        self.section.show_error(text)

    def handle(self, event: ev.Event) -> bool:
        """Take the device list's and the join dialog's events; False for any other."""
        if isinstance(event, ev.DevicesChanged):
            self.section.show(event.devices, self.now_ms())
            return True
        dialog = self.dialog
        if dialog is None or dialog.closed:
            return False
        if isinstance(event, ev.LinkComparison) and event.role == "existing":
            dialog.show_comparison(event.number)
        elif isinstance(event, ev.LinkFinished):
            dialog.show_done(
                f"Linked. The new computer (device {event.device}) now has your account; "
                "it shows your conversations in a moment."
            )
            self.refresh()
        elif isinstance(event, ev.LinkFailed):
            if dialog.stage == "checking":
                dialog.code_error(event.message)  # the code was not taken: said under it, to be mended
            elif dialog.stage != "failed":
                dialog.show_failure(event.message)
        else:
            return False
        return True

    def ask_unlink(self, device: ev.DeviceView) -> None:
        if self.confirm is not None and self.confirm.winfo_exists():
            self.confirm.destroy()
        self.confirm = ConfirmDialog(
            self.main,
            self.host.palette,
            title="Unlink a computer",
            words=unlink_question(device),
            deed="Unlink",
            on_confirm=lambda: self.unlink(device.device),
        )

    def unlink(self, device: int) -> None:
        def failed(code: str, text: str) -> None:
            self.section.show_error(text)

        self.host.do(
            Command(
                "unlink_device",
                lambda engine: engine.unlink_device(device),
                lambda _r: self.refresh(),
                failed=failed,
            ),
            busy="Unlinking…",
        )

    def rename(self, text: str) -> None:
        try:
            name = device_name(text)
        except FormInvalid as exc:
            self.section.name_field.error(exc.errors["name"])
            return

        def done(_r: None) -> None:
            self.section.renamed()
            self.refresh()

        self.host.do(
            Command(
                "rename_device",
                lambda engine: engine.rename_device(name),
                done,
                failed=lambda _c, t: self.section.name_field.error(t),
            )
        )

    # ------------------------------------------------------------------ linking a new computer

    def link_new(self) -> None:
        if self.dialog is not None and not self.dialog.closed:
            self.dialog.lift()
            self.dialog.focus_set()
            return
        dialog = LinkJoinDialog(self.main, self.host.palette)
        dialog.on_code = self._code_typed
        dialog.on_compared = self._compared
        dialog.on_close = self._dialog_closed
        self.dialog = dialog

    def _code_typed(self, text: str) -> None:
        dialog = self.dialog
        if dialog is None:
            return
        try:
            code = link_code(text)
        except FormInvalid as exc:
            dialog.code_error(exc.errors["code"])
            return
        dialog.show_stage("checking")

        def refused(_code: str, text: str) -> None:
            if self.dialog is dialog and not dialog.closed:
                dialog.code_error(text)  # said under the code, which stays there to be mended

        self.host.do(Command("link_join", lambda engine: engine.link_join(code), failed=refused))

    def _compared(self, same: bool, history: bool) -> None:
        dialog = self.dialog
        if dialog is None:
            return
        if same:
            dialog.show_stage("sending")
        else:
            dialog.show_failure(
                "You said the numbers don't match, so nothing was sent. Start again on the new computer; "
                "if the numbers differ again, someone may be in between: link on another network."
            )

        def call(engine: Engine) -> None:
            engine.link_confirm(same, history=history)

        self.host.do(Command("link_confirm", call, failed=self._failed))

    def _failed(self, _code: str, text: str) -> None:
        dialog = self.dialog
        if dialog is not None and not dialog.closed and dialog.stage != "failed":
            dialog.show_failure(text)

    def _dialog_closed(self) -> None:
        dialog, self.dialog = self.dialog, None
        if dialog is not None and dialog.stage in ("checking", "compare", "sending"):
            self.host.do(
                Command("link_cancel", lambda engine: engine.link_cancel(), failed=lambda _c, _t: None)
            )

    # ------------------------------------------------------------------ being unlinked

    def unlinked(self) -> None:
        """This computer is no longer one of the account's: say so, and stop offering to log in."""
        self.main.show_notice(UNLINKED)
        self.on_unlinked()

    def close(self) -> None:
        for window in (self.dialog, self.confirm):
            if window is not None and window.winfo_exists():
                window.destroy()
        self.dialog = self.confirm = None
