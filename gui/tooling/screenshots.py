"""``python -m gui.tooling.screenshots``: pictures of the real app, driven through its widgets.

It starts a private Xvfb, the app with a fresh profile (Alice), the app's own
"start a local server" button, and a second profile without a window (Bob);
then it registers both, has them talk, opens the contact details, makes Bob
re-register (a new identity key), searches across the conversations and opens
a result, opens the export warning and makes a backup, has a stranger write
(a message request), writes in Hebrew and Arabic, shrinks the window to 800x600,
makes a group, has Bob send a photo and a large file and Alice a document
(:mod:`gui.tooling.file_scene`), has a new contact and Alice reply, react, edit and
delete and opens a message's menu (:mod:`gui.tooling.reading_scene`), links a second
computer to Alice's account from Settings (:mod:`gui.tooling.link_scene`), and saves a PNG
of each step in screenshots/.
Everything runs in temporary folders: no real profile is touched.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from gui.engine import Engine
from gui.tooling.capture import save_region
from gui.tooling.display import VirtualDisplay
from gui.tooling.file_scene import file_scene
from gui.tooling.link_scene import link_scene
from gui.tooling.peer import HeadlessPeer
from gui.tooling.reading_scene import reading_scene
from gui.tooling.timer_scene import timer_scene
from gui.view_models.forms import parse_server_address
from gui.views.backup_dialogs import BackupDialog, ExportDialog
from gui.worker import Command
from net.client.core import events as ev
from net.client.core.privacy import NotificationContent

OUT = Path(__file__).resolve().parents[2] / "screenshots"
ALICE_PHONE, BOB_PHONE, STRANGER_PHONE = "+442079460101", "+442079460202", "+12025550143"
#: The book club's other members (Bob is in it too), as (name, phone, email).
CLUB = (
    ("Carol", "+442079460303", "carol@example.com"),
    ("Dave", "+442079460404", "dave@example.com"),
    ("Erin", "+442079460505", "erin@example.com"),
)
PASSPHRASE = "a long and happy passphrase"  # noqa: S105 - throwaway profiles in a temporary folder
WAIT = 90.0


class Director:
    """Drives one app window the way a person would, and photographs it."""

    def __init__(self, app: Any, display: VirtualDisplay, out: Path) -> None:
        self.app, self.display, self.out = app, display, out
        self.root = app.root

    def wait(self, condition: Callable[[], object], what: str, timeout: float = WAIT) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout:.0f} s for {what}")
            self.root.tk.dooneevent(0)

    def settle(self) -> None:
        """Let pending redraws happen, then wait for the X server to have drawn them."""
        deadline = time.monotonic() + 0.3
        while time.monotonic() < deadline:  # a few frames of the drain loop, bounded
            self.root.tk.dooneevent(0)
        self.root.update_idletasks()
        self.root.winfo_pointerxy()  # a round trip: every request before it has been drawn

    def shot(self, name: str) -> None:
        self.settle()
        box = (
            self.root.winfo_rootx(),
            self.root.winfo_rooty(),
            self.root.winfo_width(),
            self.root.winfo_height(),
        )
        save_region(self.display.framebuffer, box, self.out / f"{name}.png")
        print(f"saved {name}.png", flush=True)

    def type(self, widget: Any, text: str) -> None:
        widget.delete(0, "end")
        widget.insert(0, text)

    def send(self, text: str) -> None:
        composer = self.app.main.conversation.text
        composer.focus_force()
        self.root.update()
        composer.insert("1.0", text)
        composer.event_generate("<Return>")


def run(out: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix="parley-shots-"))
    display = VirtualDisplay(size=(1280, 860), framebuffer_dir=work / "fb")
    os.environ["DISPLAY"] = display.start()
    from gui.app import App

    app = App(profiles_root=work / "alice", config_dir=work / "config", local_server_dir=work / "server")
    app.root.geometry("1120x740+80+60")
    app.root.event_generate("<Motion>", warp=True, x=1190, y=780)  # keep the pointer out of the pictures
    d = Director(app, display, out)
    bob: HeadlessPeer | None = None
    try:
        w = app.welcome
        d.wait(lambda: not app.busy, "the profile list")
        w.local_button.invoke()
        d.wait(lambda: app.local_server.address and not app.busy, "the local server")
        d.type(w.display_name.entry, "Alice")
        d.type(w.new_passphrase.entry, PASSPHRASE)
        d.type(w.repeat.entry, PASSPHRASE)
        d.shot("01-welcome")

        w.create_button.invoke()
        d.wait(lambda: app.screen is app.server_key, "the server's fingerprint")
        d.shot("02-server-fingerprint")
        app.server_key.accept_button.invoke()

        r = app.registration
        d.wait(lambda: app.screen is r and not app.busy, "the registration form")
        d.type(r.phone.entry, "+44 20 7946 0101")
        d.type(r.email.entry, "alice@example")
        r.email.entry.event_generate("<FocusOut>")
        d.shot("03-registration")
        d.type(r.email.entry, "alice@example.com")
        r.send_button.invoke()
        d.wait(lambda: r.form.stage == "code" and not app.busy, "the code")
        d.shot("04-code")
        r.finish_button.invoke()
        d.wait(lambda: app.screen is app.main and not app.busy, "the main window")

        host, port = parse_server_address(app.local_server.address or "")
        bob = HeadlessPeer.with_profiles(work / "bob")
        bob.register("Bob", PASSPHRASE, host, port, BOB_PHONE, "bob@example.com")

        m = app.main
        m.new_button.invoke()
        d.type(m.new_phone.entry, "+44 20 7946 0202")
        d.type(m.new_name.entry, "Bob")
        m.start_button.invoke()
        d.wait(lambda: app.chat.model.open_contact == BOB_PHONE and not app.busy, "the conversation with Bob")
        d.send("Hi Bob! Are we still on for Friday?")
        # Bob has not added Alice yet: her first message is a request on his side; adding her accepts it.
        bob.wait_for(lambda e: isinstance(e, ev.RequestReceived))
        bob.call(lambda engine: engine.add_contact(ALICE_PHONE, "Alice"))
        bob.call(lambda engine: engine.mark_read(ALICE_PHONE))
        bob.call(lambda engine: engine.send_text(ALICE_PHONE, "Yes! Seven o'clock at the usual place."))
        messages = m.conversation.messages
        d.wait(lambda: len(messages.message_ids()) == 2, "Bob's answer")
        bob.call(lambda engine: engine.send_text(ALICE_PHONE, "Shall I bring the board games?"))
        d.wait(lambda: len(messages.message_ids()) == 3, "Bob's second message")
        d.send("Yes please, the new one we haven't tried yet.\nI'll bring snacks.")
        d.wait(lambda: len(messages.message_ids()) == 4, "Alice's reply")
        first = messages.message_ids()[0]
        d.wait(lambda: messages.status_of(first) == ev.MessageStatus.READ, "the read tick")
        bob.call(lambda engine: engine.set_typing(ALICE_PHONE, True))
        d.wait(lambda: m.conversation.typing.cget("text"), "Bob's typing notice")
        d.shot("05-conversation")

        m.conversation.details_button.invoke()
        d.wait(lambda: m.pane is m.details, "the contact details")
        d.shot("06-safety-number")

        bob.stop()
        bob = HeadlessPeer.with_profiles(work / "bob-reinstalled")
        bob.register("Bob", PASSPHRASE, host, port, BOB_PHONE, "bob@example.com")
        bob.call(lambda engine: engine.add_contact(ALICE_PHONE, "Alice"))
        bob.call(lambda engine: engine.send_text(ALICE_PHONE, "New phone, same Bob!"))
        m.details.on_back()
        d.wait(lambda: m.conversation.key_warning_shown, "the key-change warning")
        d.shot("07-key-change-warning")

        m.settings_button.invoke()
        m.settings.theme_buttons["dark"].invoke()
        d.shot("08-settings-dark")
        app.chat.back()
        d.wait(lambda: m.pane is m.conversation, "the conversation")
        d.shot("09-conversation-dark")

        app.set_theme("light")
        m.conversation.accept_button.invoke()
        d.wait(lambda: not m.conversation.key_warning_shown, "the warning to go")
        root_focus = m.conversation.text
        root_focus.focus_force()
        root_focus.event_generate("<Control-Shift-F>")
        m.search_field.entry.insert(0, "bring")
        d.wait(lambda: len(m.search_results.rows()) == 3, "the search results")
        for key in ("<Down>", "<Down>", "<Return>"):
            m.search_field.entry.event_generate(key)
        d.wait(lambda: messages.found() is not None, "the found message")
        d.shot("22-search")

        m.settings_button.invoke()
        m.settings.privacy.content_buttons[NotificationContent.NAME_ONLY].invoke()
        d.wait(lambda: not app.busy, "the privacy settings saved")
        d.shot("13-notification-settings")
        app.chat.back()

        app.set_theme("dark")
        m.settings_button.invoke()
        m.settings.export_button.invoke()
        export = app.backup.dialog
        assert isinstance(export, ExportDialog)
        d.type(export.path.entry, str(work / "parley-export"))
        d.shot("23-export-warning-dark")
        export.cancel()
        app.set_theme("light")  # the preference lives in the temporary folder; leave it as found anyway
        m.settings.backup_button.invoke()
        backup = app.backup.dialog
        assert isinstance(backup, BackupDialog)
        d.type(backup.path.entry, str(work / "parley-alice.parleybackup"))
        d.type(backup.passphrase.entry, "a passphrase for the backup")
        d.type(backup.repeat.entry, "a passphrase for the backup")
        backup.default_button.invoke()
        d.wait(lambda: backup.state_name == "finished", "the backup")
        d.shot("24-backup-done")
        backup.close()

        # Right-to-left lines, written while the conversation is closed, then opened at its newest.
        app.chat.back()
        app.main.show_pane(app.main.empty)
        app.chat.model.open_contact = None
        hebrew, arabic = "שלום! נתראה ביום שישי בשעה 7", "مرحبا يا بوب، أراك يوم الجمعة"
        mixed = "Great 🎲 — בדיוק כמו בפעם שעברה"
        bob.call(lambda engine: engine.send_text(ALICE_PHONE, hebrew))
        sent: list[object] = []
        app.do(Command("send", lambda engine: engine.send_text(BOB_PHONE, arabic), sent.append))
        d.wait(lambda: bool(sent), "Alice's Arabic")
        bob.call(lambda engine: engine.send_text(ALICE_PHONE, mixed))
        row = m.conversations.row_text
        d.wait(lambda: (row(BOB_PHONE) or ("", "", 0))[1].startswith("Great"), "Bob's mixed line")
        app.chat.open(BOB_PHONE)
        d.wait(lambda: any(x.text == mixed for x in messages.shown()), "the lines in the conversation")
        messages.jump_to_bottom()
        d.wait(lambda: any(x.text == mixed for x in messages.shown()), "the newest in view")
        d.shot("12-names-and-rtl")

        app.root.geometry("800x600")
        d.wait(lambda: app.root.winfo_width() == 800, "the window at 800x600")
        d.shot("11-small-window-800x600")

        app.search.reset()  # the conversation list again, with the requests row on top
        stranger = HeadlessPeer.with_profiles(work / "stranger")
        try:
            stranger.register("Sam Prize Desk", PASSPHRASE, host, port, STRANGER_PHONE, "sam@example.com")
            stranger.call(lambda engine: engine.add_contact(ALICE_PHONE))
            stranger.call(lambda engine: engine.send_text(ALICE_PHONE, "You have won a prize!"))
            stranger.call(lambda engine: engine.send_text(ALICE_PHONE, "Reply to claim it before Friday."))
            listing = m.conversations
            d.wait(lambda: listing.requests_title == "Message requests · 1", "the requests row")
            listing.on_requests()
            requests = app.requests.dialog
            d.wait(lambda: requests is not None and "claim" in requests.shown_text(), "the messages")
            assert requests is not None
            requests.geometry(f"760x440+{app.root.winfo_rootx() + 20}+{app.root.winfo_rooty() + 120}")
            d.wait(lambda: requests.winfo_viewable(), "the requests window")
            requests.update()
            d.shot("10-message-request")
            requests.destroy()
        finally:
            stranger.stop()
        timer_scene(d, bob, alice=ALICE_PHONE, bob_phone=BOB_PHONE)
        group_scenes(d, work, bob, (host, port))
        file_scene(d, work, bob, alice=ALICE_PHONE, bob_phone=BOB_PHONE)
        reading_scene(d, work, (host, port), alice=ALICE_PHONE)
        link_scene(d, work, server=f"{host}:{port}", passphrase=PASSPHRASE)
    finally:
        if bob is not None:
            bob.stop()
        app.close()
        display.stop()


def _add_contact(engine: Engine, *, phone: str, name: str) -> ev.ContactView:
    return engine.add_contact(phone, name)


def _group_text(engine: Engine, *, group_id: str, text: str) -> ev.MessageView:
    return engine.send_group_text(group_id, text)


def _shows(messages: Any, text: str) -> bool:
    return any(x.text == text for x in messages.shown())


def group_scenes(d: Director, work: Path, bob: HeadlessPeer, server: tuple[str, int]) -> None:
    """A group of five made from the window: names in colours, a note, receipts k of n; its members."""
    app, m = d.app, d.app.main
    app.root.geometry("1120x740")
    d.wait(lambda: app.root.winfo_width() == 1120, "the window at its size again")
    m.hide_notice()  # a notice left by an earlier scene is no part of these pictures
    app.root.event_generate("<Motion>", warp=True, x=1190, y=780)
    people = {"Bob": bob}
    try:
        for name, phone, email in CLUB:
            people[name] = HeadlessPeer.with_profiles(work / name.lower())
            people[name].register(name, PASSPHRASE, *server, phone, email)
            people[name].call(lambda engine: engine.add_contact(ALICE_PHONE, "Alice"))
        added: list[ev.ContactView] = []
        for name, phone, _email in CLUB[:2]:
            app.do(Command("add_contact", partial(_add_contact, phone=phone, name=name), added.append))
        d.wait(lambda: len(added) == 2, "Carol and Dave in the contacts")
        for contact in added:
            app.chat.model.set_contact(contact)
        m.new_group_button.invoke()
        form = m.new_group
        d.wait(lambda: m.pane is form, "the new-group form")
        d.type(form.name.entry, "Book club")
        for phone in (BOB_PHONE, CLUB[0][1], CLUB[1][1]):
            form.tick(phone)
        d.type(form.typed.entry, "+44 20 7946 0505")
        form.create_button.invoke()
        d.wait(lambda: app.chat.model.is_group(app.chat.model.open_contact) and not app.busy, "the group")
        group_id = app.chat.model.open_contact or ""
        messages = m.conversation.messages
        d.send("Welcome to the book club! First up: The Left Hand of Darkness.")
        for name, line in (
            ("Bob", "Great pick, I have been meaning to read it."),
            ("Carol", "I'm in. Two weeks enough?"),
            ("Erin", "Thanks for adding me!"),
        ):
            people[name].wait_for(lambda e: isinstance(e, ev.GroupChanged))
            people[name].call(partial(_group_text, group_id=group_id, text=line))
            d.wait(partial(_shows, messages, line), f"{name}'s message")
        d.send("Two weeks it is. See you all on the 14th.")
        people["Bob"].call(lambda engine: engine.mark_read(group_id))
        mine = [x for x in messages.shown() if x.outgoing]
        d.wait(lambda: messages.meta_text(mine[-1].message_id).count("/") >= 1, "the receipts k of n")
        d.shot("14-group-conversation")
        m.conversation.details_button.invoke()
        d.wait(lambda: m.pane is m.members and bool(m.members.rows()), "the members pane")
        m.members.list.selection_set(BOB_PHONE)
        d.wait(lambda: bool(m.members.digits.cget("text")), "Bob's safety number")
        d.shot("15-group-members")
    finally:
        for name, peer in people.items():
            if name != "Bob":
                peer.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gui.tooling.screenshots", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--out", type=Path, default=OUT, help="where the PNGs go (default: screenshots/)")
    args = parser.parse_args(argv)
    run(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
