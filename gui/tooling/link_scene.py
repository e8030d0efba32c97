"""The linked-devices scenes of ``python -m gui.tooling.screenshots``: a second computer links to Alice.

A second window (Alice's laptop) makes a profile on the same server and chooses "Link to my
account" on the registration screen: its code, QR code and steps are the first picture. Alice's
window then opens Settings → Linked devices → "Link a new computer…", types the code, both
windows say the numbers match, and the laptop receives the account; Settings lists both
computers for the second picture. The laptop is unlinked again afterwards, so that the later
scenes show one computer as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gui.tooling.capture import save_region


def _shot(d: Any, window: Any, name: str) -> None:
    d.settle()
    window.update_idletasks()
    box = (window.winfo_rootx(), window.winfo_rooty(), window.winfo_width(), window.winfo_height())
    save_region(d.display.framebuffer, box, d.out / f"{name}.png")
    print(f"saved {name}.png", flush=True)


def link_scene(d: Any, work: Path, *, server: str, passphrase: str) -> None:
    """``d`` is the screenshots' Director (its app, wait, settle and out); ``server`` is ``host:port``."""
    from gui.app import App

    app, m = d.app, d.app.main
    app.root.geometry("1120x740")
    d.wait(lambda: app.root.winfo_width() == 1120, "Alice's window at its size again")
    m.hide_notice()
    laptop = App(
        profiles_root=work / "laptop", config_dir=work / "laptop-config", local_server_dir=work / "ls2"
    )
    try:
        laptop.root.geometry("1120x740+80+60")
        d.wait(lambda: not laptop.busy, "the laptop's profile list")
        w = laptop.welcome
        for entry, text in (
            (w.server, server),
            (w.display_name.entry, "Alice's laptop"),
            (w.new_passphrase.entry, passphrase),
            (w.repeat.entry, passphrase),
        ):
            d.type(entry, text)
        w.create_button.invoke()
        d.wait(lambda: laptop.screen is laptop.server_key and not laptop.busy, "the laptop's server key")
        laptop.server_key.accept_button.invoke()
        d.wait(lambda: laptop.screen is laptop.registration and not laptop.busy, "the laptop's registration")
        laptop.registration.link_button.invoke()
        view = laptop.link_device
        d.wait(lambda: view.stage == "code", "the laptop's link code")
        laptop.root.lift()
        _shot(d, laptop.root, "20-link-device")

        app.root.lift()
        m.settings_button.invoke()
        section = m.settings.devices
        d.wait(lambda: len(section.devices) == 1 and not app.busy, "Alice's one computer")
        section.link_button.invoke()
        dialog = app.devices.dialog
        assert dialog is not None
        d.type(dialog.code.entry, view.code)
        dialog.next_button.invoke()
        d.wait(lambda: dialog.stage == "compare" and view.stage == "compare", "the comparison on both")
        view.match_button.invoke()
        dialog.match_button.invoke()
        d.wait(lambda: dialog.stage == "done", "the link done")
        d.wait(lambda: laptop.screen is laptop.main, "the laptop's main window")
        dialog.close()
        # The laptop names itself (its default name would be this machine's host name).
        laptop.main.settings_button.invoke()
        own = laptop.main.settings.devices
        d.wait(lambda: len(own.devices) == 2 and not laptop.busy, "the laptop's list")
        d.type(own.name_field.entry, "Alice's laptop")
        own.rename_button.invoke()
        d.wait(lambda: not laptop.busy and "Renamed" in str(own.note.cget("text")), "the laptop's name")
        app.devices.refresh()
        d.wait(lambda: any("Alice's laptop" in line for line in section.shown()), "its name in Settings")
        name = section.name_field
        d.type(name.entry, "Desk at home")
        section.rename_button.invoke()
        d.wait(lambda: not app.busy and any("Desk at home" in line for line in section.shown()), "the rename")
        scroller = m.settings.scroller
        scroller.canvas.yview_moveto(max(0, section.winfo_y() - 20) / max(1, scroller.body.winfo_reqheight()))
        app.root.event_generate("<Motion>", warp=True, x=1190, y=780)
        d.shot("21-linked-devices")
    finally:
        laptop.close()
    other = next(device for device in section.devices if not device.current)
    app.devices.unlink(other.device)
    d.wait(lambda: len(section.devices) == 1 and not app.busy, "the laptop unlinked again")
    app.chat.back()
