"""Backup, restore and export through the window: real Tk under Xvfb, the real engine, a real server.

The platform's file choosers are the one thing handed in (``Choosers``): they
answer with a path in the test's temporary folder, as a person would pick one.
Everything after the choice — the dialog, the worker command, the engine's
backup file, its progress, the restore into a new profile, the exported files —
is the real thing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import InProcessServer, fresh_phone
from gui_support import (
    app_knows,
    create_and_register,
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    press,
    press_return,
    register_peer,
    start_conversation,
    type_into,
    wait_until,
)

from gui.app import App
from gui.controllers.backup import Choosers
from gui.tooling.peer import HeadlessPeer
from gui.view_models.backup_model import EXPORT_WARNING, RESTORE_NOTE
from gui.views.backup_dialogs import BackupDialog, ExportDialog, RestoreDialog
from net.client.core import events as ev

BACKUP_PASSPHRASE = "the backup's own passphrase"
NEW_PASSPHRASE = "a passphrase for this computer"


class Picks:
    """What the "file chooser" answers next, and the folders shown in the file manager."""

    def __init__(self) -> None:
        self.answer = ""
        self.opened: list[Path] = []

    def choose(self, _parent: object, _suggested: Path) -> str:
        return self.answer

    def choosers(self) -> Choosers:
        return Choosers(self.choose, self.choose, self.choose, open_folder=self.opened.append)


@pytest.fixture
def picks() -> Picks:
    return Picks()


@pytest.fixture
def app(display: object, tmp_path: Path, picks: Picks) -> Iterator[App]:
    made = App(
        profiles_root=tmp_path / "profiles",
        config_dir=tmp_path / "config",
        local_server_dir=tmp_path / "ls",
        choosers=picks.choosers(),
    )
    wait_until(made.root, lambda: not made.busy, "the profile list")
    yield made
    made.close()


def _chat_with_bob(app: App, server: InProcessServer, bob: HeadlessPeer) -> tuple[str, str]:
    alice_phone, bob_phone = fresh_phone(), fresh_phone()
    create_and_register(app, server, alice_phone)
    register_peer(bob, server, bob_phone, "Bob", knows=alice_phone)
    app_knows(app, bob_phone)
    start_conversation(app, bob_phone, "Bob")
    pane = app.main.conversation
    pane.text.insert("1.0", "See you at the lighthouse")
    press_return(pane.text)
    bob.wait_for(lambda e: isinstance(e, ev.MessageReceived))
    bob.call(lambda engine: engine.send_text(alice_phone, "Bring the map"))
    wait_until(app.root, lambda: len(pane.messages.message_ids()) == 2, "Bob's answer")
    return alice_phone, bob_phone


def _texts(app: App) -> list[str]:
    return sorted(message.text for message in app.main.conversation.messages.shown())


def _fits_800_by_600(dialog: object) -> None:
    assert dialog.winfo_reqwidth() <= 800 and dialog.winfo_reqheight() <= 600  # type: ignore[attr-defined]


def test_a_backup_from_the_settings_restores_from_the_welcome_screen_to_the_same_conversations(
    app: App, dev_server: InProcessServer, bob: HeadlessPeer, picks: Picks, tmp_path: Path
) -> None:
    _alice, bob_phone = _chat_with_bob(app, dev_server, bob)
    before = _texts(app)
    assert before == ["Bring the map", "See you at the lighthouse"]

    app.settings.open_settings()
    app.main.settings.backup_button.invoke()
    dialog = app.backup.dialog
    assert isinstance(dialog, BackupDialog)
    _fits_800_by_600(dialog)
    assert dialog.path.value.endswith(".parleybackup") and "parley-alice-" in dialog.path.value
    target = tmp_path / "keep" / "alice.parleybackup"
    target.parent.mkdir()
    picks.answer = str(target)
    dialog.choose_button.invoke()
    assert dialog.path.value == str(target)

    # the passphrase is checked in the form first: typed twice, the profile's own length rule
    type_into(dialog.passphrase.entry, BACKUP_PASSPHRASE)
    type_into(dialog.repeat.entry, "something else entirely")
    press_return(dialog.repeat.entry)
    assert "differ" in str(dialog.repeat.note.cget("text"))
    assert dialog.state_name == "form" and not target.exists()

    type_into(dialog.repeat.entry, BACKUP_PASSPHRASE)
    press_return(dialog.repeat.entry)
    assert dialog.state_name == "running"
    assert str(dialog.default_button.cget("state")) == "disabled"
    press(dialog, "<Escape>")  # a running backup cannot be stopped half-way: the dialog stays
    assert dialog.winfo_exists()
    wait_until(app.root, lambda: dialog.state_name == "finished", "the backup to finish")
    size = target.stat().st_size
    _fits_800_by_600(dialog)  # with the progress bar and the result line shown too
    assert float(dialog.bar.cget("value")) == 100.0
    assert str(dialog.progress_text.cget("text")).endswith("(100%)")  # the engine's last report, shown
    result = str(dialog.result.cget("text"))
    assert result.startswith(f"Backed up to {target} (") and result.endswith("B).")
    assert size > 0 and dialog.passphrase.value == ""
    press_return(dialog.default_button)  # Enter on "Close"
    assert not dialog.winfo_exists() and app.backup.dialog is None

    # lock, then restore on the welcome screen into a new profile
    app.onboarding.lock()
    wait_until(app.root, lambda: app.welcome.profiles.size() == 1, "the welcome screen's profile list")
    listed_before = 1
    app.welcome.restore_button.invoke()
    restore = app.backup.dialog
    assert isinstance(restore, RestoreDialog)
    _fits_800_by_600(restore)
    assert restore.heal_note.cget("text") == RESTORE_NOTE and restore.heal_note.winfo_ismapped()
    picks.answer = str(target)
    restore.choose_button.invoke()
    type_into(restore.backup_passphrase.entry, "not the backup's passphrase")
    type_into(restore.label.entry, "Alice on the laptop")
    type_into(restore.passphrase.entry, NEW_PASSPHRASE)
    type_into(restore.repeat.entry, NEW_PASSPHRASE)
    restore.default_button.invoke()
    wait_until(app.root, lambda: restore.state_name != "running", "the wrong passphrase's answer")
    assert restore.state_name == "form"
    assert "does not open this backup" in str(restore.backup_passphrase.note.cget("text"))
    assert restore.label.value == "Alice on the laptop" and restore.path.value == str(target)
    assert app.welcome.profiles.size() == listed_before

    type_into(restore.backup_passphrase.entry, BACKUP_PASSPHRASE)
    press_return(restore.backup_passphrase.entry)
    wait_until(app.root, lambda: restore.state_name == "finished", "the restore to finish")
    assert str(restore.progress_text.cget("text")).endswith("(100%)")
    _fits_800_by_600(restore)
    wait_until(app.root, lambda: app.welcome.profiles.size() == listed_before + 1, "the restored profile")
    chosen = app.welcome.profiles.curselection()
    assert app.welcome.profiles.get(chosen[0]).strip() == "Alice on the laptop"
    press(restore, "<Escape>")
    assert not restore.winfo_exists()

    type_into(app.welcome.passphrase.entry, NEW_PASSPHRASE)
    press_return(app.welcome.passphrase.entry)
    wait_until(app.root, lambda: app.screen is app.main and not app.busy, "the restored profile's window")
    wait_until(app.root, lambda: bob_phone in app.main.conversations.contacts(), "the restored conversation")
    app.chat.open(bob_phone)
    wait_until(app.root, lambda: len(app.main.conversation.messages.shown()) == 2, "the restored messages")
    assert _texts(app) == before


def test_an_export_warns_first_then_writes_the_files_and_opens_the_folder(
    app: App, dev_server: InProcessServer, bob: HeadlessPeer, picks: Picks, tmp_path: Path
) -> None:
    _alice, bob_phone = _chat_with_bob(app, dev_server, bob)
    app.settings.open_settings()

    # Escape closes the dialog before anything starts
    app.main.settings.export_button.invoke()
    first = app.backup.dialog
    assert isinstance(first, ExportDialog)
    press(first.path.entry, "<Escape>")
    assert not first.winfo_exists()

    app.main.settings.export_button.invoke()
    dialog = app.backup.dialog
    assert isinstance(dialog, ExportDialog)
    _fits_800_by_600(dialog)
    assert dialog.warning.cget("text") == EXPORT_WARNING and dialog.warning.winfo_ismapped()
    folder = tmp_path / "exports"
    folder.mkdir()
    picks.answer = str(folder)
    dialog.choose_button.invoke()
    assert dialog.path.value == str(folder)  # an empty folder is used as it is
    press_return(dialog.path.entry)
    wait_until(app.root, lambda: dialog.state_name == "finished", "the export to finish")
    assert str(dialog.result.cget("text")) == f"Exported 1 conversation to {folder}."
    _fits_800_by_600(dialog)
    assert str(dialog.progress_text.cget("text")) == "1 of 1 conversations (100%)"
    pages = sorted(p.name for p in folder.iterdir())
    assert "index.html" in pages and len(pages) == 2
    page = next(folder / name for name in pages if name != "index.html")
    assert "See you at the lighthouse" in page.read_text("utf-8")
    dialog.update()
    assert dialog.open_button.winfo_ismapped()
    dialog.open_button.invoke()
    assert picks.opened == [folder]
    dialog.default_button.invoke()

    # one conversation, from its details, as JSON; the folder is not empty now, so a new one goes inside
    app.chat.open(bob_phone)
    app.chat.details.open()
    wait_until(app.root, lambda: app.main.pane is app.main.details, "Bob's details")
    app.main.details.export_button.invoke()
    one = app.backup.dialog
    assert isinstance(one, ExportDialog) and "Bob" in one.title()
    picks.answer = str(folder)
    one.choose_button.invoke()
    inside = Path(one.path.value)
    assert inside.parent == folder and inside.name.startswith("parley-export-alice-")
    one.format_buttons["json"].invoke()
    one.default_button.invoke()
    wait_until(app.root, lambda: one.state_name == "finished", "the JSON export")
    data = json.loads((inside / "conversations.json").read_text("utf-8"))
    assert [c["contact"]["phone"] for c in data["conversations"]] == [bob_phone]
    texts = sorted(m["text"] for m in data["conversations"][0]["messages"])
    assert texts == ["Bring the map", "See you at the lighthouse"]

    # a folder that cannot be written: the reason in words, and the form stays
    app.main.details.export_button.invoke()
    bad = app.backup.dialog
    assert isinstance(bad, ExportDialog)
    type_into(bad.path.entry, str(page / "inside-a-file"))
    bad.default_button.invoke()
    wait_until(app.root, lambda: bad.state_name != "running", "the failed export")
    assert bad.state_name == "form" and str(bad.error.cget("text"))
    assert bad.path.value == str(page / "inside-a-file")
