"""Backup, restore and export: the dialogs, the file choosers, and the long commands with their progress.

Each action is one worker command whose engine call gets a
:class:`~gui.progress.ProgressChannel`'s ``report`` as its progress function;
the dialog polls the channel with a :class:`~gui.progress.ProgressWatcher`
while the command runs, and shows the result (or the error in words) when the
command's outcome arrives on the Tk thread.

The platform's file choosers and "open this folder" are passed in
(:class:`Choosers`), so that the app uses Tk's own and a test hands in
functions that answer with a temporary path: everything after the choice is the
real thing.
"""

from __future__ import annotations

import contextlib
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from tkinter import filedialog
from typing import Literal, TypeVar

from gui.controllers.host import Host
from gui.engine import Engine
from gui.progress import ProgressChannel, ProgressWatcher
from gui.system_open import system_opener
from gui.view_models.backup_model import (
    BACKUP_SUFFIX,
    BackupForm,
    ExportForm,
    RestoreForm,
    backed_up_text,
    default_backup_name,
    exported_text,
    restored_text,
)
from gui.view_models.forms import FormInvalid
from gui.views.backup_dialogs import BackupDialog, ExportDialog, RestoreDialog
from gui.views.main_view import MainView
from gui.views.progress_dialog import ProgressDialog
from gui.views.welcome import WelcomeView
from gui.worker import Command, Failed
from net.client.archive import BackupDone, ExportResult
from net.client.core.events import ProfileEntry

T = TypeVar("T")
#: ``(parent window, suggested path)`` -> the chosen path, or "" when the person cancelled.
Chooser = Callable[[tk.Misc, Path], str]


def _ask_save(parent: tk.Misc, suggested: Path) -> str:
    return filedialog.asksaveasfilename(
        parent=parent,
        title="Save the backup as",
        initialdir=str(suggested.parent),
        initialfile=suggested.name,
        defaultextension=BACKUP_SUFFIX,
        filetypes=[("Parley backups", f"*{BACKUP_SUFFIX}"), ("All files", "*")],
    )


def _ask_open(parent: tk.Misc, suggested: Path) -> str:
    return filedialog.askopenfilename(
        parent=parent,
        title="Choose a Parley backup",
        initialdir=str(suggested),
        filetypes=[("Parley backups", f"*{BACKUP_SUFFIX}"), ("All files", "*")],
    )


def _ask_folder(parent: tk.Misc, suggested: Path) -> str:
    return filedialog.askdirectory(parent=parent, title="Export into this folder", initialdir=str(suggested))


def _ask_picture(parent: tk.Misc, suggested: Path) -> str:
    return filedialog.askopenfilename(
        parent=parent,
        title="Choose a profile picture",
        initialdir=str(suggested),
        filetypes=[("Pictures", "*.jpg *.jpeg *.png *.gif *.webp *.bmp"), ("All files", "*")],
    )


@dataclass(frozen=True)
class Choosers:
    save_backup: Chooser = _ask_save
    open_backup: Chooser = _ask_open
    export_folder: Chooser = _ask_folder
    #: A picture file for our profile picture (Settings).
    open_picture: Chooser = _ask_picture
    #: Shows a folder in the platform's file manager; None hides the "Open the folder" button.
    open_folder: Callable[[Path], None] | None = None

    @classmethod
    def platform(cls) -> Choosers:
        return cls(open_folder=system_opener())


def export_target(chosen: Path, label: str, today: date) -> Path:
    """An export goes into a new folder: the chosen one if it is empty, else a new one inside it."""
    if chosen.is_dir() and not any(chosen.iterdir()):
        return chosen
    name = default_backup_name(label, today).removeprefix("parley-").removesuffix(BACKUP_SUFFIX)
    stem = f"parley-export-{name}"
    target, n = chosen / stem, 2
    while target.exists():
        target, n = chosen / f"{stem}-{n}", n + 1
    return target


class BackupController:
    def __init__(
        self,
        host: Host,
        main: MainView,
        welcome: WelcomeView,
        *,
        choosers: Choosers | None = None,
        today: Callable[[], date] = date.today,
        home: Path | None = None,
    ) -> None:
        self.host, self.main, self.welcome = host, main, welcome
        self.choosers = choosers or Choosers.platform()
        self._today, self._home = today, home or Path.home()
        #: The dialog shown now, if any (one at a time; it is modal).
        self.dialog: ProgressDialog | None = None
        main.settings.on_backup = self.open_backup
        main.settings.on_export = lambda: self.open_export(None)
        main.details.on_export = lambda: self.open_export(main.details.contact)
        welcome.on_restore = self.open_restore

    # ------------------------------------------------------------------ shared

    def _show(self, dialog: ProgressDialog) -> None:
        if self.dialog is not None:
            self.dialog.close()
        self.dialog = dialog

        def closed() -> None:
            if self.dialog is dialog:
                self.dialog = None

        dialog.on_closed = closed
        dialog.show_centred()

    def _run(
        self,
        dialog: ProgressDialog,
        name: str,
        call: Callable[[Engine, ProgressChannel], T],
        done: Callable[[T], None],
        failed: Failed,
        busy: str,
    ) -> None:
        channel = ProgressChannel()
        watcher = ProgressWatcher(dialog, channel, dialog.show_progress)

        def then(result: T) -> None:
            watcher.stop()
            if dialog.winfo_exists():
                done(result)

        def fail(code: str, text: str) -> None:
            watcher.stop()
            if dialog.winfo_exists():
                failed(code, text)

        dialog.running(busy)
        watcher.start()
        self.host.do(Command(name, lambda engine: call(engine, channel), then, failed=fail))

    @property
    def _parent(self) -> tk.Misc:
        return self.host.screen.winfo_toplevel()

    # ------------------------------------------------------------------ back up

    def open_backup(self) -> None:
        label = self.host.session.profile_name or "profile"
        suggested = self._home / default_backup_name(label, self._today())
        dialog = BackupDialog(self._parent, background=self.host.palette.surface, default_path=str(suggested))
        dialog.on_choose = lambda: self._choose(dialog, self.choosers.save_backup)
        dialog.on_form = lambda form: self._back_up(dialog, form)
        self._show(dialog)

    def _choose(self, dialog: BackupDialog | RestoreDialog | ExportDialog, chooser: Chooser) -> None:
        current = Path(dialog.path.value.strip() or self._home).expanduser()
        chosen = chooser(dialog, current if isinstance(dialog, BackupDialog) else self._home)
        if chosen:
            if isinstance(dialog, ExportDialog):
                label = self.host.session.profile_name or "profile"
                chosen = str(export_target(Path(chosen), label, self._today()))
            dialog.path.set(chosen)
            dialog.path.error("")

    def _back_up(self, dialog: BackupDialog, form: BackupForm) -> None:
        try:
            path, passphrase = form.cleaned()
        except FormInvalid as exc:
            dialog.show_form_errors(exc.errors)
            return
        dialog.show_form_errors({})

        def done(summary: BackupDone) -> None:
            dialog.finished(backed_up_text(summary.path, summary.size))

        self._run(
            dialog,
            "backup",
            lambda engine, channel: engine.backup(path, passphrase, progress=channel.report),
            done,
            lambda _code, text: dialog.failed(text),
            f"Backing up to {path.name}…",
        )

    # ------------------------------------------------------------------ restore

    def open_restore(self) -> None:
        dialog = RestoreDialog(self._parent, background=self.host.palette.surface)
        dialog.on_choose = lambda: self._choose(dialog, self.choosers.open_backup)
        dialog.on_form = lambda form: self._restore(dialog, form)
        self._show(dialog)

    def _restore(self, dialog: RestoreDialog, form: RestoreForm) -> None:
        try:
            path, backup_passphrase, label, passphrase = form.cleaned()
        except FormInvalid as exc:
            dialog.show_form_errors(exc.errors)
            return
        dialog.show_form_errors({})

        def done(profile_id: str) -> None:
            dialog.finished(restored_text(label))
            dialog.on_closed = self._after_restore(dialog, profile_id)
            self.host.do(
                Command(
                    "list_profiles",
                    lambda engine: engine.list_profiles(),
                    lambda entries: self._list_with(entries, profile_id),
                )
            )

        def failed(code: str, text: str) -> None:
            wrong = code == "wrong_passphrase"  # the engine's words say it is the backup's passphrase
            dialog.failed("" if wrong else text)
            if wrong:  # the form stays as typed; the cursor goes back to the passphrase
                dialog.show_form_errors({"backup_passphrase": text})

        self._run(
            dialog,
            "restore_profile",
            lambda engine, channel: engine.restore_profile(
                path, backup_passphrase, label=label, passphrase=passphrase, progress=channel.report
            ),
            done,
            failed,
            f"Restoring {path.name}…",
        )

    def _list_with(self, entries: list[ProfileEntry], profile_id: str) -> None:
        self.welcome.show_profiles(entries)
        self.welcome.select_profile(profile_id)

    def _after_restore(self, dialog: RestoreDialog, profile_id: str) -> Callable[[], None]:
        def closed() -> None:
            if self.dialog is dialog:
                self.dialog = None
            self.welcome.select_profile(profile_id)

        return closed

    # ------------------------------------------------------------------ export

    def open_export(self, contact: str | None) -> None:
        label = self.host.session.profile_name or "profile"
        folder = export_target(self._home, label, self._today())
        who = None
        if contact is not None:
            who = str(self.main.details.name.cget("text")) or contact
        dialog = ExportDialog(
            self._parent, background=self.host.palette.surface, default_folder=str(folder), who=who
        )
        dialog.on_choose = lambda: self._choose(dialog, self.choosers.export_folder)
        dialog.on_form = lambda form: self._export(dialog, form, contact)
        self._show(dialog)

    def _export(self, dialog: ExportDialog, form: ExportForm, contact: str | None) -> None:
        try:
            folder, fmt = form.cleaned()
        except FormInvalid as exc:
            dialog.show_form_errors(exc.errors)
            return
        dialog.show_form_errors({})
        theme: Literal["light", "dark"] = "dark" if self.host.palette.name == "dark" else "light"
        opener = self.choosers.open_folder

        def done(summary: ExportResult) -> None:
            dialog.finished(exported_text(summary.conversations, summary.folder), can_open=opener is not None)
            if opener is not None:
                dialog.on_open_folder = lambda: self._open(opener, summary.folder)

        self._run(
            dialog,
            "export",
            lambda engine, channel: engine.export(
                folder, fmt, contact=contact, theme=theme, progress=channel.report
            ),
            done,
            lambda _code, text: dialog.failed(text),
            f"Exporting into {folder.name}…",
        )

    @staticmethod
    def _open(opener: Callable[[Path], None], folder: Path) -> None:
        with contextlib.suppress(OSError):  # no file manager after all: the result line says where it is
            opener(folder)
