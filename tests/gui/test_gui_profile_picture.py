"""Profile pictures in the real app under Xvfb: Settings sets and removes ours; a contact's is drawn.

Alice uses the window; Bob is a registered profile without a window. The file
chooser is the one thing handed in (``Choosers``): it answers with a picture in
the test's folder, as a person would pick one. The picture is made by the real
engine, travels over the real server, and the list and the header draw it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from conftest import InProcessServer, fresh_phone
from gui_support import (
    app_knows,
    create_and_register,
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    press_return,
    register_peer,
    start_conversation,
    wait_until,
)
from PIL import Image

from gui.app import App
from gui.controllers.backup import Choosers
from gui.tooling.peer import HeadlessPeer
from gui.worker import Command
from net.client.core import events as ev


class Pick:
    """What the file chooser answers next, and how often it was asked."""

    def __init__(self) -> None:
        self.answer = ""
        self.asked = 0

    def choose(self, _parent: object, _start: Path) -> str:
        self.asked += 1
        return self.answer


def _photo(path: Path, colour: tuple[int, int, int]) -> Path:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    Image.new("RGB", (640, 480), colour).save(path, "JPEG", exif=exif.tobytes())
    return path


def _engine_value(app: App, call: Callable[[object], bytes]) -> bytes:
    got: list[bytes] = []
    app.do(Command("peek", call, got.append))  # type: ignore[arg-type]
    wait_until(app.root, lambda: bool(got), "the engine's answer")
    return got[0]


def test_settings_chooses_and_removes_our_picture(
    display: object, tmp_path: Path, server_factory: Callable[..., InProcessServer]
) -> None:
    server = server_factory(dev_codes=True)
    pick = Pick()
    app = App(
        profiles_root=tmp_path / "p",
        config_dir=tmp_path / "c",
        local_server_dir=tmp_path / "ls",
        choosers=Choosers(open_picture=pick.choose),
    )
    try:
        wait_until(app.root, lambda: not app.busy, "the profile list")
        create_and_register(app, server, fresh_phone())
        app.main.settings_button.invoke()
        section = app.main.settings.picture
        wait_until(app.root, lambda: not app.busy, "Settings")
        assert section.preview.find_withtag("empty") and not section.preview.find_withtag("picture")
        assert section.remove_button.instate(["disabled"])

        pick.answer = ""  # cancelled: nothing happens
        section.choose_button.invoke()
        assert pick.asked == 1 and not app.busy

        pick.answer = str(_photo(tmp_path / "me.jpg", (30, 160, 60)))
        section.choose_button.invoke()
        wait_until(app.root, lambda: bool(section.preview.find_withtag("picture")), "our picture shown")
        ours = _engine_value(app, lambda engine: engine.profile_picture())  # type: ignore[attr-defined]
        assert section.picture == ours and Image.open(io.BytesIO(ours)).size == (256, 256)
        assert b"PhoneMaker" not in ours
        assert section.remove_button.instate(["!disabled"])

        notes = tmp_path / "notes.txt"
        notes.write_text("not a picture")
        pick.answer = str(notes)
        section.choose_button.invoke()
        wait_until(app.root, lambda: "not a picture" in str(section.note.cget("text")), "the refusal")
        assert section.picture == ours  # the picture stays as it was

        section.remove_button.invoke()
        wait_until(app.root, lambda: bool(section.preview.find_withtag("empty")), "no picture shown")
        assert section.note.cget("text") == ""
        assert _engine_value(app, lambda engine: engine.profile_picture()) == b""  # type: ignore[attr-defined]
        assert section.remove_button.instate(["disabled"])
    finally:
        app.close()


def test_a_contacts_picture_is_drawn_in_the_list_and_the_header(
    display: object, tmp_path: Path, server_factory: Callable[..., InProcessServer]
) -> None:
    server = server_factory(dev_codes=True)
    app = App(profiles_root=tmp_path / "p", config_dir=tmp_path / "c", local_server_dir=tmp_path / "ls")
    bob = HeadlessPeer.with_profiles(tmp_path / "bob")
    try:
        wait_until(app.root, lambda: not app.busy, "the profile list")
        alice_phone, bob_phone = fresh_phone(), fresh_phone()
        create_and_register(app, server, alice_phone)
        register_peer(bob, server, bob_phone, "Bob", knows=alice_phone)
        app_knows(app, bob_phone)
        start_conversation(app, bob_phone, "Bob")
        pane = app.main.conversation
        pane.text.insert("1.0", "Hello Bob")
        press_return(pane.text)
        bob.wait_for(lambda e: isinstance(e, ev.MessageReceived))
        listing = app.main.conversations.canvas
        assert not listing.find_withtag(f"picture:{bob_phone}") and not pane.avatar.find_withtag("picture")

        photo = _photo(tmp_path / "bob.jpg", (220, 40, 40))
        bob.call(lambda engine: engine.set_profile_picture(photo))
        bob.call(lambda engine: engine.send_text(alice_phone, "a new picture of me"))
        wait_until(
            app.root, lambda: bool(listing.find_withtag(f"picture:{bob_phone}")), "Bob's picture listed"
        )
        wait_until(app.root, lambda: bool(pane.avatar.find_withtag("picture")), "Bob's picture in the header")
        (item,) = listing.find_withtag(f"picture:{bob_phone}")
        assert listing.type(item) == "image"
        image = pane.avatar.itemcget(pane.avatar.find_withtag("picture")[0], "image")
        red, green, _blue = (
            int(v) for v in pane.avatar.tk.splitlist(pane.avatar.tk.call(image, "get", 19, 19))
        )
        assert red > 150 and green < 90

        bob.call(lambda engine: engine.set_profile_picture(None))
        wait_until(app.root, lambda: not listing.find_withtag(f"picture:{bob_phone}"), "the initials again")
        wait_until(app.root, lambda: not pane.avatar.find_withtag("picture"), "the header's initials again")
    finally:
        bob.stop()
        app.close()
